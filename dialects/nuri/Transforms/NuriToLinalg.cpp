//===- NuriToLinalg.cpp - nuri ops to linalg on tensors -------------------===//
//
// One pattern per op. Elementwise ops become linalg.generic with
// broadcasting expressed in the indexing maps; contractions become generic
// contractions or named ops the CPU pipeline tiles and vectorizes; windows
// (conv, pool) read an explicitly padded copy of their input (fill +
// insert_slice), so the window ops themselves see no padding.
//
//===----------------------------------------------------------------------===//
#include "dialects/nuri/IR/NuriDialect.h"
#include "dialects/nuri/Transforms/LoweringUtils.h"
#include "dialects/nuri/Transforms/Passes.h"

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <limits>

namespace mlir::nuri {
#define GEN_PASS_DEF_NURITOLINALG
#include "dialects/nuri/Transforms/Passes.h.inc"
} // namespace mlir::nuri

using namespace mlir;
using namespace mlir::nuri;

namespace {

NURI_EW(AddLowering, AddOp,
        return isFloat(t) ? (Value)arith::AddFOp::create(b, loc, a[0], a[1])
                          : (Value)arith::AddIOp::create(b, loc, a[0], a[1]);)
NURI_EW(SubLowering, SubOp,
        return isFloat(t) ? (Value)arith::SubFOp::create(b, loc, a[0], a[1])
                          : (Value)arith::SubIOp::create(b, loc, a[0], a[1]);)
NURI_EW(MulLowering, MulOp,
        return isFloat(t) ? (Value)arith::MulFOp::create(b, loc, a[0], a[1])
                          : (Value)arith::MulIOp::create(b, loc, a[0], a[1]);)
NURI_EW(DivLowering, DivOp,
        if (isFloat(t)) return arith::DivFOp::create(b, loc, a[0], a[1]);
        return uns ? (Value)arith::DivUIOp::create(b, loc, a[0], a[1])
                   : (Value)arith::DivSIOp::create(b, loc, a[0], a[1]);)
NURI_EW(MaxLowering, MaxOp,
        if (isFloat(t)) return arith::MaximumFOp::create(b, loc, a[0], a[1]);
        return uns ? (Value)arith::MaxUIOp::create(b, loc, a[0], a[1])
                   : (Value)arith::MaxSIOp::create(b, loc, a[0], a[1]);)
NURI_EW(MinLowering, MinOp,
        if (isFloat(t)) return arith::MinimumFOp::create(b, loc, a[0], a[1]);
        return uns ? (Value)arith::MinUIOp::create(b, loc, a[0], a[1])
                   : (Value)arith::MinSIOp::create(b, loc, a[0], a[1]);)
NURI_EW(PowLowering, PowOp, {
  Value base = a[0];
  Value e = a[1];
  Type et = e.getType();
  if (isFloat(t)) { // float base: any exponent is converted to the base type
    e = convertScalar(b, loc, e, t,
                      getElementTypeOrSelf(op.getRhs().getType()).isUnsignedInteger());
    return math::PowFOp::create(b, loc, base, e);
  }
  if (!isFloat(et)) // integer ** integer stays exact
    return math::IPowIOp::create(b, loc, base, convertScalar(b, loc, e, t));
  // integer ** float: computed in the exponent's type, truncated like ONNX Runtime
  Value r = math::PowFOp::create(b, loc, convertScalar(b, loc, base, et), e);
  return convertScalar(b, loc, r, t);
})
NURI_EW(ReluLowering, ReluOp,
        if (uns) return a[0];
        return isFloat(t) ? (Value)arith::MaximumFOp::create(b, loc, a[0], cst(b, loc, t, 0))
                          : (Value)arith::MaxSIOp::create(b, loc, a[0], cst(b, loc, t, 0));)
NURI_EW(SigmoidLowering, SigmoidOp, {
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, a[0]));
  return arith::DivFOp::create(b, loc, cst(b, loc, t, 1),
                               arith::AddFOp::create(b, loc, cst(b, loc, t, 1), e));
})
NURI_EW(TanhLowering, TanhOp, return math::TanhOp::create(b, loc, a[0]);)
NURI_EW(ErfLowering, ErfOp, return math::ErfOp::create(b, loc, a[0]);)
NURI_EW(ExpLowering, ExpOp, return math::ExpOp::create(b, loc, a[0]);)
NURI_EW(LogLowering, LogOp, return math::LogOp::create(b, loc, a[0]);)
NURI_EW(SqrtLowering, SqrtOp, return math::SqrtOp::create(b, loc, a[0]);)
NURI_EW(NegLowering, NegOp,
        return isFloat(t) ? (Value)arith::NegFOp::create(b, loc, a[0])
                          : (Value)arith::SubIOp::create(b, loc, cst(b, loc, t, 0), a[0]);)
