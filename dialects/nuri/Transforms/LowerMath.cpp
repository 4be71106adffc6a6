//===- LowerMath.cpp - nuri -> linalg: elementwise math, logic, reductions ---===//
//
// Elementwise ops become linalg.generic through ElementwisePattern (numpy
// broadcasting in the indexing maps). Transcendental functions of 16-bit
// floats are computed in f32: libm and the math expansions work in f32/f64,
// and the result is rounded once. Reductions with an index (arg_max) carry
// the best value and its index as two outputs of one generic.
//
//===----------------------------------------------------------------------===//
#include "dialects/nuri/Transforms/LoweringUtils.h"

#include <limits>

using namespace mlir;
using namespace mlir::nuri;

namespace {

using ScalarFn = function_ref<Value(OpBuilder &, Location, Value)>;

/// fn(x) computed in f32 for f16/bf16 operands, in the operand type otherwise.
Value wide(OpBuilder &b, Location loc, Value x, ScalarFn fn) {
  Type t = x.getType();
  if (t.getIntOrFloatBitWidth() >= 32)
    return fn(b, loc, x);
  Value r = fn(b, loc, arith::ExtFOp::create(b, loc, b.getF32Type(), x));
  return arith::TruncFOp::create(b, loc, t, r);
}

Value fadd(OpBuilder &b, Location l, Value x, Value y) { return arith::AddFOp::create(b, l, x, y); }
Value fsub(OpBuilder &b, Location l, Value x, Value y) { return arith::SubFOp::create(b, l, x, y); }
Value fmul(OpBuilder &b, Location l, Value x, Value y) { return arith::MulFOp::create(b, l, x, y); }
Value fdiv(OpBuilder &b, Location l, Value x, Value y) { return arith::DivFOp::create(b, l, x, y); }
Value fcmp(OpBuilder &b, Location l, arith::CmpFPredicate p, Value x, Value y) {
  return arith::CmpFOp::create(b, l, p, x, y);
}
Value sel(OpBuilder &b, Location l, Value c, Value x, Value y) {
  return arith::SelectOp::create(b, l, c, x, y);
}
Value fc(OpBuilder &b, Location l, Value like, double v) { return cst(b, l, like.getType(), v); }

template <typename MathOp> Value mathFn(OpBuilder &b, Location loc, Value x) {
  return wide(b, loc, x, [](OpBuilder &nb, Location l, Value v) -> Value {
    return MathOp::create(nb, l, v);
  });
}

#define NURI_FLOAT_FN(NAME, OP, MATHOP)                                        \
  NURI_EW(NAME, OP, return mathFn<MATHOP>(b, loc, a[0]);)

NURI_FLOAT_FN(SinLowering, SinOp, math::SinOp)
NURI_FLOAT_FN(CosLowering, CosOp, math::CosOp)
NURI_FLOAT_FN(TanLowering, TanOp, math::TanOp)
NURI_FLOAT_FN(AsinLowering, AsinOp, math::AsinOp)
NURI_FLOAT_FN(AcosLowering, AcosOp, math::AcosOp)
NURI_FLOAT_FN(AtanLowering, AtanOp, math::AtanOp)
NURI_FLOAT_FN(SinhLowering, SinhOp, math::SinhOp)
NURI_FLOAT_FN(CoshLowering, CoshOp, math::CoshOp)
NURI_FLOAT_FN(AsinhLowering, AsinhOp, math::AsinhOp)
NURI_FLOAT_FN(AcoshLowering, AcoshOp, math::AcoshOp)
NURI_FLOAT_FN(AtanhLowering, AtanhOp, math::AtanhOp)
NURI_FLOAT_FN(CeilLowering, CeilOp, math::CeilOp)
NURI_FLOAT_FN(FloorLowering, FloorOp, math::FloorOp)
NURI_FLOAT_FN(RoundLowering, RoundOp, math::RoundEvenOp)
#undef NURI_FLOAT_FN

NURI_EW(SignLowering, SignOp, {
  Value x = a[0], zero = fc(b, loc, x, 0), one = fc(b, loc, x, 1), m1 = fc(b, loc, x, -1);
  if (isFloat(t))
    return sel(b, loc, fcmp(b, loc, arith::CmpFPredicate::OGT, x, zero), one,
               sel(b, loc, fcmp(b, loc, arith::CmpFPredicate::OLT, x, zero), m1, x));
  Value pos = arith::CmpIOp::create(b, loc, uns ? arith::CmpIPredicate::ugt
                                                : arith::CmpIPredicate::sgt, x, zero);
  Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, zero);
  if (uns)
    return sel(b, loc, pos, one, zero);
  return sel(b, loc, pos, one, sel(b, loc, neg, m1, zero));
})
NURI_EW(ReciprocalLowering, ReciprocalOp, return fdiv(b, loc, fc(b, loc, a[0], 1), a[0]);)
NURI_EW(SoftplusLowering, SoftplusOp, return wide(b, loc, a[0], [](OpBuilder &nb, Location l, Value x) -> Value {
  // log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|))
  Value ax = math::AbsFOp::create(nb, l, x);
  Value e = math::ExpOp::create(nb, l, arith::NegFOp::create(nb, l, ax));
  return fadd(nb, l, arith::MaximumFOp::create(nb, l, x, fc(nb, l, x, 0)),
              math::Log1pOp::create(nb, l, e));
});)
NURI_EW(SoftsignLowering, SoftsignOp, {
  Value x = a[0];
  return fdiv(b, loc, x, fadd(b, loc, fc(b, loc, x, 1), math::AbsFOp::create(b, loc, x)));
})
NURI_EW(MishLowering, MishOp, return wide(b, loc, a[0], [](OpBuilder &nb, Location l, Value x) -> Value {
  Value ax = math::AbsFOp::create(nb, l, x);
  Value e = math::ExpOp::create(nb, l, arith::NegFOp::create(nb, l, ax));
  Value sp = fadd(nb, l, arith::MaximumFOp::create(nb, l, x, fc(nb, l, x, 0)),
                  math::Log1pOp::create(nb, l, e));
  return fmul(nb, l, x, math::TanhOp::create(nb, l, sp));
});)
NURI_EW(NotLowering, NotOp, return arith::XOrIOp::create(b, loc, a[0], cst(b, loc, t, -1));)
NURI_EW(EluLowering, EluOp, return wide(b, loc, a[0], [&](OpBuilder &nb, Location l, Value x) -> Value {
  Value em1 = math::ExpM1Op::create(nb, l, x);
  Value neg = fmul(nb, l, fc(nb, l, x, op.getAlpha().convertToFloat()), em1);
  return sel(nb, l, fcmp(nb, l, arith::CmpFPredicate::OLT, x, fc(nb, l, x, 0)), neg, x);
});)
NURI_EW(SeluLowering, SeluOp, return wide(b, loc, a[0], [&](OpBuilder &nb, Location l, Value x) -> Value {
  double alpha = op.getAlpha().convertToFloat(), gamma = op.getGamma().convertToFloat();
  Value neg = fmul(nb, l, fc(nb, l, x, alpha * gamma), math::ExpM1Op::create(nb, l, x));
  Value pos = fmul(nb, l, fc(nb, l, x, gamma), x);
  return sel(nb, l, fcmp(nb, l, arith::CmpFPredicate::OLE, x, fc(nb, l, x, 0)), neg, pos);
});)
NURI_EW(CeluLowering, CeluOp, return wide(b, loc, a[0], [&](OpBuilder &nb, Location l, Value x) -> Value {
  Value alpha = fc(nb, l, x, op.getAlpha().convertToFloat()), zero = fc(nb, l, x, 0);
  Value neg = fmul(nb, l, alpha, math::ExpM1Op::create(nb, l, fdiv(nb, l, x, alpha)));
  return fadd(nb, l, arith::MaximumFOp::create(nb, l, x, zero),
              arith::MinimumFOp::create(nb, l, neg, zero));
});)
NURI_EW(ThresholdedReluLowering, ThresholdedReluOp, {
  Value x = a[0];
  Value alpha = fc(b, loc, x, op.getAlpha().convertToFloat());
  return sel(b, loc, fcmp(b, loc, arith::CmpFPredicate::OGT, x, alpha), x, fc(b, loc, x, 0));
})
NURI_EW(ShrinkLowering, ShrinkOp, {
  Value x = a[0];
  double bias = op.getBias().convertToFloat(), lambd = op.getLambd().convertToFloat();
  if (isFloat(t)) {
    Value lo = fcmp(b, loc, arith::CmpFPredicate::OLT, x, fc(b, loc, x, -lambd));
    Value hi = fcmp(b, loc, arith::CmpFPredicate::OGT, x, fc(b, loc, x, lambd));
    return sel(b, loc, lo, fadd(b, loc, x, fc(b, loc, x, bias)),
               sel(b, loc, hi, fsub(b, loc, x, fc(b, loc, x, bias)), fc(b, loc, x, 0)));
  }
  // Integers compare and shift in f64, which holds every bound exactly enough.
  Value xf = convertScalar(b, loc, x, b.getF64Type(), uns);
  Value lo = fcmp(b, loc, arith::CmpFPredicate::OLT, xf, cst(b, loc, b.getF64Type(), -lambd));
  Value hi = fcmp(b, loc, arith::CmpFPredicate::OGT, xf, cst(b, loc, b.getF64Type(), lambd));
  Value bi = cst(b, loc, t, bias);
  return sel(b, loc, lo, arith::AddIOp::create(b, loc, x, bi),
             sel(b, loc, hi, arith::SubIOp::create(b, loc, x, bi), cst(b, loc, t, 0)));
})
NURI_EW(GeluLowering, GeluOp, return wide(b, loc, a[0], [&](OpBuilder &nb, Location l, Value x) -> Value {
  Value half = fc(nb, l, x, 0.5), one = fc(nb, l, x, 1);
  Value inner;
  if (op.getTanhApproximation()) {
    Value x3 = fmul(nb, l, fmul(nb, l, x, x), x);
    Value u = fmul(nb, l, fc(nb, l, x, 0.7978845608028654),
                   fadd(nb, l, x, fmul(nb, l, fc(nb, l, x, 0.044715), x3)));
    inner = math::TanhOp::create(nb, l, u);
  } else {
    inner = math::ErfOp::create(nb, l, fmul(nb, l, x, fc(nb, l, x, 0.7071067811865476)));
  }
  return fmul(nb, l, fmul(nb, l, half, x), fadd(nb, l, one, inner));
});)
NURI_EW(IsNaNLowering, IsNaNOp, return fcmp(b, loc, arith::CmpFPredicate::UNO, a[0], a[0]);)
NURI_EW(IsInfLowering, IsInfOp, {
  Value x = a[0];
  double inf = std::numeric_limits<double>::infinity();
  Value r = cst(b, loc, b.getI1Type(), 0);
  if (op.getDetectPositive())
    r = arith::OrIOp::create(b, loc, r, fcmp(b, loc, arith::CmpFPredicate::OEQ, x, fc(b, loc, x, inf)));
  if (op.getDetectNegative())
    r = arith::OrIOp::create(b, loc, r, fcmp(b, loc, arith::CmpFPredicate::OEQ, x, fc(b, loc, x, -inf)));
  return r;
})

