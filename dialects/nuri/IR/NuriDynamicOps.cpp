//===- NuriDynamicOps.cpp - verifiers and type inference: data-dependent shapes ---===//
#include "dialects/nuri/IR/NuriDialect.h"

using namespace mlir;
using namespace mlir::nuri;

static RankedTensorType rankedOf(Value v) { return cast<RankedTensorType>(v.getType()); }

static LogicalResult failAt(std::optional<Location> loc, const Twine &msg) {
  if (loc)
    return emitError(*loc, msg);
  return failure();
}

static RankedTensorType i64Vector(MLIRContext *ctx, int64_t n) {
  return RankedTensorType::get({n}, IntegerType::get(ctx, 64));
}

//===----------------------------------------------------------------------===//
// NonZero
//===----------------------------------------------------------------------===//

LogicalResult NonZeroOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> l, Adaptor a,
                                          SmallVectorImpl<Type> &t) {
  auto in = rankedOf(a.getInput());
  if (!in.hasStaticShape())
    return failAt(l, "nonzero: the input must have a static shape");
  t.push_back(i64Vector(ctx, in.getRank() * in.getNumElements()));
  t.push_back(i64Vector(ctx, 2));
  return success();
}

LogicalResult NonZeroOp::verify() {
  if (getInput().getType().getRank() == 0)
    return emitOpError("input must have rank >= 1");
  return success();
}

//===----------------------------------------------------------------------===//
// Compress
//===----------------------------------------------------------------------===//

LogicalResult CompressOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> l,
                                           Adaptor a, SmallVectorImpl<Type> &t) {
  auto in = rankedOf(a.getInput());
  if (!in.hasStaticShape())
    return failAt(l, "compress: the input must have a static shape");
  t.push_back(RankedTensorType::get({in.getNumElements()}, in.getElementType()));
  t.push_back(i64Vector(ctx, in.getRank()));
  return success();
}

LogicalResult CompressOp::verify() {
  int64_t rank = getInput().getType().getRank(), axis = getAxis();
  if (axis < 0 || axis >= rank)
    return emitOpError("axis ") << axis << " is out of range for rank " << rank;
  if (getCondition().getType().getRank() != 1)
    return emitOpError("condition must be 1-D");
  return success();
}

//===----------------------------------------------------------------------===//
// Unique
//===----------------------------------------------------------------------===//

LogicalResult UniqueOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> l, Adaptor a,
                                         SmallVectorImpl<Type> &t) {
  auto in = rankedOf(a.getInput());
  if (!in.hasStaticShape())
    return failAt(l, "unique: the input must have a static shape");
  int64_t axis = a.getAxis();
  if (axis < 0 || axis >= in.getRank())
    return failAt(l, "unique: axis out of range");
  int64_t n = in.getDimSize(axis);
  t.push_back(RankedTensorType::get({in.getNumElements()}, in.getElementType()));
  t.push_back(i64Vector(ctx, n));
  t.push_back(i64Vector(ctx, n));
  t.push_back(i64Vector(ctx, n));
  t.push_back(i64Vector(ctx, in.getRank()));
  t.push_back(i64Vector(ctx, 1));
  return success();
}

LogicalResult UniqueOp::verify() {
  int64_t rank = getInput().getType().getRank(), axis = getAxis();
  if (axis < 0 || axis >= rank)
    return emitOpError("axis ") << axis << " is out of range for rank " << rank;
  return success();
}

//===----------------------------------------------------------------------===//
// NonMaxSuppression
//===----------------------------------------------------------------------===//

LogicalResult NonMaxSuppressionOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> l,
                                                    Adaptor a, SmallVectorImpl<Type> &t) {
  auto boxes = rankedOf(a.getBoxes()), scores = rankedOf(a.getScores());
  if (!boxes.hasStaticShape() || !scores.hasStaticShape())
    return failAt(l, "non_max_suppression: boxes and scores must have static shapes");
  if (boxes.getRank() != 3 || scores.getRank() != 3)
    return failAt(l, "non_max_suppression: boxes and scores must be 3-D");
  t.push_back(i64Vector(ctx, scores.getNumElements() * 3));
  t.push_back(i64Vector(ctx, 2));
  return success();
}

