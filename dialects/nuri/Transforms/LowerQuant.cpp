//===- LowerQuant.cpp - nuri -> linalg: quantization, integer contractions ===//
//
// (De)quantization is elementwise with the per-axis parameters broadcast
// along their axis. Integer matmul and convolution widen their 8/16-bit
// operands to i32, subtract the zero points and accumulate in i32 (as ONNX
// Runtime does), in linalg.generic contractions of any batch or spatial
// rank. The determinant is an LU decomposition with partial pivoting per
// matrix, in scf loops.
//
//===----------------------------------------------------------------------===//
#include "dialects/nuri/Transforms/LoweringUtils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

#include <cmath>

using namespace mlir;
using namespace mlir::nuri;

namespace {

bool isUnsigned(Value v) { return getElementTypeOrSelf(v.getType()).isUnsignedInteger(); }

/// toSignless, except that constants (an absent zero point is one) become
/// signless constants: a tensor.bitcast of a constant would be a dispatch of
/// its own that does not bufferize.
Value signlessOperand(OpBuilder &b, Location loc, Value v) {
  Type et = signless(typeOf(v).getElementType());
  if (et == typeOf(v).getElementType())
    return v;
  DenseElementsAttr value;
  if (auto c = v.getDefiningOp<ConstantOp>())
    value = dyn_cast<DenseElementsAttr>(c.getValue());
  else if (auto c = v.getDefiningOp<arith::ConstantOp>())
    value = dyn_cast<DenseElementsAttr>(c.getValue());
  if (value)
    return arith::ConstantOp::create(b, loc, value.bitcast(et));
  return toSignless(b, loc, v);
}

/// A per-axis parameter (1-D, along `axis`) reshaped to broadcast against a
/// tensor of rank `rank`; rank-0 parameters stay as they are.
Value alongAxis(OpBuilder &b, Location loc, Value param, int64_t axis, int64_t rank) {
  auto t = typeOf(param);
  if (t.getRank() == 0)
    return param;
  SmallVector<int64_t> shape(rank, 1);
  shape[axis] = t.getDimSize(0);
  return reshapeTo(b, loc, param, shape);
}

/// An integer widened to `to` (sign- or zero-extended).
Value widen(OpBuilder &b, Location loc, Value v, Type to, bool uns) {
  return convertScalar(b, loc, v, to, uns, false);
}

/// The saturation bounds of an integer type of `width` bits.
std::pair<double, double> intRange(unsigned width, bool uns) {
  if (uns)
    return {0.0, std::ldexp(1.0, width) - 1};
  return {-std::ldexp(1.0, width - 1), std::ldexp(1.0, width - 1) - 1};
}

struct QuantizeLinearLowering : OpRewritePattern<QuantizeLinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeLinearOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    auto outType = op.getType();
    int64_t rank = outType.getRank(), axis = op.getAxis();
    bool uns = isUnsigned(op.getZeroPoint());
    Type qt = signless(outType.getElementType());
    Value scale = alongAxis(b, loc, op.getScale(), axis, rank);
    Value zp = alongAxis(b, loc, signlessOperand(b, loc, op.getZeroPoint()), axis, rank);
    std::pair<double, double> range = intRange(qt.getIntOrFloatBitWidth(), uns);
    Value r = elementwise(
        b, loc, outType.clone(qt), {op.getInput(), scale, zp},
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          // 16-bit floats divide in f32: x / scale rounded once.
          Type ft = a[0].getType().getIntOrFloatBitWidth() < 32 ? nb.getF32Type()
                                                                : a[0].getType();
          Value x = convertScalar(nb, l, a[0], ft), s = convertScalar(nb, l, a[1], ft);
          Value q = math::RoundEvenOp::create(nb, l, arith::DivFOp::create(nb, l, x, s));
          q = arith::AddFOp::create(nb, l, q, convertScalar(nb, l, a[2], ft, uns));
          // maxnum/minnum: NaN saturates to the lower bound instead of poison.
          q = arith::MaxNumFOp::create(nb, l, q, cst(nb, l, ft, range.first));
          q = arith::MinNumFOp::create(nb, l, q, cst(nb, l, ft, range.second));
          return convertScalar(nb, l, q, qt, false, uns);
        });
    if (qt != outType.getElementType())
      r = tensor::BitcastOp::create(b, loc, outType, r);
    b.replaceOp(op, r);
    return success();
  }
};

