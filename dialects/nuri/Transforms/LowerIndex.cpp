//===- LowerIndex.cpp - nuri -> linalg: gathers, scatters, pads, scans ---===//
//
// Lowerings of the gathers, scatters, padding, tiling and other index-driven
// data movement. Gathers, pads and masks are linalg.generic ops whose bodies
// read their sources with tensor.extract at computed coordinates (every
// computed index is clamped first: a kernel never reads outside a tensor).
// Scatters, scans and top-k carry a tensor through scf.for loops and update
// it with tensor.insert, so updates apply in order like the ONNX reference.
// Unsigned tensors are bitcast to signless ones around all of them.
//
//===----------------------------------------------------------------------===//
#include "dialects/nuri/Transforms/LoweringUtils.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::nuri;

namespace {

Value idx(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// An integer scalar as an index.
Value toIndex(OpBuilder &b, Location loc, Value v) {
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}

Value clampIndex(OpBuilder &b, Location loc, Value i, int64_t lo, int64_t hi) {
  i = arith::MaxSIOp::create(b, loc, i, idx(b, loc, lo));
  return arith::MinSIOp::create(b, loc, i, idx(b, loc, hi));
}

/// An ONNX index into a dimension of size `dim`: negative ones count from
/// the end; out-of-range ones are clamped into [0, dim).
Value normalizeIndex(OpBuilder &b, Location loc, Value i, int64_t dim) {
  if (!i.getType().isIndex())
    i = toIndex(b, loc, i);
  Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, i, idx(b, loc, 0));
  i = arith::SelectOp::create(b, loc, neg, arith::AddIOp::create(b, loc, i, idx(b, loc, dim)), i);
  return clampIndex(b, loc, i, 0, std::max<int64_t>(dim - 1, 0));
}

SmallVector<Value> loopIndices(OpBuilder &b, Location loc, int64_t rank) {
  SmallVector<Value> ivs;
  for (int64_t d = 0; d < rank; ++d)
    ivs.push_back(linalg::IndexOp::create(b, loc, d));
  return ivs;
}

/// out[i...] = body(i...) over the shape of `outType`, with no tensor inputs
/// (the body reads what it needs with tensor.extract); `dyn` sizes its
/// symbolic dimensions.
Value generate(OpBuilder &b, Location loc, RankedTensorType outType,
               function_ref<Value(OpBuilder &, Location, ValueRange)> body,
               ValueRange dyn = {}) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = outType.getRank();
  SmallVector<AffineMap> maps{AffineMap::getMultiDimIdentityMap(rank, ctx)};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto g = linalg::GenericOp::create(
      b, loc, outType, ValueRange{}, ValueRange{emptyLike(b, loc, outType, dyn)}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange) {
        linalg::YieldOp::create(nb, nl, body(nb, nl, loopIndices(nb, nl, rank)));
      });
  return g.getResult(0);
}

RankedTensorType signlessType(RankedTensorType t) {
  return t.clone(signless(t.getElementType()));
}

/// Bitcasts a signless result back to the op's (possibly unsigned) type.
Value restoreType(OpBuilder &b, Location loc, Value v, Type want) {
  if (v.getType() == want)
    return v;
  return tensor::BitcastOp::create(b, loc, want, v);
}

Value zeroOf(OpBuilder &b, Location loc, Type t) { return cst(b, loc, t, 0); }

