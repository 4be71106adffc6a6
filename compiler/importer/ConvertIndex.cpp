//===- ConvertIndex.cpp - ONNX converters: gathers, scatters, pads, tiles ---===//
//
// Parameters that set a result shape (Tile repeats, Expand shape, Pad pads,
// OneHot depth, TopK k) must be constants at import time; parameters that do
// not (Trilu k, CumSum axis, Pad constant_value, OneHot values,
// ReverseSequence lengths) may be graph inputs and stay tensors.
// DepthToSpace, SpaceToDepth, Tile and Expand are reshapes, transposes and
// broadcasts.
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/ImporterContext.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace mlir::nuri;

namespace nuri {
namespace {

std::string str(int64_t v) { return std::to_string(v); }

std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "," : "") + str(shape[i]);
  return s + "]";
}

bool isIndexType(Type t) { return isa<IntegerType>(t) && !t.isInteger(1); }

/// Fails when input i is a constant holding an index outside [-dim, dim).
LogicalResult checkConstantIndices(NodeContext &c, int i, int64_t dim) {
  auto attr = c.constantInput(i);
  if (!attr)
    return success();
  for (APInt v : attr.getValues<APInt>()) {
    int64_t x = v.getSExtValue();
    if (x < -dim || x >= dim)
      return c.fail("index " + str(x) + " out of range for a dimension of size " + str(dim));
  }
  return success();
}

/// A rank-0 tensor from a one-element input.
FailureOr<Value> scalarInput(NodeContext &c, int i, const char *what) {
  Value v = c.input(i);
  if (typeOf(v).getNumElements() != 1) {
    (void)c.fail(std::string(what) + " must hold exactly one element");
    return failure();
  }
  return c.reshape(v, {});
}

std::string reductionOf(NodeContext &c) {
  return c.attrString("reduction", "none");
}

LogicalResult checkReduction(NodeContext &c, const std::string &r) {
  if (r != "none" && r != "add" && r != "mul" && r != "max" && r != "min")
    return c.fail("unknown reduction '" + r + "' (none, add, mul, max, min)");
  return success();
}

//===----------------------------------------------------------------------===//
// Gathers and scatters
//===----------------------------------------------------------------------===//

LogicalResult convertGatherElements(NodeContext &c) {
  if (failed(c.requireInputs(2)))
    return failure();
  Value data = c.input(0), indices = c.input(1);
  auto dt = typeOf(data), it = typeOf(indices);
  if (!isIndexType(it.getElementType()))
    return c.fail("indices must be integers");
  if (dt.getRank() != it.getRank() || dt.getRank() < 1)
    return c.fail("data and indices must have the same rank >= 1");
  int64_t axis = normAxis(c.attrInt("axis", 0), dt.getRank());
  if (failed(checkAxis(c, axis, dt.getRank())) ||
      failed(checkConstantIndices(c, 1, dt.getDimSize(axis))))
    return failure();
  if (dt.getDimSize(axis) == 0 && it.getNumElements() > 0)
    return c.fail("gathers from an empty axis");
  c.setOutput(0, c.make<GatherElementsOp>(data, indices, axis));
  return success();
}

LogicalResult convertScatterElements(NodeContext &c) {
  if (failed(c.requireInputs(3)))
    return failure();
  Value data = c.input(0), indices = c.input(1), updates = c.input(2);
  auto dt = typeOf(data), it = typeOf(indices), ut = typeOf(updates);
  if (!isIndexType(it.getElementType()))
    return c.fail("indices must be integers");
  if (dt.getRank() != it.getRank() || dt.getRank() < 1)
    return c.fail("data and indices must have the same rank >= 1");
  if (it.getShape() != ut.getShape())
    return c.fail("updates " + shapeStr(ut.getShape()) + " must have the shape of indices " +
                  shapeStr(it.getShape()));
  if (ut.getElementType() != dt.getElementType())
    return c.fail("updates and data have different element types");
  int64_t axis = normAxis(c.attrInt("axis", 0), dt.getRank());
  std::string reduction = c.node.op_type() == "Scatter" ? "none" : reductionOf(c);
  if (failed(checkAxis(c, axis, dt.getRank())) || failed(checkReduction(c, reduction)) ||
      failed(checkConstantIndices(c, 1, dt.getDimSize(axis))))
    return failure();
  if (dt.getDimSize(axis) == 0 && it.getNumElements() > 0)
    return c.fail("scatters into an empty axis");
  c.setOutput(0, c.make<ScatterElementsOp>(data, indices, updates, axis, reduction));
  return success();
}