struct DequantizeLinearLowering : OpRewritePattern<DequantizeLinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DequantizeLinearOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    auto outType = op.getType();
    int64_t rank = outType.getRank(), axis = op.getAxis();
    bool uns = isUnsigned(op.getInput());
    Type ft = outType.getElementType();
    unsigned width = getElementTypeOrSelf(op.getInput().getType()).getIntOrFloatBitWidth();
    // The difference is exact in i32 for narrow types, in i64 for i32 inputs.
    Type wide = width < 32 ? b.getI32Type() : b.getI64Type();
    Value scale = alongAxis(b, loc, op.getScale(), axis, rank);
    Value zp = alongAxis(b, loc, signlessOperand(b, loc, op.getZeroPoint()), axis, rank);
    Value r = elementwise(
        b, loc, outType, {signlessOperand(b, loc, op.getInput()), scale, zp},
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          Type ct = ft.getIntOrFloatBitWidth() < 32 ? nb.getF32Type() : ft;
          Value d = arith::SubIOp::create(nb, l, widen(nb, l, a[0], wide, uns),
                                          widen(nb, l, a[2], wide, uns));
          Value y = arith::MulFOp::create(nb, l, convertScalar(nb, l, d, ct),
                                          convertScalar(nb, l, a[1], ct));
          return convertScalar(nb, l, y, ft);
        });
    b.replaceOp(op, r);
    return success();
  }
};

/// out[batch..., m, n] = sum_k (lhs[.., m, k] - lzp[m]) * (rhs[.., k, n] - rzp[n]) in i32.
struct MatMulIntegerLowering : OpRewritePattern<MatMulIntegerOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatMulIntegerOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = b.getContext();
    bool lu = isUnsigned(op.getLhs()), ru = isUnsigned(op.getRhs());
    Value lhs = signlessOperand(b, loc, op.getLhs()), rhs = signlessOperand(b, loc, op.getRhs());
    Value lzp = signlessOperand(b, loc, op.getLhsZeroPoint());
    Value rzp = signlessOperand(b, loc, op.getRhsZeroPoint());
    if (typeOf(lhs).getRank() == 1)
      lhs = reshapeTo(b, loc, lhs, {1, typeOf(lhs).getDimSize(0)});
    if (typeOf(rhs).getRank() == 1)
      rhs = reshapeTo(b, loc, rhs, {typeOf(rhs).getDimSize(0), 1});
    auto ls = typeOf(lhs).getShape(), rs = typeOf(rhs).getShape();
    auto batch = *broadcastShapes(ls.drop_back(2), rs.drop_back(2));
    int64_t nb = batch.size(), nd = nb + 3; // dims: batch..., m, n, k
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    auto operandMap = [&](ArrayRef<int64_t> shape, AffineExpr r, AffineExpr c) {
      SmallVector<AffineExpr> e;
      int64_t off = nb - (shape.size() - 2);
      for (size_t i = 0; i + 2 < shape.size(); ++i)
        e.push_back(shape[i] == 1 && batch[i + off] != 1 ? getAffineConstantExpr(0, ctx)
                                                          : d(i + off));
      e.push_back(r);
      e.push_back(c);
      return AffineMap::get(nd, 0, e, ctx);
    };
    auto zpMap = [&](Value zp, AffineExpr e) {
      return typeOf(zp).getRank() == 0 ? AffineMap::get(nd, 0, ctx) : AffineMap::get(nd, 0, e);
    };
    SmallVector<int64_t> outShape(batch);
    outShape.push_back(ls[ls.size() - 2]);
    outShape.push_back(rs.back());
    auto outType = RankedTensorType::get(outShape, b.getI32Type());
    SmallVector<AffineExpr> outExprs;
    for (int64_t i = 0; i < nb + 2; ++i)
      outExprs.push_back(d(i));
    SmallVector<AffineMap> maps{operandMap(ls, d(nb), d(nb + 2)),
                                operandMap(rs, d(nb + 2), d(nb + 1)), zpMap(lzp, d(nb)),
                                zpMap(rzp, d(nb + 1)), AffineMap::get(nd, 0, outExprs, ctx)};
    SmallVector<utils::IteratorType> iters(nd - 1, utils::IteratorType::parallel);
    iters.push_back(utils::IteratorType::reduction);
    Type i32 = b.getI32Type();
    Value result =
        linalg::GenericOp::create(
            b, loc, outType, ValueRange{lhs, rhs, lzp, rzp}, ValueRange{fill(b, loc, outType, 0)},
            maps, iters,
            [&](OpBuilder &nb2, Location l, ValueRange a) {
              Value x = arith::SubIOp::create(nb2, l, widen(nb2, l, a[0], i32, lu),
                                              widen(nb2, l, a[2], i32, lu));
              Value y = arith::SubIOp::create(nb2, l, widen(nb2, l, a[1], i32, ru),
                                              widen(nb2, l, a[3], i32, ru));
              Value s = arith::AddIOp::create(nb2, l, a[4], arith::MulIOp::create(nb2, l, x, y));
              linalg::YieldOp::create(nb2, l, s);
            })
            .getResult(0);
    b.replaceOp(op, reshapeTo(b, loc, result, op.getType()));
    return success();
  }
};