//===----------------------------------------------------------------------===//
// Binary
//===----------------------------------------------------------------------===//

NURI_EW(ModLowering, ModOp, {
  Value x = a[0], y = a[1];
  if (isFloat(t))
    return arith::RemFOp::create(b, loc, x, y); // C fmod: sign of the dividend
  if (uns)
    return arith::RemUIOp::create(b, loc, x, y);
  Value r = arith::RemSIOp::create(b, loc, x, y);
  if (op.getFmod())
    return r;
  // Python-style: a non-zero remainder takes the divisor's sign.
  Value zero = cst(b, loc, t, 0);
  Value nz = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, r, zero);
  Value rNeg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, r, zero);
  Value yNeg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, y, zero);
  Value fix = arith::AndIOp::create(
      b, loc, nz, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, rNeg, yNeg));
  return sel(b, loc, fix, arith::AddIOp::create(b, loc, r, y), r);
})
NURI_EW(AndLowering, AndOp, return arith::AndIOp::create(b, loc, a[0], a[1]);)
NURI_EW(OrLowering, OrOp, return arith::OrIOp::create(b, loc, a[0], a[1]);)
NURI_EW(XorLowering, XorOp, return arith::XOrIOp::create(b, loc, a[0], a[1]);)
NURI_EW(BitShiftLowering, BitShiftOp, {
  // Shifting by the bit width or more gives 0 in ONNX (and poison in arith).
  Value big = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, a[1],
                                    cst(b, loc, t, t.getIntOrFloatBitWidth()));
  Value r = op.getLeft() ? (Value)arith::ShLIOp::create(b, loc, a[0], a[1])
                         : (Value)arith::ShRUIOp::create(b, loc, a[0], a[1]);
  return sel(b, loc, big, cst(b, loc, t, 0), r);
})
NURI_EW(PReluLowering, PReluOp, {
  Value x = a[0], s = a[1];
  if (isFloat(t))
    return sel(b, loc, fcmp(b, loc, arith::CmpFPredicate::OLT, x, fc(b, loc, x, 0)),
               fmul(b, loc, x, s), x);
  Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, cst(b, loc, t, 0));
  return sel(b, loc, uns ? cst(b, loc, b.getI1Type(), 0) : neg,
             arith::MulIOp::create(b, loc, x, s), x);
})