/// Combines an old and a new element for the scatter reductions.
Value combine(OpBuilder &b, Location loc, StringRef reduction, Value old, Value upd,
              bool uns) {
  Type t = old.getType();
  if (reduction == "none")
    return upd;
  if (t.isInteger(1)) { // bools: add is or, mul is and, like max and min
    if (reduction == "add" || reduction == "max")
      return arith::OrIOp::create(b, loc, old, upd);
    return arith::AndIOp::create(b, loc, old, upd);
  }
  bool f = isFloat(t);
  if (reduction == "add")
    return f ? (Value)arith::AddFOp::create(b, loc, old, upd)
             : (Value)arith::AddIOp::create(b, loc, old, upd);
  if (reduction == "mul")
    return f ? (Value)arith::MulFOp::create(b, loc, old, upd)
             : (Value)arith::MulIOp::create(b, loc, old, upd);
  if (reduction == "max") {
    if (f)
      return arith::MaximumFOp::create(b, loc, old, upd);
    return uns ? (Value)arith::MaxUIOp::create(b, loc, old, upd)
               : (Value)arith::MaxSIOp::create(b, loc, old, upd);
  }
  if (f)
    return arith::MinimumFOp::create(b, loc, old, upd);
  return uns ? (Value)arith::MinUIOp::create(b, loc, old, upd)
             : (Value)arith::MinSIOp::create(b, loc, old, upd);
}

bool isUnsigned(Value v) { return getElementTypeOrSelf(v.getType()).isUnsignedInteger(); }

/// Results without elements need no kernel. One of the op's operands of the
/// same (empty) type stands in when there is one, since the host program can
/// return a value it already holds; otherwise an empty tensor.
bool replaceIfEmpty(PatternRewriter &b, Operation *op) {
  if (!llvm::all_of(op->getResultTypes(), [](Type t) {
        auto r = cast<RankedTensorType>(t);
        return r.hasStaticShape() && r.getNumElements() == 0;
      }))
    return false;
  SmallVector<Value> empties;
  for (Type t : op->getResultTypes()) {
    auto same = llvm::find_if(op->getOperands(), [&](Value v) { return v.getType() == t; });
    empties.push_back(same != op->getOperands().end()
                          ? *same
                          : emptyLike(b, op->getLoc(), cast<RankedTensorType>(t)));
  }
  b.replaceOp(op, empties);
  return true;
}

/// Loop bounds 0..shape[d] step 1 for a loop nest.
void bounds(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, SmallVectorImpl<Value> &lbs,
            SmallVectorImpl<Value> &ubs, SmallVectorImpl<Value> &steps) {
  for (int64_t n : shape) {
    lbs.push_back(idx(b, loc, 0));
    ubs.push_back(idx(b, loc, n));
    steps.push_back(idx(b, loc, 1));
  }
}

//===----------------------------------------------------------------------===//
// Gathers and scatters
//===----------------------------------------------------------------------===//

/// out[i] = data[i with i[axis] = indices[i]]
struct GatherElementsLowering : OpRewritePattern<GatherElementsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GatherElementsOp op, PatternRewriter &b) const override {
    if (replaceIfEmpty(b, op))
      return success();
    Location loc = op.getLoc();
    Value data = toSignless(b, loc, op.getData()), indices = op.getIndices();
    int64_t axis = op.getAxis(), dim = typeOf(data).getDimSize(axis);
    Value r = generate(b, loc, signlessType(op.getType()),
                       [&](OpBuilder &nb, Location l, ValueRange ivs) -> Value {
                         SmallVector<Value> coords(ivs);
                         Value i = tensor::ExtractOp::create(nb, l, indices, ivs);
                         coords[axis] = normalizeIndex(nb, l, i, dim);
                         return tensor::ExtractOp::create(nb, l, data, coords);
                       });
    b.replaceOp(op, restoreType(b, loc, r, op.getType()));
    return success();
  }
};

/// Sequential over the updates: data[i with i[axis] = indices[i]] (op)= updates[i].
struct ScatterElementsLowering : OpRewritePattern<ScatterElementsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ScatterElementsOp op, PatternRewriter &b) const override {
    if (replaceIfEmpty(b, op))
      return success();
    Location loc = op.getLoc();
    Value data = toSignless(b, loc, op.getData()), upd = toSignless(b, loc, op.getUpdates());
    Value indices = op.getIndices();
    int64_t axis = op.getAxis(), dim = typeOf(data).getDimSize(axis);
    StringRef reduction = op.getReduction();
    bool uns = isUnsigned(op.getData());
    SmallVector<Value> lbs, ubs, steps;
    bounds(b, loc, typeOf(indices).getShape(), lbs, ubs, steps);
    auto nest = scf::buildLoopNest(
        b, loc, lbs, ubs, steps, ValueRange{data},
        [&](OpBuilder &nb, Location l, ValueRange ivs, ValueRange args) -> scf::ValueVector {
          SmallVector<Value> coords(ivs);
          coords[axis] = normalizeIndex(nb, l, tensor::ExtractOp::create(nb, l, indices, ivs), dim);
          Value u = tensor::ExtractOp::create(nb, l, upd, ivs);
          if (reduction != "none")
            u = combine(nb, l, reduction, tensor::ExtractOp::create(nb, l, args[0], coords), u,
                        uns);
          return {tensor::InsertOp::create(nb, l, u, args[0], coords).getResult()};
        });
    b.replaceOp(op, restoreType(b, loc, nest.results[0], op.getType()));
    return success();
  }
};

