//===- ConvertMath.cpp - ONNX converters: elementwise math, logic, reductions ---===//
//
// Ops that ONNX spells several ways map to one nuri op: And/BitwiseAnd both
// become nuri.and (the element type says logical or bitwise), variadic
// Max/Min/Sum/Mean become chains of binary ops, and the Reduce* family
// decomposes into reduce_sum/max/min/prod around elementwise ops.
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/ImporterContext.h"

using namespace mlir;
using namespace mlir::nuri;

namespace nuri {
namespace {

template <typename Op> Converter unaryOp() {
  return [](NodeContext &c) {
    if (failed(c.requireInputs(1)))
      return failure();
    c.setOutput(0, c.make<Op>(c.input(0)));
    return success();
  };
}

template <typename Op> LogicalResult floatOnly(NodeContext &c) {
  if (failed(c.requireInputs(1)))
    return failure();
  if (!isa<FloatType>(typeOf(c.input(0)).getElementType()))
    return c.fail("needs a floating-point input");
  return success();
}

/// Checks two same-typed, broadcastable operands.
LogicalResult checkBinary(NodeContext &c, Value a, Value b) {
  if (!a || !b)
    return c.fail("needs two inputs");
  if (typeOf(a).getElementType() != typeOf(b).getElementType())
    return c.fail("inputs have different element types");
  if (failed(broadcastShapes(typeOf(a).getShape(), typeOf(b).getShape())))
    return c.fail("input shapes do not broadcast");
  return success();
}

template <typename Op> Converter binaryOp() {
  return [](NodeContext &c) {
    Value a = c.input(0), b = c.input(1);
    if (failed(checkBinary(c, a, b)))
      return failure();
    c.setOutput(0, c.make<Op>(a, b));
    return success();
  };
}

/// Logical ops need bool inputs; the bitwise ones need integers.
template <typename Op> Converter logicalOp(bool bitwise) {
  return [bitwise](NodeContext &c) {
    Value a = c.input(0), b = c.input(1);
    if (failed(checkBinary(c, a, b)))
      return failure();
    Type et = typeOf(a).getElementType();
    if (bitwise ? (!isa<IntegerType>(et) || et.isInteger(1)) : !et.isInteger(1))
      return c.fail(bitwise ? "needs integer inputs" : "needs bool inputs");
    c.setOutput(0, c.make<Op>(a, b));
    return success();
  };
}

LogicalResult convertNot(NodeContext &c) {
  if (failed(c.requireInputs(1)))
    return failure();
  Type et = typeOf(c.input(0)).getElementType();
  bool bitwise = c.node.op_type() == "BitwiseNot";
  if (bitwise ? (!isa<IntegerType>(et) || et.isInteger(1)) : !et.isInteger(1))
    return c.fail(bitwise ? "needs an integer input" : "needs a bool input");
  c.setOutput(0, c.make<NotOp>(c.input(0)));
  return success();
}

LogicalResult convertMod(NodeContext &c) {
  Value a = c.input(0), b = c.input(1);
  if (failed(checkBinary(c, a, b)))
    return failure();
  bool fmod = c.attrInt("fmod", 0);
  if (isa<FloatType>(typeOf(a).getElementType()) && !fmod)
    return c.fail("floating-point Mod needs fmod = 1");
  c.setOutput(0, c.make<ModOp>(a, b, c.b.getBoolAttr(fmod)));
  return success();
}

LogicalResult convertBitShift(NodeContext &c) {
  Value a = c.input(0), b = c.input(1);
  if (failed(checkBinary(c, a, b)))
    return failure();
  if (!typeOf(a).getElementType().isUnsignedInteger())
    return c.fail("needs unsigned integer inputs");
  std::string dir = c.attrString("direction", "");
  if (dir != "LEFT" && dir != "RIGHT")
    return c.fail("direction must be LEFT or RIGHT, not '" + dir + "'");
  c.setOutput(0, c.make<BitShiftOp>(a, b, c.b.getBoolAttr(dir == "LEFT")));
  return success();
}

LogicalResult convertPRelu(NodeContext &c) {
  Value x = c.input(0), slope = c.input(1);
  if (failed(checkBinary(c, x, slope)))
    return failure();
  auto shape = broadcastShapes(typeOf(x).getShape(), typeOf(slope).getShape());
  if (*shape != typeOf(x).getShape())
    return c.fail("slope does not broadcast to the input's shape");
  c.setOutput(0, c.make<PReluOp>(x, slope));
  return success();
}

LogicalResult convertWhere(NodeContext &c) {
  if (failed(c.requireInputs(3)))
    return failure();
  Value cond = c.input(0), x = c.input(1), y = c.input(2);
  if (!typeOf(cond).getElementType().isInteger(1))
    return c.fail("condition must be bool");
  if (failed(checkBinary(c, x, y)) ||
      failed(broadcastShapes(typeOf(cond).getShape(), typeOf(x).getShape())) ||
      failed(broadcastShapes(typeOf(cond).getShape(), typeOf(y).getShape())))
    return failure() ;
  c.setOutput(0, c.make<WhereOp>(cond, x, y));
  return success();
}

/// Max, Min, Sum, Mean: a left fold of binary ops over every input.
template <typename Op, bool Mean = false> LogicalResult convertVariadic(NodeContext &c) {
  if (c.numInputs() < 1 || !c.input(0))
    return c.fail("needs at least one input");
  Value acc = c.input(0);
  for (int i = 1; i < c.numInputs(); ++i) {
    Value v = c.input(i);
    if (failed(checkBinary(c, acc, v)))
      return failure();
    acc = c.make<Op>(acc, v);
  }
  if (Mean && c.numInputs() > 1) {
    Type et = typeOf(acc).getElementType();
    if (!isa<FloatType>(et))
      return c.fail("Mean needs floating-point inputs");
    acc = c.make<DivOp>(acc, c.scalar(et, (double)c.numInputs()));
  }
  c.setOutput(0, acc);
  return success();
}

template <typename Op> Converter paramUnary(std::function<Value(NodeContext &, Value)> build) {
  return [build](NodeContext &c) {
    if (failed(floatOnly<Op>(c)))
      return failure();
    c.setOutput(0, build(c, c.input(0)));
    return success();
  };
}

LogicalResult convertShrink(NodeContext &c) {
  if (failed(c.requireInputs(1)))
    return failure();
  c.setOutput(0, c.make<ShrinkOp>(c.input(0), c.b.getF32FloatAttr(c.attrFloat("bias", 0)),
                                  c.b.getF32FloatAttr(c.attrFloat("lambd", 0.5))));
  return success();
}

LogicalResult convertGelu(NodeContext &c) {
  if (failed(floatOnly<GeluOp>(c)))
    return failure();
  std::string approx = c.attrString("approximate", "none");
  if (approx != "none" && approx != "tanh")
    return c.fail("approximate must be 'none' or 'tanh', not '" + approx + "'");
  c.setOutput(0, c.make<GeluOp>(c.input(0), c.b.getBoolAttr(approx == "tanh")));
  return success();
}

LogicalResult convertIsInf(NodeContext &c) {
  if (failed(floatOnly<IsInfOp>(c)))
    return failure();
  c.setOutput(0, c.make<IsInfOp>(c.input(0), c.b.getBoolAttr(c.attrInt("detect_positive", 1)),
                                 c.b.getBoolAttr(c.attrInt("detect_negative", 1))));
  return success();
}

LogicalResult convertIsNaN(NodeContext &c) {
  if (failed(floatOnly<IsNaNOp>(c)))
    return failure();
  c.setOutput(0, c.make<IsNaNOp>(c.input(0)));
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

/// The normalized, sorted axes of a Reduce* node; empty optional = identity
/// (noop_with_empty_axes with no axes).
FailureOr<std::optional<SmallVector<int64_t>>> reduceAxes(NodeContext &c, int64_t rank,
                                                           bool axesAsInput) {
  SmallVector<int64_t> axes;
  if (axesAsInput) {
    if (c.input(1)) {
      auto v = c.intsInput(1);
      if (failed(v))
        return failure();
      axes = *v;
    }
  } else {
    axes = c.attrInts("axes");
  }
  if (axes.empty()) {
    if (c.attrInt("noop_with_empty_axes", 0))
      return std::optional<SmallVector<int64_t>>();
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  for (int64_t &a : axes) {
    a = normAxis(a, rank);
    if (failed(checkAxis(c, a, rank)))
      return failure();
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  return std::optional<SmallVector<int64_t>>(axes);
}

enum class Reduce { Sum, Mean, Max, Min, Prod, L1, L2, LogSum, LogSumExp, SumSquare };

template <Reduce K> LogicalResult convertReduceKind(NodeContext &c) {
  if (failed(c.requireInputs(1)))
    return failure();
  Value x = c.input(0);
  auto t = typeOf(x);
  Type et = t.getElementType();
  bool isF = isa<FloatType>(et);
  if ((K == Reduce::L2 || K == Reduce::LogSum || K == Reduce::LogSumExp) && !isF)
    return c.fail("needs a floating-point input");
  // ReduceSum took its axes as an input from opset 13, the others from 18.
  auto axesOr = reduceAxes(c, t.getRank(), c.opset >= (K == Reduce::Sum ? 13 : 18));
  if (failed(axesOr))
    return failure();
  bool keep = c.attrInt("keepdims", 1);
  if (!*axesOr) { // noop: the elementwise part still applies (ONNX reference semantics)
    Value y = x;
    if (K == Reduce::L1)
      y = c.make<AbsOp>(x);
    else if (K == Reduce::L2)
      y = c.make<SqrtOp>(c.make<MulOp>(x, x));
    else if (K == Reduce::LogSum)
      y = c.make<LogOp>(x);
    else if (K == Reduce::SumSquare)
      y = c.make<MulOp>(x, x);
    c.setOutput(0, y);
    return success();
  }
  auto axes = c.b.getDenseI64ArrayAttr(**axesOr);
  auto sum = [&](Value v, bool k) { return c.make<ReduceSumOp>(v, axes, c.b.getBoolAttr(k)); };
  Value y;
  switch (K) {
  case Reduce::Sum:
    y = sum(x, keep);
    break;
  case Reduce::Mean:
    y = c.make<ReduceMeanOp>(x, axes, c.b.getBoolAttr(keep));
    break;
  case Reduce::Max:
    y = c.make<ReduceMaxOp>(x, axes, c.b.getBoolAttr(keep));
    break;
  case Reduce::Min:
    y = c.make<ReduceMinOp>(x, axes, c.b.getBoolAttr(keep));
    break;
  case Reduce::Prod:
    y = c.make<ReduceProdOp>(x, axes, c.b.getBoolAttr(keep));
    break;
  case Reduce::L1:
    y = sum(c.make<AbsOp>(x), keep);
    break;
  case Reduce::L2:
    y = c.make<SqrtOp>(sum(c.make<MulOp>(x, x), keep));
    break;
  case Reduce::LogSum:
    y = c.make<LogOp>(sum(x, keep));
    break;
  case Reduce::SumSquare:
    y = sum(c.make<MulOp>(x, x), keep);
    break;
  case Reduce::LogSumExp: {
    // log(sum(exp(x - m))) + m with m the max: no overflow for large inputs.
    Value m = c.make<ReduceMaxOp>(x, axes, c.b.getBoolAttr(true));
    Value s = sum(c.make<ExpOp>(c.make<SubOp>(x, m)), true);
    y = c.make<AddOp>(c.make<LogOp>(s), m);
    if (!keep) {
      SmallVector<int64_t> shape;
      for (int64_t d = 0; d < t.getRank(); ++d)
        if (!llvm::is_contained(**axesOr, d))
          shape.push_back(t.getDimSize(d));
      y = c.reshape(y, shape);
    }
    break;
  }
  }
  c.setOutput(0, y);
  return success();
}

template <typename Op> LogicalResult convertArg(NodeContext &c) {
  if (failed(c.requireInputs(1)))
    return failure();
  Value x = c.input(0);
  int64_t rank = typeOf(x).getRank();
  int64_t axis = normAxis(c.attrInt("axis", 0), rank);
  if (failed(checkAxis(c, axis, rank)))
    return failure();
  if (typeOf(x).getDimSize(axis) == 0)
    return c.fail("cannot take the index of an extreme along an empty axis");
  c.setOutput(0, c.make<Op>(x, axis, c.attrInt("keepdims", 1) != 0,
                            c.attrInt("select_last_index", 0) != 0));
  return success();
}

/// Softmax, LogSoftmax and Hardmax: one axis rule (2-D coercion before opset 13).
template <typename Op> LogicalResult convertSoftmaxLike(NodeContext &c) {
  if (failed(floatOnly<Op>(c)))
    return failure();
  Value x = c.input(0);
  auto t = typeOf(x);
  int64_t rank = t.getRank();
  if (rank == 0)
    return c.fail("needs an input of rank >= 1");
  int64_t axis = normAxis(c.attrInt("axis", c.opset < 13 ? 1 : -1), rank);
  if (failed(checkAxis(c, axis, rank)))
    return failure();
  if (c.opset >= 13 || axis == rank - 1) {
    c.setOutput(0, c.make<Op>(x, axis));
    return success();
  }
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d)
    (d < axis ? outer : inner) *= t.getDimSize(d);
  Value y = c.make<Op>(c.reshape(x, {outer, inner}), 1);
  c.setOutput(0, c.reshape(y, t.getShape()));
  return success();
}

} // namespace

void registerMathConverters(ConverterMap &table) {
  auto f32 = [](NodeContext &c, const char *name, float dflt) {
    return c.b.getF32FloatAttr(c.attrFloat(name, dflt));
  };
  table.insert({
      {"Ceil", unaryOp<CeilOp>()},
      {"Floor", unaryOp<FloorOp>()},
      {"Round", unaryOp<RoundOp>()},
      {"Sign", unaryOp<SignOp>()},
      {"Reciprocal", unaryOp<ReciprocalOp>()},
      {"Sin", unaryOp<SinOp>()},
      {"Cos", unaryOp<CosOp>()},
      {"Tan", unaryOp<TanOp>()},
      {"Asin", unaryOp<AsinOp>()},
      {"Acos", unaryOp<AcosOp>()},
      {"Atan", unaryOp<AtanOp>()},
      {"Sinh", unaryOp<SinhOp>()},
      {"Cosh", unaryOp<CoshOp>()},
      {"Asinh", unaryOp<AsinhOp>()},
      {"Acosh", unaryOp<AcoshOp>()},
      {"Atanh", unaryOp<AtanhOp>()},
      {"Softplus", unaryOp<SoftplusOp>()},
      {"Softsign", unaryOp<SoftsignOp>()},
      {"Mish", unaryOp<MishOp>()},
      {"Not", convertNot},
      {"BitwiseNot", convertNot},
      {"Elu", paramUnary<EluOp>([=](NodeContext &c, Value x) {
         return c.make<EluOp>(x, f32(c, "alpha", 1.0f));
       })},
      {"Selu", paramUnary<SeluOp>([=](NodeContext &c, Value x) {
         return c.make<SeluOp>(x, f32(c, "alpha", 1.67326319217681884765625f),
                               f32(c, "gamma", 1.05070102214813232421875f));
       })},
      {"Celu", paramUnary<CeluOp>([=](NodeContext &c, Value x) {
         return c.make<CeluOp>(x, f32(c, "alpha", 1.0f));
       })},
      {"ThresholdedRelu", paramUnary<ThresholdedReluOp>([=](NodeContext &c, Value x) {
         return c.make<ThresholdedReluOp>(x, f32(c, "alpha", 1.0f));
       })},
      {"Shrink", convertShrink},
      {"Gelu", convertGelu},
      {"IsNaN", convertIsNaN},
      {"IsInf", convertIsInf},
      {"Mod", convertMod},
      {"And", logicalOp<AndOp>(false)},
      {"Or", logicalOp<OrOp>(false)},
      {"Xor", logicalOp<XorOp>(false)},
      {"BitwiseAnd", logicalOp<AndOp>(true)},
      {"BitwiseOr", logicalOp<OrOp>(true)},
      {"BitwiseXor", logicalOp<XorOp>(true)},
      {"BitShift", convertBitShift},
      {"PRelu", convertPRelu},
      {"Equal", binaryOp<EqualOp>()},
      {"Less", binaryOp<LessOp>()},
      {"LessOrEqual", binaryOp<LessEqualOp>()},
      {"Greater", binaryOp<GreaterOp>()},
      {"GreaterOrEqual", binaryOp<GreaterEqualOp>()},
      {"Where", convertWhere},
      {"Max", convertVariadic<MaxOp>},
      {"Min", convertVariadic<MinOp>},
      {"Sum", convertVariadic<AddOp>},
      {"Mean", convertVariadic<AddOp, true>},
      {"ReduceSum", convertReduceKind<Reduce::Sum>},
      {"ReduceMean", convertReduceKind<Reduce::Mean>},
      {"ReduceMax", convertReduceKind<Reduce::Max>},
      {"ReduceMin", convertReduceKind<Reduce::Min>},
      {"ReduceProd", convertReduceKind<Reduce::Prod>},
      {"ReduceL1", convertReduceKind<Reduce::L1>},
      {"ReduceL2", convertReduceKind<Reduce::L2>},
      {"ReduceLogSum", convertReduceKind<Reduce::LogSum>},
      {"ReduceLogSumExp", convertReduceKind<Reduce::LogSumExp>},
      {"ReduceSumSquare", convertReduceKind<Reduce::SumSquare>},
      {"ArgMax", convertArg<ArgMaxOp>},
      {"ArgMin", convertArg<ArgMinOp>},
      {"LogSoftmax", convertSoftmaxLike<LogSoftmaxOp>},
      {"Hardmax", convertSoftmaxLike<HardmaxOp>},
      {"Softmax", convertSoftmaxLike<SoftmaxOp>},
  });
}

} // namespace nuri
