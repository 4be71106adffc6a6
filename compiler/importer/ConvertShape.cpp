//===- ConvertShape.cpp - ONNX shape and data-movement converters ---------===//
//
// Shape, Reshape, Flatten, Squeeze/Unsqueeze, Transpose, Concat, Slice,
// Split, Gather and ConstantOfShape, and Range on constants. On constant operands they produce
// constants directly (with the nuri folders, what keeps exporters' shape
// arithmetic static); otherwise they build the nuri data-movement ops.
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/ImporterContext.h"

#include "mlir/IR/BuiltinAttributes.h"

#include <cmath>

using namespace mlir;
using namespace mlir::nuri;

namespace nuri {
namespace {

DenseElementsAttr fromRaw(RankedTensorType type, const std::vector<char> &data) {
  if (type.getElementType().isInteger(1)) {
    SmallVector<bool> v(data.begin(), data.end());
    return DenseElementsAttr::get(type, ArrayRef<bool>(v));
  }
  return DenseElementsAttr::getFromRawBuffer(type, ArrayRef<char>(data));
}

LogicalResult convertFlatten(NodeContext &c) {
  Value x = c.input(0);
  auto shape = typeOf(x).getShape();
  int64_t axis = normAxis(c.attrInt("axis", 1), shape.size());
  if (axis < 0 || axis > (int64_t)shape.size())
    return c.fail("axis out of range");
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < (int64_t)shape.size(); ++d)
    (d < axis ? outer : inner) *= shape[d];
  c.setOutput(0, c.reshape(x, {outer, inner}));
  return success();
}

LogicalResult convertReshape(NodeContext &c) {
  Value x = c.input(0);
  SmallVector<int64_t> spec;
  if (c.opset < 5) {
    spec = c.attrInts("shape");
  } else {
    auto s = c.intsInput(1);
    if (failed(s))
      return failure();
    spec = *s;
  }
  auto in = typeOf(x).getShape();
  bool allowZero = c.attrInt("allowzero", 0);
  SmallVector<int64_t> out;
  int64_t known = 1, inferAt = -1;
  for (size_t i = 0; i < spec.size(); ++i) {
    int64_t d = spec[i];
    if (d == 0 && !allowZero) {
      if (i >= in.size())
        return c.fail("shape entry 0 copies a dimension the input lacks");
      d = in[i];
    }
    if (d == -1) {
      if (inferAt >= 0)
        return c.fail("shape has more than one -1");
      inferAt = i;
      out.push_back(1);
      continue;
    }
    if (d < 0)
      return c.fail("negative shape entry " + std::to_string(d));
    known *= d;
    out.push_back(d);
  }
  int64_t total = typeOf(x).getNumElements();
  if (inferAt >= 0) {
    if (known == 0 || total % known)
      return c.fail("cannot infer the -1 dimension");
    out[inferAt] = total / known;
  } else if (known != total) {
    return c.fail("shape holds " + std::to_string(known) + " elements, input " +
                  std::to_string(total));
  }
  c.setOutput(0, c.reshape(x, out));
  return success();
}

LogicalResult convertTranspose(NodeContext &c) {
  Value x = c.input(0);
  int64_t rank = typeOf(x).getRank();
  SmallVector<int64_t> dflt;
  for (int64_t i = rank - 1; i >= 0; --i)
    dflt.push_back(i);
  auto perm = c.attrInts("perm", dflt);
  SmallVector<bool> seen(rank, false);
  if ((int64_t)perm.size() != rank)
    return c.fail("perm must have one entry per dimension");
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p])
      return c.fail("perm is not a permutation");
    seen[p] = true;
  }
  c.setOutput(0, c.make<TransposeOp>(x, perm));
  return success();
}

