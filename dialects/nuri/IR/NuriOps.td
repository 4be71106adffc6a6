#ifndef NURI_OPS_TD
#define NURI_OPS_TD

include "NuriDialect.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Nuri_Tensor : RankedTensorOf<[AnyType]>;
def Nuri_FloatTensor : RankedTensorOf<[AnyFloat]>;

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def Nuri_ConstantOp : Nuri_Op<"constant",
    [ConstantLike, Pure, AllTypesMatch<["value", "result"]>]> {
  let summary = "A tensor constant (ONNX initializers and Constant nodes)";
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Nuri_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

// Binary ops broadcast like numpy; the result shape is inferred.
class Nuri_BinaryOp<string mnemonic, list<Trait> traits = []>
    : Nuri_Op<mnemonic, !listconcat(traits, [Pure, InferTypeOpAdaptor])> {
  let arguments = (ins Nuri_Tensor:$lhs, Nuri_Tensor:$rhs);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($output)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Nuri_AddOp : Nuri_BinaryOp<"add", [Commutative]> { let summary = "lhs + rhs"; }
def Nuri_SubOp : Nuri_BinaryOp<"sub"> { let summary = "lhs - rhs"; }
def Nuri_MulOp : Nuri_BinaryOp<"mul", [Commutative]> { let summary = "lhs * rhs"; }
def Nuri_DivOp : Nuri_BinaryOp<"div"> { let summary = "lhs / rhs"; }
def Nuri_PowOp : Nuri_BinaryOp<"pow"> { let summary = "lhs ** rhs"; }
def Nuri_MaxOp : Nuri_BinaryOp<"max", [Commutative]> { let summary = "max(lhs, rhs)"; }
def Nuri_MinOp : Nuri_BinaryOp<"min", [Commutative]> { let summary = "min(lhs, rhs)"; }

class Nuri_UnaryOp<string mnemonic, list<Trait> traits = []>
    : Nuri_Op<mnemonic, !listconcat(traits,
        [Pure, SameOperandsAndResultType, InferTypeOpInterface])> {
  let arguments = (ins Nuri_Tensor:$input);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($output)";
  let hasFolder = 1;
}

def Nuri_ReluOp : Nuri_UnaryOp<"relu"> { let summary = "max(x, 0)"; }
def Nuri_SigmoidOp : Nuri_UnaryOp<"sigmoid"> { let summary = "1 / (1 + exp(-x))"; }
def Nuri_TanhOp : Nuri_UnaryOp<"tanh"> { let summary = "tanh(x)"; }
def Nuri_ErfOp : Nuri_UnaryOp<"erf"> { let summary = "erf(x)"; }
def Nuri_ExpOp : Nuri_UnaryOp<"exp"> { let summary = "exp(x)"; }
def Nuri_LogOp : Nuri_UnaryOp<"log"> { let summary = "log(x)"; }
def Nuri_SqrtOp : Nuri_UnaryOp<"sqrt"> { let summary = "sqrt(x)"; }
def Nuri_NegOp : Nuri_UnaryOp<"neg"> { let summary = "-x"; }
def Nuri_AbsOp : Nuri_UnaryOp<"abs"> { let summary = "|x|"; }
def Nuri_HardSwishOp : Nuri_UnaryOp<"hard_swish"> {
  let summary = "x * max(0, min(1, x / 6 + 1 / 2))";
}

def Nuri_LeakyReluOp : Nuri_Op<"leaky_relu",
    [Pure, SameOperandsAndResultType, InferTypeOpInterface]> {
  let summary = "x >= 0 ? x : alpha * x";
  let arguments = (ins Nuri_FloatTensor:$input, F32Attr:$alpha);
  let results = (outs Nuri_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($output)";
}

def Nuri_HardSigmoidOp : Nuri_Op<"hard_sigmoid",
    [Pure, SameOperandsAndResultType, InferTypeOpInterface]> {
  let summary = "max(0, min(1, alpha * x + beta))";
  let arguments = (ins Nuri_FloatTensor:$input, F32Attr:$alpha, F32Attr:$beta);
  let results = (outs Nuri_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($output)";
}

// Bounds are rank-0 tensors so they may come from the graph at run time.
def Nuri_ClipOp : Nuri_Op<"clip", [Pure, InferTypeOpAdaptor]> {
  let summary = "min(max(x, lo), hi)";
  let arguments = (ins Nuri_Tensor:$input, Nuri_Tensor:$min, Nuri_Tensor:$max);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = [{
    $input `,` $min `,` $max attr-dict `:` type($input) `,` type($min) `,` type($max)
  }];
  let hasVerifier = 1;
}

def Nuri_CastOp : Nuri_Op<"cast", [Pure, InferTypeOpAdaptor]> {
  let summary = "Element type conversion (ONNX Cast)";
  let description = [{
    `saturate` (ONNX Cast-19) applies to float8 targets only: out-of-range
    values and infinities become the largest finite value of the sign
    instead of NaN (or infinity for float8e5m2).
  }];
  let arguments = (ins Nuri_Tensor:$input, TypeAttr:$to,
                   DefaultValuedAttr<BoolAttr, "true">:$saturate);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Contractions, convolution, pooling
//===----------------------------------------------------------------------===//

def Nuri_MatMulOp : Nuri_Op<"matmul", [Pure, InferTypeOpAdaptor]> {
  let summary = "numpy matmul: batch dimensions broadcast, 1-D operands promoted";
  let arguments = (ins Nuri_Tensor:$lhs, Nuri_Tensor:$rhs);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Nuri_ConvOp : Nuri_Op<"conv", [Pure, InferTypeOpAdaptor]> {
  let summary = "N-d grouped convolution, NC[D]HW layout, optional bias";
  let arguments = (ins Nuri_Tensor:$input, Nuri_Tensor:$weight,
                   Optional<Nuri_Tensor>:$bias,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   DenseI64ArrayAttr:$dilations, I64Attr:$group);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

// pads are [begin..., end...] like ONNX; ceil_mode picks the output size rounding.
class Nuri_PoolOp<string mnemonic> : Nuri_Op<mnemonic, [Pure, InferTypeOpAdaptor]> {
  let arguments = (ins Nuri_FloatTensor:$input,
                   DenseI64ArrayAttr:$kernel_shape, DenseI64ArrayAttr:$strides,
                   DenseI64ArrayAttr:$pads, DenseI64ArrayAttr:$dilations,
                   BoolAttr:$ceil_mode, BoolAttr:$count_include_pad);
  let results = (outs Nuri_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}
def Nuri_MaxPoolOp : Nuri_PoolOp<"max_pool"> { let summary = "max pooling"; }
def Nuri_AvgPoolOp : Nuri_PoolOp<"avg_pool"> { let summary = "average pooling"; }

//===----------------------------------------------------------------------===//
// Reductions and normalizations
//===----------------------------------------------------------------------===//

class Nuri_ReduceOp<string mnemonic> : Nuri_Op<mnemonic, [Pure, InferTypeOpAdaptor]> {
  let arguments = (ins Nuri_Tensor:$input, DenseI64ArrayAttr:$axes, BoolAttr:$keepdims);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}
def Nuri_ReduceSumOp : Nuri_ReduceOp<"reduce_sum"> { let summary = "sum over axes"; }
def Nuri_ReduceMeanOp : Nuri_ReduceOp<"reduce_mean"> { let summary = "mean over axes"; }
def Nuri_ReduceMaxOp : Nuri_ReduceOp<"reduce_max"> { let summary = "maximum over axes"; }
def Nuri_ReduceMinOp : Nuri_ReduceOp<"reduce_min"> { let summary = "minimum over axes"; }
def Nuri_ReduceProdOp : Nuri_ReduceOp<"reduce_prod"> { let summary = "product over axes"; }

def Nuri_SoftmaxOp : Nuri_Op<"softmax",
    [Pure, SameOperandsAndResultType, InferTypeOpInterface]> {
  let summary = "softmax along one axis";
  let arguments = (ins Nuri_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Nuri_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($output)";
  let hasVerifier = 1;
}

def Nuri_LayerNormOp : Nuri_Op<"layer_norm", [Pure, InferTypeOpAdaptor]> {
  let summary = "layer normalization over the axes from `axis` to the last";
  let arguments = (ins Nuri_FloatTensor:$input, Nuri_FloatTensor:$scale,
                   Optional<Nuri_FloatTensor>:$bias, I64Attr:$axis, F32Attr:$epsilon);
  let results = (outs Nuri_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $scale (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Nuri_ReshapeOp : Nuri_Op<"reshape", [Pure]> {
  let summary = "reinterpret the shape (element count preserved)";
  let description = [{
    `dims` are the result's symbolic dimensions (one index per `?`, in
    order), computed from the input dimensions of the graph.
  }];
  let arguments = (ins Nuri_Tensor:$input, Variadic<Index>:$dims);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = [{
    $input (`[` $dims^ `]`)? attr-dict `:` type($input) `->` type($output)
  }];
  let builders = [OpBuilder<(ins "Type":$output, "Value":$input), [{
    build($_builder, $_state, output, input, ValueRange{});
  }]>];
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Nuri_TransposeOp : Nuri_Op<"transpose", [Pure, InferTypeOpAdaptor]> {
  let summary = "permute dimensions: output dim i is input dim perm[i]";
  let arguments = (ins Nuri_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def Nuri_ConcatOp : Nuri_Op<"concat", [Pure, InferTypeOpAdaptor]> {
  let summary = "concatenate along an axis";
  let arguments = (ins Variadic<Nuri_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = "$inputs attr-dict `:` functional-type($inputs, $output)";
  let hasVerifier = 1;
}

// Fully specified: one start/end/step per dimension, already clamped.
def Nuri_SliceOp : Nuri_Op<"slice", [Pure, InferTypeOpAdaptor]> {
  let summary = "strided slice (ONNX Slice/Split after normalization)";
  let arguments = (ins Nuri_Tensor:$input, DenseI64ArrayAttr:$starts,
                   DenseI64ArrayAttr:$ends, DenseI64ArrayAttr:$steps);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Nuri_GatherOp : Nuri_Op<"gather", [Pure, InferTypeOpAdaptor]> {
  let summary = "ONNX Gather: take slices of `data` along `axis` at `indices`";
  let arguments = (ins Nuri_Tensor:$data, RankedTensorOf<[AnySignlessInteger]>:$indices,
                   I64Attr:$axis);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = [{
    $data `,` $indices attr-dict `:` type($data) `,` type($indices) `->` type($output)
  }];
  
}

include "NuriMathOps.td"
include "NuriIndexOps.td"
include "NuriNNOps.td"
include "NuriQuantOps.td"
include "NuriMiscOps.td"
include "NuriDynamicOps.td"
include "NuriSymbolicOps.td"

#endif
