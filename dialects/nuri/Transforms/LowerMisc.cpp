//===- LowerMisc.cpp - nuri -> linalg: signal processing, sampling, training ---===//
//
// DFT and STFT are contractions against constant cos/sin tables built here
// (shapes are static, so the tables are too). GridSample and RoiAlign are
// linalg.generic ops whose bodies compute sample positions and read the
// input with tensor.extract at clamped coordinates, following ONNX's
// reference step by step. TfIdfVectorizer counts matches against constant
// n-gram tables; the optimizers are elementwise formulas.
// 16-bit floats compute in f32.
//
//===----------------------------------------------------------------------===//
#include "dialects/nuri/Transforms/LoweringUtils.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <cmath>

using namespace mlir;
using namespace mlir::nuri;

namespace {

using utils::IteratorType;

Type computeType(Type et) {
  if (isa<FloatType>(et) && et.getIntOrFloatBitWidth() < 32)
    return Float32Type::get(et.getContext());
  return et;
}

Value idx(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

SmallVector<Value> loopIndices(OpBuilder &b, Location loc, int64_t n) {
  SmallVector<Value> ivs;
  for (int64_t d = 0; d < n; ++d)
    ivs.push_back(linalg::IndexOp::create(b, loc, d));
  return ivs;
}

/// Scalar float arithmetic in one type, for the bodies that follow a
/// reference implementation line by line.
struct FloatMath {
  OpBuilder &b;
  Location l;
  Type t;
  Value c(double v) { return cst(b, l, t, v); }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, l, x, y); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, l, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, l, x, y); }
  Value div(Value x, Value y) { return arith::DivFOp::create(b, l, x, y); }
  Value max(Value x, Value y) { return arith::MaximumFOp::create(b, l, x, y); }
  Value min(Value x, Value y) { return arith::MinimumFOp::create(b, l, x, y); }
  Value floor(Value x) { return math::FloorOp::create(b, l, x); }
  Value sqrt(Value x) { return math::SqrtOp::create(b, l, x); }
  Value lt(Value x, Value y) { return arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x, y); }
  Value gt(Value x, Value y) { return arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x, y); }
  Value ge(Value x, Value y) { return arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGE, x, y); }
  Value sel(Value c, Value x, Value y) { return arith::SelectOp::create(b, l, c, x, y); }
  Value clamp(Value x, double lo, double hi) { return min(max(x, c(lo)), c(hi)); }
  Value from(Value v) { return convertScalar(b, l, v, t); }
  /// A float holding an integer -> index, clamped into [0, size).
  Value toIndex(Value x, int64_t size) {
    Value i = arith::FPToSIOp::create(b, l, b.getI64Type(), x);
    i = arith::IndexCastOp::create(b, l, b.getIndexType(), i);
    i = arith::MaxSIOp::create(b, l, i, idx(b, l, 0));
    return arith::MinSIOp::create(b, l, i, idx(b, l, size - 1));
  }
  /// ONNX GridSample's reflection of x into [lo, hi] by the nearer border.
  Value reflect(Value x, double lo, double hi) {
    double range = hi - lo;
    if (range <= 0)
      return c(lo);
    auto fold = [&](Value dx, Value evenBase, Value oddBase, bool evenAdds) {
      Value n = floor(div(dx, c(range)));
      Value r = sub(dx, mul(n, c(range)));
      Value half = floor(mul(n, c(0.5)));
      Value even = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, sub(n, mul(half, c(2))),
                                         c(0));
      Value e = evenAdds ? add(evenBase, r) : sub(evenBase, r);
      Value o = evenAdds ? sub(oddBase, r) : add(oddBase, r);
      return sel(even, e, o);
    };
    Value below = fold(sub(c(lo), x), c(lo), c(hi), true);
    Value above = fold(sub(x, c(hi)), c(hi), c(lo), false);
    return sel(lt(x, c(lo)), below, sel(gt(x, c(hi)), above, x));
  }
};

/// Keys' cubic convolution weights (A = -0.75) of the taps floor(x) - 1 ..
/// floor(x) + 2 for the fraction t = x - floor(x).
SmallVector<Value> cubicWeights(FloatMath &m, Value t) {
  const double a = -0.75;
  auto far = [&](Value s) { // |s| in [1, 2)
    return m.sub(m.mul(m.add(m.mul(m.sub(m.mul(m.c(a), s), m.c(5 * a)), s), m.c(8 * a)), s),
                 m.c(4 * a));
  };
  auto near = [&](Value s) { // |s| in [0, 1)
    return m.add(m.mul(m.mul(m.sub(m.mul(m.c(a + 2), s), m.c(a + 3)), s), s), m.c(1));
  };
  Value s = m.sub(m.c(1), t);
  return {far(m.add(t, m.c(1))), near(t), near(s), far(m.add(s, m.c(1)))};
}

