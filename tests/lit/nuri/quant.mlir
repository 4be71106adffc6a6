// RUN: nuri-opt %s -pass-pipeline='builtin.module(func.func(nuri-to-linalg))' | FileCheck %s

// CHECK-DAG: #[[ROWS:.*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-DAG: #[[MM_ZPA:.*]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-DAG: #[[MM_ZPB:.*]] = affine_map<(d0, d1, d2) -> ()>
// CHECK-DAG: #[[CONV_X:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d5, d3 * 2 + d6, d4 * 2 + d7)>
// CHECK-DAG: #[[CONV_W:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d1, d2, d5, d6, d7)>

// Per-axis parameters broadcast along their axis; x / scale rounds half to
// even, the zero point is added in float and the sum saturates to i8.
// CHECK-LABEL: func @quantize_axis
// CHECK-DAG: %[[HI:.*]] = arith.constant 1.270000e+02 : f32
// CHECK-DAG: %[[LO:.*]] = arith.constant -1.280000e+02 : f32
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[ROWS]], #[[ROWS]], #{{.*}}]
// CHECK: %[[D:.*]] = arith.divf
// CHECK: %[[R:.*]] = math.roundeven %[[D]] : f32
// CHECK: %[[Z:.*]] = arith.sitofp %{{.*}} : i8 to f32
// CHECK: %[[S:.*]] = arith.addf %[[R]], %[[Z]] : f32
// CHECK: %[[M:.*]] = arith.maxnumf %[[S]], %[[LO]] : f32
// CHECK: %[[C:.*]] = arith.minnumf %[[M]], %[[HI]] : f32
// CHECK: arith.fptosi %[[C]] : f32 to i8
func.func @quantize_axis(%x: tensor<2x3xf32>, %s: tensor<3xf32>, %z: tensor<3xi8>) -> tensor<2x3xi8> {
  %0 = nuri.quantize_linear %x, %s, %z {axis = 1 : i64} : tensor<2x3xf32>, tensor<3xf32>, tensor<3xi8> -> tensor<2x3xi8>
  return %0 : tensor<2x3xi8>
}

// Unsigned: zero-extended zero point, [0, 255], fptoui; the result is
// bitcast back to ui8.
// CHECK-LABEL: func @quantize_u8
// CHECK-DAG: arith.constant 2.550000e+02 : f32
// CHECK-DAG: arith.constant 0.000000e+00 : f32
// CHECK: arith.uitofp %{{.*}} : i8 to f32
// CHECK: arith.fptoui %{{.*}} : f32 to i8
// CHECK: tensor.bitcast %{{.*}} : tensor<4xi8> to tensor<4xui8>
func.func @quantize_u8(%x: tensor<4xf32>, %s: tensor<f32>, %z: tensor<ui8>) -> tensor<4xui8> {
  %0 = nuri.quantize_linear %x, %s, %z {axis = 0 : i64} : tensor<4xf32>, tensor<f32>, tensor<ui8> -> tensor<4xui8>
  return %0 : tensor<4xui8>
}

