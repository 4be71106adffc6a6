// RUN: nuri-opt %s -split-input-file -verify-diagnostics

func.func @nonzero_scalar(%x: tensor<f32>) -> (tensor<0xi64>, tensor<2xi64>) {
  // expected-error @+1 {{input must have rank >= 1}}
  %d, %n = nuri.nonzero %x : (tensor<f32>) -> (tensor<0xi64>, tensor<2xi64>)
  return %d, %n : tensor<0xi64>, tensor<2xi64>
}

// -----

func.func @compress_axis(%x: tensor<3x2xf32>, %c: tensor<2xi1>) -> (tensor<6xf32>, tensor<2xi64>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %d, %n = nuri.compress %x, %c {axis = 2 : i64} : (tensor<3x2xf32>, tensor<2xi1>) -> (tensor<6xf32>, tensor<2xi64>)
  return %d, %n : tensor<6xf32>, tensor<2xi64>
}

// -----

func.func @compress_condition_rank(%x: tensor<3x2xf32>, %c: tensor<2x1xi1>) -> (tensor<6xf32>, tensor<2xi64>) {
  // expected-error @+1 {{condition must be 1-D}}
  %d, %n = nuri.compress %x, %c {axis = 0 : i64} : (tensor<3x2xf32>, tensor<2x1xi1>) -> (tensor<6xf32>, tensor<2xi64>)
  return %d, %n : tensor<6xf32>, tensor<2xi64>
}

// -----

func.func @unique_axis(%x: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xi64>, tensor<3xi64>, tensor<3xi64>, tensor<1xi64>, tensor<1xi64>) {
  // expected-error @+1 {{axis 1 is out of range for rank 1}}
  %y, %i, %v, %c, %yd, %cd = nuri.unique %x {axis = 1 : i64, sorted = true} : (tensor<3xf32>) -> (tensor<3xf32>, tensor<3xi64>, tensor<3xi64>, tensor<3xi64>, tensor<1xi64>, tensor<1xi64>)
  return %y, %i, %v, %c, %yd, %cd : tensor<3xf32>, tensor<3xi64>, tensor<3xi64>, tensor<3xi64>, tensor<1xi64>, tensor<1xi64>
}

// -----

func.func @unique_result_type(%x: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xi64>, tensor<3xi64>, tensor<3xi64>, tensor<1xi64>, tensor<2xi64>) {
  // expected-error @+2 {{failed to infer returned types}}
  // expected-error @+1 {{are incompatible with return type(s)}}
  %y, %i, %v, %c, %yd, %cd = nuri.unique %x {axis = 0 : i64, sorted = true} : (tensor<3xf32>) -> (tensor<3xf32>, tensor<3xi64>, tensor<3xi64>, tensor<3xi64>, tensor<1xi64>, tensor<2xi64>)
  return %y, %i, %v, %c, %yd, %cd : tensor<3xf32>, tensor<3xi64>, tensor<3xi64>, tensor<3xi64>, tensor<1xi64>, tensor<2xi64>
}

// -----

func.func @generate_static_output(%d: tensor<1xi64>) -> tensor<4xf32> {
  // expected-error @+1 {{output must be 1-D of run-time size (the compact layout)}}
  %y = nuri.generate %d : tensor<1xi64> -> tensor<4xf32> {
  ^bb0(%i: index):
    %c = arith.constant 0.0 : f32
    nuri.yield %c : f32
  }
  return %y : tensor<4xf32>
}

// -----

func.func @generate_arity(%d: tensor<2xi64>) -> tensor<?xf32> {
  // expected-error @+1 {{the region takes one index per dimension (2)}}
  %y = nuri.generate %d : tensor<2xi64> -> tensor<?xf32> {
  ^bb0(%i: index):
    %c = arith.constant 0.0 : f32
    nuri.yield %c : f32
  }
  return %y : tensor<?xf32>
}

// -----

func.func @generate_yield_type(%d: tensor<1xi64>) -> tensor<?xf32> {
  // expected-error @+1 {{yields 'i32' for elements of 'f32'}}
  %y = nuri.generate %d : tensor<1xi64> -> tensor<?xf32> {
  ^bb0(%i: index):
    %c = arith.constant 0 : i32
    nuri.yield %c : i32
  }
  return %y : tensor<?xf32>
}

// -----

func.func @loop_carried_type(%m: tensor<i64>, %c: tensor<i1>, %x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{body argument 2 differs from carried value 0}}
  %r = nuri.loop %m, %c, %x : (tensor<i64>, tensor<i1>, tensor<2xf32>) -> (tensor<2xf32>) {
  ^bb0(%i: tensor<i64>, %k: tensor<i1>, %acc: tensor<3xf32>):
    nuri.loop_yield %k, %acc : tensor<i1>, tensor<3xf32>
  }
  return %r : tensor<2xf32>
}

// -----

func.func @loop_scan_results(%m: tensor<i64>, %c: tensor<i1>, %x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{expects 3 results for 1 carried values and 1 scan outputs}}
  %r = nuri.loop %m, %c, %x : (tensor<i64>, tensor<i1>, tensor<2xf32>) -> (tensor<2xf32>) {
  ^bb0(%i: tensor<i64>, %k: tensor<i1>, %acc: tensor<2xf32>):
    nuri.loop_yield %k, %acc, %acc : tensor<i1>, tensor<2xf32>, tensor<2xf32>
  }
  return %r : tensor<2xf32>
}
