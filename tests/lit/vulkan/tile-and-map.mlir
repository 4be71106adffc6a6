// RUN: nuri-opt %s -pass-pipeline="builtin.module(func.func(nuri-to-linalg),canonicalize,nuri-form-dispatches,symbol-dce,nuri-vulkan-kernel-abi,func.func(nuri-gpu-tile))" | FileCheck %s --check-prefix=TILE
// RUN: nuri-opt %s -pass-pipeline="builtin.module(func.func(nuri-to-linalg),canonicalize,nuri-form-dispatches,symbol-dce,nuri-vulkan-kernel-abi,func.func(nuri-gpu-tile,canonicalize,cse),eliminate-empty-tensors,one-shot-bufferize,func.func(canonicalize,cse,nuri-gpu-map-to-launch{private-space=spirv-function}))" | FileCheck %s --check-prefix=MAP
// RUN: nuri-opt %s -pass-pipeline="builtin.module(func.func(nuri-to-linalg),canonicalize,nuri-form-dispatches,symbol-dce,nuri-vulkan-kernel-abi,func.func(nuri-gpu-tile,canonicalize,cse),eliminate-empty-tensors,one-shot-bufferize,func.func(canonicalize,cse,nuri-gpu-map-to-launch{private-space=spirv-function},nuri-gpu-thread-loops,canonicalize,convert-linalg-to-loops,fold-memref-alias-ops,lower-affine,canonicalize,cse,nuri-vulkan-math,convert-math-to-spirv),gpu-launch-sink-index-computations,gpu-kernel-outlining,nuri-vulkan-entry-points,convert-gpu-to-spirv{use-64bit-index=false},spirv.module(spirv-lower-abi-attrs,spirv-update-vce))" | FileCheck %s --check-prefix=SPIRV

// The kernel ABI: inputs then the result as memrefs, and the preset's target env.
// TILE: module attributes {gpu.container_module, nuri.vulkan_fallback = {}, spirv.target_env = #spirv.target_env<#spirv.vce<v1.3, [Shader, Int64, Int16, StorageBuffer16BitAccess, Int8, StorageBuffer8BitAccess, Float16]
// TILE-LABEL: func.func @dispatch_0(%arg0: memref<64x128xf32>, %arg1: memref<128x256xf32>, %arg2: memref<256xf32>, %arg3: memref<64x256xf32>)
// Matmul + bias + relu in one kernel: 64x64 outputs per workgroup (a 4x4
// register tile per thread, 16x16 threads)...
// TILE-SAME: nuri.gpu.block = array<i64: 16, 16, 1>
// TILE: scf.forall (%{{.*}}, %{{.*}}) in (1, 4)
// TILE: scf.forall (%{{.*}}, %{{.*}}) in (16, 16)
// ...each thread's matmul tile fused into its epilogue.
// TILE: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x128xf32>, tensor<128x4xf32>)
// TILE: linalg.generic
// TILE: } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
// TILE: } {mapping = [#gpu.block<y>, #gpu.block<x>]}

// One launch; the thread's matmul tile lives in private (Function) memory
// and the epilogue writes straight into the result binding.
// MAP-LABEL: func.func @dispatch_0
// MAP: gpu.launch blocks({{.*}}) in ({{.*}} = %c4{{(_[0-9]+)?}}, {{.*}} = %c1{{(_[0-9]+)?}}, {{.*}} = %c1{{(_[0-9]+)?}}) threads({{.*}}) in ({{.*}} = %c16{{(_[0-9]+)?}}, {{.*}} = %c16{{(_[0-9]+)?}}, {{.*}} = %c1{{(_[0-9]+)?}})
// MAP: memref.subview %arg3
// MAP: memref.alloca() : memref<4x4xf32, #spirv.storage_class<Function>>
// MAP: linalg.matmul
// MAP-NOT: memref.alloc(
// MAP-NOT: memref.copy

// The shader: descriptor set 0, bindings 0..3 in the dispatch's order, and
// the workgroup size of the mapping.
// SPIRV: spirv.module @__spv__dispatch_0_kernel Logical GLSL450
// SPIRV: spirv.GlobalVariable @dispatch_0_kernel_arg_0 bind(0, 0) : !spirv.ptr<!spirv.struct<(!spirv.array<8192 x f32, stride=4> [0])>, StorageBuffer>
// SPIRV: spirv.GlobalVariable @dispatch_0_kernel_arg_3 bind(0, 3)
// SPIRV: spirv.Variable : !spirv.ptr<!spirv.struct<(!spirv.array<16 x f32>)>, Function>
// One K loop per thread, its 4x4 register tile unrolled into 16 multiply-adds
// (nuri-gpu-thread-loops), the fill and epilogue loops unrolled too.
// SPIRV: spirv.mlir.loop
// SPIRV-COUNT-16: spirv.FMul
// SPIRV-NOT: spirv.mlir.loop
// SPIRV: spirv.GL.FMax
// SPIRV: spirv.ExecutionMode @dispatch_0_kernel "LocalSize", 16, 16, 1

func.func @main(%x: tensor<64x128xf32>, %w: tensor<128x256xf32>, %b: tensor<256xf32>) -> tensor<64x256xf32> {
    %0 = nuri.matmul %x, %w : tensor<64x128xf32>, tensor<128x256xf32> -> tensor<64x256xf32>
    %1 = nuri.add %0, %b : tensor<64x256xf32>, tensor<256xf32> -> tensor<64x256xf32>
    %2 = nuri.relu %1 : tensor<64x256xf32>
    return %2 : tensor<64x256xf32>
}