//===----------------------------------------------------------------------===//
// GridSample
//===----------------------------------------------------------------------===//

struct GridSampleLowering : OpRewritePattern<GridSampleOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GridSampleOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput(), grid = op.getGrid();
    auto xt = op.getInput().getType();
    auto outType = op.getType();
    Type et = xt.getElementType(), ct = computeType(et);
    int64_t r = xt.getRank() - 2;
    SmallVector<int64_t> size(xt.getShape().drop_front(2));
    StringRef mode = op.getMode(), pad = op.getPaddingMode();
    bool align = op.getAlignCorners();
    int64_t taps = mode == "nearest" ? 1 : mode == "linear" ? 2 : 4;

    auto g = linalg::GenericOp::create(
        rewriter, loc, outType, ValueRange{}, ValueRange{emptyLike(rewriter, loc, outType)},
        SmallVector<AffineMap>{AffineMap::getMultiDimIdentityMap(r + 2, getContext())},
        SmallVector<IteratorType>(r + 2, IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange) {
          FloatMath m{b, l, ct};
          SmallVector<Value> iv = loopIndices(b, l, r + 2);
          // Unnormalized coordinates; spatial dimension d reads grid
          // component r - 1 - d (x addresses the innermost).
          SmallVector<Value> pos(r);
          SmallVector<double> lo(r), hi(r);
          Value outside;
          for (int64_t d = 0; d < r; ++d) {
            SmallVector<Value> at{iv[0]};
            at.append(iv.begin() + 2, iv.end());
            at.push_back(idx(b, l, r - 1 - d));
            Value n = m.from(tensor::ExtractOp::create(b, l, grid, at));
            double len = size[d];
            Value p = align ? m.mul(m.mul(m.add(n, m.c(1)), m.c(0.5)), m.c(len - 1))
                            : m.mul(m.sub(m.mul(m.add(n, m.c(1)), m.c(len)), m.c(1)), m.c(0.5));
            if (mode == "nearest")
              p = math::RoundEvenOp::create(b, l, p);
            lo[d] = align ? 0.0 : -0.5;
            hi[d] = align ? len - 1 : len - 0.5;
            Value o = arith::OrIOp::create(b, l, m.lt(p, m.c(lo[d])), m.gt(p, m.c(hi[d])));
            outside = outside ? (Value)arith::OrIOp::create(b, l, outside, o) : o;
            pos[d] = p;
          }
          // As the reference: when any coordinate is outside, all of them
          // are clamped (border) or reflected (reflection).
          if (pad != "zeros")
            for (int64_t d = 0; d < r; ++d) {
              Value moved = pad == "border" ? m.clamp(pos[d], 0, size[d] - 1)
                                            : m.reflect(pos[d], lo[d], hi[d]);
              pos[d] = m.sel(outside, moved, pos[d]);
            }
          // Per dimension: the taps' (integral, float) coordinates and weights.
          SmallVector<SmallVector<Value>> tapPos(r), tapWeight(r);
          for (int64_t d = 0; d < r; ++d) {
            if (mode == "nearest") {
              tapPos[d] = {pos[d]};
              continue;
            }
            Value base = m.floor(pos[d]), t = m.sub(pos[d], base);
            if (mode == "linear") {
              tapPos[d] = {base, m.add(base, m.c(1))};
              tapWeight[d] = {m.sub(m.c(1), t), t};
            } else {
              for (int k = -1; k <= 2; ++k)
                tapPos[d].push_back(m.add(base, m.c(k)));
              tapWeight[d] = cubicWeights(m, t);
            }
          }
          // One read per combination of taps; reads outside follow padding_mode.
          auto pixel = [&](ArrayRef<Value> coords) -> Value {
            SmallVector<Value> at{iv[0], iv[1]};
            Value valid;
            for (int64_t d = 0; d < r; ++d) {
              Value p = coords[d];
              if (pad == "zeros") {
                Value in = arith::AndIOp::create(b, l, m.ge(p, m.c(0)), m.lt(p, m.c(size[d])));
                valid = valid ? (Value)arith::AndIOp::create(b, l, valid, in) : in;
              } else if (pad == "border") {
                p = m.clamp(p, 0, size[d] - 1);
              } else {
                p = m.reflect(p, lo[d], hi[d]);
              }
              at.push_back(m.toIndex(p, size[d]));
            }
            Value v = m.from(tensor::ExtractOp::create(b, l, x, at));
            return valid ? m.sel(valid, v, m.c(0)) : v;
          };
          SmallVector<int64_t> tap(r, 0);
          Value acc;
          while (true) {
            SmallVector<Value> coords;
            Value w;
            for (int64_t d = 0; d < r; ++d) {
              coords.push_back(tapPos[d][tap[d]]);
              if (!tapWeight[d].empty())
                w = w ? m.mul(w, tapWeight[d][tap[d]]) : tapWeight[d][tap[d]];
            }
            Value v = pixel(coords);
            if (w)
              v = m.mul(w, v);
            acc = acc ? m.add(acc, v) : v;
            int64_t d = r - 1;
            for (; d >= 0; --d) {
              if (++tap[d] < taps)
                break;
              tap[d] = 0;
            }
            if (d < 0)
              break;
          }
          linalg::YieldOp::create(b, l, convertScalar(b, l, acc, et));
        });
    rewriter.replaceOp(op, g.getResult(0));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// RoiAlign
