//===- ConvertRuntimeSized.cpp - shapes with no compile-time bound --------===//
//
// ConstantOfShape, Range, Expand, Tile, Pad, OneHot, Resize/Upsample, STFT,
// MelWeightMatrix, MaxUnpool and the window functions whose shape-setting
// input is a run-time tensor. No upper bound exists, so
// the result is a nuri.generate: its int64 dims are computed by ordinary
// dispatches, the host program allocates the output from them (the artifact's
// Allocate command), and the generate region defines one element from its
// indices. The element is the ONNX definition written in arith ops; it reads
// the other inputs with tensor.extract. Each converter wraps the static one
// and takes over only when the shape input is not a constant.
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/ImporterContext.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace mlir::nuri;

namespace nuri {
namespace {

using Body = function_ref<Value(OpBuilder &, Location, ValueRange)>;

Type i64(NodeContext &c) { return c.b.getI64Type(); }
Value i64Const(NodeContext &c, ArrayRef<int64_t> v) {
  return c.constant(i64Tensor(c.b.getContext(), v));
}
Value asI64(NodeContext &c, Value v) {
  return typeOf(v).getElementType() == i64(c) ? v : c.make<CastOp>(v, TypeAttr::get(i64(c)));
}

/// A tensor of shape `dims` (int64[rank], computed at run time) whose element
/// at indices i is body(i), as a graph output of run-time shape.
LogicalResult generateOutput(NodeContext &c, Value dims, Type et, Body body) {
  int64_t rank = typeOf(dims).getDimSize(0);
  auto op = GenerateOp::create(c.b, c.loc(), RankedTensorType::get({ShapedType::kDynamic}, et),
                               dims);
  Block *block = new Block();
  op.getBody().push_back(block);
  for (int64_t d = 0; d < rank; ++d)
    block->addArgument(c.b.getIndexType(), c.loc());
  OpBuilder nb = OpBuilder::atBlockEnd(block);
  YieldOp::create(nb, c.loc(), body(nb, c.loc(), block->getArguments()));
  c.setRuntimeShapedOutput(0, op.getOutput(), dims, SmallVector<int64_t>(rank, -1));
  return success();
}

// Scalar helpers for region bodies.
Value idx(OpBuilder &b, Location l, int64_t v) { return arith::ConstantIndexOp::create(b, l, v); }
Value i64v(OpBuilder &b, Location l, int64_t v) {
  return arith::ConstantOp::create(b, l, b.getI64IntegerAttr(v));
}
Value f64v(OpBuilder &b, Location l, double v) {
  return arith::ConstantOp::create(b, l, b.getF64FloatAttr(v));
}
/// Element `at` of t (its only one when `at` is empty).
Value extract(OpBuilder &b, Location l, Value t, ValueRange at = {}) {
  SmallVector<Value> coords(at);
  if (coords.empty())
    coords.assign(typeOf(t).getRank(), idx(b, l, 0));
  return tensor::ExtractOp::create(b, l, t, coords);
}

/// Scalar conversion between index, integers (signed) and floats.
Value castTo(OpBuilder &b, Location l, Value v, Type to) {
  Type from = v.getType();
  if (from == to)
    return v;
  if (from.isIndex() || to.isIndex())
    return castTo(b, l, arith::IndexCastOp::create(b, l, from.isIndex() ? b.getI64Type() : to,
                                                    from.isIndex() ? v : castTo(b, l, v, b.getI64Type())),
                  to);
  bool fromFloat = isa<FloatType>(from), toFloat = isa<FloatType>(to);
  unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
  if (fromFloat && toFloat)
    return fw < tw ? (Value)arith::ExtFOp::create(b, l, to, v) : arith::TruncFOp::create(b, l, to, v);
  if (fromFloat)
    return arith::FPToSIOp::create(b, l, to, v);
  if (toFloat)
    return from.isInteger(1) ? (Value)arith::UIToFPOp::create(b, l, to, v)
                             : arith::SIToFPOp::create(b, l, to, v);
  if (fw == tw)
    return v;
  return fw < tw ? (Value)arith::ExtSIOp::create(b, l, to, v) : arith::TruncIOp::create(b, l, to, v);
}

Value add(OpBuilder &b, Location l, Value x, Value y) { return arith::AddIOp::create(b, l, x, y); }
Value sub(OpBuilder &b, Location l, Value x, Value y) { return arith::SubIOp::create(b, l, x, y); }
Value cmp(OpBuilder &b, Location l, arith::CmpIPredicate p, Value x, Value y) {
  return arith::CmpIOp::create(b, l, p, x, y);
}
Value select(OpBuilder &b, Location l, Value c, Value x, Value y) {
  return arith::SelectOp::create(b, l, c, x, y);
}

/// One-element input i as an int64[1] tensor (a size given as any number type).
Value sizeVector(NodeContext &c, Value v) { return c.reshape(asI64(c, v), {1}); }

//===----------------------------------------------------------------------===//

LogicalResult constantOfShapeRuntime(NodeContext &c) {
  Value shape = c.input(0);
  if (typeOf(shape).getRank() != 1 || !typeOf(shape).getElementType().isInteger(64))
    return c.fail("shape must be a 1-D int64 tensor");
  auto valueOr = constantOfShapeValue(c);
  if (failed(valueOr))
    return failure();
  DenseElementsAttr value = *valueOr;
  Type et = value.getElementType();
  Type st = signless(et);
  TypedAttr element = isa<FloatType>(et)
                          ? (TypedAttr)FloatAttr::get(et, *value.value_begin<APFloat>())
                          : (TypedAttr)IntegerAttr::get(st, *value.value_begin<APInt>());
  return generateOutput(c, shape, et, [&](OpBuilder &b, Location l, ValueRange) {
    return (Value)arith::ConstantOp::create(b, l, element);
  });
}

LogicalResult rangeRuntime(NodeContext &c) {
  if (failed(c.requireInputs(3)))
    return failure();
  Value start = c.input(0), limit = c.input(1), delta = c.input(2);
  Type et = typeOf(start).getElementType();
  for (Value v : {start, limit, delta})
    if (typeOf(v).getNumElements() != 1 || typeOf(v).getElementType() != et)
      return c.fail("start, limit and delta must be scalars of one type");
  if (!isa<FloatType>(et) && !et.isSignlessInteger())
    return c.fail("Range takes float or signed integer scalars");
  // n = max(ceil((limit - start) / delta), 0), in f64 as ONNX defines it.
  Type f64 = c.b.getF64Type();
  auto wide = [&](Value v) { return c.make<CastOp>(c.reshape(v, {}), TypeAttr::get(f64)); };
  Value n = c.make<CeilOp>(c.make<DivOp>(c.make<SubOp>(wide(limit), wide(start)), wide(delta)));
  n = c.make<MaxOp>(n, c.scalar(f64, 0.0));
  return generateOutput(c, sizeVector(c, n), et, [&](OpBuilder &b, Location l, ValueRange i) {
    Value s = extract(b, l, start), d = extract(b, l, delta);
    Value k = castTo(b, l, i[0], et);
    if (isa<FloatType>(et))
      return (Value)arith::AddFOp::create(b, l, s, arith::MulFOp::create(b, l, k, d));
    return add(b, l, s, arith::MulIOp::create(b, l, k, d));
  });
}

LogicalResult expandRuntime(NodeContext &c) {
  Value x = c.input(0), shape = c.input(1);
  auto st = typeOf(shape);
  if (st.getRank() != 1 || !st.getElementType().isInteger(64))
    return c.fail("shape must be a 1-D int64 tensor");
  auto xs = typeOf(x).getShape();
  int64_t rx = xs.size(), k = st.getDimSize(0), rank = std::max(rx, k);
  SmallVector<int64_t> xPadded(rank - rx, 1);
  xPadded.append(xs.begin(), xs.end());
  Value s = shape;
  if (k < rank)
    s = c.make<ConcatOp>(ValueRange{i64Const(c, SmallVector<int64_t>(rank - k, 1)), shape}, 0);
  // Bidirectional broadcast: an input dimension of 1 takes the shape's.
  Value xd = i64Const(c, xPadded);
  Value dims = c.make<WhereOp>(c.make<EqualOp>(xd, i64Const(c, SmallVector<int64_t>(rank, 1))), s, xd);
  return generateOutput(c, dims, typeOf(x).getElementType(), [&](OpBuilder &b, Location l, ValueRange i) {
    SmallVector<Value> at;
    for (int64_t d = 0; d < rx; ++d)
      at.push_back(xs[d] == 1 ? idx(b, l, 0) : i[d + rank - rx]);
    return extract(b, l, x, at);
  });
}

LogicalResult tileRuntime(NodeContext &c) {
  Value x = c.input(0), repeats = c.input(1);
  auto xs = typeOf(x).getShape();
  auto rt = typeOf(repeats);
  if (rt.getRank() != 1 || !rt.getElementType().isInteger(64) ||
      rt.getDimSize(0) != (int64_t)xs.size())
    return c.fail("repeats must be int64[" + std::to_string(xs.size()) + "]");
  Value dims = c.make<MulOp>(i64Const(c, xs), repeats);
  return generateOutput(c, dims, typeOf(x).getElementType(), [&](OpBuilder &b, Location l, ValueRange i) {
    SmallVector<Value> at;
    for (auto [d, n] : llvm::enumerate(xs))
      at.push_back(arith::RemUIOp::create(b, l, i[d], idx(b, l, std::max<int64_t>(n, 1))));
    return extract(b, l, x, at);
  });
}

/// Source index of output coordinate `o` (i64) along a dimension of size n
/// with `begin` padding, per Pad's mode; `inside` is set in constant mode.
Value padSource(OpBuilder &b, Location l, const std::string &mode, Value o, Value begin, int64_t n,
                Value &inside) {
  using P = arith::CmpIPredicate;
  Value src = sub(b, l, o, begin), zero = i64v(b, l, 0), last = i64v(b, l, std::max<int64_t>(n - 1, 0));
  auto clamp = [&](Value v) {
    return (Value)arith::MinSIOp::create(b, l, arith::MaxSIOp::create(b, l, v, zero), last);
  };
  auto posMod = [&](Value v, int64_t m) {
    Value mv = i64v(b, l, m);
    return (Value)arith::RemSIOp::create(b, l, add(b, l, arith::RemSIOp::create(b, l, v, mv), mv), mv);
  };
  if (mode == "constant") {
    Value in = arith::AndIOp::create(b, l, cmp(b, l, P::sge, src, zero), cmp(b, l, P::sle, src, last));
    inside = inside ? (Value)arith::AndIOp::create(b, l, inside, in) : in;
    return clamp(src);
  }
  if (mode == "edge" || n <= 1)
    return clamp(src);
  if (mode == "wrap")
    return posMod(src, n);
  // reflect: period 2(n-1), mirrored in its second half.
  Value m = posMod(src, 2 * (n - 1));
  return select(b, l, cmp(b, l, P::slt, m, i64v(b, l, n)), m, sub(b, l, i64v(b, l, 2 * (n - 1)), m));
}

LogicalResult padRuntime(NodeContext &c) {
  Value x = c.input(0), pads = c.input(1);
  auto xs = typeOf(x).getShape();
  int64_t rank = xs.size();
  if (c.input(3))
    return c.fail("run-time pads with an axes input are not supported");
  auto pt = typeOf(pads);
  if (pt.getRank() != 1 || !pt.getElementType().isInteger(64) || pt.getDimSize(0) != 2 * rank)
    return c.fail("pads must be int64[" + std::to_string(2 * rank) + "]");
  std::string mode = c.attrString("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge" && mode != "wrap")
    return c.fail("unknown mode '" + mode + "' (constant, reflect, edge, wrap)");
  if (mode != "constant" && llvm::is_contained(xs, 0))
    return c.fail("mode '" + mode + "' needs a non-empty input");
  SmallVector<int64_t> first, second;
  for (int64_t d = 0; d < rank; ++d) {
    first.push_back(d);
    second.push_back(rank + d);
  }
  Value begins = c.make<GatherOp>(pads, i64Const(c, first), 0);
  Value ends = c.make<GatherOp>(pads, i64Const(c, second), 0);
  Value dims = c.make<AddOp>(i64Const(c, xs), c.make<AddOp>(begins, ends));
  Type et = typeOf(x).getElementType();
  Value value = c.input(2);
  if (value && (typeOf(value).getNumElements() != 1 || typeOf(value).getElementType() != et))
    return c.fail("constant_value must be one element of the input's type");
  return generateOutput(c, dims, et, [&](OpBuilder &b, Location l, ValueRange i) {
    Value inside;
    SmallVector<Value> at;
    for (int64_t d = 0; d < rank; ++d) {
      Value begin = extract(b, l, pads, {idx(b, l, d)});
      Value src = padSource(b, l, mode, castTo(b, l, i[d], b.getI64Type()), begin, xs[d], inside);
      at.push_back(castTo(b, l, src, b.getIndexType()));
    }
    if (!inside) // no constant-mode padding: every output reads the input
      return extract(b, l, x, at);
    // Empty inputs pad only with the constant: never read them.
    Value fill = value ? extract(b, l, value)
                       : (Value)arith::ConstantOp::create(b, l, b.getZeroAttr(signless(et)));
    if (typeOf(x).getNumElements() == 0)
      return fill;
    return select(b, l, inside, extract(b, l, x, at), fill);
  });
}

LogicalResult oneHotRuntime(NodeContext &c) {
  if (failed(c.requireInputs(3)))
    return failure();
  Value indices = c.input(0), depth = c.input(1), values = c.input(2);
  if (typeOf(depth).getNumElements() != 1)
    return c.fail("depth must hold one element");
  if (typeOf(values).getNumElements() != 2)
    return c.fail("values must hold two elements [off_value, on_value]");
  if (typeOf(indices).getElementType().isInteger(1))
    return c.fail("indices must be numbers");
  auto is = typeOf(indices).getShape();
  int64_t rank = is.size();
  int64_t axis = c.attrInt("axis", -1);
  axis = axis < 0 ? axis + rank + 1 : axis;
  if (axis < 0 || axis > rank)
    return c.fail("axis out of range for an output of rank " + std::to_string(rank + 1));
  Value depthI64 = sizeVector(c, depth);
  SmallVector<Value> pieces;
  if (axis > 0)
    pieces.push_back(i64Const(c, is.take_front(axis)));
  pieces.push_back(depthI64);
  if (axis < rank)
    pieces.push_back(i64Const(c, is.drop_front(axis)));
  Value dims = pieces.size() == 1 ? depthI64 : c.make<ConcatOp>(pieces, 0);
  Value flatValues = c.reshape(values, {2});
  return generateOutput(c, dims, typeOf(values).getElementType(), [&](OpBuilder &b, Location l, ValueRange i) {
    SmallVector<Value> at;
    for (int64_t d = 0; d <= rank; ++d)
      if (d != axis)
        at.push_back(i[d]);
    Value n = extract(b, l, depthI64, {idx(b, l, 0)});
    Value v = castTo(b, l, extract(b, l, indices, at), b.getI64Type());
    v = select(b, l, cmp(b, l, arith::CmpIPredicate::slt, v, i64v(b, l, 0)), add(b, l, v, n), v);
    Value hit = cmp(b, l, arith::CmpIPredicate::eq, v, castTo(b, l, i[axis], b.getI64Type()));
    return select(b, l, hit, extract(b, l, flatValues, {idx(b, l, 1)}),
                  extract(b, l, flatValues, {idx(b, l, 0)}));
  });
}

LogicalResult windowRuntime(NodeContext &c) {
  Value size = c.input(0);
  if (typeOf(size).getNumElements() != 1)
    return c.fail("size must hold one element");
  int64_t dt = c.attrInt("output_datatype", onnx::TensorProto::FLOAT);
  Type et = onnxElementType(*c.b.getContext(), dt);
  if (!et || !isa<FloatType>(et))
    return c.fail("output_datatype " + std::to_string(dt) + " is not a supported float type");
  bool periodic = c.attrInt("periodic", 1);
  std::string op = c.node.op_type();
  Value n = sizeVector(c, size);
  return generateOutput(c, n, et, [&](OpBuilder &b, Location l, ValueRange i) {
    Value denom = castTo(b, l, extract(b, l, n, {idx(b, l, 0)}), b.getF64Type());
    if (!periodic)
      denom = arith::SubFOp::create(b, l, denom, f64v(b, l, 1));
    Value k = castTo(b, l, i[0], b.getF64Type());
    Value a = arith::DivFOp::create(b, l, arith::MulFOp::create(b, l, f64v(b, l, 2 * M_PI), k), denom);
    // A one-point symmetric window divides by zero: ONNX gives its formula at 0.
    a = select(b, l, arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, denom, f64v(b, l, 0)), a,
               f64v(b, l, 0));
    auto term = [&](double coef, double mult) {
      Value angle = arith::MulFOp::create(b, l, a, f64v(b, l, mult));
      return (Value)arith::MulFOp::create(b, l, f64v(b, l, coef), math::CosOp::create(b, l, angle));
    };
    Value w;
    if (op == "HannWindow")
      w = arith::SubFOp::create(b, l, f64v(b, l, 0.5), term(0.5, 1));
    else if (op == "HammingWindow")
      w = arith::SubFOp::create(b, l, f64v(b, l, 25.0 / 46.0), term(21.0 / 46.0, 1));
    else
      w = arith::AddFOp::create(b, l, arith::SubFOp::create(b, l, f64v(b, l, 0.42), term(0.5, 1)),
                                term(0.08, 2));
    return castTo(b, l, w, et);
  });
}


//===----------------------------------------------------------------------===//
// Resize and Upsample with run-time scales, sizes or roi
//===----------------------------------------------------------------------===//

struct ResizeAttrs {
  std::string mode, ctm, nearest;
  double cubicA = -0.75, extrapolation = 0;
  bool excludeOutside = false;
};

/// Where output coordinate `x` of one dimension reads: clamped source indices
/// (i64) and their f64 weights, as ONNX's reference (op_resize.py) defines
/// them; `outside` is set for tf_crop_and_resize sources outside the input.
struct Taps {
  SmallVector<Value> index, weight;
};

Taps resizeTaps(OpBuilder &b, Location l, const ResizeAttrs &r, Value x, Value scale, Value outInt,
                int64_t in, Value roiStart, Value roiEnd, Value &outside) {
  using P = arith::CmpFPredicate;
  auto f = [&](double v) { return f64v(b, l, v); };
  auto addf = [&](Value p, Value q) { return (Value)arith::AddFOp::create(b, l, p, q); };
  auto subf = [&](Value p, Value q) { return (Value)arith::SubFOp::create(b, l, p, q); };
  auto mulf = [&](Value p, Value q) { return (Value)arith::MulFOp::create(b, l, p, q); };
  auto divf = [&](Value p, Value q) { return (Value)arith::DivFOp::create(b, l, p, q); };
  auto eqf = [&](Value p, double q) { return (Value)arith::CmpFOp::create(b, l, P::OEQ, p, f(q)); };
  Value inF = f(in), inM1 = f(in - 1);
  Value outFloat = mulf(scale, inF);
  Value half = addf(x, f(0.5));
  Value src;
  if (r.ctm == "align_corners") {
    src = select(b, l, eqf(outFloat, 1), f(0), divf(mulf(x, inM1), subf(outFloat, f(1))));
  } else if (r.ctm == "asymmetric") {
    src = divf(x, scale);
  } else if (r.ctm == "tf_crop_and_resize") {
    Value span = mulf(subf(roiEnd, roiStart), inM1);
    src = select(b, l, eqf(outFloat, 1), divf(span, f(2)), divf(mulf(x, span), subf(outFloat, f(1))));
    src = addf(src, mulf(roiStart, inM1));
    Value o = arith::OrIOp::create(b, l, arith::CmpFOp::create(b, l, P::OLT, src, f(0)),
                                   arith::CmpFOp::create(b, l, P::OGT, src, inM1));
    outside = outside ? (Value)arith::OrIOp::create(b, l, outside, o) : o;
  } else if (r.ctm == "pytorch_half_pixel") {
    src = select(b, l, eqf(outFloat, 1), f(-0.5), subf(divf(half, scale), f(0.5)));
  } else if (r.ctm == "half_pixel") {
    src = subf(divf(half, scale), f(0.5));
  } else if (r.ctm == "half_pixel_symmetric") {
    Value adjustment = divf(outInt, outFloat), center = f(in / 2.0);
    src = addf(mulf(center, subf(f(1), adjustment)), subf(divf(half, scale), f(0.5)));
  } else { // tf_half_pixel_for_nn
    src = divf(half, scale);
  }
  Value fl = math::FloorOp::create(b, l, src);
  Value ratio = subf(src, fl);
  Value base = arith::FPToSIOp::create(b, l, b.getI64Type(), fl);
  Value zero = i64v(b, l, 0), last = i64v(b, l, in - 1);
  auto clamp = [&](Value i) {
    return (Value)arith::MinSIOp::create(b, l, arith::MaxSIOp::create(b, l, i, zero), last);
  };
  auto offset = [&](int64_t k) { return add(b, l, base, i64v(b, l, k)); };
  Taps t;
  if (r.mode == "nearest") {
    Value up;
    if (r.nearest == "round_prefer_floor")
      up = arith::CmpFOp::create(b, l, P::OGT, ratio, f(0.5));
    else if (r.nearest == "round_prefer_ceil")
      up = arith::CmpFOp::create(b, l, P::OGE, ratio, f(0.5));
    else if (r.nearest == "floor")
      up = arith::ConstantOp::create(b, l, b.getBoolAttr(false));
    else if (r.nearest == "ceil")
      up = arith::CmpFOp::create(b, l, P::ONE, ratio, f(0));
    else // simple: down-sampling rounds up
      up = arith::AndIOp::create(b, l, arith::CmpFOp::create(b, l, P::ONE, ratio, f(0)),
                                 arith::CmpFOp::create(b, l, P::OLT, scale, f(1)));
    t.index.push_back(clamp(add(b, l, base, arith::ExtUIOp::create(b, l, b.getI64Type(), up))));
    t.weight.push_back(f(1));
    return t;
  }
  SmallVector<Value> raw;
  if (r.mode == "linear") {
    raw = {base, offset(1)};
    t.weight = {subf(f(1), ratio), ratio};
  } else {
    double a = r.cubicA;
    Value rr = ratio, s = subf(f(1), ratio);
    auto outer = [&](Value v) { // ((a(v+1) - 5a)(v+1) + 8a)(v+1) - 4a
      Value v1 = addf(v, f(1));
      return subf(mulf(addf(mulf(subf(mulf(f(a), v1), f(5 * a)), v1), f(8 * a)), v1), f(4 * a));
    };
    auto inner = [&](Value v) { // ((a+2)v - (a+3)) v^2 + 1
      return addf(mulf(mulf(subf(mulf(f(a + 2), v), f(a + 3)), v), v), f(1));
    };
    raw = {offset(-1), base, offset(1), offset(2)};
    t.weight = {outer(rr), inner(rr), inner(s), outer(s)};
  }
  if (r.excludeOutside) {
    Value sum = f(0);
    for (size_t k = 0; k < raw.size(); ++k) {
      Value out = arith::OrIOp::create(b, l, cmp(b, l, arith::CmpIPredicate::slt, raw[k], zero),
                                       cmp(b, l, arith::CmpIPredicate::sgt, raw[k], last));
      t.weight[k] = select(b, l, out, f(0), t.weight[k]);
      sum = addf(sum, t.weight[k]);
    }
    Value safe = select(b, l, eqf(sum, 0), f(1), sum);
    for (Value &w : t.weight)
      w = divf(w, safe);
  }
  for (Value i : raw)
    t.index.push_back(clamp(i));
  return t;
}

/// A one-element-per-dimension input, or null when absent or empty.
Value vectorInput(NodeContext &c, int i) {
  Value v = c.input(i);
  return v && typeOf(v).getNumElements() > 0 ? v : Value();
}

LogicalResult resizeRuntime(NodeContext &c) {
  Value x = c.input(0);
  if (!x)
    return c.fail("input X is required");
  auto xs = typeOf(x).getShape();
  int64_t rank = xs.size();
  Type et = typeOf(x).getElementType();
  ResizeAttrs r;
  r.mode = c.attrString("mode", "nearest");
  if (r.mode == "bilinear") // Upsample-7
    r.mode = "linear";
  Value roi, scales, sizes;
  bool modern = c.node.op_type() == "Resize" && c.opset >= 11;
  if (!modern) { // Upsample and Resize-10: Resize(X, scales), asymmetric
    r.ctm = "asymmetric";
    r.nearest = "simple";
    scales = vectorInput(c, 1);
  } else {
    if (c.attrInt("antialias", 0))
      return c.fail("antialias=1 is not supported");
    if (c.attrString("keep_aspect_ratio_policy", "stretch") != "stretch" || c.hasAttr("axes"))
      return c.fail("run-time sizes take keep_aspect_ratio_policy 'stretch' and no axes");
    r.ctm = c.attrString("coordinate_transformation_mode", "half_pixel");
    r.nearest = c.attrString("nearest_mode", "round_prefer_floor");
    r.cubicA = c.attrFloat("cubic_coeff_a", -0.75f);
    r.excludeOutside = c.attrInt("exclude_outside", 0);
    r.extrapolation = c.attrFloat("extrapolation_value", 0.0f);
    roi = r.ctm == "tf_crop_and_resize" ? vectorInput(c, 1) : Value();
    scales = vectorInput(c, 2);
    sizes = vectorInput(c, 3);
  }
  if (r.mode != "nearest" && r.mode != "linear" && r.mode != "cubic")
    return c.fail("unknown mode '" + r.mode + "' (nearest, linear, cubic)");
  if (!scales == !sizes)
    return c.fail("exactly one of scales and sizes must be given");
  Value given = scales ? scales : sizes;
  if (typeOf(given).getNumElements() != rank)
    return c.fail(std::string(scales ? "scales" : "sizes") + " must have one value per dimension (" +
                  std::to_string(rank) + ")");
  if (roi && typeOf(roi).getNumElements() != 2 * rank)
    return c.fail("roi must have " + std::to_string(2 * rank) + " values");
  if (sizes && !typeOf(sizes).getElementType().isInteger(64))
    return c.fail("sizes must be int64");
  if (scales && !isa<FloatType>(typeOf(scales).getElementType()))
    return c.fail("scales must be floats");
  Value flatGiven = c.reshape(given, {rank}), flatRoi = roi ? c.reshape(roi, {2 * rank}) : Value();
  Type f64 = c.b.getF64Type();
  SmallVector<double> inDims(xs.begin(), xs.end());
  Value inF64 = c.constant(DenseElementsAttr::get(RankedTensorType::get({rank}, f64), ArrayRef<double>(inDims)));
  // Output dims: sizes, or floor(in * scale) as the reference computes them.
  Value dims = sizes ? flatGiven
                     : asI64(c, c.make<FloorOp>(c.make<MulOp>(
                                    inF64, c.make<CastOp>(flatGiven, TypeAttr::get(f64)))));
  return generateOutput(c, dims, et, [&](OpBuilder &b, Location l, ValueRange iv) {
    Value outside;
    SmallVector<Taps> taps;
    for (int64_t d = 0; d < rank; ++d) {
      Value at = idx(b, l, d);
      Value outInt = castTo(b, l, extract(b, l, dims, {at}), b.getF64Type());
      Value scale = scales ? castTo(b, l, extract(b, l, flatGiven, {at}), b.getF64Type())
                           : arith::DivFOp::create(b, l, outInt, f64v(b, l, (double)xs[d]));
      Value start, end;
      if (flatRoi) {
        start = castTo(b, l, extract(b, l, flatRoi, {at}), b.getF64Type());
        end = castTo(b, l, extract(b, l, flatRoi, {idx(b, l, rank + d)}), b.getF64Type());
      } else {
        start = f64v(b, l, 0);
        end = f64v(b, l, 1);
      }
      taps.push_back(resizeTaps(b, l, r, castTo(b, l, iv[d], b.getF64Type()), scale, outInt, xs[d],
                                start, end, outside));
    }
    // Every combination of taps across dimensions, weighted.
    SmallVector<size_t> tap(rank, 0);
    Value acc;
    bool single = r.mode == "nearest";
    while (true) {
      SmallVector<Value> coords;
      Value w;
      for (int64_t d = 0; d < rank; ++d) {
        coords.push_back(castTo(b, l, taps[d].index[tap[d]], b.getIndexType()));
        Value wd = taps[d].weight[tap[d]];
        w = w ? (Value)arith::MulFOp::create(b, l, w, wd) : wd;
      }
      Value v = extract(b, l, x, coords);
      if (single) {
        acc = v;
      } else {
        v = arith::MulFOp::create(b, l, castTo(b, l, v, b.getF64Type()), w);
        acc = acc ? (Value)arith::AddFOp::create(b, l, acc, v) : v;
      }
      int64_t d = rank - 1;
      for (; d >= 0; --d) {
        if (++tap[d] < taps[d].index.size())
          break;
        tap[d] = 0;
      }
      if (d < 0)
        break;
    }
    Value y = single ? acc : castTo(b, l, acc, signless(et));
    if (outside) {
      Value fill = castTo(b, l, f64v(b, l, r.extrapolation), signless(et));
      y = select(b, l, outside, fill, y);
    }
    return y;
  });
}


//===----------------------------------------------------------------------===//
// STFT, MelWeightMatrix and MaxUnpool with run-time sizes
//===----------------------------------------------------------------------===//

/// sum over k in [0, n) of body(k), as an scf.for inside the element's region.
Value sumOver(OpBuilder &b, Location l, Value n, Value init,
              function_ref<Value(OpBuilder &, Location, Value, Value)> body) {
  auto loop = scf::ForOp::create(b, l, idx(b, l, 0), n, idx(b, l, 1), ValueRange{init},
                                 [&](OpBuilder &nb, Location nl, Value k, ValueRange acc) {
                                   scf::YieldOp::create(nb, nl, body(nb, nl, k, acc[0]));
                                 });
  return loop.getResult(0);
}

/// STFT whose frame_step or frame_length is a run-time scalar: frames and
/// bins are computed at run time, each output a DFT sum over the frame.
LogicalResult stftRuntime(NodeContext &c) {
  if (failed(c.requireInputs(2)))
    return failure();
  Value sig = c.input(0), step = c.input(1), window = c.input(2), length = c.input(3);
  auto st = typeOf(sig);
  Type et = st.getElementType();
  if (!isa<FloatType>(et) || st.getRank() != 3 || (st.getDimSize(2) != 1 && st.getDimSize(2) != 2))
    return c.fail("signal must be float [batch, length, 1 or 2]");
  if (typeOf(step).getNumElements() != 1 || (length && typeOf(length).getNumElements() != 1))
    return c.fail("frame_step and frame_length must be scalars");
  if (!window && !length)
    return c.fail("needs a window or a frame_length");
  if (window && (typeOf(window).getRank() != 1 || typeOf(window).getElementType() != et))
    return c.fail("window must be 1-D with the signal's element type");
  bool onesided = c.attrInt("onesided", 1), complexIn = st.getDimSize(2) == 2;
  if (onesided && complexIn)
    return c.fail("onesided needs a real signal");
  Value stepV = sizeVector(c, step);
  Value lenV = length ? sizeVector(c, length) : i64Const(c, {typeOf(window).getDimSize(0)});
  // frames = (signal - length) / step + 1; bins = length (/ 2 + 1 onesided).
  Value frames = c.make<AddOp>(
      c.make<DivOp>(c.make<SubOp>(i64Const(c, {st.getDimSize(1)}), lenV), stepV), i64Const(c, {1}));
  Value bins = onesided ? c.make<AddOp>(c.make<DivOp>(lenV, i64Const(c, {2})), i64Const(c, {1})) : lenV;
  Value dims = c.make<ConcatOp>(
      ValueRange{i64Const(c, {st.getDimSize(0)}), frames, bins, i64Const(c, {2})}, 0);
  return generateOutput(c, dims, et, [&](OpBuilder &b, Location l, ValueRange i) {
    Type f64 = b.getF64Type();
    Value stepI = castTo(b, l, extract(b, l, stepV, {idx(b, l, 0)}), b.getIndexType());
    Value lenI = castTo(b, l, extract(b, l, lenV, {idx(b, l, 0)}), b.getIndexType());
    Value start = arith::MulIOp::create(b, l, i[1], stepI);
    Value kF = castTo(b, l, i[2], f64), lenF = castTo(b, l, lenI, f64);
    Value imagPart = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, i[3], idx(b, l, 1));
    Value sum = sumOver(b, l, lenI, f64v(b, l, 0), [&](OpBuilder &nb, Location nl, Value n, Value acc) {
      Value at = arith::AddIOp::create(nb, nl, start, n);
      Value re = castTo(nb, nl, extract(nb, nl, sig, {i[0], at, idx(nb, nl, 0)}), f64);
      Value im = complexIn ? castTo(nb, nl, extract(nb, nl, sig, {i[0], at, idx(nb, nl, 1)}), f64)
                           : f64v(nb, nl, 0);
      if (window) {
        Value w = castTo(nb, nl, extract(nb, nl, window, {n}), f64);
        re = arith::MulFOp::create(nb, nl, re, w);
        im = arith::MulFOp::create(nb, nl, im, w);
      }
      // x * e^(-2 pi i k n / L): re' = re cos + im sin, im' = im cos - re sin
      Value angle = arith::DivFOp::create(
          nb, nl, arith::MulFOp::create(nb, nl, f64v(nb, nl, 2 * M_PI),
                                        arith::MulFOp::create(nb, nl, kF, castTo(nb, nl, n, f64))),
          lenF);
      Value cs = math::CosOp::create(nb, nl, angle), sn = math::SinOp::create(nb, nl, angle);
      Value outRe = arith::AddFOp::create(nb, nl, arith::MulFOp::create(nb, nl, re, cs),
                                          arith::MulFOp::create(nb, nl, im, sn));
      Value outIm = arith::SubFOp::create(nb, nl, arith::MulFOp::create(nb, nl, im, cs),
                                          arith::MulFOp::create(nb, nl, re, sn));
      return (Value)arith::AddFOp::create(nb, nl, acc, select(nb, nl, imagPart, outIm, outRe));
    });
    return castTo(b, l, sum, et);
  });
}

