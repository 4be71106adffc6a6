//===- ConvertDynamic.cpp - ONNX converters for data-dependent shapes ---===//
//
// When a shape-setting input (Reshape's shape, Unsqueeze's axes, ...) is a
// run-time tensor, the result's dimensions are computed at run time by nuri
// ops on small int64 tensors (they become ordinary dispatches), and the data
// is laid out compactly in a 1-D upper bound (see RuntimeShape). Each
// converter here wraps the static one and takes over only in that case.
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/ImporterContext.h"

#include <limits>

using namespace mlir;
using namespace mlir::nuri;

namespace nuri {
namespace {

Type i64(NodeContext &c) { return c.b.getI64Type(); }

Value i64Const(NodeContext &c, ArrayRef<int64_t> values) {
  return c.constant(i64Tensor(c.b.getContext(), values));
}

Value i64Scalar(NodeContext &c, int64_t v) { return c.scalar(i64(c), (double)v); }

/// The input's static dims as an int64[rank] constant.
Value dimsOf(NodeContext &c, Value x) { return i64Const(c, typeOf(x).getShape()); }

/// Flattens x to its 1-D element list: the compact layout of any shape.
Value flat(NodeContext &c, Value x) { return c.reshape(x, {typeOf(x).getNumElements()}); }

/// Rank-1 int64 run-time input i (a shape or axes vector), or failure.
FailureOr<Value> runtimeVector(NodeContext &c, int i) {
  Value v = c.input(i);
  auto t = typeOf(v);
  if (t.getRank() != 1 || !t.getElementType().isInteger(64))
    return c.fail("input " + std::to_string(i) + " must be a 1-D int64 tensor");
  return v;
}

Value iota(NodeContext &c, int64_t n) { return iotaConstant(c, n); }

/// axes (int64[k], may be negative) -> mask int64[rank]: 1 where an axis points.
Value axesMask(NodeContext &c, Value axes, int64_t rank) {
  int64_t k = typeOf(axes).getDimSize(0);
  Value zero = i64Scalar(c, 0);
  Value neg = c.make<LessOp>(axes, zero);
  Value norm = c.make<WhereOp>(neg, c.make<AddOp>(axes, i64Scalar(c, rank)), axes);
  Value hits = c.make<EqualOp>(c.reshape(iota(c, rank), {rank, 1}), c.reshape(norm, {1, k}));
  Value asInt = c.make<CastOp>(hits, TypeAttr::get(i64(c)));
  return c.make<ReduceMaxOp>(asInt, c.b.getDenseI64ArrayAttr({1}), c.b.getBoolAttr(false));
}

/// The entries of `values` (int64[n]) where keep (int64[n], 0/1) is 1, in
/// order, as int64[m] (m, the number kept, is known statically).
Value compact(NodeContext &c, Value values, Value keep, int64_t m) {
  int64_t n = typeOf(values).getDimSize(0);
  Value axis0 = i64Const(c, {0});
  // position of each kept entry among the kept ones
  Value pos = c.make<SubOp>(
      c.make<CumSumOp>(keep, c.reshape(axis0, {}), c.b.getBoolAttr(false), c.b.getBoolAttr(false)),
      i64Scalar(c, 1));
  Value sel = c.make<AndOp>(
      c.make<EqualOp>(c.reshape(pos, {1, n}), c.reshape(iota(c, m), {m, 1})),
      c.make<EqualOp>(c.reshape(keep, {1, n}), i64Scalar(c, 1)));
  Value picked = c.make<WhereOp>(sel, c.reshape(values, {1, n}), i64Scalar(c, 0));
  return c.make<ReduceSumOp>(picked, c.b.getDenseI64ArrayAttr({1}), c.b.getBoolAttr(false));
}

LogicalResult reshapeRuntime(NodeContext &c) {
  Value x = c.input(0);
  auto shapeOr = runtimeVector(c, 1);
  if (failed(shapeOr))
    return failure();
  Value s = *shapeOr;
  int64_t rank = typeOf(s).getDimSize(0), inRank = typeOf(x).getRank();
  SmallVector<int64_t> prefix(rank, 0);
  for (int64_t d = 0; d < std::min(rank, inRank); ++d)
    prefix[d] = typeOf(x).getDimSize(d);
  Value zero = i64Scalar(c, 0), minusOne = i64Scalar(c, -1);
  Value dims = s;
  if (!c.attrInt("allowzero", 0)) // 0 copies the input's dimension
    dims = c.make<WhereOp>(c.make<EqualOp>(s, zero), i64Const(c, prefix), s);
  Value isInferred = c.make<EqualOp>(dims, minusOne);
  Value known = c.make<ReduceProdOp>(c.make<WhereOp>(isInferred, i64Scalar(c, 1), dims),
                                     c.b.getDenseI64ArrayAttr({0}), c.b.getBoolAttr(false));
  // max(known, 1) keeps a malformed shape from dividing by zero at run time.
  Value inferred = c.make<DivOp>(i64Scalar(c, typeOf(x).getNumElements()),
                                 c.make<MaxOp>(known, i64Scalar(c, 1)));
  dims = c.make<WhereOp>(isInferred, inferred, dims);
  c.setRuntimeShapedOutput(0, flat(c, x), dims, SmallVector<int64_t>(rank, -1));
  return success();
}

LogicalResult unsqueezeRuntime(NodeContext &c) {
  Value x = c.input(0);
  auto axesOr = runtimeVector(c, 1);
  if (failed(axesOr))
    return failure();
  int64_t inRank = typeOf(x).getRank();
  int64_t rank = inRank + typeOf(*axesOr).getDimSize(0);
  Value mask = axesMask(c, *axesOr, rank);
  // Output dim j: 1 where an axis points, else the next input dimension.
  Value keep = c.make<SubOp>(i64Scalar(c, 1), mask);
  Value next = c.make<SubOp>(
      c.make<CumSumOp>(keep, c.reshape(i64Const(c, {0}), {}), c.b.getBoolAttr(false),
                       c.b.getBoolAttr(false)),
      i64Scalar(c, 1));
  Value idx = c.make<MaxOp>(c.make<MinOp>(next, i64Scalar(c, std::max<int64_t>(inRank - 1, 0))),
                            i64Scalar(c, 0));
  Value inDims = inRank ? dimsOf(c, x) : i64Const(c, {1});
  Value gathered = c.make<GatherOp>(inDims, idx, 0);
  Value dims = c.make<WhereOp>(c.make<EqualOp>(mask, i64Scalar(c, 1)), i64Scalar(c, 1), gathered);
  c.setRuntimeShapedOutput(0, flat(c, x), dims, SmallVector<int64_t>(rank, -1));
  return success();
}

LogicalResult squeezeRuntime(NodeContext &c) {
  Value x = c.input(0);
  auto axesOr = runtimeVector(c, 1);
  if (failed(axesOr))
    return failure();
  int64_t inRank = typeOf(x).getRank();
  int64_t rank = inRank - typeOf(*axesOr).getDimSize(0);
  if (rank < 0)
    return c.fail("more axes than dimensions");
  Value keep = c.make<SubOp>(i64Scalar(c, 1), axesMask(c, *axesOr, inRank));
  Value dims = compact(c, dimsOf(c, x), keep, rank);
  c.setRuntimeShapedOutput(0, flat(c, x), dims, SmallVector<int64_t>(rank, -1));
  return success();
}

LogicalResult reduceSumRuntime(NodeContext &c) {
  Value x = c.input(0);
  auto axesOr = runtimeVector(c, 1);
  if (failed(axesOr))
    return failure();
  int64_t inRank = typeOf(x).getRank(), k = typeOf(*axesOr).getDimSize(0);
  bool keepdims = c.attrInt("keepdims", 1);
  if (!keepdims && k > inRank)
    return c.fail("more axes than dimensions");
  Value mask = axesMask(c, *axesOr, inRank);
  Value maskBool = c.make<EqualOp>(mask, i64Scalar(c, 1));
  Value data = c.make<ReduceSumMaskedOp>(x, maskBool);
  Value ones = i64Const(c, SmallVector<int64_t>(inRank, 1));
  Value dims = keepdims ? c.make<WhereOp>(maskBool, ones, dimsOf(c, x))
                        : compact(c, dimsOf(c, x), c.make<SubOp>(i64Scalar(c, 1), mask),
                                  inRank - k);
  c.setRuntimeShapedOutput(0, data, dims,
                           SmallVector<int64_t>(keepdims ? inRank : inRank - k, -1));
  return success();
}

Value clampI(NodeContext &c, Value v, Value lo, Value hi) {
  return c.make<MinOp>(c.make<MaxOp>(v, lo), hi);
}

/// Per-axis values (int64[k]) scattered onto the dimensions they name
/// (match: bool[rank, k]); `otherwise` (int64[rank]) where no axis names one.
Value scatterAxes(NodeContext &c, Value match, Value perAxis, Value otherwise) {
  int64_t k = typeOf(perAxis).getDimSize(0);
  Value spread = c.make<WhereOp>(match, c.reshape(perAxis, {1, k}), i64Scalar(c, 0));
  Value sum = c.make<ReduceSumOp>(spread, c.b.getDenseI64ArrayAttr({1}), c.b.getBoolAttr(false));
  Value hit = c.make<ReduceMaxOp>(c.make<CastOp>(match, TypeAttr::get(i64(c))),
                                  c.b.getDenseI64ArrayAttr({1}), c.b.getBoolAttr(false));
  return c.make<WhereOp>(c.make<EqualOp>(hit, i64Scalar(c, 1)), sum, otherwise);
}

/// ONNX Slice with any of starts/ends/axes/steps given at run time: the
/// clamping rules of the spec, computed with nuri ops on int64 vectors.
LogicalResult sliceRuntime(NodeContext &c) {
  Value x = c.input(0);
  int64_t rank = typeOf(x).getRank();
  for (int i = 1; i < std::min(c.numInputs(), 5); ++i)
    if (c.input(i) && failed(runtimeVector(c, i)))
      return failure();
  Value starts = c.input(1), ends = c.input(2);
  int64_t k = typeOf(starts).getDimSize(0);
  if (typeOf(ends).getDimSize(0) != k)
    return c.fail("starts and ends have different lengths");
  Value axes = c.input(3) ? c.input(3) : iota(c, k);
  Value steps = c.input(4) ? c.input(4) : i64Const(c, SmallVector<int64_t>(k, 1));
  if (typeOf(axes).getDimSize(0) != k || typeOf(steps).getDimSize(0) != k)
    return c.fail("starts, ends, axes and steps have different lengths");
  Value zero = i64Scalar(c, 0), one = i64Scalar(c, 1);
  Value a = c.make<WhereOp>(c.make<LessOp>(axes, zero), c.make<AddOp>(axes, i64Scalar(c, rank)), axes);
  Value match = c.make<EqualOp>(c.reshape(iota(c, rank), {rank, 1}), c.reshape(a, {1, k}));
  // The size of the dimension each entry names.
  Value dim = c.make<ReduceSumOp>(
      c.make<WhereOp>(match, c.reshape(dimsOf(c, x), {rank, 1}), zero),
      c.b.getDenseI64ArrayAttr({0}), c.b.getBoolAttr(false));
  Value s1 = c.make<WhereOp>(c.make<LessOp>(starts, zero), c.make<AddOp>(starts, dim), starts);
  Value e1 = c.make<WhereOp>(c.make<LessOp>(ends, zero), c.make<AddOp>(ends, dim), ends);
  Value pos = c.make<GreaterOp>(steps, zero);
  Value dimM1 = c.make<SubOp>(dim, one);
  Value sc = c.make<WhereOp>(pos, clampI(c, s1, zero, dim), clampI(c, s1, zero, dimM1));
  Value ec = c.make<WhereOp>(pos, clampI(c, e1, zero, dim), clampI(c, e1, i64Scalar(c, -1), dimM1));
  // ceil((end - start) / step), never negative; a zero step gives 0 elements.
  Value absStep = c.make<MaxOp>(c.make<AbsOp>(steps), one);
  Value span = c.make<WhereOp>(pos, c.make<SubOp>(ec, sc), c.make<SubOp>(sc, ec));
  Value len = c.make<MaxOp>(c.make<DivOp>(c.make<AddOp>(span, c.make<SubOp>(absStep, one)), absStep), zero);
  len = c.make<WhereOp>(c.make<EqualOp>(steps, zero), zero, len);
  Value startsFull = scatterAxes(c, match, sc, i64Const(c, SmallVector<int64_t>(rank, 0)));
  Value stepsFull = scatterAxes(c, match, steps, i64Const(c, SmallVector<int64_t>(rank, 1)));
  Value dims = scatterAxes(c, match, len, dimsOf(c, x));
  c.setRuntimeShapedOutput(0, c.make<StridedGatherOp>(x, startsFull, stepsFull, dims), dims,
                           SmallVector<int64_t>(rank, -1));
  return success();
}

/// Split with run-time sizes: output i starts at the sum of the sizes before it.
} // namespace

SmallVector<std::pair<Value, Value>> splitParts(NodeContext &c, Value x, Value sizes,
                                                int64_t axis) {
  int64_t rank = typeOf(x).getRank(), n = typeOf(sizes).getDimSize(0);
  Value offsets = c.make<CumSumOp>(sizes, c.reshape(i64Const(c, {0}), {}), c.b.getBoolAttr(true),
                                   c.b.getBoolAttr(false));
  SmallVector<int64_t> axisHot(rank, 0);
  axisHot[axis] = 1;
  Value isAxis = c.make<EqualOp>(i64Const(c, axisHot), i64Scalar(c, 1));
  SmallVector<std::pair<Value, Value>> parts;
  for (int64_t i = 0; i < n; ++i) {
    Value idx = c.reshape(i64Const(c, {i}), {});
    Value len = c.make<GatherOp>(sizes, idx, 0), off = c.make<GatherOp>(offsets, idx, 0);
    Value starts = c.make<WhereOp>(isAxis, off, i64Const(c, SmallVector<int64_t>(rank, 0)));
    Value dims = c.make<WhereOp>(isAxis, len, dimsOf(c, x));
    Value steps = i64Const(c, SmallVector<int64_t>(rank, 1));
    parts.push_back({c.make<StridedGatherOp>(x, starts, steps, dims), dims});
  }
  return parts;
}

namespace {

LogicalResult splitRuntime(NodeContext &c) {
  Value x = c.input(0);
  int64_t rank = typeOf(x).getRank();
  auto sizesOr = runtimeVector(c, 1);
  if (failed(sizesOr))
    return failure();
  int64_t axis = normAxis(c.attrInt("axis", 0), rank);
  if (failed(checkAxis(c, axis, rank)))
    return failure();
  int64_t n = typeOf(*sizesOr).getDimSize(0);
  if (n != c.node.output_size())
    return c.fail("split has " + std::to_string(n) + " entries for " +
                  std::to_string(c.node.output_size()) + " outputs");
  for (auto [i, part] : llvm::enumerate(splitParts(c, x, *sizesOr, axis)))
    c.setRuntimeShapedOutput(i, part.first, part.second, SmallVector<int64_t>(rank, -1));
  return success();
}

/// TopK with a run-time k: the whole axis sorted (k = its size), then the
/// first k entries along the axis, k clamped to the axis.
LogicalResult topKRuntime(NodeContext &c) {
  Value x = c.input(0), kIn = c.input(1);
  auto t = typeOf(x);
  int64_t rank = t.getRank();
  if (rank == 0)
    return c.fail("needs an input of rank >= 1");
  if (typeOf(kIn).getNumElements() != 1 || !typeOf(kIn).getElementType().isInteger(64))
    return c.fail("k must be a one-element int64 tensor");
  int64_t axis = normAxis(c.attrInt("axis", -1), rank);
  if (failed(checkAxis(c, axis, rank)))
    return failure();
  int64_t n = t.getDimSize(axis);
  auto sorted = TopKOp::create(c.b, c.loc(), x, n, axis, c.attrInt("largest", 1) != 0);
  Value k = clampI(c, c.reshape(kIn, {}), i64Scalar(c, 0), i64Scalar(c, n));
  SmallVector<int64_t> axisHot(rank, 0);
  axisHot[axis] = 1;
  Value isAxis = c.make<EqualOp>(i64Const(c, axisHot), i64Scalar(c, 1));
  Value dims = c.make<WhereOp>(isAxis, k, dimsOf(c, x));
  Value starts = i64Const(c, SmallVector<int64_t>(rank, 0));
  Value steps = i64Const(c, SmallVector<int64_t>(rank, 1));
  for (int i = 0; i < 2; ++i)
    c.setRuntimeShapedOutput(
        i, c.make<StridedGatherOp>(sorted->getResult(i), starts, steps, dims), dims,
        SmallVector<int64_t>(rank, -1));
  return success();
}

/// Normalizes a possibly negative axis attribute of rank `rank`, or fails.
FailureOr<int64_t> axisAttr(NodeContext &c, int64_t rank) {
  int64_t axis = c.attrInt("axis", 0);
  if (axis < -rank || axis >= rank)
    return c.fail("axis " + std::to_string(axis) + " is out of range for rank " +
                  std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

LogicalResult nonZero(NodeContext &c) {
  if (failed(c.requireInputs(1)))
    return failure();
  Value x = c.input(0);
  if (!typeOf(x).hasStaticShape())
    return c.fail("the input must have a static shape");
  if (typeOf(x).getRank() == 0) // numpy treats a scalar as a 1-element vector
    x = c.reshape(x, {1});
  auto op = NonZeroOp::create(c.b, c.loc(), x);
  c.setRuntimeShapedOutput(0, op.getIndices(), op.getDims(), {typeOf(x).getRank(), -1});
  return success();
}

LogicalResult compress(NodeContext &c) {
  if (failed(c.requireInputs(2)))
    return failure();
  Value x = c.input(0), cond = c.input(1);
  if (!typeOf(x).hasStaticShape())
    return c.fail("the input must have a static shape");
  auto ct = typeOf(cond);
  if (ct.getRank() != 1 || !ct.getElementType().isInteger(1))
    return c.fail("condition must be a 1-D bool tensor");
  int64_t axis = 0;
  if (c.hasAttr("axis")) {
    auto a = axisAttr(c, typeOf(x).getRank());
    if (failed(a))
      return failure();
    axis = *a;
  } else {
    x = flat(c, x);
  }
  auto op = CompressOp::create(c.b, c.loc(), x, cond, c.b.getI64IntegerAttr(axis));
  SmallVector<int64_t> shape(typeOf(x).getShape());
  shape[axis] = -1;
  c.setRuntimeShapedOutput(0, op.getOutput(), op.getDims(), shape);
  return success();
}

LogicalResult unique(NodeContext &c) {
  if (failed(c.requireInputs(1)))
    return failure();
  Value x = c.input(0);
  if (!typeOf(x).hasStaticShape())
    return c.fail("the input must have a static shape");
  int64_t axis = 0;
  if (c.hasAttr("axis")) {
    if (typeOf(x).getRank() == 0)
      return c.fail("axis given for a scalar input");
    auto a = axisAttr(c, typeOf(x).getRank());
    if (failed(a))
      return failure();
    axis = *a;
  } else {
    x = flat(c, x);
  }
  int64_t sorted = c.attrInt("sorted", 1);
  if (sorted != 0 && sorted != 1)
    return c.fail("sorted must be 0 or 1");
  auto op = UniqueOp::create(c.b, c.loc(), x, c.b.getI64IntegerAttr(axis),
                             c.b.getBoolAttr(sorted));
  SmallVector<int64_t> shape(typeOf(x).getShape());
  shape[axis] = -1;
  c.setRuntimeShapedOutput(0, op.getOutput(), op.getOutputDims(), shape);
  c.setRuntimeShapedOutput(1, op.getIndices(), op.getCountDims(), {-1});
  c.setOutput(2, op.getInverseIndices());
  c.setRuntimeShapedOutput(3, op.getCounts(), op.getCountDims(), {-1});
  return success();
}

/// A one-element input reshaped to [1], or `fallback` (a [1] tensor) if absent.
FailureOr<Value> oneElement(NodeContext &c, int i, bool isFloat, Value fallback) {
  Value v = c.input(i);
  if (!v)
    return fallback;
  auto t = typeOf(v);
  if (!t.hasStaticShape() || t.getNumElements() != 1 ||
      (isFloat ? !isa<FloatType>(t.getElementType()) : !t.getElementType().isInteger(64)))
    return c.fail("input " + std::to_string(i) + " must be a one-element " +
                  (isFloat ? "float" : "int64") + " tensor");
  return c.reshape(v, {1});
}

LogicalResult nonMaxSuppression(NodeContext &c) {
  if (failed(c.requireInputs(2)))
    return failure();
  Value boxes = c.input(0), scores = c.input(1);
  auto bt = typeOf(boxes), st = typeOf(scores);
  if (!bt.hasStaticShape() || !st.hasStaticShape())
    return c.fail("boxes and scores must have static shapes");
  if (!isa<FloatType>(bt.getElementType()) || !isa<FloatType>(st.getElementType()))
    return c.fail("boxes and scores must be float tensors");
  if (bt.getRank() != 3 || bt.getDimSize(2) != 4)
    return c.fail("boxes must be [num_batches, num_boxes, 4]");
  if (st.getRank() != 3 || st.getDimSize(0) != bt.getDimSize(0) ||
      st.getDimSize(2) != bt.getDimSize(1))
    return c.fail("scores must be [num_batches, num_classes, num_boxes] matching boxes");
  int64_t cpb = c.attrInt("center_point_box", 0);
  if (cpb != 0 && cpb != 1)
    return c.fail("center_point_box must be 0 or 1");
  Type f32 = c.b.getF32Type();
  auto maxOut = oneElement(c, 2, false, i64Const(c, {0}));
  if (failed(maxOut))
    return failure();
  auto iou = oneElement(c, 3, true, c.reshape(c.scalar(f32, 0.0), {1}));
  if (failed(iou))
    return failure();
  auto scoreThr = oneElement(c, 4, true,
                             c.reshape(c.scalar(f32, -std::numeric_limits<double>::infinity()), {1}));
  if (failed(scoreThr))
    return failure();
  auto op = NonMaxSuppressionOp::create(c.b, c.loc(), boxes, scores, *maxOut, *iou, *scoreThr,
                                        c.b.getI64IntegerAttr(cpb));
  c.setRuntimeShapedOutput(0, op.getSelected(), op.getDims(), {-1, 3});
  return success();
}

} // namespace

/// Wraps the static converter of `op`: `useRuntime` decides per node.
void wrap(ConverterMap &table, const std::string &op, std::function<bool(NodeContext &)> useRuntime,
          Converter runtime) {
  auto it = table.find(op);
  if (it == table.end())
    return;
  Converter base = it->second;
  it->second = [=](NodeContext &c) { return useRuntime(c) ? runtime(c) : base(c); };
}

/// Input i is present and not a compile-time constant.
std::function<bool(NodeContext &)> runtimeInput(int i, int minOpset) {
  return [=](NodeContext &c) {
    return c.opset >= minOpset && c.input(i) && !c.constantInput(i);
  };
}

Value iotaConstant(NodeContext &c, int64_t n) {
  SmallVector<int64_t> v(n);
  for (int64_t i = 0; i < n; ++i)
    v[i] = i;
  return c.constant(i64Tensor(c.b.getContext(), v));
}

void registerDynamicConverters(ConverterMap &table) {
  wrap(table, "Reshape", runtimeInput(1, 5), reshapeRuntime);
  wrap(table, "Unsqueeze", runtimeInput(1, 13), unsqueezeRuntime);
  wrap(table, "Squeeze", runtimeInput(1, 13), squeezeRuntime);
  wrap(table, "Slice", [](NodeContext &c) {
    if (c.opset < 10)
      return false;
    for (int i = 1; i < std::min(c.numInputs(), 5); ++i)
      if (c.input(i) && !c.constantInput(i))
        return true;
    return false;
  }, sliceRuntime);
  wrap(table, "Split", runtimeInput(1, 13), splitRuntime);
  wrap(table, "TopK", runtimeInput(1, 10), topKRuntime);
  wrap(table, "ReduceSum", [](NodeContext &c) {
    return c.opset >= 13 && c.input(1) && !c.constantInput(1) &&
           typeOf(c.input(1)).getRank() == 1 && typeOf(c.input(1)).getDimSize(0) > 0;
  }, reduceSumRuntime);
  // Data-dependent output shapes: no static converter to wrap.
  table["NonZero"] = nonZero;
  table["Compress"] = compress;
  table["Unique"] = unique;
  table["NonMaxSuppression"] = nonMaxSuppression;
}

} // namespace nuri
