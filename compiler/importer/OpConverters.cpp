//===- OpConverters.cpp - one converter per ONNX op, opset-aware ----------===//
//
// Converters normalize ONNX's many spellings (attributes that became inputs,
// negative axes, auto_pad, defaults that changed between opsets) into the
// nuri dialect's single form. Shape-computing subgraphs (Shape, Gather,
// Unsqueeze, Concat on constants, ...) fold to constants as they are built.
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/ImporterContext.h"

#include "mlir/IR/BuiltinAttributes.h"

#include <cstring>
#include <limits>
#include <numeric>

using namespace mlir;
using namespace mlir::nuri;

namespace nuri {
namespace {


template <typename Op> Converter unary() {
  return [](NodeContext &c) {
    c.setOutput(0, c.make<Op>(c.input(0)));
    return success();
  };
}

template <typename Op> Converter binary() {
  return [](NodeContext &c) {
    Value a = c.input(0), b = c.input(1);
    if (!a || !b)
      return c.fail("needs two inputs");
    if (!std::is_same<Op, PowOp>::value &&
        typeOf(a).getElementType() != typeOf(b).getElementType())
      return c.fail("inputs have different element types");
    if (failed(broadcastShapes(typeOf(a).getShape(), typeOf(b).getShape())))
      return c.fail("input shapes do not broadcast");
    c.setOutput(0, c.make<Op>(a, b));
    return success();
  };
}

DenseElementsAttr fromRaw(RankedTensorType type, const std::vector<char> &data) {
  if (type.getElementType().isInteger(1)) {
    SmallVector<bool> v(data.begin(), data.end());
    return DenseElementsAttr::get(type, ArrayRef<bool>(v));
  }
  return DenseElementsAttr::getFromRawBuffer(type, ArrayRef<char>(data));
}



//===----------------------------------------------------------------------===//

LogicalResult convertConstant(NodeContext &c) {
  MLIRContext *ctx = c.b.getContext();
  if (auto *a = c.attr("value")) {
    std::string err;
    auto attr = tensorToAttr(*ctx, a->t(), nullptr, err);
    if (failed(attr))
      return c.fail(err);
    c.setOutput(0, c.constant(*attr));
    return success();
  }
  if (auto *a = c.attr("value_float")) {
    c.setOutput(0, c.scalar(Float32Type::get(ctx), a->f()));
    return success();
  }
  if (auto *a = c.attr("value_int")) {
    c.setOutput(0, c.constant(DenseElementsAttr::get(
                       RankedTensorType::get({}, IntegerType::get(ctx, 64)), a->i())));
    return success();
  }
  if (auto *a = c.attr("value_floats")) {
    SmallVector<float> v(a->floats().begin(), a->floats().end());
    c.setOutput(0, c.constant(DenseElementsAttr::get(
                       RankedTensorType::get({(int64_t)v.size()}, Float32Type::get(ctx)),
                       ArrayRef<float>(v))));
    return success();
  }
  if (auto *a = c.attr("value_ints")) {
    SmallVector<int64_t> v(a->ints().begin(), a->ints().end());
    c.setOutput(0, c.constant(i64Tensor(ctx, v)));
    return success();
  }
  return c.fail("only value, value_float(s) and value_int(s) are supported");
}

LogicalResult convertIdentity(NodeContext &c) {
  c.setOutput(0, c.input(0));
  return success();
}

LogicalResult convertLeakyRelu(NodeContext &c) {
  c.setOutput(0, c.make<LeakyReluOp>(c.input(0), c.b.getF32FloatAttr(c.attrFloat("alpha", 0.01f))));
  return success();
}

LogicalResult convertHardSigmoid(NodeContext &c) {
  c.setOutput(0, c.make<HardSigmoidOp>(c.input(0),
                                       c.b.getF32FloatAttr(c.attrFloat("alpha", 0.2f)),
                                       c.b.getF32FloatAttr(c.attrFloat("beta", 0.5f))));
  return success();
}

LogicalResult convertClip(NodeContext &c) {
  Value x = c.input(0);
  Type et = typeOf(x).getElementType();
  // Absent bounds are the type's extremes (exact, also for 64-bit integers).
  Value lo, hi;
  if (isa<FloatType>(et)) {
    lo = c.scalar(et, -std::numeric_limits<double>::infinity());
    hi = c.scalar(et, std::numeric_limits<double>::infinity());
  } else if (auto it = dyn_cast<IntegerType>(et)) {
    unsigned w = it.getWidth();
    lo = c.scalar(et, it.isUnsigned() ? APInt::getMinValue(w) : APInt::getSignedMinValue(w));
    hi = c.scalar(et, it.isUnsigned() ? APInt::getMaxValue(w) : APInt::getSignedMaxValue(w));
  } else {
    return c.fail("unsupported element type");
  }
  Value min, max;
  if (c.opset < 11) {
    min = c.hasAttr("min") ? c.scalar(et, c.attrFloat("min", 0)) : lo;
    max = c.hasAttr("max") ? c.scalar(et, c.attrFloat("max", 0)) : hi;
  } else {
    min = c.input(1) ? c.input(1) : lo;
    max = c.input(2) ? c.input(2) : hi;
  }
  for (Value *v : {&min, &max}) {
    if (typeOf(*v).getNumElements() != 1 || typeOf(*v).getElementType() != et)
      return c.fail("min/max must be scalars of the input's element type");
    *v = c.reshape(*v, {});
  }
  c.setOutput(0, c.make<ClipOp>(x, min, max));
  return success();
}

LogicalResult convertCast(NodeContext &c) {
  Type to = onnxElementType(*c.b.getContext(), c.attrInt("to", 0));
  if (!to)
    return c.fail("cast to element type " + std::to_string(c.attrInt("to", 0)) +
                  " is not supported");
  c.setOutput(0, c.make<CastOp>(c.input(0), TypeAttr::get(to),
                                c.b.getBoolAttr(c.attrInt("saturate", 1) != 0)));
  return success();
}

LogicalResult convertMatMul(NodeContext &c) {
  Value a = c.input(0), b = c.input(1);
  if (typeOf(a).getElementType() != typeOf(b).getElementType())
    return c.fail("inputs have different element types");
  SmallVector<Type> types;
  if (failed(MatMulOp::inferReturnTypes(c.b.getContext(), std::nullopt,
                                        MatMulOp::Adaptor({a, b}), types)))
    return c.fail("operand shapes " + std::to_string(typeOf(a).getRank()) + "-D and " +
                  std::to_string(typeOf(b).getRank()) + "-D do not multiply");
  c.setOutput(0, c.make<MatMulOp>(a, b));
  return success();
}

Value transpose2d(NodeContext &c, Value v) {
  return c.make<TransposeOp>(v, ArrayRef<int64_t>{1, 0});
}

LogicalResult convertGemm(NodeContext &c) {
  Value a = c.input(0), b = c.input(1), bias = c.input(2);
  if (typeOf(a).getRank() != 2 || typeOf(b).getRank() != 2)
    return c.fail("A and B must be 2-D");
  if (c.attrInt("transA", 0))
    a = transpose2d(c, a);
  if (c.attrInt("transB", 0))
    b = transpose2d(c, b);
  if (typeOf(a).getDimSize(1) != typeOf(b).getDimSize(0))
    return c.fail("inner dimensions differ: A' is " + std::to_string(typeOf(a).getDimSize(0)) +
                  "x" + std::to_string(typeOf(a).getDimSize(1)) + ", B' is " +
                  std::to_string(typeOf(b).getDimSize(0)) + "x" +
                  std::to_string(typeOf(b).getDimSize(1)));
  Type et = typeOf(a).getElementType();
  Value y = c.make<MatMulOp>(a, b);
  float alpha = c.attrFloat("alpha", 1.0f), beta = c.attrFloat("beta", 1.0f);
  if (alpha != 1.0f)
    y = c.make<MulOp>(y, c.scalar(et, alpha));
  if (bias && beta != 0.0f) {
    if (failed(broadcastShapes(typeOf(y).getShape(), typeOf(bias).getShape())) ||
        *broadcastShapes(typeOf(y).getShape(), typeOf(bias).getShape()) !=
            typeOf(y).getShape())
      return c.fail("C does not broadcast to the output shape");
    if (beta != 1.0f)
      bias = c.make<MulOp>(bias, c.scalar(et, beta));
    y = c.make<AddOp>(y, bias);
  }
  c.setOutput(0, y);
  return success();
}

} // namespace

/// Explicit pads for auto_pad=SAME_UPPER/SAME_LOWER/VALID or the pads attribute.
FailureOr<SmallVector<int64_t>> windowPads(NodeContext &c, ArrayRef<int64_t> in,
                                           ArrayRef<int64_t> kernel,
                                           ArrayRef<int64_t> strides,
                                           ArrayRef<int64_t> dilations) {
  size_t n = in.size();
  for (size_t i = 0; i < n; ++i)
    if (kernel[i] < 1 || strides[i] < 1 || dilations[i] < 1) {
      (void)c.fail("kernel_shape, strides and dilations must be positive");
      return failure();
    }
  std::string autoPad = c.attrString("auto_pad", "NOTSET");
  SmallVector<int64_t> pads = c.attrInts("pads", SmallVector<int64_t>(2 * n, 0));
  if (pads.size() != 2 * n) {
    (void)c.fail("pads must have " + std::to_string(2 * n) + " values");
    return failure();
  }
  if (llvm::any_of(pads, [](int64_t p) { return p < 0; })) {
    (void)c.fail("negative pads are not supported");
    return failure();
  }
  if (autoPad == "NOTSET")
    return pads;
  if (autoPad == "VALID")
    return SmallVector<int64_t>(2 * n, 0);
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER") {
    (void)c.fail("unknown auto_pad '" + autoPad + "'");
    return failure();
  }
  for (size_t i = 0; i < n; ++i) {
    int64_t out = (in[i] + strides[i] - 1) / strides[i];
    int64_t total = std::max<int64_t>(
        0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - in[i]);
    int64_t small = total / 2, big = total - small;
    pads[i] = autoPad == "SAME_UPPER" ? small : big;
    pads[n + i] = autoPad == "SAME_UPPER" ? big : small;
  }
  return pads;
}