LogicalResult convertConcat(NodeContext &c) {
  SmallVector<Value> inputs;
  for (int i = 0; i < c.numInputs(); ++i)
    if (Value v = c.input(i))
      inputs.push_back(v);
  if (inputs.empty())
    return c.fail("needs at least one input");
  auto first = typeOf(inputs[0]);
  int64_t axis = normAxis(c.attrInt("axis", 0), first.getRank());
  if (failed(checkAxis(c, axis, first.getRank())))
    return failure();
  for (Value v : inputs) {
    auto t = typeOf(v);
    if (t.getRank() != first.getRank() || t.getElementType() != first.getElementType())
      return c.fail("inputs differ in rank or element type");
    for (int64_t d = 0; d < t.getRank(); ++d)
      if (d != axis && t.getDimSize(d) != first.getDimSize(d))
        return c.fail("inputs differ in dimension " + std::to_string(d));
  }
  // Constant shape vectors concatenate at import time.
  bool allConst = llvm::all_of(inputs, [](Value v) { return v.getDefiningOp<ConstantOp>(); });
  if (allConst && first.getRank() == 1) {
    std::vector<char> data;
    int64_t n = 0;
    for (Value v : inputs) {
      auto raw = elementBytes(cast<DenseElementsAttr>(v.getDefiningOp<ConstantOp>().getValue()));
      data.insert(data.end(), raw.begin(), raw.end());
      n += typeOf(v).getDimSize(0);
    }
    c.setOutput(0, c.constant(fromRaw(first.clone({n}), data)));
    return success();
  }
  if (inputs.size() == 1) {
    c.setOutput(0, inputs[0]);
    return success();
  }
  c.setOutput(0, c.make<ConcatOp>(inputs, axis));
  return success();
}

/// Clamps ONNX start/end for one dimension like the reference implementation.
void clampSlice(int64_t dim, int64_t step, int64_t &start, int64_t &end) {
  if (start < 0)
    start += dim;
  if (end < 0)
    end += dim;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
  }
}

Value makeSlice(NodeContext &c, Value x, ArrayRef<int64_t> starts, ArrayRef<int64_t> ends,
                ArrayRef<int64_t> steps) {
  auto t = typeOf(x);
  // The op infers its own type; a slice of a 1-D constant (a shape vector)
  // is then replaced by the constant it computes.
  auto slice = SliceOp::create(c.b, c.loc(), x, starts, ends, steps);
  auto out = slice.getType();
  if (auto cst = x.getDefiningOp<ConstantOp>(); cst && t.getRank() == 1) {
    slice.erase();
    auto raw = elementBytes(cast<DenseElementsAttr>(cst.getValue()));
    size_t eb = elementByteSize(t.getElementType());
    std::vector<char> data;
    for (int64_t i = 0, pos = starts[0]; i < out.getDimSize(0); ++i, pos += steps[0])
      data.insert(data.end(), raw.begin() + pos * eb, raw.begin() + (pos + 1) * eb);
    return c.constant(fromRaw(out, data));
  }
  // Other constants fold when small (SliceOp::fold).
  slice.erase();
  return c.make<SliceOp>(x, starts, ends, steps);
}