template <typename Op>
struct CompareLowering : ElementwisePattern<Op> {
  CompareLowering(MLIRContext *ctx, arith::CmpFPredicate f, arith::CmpIPredicate s,
                  arith::CmpIPredicate u)
      : ElementwisePattern<Op>(ctx), f(f), s(s), u(u) {}
  Value body(OpBuilder &b, Location loc, Op, ValueRange a, bool uns) const override {
    if (isFloat(a[0].getType()))
      return arith::CmpFOp::create(b, loc, f, a[0], a[1]);
    return arith::CmpIOp::create(b, loc, uns ? u : s, a[0], a[1]);
  }
  arith::CmpFPredicate f;
  arith::CmpIPredicate s, u;
};

NURI_EW(WhereLowering, WhereOp, return sel(b, loc, a[0], a[1], a[2]);)

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

enum class Combine { Max, Min, Prod };

Value combine(OpBuilder &b, Location l, Combine k, Value x, Value y, bool uns) {
  bool f = isFloat(x.getType());
  switch (k) {
  case Combine::Max:
    return f ? (Value)arith::MaximumFOp::create(b, l, x, y)
             : uns ? (Value)arith::MaxUIOp::create(b, l, x, y)
                   : (Value)arith::MaxSIOp::create(b, l, x, y);
  case Combine::Min:
    return f ? (Value)arith::MinimumFOp::create(b, l, x, y)
             : uns ? (Value)arith::MinUIOp::create(b, l, x, y)
                   : (Value)arith::MinSIOp::create(b, l, x, y);
  case Combine::Prod:
    return f ? (Value)arith::MulFOp::create(b, l, x, y) : (Value)arith::MulIOp::create(b, l, x, y);
  }
  return {};
}

