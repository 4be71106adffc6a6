//===- ConvertQuant.cpp - ONNX converters: quantization -------------------===//
//
// QuantizeLinear, DequantizeLinear, MatMulInteger, ConvInteger, QLinearMatMul,
// QLinearConv and Det. DynamicQuantizeLinear has no converter: ONNX defines
// it as a function, which the importer expands (its QuantizeLinear lands
// here).
//
// QLinearMatMul and QLinearConv are the integer contraction (i32
// accumulation, plus the bias for QLinearConv) followed by a requantization
// round_half_even(acc * (x_scale * w_scale / y_scale)) + y_zero_point,
// saturated: the multiplier is formed first, as ONNX Runtime does, so
// results agree with it to the last rounding.
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/ImporterContext.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace mlir::nuri;

namespace nuri {
namespace {

bool isQuantType(Type t) {
  auto it = dyn_cast<IntegerType>(t);
  return it && (it.getWidth() == 8 || it.getWidth() == 16);
}

std::string typeName(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  t.print(os);
  return s;
}

/// A quantization parameter: one value (any shape) becomes rank 0; a 1-D
/// tensor stays per axis. Fails naming `what` for anything else.
FailureOr<Value> quantParam(NodeContext &c, Value v, const char *what) {
  auto t = typeOf(v);
  if (t.getNumElements() == 1 && t.getRank() <= 1)
    return c.reshape(v, {});
  if (t.getRank() == 1)
    return v;
  (void)c.fail(std::string(what) + " must be a scalar or 1-D (blocked quantization is not "
                                   "supported)");
  return failure();
}

/// The zero point of input i, or a zero of element type `et` when absent.
Value zeroPointOr(NodeContext &c, int i, Type et) {
  if (Value zp = c.input(i))
    return zp;
  return c.scalar(et, 0.0);
}

/// A single-valued scale (any shape) as rank 0.
FailureOr<Value> scalarScale(NodeContext &c, int i, const char *what) {
  Value v = c.input(i);
  if (typeOf(v).getNumElements() != 1) {
    (void)c.fail(std::string(what) + " must hold one value (per-row/column scales are not "
                                     "supported)");
    return failure();
  }
  if (!isa<FloatType>(typeOf(v).getElementType())) {
    (void)c.fail(std::string(what) + " must be a float tensor");
    return failure();
  }
  return c.reshape(v, {});
}

/// Per-tensor (rank 0) or per-axis quantization of x, checked here so that
/// a bad model gets the node's name rather than a verifier message.
LogicalResult checkQuantOperands(NodeContext &c, Value x, Value scale, Value zp, int64_t &axis) {
  auto xt = typeOf(x), st = typeOf(scale), zt = typeOf(zp);
  if (st.getShape() != zt.getShape())
    return c.fail("scale and zero_point have different shapes");
  if (st.getRank() == 1) {
    axis = normAxis(axis, xt.getRank());
    if (failed(checkAxis(c, axis, xt.getRank())))
      return failure();
    if (st.getDimSize(0) != xt.getDimSize(axis))
      return c.fail("per-axis scale has " + std::to_string(st.getDimSize(0)) +
                    " values, input dimension " + std::to_string(axis) + " has " +
                    std::to_string(xt.getDimSize(axis)));
  } else {
    axis = 0;
  }
  return success();
}

LogicalResult convertQuantizeLinear(NodeContext &c) {
  if (failed(c.requireInputs(2)))
    return failure();
  Value x = c.input(0);
  Type ft = typeOf(x).getElementType();
  if (!isa<FloatType>(ft))
    return c.fail("input must be a float tensor");
  if (typeOf(c.input(1)).getElementType() != ft)
    return c.fail("y_scale must have the input's element type");
  if (c.attrInt("block_size", 0) != 0)
    return c.fail("blocked quantization (block_size) is not supported");
  MLIRContext *ctx = c.b.getContext();
  Type qt = IntegerType::get(ctx, 8, IntegerType::Unsigned);
  if (c.hasAttr("output_dtype") && c.attrInt("output_dtype", 0) != 0)
    qt = onnxElementType(*ctx, c.attrInt("output_dtype", 0));
  Value zp = zeroPointOr(c, 2, qt);
  if (!isQuantType(typeOf(zp).getElementType()))
    return c.fail("quantization to " + typeName(typeOf(zp).getElementType()) +
                  " is not supported (int8, uint8, int16, uint16 are)");
  auto scale = quantParam(c, c.input(1), "y_scale");
  if (failed(scale))
    return failure();
  auto zero = quantParam(c, zp, "y_zero_point");
  if (failed(zero))
    return failure();
  int64_t axis = c.attrInt("axis", 1);
  if (failed(checkQuantOperands(c, x, *scale, *zero, axis)))
    return failure();
  c.setOutput(0, c.make<QuantizeLinearOp>(x, *scale, *zero, c.b.getI64IntegerAttr(axis)));
  return success();
}

LogicalResult convertDequantizeLinear(NodeContext &c) {
  if (failed(c.requireInputs(2)))
    return failure();
  Value x = c.input(0);
  Type et = typeOf(x).getElementType();
  auto it = dyn_cast<IntegerType>(et);
  if (!it || !(isQuantType(et) || it.getWidth() == 32))
    return c.fail("dequantization of " + typeName(et) +
                  " is not supported (int8, uint8, int16, uint16, int32 are)");
  if (!isa<FloatType>(typeOf(c.input(1)).getElementType()))
    return c.fail("x_scale must be a float tensor");
  if (c.attrInt("block_size", 0) != 0)
    return c.fail("blocked quantization (block_size) is not supported");
  Value zp = zeroPointOr(c, 2, et);
  if (typeOf(zp).getElementType() != et)
    return c.fail("x_zero_point must have the input's element type");
  auto scale = quantParam(c, c.input(1), "x_scale");
  if (failed(scale))
    return failure();
  auto zero = quantParam(c, zp, "x_zero_point");
  if (failed(zero))
    return failure();
  int64_t axis = c.attrInt("axis", 1);
  if (failed(checkQuantOperands(c, x, *scale, *zero, axis)))
    return failure();
  c.setOutput(0, c.make<DequantizeLinearOp>(x, *scale, *zero, c.b.getI64IntegerAttr(axis)));
  return success();
}

/// The zero point of a matmul operand: rank 0, or 1-D with `count` values.
FailureOr<Value> matmulZeroPoint(NodeContext &c, int i, Value operand, int64_t count,
                                 const char *what, const char *per) {
  Type et = typeOf(operand).getElementType();
  Value zp = zeroPointOr(c, i, et);
  auto zt = typeOf(zp);
  if (zt.getElementType() != et) {
    (void)c.fail(std::string(what) + " must have its operand's element type");
    return failure();
  }
  if (zt.getNumElements() == 1 && zt.getRank() <= 1)
    return c.reshape(zp, {});
  if (zt.getRank() == 1 && zt.getDimSize(0) == count)
    return zp;
  (void)c.fail(std::string(what) + " must be a scalar or hold one value per " + per);
  return failure();
}

/// (a - a_zp) x (b - b_zp) in i32, with operands i(a), i(a_zp), i(b), i(b_zp).
FailureOr<Value> integerMatMul(NodeContext &c, int ia, int iaz, int ib, int ibz) {
  Value a = c.input(ia), b = c.input(ib);
  for (Value v : {a, b})
    if (!isQuantType(typeOf(v).getElementType())) {
      (void)c.fail("operands must be 8- or 16-bit integers, got " +
                   typeName(typeOf(v).getElementType()));
      return failure();
    }
  SmallVector<Type> types;
  if (failed(MatMulOp::inferReturnTypes(c.b.getContext(), std::nullopt,
                                        MatMulOp::Adaptor({a, b}), types))) {
    (void)c.fail("operand shapes " + std::to_string(typeOf(a).getRank()) + "-D and " +
                 std::to_string(typeOf(b).getRank()) + "-D do not multiply");
    return failure();
  }
  auto at = typeOf(a), bt = typeOf(b);
  int64_t rows = at.getRank() == 1 ? 1 : at.getDimSize(at.getRank() - 2);
  int64_t cols = bt.getRank() == 1 ? 1 : bt.getDimSize(bt.getRank() - 1);
  auto az = matmulZeroPoint(c, iaz, a, rows, "a_zero_point", "row of A");
  if (failed(az))
    return failure();
  auto bz = matmulZeroPoint(c, ibz, b, cols, "b_zero_point", "column of B");
  if (failed(bz))
    return failure();
  return c.make<MatMulIntegerOp>(a, b, *az, *bz);
}

/// round_half_even(acc * multiplier) + y_zp, saturated to y_zp's type.
Value requantize(NodeContext &c, Value acc, Value multiplier, Value yzp) {
  Type f32 = c.b.getF32Type();
  Value real = c.make<CastOp>(acc, TypeAttr::get(f32));
  real = c.make<MulOp>(real, multiplier);
  return c.make<QuantizeLinearOp>(real, c.scalar(f32, 1.0), yzp, c.b.getI64IntegerAttr(0));
}

/// A float scale as f32 (the requantization runs in f32).
Value asF32(NodeContext &c, Value v) {
  if (typeOf(v).getElementType().isF32())
    return v;
  return c.make<CastOp>(v, TypeAttr::get(c.b.getF32Type()));
}

LogicalResult convertMatMulInteger(NodeContext &c) {
  if (failed(c.requireInputs(2)))
    return failure();
  auto y = integerMatMul(c, 0, 2, 1, 3);
  if (failed(y))
    return failure();
  c.setOutput(0, *y);
  return success();
}

LogicalResult convertQLinearMatMul(NodeContext &c) {
  if (failed(c.requireInputs(8)))
    return failure();
  auto acc = integerMatMul(c, 0, 2, 3, 5);
  if (failed(acc))
    return failure();
  FailureOr<Value> as = scalarScale(c, 1, "a_scale"), bs = failure(), ys = failure();
  if (failed(as) || failed(bs = scalarScale(c, 4, "b_scale")) ||
      failed(ys = scalarScale(c, 6, "y_scale")))
    return failure();
  Value yzp = c.input(7);
  if (!isQuantType(typeOf(yzp).getElementType()) || typeOf(yzp).getNumElements() != 1)
    return c.fail("y_zero_point must be one 8- or 16-bit integer");
  Value m = c.make<DivOp>(c.make<MulOp>(asF32(c, *as), asF32(c, *bs)), asF32(c, *ys));
  c.setOutput(0, requantize(c, *acc, m, c.reshape(yzp, {})));
  return success();
}

/// ConvInteger's (x - x_zp) * (w - w_zp) in i32, inputs at ix, ixz, iw, iwz.
FailureOr<Value> integerConv(NodeContext &c, int ix, int ixz, int iw, int iwz) {
  Value x = c.input(ix), w = c.input(iw);
  auto xt = typeOf(x), wt = typeOf(w);
  for (Value v : {x, w})
    if (!isQuantType(typeOf(v).getElementType())) {
      (void)c.fail("x and w must be 8- or 16-bit integers, got " +
                   typeName(typeOf(v).getElementType()));
      return failure();
    }
  if (xt.getRank() < 3 || wt.getRank() != xt.getRank()) {
    (void)c.fail("x must have rank >= 3 and w the same rank");
    return failure();
  }
  size_t n = xt.getRank() - 2;
  auto kernel = c.attrInts("kernel_shape", wt.getShape().drop_front(2));
  auto strides = c.attrInts("strides", SmallVector<int64_t>(n, 1));
  auto dilations = c.attrInts("dilations", SmallVector<int64_t>(n, 1));
  int64_t group = c.attrInt("group", 1);
  if (kernel.size() != n || strides.size() != n || dilations.size() != n) {
    (void)c.fail("kernel_shape/strides/dilations must have one value per spatial dimension");
    return failure();
  }
  if (ArrayRef<int64_t>(kernel) != wt.getShape().drop_front(2)) {
    (void)c.fail("kernel_shape does not match the weight's shape");
    return failure();
  }
  if (group < 1 || xt.getDimSize(1) != wt.getDimSize(1) * group ||
      wt.getDimSize(0) % group) {
    (void)c.fail("channels (x " + std::to_string(xt.getDimSize(1)) + ", w " +
                 std::to_string(wt.getDimSize(0)) + "x" + std::to_string(wt.getDimSize(1)) +
                 ") do not match group " + std::to_string(group));
    return failure();
  }
  auto pads = windowPads(c, xt.getShape().drop_front(2), kernel, strides, dilations);
  if (failed(pads))
    return failure();
  Value xzp = zeroPointOr(c, ixz, xt.getElementType());
  if (typeOf(xzp).getElementType() != xt.getElementType() ||
      typeOf(xzp).getNumElements() != 1) {
    (void)c.fail("x_zero_point must be one value of x's element type");
    return failure();
  }
  Value wzp = zeroPointOr(c, iwz, wt.getElementType());
  auto wzt = typeOf(wzp);
  if (wzt.getElementType() != wt.getElementType() ||
      !(wzt.getNumElements() == 1 ||
        (wzt.getRank() == 1 && wzt.getDimSize(0) == wt.getDimSize(0)))) {
    (void)c.fail("w_zero_point must be one value or one per output channel, of w's element "
                 "type");
    return failure();
  }
  if (wzt.getNumElements() == 1)
    wzp = c.reshape(wzp, {});
  for (int64_t v : strides)
    if (v < 1) {
      (void)c.fail("strides must be positive");
      return failure();
    }
  for (int64_t v : dilations)
    if (v < 1) {
      (void)c.fail("dilations must be positive");
      return failure();
    }
  for (size_t i = 0; i < n; ++i)
    if (windowOutputSize(xt.getDimSize(2 + i), kernel[i], strides[i], (*pads)[i],
                         (*pads)[n + i], dilations[i], false) < 1) {
      (void)c.fail("the window does not fit spatial dimension " + std::to_string(i) +
                   " of x");
      return failure();
    }
  auto sAttr = c.b.getDenseI64ArrayAttr(strides), pAttr = c.b.getDenseI64ArrayAttr(*pads),
       dAttr = c.b.getDenseI64ArrayAttr(dilations);
  auto gAttr = c.b.getI64IntegerAttr(group);
  Value xz = c.reshape(xzp, {});
  return c.make<ConvIntegerOp>(x, w, xz, wzp, sAttr, pAttr, dAttr, gAttr);
}

LogicalResult convertConvInteger(NodeContext &c) {
  if (failed(c.requireInputs(2)))
    return failure();
  auto y = integerConv(c, 0, 2, 1, 3);
  if (failed(y))
    return failure();
  c.setOutput(0, *y);
  return success();
}

LogicalResult convertQLinearConv(NodeContext &c) {
  if (failed(c.requireInputs(8)))
    return failure();
  auto acc = integerConv(c, 0, 2, 3, 5);
  if (failed(acc))
    return failure();
  auto at = typeOf(*acc);
  int64_t m = at.getDimSize(1);
  SmallVector<int64_t> channelShape(at.getRank(), 1);
  channelShape[1] = m;
  if (Value bias = c.input(8)) {
    auto bt = typeOf(bias);
    if (!bt.getElementType().isInteger(32) || bt.getRank() != 1 || bt.getDimSize(0) != m)
      return c.fail("B must be a 1-D int32 tensor with one value per output channel");
    *acc = c.make<AddOp>(*acc, c.reshape(bias, channelShape));
  }
  FailureOr<Value> xs = scalarScale(c, 1, "x_scale"), ys = failure();
  if (failed(xs) || failed(ys = scalarScale(c, 6, "y_scale")))
    return failure();
  Value ws = c.input(4);
  auto wst = typeOf(ws);
  if (!isa<FloatType>(wst.getElementType()))
    return c.fail("w_scale must be a float tensor");
  if (wst.getNumElements() == 1)
    ws = c.reshape(ws, {});
  else if (wst.getRank() == 1 && wst.getDimSize(0) == m)
    ws = c.reshape(ws, channelShape);
  else
    return c.fail("w_scale must be one value or one per output channel");
  Value yzp = c.input(7);
  if (!isQuantType(typeOf(yzp).getElementType()) || typeOf(yzp).getNumElements() != 1)
    return c.fail("y_zero_point must be one 8- or 16-bit integer");
  Value mult = c.make<DivOp>(c.make<MulOp>(asF32(c, *xs), asF32(c, ws)), asF32(c, *ys));
  c.setOutput(0, requantize(c, *acc, mult, c.reshape(yzp, {})));
  return success();
}

LogicalResult convertDet(NodeContext &c) {
  Value x = c.input(0);
  auto xt = typeOf(x);
  if (!isa<FloatType>(xt.getElementType()))
    return c.fail("input must be a float tensor");
  int64_t r = xt.getRank();
  if (r < 2 || xt.getDimSize(r - 1) != xt.getDimSize(r - 2))
    return c.fail("input must end in square matrices [..., n, n]");
  c.setOutput(0, c.make<DetOp>(x));
  return success();
}

} // namespace

void registerQuantConverters(ConverterMap &table) {
  table["QuantizeLinear"] = convertQuantizeLinear;
  table["DequantizeLinear"] = convertDequantizeLinear;
  table["MatMulInteger"] = convertMatMulInteger;
  table["QLinearMatMul"] = convertQLinearMatMul;
  table["ConvInteger"] = convertConvInteger;
  table["QLinearConv"] = convertQLinearConv;
  table["Det"] = convertDet;
}

} // namespace nuri