LogicalResult convertSlice(NodeContext &c) {
  Value x = c.input(0);
  auto shape = typeOf(x).getShape();
  int64_t rank = shape.size();
  SmallVector<int64_t> starts, ends, axes, steps;
  if (c.opset < 10) {
    starts = c.attrInts("starts");
    ends = c.attrInts("ends");
    axes = c.attrInts("axes");
  } else {
    for (int i : {1, 2}) {
      auto v = c.intsInput(i);
      if (failed(v))
        return failure();
      (i == 1 ? starts : ends) = *v;
    }
    if (c.input(3)) {
      auto v = c.intsInput(3);
      if (failed(v))
        return failure();
      axes = *v;
    }
    if (c.input(4)) {
      auto v = c.intsInput(4);
      if (failed(v))
        return failure();
      steps = *v;
    }
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (starts.size() != ends.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return c.fail("starts/ends/axes/steps differ in length");
  SmallVector<int64_t> fs(rank, 0), fe(shape), fst(rank, 1);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t a = normAxis(axes[i], rank);
    if (failed(checkAxis(c, a, rank)))
      return failure();
    if (steps[i] == 0)
      return c.fail("step must be non-zero");
    int64_t s = starts[i], e = ends[i];
    if (ShapedType::isDynamic(shape[a])) {
      // A symbolic dimension (batch, sequence) may only be taken whole.
      if (s != 0 || steps[i] != 1 || e < (int64_t)INT32_MAX)
        return c.fail("slices symbolic dimension " + std::to_string(a) +
                      "; give --input-shape to fix it");
      continue;
    }
    clampSlice(shape[a], steps[i], s, e);
    fs[a] = s;
    fe[a] = e;
    fst[a] = steps[i];
  }
  c.setOutput(0, makeSlice(c, x, fs, fe, fst));
  return success();
}

LogicalResult convertSplit(NodeContext &c) {
  Value x = c.input(0);
  auto shape = typeOf(x).getShape();
  int64_t rank = shape.size();
  int64_t axis = normAxis(c.attrInt("axis", 0), rank);
  if (failed(checkAxis(c, axis, rank)))
    return failure();
  int64_t n = c.node.output_size();
  if (n < 1)
    return c.fail("needs at least one output");
  SmallVector<int64_t> sizes;
  if (c.opset >= 13 && c.input(1)) {
    auto v = c.intsInput(1);
    if (failed(v))
      return failure();
    sizes = *v;
  } else if (c.opset < 13 && c.hasAttr("split")) {
    sizes = c.attrInts("split");
  } else {
    if (c.opset >= 18 && c.hasAttr("num_outputs"))
      n = c.attrInt("num_outputs", n);
    if (n < 1)
      return c.fail("num_outputs must be positive");
    int64_t chunk = (shape[axis] + n - 1) / n;
    for (int64_t i = 0, left = shape[axis]; i < n; ++i, left -= chunk)
      sizes.push_back(std::max<int64_t>(0, std::min(chunk, left)));
  }
  if (llvm::any_of(sizes, [](int64_t s) { return s < 0; }) ||
      (int64_t)sizes.size() != c.node.output_size() ||
      std::accumulate(sizes.begin(), sizes.end(), int64_t(0)) != shape[axis])
    return c.fail("split sizes do not add up to dimension " + std::to_string(axis));
  int64_t offset = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    SmallVector<int64_t> s(rank, 0), e(shape), st(rank, 1);
    s[axis] = offset;
    e[axis] = offset + sizes[i];
    if (sizes[i] == 0)
      s[axis] = 0, e[axis] = 0;
    offset += sizes[i];
    c.setOutput(i, makeSlice(c, x, s, e, st));
  }
  return success();
}

LogicalResult convertShape(NodeContext &c) {
  auto shape = typeOf(c.input(0)).getShape();
  int64_t rank = shape.size();
  int64_t start = c.attrInt("start", 0), end = c.attrInt("end", rank);
  start = std::clamp<int64_t>(normAxis(start, rank), 0, rank);
  end = std::clamp<int64_t>(normAxis(end, rank), 0, rank);
  SmallVector<int64_t> dims(shape.begin() + start, shape.begin() + std::max(start, end));
  c.setOutput(0, c.constant(i64Tensor(c.b.getContext(), dims)));
  return success();
}