/// The identity of `k` for element type t (as a signless/float constant).
Value identity(OpBuilder &b, Location l, Combine k, Type t, bool uns) {
  if (k == Combine::Prod)
    return cst(b, l, t, 1);
  bool max = k == Combine::Max;
  if (auto ft = dyn_cast<FloatType>(t))
    return arith::ConstantOp::create(
        b, l, b.getFloatAttr(t, APFloat::getInf(ft.getFloatSemantics(), /*Negative=*/max)));
  unsigned w = t.getIntOrFloatBitWidth();
  APInt v = uns ? (max ? APInt::getMinValue(w) : APInt::getMaxValue(w))
                : (max ? APInt::getSignedMinValue(w) : APInt::getSignedMaxValue(w));
  return arith::ConstantOp::create(b, l, b.getIntegerAttr(t, v));
}

template <typename Op, Combine K> struct ReduceCombineLowering : OpRewritePattern<Op> {
  using OpRewritePattern<Op>::OpRewritePattern;
  LogicalResult matchAndRewrite(Op op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    bool uns = getElementTypeOrSelf(op.getInput().getType()).isUnsignedInteger();
    Value x = toSignless(b, loc, op.getInput());
    auto t = typeOf(x);
    Type et = t.getElementType();
    SmallVector<int64_t> kept;
    for (int64_t d = 0; d < t.getRank(); ++d)
      if (!llvm::is_contained(op.getAxes(), d))
        kept.push_back(t.getDimSize(d));
    auto redType = RankedTensorType::get(kept, et);
    Value init = linalg::FillOp::create(b, loc, identity(b, loc, K, et, uns),
                                        emptyLike(b, loc, redType))
                     .getResult(0);
    auto red = linalg::ReduceOp::create(
        b, loc, ValueRange{x}, ValueRange{init}, op.getAxes(),
        [&](OpBuilder &nb, Location l, ValueRange a) {
          linalg::YieldOp::create(nb, l, combine(nb, l, K, a[0], a[1], uns));
        });
    auto resultType = cast<RankedTensorType>(op.getType());
    Value r = reshapeTo(b, loc, red.getResult(0), resultType.clone(et));
    if (et != resultType.getElementType())
      r = tensor::BitcastOp::create(b, loc, resultType, r);
    b.replaceOp(op, r);
    return success();
  }
};

