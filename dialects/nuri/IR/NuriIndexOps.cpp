//===- NuriIndexOps.cpp - verifiers and type inference: gathers, scatters, pads ---===//
#include "dialects/nuri/IR/NuriDialect.h"

using namespace mlir;
using namespace mlir::nuri;

namespace {

RankedTensorType ranked(Value v) { return cast<RankedTensorType>(v.getType()); }

LogicalResult optError(std::optional<Location> loc, const Twine &msg) {
  if (loc)
    return emitError(*loc, msg);
  return failure();
}

bool isReduction(StringRef r) {
  return r == "none" || r == "add" || r == "mul" || r == "max" || r == "min";
}

bool isRank0Int(Value v) {
  auto t = ranked(v);
  return t.getRank() == 0 && isa<IntegerType>(t.getElementType());
}

} // namespace

//===----------------------------------------------------------------------===//
// Gathers and scatters
//===----------------------------------------------------------------------===//

LogicalResult GatherElementsOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                                 Adaptor a, SmallVectorImpl<Type> &t) {
  t.push_back(ranked(a.getIndices()).clone(ranked(a.getData()).getElementType()));
  return success();
}

LogicalResult GatherElementsOp::verify() {
  auto data = getData().getType(), idx = getIndices().getType();
  if (data.getRank() != idx.getRank())
    return emitOpError("indices must have the rank of data (")
           << idx.getRank() << " vs " << data.getRank() << ")";
  if (getAxis() < 0 || getAxis() >= data.getRank())
    return emitOpError("axis ") << getAxis() << " out of range for rank " << data.getRank();
  if (data.getRank() > 0 && data.getDimSize(getAxis()) == 0 && idx.getNumElements() > 0)
    return emitOpError("gathers from an empty axis");
  return success();
}

LogicalResult ScatterElementsOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                                  Adaptor a, SmallVectorImpl<Type> &t) {
  t.push_back(a.getData().getType());
  return success();
}

LogicalResult ScatterElementsOp::verify() {
  auto data = getData().getType(), idx = getIndices().getType(),
       upd = getUpdates().getType();
  if (data.getRank() != idx.getRank())
    return emitOpError("indices must have the rank of data");
  if (idx.getShape() != upd.getShape())
    return emitOpError("updates must have the shape of indices");
  if (upd.getElementType() != data.getElementType())
    return emitOpError("updates must have the element type of data");
  if (getAxis() < 0 || getAxis() >= data.getRank())
    return emitOpError("axis ") << getAxis() << " out of range for rank " << data.getRank();
  if (!isReduction(getReduction()))
    return emitOpError("unknown reduction '") << getReduction() << "'";
  if (data.getDimSize(getAxis()) == 0 && idx.getNumElements() > 0)
    return emitOpError("scatters into an empty axis");
  return success();
}

LogicalResult ScatterNDOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                            Adaptor a, SmallVectorImpl<Type> &t) {
  t.push_back(a.getData().getType());
  return success();
}

LogicalResult ScatterNDOp::verify() {
  auto data = getData().getType(), idx = getIndices().getType(),
       upd = getUpdates().getType();
  if (idx.getRank() < 1)
    return emitOpError("indices must have rank >= 1");
  int64_t k = idx.getShape().back();
  if (k < 1 || k > data.getRank())
    return emitOpError("index tuples of length ") << k << " do not address data of rank "
                                                  << data.getRank();
  SmallVector<int64_t> want(idx.getShape().drop_back());
  llvm::append_range(want, data.getShape().drop_front(k));
  if (upd.getShape() != ArrayRef<int64_t>(want))
    return emitOpError("updates must have shape indices.shape[:-1] + data.shape[k:]");
  if (upd.getElementType() != data.getElementType())
    return emitOpError("updates must have the element type of data");
  if (!isReduction(getReduction()))
    return emitOpError("unknown reduction '") << getReduction() << "'";
  for (int64_t d = 0; d < k; ++d)
    if (data.getDimSize(d) == 0 && upd.getNumElements() > 0)
      return emitOpError("scatters into an empty dimension");
  return success();
}