NURI_EW(AbsLowering, AbsOp,
        return isFloat(t) ? (Value)math::AbsFOp::create(b, loc, a[0])
                          : (Value)math::AbsIOp::create(b, loc, a[0]);)
NURI_EW(HardSwishLowering, HardSwishOp, {
  Value y = arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, a[0], cst(b, loc, t, 1.0 / 6)),
                                  cst(b, loc, t, 0.5));
  y = arith::MinimumFOp::create(b, loc, arith::MaximumFOp::create(b, loc, y, cst(b, loc, t, 0)),
                                cst(b, loc, t, 1));
  return arith::MulFOp::create(b, loc, a[0], y);
})
NURI_EW(LeakyReluLowering, LeakyReluOp, {
  Value neg = arith::MulFOp::create(b, loc, a[0], cst(b, loc, t, op.getAlpha().convertToFloat()));
  Value ge = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE, a[0], cst(b, loc, t, 0));
  return arith::SelectOp::create(b, loc, ge, a[0], neg);
})
NURI_EW(HardSigmoidLowering, HardSigmoidOp, {
  Value y = arith::AddFOp::create(
      b, loc, arith::MulFOp::create(b, loc, a[0], cst(b, loc, t, op.getAlpha().convertToFloat())),
      cst(b, loc, t, op.getBeta().convertToFloat()));
  return arith::MinimumFOp::create(b, loc, arith::MaximumFOp::create(b, loc, y, cst(b, loc, t, 0)),
                                   cst(b, loc, t, 1));
})
NURI_EW(ClipLowering, ClipOp, {
  if (isFloat(t))
    return arith::MinimumFOp::create(b, loc, arith::MaximumFOp::create(b, loc, a[0], a[1]), a[2]);
  if (uns)
    return arith::MinUIOp::create(b, loc, arith::MaxUIOp::create(b, loc, a[0], a[1]), a[2]);
  return arith::MinSIOp::create(b, loc, arith::MaxSIOp::create(b, loc, a[0], a[1]), a[2]);
})
#undef NURI_EW

struct CastLowering : ElementwisePattern<CastOp> {
  using ElementwisePattern::ElementwisePattern;
  Value body(OpBuilder &b, Location loc, CastOp op, ValueRange a, bool uns) const override {
    Type to = op.getType().getElementType();
    Value v = a[0];
    if (isFloat8(v.getType())) {
      v = decodeFloat8(b, loc, v);
      uns = false;
    }
    if (isFloat8(to))
      return encodeFloat8(b, loc, convertScalar(b, loc, v, b.getF32Type(), uns), to,
                          op.getSaturate());
    return convertScalar(b, loc, v, signless(to), uns, to.isUnsignedInteger());
  }
};

//===----------------------------------------------------------------------===//
// MatMul: a generic contraction with broadcast batch dimensions.
//===----------------------------------------------------------------------===//

