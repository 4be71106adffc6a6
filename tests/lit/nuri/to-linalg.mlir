// RUN: nuri-opt %s -pass-pipeline='builtin.module(func.func(nuri-to-linalg))' | FileCheck %s

// Broadcasting becomes indexing maps: the bias reads d1 only.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d4, d2 * 2 + d5, d3 * 2 + d6)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d5, d6, d1)>
// CHECK-LABEL: func @bias_relu
// CHECK: %[[MM:.*]] = linalg.matmul ins(%arg0, %arg1 : tensor<4x8xf32>, tensor<8x16xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]]
// CHECK-SAME: ins(%[[MM]], %arg2
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK: arith.maximumf
func.func @bias_relu(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>, %b: tensor<16xf32>) -> tensor<4x16xf32> {
  %0 = nuri.matmul %x, %w : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  %1 = nuri.add %0, %b : tensor<4x16xf32>, tensor<16xf32> -> tensor<4x16xf32>
  %2 = nuri.relu %1 : tensor<4x16xf32>
  return %2 : tensor<4x16xf32>
}

// Padding is explicit: a conv with pads becomes a filled buffer with the input
// inserted (its own dispatch later), then a generic convolution over
// filters-last weights (a transpose; folded when the weights are constant),
// then the bias add.
// CHECK-LABEL: func @conv
// CHECK: %[[Z:.*]] = linalg.fill {{.*}} -> tensor<1x3x10x10xf32>
// CHECK: %[[P:.*]] = tensor.insert_slice %arg0 into %[[Z]][0, 0, 1, 1] [1, 3, 8, 8] [1, 1, 1, 1]
// CHECK: %[[T:.*]] = linalg.transpose ins(%arg1 : tensor<4x3x3x3xf32>) {{.*}} permutation = [1, 2, 3, 0]
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[W]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%[[P]], %[[T]]
// CHECK: nuri.conv
// CHECK: linalg.generic
// CHECK: arith.addf
func.func @conv(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x4x4xf32> {
  %0 = nuri.conv %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}

// Softmax: max, exp(x - max), sum, divide.
// CHECK-LABEL: func @softmax
// CHECK: linalg.reduce
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: linalg.reduce
// CHECK: arith.addf
// CHECK: arith.divf
func.func @softmax(%x: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %0 = nuri.softmax %x {axis = 1 : i64} : tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// Float8 casts are software conversions on the f32 bits (LLVM has no float8
// arithmetic): non-saturating E5M2 sends overflow to infinity (0x7C), NaN is
// 0x7E; the byte becomes the float8 with arith.bitcast, and back.
// CHECK-LABEL: func @cast_float8
// CHECK-DAG: %[[INF:.*]] = arith.constant 124 : i32
// CHECK-DAG: %[[NAN:.*]] = arith.constant 126 : i32
// CHECK: linalg.generic
// CHECK:   arith.bitcast %{{.*}} : f32 to i32
// CHECK:   arith.ori %{{.*}}, %[[INF]] : i32
// CHECK:   arith.select %{{.*}}, %[[NAN]], %{{.*}} : i32
// CHECK:   %[[B:.*]] = arith.bitcast %{{.*}} : i8 to f8E5M2
// CHECK:   linalg.yield %[[B]] : f8E5M2
// CHECK: linalg.generic
// CHECK:   arith.bitcast %{{.*}} : f8E5M2 to i8
func.func @cast_float8(%x: tensor<4xf32>) -> tensor<4xf32> {
  %a = nuri.cast %x {saturate = false, to = f8E5M2} : tensor<4xf32> -> tensor<4xf8E5M2>
  %b = nuri.cast %a {to = f32} : tensor<4xf8E5M2> -> tensor<4xf32>
  return %b : tensor<4xf32>
}
