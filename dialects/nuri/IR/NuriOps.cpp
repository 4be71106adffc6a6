//===- NuriOps.cpp - type inference and verifiers -------------------------===//
//
// Every op infers its own result type from its operands and attributes, so
// the importer never depends on libonnx's shape inference (which stops at
// opset 17) and every rewrite can re-derive types.
//
//===----------------------------------------------------------------------===//
#include "dialects/nuri/IR/NuriDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::nuri;

FailureOr<SmallVector<int64_t>> mlir::nuri::broadcastShapes(ArrayRef<int64_t> a,
                                                            ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t y = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    // A symbolic dimension (?) takes the other's size unless that is 1:
    // it is assumed to match (the runtime checks input dimensions only).
    if (ShapedType::isDynamic(x) || ShapedType::isDynamic(y)) {
      out[i] = ShapedType::isDynamic(x) ? (y == 1 ? x : y) : (x == 1 ? y : x);
      continue;
    }
    if (x != y && x != 1 && y != 1)
      return failure();
    out[i] = x == 1 ? y : x;
  }
  return out;
}

int64_t mlir::nuri::windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                                     int64_t padBegin, int64_t padEnd,
                                     int64_t dilation, bool ceilMode) {
  if (stride < 1 || dilation < 1 || kernel < 1)
    return 0; // the op's verifier reports it
  int64_t span = dilation * (kernel - 1) + 1;
  int64_t avail = in + padBegin + padEnd - span;
  if (avail < 0)
    return 0;
  int64_t out = (ceilMode ? (avail + stride - 1) / stride : avail / stride) + 1;
  // With ceil_mode a window must still start inside the input or left pad.
  if (ceilMode && (out - 1) * stride >= in + padBegin)
    --out;
  return out;
}

static RankedTensorType rankedOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}

static LogicalResult emitOptError(std::optional<Location> loc, const Twine &msg) {
  if (loc)
    return emitError(*loc, msg);
  return failure();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

template <typename Adaptor>
static LogicalResult inferBinary(std::optional<Location> loc, Adaptor adaptor,
                                 SmallVectorImpl<Type> &types) {
  auto lhs = rankedOf(adaptor.getLhs()), rhs = rankedOf(adaptor.getRhs());
  auto shape = broadcastShapes(lhs.getShape(), rhs.getShape());
  if (failed(shape))
    return emitOptError(loc, "operand shapes do not broadcast");
  types.push_back(RankedTensorType::get(*shape, lhs.getElementType()));
  return success();
}

#define NURI_BINARY_OP(OP)                                                     \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location> l, \
                                     Adaptor a, SmallVectorImpl<Type> &t) {    \
    return inferBinary(l, a, t);                                               \
  }                                                                            \
  LogicalResult OP::verify() {                                                 \
    if (getLhs().getType().getElementType() !=                                 \
        getRhs().getType().getElementType())                                   \
      return emitOpError("operands must have the same element type");          \
    return success();                                                          \
  }
NURI_BINARY_OP(AddOp)
NURI_BINARY_OP(SubOp)
NURI_BINARY_OP(MulOp)
NURI_BINARY_OP(DivOp)
NURI_BINARY_OP(MaxOp)
NURI_BINARY_OP(MinOp)
#undef NURI_BINARY_OP

// Pow allows a different exponent type (ONNX Pow-12+), so only shapes matter.
LogicalResult PowOp::inferReturnTypes(MLIRContext *, std::optional<Location> l,
                                      Adaptor a, SmallVectorImpl<Type> &t) {
  return inferBinary(l, a, t);
}
LogicalResult PowOp::verify() { return success(); }

LogicalResult ClipOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                       Adaptor a, SmallVectorImpl<Type> &t) {
  t.push_back(a.getInput().getType());
  return success();
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                            Adaptor a, SmallVectorImpl<Type> &t) {
  t.push_back(a.getInput().getType());
  return success();
}

LogicalResult ClipOp::verify() {
  for (Value bound : {getMin(), getMax()}) {
    auto type = cast<RankedTensorType>(bound.getType());
    if (type.getRank() != 0 ||
        type.getElementType() != getInput().getType().getElementType())
      return emitOpError("bounds must be rank-0 tensors of the input's element type");
  }
  return success();
}

LogicalResult CastOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                       Adaptor a, SmallVectorImpl<Type> &t) {
  t.push_back(rankedOf(a.getInput()).clone(a.getTo()));
  return success();
}