/// arg_max / arg_min: one generic with outputs (best value, best index).
template <typename Op, bool Max> struct ArgLowering : OpRewritePattern<Op> {
  using OpRewritePattern<Op>::OpRewritePattern;
  LogicalResult matchAndRewrite(Op op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = b.getContext();
    bool uns = getElementTypeOrSelf(op.getInput().getType()).isUnsignedInteger();
    Value x = toSignless(b, loc, op.getInput());
    auto t = typeOf(x);
    Type et = t.getElementType();
    int64_t axis = op.getAxis(), rank = t.getRank();
    SmallVector<int64_t> kept;
    SmallVector<AffineExpr> outExprs;
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis) {
        kept.push_back(t.getDimSize(d));
        outExprs.push_back(getAffineDimExpr(d, ctx));
      }
    auto valType = RankedTensorType::get(kept, et);
    auto idxType = RankedTensorType::get(kept, b.getI64Type());
    Value vInit = linalg::FillOp::create(b, loc, identity(b, loc, Max ? Combine::Max : Combine::Min, et, uns),
                                         emptyLike(b, loc, valType)).getResult(0);
    Value iInit = fill(b, loc, idxType, 0);
    SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                   AffineMap::get(rank, 0, outExprs, ctx),
                                   AffineMap::get(rank, 0, outExprs, ctx)};
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    iters[axis] = utils::IteratorType::reduction;
    bool last = op.getSelectLastIndex();
    auto g = linalg::GenericOp::create(
        b, loc, TypeRange{valType, idxType}, ValueRange{x}, ValueRange{vInit, iInit}, maps, iters,
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value v = a[0], best = a[1], bestIdx = a[2];
          Value i = arith::IndexCastOp::create(nb, l, nb.getI64Type(),
                                               linalg::IndexOp::create(nb, l, axis));
          Value better;
          if (isFloat(et)) {
            auto p = Max ? (last ? arith::CmpFPredicate::OGE : arith::CmpFPredicate::OGT)
                         : (last ? arith::CmpFPredicate::OLE : arith::CmpFPredicate::OLT);
            better = arith::CmpFOp::create(nb, l, p, v, best);
          } else {
            using P = arith::CmpIPredicate;
            P p = Max ? (last ? (uns ? P::uge : P::sge) : (uns ? P::ugt : P::sgt))
                      : (last ? (uns ? P::ule : P::sle) : (uns ? P::ult : P::slt));
            better = arith::CmpIOp::create(nb, l, p, v, best);
          }
          // The first element always wins, so an all-identity row gives index 0
          // (or the last index with select_last_index).
          Value first = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, i,
                                              cst(nb, l, nb.getI64Type(), 0));
          better = arith::OrIOp::create(nb, l, better, first);
          linalg::YieldOp::create(nb, l, ValueRange{sel(nb, l, better, v, best),
                                                    sel(nb, l, better, i, bestIdx)});
        });
    b.replaceOp(op, reshapeTo(b, loc, g.getResult(1), cast<RankedTensorType>(op.getType())));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Softmax family