LogicalResult convertGather(NodeContext &c) {
  Value data = c.input(0), idx = c.input(1);
  auto dt = typeOf(data), it = typeOf(idx);
  int64_t axis = normAxis(c.attrInt("axis", 0), dt.getRank());
  if (failed(checkAxis(c, axis, dt.getRank())))
    return failure();
  if (!isa<IntegerType>(it.getElementType()))
    return c.fail("indices must be integers");
  SmallVector<int64_t> outShape(dt.getShape().take_front(axis));
  llvm::append_range(outShape, it.getShape());
  llvm::append_range(outShape, dt.getShape().drop_front(axis + 1));
  auto outType = dt.clone(outShape);
  int64_t dim = dt.getDimSize(axis);
  auto dconst = c.constantInput(0), iconst = c.constantInput(1);
  SmallVector<int64_t> indices;
  if (iconst) {
    for (APInt v : iconst.getValues<APInt>()) {
      int64_t i = v.getSExtValue();
      if (i < -dim || i >= dim)
        return c.fail("index " + std::to_string(i) + " out of range for dimension " +
                      std::to_string(dim));
      indices.push_back(i < 0 ? i + dim : i);
    }
  }
  if (dconst && iconst) {
    auto raw = elementBytes(dconst);
    size_t eb = elementByteSize(dt.getElementType());
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < dt.getRank(); ++d)
      if (d < axis)
        outer *= dt.getDimSize(d);
      else if (d > axis)
        inner *= dt.getDimSize(d);
    std::vector<char> out;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i : indices) {
        auto begin = raw.begin() + ((o * dim + i) * inner) * eb;
        out.insert(out.end(), begin, begin + inner * eb);
      }
    c.setOutput(0, c.constant(fromRaw(outType, out)));
    return success();
  }
  if (iconst) // normalized, so the kernel need not handle negative indices
    idx = c.constant(DenseElementsAttr::get(it.clone(IntegerType::get(c.b.getContext(), 64)),
                                            ArrayRef<int64_t>(indices)));
  c.setOutput(0, c.make<GatherOp>(outType, data, idx, axis));
  return success();
}

FailureOr<SmallVector<int64_t>> squeezeAxes(NodeContext &c, int64_t rank) {
  SmallVector<int64_t> axes;
  if (c.opset >= 13) {
    if (c.input(1)) {
      auto v = c.intsInput(1);
      if (failed(v))
        return failure();
      axes = *v;
    }
  } else {
    axes = c.attrInts("axes");
  }
  for (int64_t &a : axes) {
    a = normAxis(a, rank);
    if (failed(checkAxis(c, a, rank)))
      return failure();
  }
  return axes;
}

LogicalResult convertUnsqueeze(NodeContext &c) {
  Value x = c.input(0);
  auto shape = typeOf(x).getShape();
  int64_t outRank = shape.size();
  auto raw = c.opset >= 13 ? c.intsInput(1) : FailureOr<SmallVector<int64_t>>(c.attrInts("axes"));
  if (failed(raw))
    return failure();
  outRank += raw->size();
  auto axes = squeezeAxes(c, outRank);
  if (failed(axes))
    return failure();
  llvm::sort(*axes);
  if (std::adjacent_find(axes->begin(), axes->end()) != axes->end())
    return c.fail("axes repeat a dimension");
  SmallVector<int64_t> out;
  for (int64_t d = 0, src = 0; d < outRank; ++d)
    out.push_back(llvm::is_contained(*axes, d) ? 1 : shape[src++]);
  c.setOutput(0, c.reshape(x, out));
  return success();
}

LogicalResult convertSqueeze(NodeContext &c) {
  Value x = c.input(0);
  auto shape = typeOf(x).getShape();
  auto axes = squeezeAxes(c, shape.size());
  if (failed(axes))
    return failure();
  SmallVector<int64_t> out;
  for (int64_t d = 0; d < (int64_t)shape.size(); ++d) {
    bool drop = axes->empty() ? shape[d] == 1 : llvm::is_contained(*axes, d);
    if (drop && shape[d] != 1)
      return c.fail("cannot squeeze dimension " + std::to_string(d) + " of size " +
                    std::to_string(shape[d]));
    if (!drop)
      out.push_back(shape[d]);
  }
  c.setOutput(0, c.reshape(x, out));
  return success();
}