struct MatMulLowering : OpRewritePattern<MatMulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatMulOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    if (op.getType().getElementType().isUnsignedInteger())
      return b.notifyMatchFailure(op, "unsigned matmul is not lowered yet");
    Value lhs = op.getLhs(), rhs = op.getRhs();
    if (typeOf(lhs).getRank() == 1)
      lhs = reshapeTo(b, loc, lhs, {1, typeOf(lhs).getDimSize(0)});
    if (typeOf(rhs).getRank() == 1)
      rhs = reshapeTo(b, loc, rhs, {typeOf(rhs).getDimSize(0), 1});
    auto ls = typeOf(lhs).getShape(), rs = typeOf(rhs).getShape();
    auto batch = *broadcastShapes(ls.drop_back(2), rs.drop_back(2));
    int64_t nb = batch.size();
    SmallVector<int64_t> outShape(batch);
    outShape.push_back(ls[ls.size() - 2]);
    outShape.push_back(rs.back());
    Type et = typeOf(lhs).getElementType();
    auto outType = RankedTensorType::get(outShape, et);
    // Symbolic extents: batch dims from the operand that has them, m from
    // the lhs, n from the rhs.
    SmallVector<Value> dyn = dynamicSizes(b, loc, outType, [&](int64_t d) -> std::pair<Value, int64_t> {
      if (d == nb)
        return {lhs, (int64_t)ls.size() - 2};
      if (d == nb + 1)
        return {rhs, (int64_t)rs.size() - 1};
      int64_t kl = d - (nb - ((int64_t)ls.size() - 2)), kr = d - (nb - ((int64_t)rs.size() - 2));
      if (kl >= 0 && ShapedType::isDynamic(ls[kl]))
        return {lhs, kl};
      return {rhs, kr};
    });
    Value result;
    if (nb == 0 && isFloat(et)) {
      result = linalg::MatmulOp::create(b, loc, ValueRange{lhs, rhs},
                                        ValueRange{fill(b, loc, outType, 0, dyn)})
                   .getResult(0);
    } else {
      // dims: batch..., m, n, k
      MLIRContext *ctx = b.getContext();
      int64_t nd = nb + 3;
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
      SmallVector<AffineExpr> outExprs;
      for (int64_t i = 0; i < nb + 2; ++i)
        outExprs.push_back(d(i));
      SmallVector<AffineMap> maps{operandMap(ls, d(nb), d(nb + 2)),
                                  operandMap(rs, d(nb + 2), d(nb + 1)),
                                  AffineMap::get(nd, 0, outExprs, ctx)};
      SmallVector<utils::IteratorType> iters(nd - 1, utils::IteratorType::parallel);
      iters.push_back(utils::IteratorType::reduction);
      result = linalg::GenericOp::create(
                   b, loc, outType, ValueRange{lhs, rhs}, ValueRange{fill(b, loc, outType, 0, dyn)},
                   maps, iters,
                   [&](OpBuilder &nb2, Location l, ValueRange a) {
                     Value p = isFloat(et) ? (Value)arith::MulFOp::create(nb2, l, a[0], a[1])
                                           : (Value)arith::MulIOp::create(nb2, l, a[0], a[1]);
                     Value s = isFloat(et) ? (Value)arith::AddFOp::create(nb2, l, a[2], p)
                                           : (Value)arith::AddIOp::create(nb2, l, a[2], p);
                     linalg::YieldOp::create(nb2, l, s);
                   })
                   .getResult(0);
    }
    b.replaceOp(op, reshapeTo(b, loc, result, op.getType()));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Windows: conv and pooling (1-D is lowered as 2-D with height 1).
//===----------------------------------------------------------------------===//

Value padTo(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> low,
            ArrayRef<int64_t> high, double value) {
  if (llvm::all_of(low, [](int64_t v) { return v == 0; }) &&
      llvm::all_of(high, [](int64_t v) { return v == 0; }))
    return x;
  auto t = typeOf(x);
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < t.getRank(); ++d)
    shape.push_back(t.isDynamicDim(d) ? ShapedType::kDynamic : t.getDimSize(d) + low[d] + high[d]);
  // fill + insert_slice rather than tensor.pad: it becomes its own dispatch
  // that writes the padded tensor once, instead of being recomputed in
  // every workgroup tile of the convolution that reads it. Symbolic
  // dimensions (a batch) are not padded.
  SmallVector<Value> dyn = dynamicSizes(b, loc, x);
  Value padded = fill(b, loc, t.clone(shape), value, dyn);
  SmallVector<OpFoldResult> offsets, strides(t.getRank(), b.getIndexAttr(1));
  for (int64_t l : low)
    offsets.push_back(b.getIndexAttr(l));
  return tensor::InsertSliceOp::create(b, loc, x, padded, offsets,
                                       tensor::getMixedSizes(b, loc, x), strides);
}

struct Window2D {
  SmallVector<int64_t> kernel, strides, dilations, padLow, padHigh;
};

/// Brings a 1-D or 2-D window op to 2-D form; fails for other ranks.
FailureOr<Window2D> window2D(ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                             ArrayRef<int64_t> dilations, ArrayRef<int64_t> pads) {
  Window2D w;
  size_t n = kernel.size();
  if (n == 2) {
    w.kernel.assign(kernel.begin(), kernel.end());
    w.strides.assign(strides.begin(), strides.end());
    w.dilations.assign(dilations.begin(), dilations.end());
    w.padLow = {pads[0], pads[1]};
    w.padHigh = {pads[2], pads[3]};
    return w;
  }
  if (n == 1) {
    w.kernel = {1, kernel[0]};
    w.strides = {1, strides[0]};
    w.dilations = {1, dilations[0]};
    w.padLow = {0, pads[0]};
    w.padHigh = {0, pads[1]};
    return w;
  }
  return failure();
}