/// MelWeightMatrix from run-time scalars: the triangle filters of ONNX's
/// reference, one element at a time (edges as the static converter computes
/// them: mel bounds in f32, the rest in f64).
LogicalResult melRuntime(NodeContext &c) {
  if (failed(c.requireInputs(5)))
    return failure();
  for (int i = 0; i < 5; ++i)
    if (typeOf(c.input(i)).getNumElements() != 1)
      return c.fail("every input must be a scalar");
  int64_t dt = c.attrInt("output_datatype", onnx::TensorProto::FLOAT);
  Type et = onnxElementType(*c.b.getContext(), dt);
  if (!et || !isa<FloatType>(et))
    return c.fail("output_datatype " + std::to_string(dt) + " is not a supported float type");
  Value bins = sizeVector(c, c.input(0)), dft = sizeVector(c, c.input(1));
  Value spectrum = c.make<AddOp>(c.make<DivOp>(dft, i64Const(c, {2})), i64Const(c, {1}));
  Value dims = c.make<ConcatOp>(ValueRange{spectrum, bins}, 0);
  Value rate = c.input(2), lo = c.input(3), hi = c.input(4);
  return generateOutput(c, dims, et, [&](OpBuilder &b, Location l, ValueRange i) {
    Type f32 = b.getF32Type(), f64 = b.getF64Type();
    auto f32v = [&](double v) { return (Value)arith::ConstantOp::create(b, l, b.getF32FloatAttr(v)); };
    auto mel = [&](Value hz) { // 2595 log10(1 + hz / 700), in f32
      Value x = arith::AddFOp::create(b, l, f32v(1), arith::DivFOp::create(b, l, castTo(b, l, hz, f32), f32v(700)));
      return (Value)arith::MulFOp::create(b, l, f32v(2595), math::Log10Op::create(b, l, x));
    };
    Value melBins = castTo(b, l, extract(b, l, bins, {idx(b, l, 0)}), f32);
    Value lowMel = mel(extract(b, l, lo)), highMel = mel(extract(b, l, hi));
    Value step = arith::DivFOp::create(b, l, arith::SubFOp::create(b, l, highMel, lowMel),
                                       arith::AddFOp::create(b, l, melBins, f32v(2)));
    Value dftF = castTo(b, l, extract(b, l, dft, {idx(b, l, 0)}), f64);
    Value rateF = castTo(b, l, extract(b, l, rate), f64);
    auto edge = [&](Value k) { // floor((dft + 1) * hz(k) / rate), as i64
      Value m = arith::AddFOp::create(b, l, arith::MulFOp::create(b, l, castTo(b, l, k, f64), castTo(b, l, step, f64)),
                                      castTo(b, l, lowMel, f64));
      Value hz = arith::MulFOp::create(
          b, l, f64v(b, l, 700),
          arith::SubFOp::create(b, l, math::PowFOp::create(b, l, f64v(b, l, 10), arith::DivFOp::create(b, l, m, f64v(b, l, 2595))),
                                f64v(b, l, 1)));
      Value v = arith::DivFOp::create(b, l, arith::MulFOp::create(b, l, arith::AddFOp::create(b, l, dftF, f64v(b, l, 1)), hz), rateF);
      return castTo(b, l, math::FloorOp::create(b, l, v), b.getI64Type());
    };
    Value bin = castTo(b, l, i[1], b.getI64Type()), j = castTo(b, l, i[0], b.getI64Type());
    Value left = edge(bin), center = edge(add(b, l, bin, i64v(b, l, 1))), right = edge(add(b, l, bin, i64v(b, l, 2)));
    using P = arith::CmpIPredicate;
    auto ratio = [&](Value num, Value den) {
      return (Value)arith::DivFOp::create(b, l, castTo(b, l, num, f64), castTo(b, l, den, f64));
    };
    // Rising edge [left, center] (a single 1 when they coincide), then the
    // falling edge [center, right) overrides, as the reference writes them.
    Value rising = select(b, l, cmp(b, l, P::eq, center, left),
                          select(b, l, cmp(b, l, P::eq, j, center), f64v(b, l, 1), f64v(b, l, 0)),
                          select(b, l, arith::AndIOp::create(b, l, cmp(b, l, P::sge, j, left), cmp(b, l, P::sle, j, center)),
                                 ratio(sub(b, l, j, left), sub(b, l, center, left)), f64v(b, l, 0)));
    Value falling = arith::AndIOp::create(b, l, cmp(b, l, P::sge, j, center), cmp(b, l, P::slt, j, right));
    Value w = select(b, l, falling, ratio(sub(b, l, right, j), sub(b, l, right, center)), rising);
    return castTo(b, l, w, et);
  });
}

