//===- NuriMathOps.cpp - verifiers and type inference: elementwise math ---===//
#include "dialects/nuri/IR/NuriDialect.h"

using namespace mlir;
using namespace mlir::nuri;

static RankedTensorType ranked(Value v) { return cast<RankedTensorType>(v.getType()); }

static LogicalResult optError(std::optional<Location> loc, const Twine &msg) {
  if (loc)
    return emitError(*loc, msg);
  return failure();
}

static Type boolType(MLIRContext *ctx) { return IntegerType::get(ctx, 1); }

/// Broadcast result of lhs and rhs with element type `et` (lhs's when null).
template <typename Adaptor>
static LogicalResult inferBroadcast(std::optional<Location> loc, Adaptor a, Type et,
                                    SmallVectorImpl<Type> &types) {
  auto lhs = ranked(a.getLhs()), rhs = ranked(a.getRhs());
  auto shape = broadcastShapes(lhs.getShape(), rhs.getShape());
  if (failed(shape))
    return optError(loc, "operand shapes do not broadcast");
  types.push_back(RankedTensorType::get(*shape, et ? et : lhs.getElementType()));
  return success();
}

template <typename Op> static LogicalResult verifySameElements(Op op) {
  if (op.getLhs().getType().getElementType() != op.getRhs().getType().getElementType())
    return op.emitOpError("operands must have the same element type");
  return success();
}

#define NURI_BINARY(OP, RESULT_ET, EXTRA)                                      \
  LogicalResult OP::inferReturnTypes(MLIRContext *ctx, std::optional<Location> l, \
                                     Adaptor a, SmallVectorImpl<Type> &t) {    \
    (void)ctx;                                                                 \
    return inferBroadcast(l, a, RESULT_ET, t);                                 \
  }                                                                            \
  LogicalResult OP::verify() {                                                 \
    if (failed(verifySameElements(*this)))                                     \
      return failure();                                                        \
    Type et = getLhs().getType().getElementType();                             \
    (void)et;                                                                  \
    EXTRA                                                                      \
    return success();                                                          \
  }

#define NURI_NOT_FLOAT                                                         \
  if (isa<FloatType>(et))                                                      \
    return emitOpError("needs integer or bool operands");

NURI_BINARY(ModOp, Type(), if (isa<FloatType>(et) && !getFmod()) return emitOpError(
                               "float operands need fmod = true");)
NURI_BINARY(AndOp, Type(), NURI_NOT_FLOAT)
NURI_BINARY(OrOp, Type(), NURI_NOT_FLOAT)
NURI_BINARY(XorOp, Type(), NURI_NOT_FLOAT)
NURI_BINARY(BitShiftOp, Type(), if (!et.isUnsignedInteger()) return emitOpError(
                                    "needs unsigned integer operands");)
NURI_BINARY(PReluOp, Type(), {
  auto shape = broadcastShapes(getLhs().getType().getShape(), getRhs().getType().getShape());
  if (failed(shape) || *shape != getLhs().getType().getShape())
    return emitOpError("slope must broadcast to the input's shape");
})
NURI_BINARY(EqualOp, boolType(ctx), )
NURI_BINARY(LessOp, boolType(ctx), )
NURI_BINARY(LessEqualOp, boolType(ctx), )
NURI_BINARY(GreaterOp, boolType(ctx), )
NURI_BINARY(GreaterEqualOp, boolType(ctx), )
#undef NURI_BINARY
#undef NURI_NOT_FLOAT

LogicalResult WhereOp::inferReturnTypes(MLIRContext *, std::optional<Location> l, Adaptor a,
                                        SmallVectorImpl<Type> &t) {
  auto shape = broadcastShapes(ranked(a.getLhs()).getShape(), ranked(a.getRhs()).getShape());
  if (succeeded(shape))
    shape = broadcastShapes(ranked(a.getCondition()).getShape(), *shape);
  if (failed(shape))
    return optError(l, "operand shapes do not broadcast");
  t.push_back(RankedTensorType::get(*shape, ranked(a.getLhs()).getElementType()));
  return success();
}
LogicalResult WhereOp::verify() {
  if (getLhs().getType().getElementType() != getRhs().getType().getElementType())
    return emitOpError("both branches must have the same element type");
  return success();
}