//===----------------------------------------------------------------------===//

/// Reduce `x` along `axis` keeping a unit dimension (max or sum).
Value reduceAxis(OpBuilder &b, Location loc, Value x, int64_t axis, bool max) {
  auto t = typeOf(x);
  Type et = t.getElementType();
  SmallVector<int64_t> kept(t.getShape());
  kept.erase(kept.begin() + axis);
  auto redType = RankedTensorType::get(kept, et);
  Value init = max ? linalg::FillOp::create(b, loc, identity(b, loc, Combine::Max, et, false),
                                            emptyLike(b, loc, redType)).getResult(0)
                   : fill(b, loc, redType, 0);
  auto red = linalg::ReduceOp::create(
      b, loc, ValueRange{x}, ValueRange{init}, ArrayRef<int64_t>{axis},
      [&](OpBuilder &nb, Location l, ValueRange a) {
        linalg::YieldOp::create(nb, l, max ? (Value)arith::MaximumFOp::create(nb, l, a[0], a[1])
                                           : fadd(nb, l, a[0], a[1]));
      });
  SmallVector<int64_t> keep(t.getShape());
  keep[axis] = 1;
  return reshapeTo(b, loc, red.getResult(0), keep);
}

struct LogSoftmaxLowering : OpRewritePattern<LogSoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LogSoftmaxOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto t = typeOf(x);
    Value m = reduceAxis(b, loc, x, op.getAxis(), true);
    Value shifted = elementwise(b, loc, t, {x, m}, [](OpBuilder &nb, Location l, ValueRange a) {
      return fsub(nb, l, a[0], a[1]);
    });
    Value e = elementwise(b, loc, t, {shifted}, [](OpBuilder &nb, Location l, ValueRange a) {
      return mathFn<math::ExpOp>(nb, l, a[0]);
    });
    Value s = reduceAxis(b, loc, e, op.getAxis(), false);
    b.replaceOp(op, elementwise(b, loc, t, {shifted, s}, [](OpBuilder &nb, Location l, ValueRange a) {
                  return fsub(nb, l, a[0], mathFn<math::LogOp>(nb, l, a[1]));
                }));
    return success();
  }
};

struct HardmaxLowering : OpRewritePattern<HardmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(HardmaxOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto t = typeOf(x);
    int64_t axis = op.getAxis();
    Value idx = ArgMaxOp::create(b, loc, x, axis, true, false);
    auto g = linalg::GenericOp::create(
        b, loc, t, ValueRange{idx}, ValueRange{emptyLike(b, loc, t)},
        SmallVector<AffineMap>{broadcastMap(b.getContext(), typeOf(idx).getShape(), t.getShape()),
                               AffineMap::getMultiDimIdentityMap(t.getRank(), b.getContext())},
        SmallVector<utils::IteratorType>(t.getRank(), utils::IteratorType::parallel),
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value i = arith::IndexCastOp::create(nb, l, nb.getI64Type(),
                                               linalg::IndexOp::create(nb, l, axis));
          Value hit = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, i, a[0]);
          linalg::YieldOp::create(nb, l, sel(nb, l, hit, cst(nb, l, t.getElementType(), 1),
                                             cst(nb, l, t.getElementType(), 0)));
        });
    b.replaceOp(op, g.getResult(0));
    return success();
  }
};