LogicalResult convertScatterND(NodeContext &c) {
  if (failed(c.requireInputs(3)))
    return failure();
  Value data = c.input(0), indices = c.input(1), updates = c.input(2);
  auto dt = typeOf(data), it = typeOf(indices), ut = typeOf(updates);
  if (!isIndexType(it.getElementType()))
    return c.fail("indices must be integers");
  if (it.getRank() < 1)
    return c.fail("indices must have rank >= 1");
  int64_t k = it.getShape().back();
  if (k < 1 || k > dt.getRank())
    return c.fail("index tuples of length " + str(k) + " do not address data of rank " +
                  str(dt.getRank()));
  SmallVector<int64_t> want(it.getShape().drop_back());
  llvm::append_range(want, dt.getShape().drop_front(k));
  if (ut.getShape() != ArrayRef<int64_t>(want))
    return c.fail("updates have shape " + shapeStr(ut.getShape()) + ", expected " +
                  shapeStr(want));
  if (ut.getElementType() != dt.getElementType())
    return c.fail("updates and data have different element types");
  std::string reduction = reductionOf(c);
  if (failed(checkReduction(c, reduction)))
    return failure();
  for (int64_t d = 0; d < k; ++d)
    if (dt.getDimSize(d) == 0 && ut.getNumElements() > 0)
      return c.fail("scatters into an empty dimension");
  if (auto attr = c.constantInput(1)) {
    int64_t pos = 0;
    for (APInt v : attr.getValues<APInt>()) {
      int64_t dim = dt.getDimSize(pos++ % k), x = v.getSExtValue();
      if (x < -dim || x >= dim)
        return c.fail("index " + str(x) + " out of range for a dimension of size " + str(dim));
    }
  }
  c.setOutput(0, c.make<ScatterNDOp>(data, indices, updates, reduction));
  return success();
}

LogicalResult convertGatherND(NodeContext &c) {
  if (failed(c.requireInputs(2)))
    return failure();
  Value data = c.input(0), indices = c.input(1);
  auto dt = typeOf(data), it = typeOf(indices);
  if (!isIndexType(it.getElementType()))
    return c.fail("indices must be integers");
  if (it.getRank() < 1 || dt.getRank() < 1)
    return c.fail("data and indices must have rank >= 1");
  int64_t b = c.attrInt("batch_dims", 0), k = it.getShape().back();
  if (b < 0 || b >= it.getRank() || b >= dt.getRank())
    return c.fail("batch_dims " + str(b) + " must be below the ranks of data and indices");
  for (int64_t d = 0; d < b; ++d)
    if (dt.getDimSize(d) != it.getDimSize(d))
      return c.fail("batch dimension " + str(d) + " differs between data and indices");
  if (k < 1 || b + k > dt.getRank())
    return c.fail("index tuples of length " + str(k) + " are too long for data of rank " +
                  str(dt.getRank()) + " after " + str(b) + " batch dimensions");
  for (int64_t d = b; d < b + k; ++d)
    if (dt.getDimSize(d) == 0 && it.getNumElements() > 0)
      return c.fail("gathers from an empty dimension");
  if (auto attr = c.constantInput(1)) {
    int64_t pos = 0;
    for (APInt v : attr.getValues<APInt>()) {
      int64_t dim = dt.getDimSize(b + pos++ % k), x = v.getSExtValue();
      if (x < -dim || x >= dim)
        return c.fail("index " + str(x) + " out of range for a dimension of size " + str(dim));
    }
  }
  c.setOutput(0, c.make<GatherNDOp>(data, indices, b));
  return success();
}

//===----------------------------------------------------------------------===//
// Masks, scans, one-hot, identity
//===----------------------------------------------------------------------===//

LogicalResult convertTrilu(NodeContext &c) {
  Value x = c.input(0);
  if (!x || typeOf(x).getRank() < 2)
    return c.fail("input must have rank >= 2");
  Value k;
  if (c.input(1)) {
    auto v = scalarInput(c, 1, "k");
    if (failed(v))
      return failure();
    k = *v;
    if (!isIndexType(typeOf(k).getElementType()))
      return c.fail("k must be an integer");
  } else {
    k = c.scalar(IntegerType::get(c.b.getContext(), 64), 0.0);
  }
  c.setOutput(0, c.make<TriluOp>(x, k, c.attrInt("upper", 1) != 0));
  return success();
}