/// Weights as [C, KH, KW, F]: filters contiguous, so a CPU tile loads 16
/// filters' weights for one (c, kh, kw) as one vector. Constant weights are
/// permuted at compile time.
Value filtersLast(OpBuilder &b, Location loc, Value w) {
  auto t = typeOf(w);
  SmallVector<int64_t> perm{1, 2, 3, 0};
  SmallVector<int64_t> shape{t.getDimSize(1), t.getDimSize(2), t.getDimSize(3),
                             t.getDimSize(0)};
  auto outType = t.clone(shape);
  DenseElementsAttr dense;
  if (auto c = w.getDefiningOp<arith::ConstantOp>())
    dense = dyn_cast<DenseElementsAttr>(c.getValue());
  else if (auto c = w.getDefiningOp<ConstantOp>())
    dense = dyn_cast<DenseElementsAttr>(c.getValue());
  if (dense)
    if (auto permuted = transposeElements(dense, perm, outType))
      return arith::ConstantOp::create(b, loc, permuted);
  return linalg::TransposeOp::create(b, loc, w, emptyLike(b, loc, outType), perm)
      .getResult()[0];
}

/// out[n, f, oh, ow] += in[n, c, oh*s + kh*d, ow*s + kw*d] * w[c, kh, kw, f],
/// marked `nuri.conv` for the targets' tiling.
Value filterLastConv(OpBuilder &b, Location loc, Value x, Value w,
                     RankedTensorType outType, ArrayRef<int64_t> strides,
                     ArrayRef<int64_t> dilations) {
  MLIRContext *ctx = b.getContext();
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  // n=0 f=1 oh=2 ow=3 c=4 kh=5 kw=6
  SmallVector<AffineMap> maps{
      AffineMap::get(7, 0,
                     {d(0), d(4), d(2) * strides[0] + d(5) * dilations[0],
                      d(3) * strides[1] + d(6) * dilations[1]},
                     ctx),
      AffineMap::get(7, 0, {d(4), d(5), d(6), d(1)}, ctx),
      AffineMap::get(7, 0, {d(0), d(1), d(2), d(3)}, ctx)};
  SmallVector<utils::IteratorType> iters(4, utils::IteratorType::parallel);
  iters.append(3, utils::IteratorType::reduction);
  auto conv = linalg::GenericOp::create(
      b, loc, outType, ValueRange{x, filtersLast(b, loc, w)},
      ValueRange{fill(b, loc, outType, 0, dynamicSizes(b, loc, outType, [&](int64_t d) {
                   return std::pair<Value, int64_t>{x, d};
                 }))},
      maps, iters,
      [](OpBuilder &nb, Location l, ValueRange a) {
        Value p = arith::MulFOp::create(nb, l, a[0], a[1]);
        linalg::YieldOp::create(nb, l, arith::AddFOp::create(nb, l, a[2], p).getResult());
      });
  conv->setAttr("nuri.conv", b.getUnitAttr());
  return conv.getResult(0);
}

struct ConvLowering : OpRewritePattern<ConvOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConvOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    auto w2 = window2D(op.getWeight().getType().getShape().drop_front(2), op.getStrides(),
                       op.getDilations(), op.getPads());
    if (failed(w2) || !isFloat(op.getType()))
      return b.notifyMatchFailure(op, "only 1-D and 2-D float convolutions are supported");
    Value x = op.getInput(), w = op.getWeight();
    auto xt = typeOf(x), wt = typeOf(w);
    auto outType = op.getType();
    bool oneD = xt.getRank() == 3;
    if (oneD) {
      x = reshapeTo(b, loc, x, {xt.getDimSize(0), xt.getDimSize(1), 1, xt.getDimSize(2)});
      w = reshapeTo(b, loc, w, {wt.getDimSize(0), wt.getDimSize(1), 1, wt.getDimSize(2)});
      outType = outType.clone({outType.getDimSize(0), outType.getDimSize(1), 1,
                               outType.getDimSize(2)});
    }
    x = padTo(b, loc, x, {0, 0, w2->padLow[0], w2->padLow[1]},
              {0, 0, w2->padHigh[0], w2->padHigh[1]}, 0.0);
    auto strides = b.getI64TensorAttr(w2->strides);
    auto dil = b.getI64TensorAttr(w2->dilations);
    int64_t g = op.getGroup();
    int64_t n = outType.getDimSize(0), f = outType.getDimSize(1);
    int64_t c = typeOf(x).getDimSize(1);
    Value y;
    if (g == 1) {
      y = filterLastConv(b, loc, x, w, outType, w2->strides, w2->dilations);
    } else if (g == c && f == c) {
      auto wk = typeOf(w).getShape();
      Value dw = reshapeTo(b, loc, w, {c, wk[2], wk[3]});
      y = linalg::DepthwiseConv2DNchwChwOp::create(b, loc, outType, ValueRange{x, dw},
                                                   ValueRange{fill(b, loc, outType, 0)},
                                                   strides, dil)
              .getResult(0);
    } else {
      auto xs = typeOf(x).getShape();
      auto wk = typeOf(w).getShape();
      Value gx = reshapeTo(b, loc, x, {n, g, c / g, xs[2], xs[3]});
      Value gw = reshapeTo(b, loc, w, {g, f / g, c / g, wk[2], wk[3]});
      auto gOut = outType.clone({n, g, f / g, outType.getDimSize(2), outType.getDimSize(3)});
      y = linalg::Conv2DNgchwGfchwOp::create(b, loc, gOut, ValueRange{gx, gw},
                                             ValueRange{fill(b, loc, gOut, 0)}, strides, dil)
              .getResult(0);
      y = reshapeTo(b, loc, y, outType);
    }
    if (Value bias = op.getBias()) {
      Value b4 = reshapeTo(b, loc, bias, {1, f, 1, 1});
      y = elementwise(b, loc, outType, {y, b4}, [](OpBuilder &nb, Location l, ValueRange a) {
        return arith::AddFOp::create(nb, l, a[0], a[1]);
      });
    }
    b.replaceOp(op, reshapeTo(b, loc, y, op.getType()));
    return success();
  }
};

