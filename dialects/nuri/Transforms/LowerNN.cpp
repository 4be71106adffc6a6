//===- LowerNN.cpp - nuri -> linalg: neural-network ops -------------------===//
//
// Lowerings of the neural-network ops: resize, transposed convolution,
// normalizations, einsum, and the windows NuriToLinalg.cpp leaves alone
// (3-D and higher conv/pooling, indexed and integer max pooling, Lp
// pooling, unpooling).
//
// Windows of any rank are one linalg.generic over (n, c, out..., window...)
// reading an explicitly padded input through `o * stride + k * dilation`.
// Resize precomputes, per resized dimension, the source indices and
// interpolation weights of every output coordinate as constant tables (all
// shapes and scales are static), so the kernel is a gather and a weighted sum.
//
//===----------------------------------------------------------------------===//
#include "dialects/nuri/Transforms/LoweringUtils.h"

#include "mlir/IR/PatternMatch.h"

#include <cmath>
#include <limits>
#include <map>

using namespace mlir;
using namespace mlir::nuri;

namespace {

//===----------------------------------------------------------------------===//
// Shared pieces
//===----------------------------------------------------------------------===//

using utils::IteratorType;

/// Element type arithmetic runs in: f32 for 16-bit floats, else the type.
Type computeType(Type et) {
  if (isa<FloatType>(et) && et.getIntOrFloatBitWidth() < 32)
    return Float32Type::get(et.getContext());
  return et;
}

Value toType(OpBuilder &b, Location loc, Value v, RankedTensorType to) {
  if (typeOf(v).getElementType() == to.getElementType())
    return v;
  return elementwise(b, loc, to, {v}, [&](OpBuilder &nb, Location l, ValueRange a) {
    return convertScalar(nb, l, a[0], to.getElementType());
  });
}

/// `x` inside a tensor filled with `value`, `low`/`high` extra elements per dimension.
Value padded(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> low, ArrayRef<int64_t> high,
             double value) {
  if (llvm::all_of(low, [](int64_t v) { return v == 0; }) &&
      llvm::all_of(high, [](int64_t v) { return v == 0; }))
    return x;
  auto t = typeOf(x);
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < t.getRank(); ++d)
    shape.push_back(t.getDimSize(d) + low[d] + high[d]);
  Value dest = fill(b, loc, t.clone(shape), value);
  SmallVector<int64_t> strides(t.getRank(), 1);
  return tensor::InsertSliceOp::create(b, loc, x, dest, ValueRange{}, ValueRange{}, ValueRange{},
                                       low, t.getShape(), strides);
}

SmallVector<Value> loopIndices(OpBuilder &b, Location loc, int64_t n) {
  SmallVector<Value> idx;
  for (int64_t d = 0; d < n; ++d)
    idx.push_back(linalg::IndexOp::create(b, loc, d));
  return idx;
}

Value indexCst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// A window over an NC[D]HW tensor `x` that is already padded:
///   outs[n, c, o...] = body over k... of x[n, c, o * stride + k * dilation].
/// Loops are (n, c, o_1..o_m, k_1..k_m); an empty tensor of the kernel's
/// shape gives the window loops their extents. The body sees
/// (x, window, accumulators...).
SmallVector<Value> windowGeneric(OpBuilder &b, Location loc, Value x, ValueRange inits,
                                 ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                                 ArrayRef<int64_t> dilations,
                                 function_ref<void(OpBuilder &, Location, ValueRange)> body) {
  MLIRContext *ctx = b.getContext();
  int64_t m = kernel.size(), loops = 2 + 2 * m;
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> in{d(0), d(1)}, win, out{d(0), d(1)};
  for (int64_t i = 0; i < m; ++i) {
    in.push_back(d(2 + i) * strides[i] + d(2 + m + i) * dilations[i]);
    win.push_back(d(2 + m + i));
    out.push_back(d(2 + i));
  }
  SmallVector<AffineMap> maps{AffineMap::get(loops, 0, in, ctx),
                              AffineMap::get(loops, 0, win, ctx)};
  for (size_t i = 0; i < inits.size(); ++i)
    maps.push_back(AffineMap::get(loops, 0, out, ctx));
  SmallVector<IteratorType> iters(2 + m, IteratorType::parallel);
  iters.append(m, IteratorType::reduction);
  Value window = tensor::EmptyOp::create(b, loc, kernel, typeOf(x).getElementType());
  SmallVector<Type> types;
  for (Value v : inits)
    types.push_back(v.getType());
  auto g = linalg::GenericOp::create(b, loc, types, ValueRange{x, window}, inits, maps, iters,
                                     [&](OpBuilder &nb, Location l, ValueRange a) { body(nb, l, a); });
  return SmallVector<Value>(g.getResults());
}