/// For each index tuple (in order), the addressed slice of data (op)= the
/// matching slice of updates.
struct ScatterNDLowering : OpRewritePattern<ScatterNDOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ScatterNDOp op, PatternRewriter &b) const override {
    if (replaceIfEmpty(b, op))
      return success();
    Location loc = op.getLoc();
    Value data = toSignless(b, loc, op.getData()), upd = toSignless(b, loc, op.getUpdates());
    Value indices = op.getIndices();
    auto dt = typeOf(data), it = typeOf(indices);
    int64_t k = it.getShape().back();
    StringRef reduction = op.getReduction();
    bool uns = isUnsigned(op.getData());
    SmallVector<Value> lbs, ubs, steps;
    bounds(b, loc, it.getShape().drop_back(), lbs, ubs, steps);
    auto nest = scf::buildLoopNest(
        b, loc, lbs, ubs, steps, ValueRange{data},
        [&](OpBuilder &nb, Location l, ValueRange outer, ValueRange args) -> scf::ValueVector {
          SmallVector<Value> prefix;
          for (int64_t j = 0; j < k; ++j) {
            SmallVector<Value> at(outer);
            at.push_back(idx(nb, l, j));
            prefix.push_back(normalizeIndex(nb, l, tensor::ExtractOp::create(nb, l, indices, at),
                                            dt.getDimSize(j)));
          }
          SmallVector<Value> lo, hi, st;
          bounds(nb, l, dt.getShape().drop_front(k), lo, hi, st);
          auto inner = scf::buildLoopNest(
              nb, l, lo, hi, st, args,
              [&](OpBuilder &ib, Location il, ValueRange ivs, ValueRange iargs) -> scf::ValueVector {
                SmallVector<Value> coords(prefix), uat(outer);
                llvm::append_range(coords, ivs);
                llvm::append_range(uat, ivs);
                Value u = tensor::ExtractOp::create(ib, il, upd, uat);
                if (reduction != "none")
                  u = combine(ib, il, reduction,
                              tensor::ExtractOp::create(ib, il, iargs[0], coords), u, uns);
                return {tensor::InsertOp::create(ib, il, u, iargs[0], coords).getResult()};
              });
          return inner.results;
        });
    b.replaceOp(op, restoreType(b, loc, nest.results[0], op.getType()));
    return success();
  }
};

