// RUN: nuri-opt %s -nuri-cpu-kernel-abi | FileCheck %s

// Tensor dispatches become memref kernels: workgroup id and count first,
// inputs read with to_tensor, results written in place; @main is dropped.
// CHECK-NOT: func.func @main
// CHECK-LABEL: func.func @dispatch_0(%arg0: index, %arg1: index, %arg2: memref<4xf32>, %arg3: memref<4xf32>)
// CHECK-SAME: nuri.nodes = ["relu"]
// CHECK: %[[T:.*]] = bufferization.to_tensor %arg2 restrict
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%[[T]]
// CHECK: bufferization.materialize_in_destination %[[R]] in restrict writable %arg3
// CHECK: return
#map = affine_map<(d0) -> (d0)>
func.func private @dispatch_0(%arg0: tensor<4xf32>) -> tensor<4xf32> attributes {nuri.nodes = ["relu"]} {
  %cst = arith.constant 0.0 : f32
  %0 = tensor.empty() : tensor<4xf32>
  %1 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]} ins(%arg0 : tensor<4xf32>) outs(%0 : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %2 = arith.maximumf %in, %cst : f32
    linalg.yield %2 : f32
  } -> tensor<4xf32>
  return %1 : tensor<4xf32>
}
func.func @main(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  %0 = call @dispatch_0(%arg0) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