/// High padding a window needs beyond `pads` (ceil_mode's last windows).
SmallVector<int64_t> windowHighPads(ArrayRef<int64_t> in, ArrayRef<int64_t> out,
                                    ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                                    ArrayRef<int64_t> dilations, ArrayRef<int64_t> pads) {
  int64_t m = kernel.size();
  SmallVector<int64_t> high;
  for (int64_t i = 0; i < m; ++i) {
    int64_t need = (out[i] - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1;
    high.push_back(std::max(pads[m + i], need - in[i] - pads[i]));
  }
  return high;
}

/// Pads an NC... tensor on its spatial dimensions.
Value padSpatial(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> low,
                 ArrayRef<int64_t> high, double value) {
  SmallVector<int64_t> lo{0, 0}, hi{0, 0};
  lo.append(low.begin(), low.end());
  hi.append(high.begin(), high.end());
  return padded(b, loc, x, lo, hi, value);
}

bool moreThan2Spatial(Value x) { return typeOf(x).getRank() > 4; }

//===----------------------------------------------------------------------===//
// Convolution and pooling of 3 or more spatial dimensions
//===----------------------------------------------------------------------===//

/// out[n, g, f, o...] += x[n, g, c, o * s + k * d] * w[g, f, c, k...], for
/// any number of spatial dimensions and groups.
struct ConvNdLowering : OpRewritePattern<ConvOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConvOp op, PatternRewriter &b) const override {
    if (!moreThan2Spatial(op.getInput()) || !isFloat(op.getType()))
      return b.notifyMatchFailure(op, "1-D and 2-D convolutions lower in NuriToLinalg.cpp");
    Location loc = op.getLoc();
    MLIRContext *ctx = b.getContext();
    auto xt = typeOf(op.getInput()), wt = typeOf(op.getWeight());
    auto outType = op.getType();
    int64_t m = xt.getRank() - 2, g = op.getGroup();
    int64_t n = xt.getDimSize(0), c = xt.getDimSize(1), f = wt.getDimSize(0);
    auto pads = op.getPads();
    Value x = padSpatial(b, loc, op.getInput(), pads.take_front(m), pads.drop_front(m), 0.0);
    auto px = typeOf(x).getShape();
    SmallVector<int64_t> gx{n, g, c / g}, gw{g, f / g, c / g}, go{n, g, f / g};
    gx.append(px.begin() + 2, px.end());
    gw.append(wt.getShape().begin() + 2, wt.getShape().end());
    go.append(outType.getShape().begin() + 2, outType.getShape().end());
    x = reshapeTo(b, loc, x, gx);
    Value w = reshapeTo(b, loc, op.getWeight(), gw);
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    // n=0 g=1 f=2 o=3..3+m c=3+m k=4+m..
    int64_t loops = 4 + 2 * m;
    SmallVector<AffineExpr> in{d(0), d(1), d(3 + m)}, we{d(1), d(2), d(3 + m)}, out{d(0), d(1), d(2)};
    for (int64_t i = 0; i < m; ++i) {
      in.push_back(d(3 + i) * op.getStrides()[i] + d(4 + m + i) * op.getDilations()[i]);
      we.push_back(d(4 + m + i));
      out.push_back(d(3 + i));
    }
    SmallVector<IteratorType> iters(3 + m, IteratorType::parallel);
    iters.append(1 + m, IteratorType::reduction);
    auto gType = outType.clone(go);
    auto conv = linalg::GenericOp::create(
        b, loc, gType, ValueRange{x, w}, ValueRange{fill(b, loc, gType, 0)},
        SmallVector<AffineMap>{AffineMap::get(loops, 0, in, ctx), AffineMap::get(loops, 0, we, ctx),
                               AffineMap::get(loops, 0, out, ctx)},
        iters, [](OpBuilder &nb, Location l, ValueRange a) {
          Value p = arith::MulFOp::create(nb, l, a[0], a[1]);
          linalg::YieldOp::create(nb, l, arith::AddFOp::create(nb, l, a[2], p).getResult());
        });
    Value y = reshapeTo(b, loc, conv.getResult(0), outType);
    if (Value bias = op.getBias()) {
      SmallVector<int64_t> bshape(outType.getRank(), 1);
      bshape[1] = f;
      y = elementwise(b, loc, outType, {y, reshapeTo(b, loc, bias, bshape)},
                      [](OpBuilder &nb, Location l, ValueRange a) {
                        return arith::AddFOp::create(nb, l, a[0], a[1]);
                      });
    }
    b.replaceOp(op, y);
    return success();
  }
};

template <typename Op, bool IsMax> struct PoolNdLowering : OpRewritePattern<Op> {
  using OpRewritePattern<Op>::OpRewritePattern;
  LogicalResult matchAndRewrite(Op op, PatternRewriter &b) const override {
    if (!moreThan2Spatial(op.getInput()))
      return b.notifyMatchFailure(op, "1-D and 2-D pooling lowers in NuriToLinalg.cpp");
    Location loc = op.getLoc();
    auto xt = typeOf(op.getInput());
    auto outType = op.getType();
    Type et = xt.getElementType();
    int64_t m = xt.getRank() - 2;
    auto in = xt.getShape().drop_front(2), out = outType.getShape().drop_front(2);
    auto kernel = op.getKernelShape(), strides = op.getStrides(), dil = op.getDilations();
    auto pads = op.getPads();
    auto high = windowHighPads(in, out, kernel, strides, dil, pads);
    double padValue = IsMax ? -std::numeric_limits<double>::infinity() : 0.0;
    Value x = padSpatial(b, loc, op.getInput(), pads.take_front(m), high, padValue);
    Value y = windowGeneric(b, loc, x, {fill(b, loc, outType, padValue)}, kernel, strides, dil,
                            [&](OpBuilder &nb, Location l, ValueRange a) {
                              Value r = IsMax ? (Value)arith::MaximumFOp::create(nb, l, a[0], a[2])
                                              : (Value)arith::AddFOp::create(nb, l, a[0], a[2]);
                              linalg::YieldOp::create(nb, l, r);
                            })[0];
    if (!IsMax) {
      // Divisors: the window is a box, so its element count is a product of
      // per-dimension counts, known at compile time.
      bool includePad = op.getCountIncludePad();
      SmallVector<SmallVector<int64_t>> counts(m);
      for (int64_t i = 0; i < m; ++i)
        for (int64_t o = 0; o < out[i]; ++o) {
          int64_t lo = includePad ? -pads[i] : 0, hi = includePad ? in[i] + pads[m + i] : in[i];
          int64_t cnt = 0;
          for (int64_t k = 0; k < kernel[i]; ++k) {
            int64_t pos = o * strides[i] + k * dil[i] - pads[i];
            cnt += pos >= lo && pos < hi;
          }
          counts[i].push_back(cnt);
        }
      auto divType = RankedTensorType::get(out, et);
      SmallVector<Attribute> divs;
      SmallVector<int64_t> pos(m, 0);
      for (int64_t flat = 0; flat < divType.getNumElements(); ++flat) {
        int64_t cnt = 1;
        for (int64_t i = 0; i < m; ++i)
          cnt *= counts[i][pos[i]];
        divs.push_back(b.getFloatAttr(et, cnt ? cnt : 1));
        for (int64_t i = m - 1; i >= 0; --i) {
          if (++pos[i] < out[i])
            break;
          pos[i] = 0;
        }
      }
      Value divisor = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(divType, divs));
      y = elementwise(b, loc, outType, {y, divisor}, [](OpBuilder &nb, Location l, ValueRange a) {
        return arith::DivFOp::create(nb, l, a[0], a[1]);
      });
    }
    b.replaceOp(op, y);
    return success();
  }
};