//===----------------------------------------------------------------------===//

struct RoiAlignLowering : OpRewritePattern<RoiAlignOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RoiAlignOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput(), rois = op.getRois(), batch = op.getBatchIndices();
    auto xt = op.getInput().getType();
    auto outType = op.getType();
    Type et = xt.getElementType(), ct = computeType(et);
    int64_t N = xt.getDimSize(0), H = xt.getDimSize(2), W = xt.getDimSize(3);
    int64_t oh = op.getOutputHeight(), ow = op.getOutputWidth(), ratio = op.getSamplingRatio();
    double scale = op.getSpatialScale().convertToDouble();
    bool halfPixel = op.getHalfPixel(), isMax = op.getMode() == "max";

    auto g = linalg::GenericOp::create(
        rewriter, loc, outType, ValueRange{}, ValueRange{emptyLike(rewriter, loc, outType)},
        SmallVector<AffineMap>{AffineMap::getMultiDimIdentityMap(4, getContext())},
        SmallVector<IteratorType>(4, IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange) {
          FloatMath m{b, l, ct};
          SmallVector<Value> iv = loopIndices(b, l, 4);
          auto roi = [&](int64_t k) {
            return m.from(tensor::ExtractOp::create(b, l, rois, ValueRange{iv[0], idx(b, l, k)}));
          };
          Value n = tensor::ExtractOp::create(b, l, batch, ValueRange{iv[0]});
          n = arith::IndexCastOp::create(b, l, b.getIndexType(), n);
          n = arith::MinSIOp::create(b, l, arith::MaxSIOp::create(b, l, n, idx(b, l, 0)),
                                     idx(b, l, N - 1));
          double offset = halfPixel ? 0.5 : 0.0;
          Value x0 = m.sub(m.mul(roi(0), m.c(scale)), m.c(offset));
          Value y0 = m.sub(m.mul(roi(1), m.c(scale)), m.c(offset));
          Value rw = m.sub(m.sub(m.mul(roi(2), m.c(scale)), m.c(offset)), x0);
          Value rh = m.sub(m.sub(m.mul(roi(3), m.c(scale)), m.c(offset)), y0);
          if (!halfPixel) {
            rw = m.max(rw, m.c(1));
            rh = m.max(rh, m.c(1));
          }
          Value binH = m.div(rh, m.c(oh)), binW = m.div(rw, m.c(ow));
          // Samples per bin and axis: static, or ceil(roi size / bins).
          auto samples = [&](Value bin) -> std::pair<Value, Value> {
            if (ratio > 0)
              return {idx(b, l, ratio), m.c(ratio)};
            Value c = math::CeilOp::create(b, l, bin);
            c = m.max(c, m.c(0));
            Value i = arith::FPToSIOp::create(b, l, b.getI64Type(), c);
            return {arith::IndexCastOp::create(b, l, b.getIndexType(), i), c};
          };
          Value gh, ghF, gw, gwF;
          std::tie(gh, ghF) = samples(binH);
          std::tie(gw, gwF) = samples(binW);
          Value count = m.mul(ghF, gwF);
          Value startY = m.add(y0, m.mul(m.from(arith::IndexCastOp::create(
                                                  b, l, b.getI64Type(), iv[2])),
                                         binH));
          Value startX = m.add(x0, m.mul(m.from(arith::IndexCastOp::create(
                                                  b, l, b.getI64Type(), iv[3])),
                                         binW));
          Value stepY = m.div(binH, ghF), stepX = m.div(binW, gwF);
          auto fromIndex = [&](OpBuilder &nb, Location nl, Value i) {
            Value v = arith::IndexCastOp::create(nb, nl, nb.getI64Type(), i);
            return convertScalar(nb, nl, v, ct);
          };
          Value init = isMax ? m.c(-std::numeric_limits<double>::infinity()) : m.c(0);
          auto outer = scf::ForOp::create(
              b, l, idx(b, l, 0), gh, idx(b, l, 1), ValueRange{init},
              [&](OpBuilder &ob, Location ol, Value iy, ValueRange oargs) {
                auto inner = scf::ForOp::create(
                    ob, ol, idx(ob, ol, 0), gw, idx(ob, ol, 1), ValueRange{oargs[0]},
                    [&](OpBuilder &nb, Location nl, Value ix, ValueRange iargs) {
                      FloatMath s{nb, nl, ct};
                      Value y = s.add(startY,
                                      s.mul(s.add(fromIndex(nb, nl, iy), s.c(0.5)), stepY));
                      Value xx = s.add(startX,
                                       s.mul(s.add(fromIndex(nb, nl, ix), s.c(0.5)), stepX));
                      // Bilinear interpolation as ONNX Runtime's RoiAlign.
                      Value empty = arith::OrIOp::create(
                          nb, nl,
                          arith::OrIOp::create(nb, nl, s.lt(y, s.c(-1)), s.gt(y, s.c(H))),
                          arith::OrIOp::create(nb, nl, s.lt(xx, s.c(-1)), s.gt(xx, s.c(W))));
                      auto axis = [&](Value p, int64_t len) {
                        p = s.max(p, s.c(0));
                        Value low = s.floor(p);
                        Value last = s.ge(low, s.c(len - 1));
                        low = s.sel(last, s.c(len - 1), low);
                        p = s.sel(last, low, p);
                        Value high = s.sel(last, low, s.add(low, s.c(1)));
                        Value frac = s.sub(p, low);
                        return std::make_tuple(s.toIndex(low, len), s.toIndex(high, len),
                                               s.sub(s.c(1), frac), frac);
                      };
                      auto [yl, yh, wyl, wyh] = axis(y, H);
                      auto [xl, xh, wxl, wxh] = axis(xx, W);
                      auto at = [&](Value yi, Value xi) {
                        return s.from(tensor::ExtractOp::create(nb, nl, x,
                                                                ValueRange{n, iv[1], yi, xi}));
                      };
                      Value t1 = s.mul(s.mul(wyl, wxl), at(yl, xl));
                      Value t2 = s.mul(s.mul(wyl, wxh), at(yl, xh));
                      Value t3 = s.mul(s.mul(wyh, wxl), at(yh, xl));
                      Value t4 = s.mul(s.mul(wyh, wxh), at(yh, xh));
                      Value v = isMax ? s.max(s.max(t1, t2), s.max(t3, t4))
                                      : s.add(s.add(t1, t2), s.add(t3, t4));
                      v = s.sel(empty, s.c(0), v);
                      Value acc = isMax ? s.max(iargs[0], v) : s.add(iargs[0], v);
                      scf::YieldOp::create(nb, nl, acc);
                    });
                scf::YieldOp::create(ob, ol, inner.getResult(0));
              });
          Value acc = outer.getResult(0);
          Value none = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLE, count, m.c(0));
          Value y = isMax ? acc : m.div(acc, m.max(count, m.c(1)));
          y = m.sel(none, m.c(0), y);
          linalg::YieldOp::create(b, l, convertScalar(b, l, y, et));
        });
    rewriter.replaceOp(op, g.getResult(0));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// DFT, STFT
