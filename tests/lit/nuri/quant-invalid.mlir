// RUN: nuri-opt %s -split-input-file -verify-diagnostics

func.func @quantize_scale_shape(%x: tensor<2x3xf32>, %s: tensor<3xf32>, %z: tensor<ui8>) -> tensor<2x3xui8> {
  // expected-error @+1 {{scale and zero_point must have the same shape}}
  %0 = nuri.quantize_linear %x, %s, %z {axis = 1 : i64} : tensor<2x3xf32>, tensor<3xf32>, tensor<ui8> -> tensor<2x3xui8>
  return %0 : tensor<2x3xui8>
}

// -----

func.func @quantize_axis_size(%x: tensor<2x3xf32>, %s: tensor<2xf32>, %z: tensor<2xui8>) -> tensor<2x3xui8> {
  // expected-error @+1 {{per-axis scale has 2 values, dimension 1 has 3}}
  %0 = nuri.quantize_linear %x, %s, %z {axis = 1 : i64} : tensor<2x3xf32>, tensor<2xf32>, tensor<2xui8> -> tensor<2x3xui8>
  return %0 : tensor<2x3xui8>
}

// -----

func.func @quantize_axis_range(%x: tensor<2x3xf32>, %s: tensor<3xf32>, %z: tensor<3xui8>) -> tensor<2x3xui8> {
  // expected-error @+1 {{axis 2 is outside [0, 2)}}
  %0 = nuri.quantize_linear %x, %s, %z {axis = 2 : i64} : tensor<2x3xf32>, tensor<3xf32>, tensor<3xui8> -> tensor<2x3xui8>
  return %0 : tensor<2x3xui8>
}

// -----

func.func @quantize_scale_type(%x: tensor<4xf32>, %s: tensor<f16>, %z: tensor<ui8>) -> tensor<4xui8> {
  // expected-error @+1 {{input and scale must have the same element type}}
  %0 = nuri.quantize_linear %x, %s, %z {axis = 0 : i64} : tensor<4xf32>, tensor<f16>, tensor<ui8> -> tensor<4xui8>
  return %0 : tensor<4xui8>
}

// -----

func.func @quantize_i64(%x: tensor<4xf32>, %s: tensor<f32>, %z: tensor<i64>) -> tensor<4xi64> {
  // expected-error @+1 {{zero_point must be an integer of 2 to 32 bits}}
  %0 = nuri.quantize_linear %x, %s, %z {axis = 0 : i64} : tensor<4xf32>, tensor<f32>, tensor<i64> -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

func.func @dequantize_zp_type(%x: tensor<4xui8>, %s: tensor<f32>, %z: tensor<i8>) -> tensor<4xf32> {
  // expected-error @+1 {{input and zero_point must have the same element type}}
  %0 = nuri.dequantize_linear %x, %s, %z {axis = 0 : i64} : tensor<4xui8>, tensor<f32>, tensor<i8> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @matmul_integer_zp_rows(%a: tensor<2x3xui8>, %b: tensor<3x4xui8>, %az: tensor<3xui8>, %bz: tensor<ui8>) -> tensor<2x4xi32> {
  // expected-error @+1 {{1-D lhs_zero_point needs one value per row of lhs (2), has 3}}
  %0 = nuri.matmul_integer %a, %b, %az, %bz : (tensor<2x3xui8>, tensor<3x4xui8>, tensor<3xui8>, tensor<ui8>) -> tensor<2x4xi32>
  return %0 : tensor<2x4xi32>
}

// -----

func.func @matmul_integer_zp_type(%a: tensor<2x3xui8>, %b: tensor<3x4xui8>, %az: tensor<ui8>, %bz: tensor<i8>) -> tensor<2x4xi32> {
  // expected-error @+1 {{rhs_zero_point must have rhs's element type}}
  %0 = nuri.matmul_integer %a, %b, %az, %bz : (tensor<2x3xui8>, tensor<3x4xui8>, tensor<ui8>, tensor<i8>) -> tensor<2x4xi32>
  return %0 : tensor<2x4xi32>
}

// -----

func.func @matmul_integer_shapes(%a: tensor<2x3xui8>, %b: tensor<4x4xui8>, %z: tensor<ui8>) -> tensor<2x4xi32> {
  // expected-error @+2 {{operand shapes do not multiply}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nuri.matmul_integer %a, %b, %z, %z : (tensor<2x3xui8>, tensor<4x4xui8>, tensor<ui8>, tensor<ui8>) -> tensor<2x4xi32>
  return %0 : tensor<2x4xi32>
}

// -----

func.func @conv_integer_group(%x: tensor<1x3x5x5xui8>, %w: tensor<4x1x3x3xui8>, %xz: tensor<ui8>, %wz: tensor<ui8>) -> tensor<1x4x3x3xi32> {
  // expected-error @+1 {{do not match group 2}}
  %0 = nuri.conv_integer %x, %w, %xz, %wz {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 2 : i64} : (tensor<1x3x5x5xui8>, tensor<4x1x3x3xui8>, tensor<ui8>, tensor<ui8>) -> tensor<1x4x3x3xi32>
  return %0 : tensor<1x4x3x3xi32>
}

// -----

func.func @conv_integer_wzp(%x: tensor<1x2x5x5xui8>, %w: tensor<4x2x3x3xui8>, %xz: tensor<ui8>, %wz: tensor<3xui8>) -> tensor<1x4x3x3xi32> {
  // expected-error @+1 {{weight_zero_point must be rank 0 or hold one value per output channel}}
  %0 = nuri.conv_integer %x, %w, %xz, %wz {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x5x5xui8>, tensor<4x2x3x3xui8>, tensor<ui8>, tensor<3xui8>) -> tensor<1x4x3x3xi32>
  return %0 : tensor<1x4x3x3xi32>
}

// -----

func.func @conv_integer_window(%x: tensor<1x2x2x2xui8>, %w: tensor<4x2x3x3xui8>, %z: tensor<ui8>) -> tensor<1x4x1x1xi32> {
  // expected-error @+2 {{conv_integer: output dimension 2 would be 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nuri.conv_integer %x, %w, %z, %z {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x2x2xui8>, tensor<4x2x3x3xui8>, tensor<ui8>, tensor<ui8>) -> tensor<1x4x1x1xi32>
  return %0 : tensor<1x4x1x1xi32>
}

// -----

func.func @det_not_square(%x: tensor<2x3xf32>) -> tensor<f32> {
  // expected-error @+2 {{det: the input must end in square matrices}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nuri.det %x : tensor<2x3xf32> -> tensor<f32>
  return %0 : tensor<f32>
}
