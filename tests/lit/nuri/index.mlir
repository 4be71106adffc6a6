// RUN: nuri-opt %s -pass-pipeline='builtin.module(func.func(nuri-to-linalg))' | FileCheck %s

// Affine maps print first: a rank-0 operand (trilu's k) and a broadcast.
// CHECK-DAG: #[[K:.*]] = affine_map<(d0, d1, d2) -> ()>
// CHECK-DAG: #[[BC:.*]] = affine_map<(d0, d1, d2) -> (d1, 0)>

// Gathers read their source with tensor.extract at a clamped index.
// CHECK-LABEL: func @gather_elements
// CHECK: linalg.generic
// CHECK: tensor.extract %arg1
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: tensor.extract %arg0
func.func @gather_elements(%d: tensor<3x3xf32>, %i: tensor<2x3xi64>) -> tensor<2x3xf32> {
  %0 = nuri.gather_elements %d, %i {axis = 0 : i64} : tensor<3x3xf32>, tensor<2x3xi64> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// Scatters are sequential loops carrying the tensor; add reads the old value.
// CHECK-LABEL: func @scatter_elements_add
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %arg0)
// CHECK: scf.for
// CHECK: tensor.extract
// CHECK: arith.addf
// CHECK: tensor.insert
func.func @scatter_elements_add(%d: tensor<1x5xf32>, %i: tensor<1x2xi64>, %u: tensor<1x2xf32>) -> tensor<1x5xf32> {
  %0 = nuri.scatter_elements %d, %i, %u {axis = 1 : i64, reduction = "add"} : tensor<1x5xf32>, tensor<1x2xi64>, tensor<1x2xf32> -> tensor<1x5xf32>
  return %0 : tensor<1x5xf32>
}

// CHECK-LABEL: func @scatter_nd_mul
// CHECK: scf.for
// CHECK: arith.muli
// CHECK: tensor.insert
func.func @scatter_nd_mul(%d: tensor<4x4xi32>, %i: tensor<2x1xi64>, %u: tensor<2x4xi32>) -> tensor<4x4xi32> {
  %0 = nuri.scatter_nd %d, %i, %u {reduction = "mul"} : tensor<4x4xi32>, tensor<2x1xi64>, tensor<2x4xi32> -> tensor<4x4xi32>
  return %0 : tensor<4x4xi32>
}

// CHECK-LABEL: func @gather_nd
// CHECK: linalg.generic
// CHECK: tensor.extract %arg1
// CHECK: tensor.extract %arg0
func.func @gather_nd(%d: tensor<2x2x2xi32>, %i: tensor<2x1xi64>) -> tensor<2x2xi32> {
  %0 = nuri.gather_nd %d, %i {batch_dims = 1 : i64} : tensor<2x2x2xi32>, tensor<2x1xi64> -> tensor<2x2xi32>
  return %0 : tensor<2x2xi32>
}

// k is an operand (it may come from the graph): a rank-0 input of the generic.
// CHECK-LABEL: func @trilu
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[K]], #{{.*}}]
// CHECK: linalg.index 1
// CHECK: linalg.index 2
// CHECK: arith.cmpi sle
// CHECK: arith.select
func.func @trilu(%x: tensor<2x3x3xi64>, %k: tensor<i64>) -> tensor<2x3x3xi64> {
  %0 = nuri.trilu %x, %k {upper = false} : tensor<2x3x3xi64>, tensor<i64> -> tensor<2x3x3xi64>
  return %0 : tensor<2x3x3xi64>
}

// A constant axis makes the stride static; a run-time one is read in the loop.
// CHECK-LABEL: func @cumsum_const_axis
// CHECK-NOT: tensor.extract %arg1
// CHECK: scf.for
// CHECK: arith.addf
// CHECK: tensor.insert
func.func @cumsum_const_axis(%x: tensor<2x3xf64>) -> tensor<2x3xf64> {
  %a = nuri.constant dense<1> : tensor<i32>
  %0 = nuri.cumsum %x, %a {exclusive = false, reverse = true} : tensor<2x3xf64>, tensor<i32> -> tensor<2x3xf64>
  return %0 : tensor<2x3xf64>
}