//===----------------------------------------------------------------------===//
// MatMul
//===----------------------------------------------------------------------===//

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *, std::optional<Location> l,
                                         Adaptor a, SmallVectorImpl<Type> &t) {
  auto lhs = rankedOf(a.getLhs()), rhs = rankedOf(a.getRhs());
  if (lhs.getRank() == 0 || rhs.getRank() == 0)
    return emitOptError(l, "matmul operands must have rank >= 1");
  SmallVector<int64_t> ls(lhs.getShape()), rs(rhs.getShape());
  bool lhsVec = ls.size() == 1, rhsVec = rs.size() == 1;
  if (lhsVec)
    ls.insert(ls.begin(), 1);
  if (rhsVec)
    rs.push_back(1);
  if (ls.back() != rs[rs.size() - 2])
    return emitOptError(l, "matmul contraction sizes differ");
  auto batch = broadcastShapes(ArrayRef(ls).drop_back(2), ArrayRef(rs).drop_back(2));
  if (failed(batch))
    return emitOptError(l, "matmul batch dimensions do not broadcast");
  SmallVector<int64_t> out(*batch);
  if (!lhsVec)
    out.push_back(ls[ls.size() - 2]);
  if (!rhsVec)
    out.push_back(rs.back());
  t.push_back(RankedTensorType::get(out, lhs.getElementType()));
  return success();
}

LogicalResult MatMulOp::verify() {
  if (getLhs().getType().getElementType() != getRhs().getType().getElementType())
    return emitOpError("operands must have the same element type");
  return success();
}

//===----------------------------------------------------------------------===//
// Conv and pooling
//===----------------------------------------------------------------------===//

LogicalResult ConvOp::inferReturnTypes(MLIRContext *, std::optional<Location> l,
                                       Adaptor a, SmallVectorImpl<Type> &t) {
  auto in = rankedOf(a.getInput()), w = rankedOf(a.getWeight());
  int64_t spatial = in.getRank() - 2;
  if (spatial < 1 || w.getRank() != in.getRank() ||
      (int64_t)a.getStrides().size() != spatial ||
      (int64_t)a.getDilations().size() != spatial ||
      (int64_t)a.getPads().size() != 2 * spatial)
    return emitOptError(l, "conv: inconsistent ranks of input, weight and attributes");
  SmallVector<int64_t> out{in.getDimSize(0), w.getDimSize(0)};
  for (int64_t i = 0; i < spatial; ++i)
    out.push_back(windowOutputSize(in.getDimSize(2 + i), w.getDimSize(2 + i),
                                   a.getStrides()[i], a.getPads()[i],
                                   a.getPads()[spatial + i], a.getDilations()[i],
                                   false));
  t.push_back(RankedTensorType::get(out, in.getElementType()));
  return success();
}

LogicalResult ConvOp::verify() {
  auto in = getInput().getType(), w = getWeight().getType();
  int64_t g = getGroup();
  if (g < 1 || in.getDimSize(1) != w.getDimSize(1) * g || w.getDimSize(0) % g)
    return emitOpError("channels (") << in.getDimSize(1) << " in, weight "
                                     << w.getDimSize(0) << "x" << w.getDimSize(1)
                                     << ") do not match group " << g;
  if (getBias() && (cast<RankedTensorType>(getBias().getType()).getRank() != 1 ||
                    cast<RankedTensorType>(getBias().getType()).getDimSize(0) !=
                        w.getDimSize(0)))
    return emitOpError("bias must be 1-D with one value per output channel");
  for (int64_t v : getStrides())
    if (v < 1)
      return emitOpError("strides must be positive");
  for (int64_t v : getDilations())
    if (v < 1)
      return emitOpError("dilations must be positive");
  return success();
}

template <typename Adaptor>
static LogicalResult inferPool(std::optional<Location> l, Adaptor a,
                               SmallVectorImpl<Type> &t) {
  auto in = rankedOf(a.getInput());
  int64_t spatial = in.getRank() - 2;
  if (spatial < 1 || (int64_t)a.getKernelShape().size() != spatial ||
      (int64_t)a.getStrides().size() != spatial ||
      (int64_t)a.getDilations().size() != spatial ||
      (int64_t)a.getPads().size() != 2 * spatial)
    return emitOptError(l, "pool: inconsistent ranks of input and attributes");
  SmallVector<int64_t> out{in.getDimSize(0), in.getDimSize(1)};
  for (int64_t i = 0; i < spatial; ++i)
    out.push_back(windowOutputSize(in.getDimSize(2 + i), a.getKernelShape()[i],
                                   a.getStrides()[i], a.getPads()[i],
                                   a.getPads()[spatial + i], a.getDilations()[i],
                                   a.getCeilMode()));
  t.push_back(RankedTensorType::get(out, in.getElementType()));
  return success();
}