LogicalResult GatherNDOp::inferReturnTypes(MLIRContext *, std::optional<Location> l,
                                           Adaptor a, SmallVectorImpl<Type> &t) {
  auto data = ranked(a.getData()), idx = ranked(a.getIndices());
  int64_t b = a.getBatchDims();
  if (idx.getRank() < 1 || b < 0 || b >= idx.getRank() || b >= data.getRank())
    return optError(l, "gather_nd: batch_dims must be below the ranks of data and indices");
  int64_t k = idx.getShape().back();
  if (k < 1 || b + k > data.getRank())
    return optError(l, "gather_nd: index tuples are longer than data's rank after batch_dims");
  SmallVector<int64_t> out(idx.getShape().drop_back());
  llvm::append_range(out, data.getShape().drop_front(b + k));
  t.push_back(RankedTensorType::get(out, data.getElementType()));
  return success();
}

LogicalResult GatherNDOp::verify() {
  auto data = getData().getType(), idx = getIndices().getType();
  int64_t b = getBatchDims(), k = idx.getShape().back();
  for (int64_t d = 0; d < b; ++d)
    if (data.getDimSize(d) != idx.getDimSize(d))
      return emitOpError("batch dimension ") << d << " differs between data and indices";
  for (int64_t d = b; d < b + k; ++d)
    if (data.getDimSize(d) == 0 && idx.getNumElements() > 0)
      return emitOpError("gathers from an empty dimension");
  return success();
}

//===----------------------------------------------------------------------===//
// Masks, scans, one-hot, identity
//===----------------------------------------------------------------------===//

LogicalResult TriluOp::inferReturnTypes(MLIRContext *, std::optional<Location>, Adaptor a,
                                        SmallVectorImpl<Type> &t) {
  t.push_back(a.getInput().getType());
  return success();
}

LogicalResult TriluOp::verify() {
  if (getInput().getType().getRank() < 2)
    return emitOpError("input must have rank >= 2");
  if (!isRank0Int(getK()))
    return emitOpError("k must be a rank-0 integer tensor");
  return success();
}

LogicalResult CumSumOp::inferReturnTypes(MLIRContext *, std::optional<Location>, Adaptor a,
                                         SmallVectorImpl<Type> &t) {
  t.push_back(a.getInput().getType());
  return success();
}

LogicalResult CumSumOp::verify() {
  if (getInput().getType().getRank() < 1)
    return emitOpError("input must have rank >= 1");
  if (!isRank0Int(getAxis()))
    return emitOpError("axis must be a rank-0 integer tensor");
  if (getInput().getType().getElementType().isInteger(1))
    return emitOpError("bool inputs cannot be summed");
  return success();
}

LogicalResult OneHotOp::inferReturnTypes(MLIRContext *, std::optional<Location> l,
                                         Adaptor a, SmallVectorImpl<Type> &t) {
  auto idx = ranked(a.getIndices());
  int64_t axis = a.getAxis();
  if (axis < 0 || axis > idx.getRank())
    return optError(l, "one_hot axis out of range");
  SmallVector<int64_t> out(idx.getShape());
  out.insert(out.begin() + axis, a.getDepth());
  t.push_back(RankedTensorType::get(out, ranked(a.getValues()).getElementType()));
  return success();
}

LogicalResult OneHotOp::verify() {
  if (getDepth() < 1)
    return emitOpError("depth must be positive, not ") << getDepth();
  auto v = getValues().getType();
  if (v.getRank() != 1 || v.getDimSize(0) != 2)
    return emitOpError("values must hold two elements [off, on]");
  if (getIndices().getType().getElementType().isInteger(1))
    return emitOpError("indices must be numbers");
  return success();
}

LogicalResult EyeOp::verify() {
  if (getOutput().getType().getRank() != 2)
    return emitOpError("result must be 2-D");
  return success();
}

//===----------------------------------------------------------------------===//
// Broadcasts, padding, reversal, selection
//===----------------------------------------------------------------------===//

