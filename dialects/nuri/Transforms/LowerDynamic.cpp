//===- LowerDynamic.cpp - nuri -> linalg: NonZero, Compress, Unique ---===//
//
// Ops with data-dependent result shapes: sequential scf.for loops over the
// elements that write the kept ones compactly into a 1-D upper bound and
// count them into small int64 dims tensors. Every scalar is read inside a
// loop body (scalars read at the top level would become separate host-side
// values between dispatches); a count that a later loop needs travels in a
// tensor.
//
//===----------------------------------------------------------------------===//
#include "dialects/nuri/Transforms/LoweringUtils.h"

using namespace mlir;
using namespace mlir::nuri;

namespace {

using LoopBody = function_ref<SmallVector<Value>(OpBuilder &, Location, Value, ValueRange)>;

Value idx(OpBuilder &b, Location l, int64_t v) { return arith::ConstantIndexOp::create(b, l, v); }
Value i64(OpBuilder &b, Location l, int64_t v) {
  return arith::ConstantOp::create(b, l, b.getI64IntegerAttr(v));
}
Value toIndex(OpBuilder &b, Location l, Value v) {
  return arith::IndexCastOp::create(b, l, b.getIndexType(), v);
}
Value toI64(OpBuilder &b, Location l, Value v) {
  return arith::IndexCastOp::create(b, l, b.getI64Type(), v);
}
Value add(OpBuilder &b, Location l, Value x, Value y) { return arith::AddIOp::create(b, l, x, y); }
Value mul(OpBuilder &b, Location l, Value x, Value y) { return arith::MulIOp::create(b, l, x, y); }
Value boolToI64(OpBuilder &b, Location l, Value c) {
  return arith::ExtUIOp::create(b, l, b.getI64Type(), c);
}
Value at(OpBuilder &b, Location l, Value t, ValueRange i) {
  return tensor::ExtractOp::create(b, l, t, i);
}
Value put(OpBuilder &b, Location l, Value v, Value t, ValueRange i) {
  return tensor::InsertOp::create(b, l, v, t, i);
}

/// scf.for i in [lb, ub) carrying `init`; body returns the next values.
scf::ForOp loop(OpBuilder &b, Location loc, Value lb, Value ub, ValueRange init, LoopBody body) {
  return scf::ForOp::create(b, loc, lb, ub, idx(b, loc, 1), init,
                            [&](OpBuilder &nb, Location l, Value i, ValueRange acc) {
                              scf::YieldOp::create(nb, l, body(nb, l, i, acc));
                            });
}

/// The values of `thenFn` where cond holds, else `otherwise`.
SmallVector<Value> ifThen(OpBuilder &b, Location loc, Value cond, ValueRange otherwise,
                          function_ref<SmallVector<Value>(OpBuilder &, Location)> thenFn) {
  auto op = scf::IfOp::create(
      b, loc, cond,
      [&](OpBuilder &nb, Location l) { scf::YieldOp::create(nb, l, thenFn(nb, l)); },
      [&](OpBuilder &nb, Location l) { scf::YieldOp::create(nb, l, otherwise); });
  return SmallVector<Value>(op.getResults());
}

Value i64Constant(OpBuilder &b, Location l, ArrayRef<int64_t> values) {
  auto t = RankedTensorType::get({(int64_t)values.size()}, b.getI64Type());
  return arith::ConstantOp::create(b, l, DenseIntElementsAttr::get(t, values));
}

/// Scalar comparisons on signless values of the op's element type.
struct Compare {
  bool floating, uns;
  Value nonZero(OpBuilder &b, Location l, Value v) const {
    Value zero = cst(b, l, v.getType(), 0);
    return floating ? (Value)arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNE, v, zero)
                    : (Value)arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne, v, zero);
  }
  Value eq(OpBuilder &b, Location l, Value x, Value y) const {
    return floating ? (Value)arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, x, y)
                    : (Value)arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, x, y);
  }
  Value lt(OpBuilder &b, Location l, Value x, Value y) const {
    if (floating)
      return arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x, y);
    bool u = uns || x.getType().isInteger(1);
    return arith::CmpIOp::create(b, l, u ? arith::CmpIPredicate::ult : arith::CmpIPredicate::slt,
                                 x, y);
  }
};

Compare compareFor(Value original) {
  Type et = getElementTypeOrSelf(original.getType());
  return Compare{isa<FloatType>(et), et.isUnsignedInteger()};
}