/// out[b..., i..., s...] = data[b..., indices[b..., i..., :]..., s...]
struct GatherNDLowering : OpRewritePattern<GatherNDOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GatherNDOp op, PatternRewriter &b) const override {
    if (replaceIfEmpty(b, op))
      return success();
    Location loc = op.getLoc();
    Value data = toSignless(b, loc, op.getData()), indices = op.getIndices();
    auto dt = typeOf(data), it = typeOf(indices);
    int64_t k = it.getShape().back(), q = it.getRank() - 1, batch = op.getBatchDims();
    Value r = generate(b, loc, signlessType(op.getType()),
                       [&](OpBuilder &nb, Location l, ValueRange ivs) -> Value {
                         SmallVector<Value> coords(ivs.take_front(batch));
                         for (int64_t j = 0; j < k; ++j) {
                           SmallVector<Value> at(ivs.take_front(q));
                           at.push_back(idx(nb, l, j));
                           coords.push_back(normalizeIndex(
                               nb, l, tensor::ExtractOp::create(nb, l, indices, at),
                               dt.getDimSize(batch + j)));
                         }
                         llvm::append_range(coords, ivs.drop_front(q));
                         return tensor::ExtractOp::create(nb, l, data, coords);
                       });
    b.replaceOp(op, restoreType(b, loc, r, op.getType()));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Masks, scans, one-hot, identity
//===----------------------------------------------------------------------===//

struct TriluLowering : OpRewritePattern<TriluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TriluOp op, PatternRewriter &b) const override {
    if (replaceIfEmpty(b, op))
      return success();
    Location loc = op.getLoc();
    Value x = toSignless(b, loc, op.getInput());
    int64_t rank = typeOf(x).getRank();
    bool upper = op.getUpper();
    Value r = elementwise(
        b, loc, typeOf(x), {x, op.getK()}, [&](OpBuilder &nb, Location l, ValueRange a) {
          Value row = linalg::IndexOp::create(nb, l, rank - 2);
          Value col = linalg::IndexOp::create(nb, l, rank - 1);
          Value diff = arith::SubIOp::create(nb, l, col, row);
          Value k = toIndex(nb, l, a[1]);
          Value keep = arith::CmpIOp::create(
              nb, l, upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle, diff, k);
          return arith::SelectOp::create(nb, l, keep, a[0], zeroOf(nb, l, a[0].getType()));
        });
    b.replaceOp(op, restoreType(b, loc, r, op.getType()));
    return success();
  }
};

/// One sequential pass over the flattened input: element g adds the running
/// sum at g -/+ stride (the previous step along the axis). A run-time axis
/// is read inside the loop, so the whole scan stays one kernel.
struct CumSumLowering : OpRewritePattern<CumSumOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CumSumOp op, PatternRewriter &b) const override {
    if (replaceIfEmpty(b, op))
      return success();
    Location loc = op.getLoc();
    Value x = toSignless(b, loc, op.getInput());
    auto t = typeOf(x);
    ArrayRef<int64_t> shape = t.getShape();
    int64_t rank = t.getRank(), n = t.getNumElements();
    Type et = t.getElementType();
    SmallVector<int64_t> strides(rank, 1);
    for (int64_t d = rank - 2; d >= 0; --d)
      strides[d] = strides[d + 1] * shape[d + 1];
    std::optional<int64_t> staticAxis;
    DenseIntElementsAttr axisAttr;
    if (rank == 1)
      staticAxis = 0;
    else if (matchPattern(op.getAxis(), m_Constant(&axisAttr))) {
      int64_t a = (*axisAttr.value_begin<APInt>()).getSExtValue();
      staticAxis = std::clamp<int64_t>(a < 0 ? a + rank : a, 0, rank - 1);
    }
    Value flat = reshapeTo(b, loc, x, {n});
    Value axisTensor = op.getAxis();
    bool exclusive = op.getExclusive(), reverse = op.getReverse();
    auto loop = scf::ForOp::create(
        b, loc, idx(b, loc, 0), idx(b, loc, n), idx(b, loc, 1),
        ValueRange{emptyLike(b, loc, typeOf(flat))},
        [&](OpBuilder &nb, Location l, Value f, ValueRange args) {
          Value stride, dim;
          if (staticAxis) {
            stride = idx(nb, l, strides[*staticAxis]);
            dim = idx(nb, l, shape[*staticAxis]);
          } else {
            Value a = toIndex(nb, l, tensor::ExtractOp::create(nb, l, axisTensor, ValueRange{}));
            a = normalizeIndex(nb, l, a, rank);
            stride = idx(nb, l, strides[rank - 1]);
            dim = idx(nb, l, shape[rank - 1]);
            for (int64_t d = rank - 2; d >= 0; --d) {
              Value is = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, a, idx(nb, l, d));
              stride = arith::SelectOp::create(nb, l, is, idx(nb, l, strides[d]), stride);
              dim = arith::SelectOp::create(nb, l, is, idx(nb, l, shape[d]), dim);
            }
          }
          Value g = reverse ? (Value)arith::SubIOp::create(nb, l, idx(nb, l, n - 1), f) : f;
          Value pos = arith::RemUIOp::create(nb, l, arith::DivUIOp::create(nb, l, g, stride), dim);
          Value hasPrev, prev;
          if (reverse) {
            hasPrev = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult, pos,
                                            arith::SubIOp::create(nb, l, dim, idx(nb, l, 1)));
            prev = arith::AddIOp::create(nb, l, g, stride);
          } else {
            hasPrev = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ugt, pos, idx(nb, l, 0));
            prev = arith::SubIOp::create(nb, l, g, stride);
          }
          // Never read outside: without a previous step, read g (discarded).
          prev = arith::SelectOp::create(nb, l, hasPrev, prev, g);
          Value acc = tensor::ExtractOp::create(nb, l, args[0], prev);
          auto add = [&](Value p, Value q) -> Value {
            return isFloat(et) ? (Value)arith::AddFOp::create(nb, l, p, q)
                               : (Value)arith::AddIOp::create(nb, l, p, q);
          };
          Value zero = zeroOf(nb, l, et);
          Value v;
          if (exclusive)
            v = add(acc, tensor::ExtractOp::create(nb, l, flat, prev));
          else
            v = add(tensor::ExtractOp::create(nb, l, flat, g),
                    arith::SelectOp::create(nb, l, hasPrev, acc, zero));
          if (exclusive)
            v = arith::SelectOp::create(nb, l, hasPrev, v, zero);
          scf::YieldOp::create(nb, l, tensor::InsertOp::create(nb, l, v, args[0], g).getResult());
        });
    Value r = reshapeTo(b, loc, loop.getResult(0), shape);
    b.replaceOp(op, restoreType(b, loc, r, op.getType()));
    return success();
  }
};

