// RUN: nuri-opt %s -split-input-file -verify-diagnostics

func.func @resize_bad_mode(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  // expected-error @+1 {{unknown mode 'bicubic'}}
  %0 = nuri.resize %x {sizes = array<i64: 1, 1, 4, 4>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, roi = array<f64>, mode = "bicubic", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor", cubic_coeff_a = -7.5e-01 : f32, exclude_outside = false, extrapolation_value = 0.0 : f32} : tensor<1x1x2x2xf32> -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

func.func @resize_roi(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  // expected-error @+1 {{roi must hold 2 * rank values}}
  %0 = nuri.resize %x {sizes = array<i64: 1, 1, 4, 4>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, roi = array<f64: 0.0, 1.0>, mode = "linear", coordinate_transformation_mode = "tf_crop_and_resize", nearest_mode = "floor", cubic_coeff_a = -7.5e-01 : f32, exclude_outside = false, extrapolation_value = 0.0 : f32} : tensor<1x1x2x2xf32> -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

func.func @resize_linear_int(%x: tensor<1x1x2x2xi32>) -> tensor<1x1x4x4xi32> {
  // expected-error @+1 {{linear and cubic modes need a float element type}}
  %0 = nuri.resize %x {sizes = array<i64: 1, 1, 4, 4>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, roi = array<f64>, mode = "linear", coordinate_transformation_mode = "half_pixel", nearest_mode = "floor", cubic_coeff_a = -7.5e-01 : f32, exclude_outside = false, extrapolation_value = 0.0 : f32} : tensor<1x1x2x2xi32> -> tensor<1x1x4x4xi32>
  return %0 : tensor<1x1x4x4xi32>
}

// -----

func.func @conv_transpose_group(%x: tensor<1x3x3x3xf32>, %w: tensor<3x2x3x3xf32>) -> tensor<1x4x5x5xf32> {
  // expected-error @+1 {{do not match group 2}}
  %0 = nuri.conv_transpose %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>, group = 2 : i64} : (tensor<1x3x3x3xf32>, tensor<3x2x3x3xf32>) -> tensor<1x4x5x5xf32>
  return %0 : tensor<1x4x5x5xf32>
}

// -----

func.func @conv_transpose_shape(%x: tensor<1x1x3x3xf32>, %w: tensor<1x1x3x3xf32>) -> tensor<1x1x5x5xf32> {
  // expected-error @+2 {{conv_transpose: output dimension 2 would be -1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nuri.conv_transpose %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 3, 0, 3, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>, group = 1 : i64} : (tensor<1x1x3x3xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x5x5xf32>
  return %0 : tensor<1x1x5x5xf32>
}

// -----

func.func @group_norm_groups(%x: tensor<1x6x4xf32>, %s: tensor<6xf32>, %b: tensor<6xf32>) -> tensor<1x6x4xf32> {
  // expected-error @+1 {{num_groups 4 does not divide the 6 channels}}
  %0 = nuri.group_norm %x, %s, %b {num_groups = 4 : i64, epsilon = 1.0e-05 : f32} : (tensor<1x6x4xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<1x6x4xf32>
  return %0 : tensor<1x6x4xf32>
}

// -----

func.func @lrn_size(%x: tensor<1x5x2x2xf32>) -> tensor<1x5x2x2xf32> {
  // expected-error @+1 {{size must be positive}}
  %0 = nuri.lrn %x {size = 0 : i64, alpha = 1.0e-04 : f32, beta = 7.5e-01 : f32, bias = 1.0 : f32} : tensor<1x5x2x2xf32>
  return %0 : tensor<1x5x2x2xf32>
}

// -----

func.func @einsum_sizes(%x: tensor<2x3xf32>, %y: tensor<4x5xf32>) -> tensor<2x5xf32> {
  // expected-error @+2 {{einsum: label 'j' has sizes 3 and 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nuri.einsum %x, %y {equation = "ij,jk->ik"} : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @einsum_repeat(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  // expected-error @+1 {{output label 'i' repeats}}
  %0 = nuri.einsum %x {equation = "ij->ii"} : (tensor<2x2xf32>) -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

func.func @max_pool_indexed_order(%x: tensor<1x1x4x4xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>) {
  // expected-error @+1 {{storage_order must be 0 or 1}}
  %0, %1 = nuri.max_pool_indexed %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false, storage_order = 2 : i64} : tensor<1x1x4x4xf32> -> tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>
  return %0, %1 : tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64>
}

// -----

func.func @max_unpool_shape(%x: tensor<1x1x2x2xf32>, %i: tensor<1x1x2x2xi64>) -> tensor<1x2x4x4xf32> {
  // expected-error @+1 {{output must keep the input's rank (>= 3), batch and channels}}
  %0 = nuri.max_unpool %x, %i {index_shape = array<i64: 1, 1, 4, 4>} : tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64> -> tensor<1x2x4x4xf32>
  return %0 : tensor<1x2x4x4xf32>
}
