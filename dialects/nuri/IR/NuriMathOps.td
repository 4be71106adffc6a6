// Elementwise math, comparisons, logic, arg-reductions and the softmax family.
// Included by NuriOps.td.
#ifndef NURI_MATH_OPS_TD
#define NURI_MATH_OPS_TD

def Nuri_BoolTensor : RankedTensorOf<[I1]>;

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

class Nuri_MathUnaryOp<string mnemonic, dag attrs = (ins)>
    : Nuri_Op<mnemonic, [Pure, SameOperandsAndResultType, InferTypeOpInterface]> {
  let arguments = !con((ins Nuri_Tensor:$input), attrs);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($output)";
}

def Nuri_CeilOp : Nuri_MathUnaryOp<"ceil"> { let summary = "round up"; }
def Nuri_FloorOp : Nuri_MathUnaryOp<"floor"> { let summary = "round down"; }
def Nuri_RoundOp : Nuri_MathUnaryOp<"round"> { let summary = "round half to even"; }
def Nuri_SignOp : Nuri_MathUnaryOp<"sign"> { let summary = "-1, 0 or 1"; }
def Nuri_ReciprocalOp : Nuri_MathUnaryOp<"reciprocal"> { let summary = "1 / x"; }
def Nuri_SinOp : Nuri_MathUnaryOp<"sin"> { let summary = "sin(x)"; }
def Nuri_CosOp : Nuri_MathUnaryOp<"cos"> { let summary = "cos(x)"; }
def Nuri_TanOp : Nuri_MathUnaryOp<"tan"> { let summary = "tan(x)"; }
def Nuri_AsinOp : Nuri_MathUnaryOp<"asin"> { let summary = "asin(x)"; }
def Nuri_AcosOp : Nuri_MathUnaryOp<"acos"> { let summary = "acos(x)"; }
def Nuri_AtanOp : Nuri_MathUnaryOp<"atan"> { let summary = "atan(x)"; }
def Nuri_SinhOp : Nuri_MathUnaryOp<"sinh"> { let summary = "sinh(x)"; }
def Nuri_CoshOp : Nuri_MathUnaryOp<"cosh"> { let summary = "cosh(x)"; }
def Nuri_AsinhOp : Nuri_MathUnaryOp<"asinh"> { let summary = "asinh(x)"; }
def Nuri_AcoshOp : Nuri_MathUnaryOp<"acosh"> { let summary = "acosh(x)"; }
def Nuri_AtanhOp : Nuri_MathUnaryOp<"atanh"> { let summary = "atanh(x)"; }
def Nuri_SoftplusOp : Nuri_MathUnaryOp<"softplus"> { let summary = "log(exp(x) + 1)"; }
def Nuri_SoftsignOp : Nuri_MathUnaryOp<"softsign"> { let summary = "x / (1 + |x|)"; }
def Nuri_MishOp : Nuri_MathUnaryOp<"mish"> { let summary = "x * tanh(softplus(x))"; }
def Nuri_NotOp : Nuri_MathUnaryOp<"not"> {
  let summary = "logical not (bool) or bitwise not (integers)";
  let hasFolder = 1;
}

def Nuri_EluOp : Nuri_MathUnaryOp<"elu", (ins F32Attr:$alpha)> {
  let summary = "x < 0 ? alpha * (exp(x) - 1) : x";
}
def Nuri_SeluOp : Nuri_MathUnaryOp<"selu", (ins F32Attr:$alpha, F32Attr:$gamma)> {
  let summary = "gamma * (x <= 0 ? alpha * (exp(x) - 1) : x)";
}
def Nuri_CeluOp : Nuri_MathUnaryOp<"celu", (ins F32Attr:$alpha)> {
  let summary = "max(0, x) + min(0, alpha * (exp(x / alpha) - 1))";
}
def Nuri_ThresholdedReluOp : Nuri_MathUnaryOp<"thresholded_relu", (ins F32Attr:$alpha)> {
  let summary = "x > alpha ? x : 0";
}
def Nuri_ShrinkOp : Nuri_MathUnaryOp<"shrink", (ins F32Attr:$bias, F32Attr:$lambd)> {
  let summary = "x < -lambd ? x + bias : x > lambd ? x - bias : 0";
}
def Nuri_GeluOp : Nuri_MathUnaryOp<"gelu", (ins BoolAttr:$tanh_approximation)> {
  let summary = "x * Phi(x), exact (erf) or with the tanh approximation";
}

