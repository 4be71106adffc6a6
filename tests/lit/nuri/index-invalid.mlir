// RUN: nuri-opt %s -split-input-file -verify-diagnostics

func.func @gather_elements_rank(%d: tensor<3x3xf32>, %i: tensor<3xi64>) -> tensor<3xf32> {
  // expected-error @+1 {{indices must have the rank of data}}
  %0 = nuri.gather_elements %d, %i {axis = 0 : i64} : tensor<3x3xf32>, tensor<3xi64> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @scatter_reduction(%d: tensor<1x5xf32>, %i: tensor<1x2xi64>, %u: tensor<1x2xf32>) -> tensor<1x5xf32> {
  // expected-error @+1 {{unknown reduction 'sub'}}
  %0 = nuri.scatter_elements %d, %i, %u {axis = 1 : i64, reduction = "sub"} : tensor<1x5xf32>, tensor<1x2xi64>, tensor<1x2xf32> -> tensor<1x5xf32>
  return %0 : tensor<1x5xf32>
}

// -----

func.func @scatter_nd_updates(%d: tensor<4x4xf32>, %i: tensor<2x1xi64>, %u: tensor<2x3xf32>) -> tensor<4x4xf32> {
  // expected-error @+1 {{updates must have shape indices.shape[:-1] + data.shape[k:]}}
  %0 = nuri.scatter_nd %d, %i, %u {reduction = "none"} : tensor<4x4xf32>, tensor<2x1xi64>, tensor<2x3xf32> -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

func.func @gather_nd_batch(%d: tensor<2x2x2xi32>, %i: tensor<3x1xi64>) -> tensor<3x2xi32> {
  // expected-error @+1 {{batch dimension 0 differs}}
  %0 = nuri.gather_nd %d, %i {batch_dims = 1 : i64} : tensor<2x2x2xi32>, tensor<3x1xi64> -> tensor<3x2xi32>
  return %0 : tensor<3x2xi32>
}

// -----

func.func @trilu_rank(%x: tensor<4xf32>, %k: tensor<i64>) -> tensor<4xf32> {
  // expected-error @+1 {{input must have rank >= 2}}
  %0 = nuri.trilu %x, %k {upper = true} : tensor<4xf32>, tensor<i64> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @one_hot_values(%i: tensor<3xi64>, %v: tensor<3xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{values must hold two elements}}
  %0 = nuri.one_hot %i, %v {depth = 4 : i64, axis = 1 : i64} : tensor<3xi64>, tensor<3xf32> -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

func.func @broadcast_bad(%x: tensor<3x2xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{cannot broadcast}}
  %0 = nuri.broadcast_to %x : tensor<3x2xf32> -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

func.func @pad_mode(%x: tensor<3x4xf32>, %v: tensor<f32>) -> tensor<5x4xf32> {
  // expected-error @+1 {{unknown mode 'mirror'}}
  %0 = nuri.pad %x, %v {pads = array<i64: 1, 0, 1, 0>, mode = "mirror"} : tensor<3x4xf32>, tensor<f32> -> tensor<5x4xf32>
  return %0 : tensor<5x4xf32>
}

// -----

func.func @pad_reflect_too_far(%x: tensor<3x4xf32>, %v: tensor<f32>) -> tensor<9x4xf32> {
  // expected-error @+1 {{reflect pads of dimension 0 must be below its size 3}}
  %0 = nuri.pad %x, %v {pads = array<i64: 3, 0, 3, 0>, mode = "reflect"} : tensor<3x4xf32>, tensor<f32> -> tensor<9x4xf32>
  return %0 : tensor<9x4xf32>
}

// -----

func.func @top_k_too_many(%x: tensor<3x4xf32>) -> (tensor<3x5xf32>, tensor<3x5xi64>) {
  // expected-error @+1 {{k = 5 outside [0, 4]}}
  %v, %i = nuri.top_k %x {k = 5 : i64, axis = 1 : i64, largest = true} : tensor<3x4xf32> -> tensor<3x5xf32>, tensor<3x5xi64>
  return %v, %i : tensor<3x5xf32>, tensor<3x5xi64>
}

// -----

func.func @reverse_sequence_axes(%x: tensor<4x4xf32>, %l: tensor<4xi64>) -> tensor<4x4xf32> {
  // expected-error @+1 {{batch_axis and time_axis must be 0 and 1}}
  %0 = nuri.reverse_sequence %x, %l {batch_axis = 1 : i64, time_axis = 1 : i64} : tensor<4x4xf32>, tensor<4xi64> -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}