template <typename Op>
static LogicalResult verifyPool(Op op) {
  for (int64_t v : op.getStrides())
    if (v < 1)
      return op.emitOpError("strides must be positive");
  for (int64_t v : op.getKernelShape())
    if (v < 1)
      return op.emitOpError("kernel_shape must be positive");
  return success();
}

LogicalResult MaxPoolOp::inferReturnTypes(MLIRContext *, std::optional<Location> l,
                                          Adaptor a, SmallVectorImpl<Type> &t) {
  return inferPool(l, a, t);
}
LogicalResult MaxPoolOp::verify() { return verifyPool(*this); }
LogicalResult AvgPoolOp::inferReturnTypes(MLIRContext *, std::optional<Location> l,
                                          Adaptor a, SmallVectorImpl<Type> &t) {
  return inferPool(l, a, t);
}
LogicalResult AvgPoolOp::verify() { return verifyPool(*this); }

//===----------------------------------------------------------------------===//
// Reductions and normalizations
//===----------------------------------------------------------------------===//

template <typename Adaptor>
static LogicalResult inferReduce(std::optional<Location> l, Adaptor a,
                                 SmallVectorImpl<Type> &t) {
  auto in = rankedOf(a.getInput());
  SmallVector<int64_t> out;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    if (!llvm::is_contained(a.getAxes(), d))
      out.push_back(in.getDimSize(d));
    else if (a.getKeepdims())
      out.push_back(1);
  }
  t.push_back(RankedTensorType::get(out, in.getElementType()));
  return success();
}

template <typename Op>
static LogicalResult verifyReduce(Op op) {
  int64_t rank = op.getInput().getType().getRank();
  for (int64_t axis : op.getAxes())
    if (axis < 0 || axis >= rank)
      return op.emitOpError("axis ") << axis << " out of range for rank " << rank;
  return success();
}

LogicalResult ReduceSumOp::inferReturnTypes(MLIRContext *, std::optional<Location> l,
                                            Adaptor a, SmallVectorImpl<Type> &t) {
  return inferReduce(l, a, t);
}
LogicalResult ReduceSumOp::verify() { return verifyReduce(*this); }
LogicalResult ReduceMeanOp::inferReturnTypes(MLIRContext *, std::optional<Location> l,
                                             Adaptor a, SmallVectorImpl<Type> &t) {
  return inferReduce(l, a, t);
}
LogicalResult ReduceMeanOp::verify() { return verifyReduce(*this); }
#define NURI_REDUCE_OP(OP)                                                     \
  LogicalResult OP::inferReturnTypes(MLIRContext *, std::optional<Location> l, \
                                     Adaptor a, SmallVectorImpl<Type> &t) {    \
    return inferReduce(l, a, t);                                               \
  }                                                                            \
  LogicalResult OP::verify() { return verifyReduce(*this); }
NURI_REDUCE_OP(ReduceMaxOp)
NURI_REDUCE_OP(ReduceMinOp)
NURI_REDUCE_OP(ReduceProdOp)
#undef NURI_REDUCE_OP

LogicalResult SoftmaxOp::verify() {
  if (getAxis() < 0 || getAxis() >= getInput().getType().getRank())
    return emitOpError("axis out of range");
  return success();
}