//===----------------------------------------------------------------------===//

/// The DFT as a table W[n, c, k, o]: output component o (0 real, 1
/// imaginary) of bin k gets input sample n's component c times W. `samples`
/// rows (<= length; the rest of the signal is zero padding).
DenseElementsAttr dftTable(Type t, int64_t samples, int64_t channels, int64_t length,
                           int64_t binCount, bool inverse) {
  SmallVector<double> w;
  w.reserve(samples * channels * binCount * 2);
  double scale = inverse ? 1.0 / length : 1.0, sign = inverse ? 1.0 : -1.0;
  for (int64_t n = 0; n < samples; ++n)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t k = 0; k < binCount; ++k) {
        // e^{sign * i * theta} = cos + i * sign * sin; (a + ib)(cos + i s sin)
        double theta = 2 * M_PI * (double)((k * n) % length) / (double)length;
        double cs = std::cos(theta) * scale, sn = sign * std::sin(theta) * scale;
        // cos(pi / 2) is 6e-17 in doubles: exact zeros keep the tables readable.
        if (std::abs(cs) < 1e-15)
          cs = 0;
        if (std::abs(sn) < 1e-15)
          sn = 0;
        if (c == 0) { // a * (cos + i s sin)
          w.push_back(cs);
          w.push_back(sn);
        } else { // i b * (cos + i s sin) = -b s sin + i b cos
          w.push_back(-sn);
          w.push_back(cs);
        }
      }
  auto type = RankedTensorType::get({samples, channels, binCount, 2}, t);
  SmallVector<Attribute> attrs;
  for (double v : w)
    attrs.push_back(FloatAttr::get(t, v));
  return DenseElementsAttr::get(type, attrs);
}