/// MaxUnpool with a run-time output_shape: indices address the shape
/// MaxPool's input had (inferred from X and the attributes); coordinates
/// beyond it are zero. Each output searches its (batch, channel) plane.
LogicalResult maxUnpoolRuntime(NodeContext &c) {
  Value x = c.input(0), indices = c.input(1), shape = c.input(2);
  auto xt = typeOf(x);
  if (xt.getRank() < 3 || !xt.hasStaticShape())
    return c.fail("input must have a static shape of rank >= 3");
  if (typeOf(indices).getShape() != xt.getShape() || !typeOf(indices).getElementType().isSignlessInteger(64))
    return c.fail("I must be int64 with X's shape");
  int64_t rank = xt.getRank();
  size_t n = rank - 2;
  auto kernel = c.attrInts("kernel_shape");
  auto strides = c.attrInts("strides", SmallVector<int64_t>(n, 1));
  auto pads = c.attrInts("pads", SmallVector<int64_t>(2 * n, 0));
  if (kernel.size() != n || strides.size() != n || pads.size() != 2 * n)
    return c.fail("kernel_shape/strides/pads do not match the spatial rank");
  if (typeOf(shape).getRank() != 1 || typeOf(shape).getDimSize(0) != rank ||
      !typeOf(shape).getElementType().isInteger(64))
    return c.fail("output_shape must be int64[" + std::to_string(rank) + "]");
  SmallVector<int64_t> inferred{xt.getDimSize(0), xt.getDimSize(1)};
  for (size_t i = 0; i < n; ++i)
    inferred.push_back((xt.getDimSize(2 + i) - 1) * strides[i] - pads[i] - pads[n + i] + kernel[i]);
  int64_t plane = 1;
  for (int64_t d = 2; d < rank; ++d)
    plane *= xt.getDimSize(d);
  Type et = xt.getElementType();
  return generateOutput(c, shape, et, [&](OpBuilder &b, Location l, ValueRange i) {
    using P = arith::CmpIPredicate;
    // The flat index this output has in the inferred shape, if inside it.
    Value target = idx(b, l, 0), inside;
    for (int64_t d = 0; d < rank; ++d) {
      target = arith::AddIOp::create(b, l, arith::MulIOp::create(b, l, target, idx(b, l, inferred[d])), i[d]);
      Value in = arith::CmpIOp::create(b, l, P::ult, i[d], idx(b, l, inferred[d]));
      inside = inside ? (Value)arith::AndIOp::create(b, l, inside, in) : in;
    }
    Value targetI64 = castTo(b, l, target, b.getI64Type());
    Value zero = arith::ConstantOp::create(b, l, b.getZeroAttr(signless(et)));
    Value inBatch = arith::CmpIOp::create(b, l, P::ult, i[0], idx(b, l, xt.getDimSize(0)));
    Value inChannel = arith::CmpIOp::create(b, l, P::ult, i[1], idx(b, l, xt.getDimSize(1)));
    Value nIdx = select(b, l, inBatch, i[0], idx(b, l, 0)), cIdx = select(b, l, inChannel, i[1], idx(b, l, 0));
    Value found = sumOver(b, l, idx(b, l, plane), zero, [&](OpBuilder &nb, Location nl, Value e, Value acc) {
      SmallVector<Value> at{nIdx, cIdx};
      Value rest = e;
      SmallVector<Value> spatial(n);
      for (int64_t d = rank - 1; d >= 2; --d) {
        spatial[d - 2] = arith::RemUIOp::create(nb, nl, rest, idx(nb, nl, xt.getDimSize(d)));
        rest = arith::DivUIOp::create(nb, nl, rest, idx(nb, nl, xt.getDimSize(d)));
      }
      at.append(spatial.begin(), spatial.end());
      Value hit = arith::CmpIOp::create(nb, nl, P::eq, extract(nb, nl, indices, at), targetI64);
      return select(nb, nl, hit, extract(nb, nl, x, at), acc);
    });
    Value ok = arith::AndIOp::create(b, l, inside, arith::AndIOp::create(b, l, inBatch, inChannel));
    return select(b, l, ok, found, zero);
  });
}

} // namespace

