//===- LoweringUtils.cpp - builders shared by the nuri -> linalg patterns -===//
#include "dialects/nuri/Transforms/LoweringUtils.h"

namespace mlir::nuri {



/// Indexing map of an operand broadcast (numpy rules) to `outShape`.
AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> in, ArrayRef<int64_t> out) {
  SmallVector<AffineExpr> exprs;
  int64_t offset = out.size() - in.size();
  for (size_t d = 0; d < in.size(); ++d)
    exprs.push_back(in[d] == 1 && out[d + offset] != 1
                        ? getAffineConstantExpr(0, ctx)
                        : getAffineDimExpr(d + offset, ctx));
  return AffineMap::get(out.size(), 0, exprs, ctx);
}

Value emptyLike(OpBuilder &b, Location loc, RankedTensorType t, ValueRange dyn) {
  assert((int64_t)dyn.size() == t.getNumDynamicDims() && "one size per symbolic dimension");
  return tensor::EmptyOp::create(b, loc, t.getShape(), t.getElementType(), dyn);
}

SmallVector<Value> dynamicSizes(OpBuilder &b, Location loc, Value v) {
  SmallVector<Value> sizes;
  auto t = typeOf(v);
  for (int64_t d = 0; d < t.getRank(); ++d)
    if (t.isDynamicDim(d))
      sizes.push_back(b.createOrFold<tensor::DimOp>(loc, v, d));
  return sizes;
}

SmallVector<Value> dynamicSizes(OpBuilder &b, Location loc, RankedTensorType t,
                                function_ref<std::pair<Value, int64_t>(int64_t)> source) {
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < t.getRank(); ++d)
    if (t.isDynamicDim(d)) {
      auto [v, k] = source(d);
      sizes.push_back(b.createOrFold<tensor::DimOp>(loc, v, k));
    }
  return sizes;
}

/// out[i] = fn(inputs broadcast to out[i]...).
Value elementwise(OpBuilder &b, Location loc, RankedTensorType outType,
                  ValueRange inputs, BodyFn fn, ValueRange dyn) {
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value v : inputs)
    maps.push_back(broadcastMap(ctx, typeOf(v).getShape(), outType.getShape()));
  maps.push_back(AffineMap::getMultiDimIdentityMap(outType.getRank(), ctx));
  SmallVector<utils::IteratorType> iters(outType.getRank(), utils::IteratorType::parallel);
  // Run-time extents (symbolic dimensions, or a tensor of run-time size with
  // scalar operands) come from an input that has them (aligned at the end,
  // as broadcasting aligns them).
  SmallVector<Value> sizes(dyn);
  for (int64_t d = 0; dyn.empty() && d < outType.getRank(); ++d) {
    if (!outType.isDynamicDim(d))
      continue;
    for (Value v : inputs) {
      int64_t k = d - (outType.getRank() - typeOf(v).getRank());
      if (k >= 0 && typeOf(v).isDynamicDim(k)) {
        sizes.push_back(b.createOrFold<tensor::DimOp>(loc, v, k));
        break;
      }
    }
  }
  Value init = sizes.size() == (size_t)outType.getNumDynamicDims()
                   ? (Value)tensor::EmptyOp::create(b, loc, outType.getShape(),
                                                    outType.getElementType(), sizes)
                   : emptyLike(b, loc, outType);
  auto op = linalg::GenericOp::create(
      b, loc, outType, inputs, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(nb, nl, fn(nb, nl, args.drop_back()));
      });
  return op.getResult(0);
}

Value cst(OpBuilder &b, Location loc, Type t, double v) {
  if (isa<FloatType>(t))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(t, v));
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(t, (int64_t)v));
}

Value fill(OpBuilder &b, Location loc, RankedTensorType t, double v, ValueRange dyn) {
  return linalg::FillOp::create(b, loc, cst(b, loc, t.getElementType(), v),
                                emptyLike(b, loc, t, dyn))
      .getResult(0);
}