// CHECK-LABEL: func @cumsum_runtime_axis
// CHECK: scf.for
// CHECK: tensor.extract %arg1[]
func.func @cumsum_runtime_axis(%x: tensor<2x3xf64>, %a: tensor<i32>) -> tensor<2x3xf64> {
  %0 = nuri.cumsum %x, %a {exclusive = true, reverse = false} : tensor<2x3xf64>, tensor<i32> -> tensor<2x3xf64>
  return %0 : tensor<2x3xf64>
}

// CHECK-LABEL: func @one_hot
// CHECK: linalg.generic
// CHECK: arith.fptosi
// CHECK: arith.cmpi eq
func.func @one_hot(%i: tensor<2x2xf32>, %v: tensor<2xf32>) -> tensor<2x10x2xf32> {
  %0 = nuri.one_hot %i, %v {depth = 10 : i64, axis = 1 : i64} : tensor<2x2xf32>, tensor<2xf32> -> tensor<2x10x2xf32>
  return %0 : tensor<2x10x2xf32>
}

// CHECK-LABEL: func @eye
// CHECK: linalg.generic
// CHECK: arith.cmpi eq
func.func @eye() -> tensor<4x5xf32> {
  %0 = nuri.eye {k = 1 : i64} : tensor<4x5xf32>
  return %0 : tensor<4x5xf32>
}

// Unsigned tensors are bitcast to signless around the kernel.
// CHECK-LABEL: func @broadcast_to
// CHECK: tensor.bitcast
// CHECK: linalg.generic {indexing_maps = [#[[BC]]
// CHECK: tensor.bitcast
func.func @broadcast_to(%x: tensor<3x1xui8>) -> tensor<2x3x6xui8> {
  %0 = nuri.broadcast_to %x : tensor<3x1xui8> -> tensor<2x3x6xui8>
  return %0 : tensor<2x3x6xui8>
}

// CHECK-LABEL: func @pad_reflect
// CHECK: linalg.generic
// CHECK: arith.remsi
// CHECK: tensor.extract %arg0
func.func @pad_reflect(%x: tensor<3x4xf32>, %v: tensor<f32>) -> tensor<5x7xf32> {
  %0 = nuri.pad %x, %v {pads = array<i64: 1, 2, 1, 1>, mode = "reflect"} : tensor<3x4xf32>, tensor<f32> -> tensor<5x7xf32>
  return %0 : tensor<5x7xf32>
}

// CHECK-LABEL: func @pad_constant
// CHECK: linalg.generic
// CHECK: tensor.extract %arg0
// CHECK: tensor.extract %arg1[]
// CHECK: arith.select
func.func @pad_constant(%x: tensor<3x4xf32>, %v: tensor<f32>) -> tensor<4x4xf32> {
  %0 = nuri.pad %x, %v {pads = array<i64: 1, 1, 0, -1>, mode = "constant"} : tensor<3x4xf32>, tensor<f32> -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// CHECK-LABEL: func @reverse_sequence
// CHECK: linalg.generic
// CHECK: tensor.extract %arg1
// CHECK: tensor.extract %arg0
func.func @reverse_sequence(%x: tensor<4x4xf32>, %l: tensor<4xi64>) -> tensor<4x4xf32> {
  %0 = nuri.reverse_sequence %x, %l {batch_axis = 0 : i64, time_axis = 1 : i64} : tensor<4x4xf32>, tensor<4xi64> -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// k passes of a selection scan per row; indices are i64.
// CHECK-LABEL: func @top_k
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for
// CHECK: arith.cmpf ogt
// CHECK: arith.index_cast {{.*}} to i64
func.func @top_k(%x: tensor<3x4xf32>) -> (tensor<3x2xf32>, tensor<3x2xi64>) {
  %v, %i = nuri.top_k %x {k = 2 : i64, axis = 1 : i64, largest = true} : tensor<3x4xf32> -> tensor<3x2xf32>, tensor<3x2xi64>
  return %v, %i : tensor<3x2xf32>, tensor<3x2xi64>
}