class Nuri_ClassifyOp<string mnemonic, dag attrs = (ins)>
    : Nuri_Op<mnemonic, [Pure, InferTypeOpAdaptor]> {
  let arguments = !con((ins Nuri_FloatTensor:$input), attrs);
  let results = (outs Nuri_BoolTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}
def Nuri_IsNaNOp : Nuri_ClassifyOp<"is_nan"> { let summary = "x is NaN"; }
def Nuri_IsInfOp : Nuri_ClassifyOp<"is_inf",
    (ins BoolAttr:$detect_positive, BoolAttr:$detect_negative)> {
  let summary = "x is +inf (if detect_positive) or -inf (if detect_negative)";
}

//===----------------------------------------------------------------------===//
// Binary (numpy broadcasting, result type inferred)
//===----------------------------------------------------------------------===//

class Nuri_MathBinaryOp<string mnemonic, dag attrs = (ins), list<Trait> traits = []>
    : Nuri_Op<mnemonic, !listconcat(traits, [Pure, InferTypeOpAdaptor])> {
  let arguments = !con((ins Nuri_Tensor:$lhs, Nuri_Tensor:$rhs), attrs);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Nuri_ModOp : Nuri_MathBinaryOp<"mod", (ins BoolAttr:$fmod)> {
  let summary = "remainder: sign of the divisor, or of the dividend with fmod";
  let hasFolder = 1;
}
def Nuri_AndOp : Nuri_MathBinaryOp<"and", (ins), [Commutative]> {
  let summary = "logical (bool) or bitwise (integers) and";
  let hasFolder = 1;
}
def Nuri_OrOp : Nuri_MathBinaryOp<"or", (ins), [Commutative]> {
  let summary = "logical (bool) or bitwise (integers) or";
  let hasFolder = 1;
}
def Nuri_XorOp : Nuri_MathBinaryOp<"xor", (ins), [Commutative]> {
  let summary = "logical (bool) or bitwise (integers) xor";
  let hasFolder = 1;
}
def Nuri_BitShiftOp : Nuri_MathBinaryOp<"bit_shift", (ins BoolAttr:$left)> {
  let summary = "lhs << rhs or lhs >> rhs (unsigned integers)";
}
def Nuri_PReluOp : Nuri_MathBinaryOp<"prelu"> {
  let summary = "lhs < 0 ? rhs * lhs : lhs (rhs broadcasts to lhs)";
}

class Nuri_CompareOp<string mnemonic> : Nuri_MathBinaryOp<mnemonic> {
  let results = (outs Nuri_BoolTensor:$output);
  let hasFolder = 1;
}
def Nuri_EqualOp : Nuri_CompareOp<"equal"> { let summary = "lhs == rhs"; }
def Nuri_LessOp : Nuri_CompareOp<"less"> { let summary = "lhs < rhs"; }
def Nuri_LessEqualOp : Nuri_CompareOp<"less_equal"> { let summary = "lhs <= rhs"; }
def Nuri_GreaterOp : Nuri_CompareOp<"greater"> { let summary = "lhs > rhs"; }
def Nuri_GreaterEqualOp : Nuri_CompareOp<"greater_equal"> { let summary = "lhs >= rhs"; }

def Nuri_WhereOp : Nuri_Op<"where", [Pure, InferTypeOpAdaptor]> {
  let summary = "condition ? lhs : rhs, all three broadcast";
  let arguments = (ins Nuri_BoolTensor:$condition, Nuri_Tensor:$lhs, Nuri_Tensor:$rhs);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = [{
    $condition `,` $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Along one axis
//===----------------------------------------------------------------------===//

class Nuri_ArgOp<string mnemonic> : Nuri_Op<mnemonic, [Pure, InferTypeOpAdaptor]> {
  let arguments = (ins Nuri_Tensor:$input, I64Attr:$axis, BoolAttr:$keepdims,
                   BoolAttr:$select_last_index);
  let results = (outs RankedTensorOf<[I64]>:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}
def Nuri_ArgMaxOp : Nuri_ArgOp<"arg_max"> { let summary = "index of the largest value"; }
def Nuri_ArgMinOp : Nuri_ArgOp<"arg_min"> { let summary = "index of the smallest value"; }

class Nuri_AxisOp<string mnemonic>
    : Nuri_Op<mnemonic, [Pure, SameOperandsAndResultType, InferTypeOpInterface]> {
  let arguments = (ins Nuri_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Nuri_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($output)";
  let hasVerifier = 1;
}
def Nuri_LogSoftmaxOp : Nuri_AxisOp<"log_softmax"> { let summary = "log of softmax along one axis"; }
def Nuri_HardmaxOp : Nuri_AxisOp<"hardmax"> {
  let summary = "1 at the first largest value along one axis, 0 elsewhere";
}

//===----------------------------------------------------------------------===//
// Data-dependent shapes
//===----------------------------------------------------------------------===//

// The reduced axes come from a run-time mask, so the result's shape is only
// known at run time: it is returned compactly (row-major over the kept
// dimensions) in a 1-D tensor as large as the input.
def Nuri_ReduceSumMaskedOp : Nuri_Op<"reduce_sum_masked", [Pure, InferTypeOpAdaptor]> {
  let summary = "sum over the axes where mask is true, into a compact 1-D bound";
  let arguments = (ins Nuri_Tensor:$input, Nuri_BoolTensor:$mask);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = "$input `,` $mask attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

// Slice with run-time bounds: element k (row-major over `dims`) of the result
// is input[starts + coords(k) * steps]; the result is compact in a 1-D bound
// as large as the input. starts, steps and dims are int64[rank], already
// clamped (the importer's nuri ops compute them).
def Nuri_StridedGatherOp : Nuri_Op<"strided_gather", [Pure, InferTypeOpAdaptor]> {
  let summary = "strided slice with run-time starts, steps and result dims";
  let arguments = (ins Nuri_Tensor:$input, RankedTensorOf<[I64]>:$starts,
                   RankedTensorOf<[I64]>:$steps, RankedTensorOf<[I64]>:$dims);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = "$input `,` $starts `,` $steps `,` $dims attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

#endif
