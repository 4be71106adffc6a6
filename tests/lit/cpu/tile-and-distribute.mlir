// RUN: nuri-opt %s -pass-pipeline="builtin.module(func.func(nuri-to-linalg),canonicalize,nuri-form-dispatches,symbol-dce,nuri-cpu-kernel-abi,func.func(nuri-cpu-tile-and-vectorize,canonicalize,cse))" | FileCheck %s
// RUN: nuri-opt %s -pass-pipeline="builtin.module(func.func(nuri-to-linalg),canonicalize,nuri-form-dispatches,symbol-dce,nuri-cpu-kernel-abi,func.func(nuri-cpu-tile-and-vectorize,canonicalize,cse),eliminate-empty-tensors,one-shot-bufferize,func.func(canonicalize,cse,nuri-cpu-distribute,canonicalize))" | FileCheck %s --check-prefix=DIST

// The kernel ABI: workgroup id and count, then one memref per binding.
// CHECK-LABEL: func.func @dispatch_0(%arg0: index, %arg1: index, %arg2: memref<64x128xf32>, %arg3: memref<128x256xf32>, %arg4: memref<256xf32>, %arg5: memref<64x256xf32>)
// CHECK-SAME: nuri.workgroup_count = 32
// Matmul + bias + relu tiled together over 16x32 workgroup tiles...
// CHECK: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (64, 256) step (16, 32)
// ...the contraction as a K loop of 8x32 rank-1 updates (broadcast FMAs)...
// CHECK: scf.for %{{.*}} = %c0 to %c128 step %c1
// CHECK: arith.mulf %{{.*}}, %{{.*}} : vector<8x32x1xf32>
// CHECK: arith.addf %{{.*}}, %{{.*}} : vector<8x32xf32>
// ...and the fused epilogue on 16-wide vectors.
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : vector<1x16xf32>
// CHECK: } {nuri.workgroups}
// CHECK: bufferization.materialize_in_destination

// After bufferization the forall is gone: tile offsets come from the workgroup id
// and the result is written in place into the output binding.
// DIST-LABEL: func.func @dispatch_0
// DIST-NOT: scf.forall
// DIST: arith.remui %arg0, %c8
// DIST: arith.divui %arg0, %c8
// DIST: arith.mulf %{{.*}} : vector<8x32x1xf32>
// DIST: memref.subview %arg5
// DIST: arith.maximumf
// DIST-NOT: memref.copy

func.func @main(%x: tensor<64x128xf32>, %w: tensor<128x256xf32>, %b: tensor<256xf32>) -> tensor<64x256xf32> {
    %0 = nuri.matmul %x, %w : tensor<64x128xf32>, tensor<128x256xf32> -> tensor<64x256xf32>
    %1 = nuri.add %0, %b : tensor<64x256xf32>, tensor<256xf32> -> tensor<64x256xf32>
    %2 = nuri.relu %1 : tensor<64x256xf32>
    return %2 : tensor<64x256xf32>
}