/// Max pooling of any numeric type with the flat index of each maximum.
/// Padding is never read as a candidate: a position counts only when it lies
/// inside the input, so no "minus infinity" of the element type is needed.
struct MaxPoolIndexedLowering : OpRewritePattern<MaxPoolIndexedOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MaxPoolIndexedOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    Value input = toSignless(b, loc, op.getInput());
    bool uns = op.getInput().getType().getElementType().isUnsignedInteger();
    auto xt = typeOf(input);
    Type et = xt.getElementType();
    auto outType = op.getOutput().getType().clone(et);
    auto idxType = op.getIndices().getType();
    int64_t m = xt.getRank() - 2;
    auto shape = xt.getShape();
    auto in = shape.drop_front(2), out = outType.getShape().drop_front(2);
    auto kernel = op.getKernelShape(), strides = op.getStrides(), dil = op.getDilations();
    auto pads = op.getPads();
    auto high = windowHighPads(in, out, kernel, strides, dil, pads);
    Value x = padSpatial(b, loc, input, pads.take_front(m), high, 0.0);
    bool colMajor = op.getStorageOrder() == 1;
    auto results = windowGeneric(
        b, loc, x, {fill(b, loc, outType, 0), fill(b, loc, idxType, -1)}, kernel, strides, dil,
        [&](OpBuilder &nb, Location l, ValueRange a) {
          SmallVector<Value> iv = loopIndices(nb, l, 2 + 2 * m);
          Type i64 = nb.getI64Type();
          Value valid = arith::ConstantIntOp::create(nb, l, 1, 1);
          SmallVector<Value> posI64;
          for (int64_t i = 0; i < m; ++i) {
            // pos = o * s + k * d - padLow, in the unpadded input
            Value o = arith::MulIOp::create(nb, l, iv[2 + i], indexCst(nb, l, strides[i]));
            Value k = arith::MulIOp::create(nb, l, iv[2 + m + i], indexCst(nb, l, dil[i]));
            Value pos = arith::SubIOp::create(nb, l, arith::AddIOp::create(nb, l, o, k),
                                              indexCst(nb, l, pads[i]));
            Value ge = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sge, pos, indexCst(nb, l, 0));
            Value lt = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, pos,
                                             indexCst(nb, l, in[i]));
            valid = arith::AndIOp::create(nb, l, valid, arith::AndIOp::create(nb, l, ge, lt));
            posI64.push_back(arith::IndexCastOp::create(nb, l, i64, pos));
          }
          // ((n * C + c) * D1 + p1) * D2 + p2 ..., spatial order reversed for column-major.
          Value flat = arith::AddIOp::create(
              nb, l,
              arith::MulIOp::create(nb, l, arith::IndexCastOp::create(nb, l, i64, iv[0]),
                                    cst(nb, l, i64, shape[1])),
              arith::IndexCastOp::create(nb, l, i64, iv[1]));
          for (int64_t j = 0; j < m; ++j) {
            int64_t i = colMajor ? m - 1 - j : j;
            flat = arith::AddIOp::create(nb, l, arith::MulIOp::create(nb, l, flat, cst(nb, l, i64, in[i])),
                                         posI64[i]);
          }
          Value greater;
          if (isFloat(et))
            greater = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGT, a[0], a[2]);
          else
            greater = arith::CmpIOp::create(nb, l, uns ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt,
                                            a[0], a[2]);
          Value first = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, a[3], cst(nb, l, i64, 0));
          Value take = arith::AndIOp::create(nb, l, valid, arith::OrIOp::create(nb, l, first, greater));
          linalg::YieldOp::create(nb, l,
                                  ValueRange{arith::SelectOp::create(nb, l, take, a[0], a[2]),
                                             arith::SelectOp::create(nb, l, take, flat, a[3])});
        });
    Value y = results[0];
    if (y.getType() != op.getOutput().getType())
      y = tensor::BitcastOp::create(b, loc, op.getOutput().getType(), y);
    b.replaceOp(op, ValueRange{y, results[1]});
    return success();
  }
};

/// (sum over the window of |x|^p)^(1/p); padding reads as zero.
struct LpPoolLowering : OpRewritePattern<LpPoolOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LpPoolOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    auto xt = typeOf(op.getInput());
    auto outType = op.getType();
    Type et = xt.getElementType(), ct = computeType(et);
    int64_t m = xt.getRank() - 2, p = op.getP();
    auto in = xt.getShape().drop_front(2), out = outType.getShape().drop_front(2);
    auto kernel = op.getKernelShape(), strides = op.getStrides(), dil = op.getDilations();
    auto pads = op.getPads();
    auto high = windowHighPads(in, out, kernel, strides, dil, pads);
    Value x = padSpatial(b, loc, op.getInput(), pads.take_front(m), high, 0.0);
    auto accType = outType.clone(ct);
    Value sum = windowGeneric(b, loc, x, {fill(b, loc, accType, 0)}, kernel, strides, dil,
                              [&](OpBuilder &nb, Location l, ValueRange a) {
                                Value v = math::AbsFOp::create(nb, l, convertScalar(nb, l, a[0], ct));
                                Value t = v;
                                if (p == 2)
                                  t = arith::MulFOp::create(nb, l, v, v);
                                else if (p != 1)
                                  t = math::PowFOp::create(nb, l, v, cst(nb, l, ct, (double)p));
                                linalg::YieldOp::create(nb, l, arith::AddFOp::create(nb, l, a[2], t).getResult());
                              })[0];
    Value y = elementwise(b, loc, outType, {sum}, [&](OpBuilder &nb, Location l, ValueRange a) {
      Value r = a[0];
      if (p == 2)
        r = math::SqrtOp::create(nb, l, r);
      else if (p != 1)
        r = math::PowFOp::create(nb, l, r, cst(nb, l, ct, 1.0 / p));
      return convertScalar(nb, l, r, et);
    });
    b.replaceOp(op, y);
    return success();
  }
};

