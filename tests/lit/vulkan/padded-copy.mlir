// RUN: nuri-opt %s -pass-pipeline="builtin.module(nuri-vulkan-kernel-abi,func.func(nuri-gpu-tile))" | FileCheck %s

// A padded copy (a convolution's zero padding: insert_slice into a fill)
// becomes a linalg.generic that reads the source at its clamped position and
// selects the fill value outside the slice, so it runs as a kernel instead of
// falling back to the host.
// CHECK-LABEL: func.func @dispatch_0
// CHECK: scf.forall
// CHECK: scf.forall
// CHECK: linalg.generic
// CHECK: linalg.index 3
// CHECK: arith.cmpi sge
// CHECK: arith.minsi
// CHECK: tensor.extract
// CHECK: arith.select
// CHECK: } {mapping = [#gpu.thread<z>, #gpu.thread<y>, #gpu.thread<x>]}
// CHECK-NOT: tensor.insert_slice %arg

func.func private @dispatch_0(%arg0: tensor<1x8x6x6xf32>) -> tensor<1x8x8x8xf32> attributes {nuri.nodes = ["pad"]} {
  %cst = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<1x8x8x8xf32>
  %1 = linalg.fill ins(%cst : f32) outs(%0 : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %2 = tensor.insert_slice %arg0 into %1[0, 0, 1, 1] [1, 8, 6, 6] [1, 1, 1, 1] : tensor<1x8x6x6xf32> into tensor<1x8x8x8xf32>
  return %2 : tensor<1x8x8x8xf32>
}