// The difference x - zero_point is exact in i32, then scaled.
// CHECK-LABEL: func @dequantize
// CHECK: %[[Z:.*]] = arith.extui %{{.*}} : i8 to i32
// CHECK: %[[X:.*]] = arith.extui %{{.*}} : i8 to i32
// CHECK: %[[D:.*]] = arith.subi %[[X]], %[[Z]] : i32
// CHECK: %[[F:.*]] = arith.sitofp %[[D]] : i32 to f32
// CHECK: arith.mulf %[[F]], %{{.*}} : f32
func.func @dequantize(%x: tensor<4xui8>, %s: tensor<f32>, %z: tensor<ui8>) -> tensor<4xf32> {
  %0 = nuri.dequantize_linear %x, %s, %z {axis = 0 : i64} : tensor<4xui8>, tensor<f32>, tensor<ui8> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// i32 (int32 input): the difference is taken in i64.
// CHECK-LABEL: func @dequantize_i32
// CHECK: arith.extsi %{{.*}} : i32 to i64
// CHECK: arith.subi %{{.*}} : i64
// CHECK: arith.sitofp %{{.*}} : i64 to f32
func.func @dequantize_i32(%x: tensor<4xi32>, %s: tensor<f32>, %z: tensor<i32>) -> tensor<4xf32> {
  %0 = nuri.dequantize_linear %x, %s, %z {axis = 0 : i64} : tensor<4xi32>, tensor<f32>, tensor<i32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// One contraction: the per-row zero point of lhs is read at m, the scalar
// one of rhs at (); u8 operands zero-extend, i8 ones sign-extend.
// CHECK-LABEL: func @matmul_integer
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #[[MM_ZPA]], #[[MM_ZPB]], #{{.*}}], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK: ^bb0(%[[A:.*]]: i8, %[[B:.*]]: i8, %[[AZ:.*]]: i8, %[[BZ:.*]]: i8, %[[ACC:.*]]: i32):
// CHECK-DAG: arith.extui %[[A]] : i8 to i32
// CHECK-DAG: arith.extui %[[AZ]] : i8 to i32
// CHECK-DAG: arith.extsi %[[B]] : i8 to i32
// CHECK-DAG: arith.extsi %[[BZ]] : i8 to i32
// CHECK: %[[P:.*]] = arith.muli
// CHECK: arith.addi %[[ACC]], %[[P]] : i32
func.func @matmul_integer(%a: tensor<2x3xui8>, %b: tensor<3x4xi8>, %az: tensor<2xui8>, %bz: tensor<i8>) -> tensor<2x4xi32> {
  %0 = nuri.matmul_integer %a, %b, %az, %bz : (tensor<2x3xui8>, tensor<3x4xi8>, tensor<2xui8>, tensor<i8>) -> tensor<2x4xi32>
  return %0 : tensor<2x4xi32>
}

// A constant (absent) zero point becomes a signless constant, not a
// bitcast of an unsigned one.
// CHECK-LABEL: func @matmul_integer_constant_zp
// CHECK: arith.constant dense<7> : tensor<i8>
// CHECK-NOT: tensor.bitcast %{{.*}} : tensor<ui8>
// CHECK: linalg.generic
func.func @matmul_integer_constant_zp(%a: tensor<2x3xui8>, %b: tensor<3x4xui8>) -> tensor<2x4xi32> {
  %z = nuri.constant dense<7> : tensor<ui8>
  %0 = nuri.matmul_integer %a, %b, %z, %z : (tensor<2x3xui8>, tensor<3x4xui8>, tensor<ui8>, tensor<ui8>) -> tensor<2x4xi32>
  return %0 : tensor<2x4xi32>
}

// Grouped, strided, padded: centered operands (x - x_zp, w - w_zp per
// output channel) in i32, zero padding, one generic over
// (n, g, f, oh, ow, c, kh, kw).
// CHECK-LABEL: func @conv_integer
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x2x5x5xi8>, tensor<i8>) outs(%{{.*}} : tensor<1x2x5x5xi32>)
// CHECK: arith.subi
// CHECK: tensor.expand_shape %{{.*}} output_shape [4, 1, 1, 1] : tensor<4xi8> into tensor<4x1x1x1xi8>
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<4x1x3x3xi8>, tensor<4x1x1x1xi8>) outs(%{{.*}} : tensor<4x1x3x3xi32>)
// CHECK: tensor.insert_slice %{{.*}}[0, 0, 1, 1] [1, 2, 5, 5] [1, 1, 1, 1] : tensor<1x2x5x5xi32> into tensor<1x2x7x7xi32>
// CHECK: linalg.generic {indexing_maps = [#[[CONV_X]], #[[CONV_W]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<1x2x1x7x7xi32>, tensor<2x2x1x3x3xi32>) outs(%{{.*}} : tensor<1x2x2x3x3xi32>)
// CHECK: arith.muli
// CHECK: arith.addi
// CHECK: tensor<1x4x3x3xi32>
func.func @conv_integer(%x: tensor<1x2x5x5xui8>, %w: tensor<4x1x3x3xui8>, %xz: tensor<ui8>, %wz: tensor<4xui8>) -> tensor<1x4x3x3xi32> {
  %0 = nuri.conv_integer %x, %w, %xz, %wz {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 2 : i64} : (tensor<1x2x5x5xui8>, tensor<4x1x3x3xui8>, tensor<ui8>, tensor<4xui8>) -> tensor<1x4x3x3xi32>
  return %0 : tensor<1x4x3x3xi32>
}

// LU with partial pivoting: per matrix, per column k a pivot search
// (largest |A[i, k]|), a row swap that negates the determinant, the
// product with the pivot, and elimination below it; results stay in a
// tensor.
// CHECK-LABEL: func @det
// CHECK: %[[ONES:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<3xf32>)
// CHECK: scf.for %[[M:.*]] = %{{.*}} to %c3 step %c1 iter_args(%{{.*}} = %arg0, %{{.*}} = %[[ONES]])
// CHECK: scf.for
// CHECK: math.absf
// CHECK: scf.for {{.*}} -> (index, f32)
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpi ne
// CHECK: arith.negf
// CHECK: arith.mulf
// CHECK: arith.divf
// CHECK: arith.subf
// CHECK: tensor.insert %{{.*}} into %{{.*}}[%[[M]]] : tensor<3xf32>
func.func @det(%x: tensor<3x2x2xf32>) -> tensor<3xf32> {
  %0 = nuri.det %x : tensor<3x2x2xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// f32 -> bf16 rounds to nearest even (arith.truncf), as ONNX Runtime and
// current ONNX do.
// CHECK-LABEL: func @cast_bf16
// CHECK: arith.truncf %{{.*}} : f32 to bf16
func.func @cast_bf16(%x: tensor<4xf32>) -> tensor<4xbf16> {
  %0 = nuri.cast %x {to = bf16} : tensor<4xf32> -> tensor<4xbf16>
  return %0 : tensor<4xbf16>
}

// Other conversions to bf16 round too.
// CHECK-LABEL: func @cast_f64_bf16
// CHECK: arith.truncf %{{.*}} : f64 to bf16
func.func @cast_f64_bf16(%x: tensor<4xf64>) -> tensor<4xbf16> {
  %0 = nuri.cast %x {to = bf16} : tensor<4xf64> -> tensor<4xbf16>
  return %0 : tensor<4xbf16>
}
