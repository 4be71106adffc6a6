// RUN: nuri-opt %s -nuri-npu-lower | FileCheck %s

// Dispatches the NPU does not run natively stay functions, with the reason,
// for the next target; no kernel is made for them.
// CHECK-NOT: npu.kernel

// CHECK-LABEL: func.func private @pool
// CHECK-SAME: nuri.npu_fallback = "the NPU has no lowering for 'linalg.pooling_nchw_sum'"
func.func private @pool(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> attributes {nuri.nodes = ["p"]} {
  %ninf = arith.constant 0.0 : f32
  %w = tensor.empty() : tensor<2x2xf32>
  %e = tensor.empty() : tensor<1x4x4x4xf32>
  %f = linalg.fill ins(%ninf : f32) outs(%e : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %p = linalg.pooling_nchw_sum {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %w : tensor<1x4x8x8xf32>, tensor<2x2xf32>) outs(%f : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  return %p : tensor<1x4x4x4xf32>
}

// CHECK-LABEL: func.func private @integer
// CHECK-SAME: nuri.npu_fallback = "an operand that is not a static f32 tensor"
#id = affine_map<(d0) -> (d0)>
func.func private @integer(%x: tensor<16xi32>) -> tensor<16xi32> attributes {nuri.nodes = ["i"]} {
  %e = tensor.empty() : tensor<16xi32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%x : tensor<16xi32>) outs(%e : tensor<16xi32>) {
  ^bb0(%a: i32, %o: i32):
    %s = arith.addi %a, %a : i32
    linalg.yield %s : i32
  } -> tensor<16xi32>
  return %r : tensor<16xi32>
}

// CHECK-LABEL: func.func private @compare
// CHECK-SAME: nuri.npu_fallback = "body op 'arith.cmpf' is not f32"
func.func private @compare(%x: tensor<16xf32>) -> tensor<16xf32> attributes {nuri.nodes = ["c"]} {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%x : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c = arith.cmpf ogt, %a, %zero : f32
    %s = arith.select %c, %a, %zero : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  return %r : tensor<16xf32>
}

// CHECK-LABEL: func.func private @row_by_column
// CHECK-SAME: nuri.npu_fallback = "'mul' of a row by a column"
#map = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
#col = affine_map<(d0, d1) -> (d0)>
func.func private @row_by_column(%x: tensor<4x8xf32>, %r: tensor<8xf32>, %c: tensor<4xf32>) -> tensor<4x8xf32> attributes {nuri.nodes = ["o"]} {
  %e = tensor.empty() : tensor<4x8xf32>
  %o = linalg.generic {indexing_maps = [#map, #row, #col, #map], iterator_types = ["parallel", "parallel"]} ins(%x, %r, %c : tensor<4x8xf32>, tensor<8xf32>, tensor<4xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %d: f32, %out: f32):
    %p = arith.mulf %b, %d : f32
    %s = arith.addf %a, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  return %o : tensor<4x8xf32>
}

// CHECK-LABEL: func.func private @reduction
// CHECK-SAME: nuri.npu_fallback = "a reduction other than a sum or max over trailing dims of an argument"
func.func private @reduction(%x: tensor<4x8xf32>) -> tensor<8xf32> attributes {nuri.nodes = ["r"]} {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  %r = linalg.reduce ins(%x : tensor<4x8xf32>) outs(%f : tensor<8xf32>) dimensions = [0]
    (%a: f32, %o: f32) {
      %s = arith.addf %a, %o : f32
      linalg.yield %s : f32
    }
  return %r : tensor<8xf32>
}

// CHECK-LABEL: func.func private @reduce_then_scale
// CHECK-SAME: nuri.npu_fallback = "an op after a reduction, transpose or padding"
func.func private @reduce_then_scale(%x: tensor<4x8xf32>) -> tensor<4xf32> attributes {nuri.nodes = ["m"]} {
  %zero = arith.constant 0.0 : f32
  %half = arith.constant 0.5 : f32
  %e = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %r = linalg.reduce ins(%x : tensor<4x8xf32>) outs(%f : tensor<4xf32>) dimensions = [1]
    (%a: f32, %o: f32) {
      %s = arith.addf %a, %o : f32
      linalg.yield %s : f32
    }
  %m = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%r : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.mulf %a, %half : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %m : tensor<4xf32>
}
