// RUN: nuri-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(nuri-to-linalg))' | FileCheck %s
// RUN: nuri-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(nuri-to-linalg),nuri-form-dispatches)' | FileCheck %s --check-prefix=DISPATCH

// nuri.loop becomes scf.while on tensors: it runs while iteration < max_trip
// and the condition holds; the body's nuri ops are lowered in place; the
// scan buffer (max_trip elements of 2) takes each element at iteration * 2
// and the scan dims count the iterations.
// CHECK-LABEL: func @main
// CHECK: %[[M:.*]] = arith.index_cast %{{.*}} : i64 to index
// CHECK: %[[CAP:.*]] = arith.muli %[[M]], %c2 : index
// CHECK: %[[SCAN:.*]] = tensor.empty(%[[CAP]]) : tensor<?xf32>
// CHECK: %[[W:.*]]:5 = scf.while (%[[I:.*]] = %c0, %{{.*}} = %{{.*}}, %{{.*}} = %arg2, %{{.*}} = %[[SCAN]], %{{.*}} = %cst)
// CHECK:   %[[MORE:.*]] = arith.cmpi ult, %[[I]], %[[M]] : index
// CHECK:   %[[GO:.*]] = arith.andi %[[MORE]], %{{.*}} : i1
// CHECK:   scf.condition(%[[GO]])
// CHECK: } do {
// CHECK:   linalg.generic
// CHECK:     arith.addf
// CHECK:   tensor.insert_slice %{{.*}} into %{{.*}}[%{{.*}}] [2] [1] : tensor<2xf32> into tensor<?xf32>
// CHECK:   tensor.insert %{{.*}} into %{{.*}}[%c0] : tensor<2xi64>
// CHECK:   scf.yield
// CHECK: return %[[W]]#2, %[[W]]#3, %[[W]]#4

// The whole loop is one dispatch.
// DISPATCH-LABEL: func.func private @dispatch_0
// DISPATCH: scf.while
// DISPATCH-LABEL: func.func @main
// DISPATCH-NEXT: %[[R:.*]]:3 = call @dispatch_0(%arg1, %arg0, %arg2)
// DISPATCH-NEXT: return %[[R]]#0, %[[R]]#1, %[[R]]#2
func.func @main(%m: tensor<i64>, %c: tensor<i1>, %x: tensor<2xf32>) -> (tensor<2xf32>, tensor<?xf32>, tensor<2xi64>) {
  %r:3 = nuri.loop %m, %c, %x : (tensor<i64>, tensor<i1>, tensor<2xf32>) -> (tensor<2xf32>, tensor<?xf32>, tensor<2xi64>) {
  ^bb0(%i: tensor<i64>, %k: tensor<i1>, %acc: tensor<2xf32>):
    %n = nuri.add %acc, %acc : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
    nuri.loop_yield %k, %n, %n : tensor<i1>, tensor<2xf32>, tensor<2xf32>
  }
  return %r#0, %r#1, %r#2 : tensor<2xf32>, tensor<?xf32>, tensor<2xi64>
}