/// A loop over the input scattering each value to its index (out-of-range
/// indices are skipped); the output starts as zeros.
struct MaxUnpoolLowering : OpRewritePattern<MaxUnpoolOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MaxUnpoolOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    Value x = toSignless(b, loc, op.getInput());
    auto xt = typeOf(x);
    Type et = xt.getElementType();
    auto outType = op.getType().clone(et);
    int64_t count = xt.getNumElements(), total = outType.getNumElements();
    ArrayRef<int64_t> indexShape = op.getIndexShape();
    int64_t indexTotal = 1;
    for (int64_t d : indexShape)
      indexTotal *= d;
    Value flatX = reshapeTo(b, loc, x, {count});
    Value flatI = reshapeTo(b, loc, op.getIndices(), {count});
    Value init = fill(b, loc, RankedTensorType::get({total}, et), 0);
    auto loop = scf::ForOp::create(
        b, loc, indexCst(b, loc, 0), indexCst(b, loc, count), indexCst(b, loc, 1), ValueRange{init},
        [&](OpBuilder &nb, Location l, Value i, ValueRange acc) {
          Value v = tensor::ExtractOp::create(nb, l, flatX, i);
          Value j = arith::IndexCastOp::create(nb, l, nb.getIndexType(),
                                               tensor::ExtractOp::create(nb, l, flatI, i));
          Value inRange = arith::AndIOp::create(
              nb, l, arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sge, j, indexCst(nb, l, 0)),
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, j,
                                    indexCst(nb, l, indexTotal)));
          if (indexShape != outType.getShape()) {
            // Re-address from the index shape into the (larger) output.
            Value rest = j, flat = indexCst(nb, l, 0), scale = indexCst(nb, l, 1);
            for (int64_t d = indexShape.size() - 1; d >= 0; --d) {
              Value coord = arith::RemSIOp::create(nb, l, rest, indexCst(nb, l, indexShape[d]));
              rest = arith::DivSIOp::create(nb, l, rest, indexCst(nb, l, indexShape[d]));
              inRange = arith::AndIOp::create(
                  nb, l, inRange,
                  arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, coord,
                                        indexCst(nb, l, outType.getDimSize(d))));
              flat = arith::AddIOp::create(nb, l, flat, arith::MulIOp::create(nb, l, coord, scale));
              scale = arith::MulIOp::create(nb, l, scale, indexCst(nb, l, outType.getDimSize(d)));
            }
            j = flat;
          }
          Value at = arith::SelectOp::create(nb, l, inRange, j, indexCst(nb, l, 0));
          Value old = tensor::ExtractOp::create(nb, l, acc[0], at);
          Value nv = arith::SelectOp::create(nb, l, inRange, v, old);
          scf::YieldOp::create(nb, l, tensor::InsertOp::create(nb, l, nv, acc[0], at).getResult());
        });
    Value y = reshapeTo(b, loc, loop.getResult(0), outType);
    if (outType != op.getType())
      y = tensor::BitcastOp::create(b, loc, op.getType(), y);
    b.replaceOp(op, y);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Transposed convolution
//===----------------------------------------------------------------------===//

/// W [g*Cg, Mg, k...] -> [g*Mg, Cg, k...] with every window reversed: the
/// weights of the equivalent direct convolution. Constant weights are
/// rearranged at compile time.
Value transposedConvWeights(OpBuilder &b, Location loc, Value w, int64_t g) {
  auto wt = typeOf(w);
  int64_t cg = wt.getDimSize(0) / g, mg = wt.getDimSize(1);
  auto kernel = wt.getShape().drop_front(2);
  int64_t m = kernel.size(), kvol = 1;
  for (int64_t k : kernel)
    kvol *= k;
  SmallVector<int64_t> outShape{g * mg, cg};
  outShape.append(kernel.begin(), kernel.end());
  auto outType = wt.clone(outShape);
  DenseElementsAttr dense;
  if (auto c = w.getDefiningOp<arith::ConstantOp>())
    dense = dyn_cast<DenseElementsAttr>(c.getValue());
  else if (auto c = w.getDefiningOp<ConstantOp>())
    dense = dyn_cast<DenseElementsAttr>(c.getValue());
  if (dense && !wt.getElementType().isInteger(1)) {
    std::vector<char> src = elementBytes(dense), dst(src.size());
    size_t eb = elementByteSize(wt.getElementType());
    for (int64_t gi = 0; gi < g; ++gi)
      for (int64_t mi = 0; mi < mg; ++mi)
        for (int64_t ci = 0; ci < cg; ++ci)
          for (int64_t k = 0; k < kvol; ++k) {
            int64_t from = ((gi * cg + ci) * mg + mi) * kvol + (kvol - 1 - k);
            int64_t to = ((gi * mg + mi) * cg + ci) * kvol + k;
            std::memcpy(&dst[to * eb], &src[from * eb], eb);
          }
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::getFromRawBuffer(outType, ArrayRef<char>(dst)));
  }
  // The same per dimension, reading through tensor.extract: a reversed
  // index (k - 1 - i) in an indexing map would not survive unit-dimension
  // folding and tiling.
  SmallVector<int64_t> gShape{g, cg, mg};
  gShape.append(kernel.begin(), kernel.end());
  SmallVector<int64_t> tShape{g, mg, cg};
  tShape.append(kernel.begin(), kernel.end());
  Value gw = reshapeTo(b, loc, w, gShape);
  int64_t loops = 3 + m;
  auto tType = wt.clone(tShape);
  auto g2 = linalg::GenericOp::create(
      b, loc, tType, ValueRange{}, ValueRange{emptyLike(b, loc, tType)},
      SmallVector<AffineMap>{AffineMap::getMultiDimIdentityMap(loops, b.getContext())},
      SmallVector<IteratorType>(loops, IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange) {
        SmallVector<Value> iv = loopIndices(nb, l, loops);
        SmallVector<Value> src{iv[0], iv[2], iv[1]};
        for (int64_t i = 0; i < m; ++i)
          src.push_back(arith::SubIOp::create(nb, l, indexCst(nb, l, kernel[i] - 1), iv[3 + i]));
        linalg::YieldOp::create(nb, l, tensor::ExtractOp::create(nb, l, gw, src).getResult());
      });
  return reshapeTo(b, loc, g2.getResult(0), outType);
}