LogicalResult convertConstantOfShape(NodeContext &c) {
  auto shape = c.intsInput(0);
  if (failed(shape))
    return failure();
  for (int64_t d : *shape)
    if (d < 0)
      return c.fail("negative dimension in shape");
  auto valueOr = constantOfShapeValue(c);
  if (failed(valueOr))
    return failure();
  DenseElementsAttr value = *valueOr;
  auto type = RankedTensorType::get(*shape, value.getElementType());
  c.setOutput(0, c.constant(value.isSplat() ? value.resizeSplat(type)
                                            : DenseElementsAttr::get(type, value.getValues<Attribute>()[0])));
  return success();
}

} // namespace

FailureOr<DenseElementsAttr> constantOfShapeValue(NodeContext &c) {
  MLIRContext *ctx = c.b.getContext();
  DenseElementsAttr value =
      DenseElementsAttr::get(RankedTensorType::get({1}, Float32Type::get(ctx)), 0.0f);
  if (auto *a = c.attr("value")) {
    std::string err;
    auto attr = tensorToAttr(*ctx, a->t(), nullptr, err);
    if (failed(attr) || attr->getNumElements() != 1) {
      (void)c.fail("value must hold one element");
      return failure();
    }
    value = *attr;
  }
  return value;
}

/// Range of constant scalars as a constant, or null when it is not one
/// (bad operands are left to the function body's diagnostics).
DenseElementsAttr rangeConstant(NodeContext &c) {
  DenseElementsAttr start = c.constantInput(0), limit = c.constantInput(1),
                    delta = c.constantInput(2);
  if (!start || !limit || !delta || start.getNumElements() != 1 ||
      limit.getNumElements() != 1 || delta.getNumElements() != 1)
    return nullptr;
  Type et = start.getElementType();
  auto count = [](double first, double last, double step) -> int64_t {
    double n = std::ceil((last - first) / step);
    return std::isfinite(n) && n > 0 ? (int64_t)n : 0;
  };
  constexpr int64_t kMaxElements = 1 << 20;
  if (auto it = dyn_cast<IntegerType>(et)) {
    int64_t first = start.getValues<APInt>()[0].getSExtValue();
    int64_t last = limit.getValues<APInt>()[0].getSExtValue();
    int64_t step = delta.getValues<APInt>()[0].getSExtValue();
    if (step == 0)
      return nullptr;
    int64_t n = count(first, last, step);
    if (n > kMaxElements)
      return nullptr;
    SmallVector<APInt> values;
    for (int64_t i = 0; i < n; ++i)
      values.push_back(APInt(it.getWidth(), (uint64_t)(first + i * step), false, true));
    return DenseElementsAttr::get(RankedTensorType::get({n}, et), values);
  }
  if (!et.isF32() && !et.isF64())
    return nullptr;
  double first = start.getValues<APFloat>()[0].convertToDouble();
  double last = limit.getValues<APFloat>()[0].convertToDouble();
  double step = delta.getValues<APFloat>()[0].convertToDouble();
  int64_t n = step == 0 ? kMaxElements + 1 : count(first, last, step);
  if (n > kMaxElements)
    return nullptr;
  SmallVector<APFloat> values;
  for (int64_t i = 0; i < n; ++i) {
    // The function body accumulates in the element type: start + i*delta
    // computed the same way, one addition at a time.
    APFloat v(first);
    bool lost;
    v.convert(cast<FloatType>(et).getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    values.push_back(v);
    first = et.isF32() ? (double)((float)first + (float)step) : first + step;
  }
  return DenseElementsAttr::get(RankedTensorType::get({n}, et), values);
}

void registerShapeConverters(ConverterMap &table) {
  table["Concat"] = convertConcat;
  table["ConstantOfShape"] = convertConstantOfShape;
  table["Flatten"] = convertFlatten;
  table["Gather"] = convertGather;
  table["Reshape"] = convertReshape;
  table["Shape"] = convertShape;
  table["Slice"] = convertSlice;
  table["Split"] = convertSplit;
  table["Squeeze"] = convertSqueeze;
  table["Transpose"] = convertTranspose;
  table["Unsqueeze"] = convertUnsqueeze;
}

} // namespace nuri
