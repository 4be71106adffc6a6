// RUN: nuri-opt %s -pass-pipeline="builtin.module(func.func(nuri-to-linalg),canonicalize,nuri-form-dispatches,symbol-dce,nuri-cuda-kernel-abi,func.func(nuri-gpu-tile,canonicalize,cse),eliminate-empty-tensors,one-shot-bufferize,func.func(canonicalize,cse,nuri-gpu-map-to-launch,nuri-gpu-stage-operands,nuri-gpu-thread-loops,canonicalize,convert-linalg-to-loops,fold-memref-alias-ops,lower-affine,canonicalize,cse,nuri-cuda-math,canonicalize),gpu-launch-sink-index-computations,gpu-kernel-outlining)" | FileCheck %s --check-prefix=LAUNCH
// RUN: nuri-opt %s -pass-pipeline="builtin.module(func.func(nuri-to-linalg),canonicalize,nuri-form-dispatches,symbol-dce,nuri-cuda-kernel-abi,func.func(nuri-gpu-tile,canonicalize,cse),eliminate-empty-tensors,one-shot-bufferize,func.func(canonicalize,cse,nuri-gpu-map-to-launch,nuri-gpu-stage-operands,nuri-gpu-thread-loops,canonicalize,convert-linalg-to-loops,fold-memref-alias-ops,lower-affine,canonicalize,cse,nuri-cuda-math,canonicalize),gpu-launch-sink-index-computations,gpu-kernel-outlining,gpu-lower-to-nvvm-pipeline{cubin-chip=sm_80 cubin-features=+ptx80 cubin-format=isa kernel-bare-ptr-calling-convention=1})" | FileCheck %s --check-prefix=PTX

// The same tiling as vulkan (targets/gpu); thread tiles in the default
// space (NVVM's local memory), GELU's erf as a polynomial (no libdevice).
// LAUNCH: gpu.launch_func @dispatch_0_kernel::@dispatch_0_kernel blocks in (%{{.*}}, %{{.*}}, %{{.*}}) threads in (%{{.*}}, %{{.*}}, %{{.*}}) args(%arg0 : memref<64x128xf32>, %arg1 : memref<128x256xf32>, %arg2 : memref<256xf32>, %arg3 : memref<64x256xf32>)
// The operands' shared 64x16 / 16x64 chunks in workgroup attributions
// (NVVM's shared memory).
// LAUNCH: gpu.func @dispatch_0_kernel({{.*}}) workgroup(%{{.*}} : memref<{{(64x16|16x64)}}xf32, #gpu.address_space<workgroup>>, %{{.*}} : memref<{{(64x16|16x64)}}xf32, #gpu.address_space<workgroup>>) kernel
// LAUNCH-SAME: attributes {known_block_size = array<i32: 16, 16, 1>, known_grid_size = array<i32: 4, 1, 1>}
// LAUNCH: memref.alloca() : memref<4x4xf32>
// LAUNCH: gpu.barrier
// LAUNCH-NOT: math.erf

// PTX for sm_80, one pointer parameter per binding, 16x16 threads.
// PTX: gpu.binary @dispatch_0_kernel
// PTX-SAME: .target sm_80
// PTX-SAME: .visible .entry dispatch_0_kernel(
// PTX-SAME: .param .u64 .ptr .align 1 dispatch_0_kernel_param_3
// PTX-SAME: .maxntid 16, 16, 1
// PTX-SAME: .shared .align 4 .b8 {{.*}}[4096]
// PTX-SAME: bar.sync
// PTX-SAME: ld.shared.
// PTX-SAME: {{(fma|mul)}}.rn.f32
// PTX-NOT: __nv_

func.func @main(%x: tensor<64x128xf32>, %w: tensor<128x256xf32>, %b: tensor<256xf32>) -> tensor<64x256xf32> {
    %0 = nuri.matmul %x, %w : tensor<64x128xf32>, tensor<128x256xf32> -> tensor<64x256xf32>
    %1 = nuri.add %0, %b : tensor<64x256xf32>, tensor<256xf32> -> tensor<64x256xf32>
    %2 = nuri.gelu %1 {tanh_approximation = false} : tensor<64x256xf32>
    return %2 : tensor<64x256xf32>
}