LogicalResult convertCumSum(NodeContext &c) {
  if (failed(c.requireInputs(2)))
    return failure();
  Value x = c.input(0);
  int64_t rank = typeOf(x).getRank();
  if (rank < 1)
    return c.fail("input must have rank >= 1");
  if (typeOf(x).getElementType().isInteger(1))
    return c.fail("bool inputs cannot be summed");
  auto axis = scalarInput(c, 1, "axis");
  if (failed(axis))
    return failure();
  if (!isIndexType(typeOf(*axis).getElementType()))
    return c.fail("axis must be an integer");
  if (auto attr = c.constantInput(1)) {
    int64_t a = (*attr.value_begin<APInt>()).getSExtValue();
    if (failed(checkAxis(c, normAxis(a, rank), rank)))
      return failure();
  }
  c.setOutput(0, c.make<CumSumOp>(x, *axis, c.attrInt("exclusive", 0) != 0,
                                  c.attrInt("reverse", 0) != 0));
  return success();
}

LogicalResult convertOneHot(NodeContext &c) {
  if (failed(c.requireInputs(3)))
    return failure();
  Value indices = c.input(0), values = c.input(2);
  auto depthAttr = c.constantInput(1);
  if (!depthAttr || depthAttr.getNumElements() != 1)
    return c.fail("depth (input 1) must be a one-element constant: it sets the output shape");
  int64_t depth = isa<FloatType>(depthAttr.getElementType())
                      ? (int64_t)(*depthAttr.value_begin<APFloat>()).convertToDouble()
                      : (*depthAttr.value_begin<APInt>()).getSExtValue();
  if (depth < 1)
    return c.fail("depth must be positive, not " + str(depth));
  if (typeOf(values).getNumElements() != 2)
    return c.fail("values must hold two elements [off_value, on_value]");
  if (typeOf(indices).getElementType().isInteger(1))
    return c.fail("indices must be numbers");
  int64_t rank = typeOf(indices).getRank();
  int64_t axis = c.attrInt("axis", -1);
  axis = axis < 0 ? axis + rank + 1 : axis;
  if (axis < 0 || axis > rank)
    return c.fail("axis out of range for an output of rank " + str(rank + 1));
  c.setOutput(0, c.make<OneHotOp>(indices, c.reshape(values, {2}), depth, axis));
  return success();
}

LogicalResult convertEyeLike(NodeContext &c) {
  Value x = c.input(0);
  if (!x || typeOf(x).getRank() != 2)
    return c.fail("input must be 2-D");
  Type et = typeOf(x).getElementType();
  if (c.hasAttr("dtype")) {
    et = onnxElementType(*c.b.getContext(), c.attrInt("dtype", 0));
    if (!et)
      return c.fail("dtype " + str(c.attrInt("dtype", 0)) + " is not supported");
  }
  c.setOutput(0, c.make<EyeOp>(typeOf(x).clone(et), c.attrInt("k", 0)));
  return success();
}

//===----------------------------------------------------------------------===//
// Broadcasts, padding, reversal, selection
//===----------------------------------------------------------------------===//

Value broadcastTo(NodeContext &c, Value x, ArrayRef<int64_t> shape) {
  if (typeOf(x).getShape() == shape)
    return x;
  return c.make<BroadcastToOp>(typeOf(x).clone(shape), x);
}

LogicalResult convertExpand(NodeContext &c) {
  if (failed(c.requireInputs(2)))
    return failure();
  Value x = c.input(0);
  auto shape = c.intsInput(1);
  if (failed(shape))
    return failure();
  auto out = broadcastShapes(typeOf(x).getShape(), *shape);
  if (failed(out) || llvm::any_of(*shape, [](int64_t d) { return d < 0; }))
    return c.fail("input " + shapeStr(typeOf(x).getShape()) + " does not broadcast to " +
                  shapeStr(*shape));
  c.setOutput(0, broadcastTo(c, x, *out));
  return success();
}