/// Zero-point-free i32 copy of an integer tensor: widen(v) - widen(zp).
Value centered(OpBuilder &b, Location loc, Value v, Value zp) {
  bool uns = isUnsigned(v);
  Type i32 = b.getI32Type();
  return elementwise(b, loc, typeOf(v).clone(i32),
                     {signlessOperand(b, loc, v), signlessOperand(b, loc, zp)},
                     [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                       return arith::SubIOp::create(nb, l, widen(nb, l, a[0], i32, uns),
                                                    widen(nb, l, a[1], i32, uns));
                     });
}

/// Grouped N-d convolution in i32 on centered operands; padding is 0 there,
/// which is the input's zero point before centering.
struct ConvIntegerLowering : OpRewritePattern<ConvIntegerOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConvIntegerOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = b.getContext();
    auto xt = op.getInput().getType(), wt = op.getWeight().getType();
    auto outType = op.getType();
    int64_t s = xt.getRank() - 2, g = op.getGroup();
    int64_t n = xt.getDimSize(0), c = xt.getDimSize(1), m = wt.getDimSize(0);
    Value x = centered(b, loc, op.getInput(), op.getInputZeroPoint());
    Value wzp = signlessOperand(b, loc, op.getWeightZeroPoint());
    if (typeOf(wzp).getRank() == 1) {
      SmallVector<int64_t> shape(wt.getRank(), 1);
      shape[0] = m;
      wzp = reshapeTo(b, loc, wzp, shape);
    }
    Value w = centered(b, loc, op.getWeight(), wzp);
    // Zero padding: fill + insert_slice.
    ArrayRef<int64_t> pads = op.getPads();
    if (llvm::any_of(pads, [](int64_t p) { return p != 0; })) {
      SmallVector<int64_t> padded{n, c}, offsets{0, 0}, strides(s + 2, 1);
      for (int64_t i = 0; i < s; ++i) {
        padded.push_back(xt.getDimSize(2 + i) + pads[i] + pads[s + i]);
        offsets.push_back(pads[i]);
      }
      Value dest = fill(b, loc, typeOf(x).clone(padded), 0);
      x = tensor::InsertSliceOp::create(b, loc, x, dest, ValueRange{}, ValueRange{},
                                        ValueRange{}, offsets, xt.getShape(), strides);
    }
    // x as [n, g, c/g, spatial...], w as [g, m/g, c/g, kernel...].
    SmallVector<int64_t> xs{n, g, c / g}, ws{g, m / g, c / g}, os{n, g, m / g};
    for (int64_t i = 0; i < s; ++i) {
      xs.push_back(typeOf(x).getDimSize(2 + i));
      ws.push_back(wt.getDimSize(2 + i));
      os.push_back(outType.getDimSize(2 + i));
    }
    x = reshapeTo(b, loc, x, xs);
    w = reshapeTo(b, loc, w, ws);
    // dims: n, g, f, out..., ci, k...
    int64_t nd = 4 + 2 * s;
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    SmallVector<AffineExpr> xe{d(0), d(1), d(3 + s)}, we{d(1), d(2), d(3 + s)},
        oe{d(0), d(1), d(2)};
    for (int64_t i = 0; i < s; ++i) {
      xe.push_back(d(3 + i) * op.getStrides()[i] + d(4 + s + i) * op.getDilations()[i]);
      we.push_back(d(4 + s + i));
      oe.push_back(d(3 + i));
    }
    SmallVector<AffineMap> maps{AffineMap::get(nd, 0, xe, ctx), AffineMap::get(nd, 0, we, ctx),
                                AffineMap::get(nd, 0, oe, ctx)};
    SmallVector<utils::IteratorType> iters(3 + s, utils::IteratorType::parallel);
    iters.append(1 + s, utils::IteratorType::reduction);
    auto gOut = outType.clone(os);
    Value y = linalg::GenericOp::create(
                  b, loc, gOut, ValueRange{x, w}, ValueRange{fill(b, loc, gOut, 0)}, maps, iters,
                  [](OpBuilder &nb, Location l, ValueRange a) {
                    Value p = arith::MulIOp::create(nb, l, a[0], a[1]);
                    linalg::YieldOp::create(nb, l,
                                            arith::AddIOp::create(nb, l, a[2], p).getResult());
                  })
                  .getResult(0);
    b.replaceOp(op, reshapeTo(b, loc, y, outType));
    return success();
  }
};


