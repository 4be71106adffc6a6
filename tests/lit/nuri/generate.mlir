// RUN: nuri-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(nuri-to-linalg))' | FileCheck %s
// RUN: nuri-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(nuri-to-linalg),nuri-form-dispatches)' | FileCheck %s --check-prefix=DISPATCH
// RUN: nuri-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(nuri-to-linalg),nuri-form-dispatches,nuri-cpu-kernel-abi)' | FileCheck %s --check-prefix=ABI

// nuri.generate: the size is the product of the run-time dims, read at the
// top level; the body unflattens the linalg index by those same dims and
// inlines the region.
// CHECK-LABEL: func @main
// CHECK: %[[D0:.*]] = tensor.extract %arg0[%c0] : tensor<2xi64>
// CHECK: %[[N0:.*]] = arith.index_cast %[[D0]] : i64 to index
// CHECK: %[[D1:.*]] = tensor.extract %arg0[%c1] : tensor<2xi64>
// CHECK: %[[N1:.*]] = arith.index_cast %[[D1]] : i64 to index
// CHECK: %[[N:.*]] = arith.muli %{{.*}}, %[[N1]] : index
// CHECK: %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?xf32>
// CHECK: linalg.generic {{.*}} outs(%[[E]] : tensor<?xf32>)
// CHECK:   %[[I:.*]] = linalg.index 0 : index
// CHECK:   %[[J:.*]] = arith.remui %[[I]], %{{.*}} : index
// CHECK:   tensor.extract %arg1[%[[J]]] : tensor<3xf32>

// Dispatch formation clones the size's scalar ops into the kernel, which
// reads the dims tensor as an ordinary binding: nothing scalar stays on the
// host.
// DISPATCH-LABEL: func.func private @dispatch_0(%arg0: tensor<2xi64>, %arg1: tensor<3xf32>) -> tensor<?xf32>
// DISPATCH: tensor.extract %arg0
// DISPATCH: tensor.empty(%{{.*}}) : tensor<?xf32>
// DISPATCH-LABEL: func.func @main
// DISPATCH-NEXT: %[[R:.*]] = call @dispatch_0(%arg0, %arg1) : (tensor<2xi64>, tensor<3xf32>) -> tensor<?xf32>
// DISPATCH-NEXT: return %[[R]]

// The kernel ABI binds the run-time-sized result as one element (bare
// pointers need static shapes) and views it at the computed size (a row-major strided view).
// ABI-LABEL: func.func @dispatch_0(%arg0: index, %arg1: index, %arg2: memref<2xi64>, %arg3: memref<3xf32>, %arg4: memref<1xf32>)
// ABI: %[[N:.*]] = tensor.dim %{{.*}}, %c0{{.*}} : tensor<?xf32>
// ABI: %[[OUT:.*]] = memref.reinterpret_cast %arg4 to offset: [0], sizes: [%[[N]]], strides: [1] : memref<1xf32> to memref<?xf32{{.*}}>
// ABI: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[OUT]]
func.func @main(%dims: tensor<2xi64>, %x: tensor<3xf32>) -> tensor<?xf32> {
  %y = nuri.generate %dims : tensor<2xi64> -> tensor<?xf32> {
  ^bb0(%i: index, %j: index):
    %v = tensor.extract %x[%j] : tensor<3xf32>
    nuri.yield %v : f32
  }
  return %y : tensor<?xf32>
}

// -----

// Reads of unsigned tensors compute on signless bits; the result is cast back.
// CHECK-LABEL: func @main
// CHECK: %[[S:.*]] = tensor.bitcast %arg1 : tensor<4xui8> to tensor<4xi8>
// CHECK: tensor.extract %[[S]]
// CHECK: tensor.bitcast %{{.*}} : tensor<?xi8> to tensor<?xui8>
func.func @main(%dims: tensor<1xi64>, %x: tensor<4xui8>) -> tensor<?xui8> {
  %y = nuri.generate %dims : tensor<1xi64> -> tensor<?xui8> {
  ^bb0(%i: index):
    %v = tensor.extract %x[%i] : tensor<4xui8>
    nuri.yield %v : ui8
  }
  return %y : tensor<?xui8>
}
