// RUN: nuri-opt %s -pass-pipeline='builtin.module(func.func(nuri-to-linalg))' | FileCheck %s

// NonMaxSuppression: an outer loop over batch*class (+1 skipped trip) with
// the run-time thresholds read inside it; dims start at [0, 3].
// CHECK-LABEL: func @nms
// CHECK: arith.constant dense<[0, 3]> : tensor<2xi64>
// CHECK: scf.for
// CHECK: scf.if
// CHECK: tensor.extract %{{.*}} : tensor<1xi64>
// CHECK: scf.for
// CHECK-NOT: nuri.non_max_suppression
func.func @nms(%b: tensor<1x6x4xf32>, %s: tensor<1x2x6xf32>, %m: tensor<1xi64>,
               %i: tensor<1xf32>, %t: tensor<1xf32>) -> (tensor<36xi64>, tensor<2xi64>) {
  %d, %n = nuri.non_max_suppression %b, %s, %m, %i, %t {center_point_box = 0 : i64}
    : (tensor<1x6x4xf32>, tensor<1x2x6xf32>, tensor<1xi64>, tensor<1xf32>, tensor<1xf32>) -> (tensor<36xi64>, tensor<2xi64>)
  return %d, %n : tensor<36xi64>, tensor<2xi64>
}
