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

} // namespace

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
      {"Constant", convertConstant},
      {"Conv", convertConv},
      {"Div", binary<DivOp>()},
      {"Erf", unary<ErfOp>()},
      {"Exp", unary<ExpOp>()},
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
      {"Sigmoid", unary<SigmoidOp>()},
      {"Sqrt", unary<SqrtOp>()},
      {"Sub", binary<SubOp>()},
      {"Tanh", unary<TanhOp>()},
  };
  registerShapeConverters(table);
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
  registerSymbolicConverters(table); // outermost: it wraps all of the above
  return table;
}
} // namespace

const ConverterMap &onnxConverters() {
  static const ConverterMap table = buildTable();
  return table;
}

} // namespace nuri
