// RUN: nuri-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(nuri-to-linalg),canonicalize,nuri-form-dispatches,symbol-dce,nuri-vulkan-kernel-abi{preset=generic},func.func(nuri-gpu-tile{workgroup-space=spirv-workgroup},canonicalize,cse),eliminate-empty-tensors,one-shot-bufferize,func.func(canonicalize,cse,nuri-gpu-map-to-launch{private-space=spirv-function}))" | FileCheck %s --check-prefix=MAP
// RUN: nuri-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(nuri-to-linalg),canonicalize,nuri-form-dispatches,symbol-dce,nuri-vulkan-kernel-abi{preset=generic},func.func(nuri-gpu-tile{workgroup-space=spirv-workgroup workgroup-reductions=false}))" | FileCheck %s --check-prefix=OFF
// RUN: nuri-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(nuri-to-linalg),canonicalize,nuri-form-dispatches,symbol-dce,nuri-vulkan-kernel-abi{preset=generic},func.func(nuri-gpu-tile{workgroup-space=spirv-workgroup},canonicalize,cse),eliminate-empty-tensors,one-shot-bufferize,func.func(canonicalize,cse,nuri-gpu-map-to-launch{private-space=spirv-function},nuri-gpu-thread-loops,canonicalize,convert-linalg-to-loops,fold-memref-alias-ops,lower-affine,canonicalize,cse,nuri-vulkan-math,convert-math-to-spirv),gpu-launch-sink-index-computations,gpu-kernel-outlining,nuri-vulkan-entry-points,convert-gpu-to-spirv{use-64bit-index=false},spirv.module(spirv-lower-abi-attrs,spirv-update-vce))" | FileCheck %s --check-prefix=SPIRV
// RUN: nuri-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(nuri-to-linalg),canonicalize,nuri-form-dispatches,symbol-dce,nuri-cuda-kernel-abi,func.func(nuri-gpu-tile,canonicalize,cse),eliminate-empty-tensors,one-shot-bufferize,func.func(canonicalize,cse,nuri-gpu-map-to-launch))" | FileCheck %s --check-prefix=CUDA
// RUN: not nuri-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(nuri-gpu-tile{workgroup-space=local}))" 2>&1 | FileCheck %s --check-prefix=BAD

// A sum over rows of 512: one row per workgroup (8 of them), 64 threads.
// Each thread fills and reduces its own partial (8 elements) in workgroup
// memory; a tree of thread loops halves the partials (32, 16, ..., 1
// threads, a barrier after each); thread 0 alone fills the result and folds
// the last partial into it.
// MAP-LABEL: func.func @dispatch_0(%arg0: memref<8x512xf32>, %arg1: memref<8xf32>)
// MAP: gpu.launch blocks({{.*}}) in ({{.*}} = %c8{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}) threads({{.*}}) in ({{.*}} = %c64{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}})
// MAP-DAG: memref.alloc() {{.*}} : memref<1x64xf32, #spirv.storage_class<Workgroup>>
// MAP-DAG: memref.alloc() {{.*}} : memref<1x32xf32, #spirv.storage_class<Workgroup>>
// MAP-DAG: memref.alloc() {{.*}} : memref<1x1xf32, #spirv.storage_class<Workgroup>>
// MAP: %[[OUT:.*]] = memref.subview %arg1[%block_id_x] [1] [1]
// MAP: arith.cmpi ult, %{{.*}}, %c1
// MAP-NEXT: scf.if
// MAP-NEXT: linalg.fill ins(%{{.*}} : f32) outs(%[[OUT]]
// MAP: gpu.barrier
// MAP: memref.subview %{{.*}}[0, %{{.*}}] [1, 8] [1, 1] : memref<1x512xf32
// MAP: %[[MINE:.*]] = memref.subview %{{.*}}[0, %thread_id_x{{.*}}] [1, 1] [1, 1] : memref<1x64xf32, #spirv.storage_class<Workgroup>>
// MAP-NEXT: linalg.fill ins(%{{.*}} : f32) outs(%[[MINE]]
// MAP-NEXT: linalg.reduce ins(%{{.*}} : memref<1x8xf32{{.*}}>) outs(%[[MINE]]
// MAP: gpu.barrier
// MAP: arith.cmpi ult, %{{.*}}, %c32
// MAP: arith.addf
// MAP: gpu.barrier
// MAP: arith.cmpi ult, %{{.*}}, %c16
// MAP: gpu.barrier
// MAP: linalg.generic {{.*}} outs(%[[LAST:.*]] : memref<1x1xf32, #spirv.storage_class<Workgroup>>)
// MAP: gpu.barrier
// MAP: arith.cmpi ult, %{{.*}}, %c1
// MAP-NEXT: scf.if
// MAP-NEXT: linalg.reduce ins(%[[LAST]] : memref<1x1xf32, #spirv.storage_class<Workgroup>>) outs(%[[OUT]]
// MAP: gpu.barrier
// MAP-NEXT: gpu.terminator

