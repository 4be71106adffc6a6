// RUN: nuri-opt %s -pass-pipeline="builtin.module(func.func(nuri-to-linalg),canonicalize,resolve-ranked-shaped-type-result-dims,cse,nuri-form-dispatches,symbol-dce,nuri-cpu-kernel-abi,func.func(nuri-cpu-tile-and-vectorize,canonicalize,cse))" | FileCheck %s

// A symbolic batch (n, bound at run time from the symbols table) is tiled by 1:
// the tile inside is static, so the contraction and the fused epilogue still
// vectorize over the static dims, and the loop runs to the run-time size.
// CHECK-LABEL: func.func @dispatch_0
// CHECK-SAME: nuri.workgroup_count = 1
// CHECK: %[[N:.*]] = arith.index_cast %{{.*}} : i64 to index
// CHECK: memref.reinterpret_cast %{{.*}} to offset: [0], sizes: [%[[N]], 32]
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c1
// CHECK: scf.for %{{.*}} = %c0 to %c48 step %c16
// CHECK: arith.mulf %{{.*}}, %{{.*}} : vector<1x16x1xf32>
// CHECK: arith.addf %{{.*}}, %{{.*}} : vector<1x16xf32>
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : vector<1x16xf32>
// CHECK: bufferization.materialize_in_destination

func.func @main(%x: tensor<?x32xf32> {nuri.name = "x", nuri.symbolic_dims = [{name = "n", min = 1 : i64, max = 64 : i64}, {}]},
                %w: tensor<32x48xf32>) -> tensor<?x48xf32> {
    %0 = nuri.matmul %x, %w : tensor<?x32xf32>, tensor<32x48xf32> -> tensor<?x48xf32>
    %1 = nuri.relu %0 : tensor<?x48xf32>
    return %1 : tensor<?x48xf32>
}
