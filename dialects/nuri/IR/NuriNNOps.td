// Ops of the neural-network ops: resize, transposed convolution, normalizations, einsum. Included by NuriOps.td.
#ifndef NURI_NN_OPS_TD
#define NURI_NN_OPS_TD

//===----------------------------------------------------------------------===//
// Resize
//===----------------------------------------------------------------------===//

// The importer resolves ONNX's scales/sizes/axes/keep_aspect_ratio_policy
// into one output size and one scale per dimension. The scale is kept apart
// from output/input because ONNX maps coordinates with it (floor(4 * 0.6) = 2
// outputs, but x_original = (x + 0.5) / 0.6 - 0.5).
def Nuri_ResizeOp : Nuri_Op<"resize", [Pure, InferTypeOpAdaptor]> {
  let summary = "ONNX Resize/Upsample: nearest, linear or cubic interpolation";
  let description = [{
    `mode`: nearest | linear | cubic. `coordinate_transformation_mode`:
    half_pixel | half_pixel_symmetric | pytorch_half_pixel | align_corners |
    asymmetric | tf_half_pixel_for_nn | tf_crop_and_resize.
    `nearest_mode`: round_prefer_floor | round_prefer_ceil | floor | ceil |
    simple (opset-10 Resize and Upsample: floor when upsampling a dimension,
    ceil when downsampling it). `roi` is [starts..., ends...] (normalized) for
    tf_crop_and_resize and empty otherwise; outputs whose source lies outside
    the input take `extrapolation_value` in that mode. `antialias` (opset
    18, linear mode) widens the filter by 1/scale when downsampling.
  }];
  let arguments = (ins Nuri_Tensor:$input, DenseI64ArrayAttr:$sizes,
                   DenseF64ArrayAttr:$scales, DenseF64ArrayAttr:$roi,
                   StrAttr:$mode, StrAttr:$coordinate_transformation_mode,
                   StrAttr:$nearest_mode, F32Attr:$cubic_coeff_a,
                   BoolAttr:$exclude_outside, F32Attr:$extrapolation_value,
                   DefaultValuedAttr<BoolAttr, "false">:$antialias);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Transposed convolution
//===----------------------------------------------------------------------===//

// pads are [begin..., end...] and may be negative: a negative pad adds zero
// outputs (ONNX's output_shape larger than the natural size).
def Nuri_ConvTransposeOp : Nuri_Op<"conv_transpose", [Pure, InferTypeOpAdaptor]> {
  let summary = "N-d grouped transposed convolution, NC[D]HW layout, weight [C, M/group, k...]";
  let description = [{
    Output size per spatial dimension:
    stride * (in - 1) + output_padding + (kernel - 1) * dilation + 1 - pad_begin - pad_end.
  }];
  let arguments = (ins Nuri_FloatTensor:$input, Nuri_FloatTensor:$weight,
                   Optional<Nuri_FloatTensor>:$bias,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                   DenseI64ArrayAttr:$dilations, DenseI64ArrayAttr:$output_padding,
                   I64Attr:$group);
  let results = (outs Nuri_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Pooling beyond nuri.max_pool / nuri.avg_pool
//===----------------------------------------------------------------------===//

// Also the form of integer MaxPool (nuri.max_pool is float-only); the
// indices result may then be unused.
def Nuri_MaxPoolIndexedOp : Nuri_Op<"max_pool_indexed", [Pure, InferTypeOpAdaptor]> {
  let summary = "max pooling of any numeric type that also yields each maximum's flat index";
  let description = [{
    Indices address the whole input tensor, row-major
    (((n * C + c) * H + h) * W + w), or with `storage_order` = 1 the
    spatial dimensions column-major (((n * C + c) * W + w) * H + h), as
    ONNX MaxPool's Indices output. The first maximum of a window wins.
  }];
  let arguments = (ins Nuri_Tensor:$input,
                   DenseI64ArrayAttr:$kernel_shape, DenseI64ArrayAttr:$strides,
                   DenseI64ArrayAttr:$pads, DenseI64ArrayAttr:$dilations,
                   BoolAttr:$ceil_mode, I64Attr:$storage_order);
  let results = (outs Nuri_Tensor:$output, RankedTensorOf<[I64]>:$indices);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output) `,` type($indices)";
  let hasVerifier = 1;
}

def Nuri_LpPoolOp : Nuri_Op<"lp_pool", [Pure, InferTypeOpAdaptor]> {
  let summary = "Lp pooling: (sum over the window of |x|^p)^(1/p)";
  let arguments = (ins Nuri_FloatTensor:$input,
                   DenseI64ArrayAttr:$kernel_shape, DenseI64ArrayAttr:$strides,
                   DenseI64ArrayAttr:$pads, DenseI64ArrayAttr:$dilations,
                   BoolAttr:$ceil_mode, I64Attr:$p);
  let results = (outs Nuri_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

// The output shape is explicit (ONNX derives it from kernel/strides/pads or
// takes it as an input).
def Nuri_MaxUnpoolOp : Nuri_Op<"max_unpool", [Pure]> {
  let summary = "scatter values into a zero tensor at flat indices (ONNX MaxUnpool)";
  let description = [{
    Indices are flat positions in a tensor of shape `index_shape` (the
    shape MaxPool's input had); that tensor, zero but for
    input[i] at indices[i], is the output's leading corner, the rest of the
    output is zero (ONNX's output_shape may be larger). Indices outside
    either shape are ignored.
  }];
  let arguments = (ins Nuri_Tensor:$input, RankedTensorOf<[I64]>:$indices,
                   DenseI64ArrayAttr:$index_shape);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = [{
    $input `,` $indices attr-dict `:` type($input) `,` type($indices) `->` type($output)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Normalizations
//===----------------------------------------------------------------------===//

// InstanceNormalization is the case num_groups = C.
def Nuri_GroupNormOp : Nuri_Op<"group_norm",
    [Pure, InferTypeOpAdaptor]> {
  let summary = "group normalization of [N, C, ...]: statistics per (n, group), scale/bias per channel";
  let arguments = (ins Nuri_FloatTensor:$input, Nuri_FloatTensor:$scale,
                   Nuri_FloatTensor:$bias, I64Attr:$num_groups, F32Attr:$epsilon);
  let results = (outs Nuri_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $scale `,` $bias attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Nuri_LRNOp : Nuri_Op<"lrn", [Pure, SameOperandsAndResultType, InferTypeOpInterface]> {
  let summary = "local response normalization across channels";
  let description = [{
    y = x / (bias + alpha / size * sum of x^2 over channels
    [c - floor((size - 1) / 2), c + ceil((size - 1) / 2)]) ^ beta
  }];
  let arguments = (ins Nuri_FloatTensor:$input, I64Attr:$size, F32Attr:$alpha,
                   F32Attr:$beta, F32Attr:$bias);
  let results = (outs Nuri_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($output)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Einsum
//===----------------------------------------------------------------------===//

// The importer expands ellipses and implicit outputs: the equation here is
// letters only, e.g. "bij,bjk->bik"; a letter repeated in one operand takes
// its diagonal, letters absent from the output are summed over. A dimension
// of size 1 broadcasts against the label's size elsewhere.
def Nuri_EinsumOp : Nuri_Op<"einsum", [Pure, InferTypeOpAdaptor]> {
  let summary = "Einstein summation over a normalized equation";
  let arguments = (ins Variadic<Nuri_Tensor>:$inputs, StrAttr:$equation);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = "$inputs attr-dict `:` functional-type($inputs, $output)";
  let hasVerifier = 1;
}

#endif
