// RUN: nuri-opt %s -pass-pipeline='builtin.module(func.func(nuri-to-linalg))' | FileCheck %s

// Indexing maps print first: einsum diagonal and batch matmul, the LRN
// channel window, the 3-D pooling window.
// CHECK-DAG: #[[DIAG:.*]] = affine_map<(d0, d1) -> (d0, d1, d1)>
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
// CHECK-DAG: #[[WIN:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 + d4, d2, d3)>
// CHECK-DAG: #[[IN3:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d2 * 2 + d5, d3 * 2 + d6, d4 * 2 + d7)>

// Resize: per resized dimension a constant table of source indices (here
// nearest/asymmetric/floor: 0 0 1 1), read through the dimension's loop; the
// unresized N and C dimensions read their own loop index.
// CHECK-LABEL: func @resize_nearest
// CHECK: %[[T:.*]] = arith.constant dense<[0, 0, 1, 1]> : tensor<4xi32>
// CHECK: linalg.generic {{.*}} ins(%[[T]], %[[T]] : tensor<4xi32>, tensor<4xi32>)
// CHECK: %[[N:.*]] = linalg.index 0
// CHECK: %[[C:.*]] = linalg.index 1
// CHECK: tensor.extract %arg0[%[[N]], %[[C]], %{{.*}}, %{{.*}}] : tensor<1x1x2x2xf32>
// CHECK-NOT: arith.mulf
// CHECK: linalg.yield
func.func @resize_nearest(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %0 = nuri.resize %x {sizes = array<i64: 1, 1, 4, 4>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, roi = array<f64>, mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor", cubic_coeff_a = -7.5e-01 : f32, exclude_outside = false, extrapolation_value = 0.0 : f32} : tensor<1x1x2x2xf32> -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// Linear: two taps per dimension, each an index table and a weight table;
// half_pixel 2x upsampling reads 0,0,0,1 / 0,1,1,1 with weights 1/4, 3/4.
// CHECK-LABEL: func @resize_linear
// CHECK-DAG: arith.constant dense<[0, 0, 0, 1]> : tensor<4xi32>
// CHECK-DAG: arith.constant dense<[0, 1, 1, 1]> : tensor<4xi32>
// CHECK-DAG: arith.constant dense<[2.500000e-01, 7.500000e-01, 2.500000e-01, 7.500000e-01]> : tensor<4xf32>
// CHECK-DAG: arith.constant dense<[7.500000e-01, 2.500000e-01, 7.500000e-01, 2.500000e-01]> : tensor<4xf32>
// CHECK: linalg.generic
// CHECK-COUNT-4: tensor.extract %arg0
// CHECK: linalg.yield
func.func @resize_linear(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %0 = nuri.resize %x {sizes = array<i64: 1, 1, 4, 4>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, roi = array<f64>, mode = "linear", coordinate_transformation_mode = "half_pixel", nearest_mode = "round_prefer_floor", cubic_coeff_a = -7.5e-01 : f32, exclude_outside = false, extrapolation_value = 0.0 : f32} : tensor<1x1x2x2xf32> -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// ConvTranspose: the input spread by the strides into a zero tensor (a strided
// insert_slice) padded by (k - 1) * d - pad, then a direct convolution over
// reversed, channel-swapped weights, then the bias.
// CHECK-LABEL: func @conv_transpose
// CHECK: %[[Z:.*]] = linalg.fill {{.*}} -> tensor<1x2x8x8xf32>
// CHECK: %[[S:.*]] = tensor.insert_slice %arg0 into %[[Z]][0, 0, 1, 1] [1, 2, 3, 3] [1, 1, 2, 2]
// CHECK: arith.subi %c2
// CHECK: tensor.extract {{.*}} : tensor<1x2x3x3x3xf32>
// CHECK: linalg.generic {{.*}} ins(%[[S]], {{.*}} attrs = {nuri.conv}
// CHECK: arith.addf
func.func @conv_transpose(%x: tensor<1x2x3x3xf32>, %w: tensor<2x3x3x3xf32>, %b: tensor<3xf32>) -> tensor<1x3x6x6xf32> {
  %0 = nuri.conv_transpose %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, output_padding = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x3x3xf32>, tensor<2x3x3x3xf32>, tensor<3xf32>) -> tensor<1x3x6x6xf32>
  return %0 : tensor<1x3x6x6xf32>
}

// Einsum: one generic, a loop per label; a repeated label reads the diagonal.
// CHECK-LABEL: func @einsum_diag
// CHECK: linalg.generic {indexing_maps = [#[[DIAG]], {{.*}}], iterator_types = ["parallel", "parallel"]}
func.func @einsum_diag(%x: tensor<3x5x5xf64>) -> tensor<3x5xf64> {
  %0 = nuri.einsum %x {equation = "Aii->Ai"} : (tensor<3x5x5xf64>) -> tensor<3x5xf64>
  return %0 : tensor<3x5xf64>
}

// CHECK-LABEL: func @einsum_bmm
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @einsum_bmm(%x: tensor<5x2x3xf32>, %y: tensor<5x3x4xf32>) -> tensor<5x2x4xf32> {
  %0 = nuri.einsum %x, %y {equation = "bij,bjk->bik"} : (tensor<5x2x3xf32>, tensor<5x3x4xf32>) -> tensor<5x2x4xf32>
  return %0 : tensor<5x2x4xf32>
}

// Group norm (InstanceNormalization: a group per channel): statistics over
// [N, G, C/G * spatial], then the per-channel scale and bias.
// CHECK-LABEL: func @instance_norm
// CHECK: tensor.expand_shape {{.*}} output_shape [2, 3, 20]
// CHECK: linalg.reduce {{.*}} dimensions = [2]
// CHECK: linalg.reduce {{.*}} dimensions = [2]
// CHECK: math.rsqrt
// CHECK: linalg.generic
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @instance_norm(%x: tensor<2x3x4x5xf32>, %s: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<2x3x4x5xf32> {
  %0 = nuri.group_norm %x, %s, %b {num_groups = 3 : i64, epsilon = 1.0e-05 : f32} : (tensor<2x3x4x5xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x4x5xf32>
  return %0 : tensor<2x3x4x5xf32>
}

// LRN: squares padded along channels, a window sum over c + k, then the power.
// CHECK-LABEL: func @lrn
// CHECK: tensor.insert_slice {{.*}}[0, 1, 0, 0] [1, 5, 2, 2] [1, 1, 1, 1] {{.*}} into tensor<1x7x2x2xf32>
// CHECK: linalg.generic {indexing_maps = [#[[WIN]], {{.*}} "reduction"]
// CHECK: math.powf
func.func @lrn(%x: tensor<1x5x2x2xf32>) -> tensor<1x5x2x2xf32> {
  %0 = nuri.lrn %x {size = 3 : i64, alpha = 1.0e-04 : f32, beta = 7.5e-01 : f32, bias = 1.0 : f32} : tensor<1x5x2x2xf32>
  return %0 : tensor<1x5x2x2xf32>
}

// Indexed max pooling: values and flat indices as two accumulators of one
// generic; unsigned values compare unsigned.
// CHECK-LABEL: func @max_pool_indexed
// CHECK: tensor.bitcast %arg0 : tensor<1x1x4x4xui8> to tensor<1x1x4x4xi8>
// CHECK: %{{.*}}:2 = linalg.generic
// CHECK: arith.cmpi ugt
// CHECK: linalg.yield %{{.*}}, %{{.*}} : i8, i64
func.func @max_pool_indexed(%x: tensor<1x1x4x4xui8>) -> (tensor<1x1x2x2xui8>, tensor<1x1x2x2xi64>) {
  %0, %1 = nuri.max_pool_indexed %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false, storage_order = 0 : i64} : tensor<1x1x4x4xui8> -> tensor<1x1x2x2xui8>, tensor<1x1x2x2xi64>
  return %0, %1 : tensor<1x1x2x2xui8>, tensor<1x1x2x2xi64>
}

// MaxUnpool: a loop scattering each value into a zero tensor.
// CHECK-LABEL: func @max_unpool
// CHECK: linalg.fill {{.*}} -> tensor<16xf32>
// CHECK: scf.for {{.*}} -> (tensor<16xf32>)
// CHECK: tensor.insert
func.func @max_unpool(%x: tensor<1x1x2x2xf32>, %i: tensor<1x1x2x2xi64>) -> tensor<1x1x4x4xf32> {
  %0 = nuri.max_unpool %x, %i {index_shape = array<i64: 1, 1, 4, 4>} : tensor<1x1x2x2xf32>, tensor<1x1x2x2xi64> -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// 3-D pooling: a generic over (n, c, od, oh, ow, kd, kh, kw).
// CHECK-LABEL: func @max_pool_3d
// CHECK: linalg.generic {indexing_maps = [#[[IN3]], {{.*}} "reduction", "reduction", "reduction"]
// CHECK: arith.maximumf
func.func @max_pool_3d(%x: tensor<1x2x4x4x4xf32>) -> tensor<1x2x2x2x2xf32> {
  %0 = nuri.max_pool %x {kernel_shape = array<i64: 2, 2, 2>, strides = array<i64: 2, 2, 2>, pads = array<i64: 0, 0, 0, 0, 0, 0>, dilations = array<i64: 1, 1, 1>, ceil_mode = false, count_include_pad = false} : tensor<1x2x4x4x4xf32> -> tensor<1x2x2x2x2xf32>
  return %0 : tensor<1x2x2x2x2xf32>
}

// CHECK-LABEL: func @lp_pool
// CHECK: linalg.generic
// CHECK: math.absf
// CHECK: arith.mulf
// CHECK: linalg.generic
// CHECK: math.sqrt
func.func @lp_pool(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x3x3xf32> {
  %0 = nuri.lp_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false, p = 2 : i64} : tensor<1x1x4x4xf32> -> tensor<1x1x3x3xf32>
  return %0 : tensor<1x1x3x3xf32>
}