template <typename Op, bool IsMax> struct PoolLowering : OpRewritePattern<Op> {
  using OpRewritePattern<Op>::OpRewritePattern;
  LogicalResult matchAndRewrite(Op op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    auto w2 = window2D(op.getKernelShape(), op.getStrides(), op.getDilations(), op.getPads());
    if (failed(w2))
      return b.notifyMatchFailure(op, "only 1-D and 2-D pooling is supported");
    Value x = op.getInput();
    auto xt = typeOf(x);
    auto outType = op.getType();
    if (xt.getRank() == 3) {
      x = reshapeTo(b, loc, x, {xt.getDimSize(0), xt.getDimSize(1), 1, xt.getDimSize(2)});
      outType = outType.clone({outType.getDimSize(0), outType.getDimSize(1), 1,
                               outType.getDimSize(2)});
    }
    auto in = typeOf(x).getShape();
    // ceil_mode may need windows past the explicit end padding.
    SmallVector<int64_t> high(w2->padHigh);
    for (int i = 0; i < 2; ++i) {
      int64_t need = (outType.getDimSize(2 + i) - 1) * w2->strides[i] +
                     (w2->kernel[i] - 1) * w2->dilations[i] + 1;
      high[i] = std::max(high[i], need - in[2 + i] - w2->padLow[i]);
    }
    Type et = xt.getElementType();
    double padValue = IsMax ? -std::numeric_limits<double>::infinity() : 0.0;
    Value px = padTo(b, loc, x, {0, 0, w2->padLow[0], w2->padLow[1]}, {0, 0, high[0], high[1]},
                     padValue);
    Value window = tensor::EmptyOp::create(b, loc, w2->kernel, et);
    auto strides = b.getI64TensorAttr(w2->strides);
    auto dil = b.getI64TensorAttr(w2->dilations);
    Value y;
    if (IsMax) {
      y = linalg::PoolingNchwMaxOp::create(b, loc, outType, ValueRange{px, window},
                                           ValueRange{fill(b, loc, outType, padValue)},
                                           strides, dil)
              .getResult(0);
    } else {
      y = linalg::PoolingNchwSumOp::create(b, loc, outType, ValueRange{px, window},
                                           ValueRange{fill(b, loc, outType, 0)}, strides, dil)
              .getResult(0);
      // Divisors per output position are known at compile time.
      int64_t oh = outType.getDimSize(2), ow = outType.getDimSize(3);
      SmallVector<float> counts;
      bool includePad = op.getCountIncludePad();
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          int64_t cnt = 0;
          for (int64_t ki = 0; ki < w2->kernel[0]; ++ki)
            for (int64_t kj = 0; kj < w2->kernel[1]; ++kj) {
              int64_t r = i * w2->strides[0] + ki * w2->dilations[0] - w2->padLow[0];
              int64_t c = j * w2->strides[1] + kj * w2->dilations[1] - w2->padLow[1];
              int64_t lo0 = includePad ? -w2->padLow[0] : 0, lo1 = includePad ? -w2->padLow[1] : 0;
              int64_t hi0 = includePad ? in[2] + w2->padHigh[0] : in[2];
              int64_t hi1 = includePad ? in[3] + w2->padHigh[1] : in[3];
              cnt += r >= lo0 && r < hi0 && c >= lo1 && c < hi1;
            }
          counts.push_back(cnt ? (float)cnt : 1.0f);
        }
      auto ct = RankedTensorType::get({oh, ow}, b.getF32Type());
      Value divisor = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(ct, ArrayRef<float>(counts)));
      if (!et.isF32())
        divisor = elementwise(b, loc, ct.clone(et), {divisor}, [&](OpBuilder &nb, Location l, ValueRange a) {
          return convertScalar(nb, l, a[0], et);
        });
      y = elementwise(b, loc, outType, {y, divisor}, [](OpBuilder &nb, Location l, ValueRange a) {
        return arith::DivFOp::create(nb, l, a[0], a[1]);
      });
    }
    b.replaceOp(op, reshapeTo(b, loc, y, op.getType()));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Reductions and normalizations
