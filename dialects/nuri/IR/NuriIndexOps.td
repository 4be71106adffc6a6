// Ops of the gathers, scatters, padding, tiling and other index-driven data movement. Included by NuriOps.td.
#ifndef NURI_INDEX_OPS_TD
#define NURI_INDEX_OPS_TD

def Nuri_IndexTensor : RankedTensorOf<[AnySignlessInteger]>;

//===----------------------------------------------------------------------===//
// Gathers and scatters
//===----------------------------------------------------------------------===//

def Nuri_GatherElementsOp : Nuri_Op<"gather_elements", [Pure, InferTypeOpAdaptor]> {
  let summary = "ONNX GatherElements: out[i] = data[i with i[axis] = indices[i]]";
  let description = [{
    The result has the shape of `indices`. Negative indices count from the
    end of `axis`; out-of-range indices are clamped (never read outside).
  }];
  let arguments = (ins Nuri_Tensor:$data, Nuri_IndexTensor:$indices, I64Attr:$axis);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = [{
    $data `,` $indices attr-dict `:` type($data) `,` type($indices) `->` type($output)
  }];
  let hasVerifier = 1;
}

// `reduction` is one of none, add, mul, max, min; updates apply in order.
def Nuri_ScatterElementsOp : Nuri_Op<"scatter_elements", [Pure, InferTypeOpAdaptor]> {
  let summary = "ONNX ScatterElements/Scatter: data with data[i with i[axis] = indices[i]] (op)= updates[i]";
  let arguments = (ins Nuri_Tensor:$data, Nuri_IndexTensor:$indices, Nuri_Tensor:$updates,
                   I64Attr:$axis, StrAttr:$reduction);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = [{
    $data `,` $indices `,` $updates attr-dict `:` type($data) `,` type($indices) `,`
    type($updates) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Nuri_ScatterNDOp : Nuri_Op<"scatter_nd", [Pure, InferTypeOpAdaptor]> {
  let summary = "ONNX ScatterND: slices of data addressed by index tuples (op)= updates";
  let arguments = (ins Nuri_Tensor:$data, Nuri_IndexTensor:$indices, Nuri_Tensor:$updates,
                   StrAttr:$reduction);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = [{
    $data `,` $indices `,` $updates attr-dict `:` type($data) `,` type($indices) `,`
    type($updates) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Nuri_GatherNDOp : Nuri_Op<"gather_nd", [Pure, InferTypeOpAdaptor]> {
  let summary = "ONNX GatherND: slices of data addressed by index tuples, after batch_dims";
  let arguments = (ins Nuri_Tensor:$data, Nuri_IndexTensor:$indices, I64Attr:$batch_dims);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = [{
    $data `,` $indices attr-dict `:` type($data) `,` type($indices) `->` type($output)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Masks, scans, one-hot, identity
//===----------------------------------------------------------------------===//

// k is a rank-0 integer tensor: it may come from the graph at run time.
def Nuri_TriluOp : Nuri_Op<"trilu", [Pure, InferTypeOpAdaptor]> {
  let summary = "ONNX Trilu: keep the upper (j - i >= k) or lower (j - i <= k) triangle";
  let arguments = (ins Nuri_Tensor:$input, Nuri_IndexTensor:$k, BoolAttr:$upper);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = "$input `,` $k attr-dict `:` type($input) `,` type($k) `->` type($output)";
  let hasVerifier = 1;
}

// axis is a rank-0 integer tensor (may be a graph input), in [-rank, rank).
def Nuri_CumSumOp : Nuri_Op<"cumsum", [Pure, InferTypeOpAdaptor]> {
  let summary = "ONNX CumSum: running sum along a dimension";
  let arguments = (ins Nuri_Tensor:$input, Nuri_IndexTensor:$axis, BoolAttr:$exclusive,
                   BoolAttr:$reverse);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = "$input `,` $axis attr-dict `:` type($input) `,` type($axis) `->` type($output)";
  let hasVerifier = 1;
}

// values holds [off_value, on_value]; depth is static (it sets the shape).
def Nuri_OneHotOp : Nuri_Op<"one_hot", [Pure, InferTypeOpAdaptor]> {
  let summary = "ONNX OneHot: a new dimension of size depth at axis, on where index matches";
  let arguments = (ins Nuri_Tensor:$indices, Nuri_Tensor:$values, I64Attr:$depth,
                   I64Attr:$axis);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = [{
    $indices `,` $values attr-dict `:` type($indices) `,` type($values) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Nuri_EyeOp : Nuri_Op<"eye", [Pure]> {
  let summary = "ONNX EyeLike: ones on the k-th diagonal of a 2-D tensor, zeros elsewhere";
  let arguments = (ins I64Attr:$k);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = "attr-dict `:` type($output)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Broadcasts, padding, reversal, selection
//===----------------------------------------------------------------------===//

def Nuri_BroadcastToOp : Nuri_Op<"broadcast_to", [Pure]> {
  let summary = "numpy broadcast of the input to the result shape (ONNX Expand, Tile)";
  let description = [{
    `dims` are the result's symbolic dimensions (one index per `?`).
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
}

// pads are [begin..., end...] per dimension and may be negative (cropping);
// mode is constant, reflect, edge or wrap; value is the rank-0 fill.
def Nuri_PadOp : Nuri_Op<"pad", [Pure, InferTypeOpAdaptor]> {
  let summary = "ONNX Pad";
  let arguments = (ins Nuri_Tensor:$input, Nuri_Tensor:$value, DenseI64ArrayAttr:$pads,
                   StrAttr:$mode);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = [{
    $input `,` $value attr-dict `:` type($input) `,` type($value) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Nuri_ReverseSequenceOp : Nuri_Op<"reverse_sequence", [Pure, InferTypeOpAdaptor]> {
  let summary = "ONNX ReverseSequence: reverse the first seq_lens[b] steps of each batch entry";
  let arguments = (ins Nuri_Tensor:$input, Nuri_IndexTensor:$sequence_lens,
                   I64Attr:$batch_axis, I64Attr:$time_axis);
  let results = (outs Nuri_Tensor:$output);
  let assemblyFormat = [{
    $input `,` $sequence_lens attr-dict `:` type($input) `,` type($sequence_lens) `->` type($output)
  }];
  let hasVerifier = 1;
}

// Ties keep the lower index first; indices are i64.
def Nuri_TopKOp : Nuri_Op<"top_k", [Pure, InferTypeOpAdaptor]> {
  let summary = "ONNX TopK with a static k: the k largest (or smallest) along axis, sorted";
  let arguments = (ins Nuri_Tensor:$input, I64Attr:$k, I64Attr:$axis, BoolAttr:$largest);
  let results = (outs Nuri_Tensor:$values, RankedTensorOf<[I64]>:$indices);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($values) `,` type($indices)";
  let hasVerifier = 1;
}

#endif