void registerRuntimeSizedConverters(ConverterMap &table) {
  wrap(table, "ConstantOfShape", runtimeInput(0), constantOfShapeRuntime);
  wrap(table, "Expand", runtimeInput(1), expandRuntime);
  wrap(table, "Tile", runtimeInput(1), tileRuntime);
  wrap(table, "Pad", runtimeInput(1, 11), padRuntime);
  wrap(table, "OneHot", runtimeInput(1), oneHotRuntime);
  for (const char *w : {"HannWindow", "HammingWindow", "BlackmanWindow"})
    wrap(table, w, runtimeInput(0), windowRuntime);
  auto resizeInputs = [](NodeContext &c) {
    for (int i = 1; i < std::min(c.numInputs(), 4); ++i)
      if (c.input(i) && !c.constantInput(i))
        return true;
    return false;
  };
  wrap(table, "Resize", resizeInputs, resizeRuntime);
  wrap(table, "Upsample", runtimeInput(1, 9), resizeRuntime);
  wrap(table, "STFT", [](NodeContext &c) {
    return (c.input(1) && !c.constantInput(1)) || (c.input(3) && !c.constantInput(3));
  }, stftRuntime);
  wrap(table, "MelWeightMatrix", [](NodeContext &c) {
    for (int i = 0; i < 5; ++i)
      if (c.input(i) && !c.constantInput(i))
        return true;
    return false;
  }, melRuntime);
  wrap(table, "MaxUnpool", runtimeInput(2), maxUnpoolRuntime);
  // Range on constants is a constant (exporters write positions and window
  // indices as Range over shape values); the function body, a Loop, is kept
  // for results too large to store.
  table["Range"] = [](NodeContext &c) -> LogicalResult {
    for (int i = 0; i < 3; ++i)
      if (c.input(i) && !c.constantInput(i))
        return rangeRuntime(c);
    if (DenseElementsAttr folded = rangeConstant(c)) {
      c.setOutput(0, c.constant(folded));
      return success();
    }
    bool found = false;
    if (failed(expandFunction(c, found)))
      return failure();
    return found ? success() : c.fail("no definition of Range");
  };
}

} // namespace nuri