/// Accumulates every input element into its compact output position: one
/// sequential loop, since which dimensions collapse is known only at run time.
struct ReduceSumMaskedLowering : OpRewritePattern<ReduceSumMaskedOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReduceSumMaskedOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    Value x = toSignless(b, loc, op.getInput());
    auto t = typeOf(x);
    Type et = t.getElementType();
    auto outType = RankedTensorType::get({t.getNumElements()}, et);
    int64_t rank = t.getRank();
    Value flatX = reshapeTo(b, loc, x, {t.getNumElements()});
    Value init = fill(b, loc, outType, 0);
    auto idx = [&](OpBuilder &nb, int64_t v) { return arith::ConstantIndexOp::create(nb, loc, v); };
    // The mask is read inside the loop: scalars read outside it would be
    // separate host-side values between dispatches.
    Value maskTensor = op.getMask();
    auto loop = scf::ForOp::create(
        b, loc, idx(b, 0), idx(b, t.getNumElements()), idx(b, 1), ValueRange{init},
        [&](OpBuilder &nb, Location l, Value j, ValueRange acc) {
          SmallVector<Value> mask;
          for (int64_t d = 0; d < rank; ++d)
            mask.push_back(tensor::ExtractOp::create(nb, l, maskTensor, ValueRange{idx(nb, d)}));
          Value rest = j, o = idx(nb, 0), stride = idx(nb, 1);
          for (int64_t d = rank - 1; d >= 0; --d) {
            Value dim = idx(nb, t.getDimSize(d));
            Value coord = arith::RemUIOp::create(nb, l, rest, dim);
            rest = arith::DivUIOp::create(nb, l, rest, dim);
            Value kept = arith::AddIOp::create(nb, l, o, arith::MulIOp::create(nb, l, coord, stride));
            o = arith::SelectOp::create(nb, l, mask[d], o, kept);
            stride = arith::SelectOp::create(nb, l, mask[d], stride,
                                             arith::MulIOp::create(nb, l, stride, dim));
          }
          Value v = tensor::ExtractOp::create(nb, l, flatX, ValueRange{j});
          Value cur = tensor::ExtractOp::create(nb, l, acc[0], ValueRange{o});
          Value sum = isFloat(et) ? (Value)arith::AddFOp::create(nb, l, cur, v)
                                  : (Value)arith::AddIOp::create(nb, l, cur, v);
          scf::YieldOp::create(nb, l, ValueRange{tensor::InsertOp::create(nb, l, sum, acc[0], ValueRange{o})});
        });
    Value r = loop.getResult(0);
    if (r.getType() != op.getType())
      r = tensor::BitcastOp::create(b, loc, op.getType(), r);
    b.replaceOp(op, r);
    return success();
  }
};