/// The coordinates of flat index j (index) in a static shape.
SmallVector<Value> unflatten(OpBuilder &b, Location l, Value j, ArrayRef<int64_t> shape) {
  SmallVector<Value> coords(shape.size());
  Value rest = j;
  for (int64_t d = (int64_t)shape.size() - 1; d >= 0; --d) {
    Value dim = idx(b, l, shape[d]);
    coords[d] = arith::RemUIOp::create(b, l, rest, dim);
    rest = arith::DivUIOp::create(b, l, rest, dim);
  }
  return coords;
}

Value castBack(OpBuilder &b, Location l, Value v, Type to) {
  return v.getType() == to ? v : (Value)tensor::BitcastOp::create(b, l, to, v);
}

/// Count the non-zero elements into dims[1], then write each one's
/// coordinates at [d, k] of the [rank, count] matrix.
struct NonZeroLowering : OpRewritePattern<NonZeroOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(NonZeroOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    Compare cmp = compareFor(op.getInput());
    Value x = toSignless(b, loc, op.getInput());
    auto t = typeOf(x);
    int64_t rank = t.getRank(), n = t.getNumElements();
    Value flat = reshapeTo(b, loc, x, {n});
    Value dims = loop(b, loc, idx(b, loc, 0), idx(b, loc, n),
                      ValueRange{i64Constant(b, loc, {rank, 0})},
                      [&](OpBuilder &nb, Location l, Value j, ValueRange acc) {
                        Value nz = cmp.nonZero(nb, l, at(nb, l, flat, j));
                        Value one = idx(nb, l, 1);
                        Value c = add(nb, l, at(nb, l, acc[0], one), boolToI64(nb, l, nz));
                        return SmallVector<Value>{put(nb, l, c, acc[0], one)};
                      }).getResult(0);
    Value init = fill(b, loc, typeOf(op.getIndices()), 0);
    Value data =
        loop(b, loc, idx(b, loc, 0), idx(b, loc, n), ValueRange{init, idx(b, loc, 0)},
             [&](OpBuilder &nb, Location l, Value j, ValueRange acc) {
               Value nz = cmp.nonZero(nb, l, at(nb, l, flat, j));
               Value count = toIndex(nb, l, at(nb, l, dims, idx(nb, l, 1)));
               auto written = ifThen(nb, l, nz, ValueRange{acc[0]}, [&](OpBuilder &ib, Location il) {
                 SmallVector<Value> coords = unflatten(ib, il, j, t.getShape());
                 Value out = acc[0];
                 for (int64_t d = 0; d < rank; ++d)
                   out = put(ib, il, toI64(ib, il, coords[d]), out,
                             add(ib, il, mul(ib, il, idx(ib, il, d), count), acc[1]));
                 return SmallVector<Value>{out};
               });
               Value k = arith::SelectOp::create(nb, l, nz, add(nb, l, acc[1], idx(nb, l, 1)),
                                                 acc[1]);
               return SmallVector<Value>{written[0], k};
             }).getResult(0);
    b.replaceOp(op, {data, dims});
    return success();
  }
};