//===----------------------------------------------------------------------===//

/// Reduces `x` over `axes` with keepdims=1 semantics (result keeps rank).
Value reduceKeep(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> axes, bool isMax) {
  auto t = typeOf(x);
  Type et = t.getElementType();
  SmallVector<int64_t> kept;
  // The symbolic extents of the kept dims: reduced ones become 1 (static),
  // so the reduction and its keepdims reshape take the same sizes.
  SmallVector<Value> keptDyn;
  for (int64_t d = 0; d < t.getRank(); ++d) {
    if (llvm::is_contained(axes, d))
      continue;
    kept.push_back(t.getDimSize(d));
    if (t.isDynamicDim(d))
      keptDyn.push_back(b.createOrFold<tensor::DimOp>(loc, x, d));
  }
  auto redType = RankedTensorType::get(kept, et);
  double init = isMax ? -std::numeric_limits<double>::infinity() : 0.0;
  if (isMax && !isFloat(et))
    init = (double)std::numeric_limits<int64_t>::min();
  auto red = linalg::ReduceOp::create(
      b, loc, ValueRange{x}, ValueRange{fill(b, loc, redType, init, keptDyn)}, axes,
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value r;
        if (isMax)
          r = isFloat(et) ? (Value)arith::MaximumFOp::create(nb, l, a[0], a[1])
                          : (Value)arith::MaxSIOp::create(nb, l, a[0], a[1]);
        else
          r = isFloat(et) ? (Value)arith::AddFOp::create(nb, l, a[0], a[1])
                          : (Value)arith::AddIOp::create(nb, l, a[0], a[1]);
        linalg::YieldOp::create(nb, l, r);
      });
  SmallVector<int64_t> keepShape(t.getShape());
  for (int64_t a : axes)
    keepShape[a] = 1;
  return reshapeTo(b, loc, red.getResult(0), keepShape, keptDyn);
}

template <typename Op, bool Mean> struct ReduceLowering : OpRewritePattern<Op> {
  using OpRewritePattern<Op>::OpRewritePattern;
  LogicalResult matchAndRewrite(Op op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    if (getElementTypeOrSelf(x.getType()).isUnsignedInteger())
      return b.notifyMatchFailure(op, "unsigned element types are not supported");
    Value y = reduceKeep(b, loc, x, op.getAxes(), false);
    if (Mean) {
      int64_t count = 1;
      for (int64_t a : op.getAxes())
        count *= typeOf(x).getDimSize(a);
      Type et = typeOf(y).getElementType();
      y = elementwise(b, loc, typeOf(y), {y}, [&](OpBuilder &nb, Location l, ValueRange a) {
        return isFloat(et) ? (Value)arith::DivFOp::create(nb, l, a[0], cst(nb, l, et, count))
                           : (Value)arith::DivSIOp::create(nb, l, a[0], cst(nb, l, et, count));
      });
    }
    b.replaceOp(op, reshapeTo(b, loc, y, op.getType()));
    return success();
  }
};

struct SoftmaxLowering : OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftmaxOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto t = typeOf(x);
    int64_t axis = op.getAxis();
    Value m = reduceKeep(b, loc, x, {axis}, true);
    Value e = elementwise(b, loc, t, {x, m}, [](OpBuilder &nb, Location l, ValueRange a) {
      return math::ExpOp::create(nb, l, arith::SubFOp::create(nb, l, a[0], a[1]));
    });
    Value s = reduceKeep(b, loc, e, {axis}, false);
    b.replaceOp(op, elementwise(b, loc, t, {e, s}, [](OpBuilder &nb, Location l, ValueRange a) {
                  return arith::DivFOp::create(nb, l, a[0], a[1]);
                }));
    return success();
  }
};

