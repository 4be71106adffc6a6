// RUN: nuri-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(nuri-to-linalg),canonicalize,nuri-form-dispatches,symbol-dce,nuri-vulkan-kernel-abi{preset=generic},func.func(nuri-gpu-tile,canonicalize,cse),eliminate-empty-tensors,one-shot-bufferize,func.func(canonicalize,cse,nuri-gpu-map-to-launch{private-space=spirv-function},nuri-gpu-stage-operands{workgroup-space=spirv-workgroup}))" | FileCheck %s --check-prefix=STAGE
// RUN: nuri-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(nuri-to-linalg),canonicalize,nuri-form-dispatches,symbol-dce,nuri-vulkan-kernel-abi{preset=generic},func.func(nuri-gpu-tile,canonicalize,cse),eliminate-empty-tensors,one-shot-bufferize,func.func(canonicalize,cse,nuri-gpu-map-to-launch{private-space=spirv-function},nuri-gpu-stage-operands{workgroup-space=spirv-workgroup},nuri-gpu-thread-loops,canonicalize,convert-linalg-to-loops,fold-memref-alias-ops,lower-affine,canonicalize,cse,nuri-vulkan-math,convert-math-to-spirv),gpu-launch-sink-index-computations,gpu-kernel-outlining,nuri-vulkan-entry-points,convert-gpu-to-spirv{use-64bit-index=false},spirv.module(spirv-lower-abi-attrs,spirv-update-vce))" | FileCheck %s --check-prefix=SPIRV
// RUN: not nuri-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(nuri-gpu-stage-operands{workgroup-space=shared}))" 2>&1 | FileCheck %s --check-prefix=BAD

// A 64x64 matmul tile (16x16 threads of 4x4): K=128 in chunks of 16; per
// chunk the workgroup copies A's 64x16 and B's 16x64 (1024 elements each, 4
// per thread) into workgroup memory between two barriers, and each thread's
// tile reads its rows and columns from there. The accumulator stays private.
// STAGE-LABEL: func.func @dispatch_0
// STAGE-DAG: %[[B:.*]] = memref.alloc() : memref<16x64xf32, #spirv.storage_class<Workgroup>>
// STAGE-DAG: %[[A:.*]] = memref.alloc() : memref<64x16xf32, #spirv.storage_class<Workgroup>>
// STAGE: memref.alloca() : memref<4x4xf32, #spirv.storage_class<Function>>
// STAGE: scf.for %[[K:.*]] = %{{.*}} to %c128{{.*}} step %c16
// STAGE-NEXT: gpu.barrier
// STAGE: scf.for %{{.*}} = %{{.*}} to %c4
// STAGE: memref.load %arg0
// STAGE: memref.store %{{.*}}, %[[A]]
// STAGE: scf.for %{{.*}} = %{{.*}} to %c4
// STAGE: memref.store %{{.*}}, %[[B]]
// STAGE: gpu.barrier
// STAGE: memref.subview %[[A]][%{{.*}}, 0] [4, 16]
// STAGE: memref.subview %[[B]][0, %{{.*}}] [16, 4]
// STAGE: linalg.matmul ins(%{{.*}}, %{{.*}} : memref<4x16xf32, {{.*}}#spirv.storage_class<Workgroup>>, memref<16x4xf32, {{.*}}#spirv.storage_class<Workgroup>>) outs(%{{.*}} : memref<4x4xf32, #spirv.storage_class<Function>>)
// STAGE: linalg.generic

// The shader: two Workgroup arrays, barriers between the copy and the math.
// SPIRV-LABEL: spirv.module @__spv__dispatch_0_kernel
// SPIRV-DAG: spirv.GlobalVariable @{{.*}} : !spirv.ptr<!spirv.struct<(!spirv.array<1024 x f32>)>, Workgroup>
// SPIRV-DAG: spirv.GlobalVariable @{{.*}} : !spirv.ptr<!spirv.struct<(!spirv.array<1024 x f32>)>, Workgroup>
// SPIRV: spirv.ControlBarrier <Workgroup>, <Workgroup>, <AcquireRelease|WorkgroupMemory>
// SPIRV: spirv.Load "Workgroup"

// BAD: nuri-gpu-stage-operands: workgroup-space must be spirv-workgroup or gpu

func.func @main(%x: tensor<64x128xf32>, %w: tensor<128x256xf32>, %b: tensor<256xf32>) -> tensor<64x256xf32> {
    %0 = nuri.matmul %x, %w : tensor<64x128xf32>, tensor<128x256xf32> -> tensor<64x256xf32>
    %1 = nuri.add %0, %b : tensor<64x256xf32>, tensor<256xf32> -> tensor<64x256xf32>
    return %1 : tensor<64x256xf32>
}

// -----

// A convolution: the chunked reduction is the input channels (the window
// dims index the input as oh+kh). Per chunk of 4 channels: the workgroup's
// 4x10x10 input window and the 4x3x3x64 weights (its 64 filters).
// STAGE-LABEL: func.func @dispatch_1
// STAGE-DAG: memref.alloc() : memref<4x3x3x64xf32, #spirv.storage_class<Workgroup>>
// STAGE-DAG: %[[X:.*]] = memref.alloc() : memref<1x4x10x10xf32, #spirv.storage_class<Workgroup>>
// STAGE: scf.for %{{.*}} = %{{.*}} to %c32{{.*}} step %c4
// STAGE: memref.load %arg0{{.*}} : memref<1x32x10x10xf32>
// STAGE: memref.subview %[[X]][0, 0, %{{.*}}, %{{.*}}] [1, 4, 6, 6]
// STAGE: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : memref<1x4x6x6xf32, {{.*}}Workgroup>>, memref<4x3x3x1xf32, {{.*}}Workgroup>>) {{.*}} attrs =  {nuri.conv}

func.func @main(%x: tensor<1x32x10x10xf32>, %w: tensor<64x32x3x3xf32>) -> tensor<1x64x8x8xf32> {
  %0 = nuri.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x32x10x10xf32>, tensor<64x32x3x3xf32>) -> tensor<1x64x8x8xf32>
  return %0 : tensor<1x64x8x8xf32>
}

// -----

// A workgroup of 56x56 outputs of one filter: a channel of its input window
// (58x58, 13 KiB) would leave fewer than 4 channels per chunk, so the input
// stays in global memory; the weights, one filter's for all threads, are not
// a shared region either (every thread reads all of it). Nothing is staged.
// STAGE-LABEL: func.func @dispatch_1
// STAGE-NOT: Workgroup
// STAGE: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : memref<1x64x6x6xf32, strided<[215296, 3364, 58, 1], offset: ?>>, memref<64x3x3x1xf32, strided<[576, 192, 64, 1], offset: ?>>)
// STAGE-NOT: Workgroup

func.func @main(%x: tensor<1x64x58x58xf32>, %w: tensor<64x64x3x3xf32>) -> tensor<1x64x56x56xf32> {
  %0 = nuri.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x64x58x58xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x56x56xf32>
  return %0 : tensor<1x64x56x56xf32>
}