/// Count the kept slices into dims[axis]; then walk the input row-major and
/// append the elements of kept slices (removing slices keeps the order).
struct CompressLowering : OpRewritePattern<CompressOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CompressOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    Value x = toSignless(b, loc, op.getInput());
    auto t = typeOf(x);
    int64_t axis = op.getAxis(), n = t.getNumElements(), extent = t.getDimSize(axis);
    int64_t len = op.getCondition().getType().getDimSize(0);
    int64_t inner = 1;
    for (int64_t d = axis + 1; d < t.getRank(); ++d)
      inner *= t.getDimSize(d);
    Value cond = op.getCondition();
    SmallVector<int64_t> staticDims(t.getShape());
    staticDims[axis] = 0;
    Value dims = i64Constant(b, loc, staticDims);
    int64_t m = std::min(len, extent);
    if (m > 0)
      dims = loop(b, loc, idx(b, loc, 0), idx(b, loc, m), ValueRange{dims},
                  [&](OpBuilder &nb, Location l, Value i, ValueRange acc) {
                    Value a = idx(nb, l, axis);
                    Value c = add(nb, l, at(nb, l, acc[0], a), boolToI64(nb, l, at(nb, l, cond, i)));
                    return SmallVector<Value>{put(nb, l, c, acc[0], a)};
                  }).getResult(0);
    auto outType = RankedTensorType::get({n}, t.getElementType());
    Value out = fill(b, loc, outType, 0);
    if (m > 0) {
      Value flat = reshapeTo(b, loc, x, {n});
      out = loop(b, loc, idx(b, loc, 0), idx(b, loc, n), ValueRange{out, idx(b, loc, 0)},
                 [&](OpBuilder &nb, Location l, Value j, ValueRange acc) {
                   Value a = arith::RemUIOp::create(
                       nb, l, arith::DivUIOp::create(nb, l, j, idx(nb, l, inner)),
                       idx(nb, l, extent));
                   Value inRange =
                       arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult, a, idx(nb, l, m));
                   Value safe = arith::SelectOp::create(nb, l, inRange, a, idx(nb, l, 0));
                   Value keep = arith::AndIOp::create(nb, l, inRange, at(nb, l, cond, safe));
                   auto written = ifThen(nb, l, keep, ValueRange{acc[0]},
                                         [&](OpBuilder &ib, Location il) {
                                           return SmallVector<Value>{
                                               put(ib, il, at(ib, il, flat, j), acc[0], acc[1])};
                                         });
                   Value k = arith::SelectOp::create(nb, l, keep, add(nb, l, acc[1], idx(nb, l, 1)),
                                                     acc[1]);
                   return SmallVector<Value>{written[0], k};
                 }).getResult(0);
    }
    b.replaceOp(op, {castBack(b, loc, out, op.getOutput().getType()), dims});
    return success();
  }
};