/// One parallel generic over the bound: each element unravels its index by
/// the run-time dims and reads the input; elements past the count are 0.
struct StridedGatherLowering : OpRewritePattern<StridedGatherOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(StridedGatherOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    Value x = toSignless(b, loc, op.getInput());
    auto t = typeOf(x);
    Type et = t.getElementType();
    int64_t rank = t.getRank(), n = t.getNumElements();
    auto outType = RankedTensorType::get({n}, et);
    MLIRContext *ctx = b.getContext();
    auto g = linalg::GenericOp::create(
        b, loc, outType, ValueRange{}, ValueRange{emptyLike(b, loc, outType)},
        SmallVector<AffineMap>{AffineMap::getMultiDimIdentityMap(1, ctx)},
        SmallVector<utils::IteratorType>{utils::IteratorType::parallel},
        [&](OpBuilder &nb, Location l, ValueRange) {
          Type i64 = nb.getI64Type();
          auto at = [&](Value v, int64_t d) {
            return tensor::ExtractOp::create(nb, l, v, ValueRange{arith::ConstantIndexOp::create(nb, l, d)})
                .getResult();
          };
          Value k = arith::IndexCastOp::create(nb, l, i64, linalg::IndexOp::create(nb, l, 0));
          Value rest = k, count = cst(nb, l, i64, 1);
          SmallVector<Value> coords(rank);
          for (int64_t d = rank - 1; d >= 0; --d) {
            Value dim = arith::MaxSIOp::create(nb, l, at(op.getDims(), d), cst(nb, l, i64, 1));
            coords[d] = arith::RemSIOp::create(nb, l, rest, dim);
            rest = arith::DivSIOp::create(nb, l, rest, dim);
            count = arith::MulIOp::create(nb, l, count, at(op.getDims(), d));
          }
          SmallVector<Value> index;
          for (int64_t d = 0; d < rank; ++d) {
            Value i = arith::AddIOp::create(
                nb, l, at(op.getStarts(), d),
                arith::MulIOp::create(nb, l, coords[d], at(op.getSteps(), d)));
            // Clamped so a malformed bound can never read outside the input.
            i = arith::MinSIOp::create(nb, l, arith::MaxSIOp::create(nb, l, i, cst(nb, l, i64, 0)),
                                       cst(nb, l, i64, t.getDimSize(d) - 1));
            index.push_back(arith::IndexCastOp::create(nb, l, nb.getIndexType(), i));
          }
          Value v = rank ? tensor::ExtractOp::create(nb, l, x, index).getResult()
                         : tensor::ExtractOp::create(nb, l, x, ValueRange{}).getResult();
          Value inside = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, k, count);
          linalg::YieldOp::create(nb, l, arith::SelectOp::create(nb, l, inside, v, cst(nb, l, et, 0)).getResult());
        });
    Value r = g.getResult(0);
    if (r.getType() != op.getType())
      r = tensor::BitcastOp::create(b, loc, op.getType(), r);
    b.replaceOp(op, r);
    return success();
  }
};

} // namespace

void mlir::nuri::populateMathLowerings(RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<SinLowering, CosLowering, TanLowering, AsinLowering, AcosLowering, AtanLowering,
               SinhLowering, CoshLowering, AsinhLowering, AcoshLowering, AtanhLowering,
               CeilLowering, FloorLowering, RoundLowering, SignLowering, ReciprocalLowering,
               SoftplusLowering, SoftsignLowering, MishLowering, NotLowering, EluLowering,
               SeluLowering, CeluLowering, ThresholdedReluLowering, ShrinkLowering, GeluLowering,
               IsNaNLowering, IsInfLowering, ModLowering, AndLowering, OrLowering, XorLowering,
               BitShiftLowering, PReluLowering, WhereLowering,
               ReduceCombineLowering<ReduceMaxOp, Combine::Max>,
               ReduceCombineLowering<ReduceMinOp, Combine::Min>,
               ReduceCombineLowering<ReduceProdOp, Combine::Prod>, ArgLowering<ArgMaxOp, true>,
               ArgLowering<ArgMinOp, false>, LogSoftmaxLowering, HardmaxLowering,
               ReduceSumMaskedLowering, StridedGatherLowering>(ctx);
  using F = arith::CmpFPredicate;
  using I = arith::CmpIPredicate;
  patterns.add<CompareLowering<EqualOp>>(ctx, F::OEQ, I::eq, I::eq);
  patterns.add<CompareLowering<LessOp>>(ctx, F::OLT, I::slt, I::ult);
  patterns.add<CompareLowering<LessEqualOp>>(ctx, F::OLE, I::sle, I::ule);
  patterns.add<CompareLowering<GreaterOp>>(ctx, F::OGT, I::sgt, I::ugt);
  patterns.add<CompareLowering<GreaterEqualOp>>(ctx, F::OGE, I::sge, I::uge);
}