/// out[..., j at axis, ...] = indices[...] (normalized) == j ? on : off
struct OneHotLowering : OpRewritePattern<OneHotOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(OneHotOp op, PatternRewriter &b) const override {
    if (replaceIfEmpty(b, op))
      return success();
    Location loc = op.getLoc();
    MLIRContext *ctx = b.getContext();
    Value indices = toSignless(b, loc, op.getIndices());
    Value values = toSignless(b, loc, op.getValues());
    auto outType = signlessType(op.getType());
    int64_t rank = outType.getRank(), axis = op.getAxis(), depth = op.getDepth();
    bool idxUnsigned = isUnsigned(op.getIndices());
    SmallVector<AffineExpr> idxExprs;
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis)
        idxExprs.push_back(getAffineDimExpr(d, ctx));
    SmallVector<AffineMap> maps{AffineMap::get(rank, 0, idxExprs, ctx),
                                AffineMap::getMultiDimIdentityMap(rank, ctx)};
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    auto g = linalg::GenericOp::create(
        b, loc, outType, ValueRange{indices}, ValueRange{emptyLike(b, loc, outType)}, maps, iters,
        [&](OpBuilder &nb, Location l, ValueRange a) {
          // Float indices are truncated toward zero, like a cast to int64.
          Value i = convertScalar(nb, l, a[0], nb.getI64Type(), idxUnsigned);
          Value neg = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, i,
                                            cst(nb, l, nb.getI64Type(), 0));
          i = arith::SelectOp::create(
              nb, l, neg, arith::AddIOp::create(nb, l, i, cst(nb, l, nb.getI64Type(), depth)), i);
          Value j = arith::IndexCastOp::create(nb, l, nb.getI64Type(),
                                               linalg::IndexOp::create(nb, l, axis));
          Value on = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, i, j);
          Value offV = tensor::ExtractOp::create(nb, l, values, ValueRange{idx(nb, l, 0)});
          Value onV = tensor::ExtractOp::create(nb, l, values, ValueRange{idx(nb, l, 1)});
          linalg::YieldOp::create(nb, l, arith::SelectOp::create(nb, l, on, onV, offV).getResult());
        });
    b.replaceOp(op, restoreType(b, loc, g.getResult(0), op.getType()));
    return success();
  }
};