// Without the option a thread sums a row alone.
// OFF-LABEL: func.func @dispatch_0
// OFF-SAME: nuri.gpu.block = array<i64: 8, 1, 1>
// OFF-NOT: alloc_tensor

// The shader: the partials and the tree's levels are Workgroup variables,
// with a control barrier after each step: the result's fill, the partials,
// six levels, the last merge.
// SPIRV: spirv.GlobalVariable @{{.*}} : !spirv.ptr<!spirv.struct<(!spirv.array<64 x f32>)>, Workgroup>
// SPIRV: spirv.func @dispatch_0_kernel
// SPIRV-COUNT-9: spirv.ControlBarrier <Workgroup>, <Workgroup>, <AcquireRelease|WorkgroupMemory>
// SPIRV-NOT: spirv.ControlBarrier
// SPIRV: spirv.ExecutionMode @dispatch_0_kernel "LocalSize", 64, 1, 1

// For cuda the same buffers are the launch's workgroup attributions.
// CUDA-LABEL: func.func @dispatch_0
// CUDA: gpu.launch
// CUDA-SAME: workgroup(%{{.*}} : memref<1x64xf32, #gpu.address_space<workgroup>>
// CUDA-SAME: memref<1x1xf32, #gpu.address_space<workgroup>>)
// CUDA-NOT: memref.alloc

// BAD: nuri-gpu-tile: workgroup-space must be spirv-workgroup or gpu
func.func @main(%x: tensor<8x512xf32>) -> tensor<8x1xf32> {
  %0 = nuri.reduce_sum %x {axes = array<i64: 1>, keepdims = true} : tensor<8x512xf32> -> tensor<8x1xf32>
  return %0 : tensor<8x1xf32>
}

// -----

// A Softmax over rows of 100: 50 threads of 2; 50 partials halve once to
// 25, and the odd 25 are folded by thread 0. Every reduction of the
// softmax (max, sum) is its own dispatch and takes the same form.
// MAP-LABEL: func.func @dispatch_0(%arg0: memref<6x100xf32>, %arg1: memref<6xf32>)
// MAP: threads({{.*}}) in ({{.*}} = %c50{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}})
// MAP: arith.maximumf
// MAP: arith.cmpi ult, %{{.*}}, %c25
// MAP: linalg.reduce ins(%{{.*}} : memref<1x25xf32, #spirv.storage_class<Workgroup>>)

// A row of 97 (prime) cannot be split evenly, and rows of 16 are too short:
// both keep a thread per row.
// MAP-LABEL: func.func @dispatch_0(%arg0: memref<6x97xf32>, %arg1: memref<6xf32>)
// MAP-NOT: Workgroup
// MAP-LABEL: func.func @dispatch_0(%arg0: memref<6x16xf32>, %arg1: memref<6xf32>)
// MAP-NOT: Workgroup
// MAP: return
func.func @main(%x: tensor<6x100xf32>) -> tensor<6x100xf32> {
  %0 = nuri.softmax %x {axis = 1 : i64} : tensor<6x100xf32>
  return %0 : tensor<6x100xf32>
}

// -----

func.func @main(%x: tensor<6x97xf32>) -> tensor<6x1xf32> {
  %0 = nuri.reduce_max %x {axes = array<i64: 1>, keepdims = true} : tensor<6x97xf32> -> tensor<6x1xf32>
  return %0 : tensor<6x1xf32>
}

// -----

func.func @main(%x: tensor<6x16xf32>) -> tensor<6x1xf32> {
  %0 = nuri.reduce_max %x {axes = array<i64: 1>, keepdims = true} : tensor<6x16xf32> -> tensor<6x1xf32>
  return %0 : tensor<6x1xf32>
}