/// Tile: [d0, d1, ...] -> [1, d0, 1, d1, ...] -> broadcast [r0, d0, r1, d1, ...]
/// -> reshape [r0 * d0, r1 * d1, ...].
LogicalResult convertTile(NodeContext &c) {
  if (failed(c.requireInputs(2)))
    return failure();
  Value x = c.input(0);
  auto repeats = c.intsInput(1);
  if (failed(repeats))
    return failure();
  auto shape = typeOf(x).getShape();
  if (repeats->size() != shape.size())
    return c.fail("repeats has " + str(repeats->size()) + " entries for an input of rank " +
                  str(shape.size()));
  SmallVector<int64_t> split, wide, out;
  for (size_t d = 0; d < shape.size(); ++d) {
    int64_t r = (*repeats)[d];
    if (r < 0)
      return c.fail("negative repeat " + str(r));
    split.append({1, shape[d]});
    wide.append({r, shape[d]});
    out.push_back(r * shape[d]);
  }
  if (ArrayRef<int64_t>(out) == shape) {
    c.setOutput(0, x);
    return success();
  }
  Value y = broadcastTo(c, c.reshape(x, split), wide);
  c.setOutput(0, c.reshape(y, out));
  return success();
}

LogicalResult convertDepthToSpace(NodeContext &c) {
  Value x = c.input(0);
  if (!x || typeOf(x).getRank() != 4)
    return c.fail("input must be 4-D (N, C, H, W)");
  auto s = typeOf(x).getShape();
  int64_t b = c.attrInt("blocksize", 0), n = s[0], ch = s[1], h = s[2], w = s[3];
  if (b < 1 || ch % (b * b))
    return c.fail("channels " + str(ch) + " are not a multiple of blocksize^2 (blocksize " +
                  str(b) + ")");
  std::string mode = c.attrString("mode", "DCR");
  Value y;
  if (mode == "DCR") {
    y = c.make<TransposeOp>(c.reshape(x, {n, b, b, ch / (b * b), h, w}),
                            ArrayRef<int64_t>{0, 3, 4, 1, 5, 2});
  } else if (mode == "CRD") {
    y = c.make<TransposeOp>(c.reshape(x, {n, ch / (b * b), b, b, h, w}),
                            ArrayRef<int64_t>{0, 1, 4, 2, 5, 3});
  } else {
    return c.fail("unknown mode '" + mode + "' (DCR or CRD)");
  }
  c.setOutput(0, c.reshape(y, {n, ch / (b * b), h * b, w * b}));
  return success();
}

LogicalResult convertSpaceToDepth(NodeContext &c) {
  Value x = c.input(0);
  if (!x || typeOf(x).getRank() != 4)
    return c.fail("input must be 4-D (N, C, H, W)");
  auto s = typeOf(x).getShape();
  int64_t b = c.attrInt("blocksize", 0), n = s[0], ch = s[1], h = s[2], w = s[3];
  if (b < 1 || h % b || w % b)
    return c.fail("height " + str(h) + " and width " + str(w) +
                  " must be multiples of blocksize " + str(b));
  Value y = c.make<TransposeOp>(c.reshape(x, {n, ch, h / b, b, w / b, b}),
                                ArrayRef<int64_t>{0, 3, 5, 1, 2, 4});
  c.setOutput(0, c.reshape(y, {n, ch * b * b, h / b, w / b}));
  return success();
}