/// O(A^2 * S) over the A slices of S elements: the first occurrence of each
/// slice, then each distinct slice's rank (lexicographic or by first
/// occurrence), then the writes.
struct UniqueLowering : OpRewritePattern<UniqueOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(UniqueOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    Compare cmp = compareFor(op.getInput());
    Value x = toSignless(b, loc, op.getInput());
    auto t = typeOf(x);
    int64_t axis = op.getAxis(), n = t.getNumElements(), A = t.getDimSize(axis);
    int64_t inner = 1;
    for (int64_t d = axis + 1; d < t.getRank(); ++d)
      inner *= t.getDimSize(d);
    int64_t S = A ? n / A : 0;
    bool sorted = op.getSorted();
    Value flat = reshapeTo(b, loc, x, {n});
    auto vecType = RankedTensorType::get({A}, b.getI64Type());
    Value zero = idx(b, loc, 0), numSlices = idx(b, loc, A);

    // Position in `flat` of element s of slice i.
    auto elem = [&](OpBuilder &nb, Location l, Value i, Value s) {
      Value in = idx(nb, l, inner);
      Value o = arith::DivUIOp::create(nb, l, s, in), r = arith::RemUIOp::create(nb, l, s, in);
      Value pos = add(nb, l, mul(nb, l, o, idx(nb, l, A * inner)),
                      add(nb, l, mul(nb, l, i, in), r));
      return at(nb, l, flat, pos);
    };
    auto sameSlice = [&](OpBuilder &nb, Location l, Value i, Value j) {
      Value yes = arith::ConstantOp::create(nb, l, nb.getBoolAttr(true));
      return loop(nb, l, idx(nb, l, 0), idx(nb, l, S), ValueRange{yes},
                  [&](OpBuilder &ib, Location il, Value s, ValueRange acc) {
                    Value e = cmp.eq(ib, il, elem(ib, il, i, s), elem(ib, il, j, s));
                    return SmallVector<Value>{arith::AndIOp::create(ib, il, acc[0], e)};
                  }).getResult(0);
    };
    // slice j < slice i lexicographically.
    auto lessSlice = [&](OpBuilder &nb, Location l, Value j, Value i) {
      Value no = arith::ConstantOp::create(nb, l, nb.getBoolAttr(false));
      return loop(nb, l, idx(nb, l, 0), idx(nb, l, S), ValueRange{no, no},
                  [&](OpBuilder &ib, Location il, Value s, ValueRange acc) {
                    Value u = elem(ib, il, j, s), v = elem(ib, il, i, s);
                    Value lt = cmp.lt(ib, il, u, v);
                    Value differ = arith::XOrIOp::create(
                        ib, il, cmp.eq(ib, il, u, v),
                        arith::ConstantOp::create(ib, il, ib.getBoolAttr(true)));
                    Value res = arith::SelectOp::create(ib, il, acc[0], acc[1], lt);
                    return SmallVector<Value>{arith::OrIOp::create(ib, il, acc[0], differ), res};
                  }).getResult(1);
    };

    // 1. first[i]: the first slice equal to slice i; count the distinct ones.
    SmallVector<int64_t> staticDims(t.getShape());
    staticDims[axis] = 0;
    auto pass1 = loop(
        b, loc, zero, numSlices,
        ValueRange{fill(b, loc, vecType, 0), i64Constant(b, loc, {0}),
                   i64Constant(b, loc, staticDims)},
        [&](OpBuilder &nb, Location l, Value i, ValueRange acc) {
          Value iPlus1 = add(nb, l, i, idx(nb, l, 1));
          Value found = loop(nb, l, idx(nb, l, 0), iPlus1, ValueRange{i},
                             [&](OpBuilder &ib, Location il, Value j, ValueRange f) {
                               Value earlier = arith::CmpIOp::create(
                                   ib, il, arith::CmpIPredicate::ult, j, f[0]);
                               auto r = ifThen(ib, il, earlier, ValueRange{f[0]},
                                               [&](OpBuilder &jb, Location jl) {
                                                 Value same = sameSlice(jb, jl, i, j);
                                                 return SmallVector<Value>{
                                                     arith::SelectOp::create(jb, jl, same, j, f[0])};
                                               });
                               return SmallVector<Value>{r[0]};
                             }).getResult(0);
          Value isFirst = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, found, i);
          Value z = idx(nb, l, 0);
          Value u = add(nb, l, at(nb, l, acc[1], z), boolToI64(nb, l, isFirst));
          return SmallVector<Value>{put(nb, l, toI64(nb, l, found), acc[0], i),
                                    put(nb, l, u, acc[1], z),
                                    put(nb, l, u, acc[2], idx(nb, l, axis))};
        });
    Value first = pass1.getResult(0), countDims = pass1.getResult(1),
          outDims = pass1.getResult(2);

    // 2. rank[i]: how many distinct slices come before slice i.
    Value rank = loop(
        b, loc, zero, numSlices, ValueRange{fill(b, loc, vecType, 0)},
        [&](OpBuilder &nb, Location l, Value i, ValueRange acc) {
          Value fi = toIndex(nb, l, at(nb, l, first, i));
          Value r = loop(nb, l, idx(nb, l, 0), idx(nb, l, A), ValueRange{i64(nb, l, 0)},
                         [&](OpBuilder &ib, Location il, Value j, ValueRange c) {
                           Value isFirst = arith::CmpIOp::create(
                               ib, il, arith::CmpIPredicate::eq,
                               toIndex(ib, il, at(ib, il, first, j)), j);
                           Value before;
                           if (sorted) {
                             auto r = ifThen(ib, il, isFirst, ValueRange{isFirst},
                                             [&](OpBuilder &jb, Location jl) {
                                               return SmallVector<Value>{lessSlice(jb, jl, j, i)};
                                             });
                             before = r[0];
                           } else {
                             before = arith::CmpIOp::create(ib, il, arith::CmpIPredicate::ult, j, fi);
                           }
                           Value hit = arith::AndIOp::create(ib, il, isFirst, before);
                           return SmallVector<Value>{add(ib, il, c[0], boolToI64(ib, il, hit))};
                         }).getResult(0);
          return SmallVector<Value>{put(nb, l, r, acc[0], i)};
        }).getResult(0);

    // 3. The writes.
    auto outType = RankedTensorType::get({n}, t.getElementType());
    auto pass3 = loop(
        b, loc, zero, numSlices,
        ValueRange{fill(b, loc, outType, 0), fill(b, loc, vecType, 0), fill(b, loc, vecType, 0),
                   fill(b, loc, vecType, 0)},
        [&](OpBuilder &nb, Location l, Value i, ValueRange acc) {
          Value r64 = at(nb, l, rank, i);
          Value r = toIndex(nb, l, r64);
          Value inverse = put(nb, l, r64, acc[2], i);
          Value c = add(nb, l, at(nb, l, acc[3], r), i64(nb, l, 1));
          Value counts = put(nb, l, c, acc[3], r);
          Value isFirst = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                                toIndex(nb, l, at(nb, l, first, i)), i);
          auto w = ifThen(nb, l, isFirst, ValueRange{acc[0], acc[1]}, [&](OpBuilder &ib,
                                                                          Location il) {
            Value indices = put(ib, il, toI64(ib, il, i), acc[1], r);
            Value u = toIndex(ib, il, at(ib, il, countDims, idx(ib, il, 0)));
            Value in = idx(ib, il, inner);
            Value y = loop(ib, il, idx(ib, il, 0), idx(ib, il, S), ValueRange{acc[0]},
                           [&](OpBuilder &sb, Location sl, Value s, ValueRange ya) {
                             Value o = arith::DivUIOp::create(sb, sl, s, in);
                             Value rem = arith::RemUIOp::create(sb, sl, s, in);
                             Value pos = add(sb, sl, mul(sb, sl, o, mul(sb, sl, u, in)),
                                             add(sb, sl, mul(sb, sl, r, in), rem));
                             return SmallVector<Value>{
                                 put(sb, sl, elem(sb, sl, i, s), ya[0], pos)};
                           }).getResult(0);
            return SmallVector<Value>{y, indices};
          });
          return SmallVector<Value>{w[0], w[1], inverse, counts};
        });
    b.replaceOp(op, {castBack(b, loc, pass3.getResult(0), op.getOutput().getType()),
                     pass3.getResult(1), pass3.getResult(2), pass3.getResult(3), outDims,
                     countDims});
    return success();
  }
};