/// A transposed convolution is a direct one over the input spread out by the
/// stride (zeros between elements), padded by (k - 1) * d - pad, with
/// reversed, channel-swapped weights. Negative paddings become a crop of the
/// result.
struct ConvTransposeLowering : OpRewritePattern<ConvTransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConvTransposeOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto xt = typeOf(x), wt = op.getWeight().getType();
    auto outType = op.getType();
    int64_t m = xt.getRank() - 2, g = op.getGroup();
    auto strides = op.getStrides(), dil = op.getDilations(), pads = op.getPads(),
         outPad = op.getOutputPadding();
    SmallVector<int64_t> spreadShape{xt.getDimSize(0), xt.getDimSize(1)}, offsets{0, 0},
        insertStrides{1, 1}, cropStart{0, 0};
    for (int64_t i = 0; i < m; ++i) {
      int64_t full = (wt.getDimSize(2 + i) - 1) * dil[i];
      int64_t low = full - pads[i], high = full + outPad[i] - pads[m + i];
      spreadShape.push_back((xt.getDimSize(2 + i) - 1) * strides[i] + 1 + std::max<int64_t>(low, 0) +
                            std::max<int64_t>(high, 0));
      offsets.push_back(std::max<int64_t>(low, 0));
      insertStrides.push_back(strides[i]);
      cropStart.push_back(std::max<int64_t>(-low, 0));
    }
    Value spread = fill(b, loc, xt.clone(spreadShape), 0);
    spread = tensor::InsertSliceOp::create(b, loc, x, spread, ValueRange{}, ValueRange{},
                                           ValueRange{}, offsets, xt.getShape(), insertStrides);
    Value w = transposedConvWeights(b, loc, op.getWeight(), g);
    SmallVector<int64_t> ones(m, 1), zeros(2 * m, 0);
    Value y = ConvOp::create(b, loc, spread, w, op.getBias(), b.getDenseI64ArrayAttr(ones),
                             b.getDenseI64ArrayAttr(zeros), b.getDenseI64ArrayAttr(dil),
                             b.getI64IntegerAttr(g));
    if (typeOf(y).getShape() != outType.getShape()) {
      SmallVector<int64_t> unit(xt.getRank(), 1);
      y = tensor::ExtractSliceOp::create(b, loc, outType, y, ValueRange{}, ValueRange{},
                                         ValueRange{}, cropStart, outType.getShape(), unit);
    }
    b.replaceOp(op, y);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Normalizations
//===----------------------------------------------------------------------===//

/// Sum over the last dimension, keeping it with size 1.
Value sumLast(OpBuilder &b, Location loc, Value x) {
  auto t = typeOf(x);
  int64_t r = t.getRank();
  auto redType = RankedTensorType::get(t.getShape().drop_back(), t.getElementType());
  auto red = linalg::ReduceOp::create(
      b, loc, ValueRange{x}, ValueRange{fill(b, loc, redType, 0)}, SmallVector<int64_t>{r - 1},
      [&](OpBuilder &nb, Location l, ValueRange a) {
        linalg::YieldOp::create(nb, l, arith::AddFOp::create(nb, l, a[0], a[1]).getResult());
      });
  SmallVector<int64_t> keep(t.getShape());
  keep.back() = 1;
  return reshapeTo(b, loc, red.getResult(0), keep);
}

/// x as [N, G, C/G * spatial]: mean and variance per (n, g), then the
/// per-channel scale and bias on the original shape.
struct GroupNormLowering : OpRewritePattern<GroupNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GroupNormOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    auto t = op.getType();
    Type et = t.getElementType(), ct = computeType(et);
    int64_t n = t.getDimSize(0), c = t.getDimSize(1), g = op.getNumGroups();
    int64_t count = t.getNumElements() / (n * g);
    auto gType = RankedTensorType::get({n, g, count}, ct);
    Value x = toType(b, loc, reshapeTo(b, loc, op.getInput(), {n, g, count}), gType);
    double inv = 1.0 / count, eps = op.getEpsilon().convertToDouble();
    Value mean = sumLast(b, loc, x);
    Value centered = elementwise(b, loc, gType, {x, mean}, [&](OpBuilder &nb, Location l, ValueRange a) {
      return arith::SubFOp::create(nb, l, a[0], arith::MulFOp::create(nb, l, a[1], cst(nb, l, ct, inv)));
    });
    Value sq = elementwise(b, loc, gType, {centered}, [](OpBuilder &nb, Location l, ValueRange a) {
      return arith::MulFOp::create(nb, l, a[0], a[0]);
    });
    Value var = sumLast(b, loc, sq);
    Value normed = elementwise(b, loc, gType, {centered, var}, [&](OpBuilder &nb, Location l, ValueRange a) {
      Value v = arith::AddFOp::create(nb, l, arith::MulFOp::create(nb, l, a[1], cst(nb, l, ct, inv)),
                                      cst(nb, l, ct, eps));
      return arith::MulFOp::create(nb, l, a[0], math::RsqrtOp::create(nb, l, v));
    });
    normed = reshapeTo(b, loc, normed, t.clone(ct).getShape());
    SmallVector<int64_t> chShape(t.getRank(), 1);
    chShape[1] = c;
    Value scale = reshapeTo(b, loc, op.getScale(), chShape);
    Value bias = reshapeTo(b, loc, op.getBias(), chShape);
    b.replaceOp(op, elementwise(b, loc, t, {normed, scale, bias}, [&](OpBuilder &nb, Location l, ValueRange a) {
                  Value s = convertScalar(nb, l, a[1], ct), bb = convertScalar(nb, l, a[2], ct);
                  Value y = arith::AddFOp::create(nb, l, arith::MulFOp::create(nb, l, a[0], s), bb);
                  return convertScalar(nb, l, y, et);
                }));
    return success();
  }
};

