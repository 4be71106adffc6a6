// RUN: nuri-opt %s -canonicalize | FileCheck %s
// Folders of the ops exporters put between a shape and Expand/Pad/Reshape.

// CHECK-LABEL: func @compare_where
// CHECK-NEXT: %[[C:.*]] = nuri.constant dense<[2, 1, 1]> : tensor<3xi64>
// CHECK-NEXT: return %[[C]]
func.func @compare_where() -> tensor<3xi64> {
  %target = nuri.constant dense<[2, -1, -1]> : tensor<3xi64>
  %neg = nuri.constant dense<-1> : tensor<3xi64>
  %ones = nuri.constant dense<1> : tensor<3xi64>
  %eq = nuri.equal %target, %neg : tensor<3xi64>, tensor<3xi64> -> tensor<3xi1>
  %r = nuri.where %eq, %ones, %target : (tensor<3xi1>, tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  return %r : tensor<3xi64>
}

// Python's % (the divisor's sign) without fmod, C's fmod with it.
// CHECK-LABEL: func @mod
// CHECK-DAG: %[[F:.*]] = nuri.constant dense<[-1, 1, 2]> : tensor<3xi64>
// CHECK-DAG: %[[P:.*]] = nuri.constant dense<[3, 1, 2]> : tensor<3xi64>
// CHECK: return %[[P]], %[[F]]
func.func @mod() -> (tensor<3xi64>, tensor<3xi64>) {
  %a = nuri.constant dense<[-1, 5, 10]> : tensor<3xi64>
  %b = nuri.constant dense<4> : tensor<i64>
  %p = nuri.mod %a, %b {fmod = false} : tensor<3xi64>, tensor<i64> -> tensor<3xi64>
  %f = nuri.mod %a, %b {fmod = true} : tensor<3xi64>, tensor<i64> -> tensor<3xi64>
  return %p, %f : tensor<3xi64>, tensor<3xi64>
}

// Division by zero is the user's, at run time.
// CHECK-LABEL: func @mod_by_zero
// CHECK: nuri.mod
func.func @mod_by_zero() -> tensor<i64> {
  %a = nuri.constant dense<3> : tensor<i64>
  %b = nuri.constant dense<0> : tensor<i64>
  %p = nuri.mod %a, %b {fmod = false} : tensor<i64>, tensor<i64> -> tensor<i64>
  return %p : tensor<i64>
}

// CHECK-LABEL: func @logic
// CHECK-NEXT: %[[C:.*]] = nuri.constant dense<[false, true, true]> : tensor<3xi1>
// CHECK-NEXT: return %[[C]]
func.func @logic() -> tensor<3xi1> {
  %s = nuri.constant dense<[4, 1, 2]> : tensor<3xi64>
  %two = nuri.constant dense<2> : tensor<1xi64>
  %gt = nuri.greater %s, %two : tensor<3xi64>, tensor<1xi64> -> tensor<3xi1>
  %small = nuri.not %gt : tensor<3xi1>
  %le = nuri.less_equal %s, %two : tensor<3xi64>, tensor<1xi64> -> tensor<3xi1>
  %both = nuri.and %small, %le : tensor<3xi1>, tensor<3xi1> -> tensor<3xi1>
  return %both : tensor<3xi1>
}

// Casts between bool, integer and float constants; float to integer truncates.
// CHECK-LABEL: func @casts
// CHECK-DAG: nuri.constant dense<[1, 0]> : tensor<2xi64>
// CHECK-DAG: nuri.constant dense<[2, -2]> : tensor<2xi32>
// CHECK-DAG: nuri.constant dense<[2.500000e+00, -2.500000e+00]> : tensor<2xf16>
// CHECK-NOT: nuri.cast
func.func @casts() -> (tensor<2xi64>, tensor<2xi32>, tensor<2xf16>) {
  %b = nuri.constant dense<[true, false]> : tensor<2xi1>
  %f = nuri.constant dense<[2.5, -2.5]> : tensor<2xf32>
  %0 = nuri.cast %b {to = i64} : tensor<2xi1> -> tensor<2xi64>
  %1 = nuri.cast %f {to = i32} : tensor<2xf32> -> tensor<2xi32>
  %2 = nuri.cast %f {to = f16} : tensor<2xf32> -> tensor<2xf16>
  return %0, %1, %2 : tensor<2xi64>, tensor<2xi32>, tensor<2xf16>
}

// A reversed 2-D constant (torch's F.pad list in ONNX order).
// CHECK-LABEL: func @slice_reverse
// CHECK-NEXT: %[[C:.*]] = nuri.constant dense<{{\[\[}}4, 5], [2, 3], [0, 1]]> : tensor<3x2xi64>
// CHECK-NEXT: return %[[C]]
func.func @slice_reverse() -> tensor<3x2xi64> {
  %a = nuri.constant dense<[[0, 1], [2, 3], [4, 5]]> : tensor<3x2xi64>
  %r = nuri.slice %a {starts = array<i64: 2, 0>, ends = array<i64: -1, 2>, steps = array<i64: -1, 1>} : tensor<3x2xi64> -> tensor<3x2xi64>
  return %r : tensor<3x2xi64>
}