namespace {

LogicalResult convertConv(NodeContext &c) {
  Value x = c.input(0), w = c.input(1), bias = c.input(2);
  auto xt = typeOf(x), wt = typeOf(w);
  if (xt.getRank() < 3 || wt.getRank() != xt.getRank())
    return c.fail("input and weight must have the same rank >= 3");
  size_t n = xt.getRank() - 2;
  auto kernel = c.attrInts("kernel_shape", wt.getShape().drop_front(2));
  auto strides = c.attrInts("strides", SmallVector<int64_t>(n, 1));
  auto dilations = c.attrInts("dilations", SmallVector<int64_t>(n, 1));
  if (kernel.size() != n || strides.size() != n || dilations.size() != n)
    return c.fail("kernel_shape/strides/dilations must have one value per spatial dimension");
  if (ArrayRef<int64_t>(kernel) != wt.getShape().drop_front(2))
    return c.fail("kernel_shape differs from the weight's shape");
  auto pads = windowPads(c, xt.getShape().drop_front(2), kernel, strides, dilations);
  if (failed(pads))
    return failure();
  int64_t group = c.attrInt("group", 1);
  if (group < 1 || xt.getDimSize(1) != wt.getDimSize(1) * group || wt.getDimSize(0) % group)
    return c.fail("channels do not match group " + std::to_string(group));
  c.setOutput(0, c.make<ConvOp>(x, w, bias, c.b.getDenseI64ArrayAttr(strides),
                                c.b.getDenseI64ArrayAttr(*pads),
                                c.b.getDenseI64ArrayAttr(dilations),
                                c.b.getI64IntegerAttr(group)));
  return success();
}

template <typename Op> LogicalResult convertPool(NodeContext &c) {
  Value x = c.input(0);
  auto xt = typeOf(x);
  if (xt.getRank() < 3)
    return c.fail("input must have rank >= 3");
  if (c.outputUsed(1))
    return c.fail("the Indices output is not supported");
  if (c.attrInt("storage_order", 0) != 0)
    return c.fail("storage_order=1 is not supported");
  size_t n = xt.getRank() - 2;
  auto kernel = c.attrInts("kernel_shape");
  auto strides = c.attrInts("strides", SmallVector<int64_t>(n, 1));
  auto dilations = c.attrInts("dilations", SmallVector<int64_t>(n, 1));
  if (kernel.size() != n || strides.size() != n || dilations.size() != n)
    return c.fail("kernel_shape/strides/dilations must have one value per spatial dimension");
  auto pads = windowPads(c, xt.getShape().drop_front(2), kernel, strides, dilations);
  if (failed(pads))
    return failure();
  bool ceil = c.attrInt("ceil_mode", 0);
  bool includePad = c.attrInt("count_include_pad", 0);
  c.setOutput(0, c.make<Op>(x, c.b.getDenseI64ArrayAttr(kernel),
                            c.b.getDenseI64ArrayAttr(strides),
                            c.b.getDenseI64ArrayAttr(*pads),
                            c.b.getDenseI64ArrayAttr(dilations), c.b.getBoolAttr(ceil),
                            c.b.getBoolAttr(includePad)));
  return success();
}

LogicalResult convertGlobalAveragePool(NodeContext &c) {
  Value x = c.input(0);
  SmallVector<int64_t> axes;
  for (int64_t d = 2; d < typeOf(x).getRank(); ++d)
    axes.push_back(d);
  c.setOutput(0, c.make<ReduceMeanOp>(x, c.b.getDenseI64ArrayAttr(axes), c.b.getBoolAttr(true)));
  return success();
}

LogicalResult convertBatchNorm(NodeContext &c) {
  bool training = c.attrInt("training_mode", 0) || c.outputUsed(1) || c.outputUsed(2);
  if (training && c.opset < 14)
    return c.fail("training mode needs opset 14 (older outputs are not supported)");
  Value x = c.input(0), scale = c.input(1), bias = c.input(2), mean = c.input(3),
        var = c.input(4);
  auto xt = typeOf(x);
  if (xt.getRank() < 2)
    return c.fail("input must have rank >= 2");
  int64_t ch = xt.getDimSize(1);
  Type et = xt.getElementType();
  SmallVector<int64_t> paramShape{ch};
  paramShape.append(xt.getRank() - 2, 1);
  for (Value *v : {&scale, &bias, &mean, &var}) {
    if (typeOf(*v).getNumElements() != ch || typeOf(*v).getElementType() != et)
      return c.fail("scale/B/mean/var must hold one value per channel");
    *v = c.reshape(*v, {ch});
  }
  if (training) {
    // Normalize with the batch's statistics (population variance over every
    // axis but the channel) and blend them into the running ones.
    SmallVector<int64_t> axes{0};
    for (int64_t d = 2; d < xt.getRank(); ++d)
      axes.push_back(d);
    auto reduce = [&](Value v) {
      return c.make<ReduceMeanOp>(v, c.b.getDenseI64ArrayAttr(axes), c.b.getBoolAttr(false));
    };
    Value batchMean = reduce(x);
    Value centered = c.make<SubOp>(x, c.reshape(batchMean, paramShape));
    Value batchVar = reduce(c.make<MulOp>(centered, centered));
    Value momentum = c.scalar(et, c.attrFloat("momentum", 0.9f));
    Value rest = c.scalar(et, 1.0 - c.attrFloat("momentum", 0.9f));
    auto blend = [&](Value running, Value batch) {
      return c.make<AddOp>(c.make<MulOp>(running, momentum), c.make<MulOp>(batch, rest));
    };
    c.setOutput(1, blend(mean, batchMean));
    c.setOutput(2, blend(var, batchVar));
    mean = batchMean;
    var = batchVar;
  }
  // y = x * a + b with a = scale / sqrt(var + eps), b = B - mean * a; with
  // constant parameters a and b fold to two constants.
  Value eps = c.scalar(et, c.attrFloat("epsilon", 1e-5f));
  Value a = c.make<DivOp>(scale, c.make<SqrtOp>(c.make<AddOp>(var, eps)));
  Value b = c.make<SubOp>(bias, c.make<MulOp>(mean, a));
  a = c.reshape(a, paramShape);
  b = c.reshape(b, paramShape);
  c.setOutput(0, c.make<AddOp>(c.make<MulOp>(x, a), b));
  return success();
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

LogicalResult convertLayerNorm(NodeContext &c) {
  Value x = c.input(0);
  int64_t rank = typeOf(x).getRank();
  int64_t axis = normAxis(c.attrInt("axis", -1), rank);
  if (failed(checkAxis(c, axis, rank)))
    return failure();
  auto norm = typeOf(x).getShape().drop_front(axis);
  for (Value v : {c.input(1), c.input(2)})
    if (v && (failed(broadcastShapes(norm, typeOf(v).getShape())) ||
              typeOf(v).getRank() > (int64_t)norm.size()))
      return c.fail("Scale/B do not broadcast to the normalized shape");
  if (c.outputUsed(1) || c.outputUsed(2)) {
    // The statistics are outputs too: spell the normalization out so the
    // mean and 1/stddev exist as values.
    SmallVector<int64_t> axes;
    for (int64_t d = axis; d < rank; ++d)
      axes.push_back(d);
    Type et = typeOf(x).getElementType();
    auto axesAttr = c.b.getDenseI64ArrayAttr(axes);
    Value mean = c.make<ReduceMeanOp>(x, axesAttr, c.b.getBoolAttr(true));
    Value d = c.make<SubOp>(x, mean);
    Value var = c.make<ReduceMeanOp>(c.make<MulOp>(d, d), axesAttr, c.b.getBoolAttr(true));
    Value inv = c.make<DivOp>(c.scalar(et, 1.0),
                              c.make<SqrtOp>(c.make<AddOp>(var, c.scalar(et, c.attrFloat("epsilon", 1e-5f)))));
    Value y = c.make<MulOp>(c.make<MulOp>(d, inv), c.input(1));
    if (c.input(2))
      y = c.make<AddOp>(y, c.input(2));
    c.setOutput(0, y);
    c.setOutput(1, mean);
    c.setOutput(2, inv);
    return success();
  }
  c.setOutput(0, c.make<LayerNormOp>(x, c.input(1), c.input(2),
                                     c.b.getI64IntegerAttr(axis),
                                     c.b.getF32FloatAttr(c.attrFloat("epsilon", 1e-5f))));
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

LogicalResult checkAxis(NodeContext &c, int64_t axis, int64_t rank) {
  if (axis < 0 || axis >= rank)
    return c.fail("axis " + std::to_string(axis) + " out of range for rank " +
                  std::to_string(rank));
  return success();
}

DenseElementsAttr i64Tensor(MLIRContext *ctx, ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({(int64_t)values.size()}, IntegerType::get(ctx, 64));
  return DenseElementsAttr::get(type, values);
}

namespace {
ConverterMap buildTable() {
  ConverterMap table = {
      {"Abs", unary<AbsOp>()},
      {"Add", binary<AddOp>()},
      {"AveragePool", convertPool<AvgPoolOp>},
      {"BatchNormalization", convertBatchNorm},
      {"Cast", convertCast},
      {"Clip", convertClip},
      {"Concat", convertConcat},
      {"Constant", convertConstant},
      {"ConstantOfShape", convertConstantOfShape},
      {"Conv", convertConv},
      {"Div", binary<DivOp>()},
      {"Erf", unary<ErfOp>()},
      {"Exp", unary<ExpOp>()},
      {"Flatten", convertFlatten},
      {"Gather", convertGather},
      {"Gemm", convertGemm},
      {"GlobalAveragePool", convertGlobalAveragePool},
      {"HardSigmoid", convertHardSigmoid},
      {"HardSwish", unary<HardSwishOp>()},
      {"Identity", convertIdentity},
      {"LayerNormalization", convertLayerNorm},
      {"LeakyRelu", convertLeakyRelu},
      {"Log", unary<LogOp>()},
      {"MatMul", convertMatMul},
      {"MaxPool", convertPool<MaxPoolOp>},
      {"Mul", binary<MulOp>()},
      {"Neg", unary<NegOp>()},
      {"Pow", binary<PowOp>()},
      {"Relu", unary<ReluOp>()},
      {"Reshape", convertReshape},
      {"Shape", convertShape},
      {"Sigmoid", unary<SigmoidOp>()},
      {"Slice", convertSlice},
      {"Split", convertSplit},
      {"Sqrt", unary<SqrtOp>()},
      {"Squeeze", convertSqueeze},
      {"Sub", binary<SubOp>()},
      {"Tanh", unary<TanhOp>()},
      {"Transpose", convertTranspose},
      {"Unsqueeze", convertUnsqueeze},
  };
  registerMathConverters(table);
  registerIndexConverters(table);
  registerNNConverters(table);
  registerControlFlowConverters(table);
  registerRNNConverters(table);
  registerQuantConverters(table);
  registerMiscConverters(table);
  registerOpset18Converters(table);
  registerDynamicConverters(table); // last: it wraps the static converters
  registerRuntimeSizedConverters(table);
  registerSequenceConverters(table);
  registerStringConverters(table);
  return table;
}
} // namespace

const ConverterMap &onnxConverters() {
  static const ConverterMap table = buildTable();
  return table;
}

} // namespace nuri