LogicalResult convertPad(NodeContext &c) {
  Value x = c.input(0);
  if (!x)
    return c.fail("input 0 is required");
  auto xt = typeOf(x);
  int64_t rank = xt.getRank();
  Type et = xt.getElementType();
  std::string mode = c.attrString("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge" && mode != "wrap")
    return c.fail("unknown mode '" + mode + "' (constant, reflect, edge, wrap)");
  SmallVector<int64_t> given;
  Value value;
  if (c.opset < 11) {
    given = c.attrInts(c.hasAttr("pads") ? "pads" : "paddings");
    value = c.scalar(et, c.attrFloat("value", 0.0f));
  } else {
    auto p = c.intsInput(1);
    if (failed(p))
      return failure();
    given = *p;
    if (c.input(2)) {
      auto v = scalarInput(c, 2, "constant_value");
      if (failed(v))
        return failure();
      value = *v;
      if (typeOf(value).getElementType() != et)
        return c.fail("constant_value has a different element type than the input");
    } else {
      value = c.scalar(et, 0.0);
    }
  }
  // opset 18: pads may name only some axes.
  SmallVector<int64_t> axes;
  if (c.opset >= 18 && c.input(3)) {
    auto a = c.intsInput(3);
    if (failed(a))
      return failure();
    for (int64_t v : *a) {
      int64_t n = normAxis(v, rank);
      if (failed(checkAxis(c, n, rank)))
        return failure();
      axes.push_back(n);
    }
  } else {
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  if (given.size() != 2 * axes.size())
    return c.fail("pads has " + str(given.size()) + " entries, expected " +
                  str(2 * axes.size()));
  SmallVector<int64_t> pads(2 * rank, 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    pads[axes[i]] = given[i];
    pads[rank + axes[i]] = given[axes.size() + i];
  }
  for (int64_t d = 0; d < rank; ++d) {
    int64_t n = xt.getDimSize(d), lo = pads[d], hi = pads[rank + d];
    if (n + lo + hi < 0)
      return c.fail("pads crop dimension " + str(d) + " (size " + str(n) + ") below zero");
    bool grows = lo > 0 || hi > 0;
    if (mode != "constant" && grows && n == 0)
      return c.fail("mode '" + mode + "' cannot pad the empty dimension " + str(d));
    if (mode == "reflect" && grows && n > 1 && (lo >= n || hi >= n))
      return c.fail("reflect pads of dimension " + str(d) + " must be below its size " + str(n));
  }
  if (llvm::all_of(pads, [](int64_t p) { return p == 0; })) {
    c.setOutput(0, x);
    return success();
  }
  c.setOutput(0, c.make<PadOp>(x, value, pads, mode));
  return success();
}

LogicalResult convertReverseSequence(NodeContext &c) {
  if (failed(c.requireInputs(2)))
    return failure();
  Value x = c.input(0), lens = c.input(1);
  int64_t batch = c.attrInt("batch_axis", 1), time = c.attrInt("time_axis", 0);
  if (typeOf(x).getRank() < 2)
    return c.fail("input must have rank >= 2");
  if (batch < 0 || batch > 1 || time < 0 || time > 1 || batch == time)
    return c.fail("batch_axis and time_axis must be 0 and 1 in some order");
  if (!isIndexType(typeOf(lens).getElementType()) || typeOf(lens).getRank() != 1 ||
      typeOf(lens).getDimSize(0) != typeOf(x).getDimSize(batch))
    return c.fail("sequence_lens must be integers, one per batch entry");
  c.setOutput(0, c.make<ReverseSequenceOp>(x, lens, batch, time));
  return success();
}

LogicalResult convertTopK(NodeContext &c) {
  Value x = c.input(0);
  if (!x)
    return c.fail("input 0 is required");
  auto xt = typeOf(x);
  int64_t rank = xt.getRank();
  if (rank < 1)
    return c.fail("input must have rank >= 1");
  if (xt.getElementType().isInteger(1))
    return c.fail("bool inputs cannot be ranked");
  int64_t k;
  if (c.opset < 10) {
    k = c.attrInt("k", -1);
  } else {
    auto v = c.intsInput(1);
    if (failed(v))
      return failure();
    if (v->size() != 1)
      return c.fail("k must hold one element");
    k = (*v)[0];
  }
  int64_t axis = normAxis(c.attrInt("axis", -1), rank);
  if (failed(checkAxis(c, axis, rank)))
    return failure();
  if (k < 0 || k > xt.getDimSize(axis))
    return c.fail("k = " + str(k) + " outside [0, " + str(xt.getDimSize(axis)) + "]");
  auto op = TopKOp::create(c.b, c.loc(), x, k, axis, c.attrInt("largest", 1) != 0);
  c.setOutput(0, op.getValues());
  c.setOutput(1, op.getIndices());
  return success();
}

} // namespace

void registerIndexConverters(ConverterMap &table) {
  table["CumSum"] = convertCumSum;
  table["DepthToSpace"] = convertDepthToSpace;
  table["Expand"] = convertExpand;
  table["EyeLike"] = convertEyeLike;
  table["GatherElements"] = convertGatherElements;
  table["GatherND"] = convertGatherND;
  table["OneHot"] = convertOneHot;
  table["Pad"] = convertPad;
  table["ReverseSequence"] = convertReverseSequence;
  table["Scatter"] = convertScatterElements;
  table["ScatterElements"] = convertScatterElements;
  table["ScatterND"] = convertScatterND;
  table["SpaceToDepth"] = convertSpaceToDepth;
  table["Tile"] = convertTile;
  table["TopK"] = convertTopK;
  table["Trilu"] = convertTrilu;
}

} // namespace nuri