struct LayerNormLowering : OpRewritePattern<LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LayerNormOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto t = typeOf(x);
    Type et = t.getElementType();
    SmallVector<int64_t> axes;
    int64_t count = 1;
    for (int64_t d = op.getAxis(); d < t.getRank(); ++d) {
      axes.push_back(d);
      count *= t.getDimSize(d);
    }
    double inv = 1.0 / count, eps = op.getEpsilon().convertToDouble();
    Value sum = reduceKeep(b, loc, x, axes, false);
    Value centered = elementwise(b, loc, t, {x, sum}, [&](OpBuilder &nb, Location l, ValueRange a) {
      return arith::SubFOp::create(nb, l, a[0], arith::MulFOp::create(nb, l, a[1], cst(nb, l, et, inv)));
    });
    Value sq = elementwise(b, loc, t, {centered}, [](OpBuilder &nb, Location l, ValueRange a) {
      return arith::MulFOp::create(nb, l, a[0], a[0]);
    });
    Value var = reduceKeep(b, loc, sq, axes, false);
    SmallVector<Value> ins{centered, var, op.getScale()};
    if (op.getBias())
      ins.push_back(op.getBias());
    b.replaceOp(op, elementwise(b, loc, t, ins, [&](OpBuilder &nb, Location l, ValueRange a) {
                  Value v = arith::AddFOp::create(nb, l, arith::MulFOp::create(nb, l, a[1], cst(nb, l, et, inv)),
                                                  cst(nb, l, et, eps));
                  Value y = arith::MulFOp::create(nb, l, a[0], math::RsqrtOp::create(nb, l, v));
                  y = arith::MulFOp::create(nb, l, y, a[2]);
                  if (a.size() > 3)
                    y = arith::AddFOp::create(nb, l, y, a[3]);
                  return y;
                }));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

struct ConstantLowering : OpRewritePattern<ConstantOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConstantOp op, PatternRewriter &b) const override {
    b.replaceOpWithNewOp<arith::ConstantOp>(op, cast<TypedAttr>(op.getValue()));
    return success();
  }
};

struct ReshapeLowering : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op, PatternRewriter &b) const override {
    b.replaceOp(op, reshapeTo(b, op.getLoc(), op.getInput(), op.getType(), op.getDims()));
    return success();
  }
};

struct TransposeLowering : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op, PatternRewriter &b) const override {
    auto perm = op.getPerm();
    SmallVector<Value> dyn = dynamicSizes(b, op.getLoc(), op.getType(), [&](int64_t d) {
      return std::pair<Value, int64_t>{op.getInput(), perm[d]};
    });
    b.replaceOp(op, linalg::TransposeOp::create(b, op.getLoc(), op.getInput(),
                                                emptyLike(b, op.getLoc(), op.getType(), dyn),
                                                op.getPerm())
                        .getResult()[0]);
    return success();
  }
};

struct ConcatLowering : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConcatOp op, PatternRewriter &b) const override {
    b.replaceOpWithNewOp<tensor::ConcatOp>(op, op.getType(), op.getAxis(), op.getInputs());
    return success();
  }
};

/// A strided slice is a copy whose input map is affine: start + i * step.
struct SliceLowering : OpRewritePattern<SliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SliceOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = b.getContext();
    auto outType = op.getType();
    if (outType.hasStaticShape() && outType.getNumElements() == 0) {
      b.replaceOpWithNewOp<tensor::EmptyOp>(op, outType.getShape(), outType.getElementType());
      return success();
    }
    int64_t rank = outType.getRank();
    if (llvm::all_of(op.getSteps(), [](int64_t s) { return s > 0; })) {
      // A symbolic dimension is taken whole (the importer slices only
      // static ones).
      SmallVector<OpFoldResult> offsets, sizes, strides;
      for (int64_t d = 0; d < rank; ++d) {
        offsets.push_back(b.getIndexAttr(op.getStarts()[d]));
        sizes.push_back(outType.isDynamicDim(d)
                            ? OpFoldResult(b.createOrFold<tensor::DimOp>(loc, op.getInput(), d))
                            : OpFoldResult(b.getIndexAttr(outType.getDimSize(d))));
        strides.push_back(b.getIndexAttr(op.getSteps()[d]));
      }
      b.replaceOpWithNewOp<tensor::ExtractSliceOp>(op, outType, op.getInput(), offsets, sizes,
                                                   strides);
      return success();
    }
    SmallVector<AffineExpr> exprs;
    for (int64_t d = 0; d < rank; ++d)
      exprs.push_back(getAffineDimExpr(d, ctx) * op.getSteps()[d] + op.getStarts()[d]);
    SmallVector<AffineMap> maps{AffineMap::get(rank, 0, exprs, ctx),
                                AffineMap::getMultiDimIdentityMap(rank, ctx)};
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    auto g = linalg::GenericOp::create(b, loc, outType, ValueRange{op.getInput()},
                                       ValueRange{emptyLike(b, loc, outType,
                                                            dynamicSizes(b, loc, op.getInput()))},
                                       maps, iters,
                                       [](OpBuilder &nb, Location l, ValueRange a) {
                                         linalg::YieldOp::create(nb, l, a[0]);
                                       });
    b.replaceOp(op, g.getResult(0));
    return success();
  }
};