/// Per (batch, class), N rounds: pick the best-scoring unvisited candidate
/// (score > threshold; ties keep the lower index), mark it visited, and keep
/// it unless its IoU with a box kept earlier for this class exceeds the
/// threshold; stop once max_output boxes are kept. Computes in f32.
struct NonMaxSuppressionLowering : OpRewritePattern<NonMaxSuppressionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(NonMaxSuppressionOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    Value boxes = op.getBoxes(), scores = op.getScores();
    auto st = op.getScores().getType();
    int64_t B = st.getDimSize(0), C = st.getDimSize(1), N = st.getDimSize(2);
    bool center = op.getCenterPointBox() == 1;
    Type f32 = b.getF32Type();
    Value out = fill(b, loc, cast<RankedTensorType>(op.getSelected().getType()), 0);
    Value dims = i64Constant(b, loc, {0, 3});
    if (B * C * N == 0) {
      b.replaceOp(op, {out, dims});
      return success();
    }
    Value marks = fill(b, loc, RankedTensorType::get({N}, b.getI64Type()), 0);
    auto F = [&](OpBuilder &nb, Location l, Value v) { return convertScalar(nb, l, v, f32); };
    auto minF = [](OpBuilder &nb, Location l, Value x, Value y) -> Value {
      return arith::MinimumFOp::create(nb, l, x, y);
    };
    auto maxF = [](OpBuilder &nb, Location l, Value x, Value y) -> Value {
      return arith::MaximumFOp::create(nb, l, x, y);
    };
    auto subF = [](OpBuilder &nb, Location l, Value x, Value y) -> Value {
      return arith::SubFOp::create(nb, l, x, y);
    };
    auto mulF = [](OpBuilder &nb, Location l, Value x, Value y) -> Value {
      return arith::MulFOp::create(nb, l, x, y);
    };
    auto gt = [](OpBuilder &nb, Location l, Value x, Value y) -> Value {
      return arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGT, x, y);
    };
    auto andI = [](OpBuilder &nb, Location l, Value x, Value y) -> Value {
      return arith::AndIOp::create(nb, l, x, y);
    };
    // [y1, x1, y2, x2] with y1 <= y2, x1 <= x2.
    auto corners = [&](OpBuilder &nb, Location l, Value bi, Value j) {
      Value a[4];
      for (int k = 0; k < 4; ++k)
        a[k] = F(nb, l, at(nb, l, boxes, {bi, j, idx(nb, l, k)}));
      SmallVector<Value> r(4);
      if (center) {
        Value half = cst(nb, l, f32, 0.5);
        Value hw = mulF(nb, l, a[2], half), hh = mulF(nb, l, a[3], half);
        r[0] = subF(nb, l, a[1], hh);
        r[1] = subF(nb, l, a[0], hw);
        r[2] = arith::AddFOp::create(nb, l, a[1], hh);
        r[3] = arith::AddFOp::create(nb, l, a[0], hw);
      } else {
        r[0] = minF(nb, l, a[0], a[2]);
        r[1] = minF(nb, l, a[1], a[3]);
        r[2] = maxF(nb, l, a[0], a[2]);
        r[3] = maxF(nb, l, a[1], a[3]);
      }
      return r;
    };
    auto iouAbove = [&](OpBuilder &nb, Location l, ArrayRef<Value> p, ArrayRef<Value> q,
                        Value thr) {
      Value zero = cst(nb, l, f32, 0);
      Value areaP = mulF(nb, l, subF(nb, l, p[2], p[0]), subF(nb, l, p[3], p[1]));
      Value areaQ = mulF(nb, l, subF(nb, l, q[2], q[0]), subF(nb, l, q[3], q[1]));
      Value ih = subF(nb, l, minF(nb, l, p[2], q[2]), maxF(nb, l, p[0], q[0]));
      Value iw = subF(nb, l, minF(nb, l, p[3], q[3]), maxF(nb, l, p[1], q[1]));
      Value inter = mulF(nb, l, ih, iw);
      Value uni = subF(nb, l, arith::AddFOp::create(nb, l, areaP, areaQ), inter);
      Value valid = andI(nb, l, andI(nb, l, gt(nb, l, areaP, zero), gt(nb, l, areaQ, zero)),
                         andI(nb, l, andI(nb, l, gt(nb, l, ih, zero), gt(nb, l, iw, zero)),
                              gt(nb, l, uni, zero)));
      Value iou = arith::DivFOp::create(nb, l, inter, uni);
      return andI(nb, l, valid, gt(nb, l, iou, thr));
    };

    // One spare (skipped) iteration: a single-trip loop would be inlined by
    // canonicalization, leaving its scalar reads at the top level.
    auto result = loop(
        b, loc, idx(b, loc, 0), idx(b, loc, B * C + 1), ValueRange{out, dims},
        [&](OpBuilder &ob, Location ol, Value bc, ValueRange acc) {
          Value inRange =
              arith::CmpIOp::create(ob, ol, arith::CmpIPredicate::ult, bc, idx(ob, ol, B * C));
          return ifThen(ob, ol, inRange, acc, [&](OpBuilder &nb, Location l) {
          Value bi = arith::DivUIOp::create(nb, l, bc, idx(nb, l, C));
          Value ci = arith::RemUIOp::create(nb, l, bc, idx(nb, l, C));
          Value z = idx(nb, l, 0);
          Value maxOut = at(nb, l, op.getMaxOutput(), z);
          Value iouThr = F(nb, l, at(nb, l, op.getIouThreshold(), z));
          Value scoreThr = F(nb, l, at(nb, l, op.getScoreThreshold(), z));
          auto rounds = loop(
              nb, l, idx(nb, l, 0), idx(nb, l, N),
              ValueRange{acc[0], acc[1], marks, marks, i64(nb, l, 0)},
              [&](OpBuilder &rb, Location rl, Value, ValueRange st) {
                Value visited = st[2], kept = st[3], numKept = st[4];
                Value none = idx(rb, rl, N);
                auto best = loop(
                    rb, rl, idx(rb, rl, 0), idx(rb, rl, N),
                    ValueRange{none, cst(rb, rl, f32, 0)},
                    [&](OpBuilder &jb, Location jl, Value j, ValueRange ba) {
                      Value s = F(jb, jl, at(jb, jl, scores, {bi, ci, j}));
                      Value unvisited = arith::CmpIOp::create(
                          jb, jl, arith::CmpIPredicate::eq, at(jb, jl, visited, j), i64(jb, jl, 0));
                      Value isNone = arith::CmpIOp::create(jb, jl, arith::CmpIPredicate::eq, ba[0],
                                                           idx(jb, jl, N));
                      Value better = arith::OrIOp::create(jb, jl, isNone, gt(jb, jl, s, ba[1]));
                      Value take = andI(jb, jl, andI(jb, jl, unvisited, gt(jb, jl, s, scoreThr)),
                                        better);
                      return SmallVector<Value>{arith::SelectOp::create(jb, jl, take, j, ba[0]),
                                                arith::SelectOp::create(jb, jl, take, s, ba[1])};
                    });
                Value bestIdx = best.getResult(0);
                Value found = andI(
                    rb, rl, arith::CmpIOp::create(rb, rl, arith::CmpIPredicate::ne, bestIdx, none),
                    arith::CmpIOp::create(rb, rl, arith::CmpIPredicate::slt, numKept, maxOut));
                return ifThen(
                    rb, rl, found, st, [&](OpBuilder &fb, Location fl) {
                      Value vis = put(fb, fl, i64(fb, fl, 1), visited, bestIdx);
                      SmallVector<Value> p = corners(fb, fl, bi, bestIdx);
                      Value no = arith::ConstantOp::create(fb, fl, fb.getBoolAttr(false));
                      Value suppressed =
                          loop(fb, fl, idx(fb, fl, 0), toIndex(fb, fl, numKept), ValueRange{no},
                               [&](OpBuilder &mb, Location ml, Value m, ValueRange sa) {
                                 Value other = toIndex(mb, ml, at(mb, ml, kept, m));
                                 SmallVector<Value> q = corners(mb, ml, bi, other);
                                 return SmallVector<Value>{arith::OrIOp::create(
                                     mb, ml, sa[0], iouAbove(mb, ml, p, q, iouThr))};
                               }).getResult(0);
                      Value keepIt = arith::XOrIOp::create(
                          fb, fl, suppressed,
                          arith::ConstantOp::create(fb, fl, fb.getBoolAttr(true)));
                      auto w = ifThen(
                          fb, fl, keepIt, ValueRange{st[0], st[1], kept, numKept},
                          [&](OpBuilder &kb, Location kl) {
                            Value zero = idx(kb, kl, 0);
                            Value cnt = at(kb, kl, st[1], zero);
                            Value base = mul(kb, kl, toIndex(kb, kl, cnt), idx(kb, kl, 3));
                            Value o = put(kb, kl, toI64(kb, kl, bi), st[0], base);
                            o = put(kb, kl, toI64(kb, kl, ci), o, add(kb, kl, base, idx(kb, kl, 1)));
                            o = put(kb, kl, toI64(kb, kl, bestIdx), o,
                                    add(kb, kl, base, idx(kb, kl, 2)));
                            Value d = put(kb, kl, add(kb, kl, cnt, i64(kb, kl, 1)), st[1], zero);
                            Value k2 = put(kb, kl, toI64(kb, kl, bestIdx), kept,
                                           toIndex(kb, kl, numKept));
                            return SmallVector<Value>{o, d, k2,
                                                      add(kb, kl, numKept, i64(kb, kl, 1))};
                          });
                      return SmallVector<Value>{w[0], w[1], vis, w[2], w[3]};
                    });
              });
          return SmallVector<Value>{rounds.getResult(0), rounds.getResult(1)};
          });
        });
    b.replaceOp(op, {result.getResult(0), result.getResult(1)});
    return success();
  }
};