/// sum over the reduction loops of the product of the inputs, accumulated
/// in `ct` and converted to `outType`'s element type.
Value contract(OpBuilder &b, Location loc, RankedTensorType outType, Type ct, ValueRange inputs,
               ArrayRef<AffineMap> inputMaps, int64_t loops) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = outType.getRank();
  auto accType = outType.clone(ct);
  SmallVector<AffineMap> maps(inputMaps);
  SmallVector<AffineExpr> outExprs;
  for (int64_t d = 0; d < rank; ++d)
    outExprs.push_back(getAffineDimExpr(d, ctx));
  maps.push_back(AffineMap::get(loops, 0, outExprs, ctx));
  SmallVector<IteratorType> iters(rank, IteratorType::parallel);
  iters.append(loops - rank, IteratorType::reduction);
  auto g = linalg::GenericOp::create(
      b, loc, accType, inputs, ValueRange{fill(b, loc, accType, 0)}, maps, iters,
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value p = convertScalar(nb, l, a[0], ct);
        for (Value v : a.drop_front().drop_back())
          p = arith::MulFOp::create(nb, l, p, convertScalar(nb, l, v, ct));
        linalg::YieldOp::create(nb, l, ValueRange{arith::AddFOp::create(nb, l, a.back(), p)});
      });
  Value y = g.getResult(0);
  if (accType != outType)
    y = elementwise(b, loc, outType, {y}, [&](OpBuilder &nb, Location l, ValueRange a) {
      return convertScalar(nb, l, a[0], outType.getElementType());
    });
  return y;
}

struct DFTLowering : OpRewritePattern<DFTOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DFTOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    Value x = op.getInput();
    auto xt = op.getInput().getType();
    auto outType = op.getType();
    Type ct = computeType(xt.getElementType());
    int64_t rank = xt.getRank(), axis = op.getAxis(), length = op.getLength();
    int64_t channels = xt.getShape().back();
    int64_t samples = std::min(xt.getDimSize(axis), length);
    if (samples < xt.getDimSize(axis)) { // truncate the signal to `length`
      SmallVector<int64_t> offsets(rank, 0), sizes(xt.getShape()), strides(rank, 1);
      sizes[axis] = samples;
      x = tensor::ExtractSliceOp::create(b, loc, xt.clone(sizes), x, ValueRange{}, ValueRange{},
                                         ValueRange{}, offsets, sizes, strides);
    }
    Value table = arith::ConstantOp::create(
        b, loc, dftTable(ct, samples, channels, length, outType.getDimSize(axis), op.getInverse()));
    // Loops: the output's dimensions, then n and c.
    int64_t loops = rank + 2;
    SmallVector<AffineExpr> xe;
    for (int64_t d = 0; d < rank; ++d)
      xe.push_back(getAffineDimExpr(d == axis ? rank : d == rank - 1 ? rank + 1 : d, ctx));
    AffineMap xMap = AffineMap::get(loops, 0, xe, ctx);
    AffineMap wMap = AffineMap::get(loops, 0,
                                    {getAffineDimExpr(rank, ctx), getAffineDimExpr(rank + 1, ctx),
                                     getAffineDimExpr(axis, ctx), getAffineDimExpr(rank - 1, ctx)},
                                    ctx);
    b.replaceOp(op, contract(b, loc, outType, ct, {x, table}, {xMap, wMap}, loops));
    return success();
  }
};

