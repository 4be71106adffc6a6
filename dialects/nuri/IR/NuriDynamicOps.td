// Ops whose result shapes depend on the input data (NonZero, Compress,
// Unique). Each returns its data compactly (row-major) at the start of a 1-D
// upper bound, plus int64 dims tensors giving the actual shapes (see
// RuntimeShape in compiler/importer/ImporterContext.h). Included by NuriOps.td.
#ifndef NURI_DYNAMIC_OPS_TD
#define NURI_DYNAMIC_OPS_TD

def Nuri_NonZeroOp : Nuri_Op<"nonzero", [Pure, InferTypeOpAdaptor]> {
  let summary = "coordinates of the non-zero elements, [rank, count] in a 1-D bound";
  let description = [{
    `indices` is int64[rank * numel]; its first rank * count entries hold the
    [rank, count] row-major matrix of the coordinates of the non-zero
    elements (row-major order). `dims` is int64[2] = [rank, count].
  }];
  let arguments = (ins Nuri_Tensor:$input);
  let results = (outs Nuri_I64Tensor:$indices, Nuri_I64Tensor:$dims);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Nuri_CompressOp : Nuri_Op<"compress", [Pure, InferTypeOpAdaptor]> {
  let summary = "the slices along `axis` whose condition is true, in a 1-D bound";
  let description = [{
    Keeps slice i of `input` along `axis` where i < len(condition) and
    condition[i] is true. `output` (as large as the input, flattened) holds
    the kept elements row-major at its start; `dims` (int64[rank]) is the
    input's shape with dims[axis] = the number of kept slices.
  }];
  let arguments = (ins Nuri_Tensor:$input, Nuri_BoolTensor:$condition, I64Attr:$axis);
  let results = (outs Nuri_Tensor:$output, Nuri_I64Tensor:$dims);
  let assemblyFormat = "$input `,` $condition attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Nuri_UniqueOp : Nuri_Op<"unique", [Pure, InferTypeOpAdaptor]> {
  let summary = "the distinct slices along `axis`, with indices, inverse and counts";
  let description = [{
    The slices of `input` along `axis` (A of them) are compared element-wise.
    With `sorted` the U distinct slices are ordered lexicographically (over
    the slice's elements in row-major order), else by first occurrence.
    `output` (a 1-D bound as large as the input) holds the distinct slices,
    i.e. the input's shape with U at `axis`, row-major; `indices` (int64[A],
    first U valid) is each distinct slice's first occurrence; `inverse_indices`
    (int64[A]) maps every slice to its distinct one; `counts` (int64[A],
    first U valid) counts the occurrences. `output_dims` (int64[rank]) is the
    output's shape and `count_dims` (int64[1]) is [U].
  }];
  let arguments = (ins Nuri_Tensor:$input, I64Attr:$axis, BoolAttr:$sorted);
  let results = (outs Nuri_Tensor:$output, Nuri_I64Tensor:$indices,
                 Nuri_I64Tensor:$inverse_indices, Nuri_I64Tensor:$counts,
                 Nuri_I64Tensor:$output_dims, Nuri_I64Tensor:$count_dims);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Nuri_NonMaxSuppressionOp : Nuri_Op<"non_max_suppression", [Pure, InferTypeOpAdaptor]> {
  let summary = "ONNX NonMaxSuppression: selected [batch, class, box] triples in a 1-D bound";
  let description = [{
    `boxes` is [B, N, 4] ([y1, x1, y2, x2] corners in any order, or with
    `center_point_box` [xc, yc, w, h]), `scores` is [B, C, N].
    `max_output` (int64[1]), `iou_threshold` and `score_threshold` (float[1])
    are run-time values. Per (batch, class), the boxes with score >
    score_threshold are visited in descending score order (ties: lower index
    first); a box is kept unless its IoU with a kept box is > iou_threshold;
    at most max_output are kept. `selected` (int64[B * C * N * 3]) holds the
    [count, 3] matrix at its start; `dims` (int64[2]) is [count, 3].
  }];
  let arguments = (ins Nuri_FloatTensor:$boxes, Nuri_FloatTensor:$scores,
                   Nuri_I64Tensor:$max_output, Nuri_FloatTensor:$iou_threshold,
                   Nuri_FloatTensor:$score_threshold, I64Attr:$center_point_box);
  let results = (outs Nuri_I64Tensor:$selected, Nuri_I64Tensor:$dims);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}


//===----------------------------------------------------------------------===//
// Unbounded run-time shapes
//===----------------------------------------------------------------------===//

def Nuri_GenerateOp : Nuri_Op<"generate", [RecursiveMemoryEffects, SingleBlock]> {
  let summary = "a tensor of run-time shape, defined element by element";
  let description = [{
    `dims` (int64[rank]) is the shape, computed at run time; `output` holds
    its product of elements compactly, row-major, in a 1-D tensor of run-time
    size (see RuntimeShape). The region takes the rank indices of one
    element and yields its value; it reads other tensors with tensor.extract.
    Resize with run-time scales, Range, ConstantOfShape, Expand, Tile, Pad,
    OneHot and the window functions are defined this way when a
    shape-setting input is a run-time tensor: no upper bound is known, so
    the host program sizes the output after computing `dims`.
  }];
  let arguments = (ins Nuri_I64Tensor:$dims);
  let results = (outs Nuri_Tensor:$output);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$dims attr-dict `:` type($dims) `->` type($output) $body";
  let hasVerifier = 1;
}

def Nuri_YieldOp : Nuri_Op<"yield", [Pure, Terminator, HasParent<"GenerateOp">]> {
  let summary = "the value of one element of nuri.generate";
  let arguments = (ins AnyType:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}


//===----------------------------------------------------------------------===//
// Structured control flow
//===----------------------------------------------------------------------===//

def Nuri_LoopOp : Nuri_Op<"loop", [RecursiveMemoryEffects, SingleBlock]> {
  let summary = "ONNX Loop whose trip count or condition is known only at run time";
  let description = [{
    Runs the body while `iteration < max_trip` and the condition holds. The
    body takes (iteration: tensor<i64>, condition: tensor<i1>, carried...)
    and yields (condition, carried..., scan elements...). Results: the final
    carried values, then for each scan output its elements stacked in the
    compact 1-D layout (run-time size, at most max_trip elements), then for
    each scan output its dims (int64[1 + element rank]: the iterations run,
    then the element's shape). Lowered to scf.while on tensors; the loop
    runs inside one dispatch. Static trip counts are unrolled at import
    instead.
  }];
  let arguments = (ins Nuri_I64Tensor:$max_trip, Nuri_BoolTensor:$cond,
                   Variadic<Nuri_Tensor>:$carried);
  let results = (outs Variadic<Nuri_Tensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $max_trip `,` $cond (`,` $carried^)? attr-dict `:` functional-type(operands, results) $body
  }];
  let hasVerifier = 1;
}

def Nuri_LoopYieldOp : Nuri_Op<"loop_yield", [Pure, Terminator, HasParent<"LoopOp">]> {
  let summary = "the next condition, carried values and scan elements of nuri.loop";
  let arguments = (ins Variadic<Nuri_Tensor>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

#endif
