// RUN: nuri-opt %s -pass-pipeline="builtin.module(nuri-vulkan-kernel-abi{preset=generic})" | FileCheck %s
// RUN: not nuri-opt %s -pass-pipeline="builtin.module(nuri-vulkan-kernel-abi{preset=nvidia})" 2>&1 | FileCheck %s --check-prefix=PRESET

// Dispatches the vulkan path cannot take leave the module with the reason,
// which nuri-compile --report shows; the next target runs them.
// CHECK: nuri.vulkan_fallback = {dispatch_1 = "a tensor of symbolic or run-time shape (the GPU grid is fixed at compile time)", dispatch_2 = "i64 needs the Int64 capability, which the generic preset lacks", dispatch_3 = "a dense constant inside the kernel (GPU kernels take data through buffers)"}
// The generic preset: Vulkan 1.1 shaders with no optional capability.
// CHECK-SAME: spirv.target_env = #spirv.target_env<#spirv.vce<v1.3, [Shader], [SPV_KHR_storage_buffer_storage_class]>, api=Vulkan
// CHECK: func.func @dispatch_0(%arg0: memref<4xf32>, %arg1: memref<4xf32>)
// CHECK-NOT: func.func @dispatch_1
// CHECK-NOT: func.func @main
// PRESET: unknown vulkan preset 'nvidia' (known: lavapipe, generic)

func.func private @dispatch_0(%x: tensor<4xf32>) -> tensor<4xf32> attributes {nuri.nodes = ["neg"]} {
  %0 = tensor.empty() : tensor<4xf32>
  %1 = linalg.negf ins(%x : tensor<4xf32>) outs(%0 : tensor<4xf32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}
func.func private @dispatch_1(%x: tensor<?xf32>) -> tensor<?xf32> attributes {nuri.nodes = ["dyn"]} {
  return %x : tensor<?xf32>
}
func.func private @dispatch_2(%x: tensor<4xi64>) -> tensor<4xi64> attributes {nuri.nodes = ["wide"]} {
  return %x : tensor<4xi64>
}
func.func private @dispatch_3(%x: tensor<4xf32>) -> tensor<4xf32> attributes {nuri.nodes = ["table"]} {
  %c = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %0 = tensor.empty() : tensor<4xf32>
  %1 = linalg.add ins(%x, %c : tensor<4xf32>, tensor<4xf32>) outs(%0 : tensor<4xf32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = call @dispatch_0(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