//===----------------------------------------------------------------------===//
// Det: LU decomposition with partial pivoting, one matrix at a time.
//===----------------------------------------------------------------------===//

Value idx(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// scf.for from lb to ub (step 1) carrying `init`.
ValueRange forLoop(OpBuilder &b, Location loc, Value lb, Value ub, ValueRange init,
                   function_ref<SmallVector<Value>(OpBuilder &, Location, Value, ValueRange)> fn) {
  auto loop = scf::ForOp::create(
      b, loc, lb, ub, idx(b, loc, 1), init,
      [&](OpBuilder &nb, Location l, Value iv, ValueRange args) {
        scf::YieldOp::create(nb, l, fn(nb, l, iv, args));
      });
  return loop.getResults();
}

struct DetLowering : OpRewritePattern<DetOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DetOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    auto in = op.getInput().getType();
    Type et = in.getElementType();
    int64_t n = in.getShape().back();
    int64_t count = op.getType().getNumElements();
    // Accumulate in f32 for 16-bit floats.
    Type ct = et.getIntOrFloatBitWidth() < 32 ? b.getF32Type() : et;
    Value mats = reshapeTo(b, loc, op.getInput(), {count, n, n});
    if (ct != et)
      mats = elementwise(b, loc, typeOf(mats).clone(ct), {mats},
                         [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                           return convertScalar(nb, l, a[0], ct);
                         });
    // The determinants stay in a tensor updated inside the loops: a loop
    // nest yielding a bare scalar would split the dispatch at a scalar.
    Value dets = fill(b, loc, RankedTensorType::get({count}, ct), 1);
    Value zero = idx(b, loc, 0), nIdx = idx(b, loc, n), one = idx(b, loc, 1);
    auto get = [](OpBuilder &nb, Location l, Value t, ValueRange at) -> Value {
      return tensor::ExtractOp::create(nb, l, t, at);
    };
    auto put = [](OpBuilder &nb, Location l, Value v, Value t, ValueRange at) -> Value {
      return tensor::InsertOp::create(nb, l, v, t, at);
    };
    ValueRange out = forLoop(
        b, loc, zero, idx(b, loc, count), {mats, dets},
        [&](OpBuilder &b1, Location l1, Value m, ValueRange a1) -> SmallVector<Value> {
          ValueRange res = forLoop(
              b1, l1, zero, nIdx, {a1[0], a1[1]},
              [&](OpBuilder &b2, Location l2, Value k, ValueRange a2) -> SmallVector<Value> {
                Value A = a2[0], det = get(b2, l2, a2[1], {m});
                // Pivot: the row at or below k with the largest |A[i, k]|.
                Value kp1 = arith::AddIOp::create(b2, l2, k, one);
                Value absKK = math::AbsFOp::create(b2, l2, get(b2, l2, A, {m, k, k}));
                ValueRange piv = forLoop(
                    b2, l2, kp1, nIdx, {k, absKK},
                    [&](OpBuilder &b3, Location l3, Value i, ValueRange a3) -> SmallVector<Value> {
                      Value v = math::AbsFOp::create(b3, l3, get(b3, l3, A, {m, i, k}));
                      Value better =
                          arith::CmpFOp::create(b3, l3, arith::CmpFPredicate::OGT, v, a3[1]);
                      return {arith::SelectOp::create(b3, l3, better, i, a3[0]),
                              arith::SelectOp::create(b3, l3, better, v, a3[1])};
                    });
                Value p = piv[0];
                // Swap rows k and p (a no-op when equal); a swap negates det.
                A = forLoop(b2, l2, zero, nIdx, {A},
                            [&](OpBuilder &b3, Location l3, Value j,
                                ValueRange a3) -> SmallVector<Value> {
                              Value rk = get(b3, l3, a3[0], {m, k, j});
                              Value rp = get(b3, l3, a3[0], {m, p, j});
                              Value t = put(b3, l3, rp, a3[0], {m, k, j});
                              return {put(b3, l3, rk, t, {m, p, j})};
                            })[0];
                Value swapped =
                    arith::CmpIOp::create(b2, l2, arith::CmpIPredicate::ne, p, k);
                det = arith::SelectOp::create(b2, l2, swapped,
                                              arith::NegFOp::create(b2, l2, det), det);
                Value pivot = get(b2, l2, A, {m, k, k});
                det = arith::MulFOp::create(b2, l2, det, pivot);
                // Eliminate below the pivot; a zero pivot leaves det at 0 and
                // the rows untouched (no inf/NaN).
                Value zeroPivot = arith::CmpFOp::create(b2, l2, arith::CmpFPredicate::OEQ, pivot,
                                                        cst(b2, l2, ct, 0));
                A = forLoop(
                    b2, l2, kp1, nIdx, {A},
                    [&](OpBuilder &b3, Location l3, Value i, ValueRange a3) -> SmallVector<Value> {
                      Value f = arith::DivFOp::create(b3, l3, get(b3, l3, a3[0], {m, i, k}), pivot);
                      f = arith::SelectOp::create(b3, l3, zeroPivot, cst(b3, l3, ct, 0), f);
                      return forLoop(b3, l3, kp1, nIdx, {a3[0]},
                                     [&](OpBuilder &b4, Location l4, Value j,
                                         ValueRange a4) -> SmallVector<Value> {
                                       Value x = get(b4, l4, a4[0], {m, i, j});
                                       Value y = get(b4, l4, a4[0], {m, k, j});
                                       Value r = arith::SubFOp::create(
                                           b4, l4, x, arith::MulFOp::create(b4, l4, f, y));
                                       return {put(b4, l4, r, a4[0], {m, i, j})};
                                     });
                    })[0];
                return {A, put(b2, l2, det, a2[1], {m})};
              });
          return {res[0], res[1]};
        });
    Value r = out[1];
    if (ct != et)
      r = elementwise(b, loc, typeOf(r).clone(et), {r},
                      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                        return convertScalar(nb, l, a[0], et);
                      });
    b.replaceOp(op, reshapeTo(b, loc, r, op.getType()));
    return success();
  }
};

} // namespace

void mlir::nuri::populateQuantLowerings(RewritePatternSet &patterns) {
  patterns.add<QuantizeLinearLowering, DequantizeLinearLowering, MatMulIntegerLowering,
               ConvIntegerLowering, DetLowering>(patterns.getContext());
}