LogicalResult NonMaxSuppressionOp::verify() {
  auto boxes = getBoxes().getType(), scores = getScores().getType();
  if (boxes.getRank() != 3 || scores.getRank() != 3)
    return emitOpError("boxes and scores must be 3-D");
  if (boxes.getDimSize(2) != 4)
    return emitOpError("boxes must be [batches, boxes, 4]");
  if (scores.getDimSize(0) != boxes.getDimSize(0) || scores.getDimSize(2) != boxes.getDimSize(1))
    return emitOpError("scores must be [batches, classes, boxes] matching boxes");
  if (getMaxOutput().getType().getShape() != ArrayRef<int64_t>{1} ||
      getIouThreshold().getType().getShape() != ArrayRef<int64_t>{1} ||
      getScoreThreshold().getType().getShape() != ArrayRef<int64_t>{1})
    return emitOpError("max_output, iou_threshold and score_threshold must have shape [1]");
  int64_t cpb = getCenterPointBox();
  if (cpb != 0 && cpb != 1)
    return emitOpError("center_point_box must be 0 or 1, got ") << cpb;
  return success();
}

LogicalResult GenerateOp::verify() {
  auto dims = getDims().getType();
  auto out = getOutput().getType();
  if (dims.getRank() != 1 || dims.isDynamicDim(0))
    return emitOpError("dims must be a static 1-D int64 tensor");
  if (out.getRank() != 1 || !out.isDynamicDim(0))
    return emitOpError("output must be 1-D of run-time size (the compact layout)");
  Block &body = getBody().front();
  if ((int64_t)body.getNumArguments() != dims.getDimSize(0) ||
      llvm::any_of(body.getArgumentTypes(), [](Type t) { return !t.isIndex(); }))
    return emitOpError("the region takes one index per dimension (")
           << dims.getDimSize(0) << ")";
  auto yield = dyn_cast<YieldOp>(body.getTerminator());
  if (!yield)
    return emitOpError("the region must end in nuri.yield");
  Type et = out.getElementType(), yt = yield.getValue().getType();
  // Unsigned elements are computed on signless integers of the same width.
  if (yt != et && (!yt.isSignlessInteger() || !et.isInteger() ||
                   yt.getIntOrFloatBitWidth() != et.getIntOrFloatBitWidth()))
    return emitOpError("yields ") << yt << " for elements of " << et;
  return success();
}

LogicalResult LoopOp::verify() {
  auto scalarOf = [](Type t, unsigned width) {
    auto r = cast<RankedTensorType>(t);
    return r.getRank() == 0 && r.getElementType().isInteger(width);
  };
  if (!scalarOf(getMaxTrip().getType(), 64) || !scalarOf(getCond().getType(), 1))
    return emitOpError("max_trip must be tensor<i64> and cond tensor<i1>");
  Block &body = getBody().front();
  unsigned carried = getCarried().size();
  if (body.getNumArguments() != 2 + carried || !scalarOf(body.getArgument(0).getType(), 64) ||
      !scalarOf(body.getArgument(1).getType(), 1))
    return emitOpError("the body takes (tensor<i64>, tensor<i1>, carried...)");
  for (unsigned i = 0; i < carried; ++i)
    if (body.getArgument(2 + i).getType() != getCarried()[i].getType())
      return emitOpError("body argument ") << 2 + i << " differs from carried value " << i;
  auto yield = dyn_cast<LoopYieldOp>(body.getTerminator());
  if (!yield || yield.getValues().size() < 1 + carried ||
      !scalarOf(yield.getValues()[0].getType(), 1))
    return emitOpError("the body must yield (tensor<i1>, carried..., scans...)");
  unsigned scans = yield.getValues().size() - 1 - carried;
  if (getResults().size() != carried + 2 * scans)
    return emitOpError("expects ") << carried + 2 * scans << " results for " << carried
                                   << " carried values and " << scans << " scan outputs";
  for (unsigned i = 0; i < carried; ++i)
    if (yield.getValues()[1 + i].getType() != getCarried()[i].getType() ||
        getResults()[i].getType() != getCarried()[i].getType())
      return emitOpError("carried value ") << i << " changes type";
  for (unsigned j = 0; j < scans; ++j) {
    auto elem = cast<RankedTensorType>(yield.getValues()[1 + carried + j].getType());
    auto data = cast<RankedTensorType>(getResults()[carried + j].getType());
    auto dims = cast<RankedTensorType>(getResults()[carried + scans + j].getType());
    if (!elem.hasStaticShape() || data.getRank() != 1 || !data.isDynamicDim(0) ||
        data.getElementType() != elem.getElementType())
      return emitOpError("scan output ") << j << " must be a 1-D run-time-sized tensor of "
                                         << elem.getElementType();
    if (dims.getShape() != ArrayRef<int64_t>{elem.getRank() + 1} ||
        !dims.getElementType().isInteger(64))
      return emitOpError("scan output ") << j << " needs int64[" << elem.getRank() + 1 << "] dims";
  }
  return success();
}
