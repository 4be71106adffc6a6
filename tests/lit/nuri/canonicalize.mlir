// RUN: nuri-opt %s -canonicalize | FileCheck %s

// Reshapes of reshapes collapse to one; a reshape to the same type vanishes.
// CHECK-LABEL: func @reshapes
// CHECK-NEXT: %[[R:.*]] = nuri.reshape %arg0 : tensor<2x3x4xf32> -> tensor<24xf32>
// CHECK-NEXT: return %[[R]]
func.func @reshapes(%x: tensor<2x3x4xf32>) -> tensor<24xf32> {
  %0 = nuri.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %1 = nuri.reshape %0 : tensor<6x4xf32> -> tensor<24xf32>
  %2 = nuri.reshape %1 : tensor<24xf32> -> tensor<24xf32>
  return %2 : tensor<24xf32>
}

// Two transposes compose; the identity permutation folds away.
// CHECK-LABEL: func @transposes
// CHECK-NEXT: return %arg0
func.func @transposes(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = nuri.transpose %x {perm = array<i64: 2, 0, 1>} : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  %1 = nuri.transpose %0 {perm = array<i64: 1, 2, 0>} : tensor<4x2x3xf32> -> tensor<2x3x4xf32>
  return %1 : tensor<2x3x4xf32>
}

// Constant operands fold, with broadcasting (the BatchNormalization case).
// CHECK-LABEL: func @fold_constants
// CHECK-NEXT: %[[C:.*]] = nuri.constant dense<[1.250000e+00, 2.500000e+00]> : tensor<2xf32>
// CHECK-NEXT: return %[[C]]
func.func @fold_constants() -> tensor<2xf32> {
  %a = nuri.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %b = nuri.constant dense<0.25> : tensor<f32>
  %c = nuri.mul %a, %b : tensor<2xf32>, tensor<f32> -> tensor<2xf32>
  %d = nuri.add %c, %a : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
  return %d : tensor<2xf32>
}

// Broadcasting shapes are inferred; incompatible ones are rejected.
// CHECK-LABEL: func @broadcast
// CHECK: nuri.add %arg0, %arg1 : tensor<2x1x4xf32>, tensor<3x1xf32> -> tensor<2x3x4xf32>
func.func @broadcast(%x: tensor<2x1x4xf32>, %y: tensor<3x1xf32>) -> tensor<2x3x4xf32> {
  %0 = nuri.add %x, %y : tensor<2x1x4xf32>, tensor<3x1xf32> -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}
