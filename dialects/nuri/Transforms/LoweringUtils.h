//===- LoweringUtils.h - builders shared by the nuri -> linalg patterns -*- C++ -*-===//
//
// The nuri -> linalg lowering is split by op family (NuriToLinalg.cpp and
// Lower*.cpp); these are the pieces they share.
//
//===----------------------------------------------------------------------===//
#ifndef NURI_DIALECTS_NURI_TRANSFORMS_LOWERINGUTILS_H
#define NURI_DIALECTS_NURI_TRANSFORMS_LOWERINGUTILS_H

#include "dialects/nuri/IR/NuriDialect.h"
#include "dialects/nuri/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"

namespace mlir::nuri {

inline RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }
inline bool isFloat(Type t) { return isa<FloatType>(getElementTypeOrSelf(t)); }

using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// Indexing map of an operand broadcast (numpy rules) to `outShape`.
AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> in, ArrayRef<int64_t> out);
/// An empty tensor of type t; `dyn` holds one size per `?` of t (symbolic
/// dimensions), in order.
Value emptyLike(OpBuilder &b, Location loc, RankedTensorType t, ValueRange dyn = {});
/// The sizes of v's dynamic dimensions (tensor.dim), in order.
SmallVector<Value> dynamicSizes(OpBuilder &b, Location loc, Value v);
/// The sizes of t's dynamic dimensions, dimension d read as dimension
/// `source(d).second` of `source(d).first`.
SmallVector<Value> dynamicSizes(OpBuilder &b, Location loc, RankedTensorType t,
                                function_ref<std::pair<Value, int64_t>(int64_t)> source);
/// out[i] = fn(inputs broadcast to out[i]...). Symbolic extents come from
/// `dyn` or, when it is empty, from an input that has them.
Value elementwise(OpBuilder &b, Location loc, RankedTensorType outType, ValueRange inputs,
                  BodyFn fn, ValueRange dyn = {});
/// A scalar constant of element type t.
Value cst(OpBuilder &b, Location loc, Type t, double v);
Value fill(OpBuilder &b, Location loc, RankedTensorType t, double v, ValueRange dyn = {});
/// Reshape as collapse-to-1-D then expand: both bufferize to views. A
/// result with symbolic dimensions takes their sizes from `dyn`.
Value reshapeTo(OpBuilder &b, Location loc, Value v, RankedTensorType to, ValueRange dyn = {});
Value reshapeTo(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape,
                ValueRange dyn = {});
/// Scalar conversion between any two signless/float element types.
Value convertScalar(OpBuilder &b, Location loc, Value v, Type to, bool fromUnsigned = false,
                    bool toUnsigned = false);
/// Unsigned tensors are bitcast to signless ones (arith has no unsigned
/// types: signedness lives in the ops) and back.
/// Float8 formats (E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ), converted in software
/// (Float8.cpp): f32 -> float8 rounding to nearest even, and back.
bool isFloat8(Type t);
Value encodeFloat8(OpBuilder &b, Location loc, Value f32, Type to, bool saturate);
Value decodeFloat8(OpBuilder &b, Location loc, Value x);
Value toSignless(OpBuilder &b, Location loc, Value v);

template <typename Op> struct ElementwisePattern : OpRewritePattern<Op> {
  using OpRewritePattern<Op>::OpRewritePattern;
  /// `uns`: the operands are unsigned integers (as signless values).
  virtual Value body(OpBuilder &b, Location loc, Op op, ValueRange args, bool uns) const = 0;
  LogicalResult matchAndRewrite(Op op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    bool uns = getElementTypeOrSelf(op->getOperand(0).getType()).isUnsignedInteger();
    SmallVector<Value> operands;
    for (Value v : op->getOperands())
      operands.push_back(toSignless(rewriter, loc, v));
    auto resultType = cast<RankedTensorType>(op.getType());
    auto signlessType = resultType.clone(signless(resultType.getElementType()));
    Value r = elementwise(rewriter, loc, signlessType, operands,
                          [&](OpBuilder &b, Location l, ValueRange a) {
                            return body(b, l, op, a, uns);
                          });
    if (signlessType != resultType)
      r = tensor::BitcastOp::create(rewriter, loc, resultType, r);
    rewriter.replaceOp(op, r);
    return success();
  }
};

#define NURI_EW(NAME, OP, ...)                                                  \
  struct NAME : ElementwisePattern<OP> {                                        \
    using ElementwisePattern::ElementwisePattern;                               \
    Value body(OpBuilder &b, Location loc, OP op, ValueRange a,                  \
               bool uns) const override {                                     \
      Type t = a[0].getType();                                                  \
      (void)t;                                                                  \
      (void)uns;                                                                \
      __VA_ARGS__                                                               \
    }                                                                           \
  };

// Registration hooks of the per-family lowering files.
void populateIndexLowerings(RewritePatternSet &patterns);
void populateNNLowerings(RewritePatternSet &patterns);
void populateMathLowerings(RewritePatternSet &patterns);
void populateQuantLowerings(RewritePatternSet &patterns);
void populateMiscLowerings(RewritePatternSet &patterns);
void populateDynamicLowerings(RewritePatternSet &patterns);

} // namespace mlir::nuri

#endif