/// Squares, a zero-padded channel window sum, then x / (bias + alpha / size * sum)^beta.
struct LRNLowering : OpRewritePattern<LRNOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LRNOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = b.getContext();
    auto t = op.getType();
    Type et = t.getElementType(), ct = computeType(et);
    int64_t r = t.getRank(), size = op.getSize();
    auto ctType = t.clone(ct);
    Value sq = elementwise(b, loc, ctType, {op.getInput()}, [&](OpBuilder &nb, Location l, ValueRange a) {
      Value v = convertScalar(nb, l, a[0], ct);
      return arith::MulFOp::create(nb, l, v, v);
    });
    SmallVector<int64_t> low(r, 0), high(r, 0);
    low[1] = (size - 1) / 2;
    high[1] = size - 1 - low[1];
    Value psq = padded(b, loc, sq, low, high, 0.0);
    // loops: the output's dims, then the window k; input reads channel c + k.
    SmallVector<AffineExpr> in, out;
    for (int64_t d = 0; d < r; ++d) {
      out.push_back(getAffineDimExpr(d, ctx));
      in.push_back(d == 1 ? getAffineDimExpr(1, ctx) + getAffineDimExpr(r, ctx)
                          : getAffineDimExpr(d, ctx));
    }
    SmallVector<IteratorType> iters(r, IteratorType::parallel);
    iters.push_back(IteratorType::reduction);
    Value window = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{size}, ct);
    auto sum = linalg::GenericOp::create(
        b, loc, ctType, ValueRange{psq, window}, ValueRange{fill(b, loc, ctType, 0)},
        SmallVector<AffineMap>{AffineMap::get(r + 1, 0, in, ctx),
                               AffineMap::get(r + 1, 0, {getAffineDimExpr(r, ctx)}, ctx),
                               AffineMap::get(r + 1, 0, out, ctx)},
        iters, [](OpBuilder &nb, Location l, ValueRange a) {
          linalg::YieldOp::create(nb, l, arith::AddFOp::create(nb, l, a[0], a[2]).getResult());
        });
    double alpha = op.getAlpha().convertToDouble(), beta = op.getBeta().convertToDouble(),
           bias = op.getBias().convertToDouble();
    b.replaceOp(op, elementwise(b, loc, t, {op.getInput(), sum.getResult(0)},
                                [&](OpBuilder &nb, Location l, ValueRange a) {
                                  Value base = arith::AddFOp::create(
                                      nb, l, cst(nb, l, ct, bias),
                                      arith::MulFOp::create(nb, l, a[1], cst(nb, l, ct, alpha / size)));
                                  Value den = math::PowFOp::create(nb, l, base, cst(nb, l, ct, beta));
                                  Value y = arith::DivFOp::create(nb, l, convertScalar(nb, l, a[0], ct), den);
                                  return convertScalar(nb, l, y, et);
                                }));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Einsum
//===----------------------------------------------------------------------===//

/// One generic: a loop per label (output labels first, parallel; the others
/// reductions); a label repeated in an operand reads its diagonal; a size-1
/// dimension against a larger label broadcasts.
struct EinsumLowering : OpRewritePattern<EinsumOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(EinsumOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = b.getContext();
    StringRef eq = op.getEquation();
    auto [lhs, outLabels] = eq.split("->");
    SmallVector<StringRef> terms;
    lhs.split(terms, ',');
    std::string order = outLabels.str();
    for (StringRef t : terms)
      for (char c : t)
        if (order.find(c) == std::string::npos)
          order.push_back(c);
    std::map<char, int64_t> size;
    for (auto [t, v] : llvm::zip(terms, op.getInputs()))
      for (auto [i, c] : llvm::enumerate(t))
        size[c] = std::max(size[c], typeOf(v).getDimSize(i));
    int64_t loops = order.size();
    auto dimOf = [&](char c) { return getAffineDimExpr(order.find(c), ctx); };
    SmallVector<AffineMap> maps;
    SmallVector<Value> inputs;
    for (auto [t, v] : llvm::zip(terms, op.getInputs())) {
      SmallVector<AffineExpr> exprs;
      for (auto [i, c] : llvm::enumerate(t))
        exprs.push_back(typeOf(v).getDimSize(i) == 1 && size[c] != 1 ? getAffineConstantExpr(0, ctx)
                                                                     : dimOf(c));
      maps.push_back(AffineMap::get(loops, 0, exprs, ctx));
      inputs.push_back(toSignless(b, loc, v));
    }
    SmallVector<AffineExpr> outExprs;
    for (char c : outLabels)
      outExprs.push_back(dimOf(c));
    maps.push_back(AffineMap::get(loops, 0, outExprs, ctx));
    SmallVector<IteratorType> iters(loops, IteratorType::reduction);
    for (size_t i = 0; i < outLabels.size(); ++i)
      iters[i] = IteratorType::parallel;
    auto resultType = op.getType();
    Type et = signless(resultType.getElementType());
    auto outType = resultType.clone(et);
    bool fl = isa<FloatType>(et);
    auto g = linalg::GenericOp::create(
        b, loc, outType, inputs, ValueRange{fill(b, loc, outType, 0)}, maps, iters,
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value p = a[0];
          for (size_t i = 1; i + 1 < a.size(); ++i)
            p = fl ? (Value)arith::MulFOp::create(nb, l, p, a[i])
                   : (Value)arith::MulIOp::create(nb, l, p, a[i]);
          Value s = fl ? (Value)arith::AddFOp::create(nb, l, a.back(), p)
                       : (Value)arith::AddIOp::create(nb, l, a.back(), p);
          linalg::YieldOp::create(nb, l, s);
        });
    Value y = g.getResult(0);
    if (outType != resultType)
      y = tensor::BitcastOp::create(b, loc, resultType, y);
    b.replaceOp(op, y);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Resize