struct STFTLowering : OpRewritePattern<STFTOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(STFTOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    auto st = op.getSignal().getType();
    auto outType = op.getType();
    Type ct = computeType(st.getElementType());
    int64_t channels = st.getDimSize(2), length = op.getFrameLength(), step = op.getFrameStep();
    Value table = arith::ConstantOp::create(
        b, loc, dftTable(ct, length, channels, length, outType.getDimSize(2), false));
    // Loops (b, t, k, o, n, c): signal[b, t * step + n, c] * window[n] * W[n, c, k, o].
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    SmallVector<Value> inputs{op.getSignal()};
    SmallVector<AffineMap> maps{AffineMap::get(6, 0, {d(0), d(1) * step + d(4), d(5)}, ctx)};
    if (Value w = op.getWindow()) {
      inputs.push_back(w);
      maps.push_back(AffineMap::get(6, 0, {d(4)}, ctx));
    }
    inputs.push_back(table);
    maps.push_back(AffineMap::get(6, 0, {d(4), d(5), d(2), d(3)}, ctx));
    b.replaceOp(op, contract(b, loc, outType, ct, inputs, maps, 6));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// TfIdfVectorizer
//===----------------------------------------------------------------------===//

struct TfIdfLowering : OpRewritePattern<TfIdfVectorizerOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TfIdfVectorizerOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    Value x = op.getInput();
    auto xt = op.getInput().getType();
    Type tokType = xt.getElementType();
    auto resultType = op.getType();
    if (xt.getRank() == 1)
      x = reshapeTo(b, loc, x, {1, xt.getDimSize(0)});
    int64_t rows = typeOf(x).getDimSize(0), cols = typeOf(x).getDimSize(1);
    int64_t width = resultType.getShape().back();
    auto outType = RankedTensorType::get({rows, width}, b.getF32Type());

    // The pool's n-grams of the counted lengths: tokens (padded), length,
    // output column, weight.
    ArrayRef<int64_t> counts = op.getNgramCounts(), pool = op.getPool();
    int64_t minN = op.getMinGramLength(), maxN = op.getMaxGramLength();
    SmallVector<int64_t> tokens, lengths, columns;
    SmallVector<float> weightOf(width, 1.0f);
    int64_t gram = 0;
    for (size_t n = 1; n <= counts.size(); ++n) {
      int64_t begin = counts[n - 1],
              end = n < counts.size() ? counts[n] : (int64_t)pool.size();
      for (int64_t at = begin; at + (int64_t)n <= end; at += n, ++gram) {
        int64_t column = op.getNgramIndexes()[gram];
        if (!op.getWeights().empty())
          weightOf[column] = op.getWeights()[gram];
        if ((int64_t)n < minN || (int64_t)n > maxN)
          continue;
        for (int64_t t = 0; t < maxN; ++t)
          tokens.push_back(t < (int64_t)n ? pool[at + t] : 0);
        lengths.push_back(n);
        columns.push_back(column);
      }
    }
    int64_t grams = lengths.size();
    Value y;
    if (grams == 0) {
      y = fill(b, loc, outType, 0);
    } else {
      auto table = [&](ArrayRef<int64_t> v, ArrayRef<int64_t> shape, Type t) -> Value {
        auto type = RankedTensorType::get(shape, t);
        SmallVector<Attribute> attrs;
        for (int64_t e : v)
          attrs.push_back(IntegerAttr::get(t, e));
        return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, attrs));
      };
      Value tokenTable = table(tokens, {grams, maxN}, tokType);
      Value lengthTable = table(lengths, {grams}, b.getI32Type());
      int64_t skips = op.getMaxSkipCount() + 1;
      // counts[r, g] = matches of n-gram g in row r over skips and starts;
      // loops (r, g, s, i), the empty [skips, cols] tensor gives (s, i) their extents.
      auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
      auto countType = RankedTensorType::get({rows, grams}, b.getF32Type());
      Value extent = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{skips, cols}, b.getI1Type());
      auto counter = linalg::GenericOp::create(
          b, loc, countType, ValueRange{extent, lengthTable},
          ValueRange{fill(b, loc, countType, 0)},
          SmallVector<AffineMap>{AffineMap::get(4, 0, {d(2), d(3)}, ctx),
                                 AffineMap::get(4, 0, {d(1)}, ctx),
                                 AffineMap::get(4, 0, {d(0), d(1)}, ctx)},
          SmallVector<IteratorType>{IteratorType::parallel, IteratorType::parallel,
                                    IteratorType::reduction, IteratorType::reduction},
          [&](OpBuilder &nb, Location l, ValueRange a) {
            SmallVector<Value> iv = loopIndices(nb, l, 4);
            Value len = arith::IndexCastOp::create(nb, l, nb.getIndexType(), a[1]);
            Value gap = arith::AddIOp::create(nb, l, iv[2], idx(nb, l, 1));
            // Unigrams count once, not once per skip.
            Value match = arith::OrIOp::create(
                nb, l, arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ne, len, idx(nb, l, 1)),
                arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, iv[2], idx(nb, l, 0)));
            for (int64_t t = 0; t < maxN; ++t) {
              Value pos = arith::AddIOp::create(
                  nb, l, iv[3], arith::MulIOp::create(nb, l, gap, idx(nb, l, t)));
              Value inside =
                  arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, pos, idx(nb, l, cols));
              Value safe = arith::MinSIOp::create(nb, l, pos, idx(nb, l, cols - 1));
              Value tok = tensor::ExtractOp::create(nb, l, x, ValueRange{iv[0], safe});
              Value want = tensor::ExtractOp::create(nb, l, tokenTable,
                                                     ValueRange{iv[1], idx(nb, l, t)});
              Value same = arith::AndIOp::create(
                  nb, l, inside, arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, tok, want));
              Value unused =
                  arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sle, len, idx(nb, l, t));
              match = arith::AndIOp::create(nb, l, match,
                                            arith::OrIOp::create(nb, l, unused, same));
            }
            Value one = arith::UIToFPOp::create(nb, l, nb.getF32Type(), match);
            linalg::YieldOp::create(nb, l, ValueRange{arith::AddFOp::create(nb, l, a[2], one)});
          });
      // y[r, j] = sum over n-grams g of column j of counts[r, g].
      Value columnTable = table(columns, {grams}, b.getI32Type());
      auto scatter = linalg::GenericOp::create(
          b, loc, outType, ValueRange{counter.getResult(0), columnTable},
          ValueRange{fill(b, loc, outType, 0)},
          SmallVector<AffineMap>{AffineMap::get(3, 0, {d(0), d(2)}, ctx),
                                 AffineMap::get(3, 0, {d(2)}, ctx),
                                 AffineMap::get(3, 0, {d(0), d(1)}, ctx)},
          SmallVector<IteratorType>{IteratorType::parallel, IteratorType::parallel,
                                    IteratorType::reduction},
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value j = linalg::IndexOp::create(nb, l, 1);
            Value column = arith::IndexCastOp::create(nb, l, nb.getIndexType(), a[1]);
            Value hit = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, column, j);
            Value add = arith::AddFOp::create(nb, l, a[2], a[0]);
            linalg::YieldOp::create(nb, l, ValueRange{arith::SelectOp::create(nb, l, hit, add, a[2])});
          });
      y = scatter.getResult(0);
      StringRef mode = op.getMode();
      if (mode != "TF") {
        Value weights = arith::ConstantOp::create(
            b, loc,
            DenseElementsAttr::get(RankedTensorType::get({width}, b.getF32Type()),
                                   ArrayRef<float>(weightOf)));
        bool idf = mode == "IDF";
        y = elementwise(b, loc, outType, {y, weights}, [&](OpBuilder &nb, Location l, ValueRange a) {
          FloatMath m{nb, l, nb.getF32Type()};
          Value c = idf ? m.min(a[0], m.c(1)) : a[0];
          return m.mul(c, a[1]);
        });
      }
    }
    b.replaceOp(op, reshapeTo(b, loc, y, resultType));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Optimizers