template <typename Adaptor>
static LogicalResult inferClassify(Adaptor a, SmallVectorImpl<Type> &t) {
  t.push_back(ranked(a.getInput()).clone(boolType(a.getInput().getContext())));
  return success();
}
LogicalResult IsNaNOp::inferReturnTypes(MLIRContext *, std::optional<Location>, Adaptor a,
                                        SmallVectorImpl<Type> &t) {
  return inferClassify(a, t);
}
LogicalResult IsInfOp::inferReturnTypes(MLIRContext *, std::optional<Location>, Adaptor a,
                                        SmallVectorImpl<Type> &t) {
  return inferClassify(a, t);
}

//===----------------------------------------------------------------------===//
// Along one axis
//===----------------------------------------------------------------------===//

template <typename Adaptor>
static LogicalResult inferArg(std::optional<Location> l, Adaptor a, SmallVectorImpl<Type> &t) {
  auto in = ranked(a.getInput());
  int64_t axis = a.getAxis();
  if (axis < 0 || axis >= in.getRank())
    return optError(l, "axis out of range");
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < in.getRank(); ++d)
    if (d != axis)
      shape.push_back(in.getDimSize(d));
    else if (a.getKeepdims())
      shape.push_back(1);
  t.push_back(RankedTensorType::get(shape, IntegerType::get(in.getContext(), 64)));
  return success();
}

template <typename Op> static LogicalResult verifyAxis(Op op) {
  int64_t rank = op.getInput().getType().getRank();
  if (op.getAxis() < 0 || op.getAxis() >= rank)
    return op.emitOpError("axis ") << op.getAxis() << " out of range for rank " << rank;
  return success();
}

LogicalResult ArgMaxOp::inferReturnTypes(MLIRContext *, std::optional<Location> l, Adaptor a,
                                         SmallVectorImpl<Type> &t) {
  return inferArg(l, a, t);
}
LogicalResult ArgMinOp::inferReturnTypes(MLIRContext *, std::optional<Location> l, Adaptor a,
                                         SmallVectorImpl<Type> &t) {
  return inferArg(l, a, t);
}
LogicalResult ArgMaxOp::verify() { return verifyAxis(*this); }
LogicalResult ArgMinOp::verify() { return verifyAxis(*this); }
LogicalResult LogSoftmaxOp::verify() { return verifyAxis(*this); }
LogicalResult HardmaxOp::verify() { return verifyAxis(*this); }

LogicalResult ReduceSumMaskedOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                                  Adaptor a, SmallVectorImpl<Type> &t) {
  auto in = ranked(a.getInput());
  t.push_back(RankedTensorType::get({in.getNumElements()}, in.getElementType()));
  return success();
}
LogicalResult ReduceSumMaskedOp::verify() {
  auto mask = getMask().getType();
  if (mask.getRank() != 1 || mask.getDimSize(0) != getInput().getType().getRank())
    return emitOpError("mask must have one entry per input dimension");
  return success();
}

LogicalResult StridedGatherOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                                Adaptor a, SmallVectorImpl<Type> &t) {
  auto in = ranked(a.getInput());
  t.push_back(RankedTensorType::get({in.getNumElements()}, in.getElementType()));
  return success();
}
LogicalResult StridedGatherOp::verify() {
  int64_t rank = getInput().getType().getRank();
  for (Value v : {getStarts(), getSteps(), getDims()}) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() != 1 || t.getDimSize(0) != rank)
      return emitOpError("starts, steps and dims need one entry per input dimension");
  }
  return success();
}
