// Quantization: linear (de)quantization, integer matmul and convolution with
// zero points, and the determinant. Included by NuriOps.td.
#ifndef NURI_QUANT_OPS_TD
#define NURI_QUANT_OPS_TD

def Nuri_IntTensor : RankedTensorOf<[AnyInteger]>;

//===----------------------------------------------------------------------===//
// Linear quantization
//===----------------------------------------------------------------------===//

// scale and zero_point are both rank 0 (per tensor) or both 1-D with one
// value per index of dimension `axis` of the input (per axis); the importer
// brings one-element tensors to rank 0.
def Nuri_QuantizeLinearOp : Nuri_Op<"quantize_linear", [Pure, InferTypeOpAdaptor]> {
  let summary = "saturate(round_half_even(x / scale) + zero_point)";
  let description = [{
    The result takes zero_point's integer element type and saturates to its
    range. x and scale share a float element type.
  }];
  let arguments = (ins Nuri_FloatTensor:$input, Nuri_FloatTensor:$scale,
                   Nuri_IntTensor:$zero_point, I64Attr:$axis);
  let results = (outs Nuri_IntTensor:$output);
  let assemblyFormat = [{
    $input `,` $scale `,` $zero_point attr-dict `:`
      type($input) `,` type($scale) `,` type($zero_point) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Nuri_DequantizeLinearOp : Nuri_Op<"dequantize_linear", [Pure, InferTypeOpAdaptor]> {
  let summary = "(x - zero_point) * scale";
  let description = [{
    The difference is taken exactly in integers, then converted to scale's
    float element type. Per-tensor or per-axis like nuri.quantize_linear.
  }];
  let arguments = (ins Nuri_IntTensor:$input, Nuri_FloatTensor:$scale,
                   Nuri_IntTensor:$zero_point, I64Attr:$axis);
  let results = (outs Nuri_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $scale `,` $zero_point attr-dict `:`
      type($input) `,` type($scale) `,` type($zero_point) `->` type($output)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Integer contractions: 8-bit operands, i32 accumulation
//===----------------------------------------------------------------------===//

def Nuri_MatMulIntegerOp : Nuri_Op<"matmul_integer", [Pure, InferTypeOpAdaptor]> {
  let summary = "numpy matmul of (lhs - lhs_zero_point) and (rhs - rhs_zero_point) in i32";
  let description = [{
    Batch dimensions broadcast and 1-D operands are promoted as in
    nuri.matmul. lhs_zero_point is rank 0 or 1-D with one value per row of
    lhs; rhs_zero_point is rank 0 or 1-D with one value per column of rhs.
    Zero points share their operand's element type.
  }];
  let arguments = (ins Nuri_IntTensor:$lhs, Nuri_IntTensor:$rhs,
                   Nuri_IntTensor:$lhs_zero_point, Nuri_IntTensor:$rhs_zero_point);
  let results = (outs RankedTensorOf<[I32]>:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs `,` $lhs_zero_point `,` $rhs_zero_point attr-dict `:`
      functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

// pads are [begin..., end...]; padding stands for the input's zero point
// (contributes nothing).
def Nuri_ConvIntegerOp : Nuri_Op<"conv_integer", [Pure, InferTypeOpAdaptor]> {
  let summary = "N-d grouped convolution of (x - x_zero_point) and (w - w_zero_point) in i32";
  let description = [{
    NC[D]HW layout, weight [M, C/group, k...]. input_zero_point is rank 0;
    weight_zero_point is rank 0 or 1-D with one value per output channel.
  }];
  let arguments = (ins Nuri_IntTensor:$input, Nuri_IntTensor:$weight,
                   Nuri_IntTensor:$input_zero_point, Nuri_IntTensor:$weight_zero_point,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   DenseI64ArrayAttr:$dilations, I64Attr:$group);
  let results = (outs RankedTensorOf<[I32]>:$output);
  let assemblyFormat = [{
    $input `,` $weight `,` $input_zero_point `,` $weight_zero_point attr-dict `:`
      functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Determinant
//===----------------------------------------------------------------------===//

def Nuri_DetOp : Nuri_Op<"det", [Pure, InferTypeOpAdaptor]> {
  let summary = "determinant of each square matrix in the last two dimensions";
  let arguments = (ins Nuri_FloatTensor:$input);
  let results = (outs Nuri_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}

#endif