LogicalResult BroadcastToOp::verify() {
  auto in = getInput().getType(), out = getOutput().getType();
  if ((int64_t)getDims().size() != out.getNumDynamicDims())
    return emitOpError("needs one dimension operand per dynamic result dimension");
  auto b = broadcastShapes(in.getShape(), out.getShape());
  if (in.getRank() > out.getRank() || failed(b) ||
      (out.hasStaticShape() && ArrayRef<int64_t>(*b) != out.getShape()))
    return emitOpError("cannot broadcast ") << in << " to " << out;
  if (in.getElementType() != out.getElementType())
    return emitOpError("element type changes");
  return success();
}

LogicalResult PadOp::inferReturnTypes(MLIRContext *, std::optional<Location> l, Adaptor a,
                                      SmallVectorImpl<Type> &t) {
  auto in = ranked(a.getInput());
  int64_t rank = in.getRank();
  if ((int64_t)a.getPads().size() != 2 * rank)
    return optError(l, "pad needs two pads per dimension");
  SmallVector<int64_t> out;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t n = in.getDimSize(d) + a.getPads()[d] + a.getPads()[rank + d];
    if (n < 0)
      return optError(l, "pads crop dimension " + Twine(d) + " below zero");
    out.push_back(n);
  }
  t.push_back(RankedTensorType::get(out, in.getElementType()));
  return success();
}

LogicalResult PadOp::verify() {
  auto in = getInput().getType(), v = getValue().getType();
  if (v.getRank() != 0 || v.getElementType() != in.getElementType())
    return emitOpError("value must be a rank-0 tensor of the input's element type");
  StringRef mode = getMode();
  if (mode != "constant" && mode != "reflect" && mode != "edge" && mode != "wrap")
    return emitOpError("unknown mode '") << mode << "'";
  int64_t rank = in.getRank();
  for (int64_t d = 0; d < rank; ++d) {
    int64_t n = in.getDimSize(d);
    bool grows = getPads()[d] > 0 || getPads()[rank + d] > 0;
    if (mode != "constant" && grows && n == 0)
      return emitOpError("mode '") << mode << "' cannot pad empty dimension " << d;
    if (mode == "reflect" && grows && n > 1 &&
        (getPads()[d] >= n || getPads()[rank + d] >= n))
      return emitOpError("reflect pads of dimension ") << d << " must be below its size " << n;
  }
  return success();
}

LogicalResult ReverseSequenceOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                                  Adaptor a, SmallVectorImpl<Type> &t) {
  t.push_back(a.getInput().getType());
  return success();
}

LogicalResult ReverseSequenceOp::verify() {
  auto in = getInput().getType();
  int64_t b = getBatchAxis(), time = getTimeAxis();
  if (in.getRank() < 2 || b < 0 || b > 1 || time < 0 || time > 1 || b == time)
    return emitOpError("batch_axis and time_axis must be 0 and 1 in some order, on rank >= 2");
  auto lens = getSequenceLens().getType();
  if (lens.getRank() != 1 || lens.getDimSize(0) != in.getDimSize(b))
    return emitOpError("sequence_lens must hold one length per batch entry");
  return success();
}

LogicalResult TopKOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> l,
                                       Adaptor a, SmallVectorImpl<Type> &t) {
  auto in = ranked(a.getInput());
  int64_t axis = a.getAxis();
  if (axis < 0 || axis >= in.getRank())
    return optError(l, "top_k axis out of range");
  SmallVector<int64_t> out(in.getShape());
  out[axis] = a.getK();
  t.push_back(RankedTensorType::get(out, in.getElementType()));
  t.push_back(RankedTensorType::get(out, IntegerType::get(ctx, 64)));
  return success();
}

LogicalResult TopKOp::verify() {
  int64_t n = getInput().getType().getDimSize(getAxis());
  if (getK() < 0 || getK() > n)
    return emitOpError("k = ") << getK() << " outside [0, " << n << "]";
  return success();
}