//===----------------------------------------------------------------------===//

/// One elementwise generic per result over (rate, step, tensors...).
template <typename Op>
LogicalResult lowerOptimizer(Op op, PatternRewriter &b, int results,
                             function_ref<SmallVector<Value>(FloatMath &, Value, Value,
                                                             ArrayRef<Value>)>
                                 formula) {
  Location loc = op.getLoc();
  auto xt = cast<RankedTensorType>(op.getX().getType());
  Type et = xt.getElementType(), ct = computeType(et);
  SmallVector<Value> outs;
  for (int k = 0; k < results; ++k)
    outs.push_back(elementwise(b, loc, xt, op->getOperands(),
                               [&](OpBuilder &nb, Location l, ValueRange a) {
                                 FloatMath m{nb, l, ct};
                                 Value rate = m.from(a[0]);
                                 Value step = m.from(a[1]);
                                 SmallVector<Value> t;
                                 for (Value v : a.drop_front(2))
                                   t.push_back(m.from(v));
                                 Value y = formula(m, rate, step, t)[k];
                                 return convertScalar(nb, l, y, et);
                               }));
  b.replaceOp(op, outs);
  return success();
}

double attr(FloatAttr a) { return a.getValueAsDouble(); }

struct AdagradLowering : OpRewritePattern<AdagradOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AdagradOp op, PatternRewriter &b) const override {
    double decay = attr(op.getDecayFactorAttr()), eps = attr(op.getEpsilonAttr()),
           norm = attr(op.getNormCoefficientAttr());
    return lowerOptimizer(op, b, 2, [&](FloatMath &m, Value rate, Value step, ArrayRef<Value> t) {
      Value x = t[0], grad = t[1], h = t[2];
      Value r = m.div(rate, m.add(m.c(1), m.mul(step, m.c(decay))));
      Value g = m.add(m.mul(m.c(norm), x), grad);
      Value hNew = m.add(h, m.mul(g, g));
      Value xNew = m.sub(x, m.div(m.mul(r, g), m.add(m.sqrt(hNew), m.c(eps))));
      return SmallVector<Value>{xNew, hNew};
    });
  }
};