/// nuri.generate -> tensor.empty(prod(dims)) + a 1-D linalg.generic whose body
/// unflattens its index by the run-time dims and inlines the region. The dims
/// are read once, outside the body; dispatch formation clones those few scalar
/// ops into the kernel, which reads dims from its binding.
struct GenerateLowering : OpRewritePattern<GenerateOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GenerateOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    Value dims = op.getDims();
    int64_t rank = typeOf(dims).getDimSize(0);
    SmallVector<Value> extents;
    Value n = idx(b, loc, 1);
    for (int64_t d = 0; d < rank; ++d) {
      extents.push_back(toIndex(b, loc, at(b, loc, dims, {idx(b, loc, d)})));
      n = mul(b, loc, n, extents.back());
    }
    auto resultType = op.getOutput().getType();
    auto outType = resultType.clone(signless(resultType.getElementType()));
    Value empty = tensor::EmptyOp::create(b, loc, outType.getShape(), outType.getElementType(),
                                          ValueRange{n});
    MLIRContext *ctx = b.getContext();
    auto g = linalg::GenericOp::create(
        b, loc, TypeRange{outType}, ValueRange{}, ValueRange{empty},
        SmallVector<AffineMap>{AffineMap::getMultiDimIdentityMap(1, ctx)},
        SmallVector<utils::IteratorType>{utils::IteratorType::parallel},
        [&](OpBuilder &nb, Location l, ValueRange) {
          Value rest = linalg::IndexOp::create(nb, l, 0);
          IRMapping map;
          Block &body = op.getBody().front();
          for (int64_t d = rank - 1; d >= 0; --d) {
            map.map(body.getArgument(d), arith::RemUIOp::create(nb, l, rest, extents[d]));
            rest = arith::DivUIOp::create(nb, l, rest, extents[d]);
          }
          for (Operation &inner : body.without_terminator()) {
            // Reads of unsigned tensors: arith computes on signless bits.
            auto read = dyn_cast<tensor::ExtractOp>(inner);
            if (read && read.getType().isUnsignedInteger()) {
              Value src = toSignless(nb, l, map.lookupOrDefault(read.getTensor()));
              SmallVector<Value> at;
              for (Value i : read.getIndices())
                at.push_back(map.lookupOrDefault(i));
              map.map(read.getResult(), tensor::ExtractOp::create(nb, l, src, at).getResult());
              continue;
            }
            nb.clone(inner, map);
          }
          Value v = map.lookupOrDefault(cast<YieldOp>(body.getTerminator()).getValue());
          linalg::YieldOp::create(nb, l, v);
        });
    b.replaceOp(op, castBack(b, loc, g.getResult(0), resultType));
    return success();
  }
};