//===----------------------------------------------------------------------===//

/// Where one output coordinate of one dimension reads: taps (source index,
/// weight); `outside` for tf_crop_and_resize sources outside the input.
struct Taps {
  SmallVector<int64_t> index;
  SmallVector<double> weight;
  bool outside = false;
};

/// ONNX's reference (onnx/reference/ops/op_resize.py) for one dimension.
SmallVector<Taps> resizeTaps(ResizeOp op, int64_t dim) {
  int64_t in = op.getInput().getType().getDimSize(dim), outInt = op.getSizes()[dim];
  int64_t rank = op.getInput().getType().getRank();
  double scale = op.getScales()[dim], outFloat = scale * in;
  StringRef ctm = op.getCoordinateTransformationMode(), mode = op.getMode(),
            nearest = op.getNearestMode();
  double a = op.getCubicCoeffA().convertToDouble();
  SmallVector<Taps> all;
  for (int64_t x = 0; x < outInt; ++x) {
    double src = 0;
    Taps t;
    if (ctm == "align_corners") {
      src = outFloat == 1 ? 0.0 : x * (in - 1) / (outFloat - 1);
    } else if (ctm == "asymmetric") {
      src = x / scale;
    } else if (ctm == "tf_crop_and_resize") {
      double start = op.getRoi()[dim], end = op.getRoi()[rank + dim];
      src = outFloat == 1 ? (end - start) * (in - 1) / 2 : x * (end - start) * (in - 1) / (outFloat - 1);
      src += start * (in - 1);
      t.outside = src < 0 || src > in - 1;
    } else if (ctm == "pytorch_half_pixel") {
      src = outFloat == 1 ? -0.5 : (x + 0.5) / scale - 0.5;
    } else if (ctm == "half_pixel") {
      src = (x + 0.5) / scale - 0.5;
    } else if (ctm == "half_pixel_symmetric") {
      double adjustment = outInt / outFloat, center = in / 2.0;
      src = center * (1 - adjustment) + (x + 0.5) / scale - 0.5;
    } else { // tf_half_pixel_for_nn
      src = (x + 0.5) / scale;
    }
    double fl = std::floor(src), ratio = src - fl;
    int64_t base = (int64_t)fl;
    auto clampIdx = [&](int64_t i) { return std::clamp<int64_t>(i, 0, in - 1); };
    if (mode == "nearest") {
      int64_t i = base;
      if (ratio != 0) {
        bool up = nearest == "round_prefer_floor"  ? ratio > 0.5
                  : nearest == "round_prefer_ceil" ? ratio >= 0.5
                  : nearest == "floor"             ? false
                  : nearest == "ceil"              ? true
                                                   : scale < 1; // simple
        i = base + up;
      }
      t.index.push_back(clampIdx(i));
      t.weight.push_back(1.0);
    } else {
      SmallVector<int64_t> raw;
      SmallVector<double> w;
      if (mode == "linear" && op.getAntialias()) {
        // The triangle filter stretched by 1/scale when downsampling, over
        // the inputs nearest the source (ratio in (0, 1] as the reference
        // takes it), normalized.
        double sc = std::min(scale, 1.0), b2 = std::ceil(src) - 1, r2 = src - b2;
        int64_t start = (int64_t)std::floor(-1 / sc) + 1, n = 2 - 2 * start;
        double sum = 0;
        for (int64_t j = 0; j < n; ++j) {
          raw.push_back((int64_t)b2 + start + j);
          w.push_back(std::clamp(1 - std::abs((start + j - r2) * sc), 0.0, 1.0));
          sum += w.back();
        }
        for (double &v : w)
          v /= sum;
      } else if (mode == "linear") {
        raw = {base, base + 1};
        w = {1 - ratio, ratio};
      } else {
        double r = ratio, s = 1 - ratio;
        raw = {base - 1, base, base + 1, base + 2};
        w = {((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a,
             ((a + 2) * r - (a + 3)) * r * r + 1, ((a + 2) * s - (a + 3)) * s * s + 1,
             ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a};
      }
      if (op.getExcludeOutside()) {
        double sum = 0;
        for (size_t k = 0; k < raw.size(); ++k) {
          if (raw[k] < 0 || raw[k] >= in)
            w[k] = 0;
          sum += w[k];
        }
        if (sum != 0)
          for (double &v : w)
            v /= sum;
      }
      for (size_t k = 0; k < raw.size(); ++k) {
        t.index.push_back(clampIdx(raw[k]));
        t.weight.push_back(w[k]);
      }
    }
    all.push_back(std::move(t));
  }
  // Taps of zero weight everywhere, and single full-weight taps, simplify.
  bool single = llvm::all_of(all, [](const Taps &t) {
    return llvm::count_if(t.weight, [](double w) { return w != 0; }) <= 1;
  });
  if (single)
    for (Taps &t : all) {
      auto it = llvm::find_if(t.weight, [](double w) { return w != 0; });
      int64_t i = it == t.weight.end() ? t.index[0] : t.index[it - t.weight.begin()];
      double w = it == t.weight.end() ? 0.0 : *it;
      t.index = {i};
      t.weight = {w};
    }
  return all;
}

/// Antialiased downsampling reads 2/scale inputs per output and dimension.
constexpr int64_t kMaxTaps = 64;

struct ResizeLowering : OpRewritePattern<ResizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ResizeOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = b.getContext();
    Value x = toSignless(b, loc, op.getInput());
    auto xt = typeOf(x);
    Type et = xt.getElementType();
    int64_t rank = xt.getRank();
    auto resultType = op.getType();
    auto outType = resultType.clone(et);
    bool crop = op.getCoordinateTransformationMode() == "tf_crop_and_resize";
    Type ct = isa<FloatType>(et) ? computeType(et) : Float32Type::get(ctx);

    // Per dimension: identity, or tables of indices (and weights unless every
    // output reads one source with weight 1).
    struct Dim {
      bool identity = true, weighted = false;
      int64_t taps = 1;
    };
    SmallVector<Dim> dims(rank);
    SmallVector<Value> inputs;
    SmallVector<AffineMap> maps;
    SmallVector<int> indexInput(rank * kMaxTaps, -1), weightInput(rank * kMaxTaps, -1);
    for (int64_t d = 0; d < rank; ++d) {
      SmallVector<Taps> taps = resizeTaps(op, d);
      Dim &dim = dims[d];
      int64_t out = outType.getDimSize(d);
      dim.taps = taps[0].index.size();
      if (dim.taps > kMaxTaps)
        return b.notifyMatchFailure(op, "more than 64 taps per output");
      dim.weighted = llvm::any_of(taps, [](const Taps &t) {
        return llvm::any_of(t.weight, [](double w) { return w != 1.0; });
      });
      dim.identity = !dim.weighted && dim.taps == 1 && out == xt.getDimSize(d) &&
                     llvm::all_of(llvm::enumerate(taps), [](auto e) {
                       return !e.value().outside && e.value().index[0] == (int64_t)e.index();
                     });
      if (dim.identity)
        continue;
      auto tableMap = AffineMap::get(rank, 0, {getAffineDimExpr(d, ctx)}, ctx);
      for (int64_t k = 0; k < dim.taps; ++k) {
        SmallVector<int32_t> idx;
        SmallVector<Attribute> w;
        for (const Taps &t : taps) {
          // tf_crop_and_resize: an index of -1 in the first table marks outside.
          idx.push_back(k == 0 && t.outside ? -1 : (int32_t)t.index[k]);
          w.push_back(FloatAttr::get(ct, t.weight[k]));
        }
        auto idxType = RankedTensorType::get({out}, b.getI32Type());
        indexInput[d * kMaxTaps + k] = inputs.size();
        inputs.push_back(arith::ConstantOp::create(b, loc, DenseElementsAttr::get(idxType, ArrayRef<int32_t>(idx))));
        maps.push_back(tableMap);
        if (dim.weighted) {
          weightInput[d * kMaxTaps + k] = inputs.size();
          inputs.push_back(arith::ConstantOp::create(
              b, loc, DenseElementsAttr::get(RankedTensorType::get({out}, ct), w)));
          maps.push_back(tableMap);
        }
      }
    }
    maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
    bool anyWeighted = llvm::any_of(dims, [](const Dim &d) { return d.weighted; });
    double extrapolation = op.getExtrapolationValue().convertToDouble();
    auto g = linalg::GenericOp::create(
        b, loc, outType, inputs, ValueRange{emptyLike(b, loc, outType)}, maps,
        SmallVector<IteratorType>(rank, IteratorType::parallel),
        [&](OpBuilder &nb, Location l, ValueRange a) {
          SmallVector<Value> iv = loopIndices(nb, l, rank);
          Value outside;
          // tap index tables as index values, clamped to >= 0 (crop marks).
          auto tapIndex = [&](int64_t d, int64_t k) {
            Value v = arith::IndexCastOp::create(nb, l, nb.getIndexType(), a[indexInput[d * kMaxTaps + k]]);
            return (Value)arith::MaxSIOp::create(nb, l, v, indexCst(nb, l, 0));
          };
          if (crop)
            for (int64_t d = 0; d < rank; ++d) {
              if (dims[d].identity)
                continue;
              Value o = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, a[indexInput[d * kMaxTaps]],
                                              cst(nb, l, nb.getI32Type(), 0));
              outside = outside ? (Value)arith::OrIOp::create(nb, l, outside, o) : o;
            }
          // Every combination of taps across dimensions.
          SmallVector<int64_t> tap(rank, 0);
          Value acc;
          while (true) {
            SmallVector<Value> coords;
            Value w;
            for (int64_t d = 0; d < rank; ++d) {
              if (dims[d].identity) {
                coords.push_back(iv[d]);
                continue;
              }
              coords.push_back(tapIndex(d, tap[d]));
              if (dims[d].weighted) {
                Value wd = a[weightInput[d * kMaxTaps + tap[d]]];
                w = w ? (Value)arith::MulFOp::create(nb, l, w, wd) : wd;
              }
            }
            Value v = tensor::ExtractOp::create(nb, l, x, coords);
            if (anyWeighted) {
              v = convertScalar(nb, l, v, ct);
              if (w)
                v = arith::MulFOp::create(nb, l, v, w);
              acc = acc ? (Value)arith::AddFOp::create(nb, l, acc, v) : v;
            } else {
              acc = v;
            }
            int64_t d = rank - 1;
            for (; d >= 0; --d) {
              if (++tap[d] < dims[d].taps)
                break;
              tap[d] = 0;
            }
            if (d < 0)
              break;
          }
          Value y = anyWeighted ? convertScalar(nb, l, acc, et) : acc;
          if (outside)
            y = arith::SelectOp::create(nb, l, outside, cst(nb, l, et, extrapolation), y);
          linalg::YieldOp::create(nb, l, y);
        });
    Value y = g.getResult(0);
    if (outType != resultType)
      y = tensor::BitcastOp::create(b, loc, resultType, y);
    b.replaceOp(op, y);
    return success();
  }
};

} // namespace

void mlir::nuri::populateNNLowerings(RewritePatternSet &patterns) {
  patterns.add<ConvNdLowering, PoolNdLowering<MaxPoolOp, true>, PoolNdLowering<AvgPoolOp, false>,
               MaxPoolIndexedLowering, LpPoolLowering, MaxUnpoolLowering, ConvTransposeLowering,
               GroupNormLowering, LRNLowering, EinsumLowering, ResizeLowering>(
      patterns.getContext());
}
