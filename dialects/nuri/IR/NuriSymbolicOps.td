// Ops for symbolic dimensions: a graph input with a dimension named but not
// fixed (a batch, a sequence length) is compiled once for every size. Such
// a dimension is `?` in the tensor types; its value is an `index` computed
// from the input dimensions (tensor.dim of a graph input, arith on those).
// Ops whose result dimensions cannot be read off their operands take them
// as operands (nuri.reshape, nuri.broadcast_to, nuri.iota); nuri.tie_shape
// names the dimensions of a dispatch's operand inside the dispatch.
// Included by NuriOps.td.
#ifndef NURI_SYMBOLIC_OPS_TD
#define NURI_SYMBOLIC_OPS_TD

def Nuri_IotaOp : Nuri_Op<"iota", [Pure]> {
  let summary = "start + i * delta for i in [0, size): ONNX Range of a symbolic length";
  let arguments = (ins Index:$size, I64Attr:$start, I64Attr:$delta);
  let results = (outs Nuri_IntTensor:$output);
  let assemblyFormat = "$size attr-dict `:` type($output)";
  let hasVerifier = 1;
}

def Nuri_TieShapeOp : Nuri_Op<"tie_shape", [Pure,
    AllTypesMatch<["input", "output"]>,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface, ["reifyResultShapes"]>]> {
  let summary = "the input, whose dynamic dimensions are `dims`";
  let description = [{
    Placed by nuri-form-dispatches on each dispatch operand of symbolic
    shape, with the dimensions recomputed inside the dispatch from the
    symbols binding; a target's kernel ABI turns it into a view of the
    bound buffer with those sizes.
  }];
  let arguments = (ins AnyRankedTensor:$input, Variadic<Index>:$dims);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$input `[` $dims `]` attr-dict `:` type($input)";
  let hasVerifier = 1;
}

#endif