/// out[o..., i..., n...] = data[o..., clamp(indices[i...]), n...]
struct GatherLowering : OpRewritePattern<GatherOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GatherOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = b.getContext();
    auto outType = op.getType();
    auto dt = typeOf(op.getData()), it = typeOf(op.getIndices());
    int64_t axis = op.getAxis(), rank = outType.getRank(), ir = it.getRank();
    SmallVector<AffineExpr> idxExprs;
    for (int64_t i = 0; i < ir; ++i)
      idxExprs.push_back(getAffineDimExpr(axis + i, ctx));
    SmallVector<AffineMap> maps{AffineMap::get(rank, 0, idxExprs, ctx),
                                AffineMap::getMultiDimIdentityMap(rank, ctx)};
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    Value data = op.getData();
    int64_t dim = dt.getDimSize(axis);
    if (ShapedType::isDynamic(dim))
      return b.notifyMatchFailure(op, "gathers along a symbolic dimension are not lowered");
    SmallVector<Value> dyn = dynamicSizes(b, loc, outType, [&](int64_t d) -> std::pair<Value, int64_t> {
      if (d < axis)
        return {data, d};
      if (d < axis + ir)
        return {op.getIndices(), d - axis};
      return {data, d - ir + 1};
    });
    auto g = linalg::GenericOp::create(
        b, loc, outType, ValueRange{op.getIndices()}, ValueRange{emptyLike(b, loc, outType, dyn)},
        maps, iters, [&](OpBuilder &nb, Location l, ValueRange a) {
          Value i = arith::IndexCastOp::create(nb, l, nb.getIndexType(), a[0]);
          Value dimV = arith::ConstantIndexOp::create(nb, l, dim);
          Value zero = arith::ConstantIndexOp::create(nb, l, 0);
          Value neg = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, i, zero);
          i = arith::SelectOp::create(nb, l, neg, arith::AddIOp::create(nb, l, i, dimV), i);
          // Out-of-range indices are clamped: reading outside `data` must never happen.
          i = arith::MaxSIOp::create(nb, l, i, zero);
          i = arith::MinSIOp::create(nb, l, i, arith::ConstantIndexOp::create(nb, l, dim - 1));
          SmallVector<Value> coords;
          for (int64_t d = 0; d < axis; ++d)
            coords.push_back(linalg::IndexOp::create(nb, l, d));
          coords.push_back(i);
          for (int64_t d = axis + 1; d < dt.getRank(); ++d)
            coords.push_back(linalg::IndexOp::create(nb, l, d - 1 + ir));
          linalg::YieldOp::create(nb, l, tensor::ExtractOp::create(nb, l, data, coords).getResult());
        });
    b.replaceOp(op, g.getResult(0));
    return success();
  }
};

struct NuriToLinalgPass : mlir::nuri::impl::NuriToLinalgBase<NuriToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    patterns.add<AddLowering, SubLowering, MulLowering, DivLowering, MaxLowering, MinLowering,
                 PowLowering, ReluLowering, SigmoidLowering, TanhLowering, ErfLowering,
                 ExpLowering, LogLowering, SqrtLowering, NegLowering, AbsLowering,
                 HardSwishLowering, LeakyReluLowering, HardSigmoidLowering, ClipLowering,
                 CastLowering, MatMulLowering, ConvLowering, PoolLowering<MaxPoolOp, true>,
                 PoolLowering<AvgPoolOp, false>, ReduceLowering<ReduceSumOp, false>,
                 ReduceLowering<ReduceMeanOp, true>, SoftmaxLowering, LayerNormLowering,
                 ConstantLowering, ReshapeLowering, TransposeLowering, ConcatLowering,
                 SliceLowering, GatherLowering>(ctx);
    populateIndexLowerings(patterns);
    populateNNLowerings(patterns);
    populateMathLowerings(patterns);
    populateQuantLowerings(patterns);
    populateMiscLowerings(patterns);
    populateDynamicLowerings(patterns);
    GreedyRewriteConfig config;
    config.enableFolding(false);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      return signalPassFailure();
    // Whatever is left could not be lowered: say which node it came from.
    WalkResult r = getOperation().walk([&](Operation *op) {
      if (isa<NuriDialect>(op->getDialect())) {
        auto diag = op->emitError("cannot lower '") << op->getName() << "' on ";
        llvm::interleaveComma(op->getOperandTypes(), diag);
        diag << " to linalg (supported: windows of any rank, "
                "float convolution and pooling, signless or unsigned integers)";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (r.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