/// Reshape as collapse-to-1-D then expand: both bufferize to views.
Value reshapeTo(OpBuilder &b, Location loc, Value v, RankedTensorType to, ValueRange dyn) {
  auto from = typeOf(v);
  if (from.getShape() == to.getShape() && (from.getNumDynamicDims() <= 1 || dyn.empty()))
    return v;
  // Rank-0 <-> all-ones shapes need an empty reassociation, not a 1-D detour.
  if (from.getRank() == 0)
    return tensor::ExpandShapeOp::create(b, loc, to, v, ArrayRef<ReassociationIndices>{});
  if (to.getRank() == 0)
    return tensor::CollapseShapeOp::create(b, loc, to, v, ArrayRef<ReassociationIndices>{});
  bool symbolic = !from.hasStaticShape() || !to.hasStaticShape();
  auto flat = RankedTensorType::get({symbolic ? ShapedType::kDynamic : from.getNumElements()},
                                    from.getElementType());
  auto allDims = [](int64_t rank) {
    SmallVector<ReassociationIndices> r;
    if (rank == 0)
      return r;
    r.emplace_back();
    for (int64_t i = 0; i < rank; ++i)
      r.back().push_back(i);
    return r;
  };
  Value x = v;
  if (from.getRank() != 1)
    x = tensor::CollapseShapeOp::create(b, loc, flat, x, allDims(from.getRank()));
  if (to.getRank() == 1) {
    if (typeOf(x) != to)
      x = tensor::CastOp::create(b, loc, to, x);
    return x;
  }
  if (!symbolic)
    return tensor::ExpandShapeOp::create(b, loc, to, x, allDims(to.getRank()));
  assert((int64_t)dyn.size() == to.getNumDynamicDims() && "one size per symbolic dimension");
  SmallVector<OpFoldResult> sizes;
  unsigned next = 0;
  for (int64_t d = 0; d < to.getRank(); ++d)
    sizes.push_back(to.isDynamicDim(d) ? OpFoldResult(dyn[next++])
                                       : OpFoldResult(b.getIndexAttr(to.getDimSize(d))));
  return tensor::ExpandShapeOp::create(b, loc, to, x, allDims(to.getRank()), sizes);
}

Value reshapeTo(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape, ValueRange dyn) {
  return reshapeTo(b, loc, v, typeOf(v).clone(shape), dyn);
}

/// Scalar conversion between any two signless/float element types.
Value convertScalar(OpBuilder &b, Location loc, Value v, Type to, bool fromUnsigned,
                    bool toUnsigned) {
  Type from = v.getType();
  if (from == to)
    return v;
  bool ff = isa<FloatType>(from), tf = isa<FloatType>(to);
  if (to.isInteger(1)) {
    if (ff)
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, v, cst(b, loc, from, 0));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, v, cst(b, loc, from, 0));
  }
  if (from.isInteger(1))
    return tf ? (Value)arith::UIToFPOp::create(b, loc, to, v)
              : (Value)arith::ExtUIOp::create(b, loc, to, v);
  if (ff && tf) {
    unsigned fw = from.getIntOrFloatBitWidth(), tw = to.getIntOrFloatBitWidth();
    if (fw == tw) // f16 <-> bf16: through f32, which holds both exactly
      return arith::TruncFOp::create(b, loc, to,
                                     arith::ExtFOp::create(b, loc, b.getF32Type(), v));
    return fw > tw ? (Value)arith::TruncFOp::create(b, loc, to, v)
                   : (Value)arith::ExtFOp::create(b, loc, to, v);
  }
  if (ff)
    return toUnsigned ? (Value)arith::FPToUIOp::create(b, loc, to, v)
                      : (Value)arith::FPToSIOp::create(b, loc, to, v);
  if (tf)
    return fromUnsigned ? (Value)arith::UIToFPOp::create(b, loc, to, v)
                        : (Value)arith::SIToFPOp::create(b, loc, to, v);
  if (from.getIntOrFloatBitWidth() > to.getIntOrFloatBitWidth())
    return arith::TruncIOp::create(b, loc, to, v);
  return fromUnsigned ? (Value)arith::ExtUIOp::create(b, loc, to, v)
                      : (Value)arith::ExtSIOp::create(b, loc, to, v);
}

/// Unsigned tensors are bitcast to signless ones (arith has no unsigned
/// types: signedness lives in the ops) and back.
Value toSignless(OpBuilder &b, Location loc, Value v) {
  auto t = typeOf(v);
  Type et = signless(t.getElementType());
  if (et == t.getElementType())
    return v;
  return tensor::BitcastOp::create(b, loc, t.clone(et), v);
}

} // namespace mlir::nuri