struct EyeLowering : OpRewritePattern<EyeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(EyeOp op, PatternRewriter &b) const override {
    if (replaceIfEmpty(b, op))
      return success();
    Location loc = op.getLoc();
    auto outType = signlessType(op.getType());
    Type et = outType.getElementType();
    int64_t k = op.getK();
    Value r = generate(b, loc, outType, [&](OpBuilder &nb, Location l, ValueRange ivs) -> Value {
      Value diff = arith::SubIOp::create(nb, l, ivs[1], ivs[0]);
      Value on = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, diff, idx(nb, l, k));
      return arith::SelectOp::create(nb, l, on, cst(nb, l, et, 1), cst(nb, l, et, 0));
    });
    b.replaceOp(op, restoreType(b, loc, r, op.getType()));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Broadcasts, padding, reversal, selection
//===----------------------------------------------------------------------===//

struct BroadcastToLowering : OpRewritePattern<BroadcastToOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BroadcastToOp op, PatternRewriter &b) const override {
    if (replaceIfEmpty(b, op))
      return success();
    Location loc = op.getLoc();
    Value x = toSignless(b, loc, op.getInput());
    Value r = elementwise(b, loc, signlessType(op.getType()), {x},
                          [](OpBuilder &, Location, ValueRange a) { return a[0]; },
                          op.getDims());
    b.replaceOp(op, restoreType(b, loc, r, op.getType()));
    return success();
  }
};

/// out[i] = start + i * delta, for the run-time length `size`.
struct IotaLowering : OpRewritePattern<IotaOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(IotaOp op, PatternRewriter &b) const override {
    Location loc = op.getLoc();
    auto outType = signlessType(op.getType());
    Type et = outType.getElementType();
    SmallVector<Value> dyn;
    if (outType.isDynamicDim(0))
      dyn.push_back(op.getSize());
    Value r = generate(
        b, loc, outType,
        [&](OpBuilder &nb, Location l, ValueRange ivs) -> Value {
          Value i = arith::IndexCastOp::create(nb, l, et, ivs[0]);
          return arith::AddIOp::create(
              nb, l, cst(nb, l, et, (double)op.getStart()),
              arith::MulIOp::create(nb, l, i, cst(nb, l, et, (double)op.getDelta())));
        },
        dyn);
    b.replaceOp(op, restoreType(b, loc, r, op.getType()));
    return success();
  }
};

/// Every output element reads one computed source position: clamped (edge),
/// mirrored (reflect), wrapped (wrap) or, outside the input, the constant.
struct PadLowering : OpRewritePattern<PadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(PadOp op, PatternRewriter &b) const override {
    if (replaceIfEmpty(b, op))
      return success();
    Location loc = op.getLoc();
    Value x = toSignless(b, loc, op.getInput()), value = toSignless(b, loc, op.getValue());
    auto in = typeOf(x);
    auto outType = signlessType(op.getType());
    int64_t rank = in.getRank();
    StringRef mode = op.getMode();
    ArrayRef<int64_t> pads = op.getPads();
    Value r;
    if (in.getNumElements() == 0) { // nothing to read: all padding
      r = elementwise(b, loc, outType, {value},
                      [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    } else {
      r = generate(b, loc, outType, [&](OpBuilder &nb, Location l, ValueRange ivs) -> Value {
        SmallVector<Value> coords;
        Value inside;
        for (int64_t d = 0; d < rank; ++d) {
          int64_t n = in.getDimSize(d);
          Value s = arith::SubIOp::create(nb, l, ivs[d], idx(nb, l, pads[d]));
          if (mode == "reflect" && n > 1) {
            int64_t period = 2 * (n - 1);
            Value m = arith::RemSIOp::create(nb, l, s, idx(nb, l, period));
            Value neg = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, m, idx(nb, l, 0));
            m = arith::SelectOp::create(nb, l, neg, arith::AddIOp::create(nb, l, m, idx(nb, l, period)), m);
            Value high = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sge, m, idx(nb, l, n));
            s = arith::SelectOp::create(nb, l, high,
                                        arith::SubIOp::create(nb, l, idx(nb, l, period), m), m);
          } else if (mode == "wrap") {
            Value m = arith::RemSIOp::create(nb, l, s, idx(nb, l, n));
            Value neg = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, m, idx(nb, l, 0));
            s = arith::SelectOp::create(nb, l, neg, arith::AddIOp::create(nb, l, m, idx(nb, l, n)), m);
          } else if (mode == "constant") {
            Value ge = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sge, s, idx(nb, l, 0));
            Value lt = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, s, idx(nb, l, n));
            Value ok = arith::AndIOp::create(nb, l, ge, lt);
            inside = inside ? (Value)arith::AndIOp::create(nb, l, inside, ok) : ok;
          }
          coords.push_back(clampIndex(nb, l, s, 0, n - 1));
        }
        Value v = tensor::ExtractOp::create(nb, l, x, coords);
        if (!inside)
          return v;
        Value fillV = tensor::ExtractOp::create(nb, l, value, ValueRange{});
        return arith::SelectOp::create(nb, l, inside, v, fillV);
      });
    }
    b.replaceOp(op, restoreType(b, loc, r, op.getType()));
    return success();
  }
};