struct MomentumLowering : OpRewritePattern<MomentumOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MomentumOp op, PatternRewriter &b) const override {
    double alpha = attr(op.getAlphaAttr()), beta = attr(op.getBetaAttr()),
           norm = attr(op.getNormCoefficientAttr());
    bool nesterov = op.getNesterov();
    return lowerOptimizer(op, b, 2, [&](FloatMath &m, Value rate, Value step, ArrayRef<Value> t) {
      Value x = t[0], grad = t[1], v = t[2];
      Value g = m.add(m.mul(m.c(norm), x), grad);
      Value be = m.sel(m.gt(step, m.c(0)), m.c(beta), m.c(1));
      Value vNew = m.add(m.mul(m.c(alpha), v), m.mul(be, g));
      Value dir = nesterov ? m.add(g, m.mul(m.c(alpha), vNew)) : vNew;
      Value xNew = m.sub(x, m.mul(rate, dir));
      return SmallVector<Value>{xNew, vNew};
    });
  }
};

struct AdamLowering : OpRewritePattern<AdamOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AdamOp op, PatternRewriter &b) const override {
    double alpha = attr(op.getAlphaAttr()), beta = attr(op.getBetaAttr()),
           eps = attr(op.getEpsilonAttr()), norm = attr(op.getNormCoefficientAttr()),
           post = attr(op.getNormCoefficientPostAttr());
    return lowerOptimizer(op, b, 3, [&](FloatMath &m, Value rate, Value step, ArrayRef<Value> t) {
      Value x = t[0], grad = t[1], v = t[2], h = t[3];
      Value g = m.add(m.mul(m.c(norm), x), grad);
      Value vNew = m.add(m.mul(m.c(alpha), v), m.mul(m.c(1 - alpha), g));
      Value hNew = m.add(m.mul(m.c(beta), h), m.mul(m.c(1 - beta), m.mul(g, g)));
      Value hSqrt = m.add(m.sqrt(hNew), m.c(eps));
      Value pa = math::PowFOp::create(m.b, m.l, m.c(alpha), step);
      Value pb = math::PowFOp::create(m.b, m.l, m.c(beta), step);
      Value adjusted = m.div(m.mul(rate, m.sqrt(m.sub(m.c(1), pb))), m.sub(m.c(1), pa));
      Value r = m.sel(m.gt(step, m.c(0)), adjusted, rate);
      Value xNew = m.sub(x, m.mul(r, m.div(vNew, hSqrt)));
      xNew = m.mul(m.c(1 - post), xNew);
      return SmallVector<Value>{xNew, vNew, hNew};
    });
  }
};

} // namespace

void mlir::nuri::populateMiscLowerings(RewritePatternSet &patterns) {
  patterns.add<GridSampleLowering, RoiAlignLowering, DFTLowering, STFTLowering, TfIdfLowering,
               AdagradLowering, MomentumLowering, AdamLowering>(patterns.getContext());
}
