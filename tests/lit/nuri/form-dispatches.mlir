// RUN: nuri-opt %s -pass-pipeline='builtin.module(func.func(nuri-to-linalg),canonicalize,nuri-form-dispatches)' | FileCheck %s

// The matmul, its bias add and relu fuse into one dispatch; the transpose
// of the activation is its own dispatch; the reshape stays on the host.
// CHECK-LABEL: func.func private @dispatch_0
// CHECK-SAME: nuri.nodes = ["t"]
// CHECK: linalg.transpose
// CHECK-LABEL: func.func private @dispatch_1
// CHECK-SAME: nuri.nodes = ["mm",
// CHECK: linalg.matmul
// CHECK: linalg.generic
// CHECK-NOT: linalg.generic
// CHECK: return
// CHECK-LABEL: func.func @main
// CHECK: %[[T:.*]] = call @dispatch_0(%arg0)
// CHECK: %[[Y:.*]] = call @dispatch_1(%[[T]]
// CHECK: tensor.collapse_shape %[[Y]]
func.func @main(%x: tensor<8x4xf32>) -> tensor<64xf32> {
  %w = nuri.constant dense<0.5> : tensor<8x8xf32> loc("w")
  %b = nuri.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]> : tensor<8xf32> loc("b")
  %t = nuri.transpose %x {perm = array<i64: 1, 0>} : tensor<8x4xf32> -> tensor<4x8xf32> loc("t")
  %0 = nuri.matmul %t, %w : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32> loc("mm")
  %1 = nuri.add %0, %b : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32> loc("bias")
  %2 = nuri.relu %1 : tensor<4x8xf32> loc("act")
  %3 = nuri.reshape %2 : tensor<4x8xf32> -> tensor<32xf32> loc("r")
  %4 = nuri.concat %3, %3 {axis = 0 : i64} : (tensor<32xf32>, tensor<32xf32>) -> tensor<64xf32> loc("cat")
  return %4 : tensor<64xf32>
}