/// nuri.loop -> scf.while on tensors: (iteration, condition, carried...,
/// scan buffers..., scan dims...). Each scan output is a buffer of
/// max_trip elements (the host allocates it from max_trip) written at
/// iteration * element size; its dims' first entry counts the iterations.
/// The body's nuri ops are lowered in place by the same rewrite.
struct LoopLowering : OpRewritePattern<LoopOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LoopOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    Block &body = op.getBody().front();
    auto yield = cast<LoopYieldOp>(body.getTerminator());
    unsigned carried = op.getCarried().size();
    unsigned scans = yield.getValues().size() - 1 - carried;
    Value maxTrip = toIndex(b, loc, at(b, loc, op.getMaxTrip(), {}));
    SmallVector<Value> init{idx(b, loc, 0), at(b, loc, op.getCond(), {})};
    llvm::append_range(init, op.getCarried());
    SmallVector<RankedTensorType> elems;
    for (unsigned j = 0; j < scans; ++j) {
      auto elem = typeOf(yield.getValues()[1 + carried + j]);
      elems.push_back(elem);
      Value cap = mul(b, loc, maxTrip, idx(b, loc, elem.getNumElements()));
      init.push_back(tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{ShapedType::kDynamic},
                                             elem.getElementType(), ValueRange{cap}));
    }
    for (unsigned j = 0; j < scans; ++j) {
      SmallVector<int64_t> dims{0};
      llvm::append_range(dims, elems[j].getShape());
      init.push_back(i64Constant(b, loc, dims));
    }
    auto types = ValueRange(init).getTypes();
    auto loop = scf::WhileOp::create(
        b, loc, types, init,
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value more = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult, a[0], maxTrip);
          scf::ConditionOp::create(nb, l, arith::AndIOp::create(nb, l, more, a[1]), a);
        },
        [&](OpBuilder &nb, Location l, ValueRange a) {
          IRMapping map;
          Type i64 = nb.getI64Type();
          map.map(body.getArgument(0),
                  tensor::FromElementsOp::create(nb, l, RankedTensorType::get({}, i64),
                                                 ValueRange{toI64(nb, l, a[0])}));
          map.map(body.getArgument(1),
                  tensor::FromElementsOp::create(nb, l, RankedTensorType::get({}, nb.getI1Type()),
                                                 ValueRange{a[1]}));
          for (unsigned i = 0; i < carried; ++i)
            map.map(body.getArgument(2 + i), a[2 + i]);
          for (Operation &inner : body.without_terminator())
            nb.clone(inner, map);
          auto out = [&](unsigned k) { return map.lookupOrDefault(yield.getValues()[k]); };
          Value next = add(nb, l, a[0], idx(nb, l, 1));
          SmallVector<Value> yielded{next, at(nb, l, out(0), {})};
          for (unsigned i = 0; i < carried; ++i)
            yielded.push_back(out(1 + i));
          for (unsigned j = 0; j < scans; ++j) {
            int64_t n = elems[j].getNumElements();
            Value flat = reshapeTo(nb, l, out(1 + carried + j), {n});
            Value offset = mul(nb, l, a[0], idx(nb, l, n));
            yielded.push_back(tensor::InsertSliceOp::create(
                nb, l, flat, a[2 + carried + j], ArrayRef<OpFoldResult>{offset},
                ArrayRef<OpFoldResult>{nb.getIndexAttr(n)}, ArrayRef<OpFoldResult>{nb.getIndexAttr(1)}));
          }
          for (unsigned j = 0; j < scans; ++j)
            yielded.push_back(put(nb, l, toI64(nb, l, next), a[2 + carried + scans + j], {idx(nb, l, 0)}));
          scf::YieldOp::create(nb, l, yielded);
        });
    b.replaceOp(op, loop.getResults().drop_front(2));
    return success();
  }
};

} // namespace

void mlir::nuri::populateDynamicLowerings(RewritePatternSet &patterns) {
  patterns.add<NonZeroLowering, CompressLowering, UniqueLowering, NonMaxSuppressionLowering,
               GenerateLowering, LoopLowering>(patterns.getContext());
}