struct ReverseSequenceLowering : OpRewritePattern<ReverseSequenceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReverseSequenceOp op, PatternRewriter &b) const override {
    if (replaceIfEmpty(b, op))
      return success();
    Location loc = op.getLoc();
    Value x = toSignless(b, loc, op.getInput()), lens = op.getSequenceLens();
    int64_t batch = op.getBatchAxis(), time = op.getTimeAxis();
    int64_t steps = typeOf(x).getDimSize(time);
    Value r = generate(b, loc, typeOf(x), [&](OpBuilder &nb, Location l, ValueRange ivs) -> Value {
      Value len = toIndex(nb, l, tensor::ExtractOp::create(nb, l, lens, ValueRange{ivs[batch]}));
      len = clampIndex(nb, l, len, 0, steps);
      Value t = ivs[time];
      Value inSeq = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, t, len);
      Value mirrored = arith::SubIOp::create(
          nb, l, arith::SubIOp::create(nb, l, len, idx(nb, l, 1)), t);
      SmallVector<Value> coords(ivs);
      coords[time] = arith::SelectOp::create(nb, l, inSeq, mirrored, t);
      return tensor::ExtractOp::create(nb, l, x, coords);
    });
    b.replaceOp(op, restoreType(b, loc, r, op.getType()));
    return success();
  }
};