LogicalResult LayerNormOp::verify() {
  int64_t rank = getInput().getType().getRank();
  if (getAxis() < 0 || getAxis() >= rank)
    return emitOpError("axis out of range");
  auto normShape = getInput().getType().getShape().drop_front(getAxis());
  for (Value v : {getScale(), getBias()}) {
    if (!v)
      continue;
    if (failed(broadcastShapes(normShape, cast<RankedTensorType>(v.getType()).getShape())) ||
        cast<RankedTensorType>(v.getType()).getRank() > (int64_t)normShape.size())
      return emitOpError("scale/bias must broadcast to the normalized shape");
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  if ((int64_t)getDims().size() != getOutput().getType().getNumDynamicDims())
    return emitOpError("needs one dimension operand per dynamic result dimension");
  if (getInput().getType().hasStaticShape() && getOutput().getType().hasStaticShape() &&
      getInput().getType().getNumElements() != getOutput().getType().getNumElements())
    return emitOpError("element count changes from ")
           << getInput().getType() << " to " << getOutput().getType();
  if (getInput().getType().getElementType() != getOutput().getType().getElementType())
    return emitOpError("element type changes");
  return success();
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *, std::optional<Location> l,
                                            Adaptor a, SmallVectorImpl<Type> &t) {
  auto in = rankedOf(a.getInput());
  if ((int64_t)a.getPerm().size() != in.getRank())
    return emitOptError(l, "perm size differs from rank");
  SmallVector<int64_t> out;
  for (int64_t p : a.getPerm()) {
    if (p < 0 || p >= in.getRank())
      return emitOptError(l, "perm entry out of range");
    out.push_back(in.getDimSize(p));
  }
  t.push_back(RankedTensorType::get(out, in.getElementType()));
  return success();
}

LogicalResult TransposeOp::verify() {
  SmallVector<bool> seen(getPerm().size(), false);
  for (int64_t p : getPerm()) {
    if (seen[p])
      return emitOpError("perm is not a permutation");
    seen[p] = true;
  }
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *, std::optional<Location> l,
                                         Adaptor a, SmallVectorImpl<Type> &t) {
  if (a.getInputs().empty())
    return emitOptError(l, "concat needs at least one input");
  auto first = rankedOf(a.getInputs().front());
  int64_t axis = a.getAxis();
  if (axis < 0 || axis >= first.getRank())
    return emitOptError(l, "concat axis out of range");
  SmallVector<int64_t> out(first.getShape());
  out[axis] = 0;
  for (Value v : a.getInputs())
    out[axis] += rankedOf(v).getDimSize(axis);
  t.push_back(RankedTensorType::get(out, first.getElementType()));
  return success();
}

LogicalResult ConcatOp::verify() {
  auto first = cast<RankedTensorType>(getInputs().front().getType());
  for (Value v : getInputs()) {
    auto type = cast<RankedTensorType>(v.getType());
    if (type.getRank() != first.getRank() ||
        type.getElementType() != first.getElementType())
      return emitOpError("inputs differ in rank or element type");
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (d != getAxis() && type.getDimSize(d) != first.getDimSize(d))
        return emitOpError("inputs differ in dimension ") << d;
  }
  return success();
}

static int64_t sliceCount(int64_t start, int64_t end, int64_t step) {
  if (step > 0)
    return end > start ? (end - start + step - 1) / step : 0;
  return start > end ? (start - end - step - 1) / -step : 0;
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *, std::optional<Location> l,
                                        Adaptor a, SmallVectorImpl<Type> &t) {
  auto in = rankedOf(a.getInput());
  int64_t rank = in.getRank();
  if ((int64_t)a.getStarts().size() != rank || (int64_t)a.getEnds().size() != rank ||
      (int64_t)a.getSteps().size() != rank)
    return emitOptError(l, "slice needs one start/end/step per dimension");
  SmallVector<int64_t> out;
  for (int64_t d = 0; d < rank; ++d) {
    // A symbolic dimension is only ever taken whole (end is then ?).
    if (in.isDynamicDim(d)) {
      if (a.getStarts()[d] != 0 || a.getSteps()[d] != 1 || !ShapedType::isDynamic(a.getEnds()[d]))
        return emitOptError(l, ("slices symbolic dimension " + std::to_string(d)).c_str());
      out.push_back(ShapedType::kDynamic);
      continue;
    }
    out.push_back(sliceCount(a.getStarts()[d], a.getEnds()[d], a.getSteps()[d]));
  }
  t.push_back(RankedTensorType::get(out, in.getElementType()));
  return success();
}

LogicalResult SliceOp::verify() {
  auto shape = getInput().getType().getShape();
  for (size_t d = 0; d < shape.size(); ++d) {
    int64_t start = getStarts()[d], step = getSteps()[d];
    if (step == 0)
      return emitOpError("step must be non-zero");
    if (!ShapedType::isDynamic(shape[d]) && getOutput().getType().getDimSize(d) > 0 &&
        (start < 0 || start >= shape[d]))
      return emitOpError("start ") << start << " outside dimension " << d;
  }
  return success();
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *, std::optional<Location> l,
                                         Adaptor a, SmallVectorImpl<Type> &t) {
  auto data = rankedOf(a.getData()), idx = rankedOf(a.getIndices());
  int64_t axis = a.getAxis();
  if (axis < 0 || axis >= data.getRank())
    return emitOptError(l, "gather axis out of range");
  SmallVector<int64_t> out(data.getShape().take_front(axis));
  llvm::append_range(out, idx.getShape());
  llvm::append_range(out, data.getShape().drop_front(axis + 1));
  t.push_back(RankedTensorType::get(out, data.getElementType()));
  return success();
}


#define GET_OP_CLASSES
#include "dialects/nuri/IR/NuriOps.cpp.inc"