/// k passes over each row: pass p takes the best element that comes after
/// pass p-1's pick in the order (value, then lower index first), so no mask
/// is needed and ties keep the lower index first. O(k * n) per row.
struct TopKLowering : OpRewritePattern<TopKOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TopKOp op, PatternRewriter &b) const override {
    if (replaceIfEmpty(b, op))
      return success();
    Location loc = op.getLoc();
    Value x = toSignless(b, loc, op.getInput());
    auto in = typeOf(x);
    Type et = in.getElementType();
    int64_t axis = op.getAxis(), n = in.getDimSize(axis), k = op.getK();
    bool largest = op.getLargest(), uns = isUnsigned(op.getInput());
    auto valType = signlessType(op.getValues().getType());
    auto idxType = op.getIndices().getType();
    SmallVector<int64_t> rowShape(in.getShape());
    rowShape[axis] = 1; // the loop over the axis is explicit
    SmallVector<Value> lbs, ubs, steps;
    bounds(b, loc, rowShape, lbs, ubs, steps);
    auto better = [&](OpBuilder &nb, Location l, Value p, Value q) -> Value { // p before q
      if (isFloat(et))
        return arith::CmpFOp::create(nb, l, largest ? arith::CmpFPredicate::OGT
                                                    : arith::CmpFPredicate::OLT, p, q);
      arith::CmpIPredicate pred = largest ? (uns ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt)
                                          : (uns ? arith::CmpIPredicate::ult : arith::CmpIPredicate::slt);
      return arith::CmpIOp::create(nb, l, pred, p, q);
    };
    auto equal = [&](OpBuilder &nb, Location l, Value p, Value q) -> Value {
      if (isFloat(et))
        return arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, p, q);
      return arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, p, q);
    };
    auto nest = scf::buildLoopNest(
        b, loc, lbs, ubs, steps,
        ValueRange{emptyLike(b, loc, valType), emptyLike(b, loc, idxType)},
        [&](OpBuilder &nb, Location l, ValueRange ivs, ValueRange args) -> scf::ValueVector {
          SmallVector<Value> coords(ivs);
          Value zeroIdx = idx(nb, l, 0);
          Value falseV = arith::ConstantIntOp::create(nb, l, 0, 1);
          Value trueV = arith::ConstantIntOp::create(nb, l, 1, 1);
          auto passes = scf::ForOp::create(
              nb, l, idx(nb, l, 0), idx(nb, l, k), idx(nb, l, 1),
              ValueRange{args[0], args[1], zeroOf(nb, l, et), zeroIdx},
              [&](OpBuilder &pb, Location pl, Value p, ValueRange pargs) {
                Value prevV = pargs[2], prevI = pargs[3];
                Value first = arith::CmpIOp::create(pb, pl, arith::CmpIPredicate::eq, p, zeroIdx);
                auto scan = scf::ForOp::create(
                    pb, pl, idx(pb, pl, 0), idx(pb, pl, n), idx(pb, pl, 1),
                    ValueRange{zeroOf(pb, pl, et), zeroIdx, falseV},
                    [&](OpBuilder &sb, Location sl, Value j, ValueRange s) {
                      SmallVector<Value> at(coords);
                      at[axis] = j;
                      Value v = tensor::ExtractOp::create(sb, sl, x, at);
                      // After the previous pick: worse value, or equal value at a later index.
                      Value later = arith::AndIOp::create(
                          sb, sl, equal(sb, sl, v, prevV),
                          arith::CmpIOp::create(sb, sl, arith::CmpIPredicate::ugt, j, prevI));
                      Value after = arith::OrIOp::create(
                          sb, sl, first,
                          arith::OrIOp::create(sb, sl, better(sb, sl, prevV, v), later));
                      Value improves = arith::OrIOp::create(
                          sb, sl, arith::XOrIOp::create(sb, sl, s[2], trueV),
                          better(sb, sl, v, s[0]));
                      Value take = arith::AndIOp::create(sb, sl, after, improves);
                      scf::YieldOp::create(
                          sb, sl,
                          ValueRange{arith::SelectOp::create(sb, sl, take, v, s[0]),
                                     arith::SelectOp::create(sb, sl, take, j, s[1]),
                                     arith::OrIOp::create(sb, sl, s[2], take)});
                    });
                Value bestV = scan.getResult(0), bestI = scan.getResult(1);
                SmallVector<Value> out(coords);
                out[axis] = p;
                Value vals = tensor::InsertOp::create(pb, pl, bestV, pargs[0], out);
                Value i64 = arith::IndexCastOp::create(pb, pl, pb.getI64Type(), bestI);
                Value idxs = tensor::InsertOp::create(pb, pl, i64, pargs[1], out);
                scf::YieldOp::create(pb, pl, ValueRange{vals, idxs, bestV, bestI});
              });
          return {passes.getResult(0), passes.getResult(1)};
        });
    b.replaceOp(op, {restoreType(b, loc, nest.results[0], op.getValues().getType()),
                     nest.results[1]});
    return success();
  }
};

} // namespace

void mlir::nuri::populateIndexLowerings(RewritePatternSet &patterns) {
  patterns.add<GatherElementsLowering, ScatterElementsLowering, ScatterNDLowering,
               GatherNDLowering, TriluLowering, CumSumLowering, OneHotLowering, EyeLowering,
               BroadcastToLowering, IotaLowering, PadLowering, ReverseSequenceLowering, TopKLowering>(
      patterns.getContext());
}
