//===- NuriFold.cpp - folders and canonicalization patterns ---------------===//
//
// Constant folding runs on f32 and i64 tensors: that covers the weights
// arithmetic exporters leave behind (BatchNormalization parameters, Gemm
// alpha/beta, shape arithmetic) without a general interpreter.
//
//===----------------------------------------------------------------------===//
#include "dialects/nuri/IR/NuriDialect.h"
#include "dialects/nuri/IR/FoldUtils.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::nuri;

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

std::vector<char> mlir::nuri::elementBytes(DenseElementsAttr a) {
  std::vector<char> out;
  if (a.getElementType().isInteger(1)) {
    for (bool v : a.getValues<bool>())
      out.push_back(v);
    return out;
  }
  ArrayRef<char> raw = a.getRawData();
  if (!a.isSplat())
    return std::vector<char>(raw.begin(), raw.end());
  out.resize(a.getNumElements() * raw.size());
  for (size_t off = 0; off < out.size(); off += raw.size())
    std::memcpy(&out[off], raw.data(), raw.size());
  return out;
}

SmallVector<StringRef> mlir::nuri::nodeNames(Location loc) {
  SmallVector<StringRef> names;
  loc->walk([&](Location l) {
    if (auto n = dyn_cast<NameLoc>(l))
      names.push_back(n.getName().getValue());
    return WalkResult::advance();
  });
  return names;
}

namespace {
using fold::broadcastIndex;
using fold::stridesOf;

template <typename T, typename Fn>
Attribute foldBinaryAs(DenseElementsAttr a, DenseElementsAttr b, ShapedType outType,
                       Fn fn) {
  auto av = llvm::to_vector(a.getValues<T>());
  auto bv = llvm::to_vector(b.getValues<T>());
  auto outShape = outType.getShape();
  auto as = a.getType().getShape(), bs = b.getType().getShape();
  auto os = stridesOf(outShape), ast = stridesOf(as), bst = stridesOf(bs);
  SmallVector<T> result(outType.getNumElements());
  for (int64_t i = 0, e = result.size(); i < e; ++i) {
    T x = a.isSplat() ? av[0] : av[broadcastIndex(i, outShape, as, os, ast)];
    T y = b.isSplat() ? bv[0] : bv[broadcastIndex(i, outShape, bs, os, bst)];
    result[i] = fn(x, y);
  }
  return DenseElementsAttr::get(outType, ArrayRef<T>(result));
}

/// Folds a binary op whose operands are both dense constants (f32 or i64).
/// Big results are left to run time: folding must not bloat the artifact.
template <typename FloatFn, typename IntFn>
OpFoldResult foldBinary(Attribute lhs, Attribute rhs, Type resultType, FloatFn ff,
                        IntFn fi) {
  auto a = dyn_cast_or_null<DenseElementsAttr>(lhs);
  auto b = dyn_cast_or_null<DenseElementsAttr>(rhs);
  auto out = cast<ShapedType>(resultType);
  if (!a || !b || a.getElementType() != b.getElementType())
    return {};
  if (out.getNumElements() > (1 << 22) &&
      out.getNumElements() > std::max(a.getNumElements(), b.getNumElements()))
    return {};
  Type et = a.getElementType();
  if (et.isF32())
    return foldBinaryAs<float>(a, b, out, ff);
  if (et.isSignlessInteger(64))
    return foldBinaryAs<int64_t>(a, b, out, fi);
  return {};
}

/// i64 tensors (shape arithmetic) fold exactly, with wrap-around.
OpFoldResult foldUnaryInt(Attribute in, function_ref<int64_t(int64_t)> fn) {
  auto a = dyn_cast_or_null<DenseElementsAttr>(in);
  if (!a || !a.getElementType().isSignlessInteger(64))
    return {};
  SmallVector<int64_t> values;
  for (int64_t v : a.getValues<int64_t>())
    values.push_back(fn(v));
  return DenseElementsAttr::get(a.getType(), ArrayRef<int64_t>(values));
}

template <typename FloatFn>
OpFoldResult foldUnary(Attribute in, FloatFn fn) {
  auto a = dyn_cast_or_null<DenseElementsAttr>(in);
  if (!a || !a.getElementType().isF32())
    return {};
  if (a.isSplat())
    return DenseElementsAttr::get(a.getType(), fn(a.getSplatValue<float>()));
  SmallVector<float> values;
  for (float v : a.getValues<float>())
    values.push_back(fn(v));
  return DenseElementsAttr::get(a.getType(), ArrayRef<float>(values));
}
} // namespace

OpFoldResult AddOp::fold(FoldAdaptor a) {
  return foldBinary(a.getLhs(), a.getRhs(), getType(),
                    [](float x, float y) { return x + y; },
                    [](int64_t x, int64_t y) { return (int64_t)((uint64_t)x + (uint64_t)y); });
}
OpFoldResult SubOp::fold(FoldAdaptor a) {
  return foldBinary(a.getLhs(), a.getRhs(), getType(),
                    [](float x, float y) { return x - y; },
                    [](int64_t x, int64_t y) { return (int64_t)((uint64_t)x - (uint64_t)y); });
}
OpFoldResult MulOp::fold(FoldAdaptor a) {
  return foldBinary(a.getLhs(), a.getRhs(), getType(),
                    [](float x, float y) { return x * y; },
                    [](int64_t x, int64_t y) { return (int64_t)((uint64_t)x * (uint64_t)y); });
}
OpFoldResult DivOp::fold(FoldAdaptor a) {
  // Integer division by zero is left to run time, where it is the user's.
  if (auto b = dyn_cast_or_null<DenseElementsAttr>(a.getRhs()))
    if (b.getElementType().isSignlessInteger(64))
      for (int64_t v : b.getValues<int64_t>())
        if (v == 0 || v == -1) // x/0 and INT64_MIN/-1 are left to run time
          return {};
  return foldBinary(a.getLhs(), a.getRhs(), getType(),
                    [](float x, float y) { return x / y; },
                    [](int64_t x, int64_t y) { return x / y; });
}
OpFoldResult PowOp::fold(FoldAdaptor a) {
  return foldBinary(a.getLhs(), a.getRhs(), getType(),
                    [](float x, float y) { return std::pow(x, y); },
                    [](int64_t x, int64_t y) {
                      // Square-and-multiply with wrap-around, like math.ipowi;
                      // negative exponents give 0 except for bases 1 and -1.
                      if (y < 0)
                        return x == 1 ? int64_t(1) : x == -1 ? (y % 2 ? int64_t(-1) : int64_t(1)) : int64_t(0);
                      uint64_t r = 1, base = (uint64_t)x;
                      for (uint64_t e = (uint64_t)y; e; e >>= 1, base *= base)
                        if (e & 1)
                          r *= base;
                      return (int64_t)r;
                    });
}
OpFoldResult MaxOp::fold(FoldAdaptor a) {
  return foldBinary(a.getLhs(), a.getRhs(), getType(),
                    [](float x, float y) { return std::isnan(x) || x > y ? x : y; },
                    [](int64_t x, int64_t y) { return std::max(x, y); });
}
OpFoldResult MinOp::fold(FoldAdaptor a) {
  return foldBinary(a.getLhs(), a.getRhs(), getType(),
                    [](float x, float y) { return std::isnan(x) || x < y ? x : y; },
                    [](int64_t x, int64_t y) { return std::min(x, y); });
}

OpFoldResult ReluOp::fold(FoldAdaptor a) {
  return foldUnary(a.getInput(), [](float x) { return x > 0 ? x : 0.0f; });
}
OpFoldResult SigmoidOp::fold(FoldAdaptor a) {
  return foldUnary(a.getInput(), [](float x) { return 1.0f / (1.0f + std::exp(-x)); });
}
OpFoldResult TanhOp::fold(FoldAdaptor a) {
  return foldUnary(a.getInput(), [](float x) { return std::tanh(x); });
}
OpFoldResult ErfOp::fold(FoldAdaptor a) {
  return foldUnary(a.getInput(), [](float x) { return std::erf(x); });
}
OpFoldResult ExpOp::fold(FoldAdaptor a) {
  return foldUnary(a.getInput(), [](float x) { return std::exp(x); });
}
OpFoldResult LogOp::fold(FoldAdaptor a) {
  return foldUnary(a.getInput(), [](float x) { return std::log(x); });
}
OpFoldResult SqrtOp::fold(FoldAdaptor a) {
  return foldUnary(a.getInput(), [](float x) { return std::sqrt(x); });
}
OpFoldResult NegOp::fold(FoldAdaptor a) {
  if (OpFoldResult r = foldUnaryInt(a.getInput(), [](int64_t x) { return (int64_t)(0 - (uint64_t)x); }))
    return r;
  return foldUnary(a.getInput(), [](float x) { return -x; });
}
OpFoldResult AbsOp::fold(FoldAdaptor a) {
  if (OpFoldResult r = foldUnaryInt(a.getInput(), [](int64_t x) { return x < 0 ? (int64_t)(0 - (uint64_t)x) : x; }))
    return r;
  return foldUnary(a.getInput(), [](float x) { return std::fabs(x); });
}
OpFoldResult HardSwishOp::fold(FoldAdaptor a) {
  return foldUnary(a.getInput(), [](float x) {
    return x * std::max(0.0f, std::min(1.0f, x / 6.0f + 0.5f));
  });
}

OpFoldResult CastOp::fold(FoldAdaptor a) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto in = dyn_cast_or_null<DenseElementsAttr>(a.getInput()))
    return fold::castElements(in, getType());
  return {};
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

OpFoldResult ReshapeOp::fold(FoldAdaptor a) {
  // With two symbolic dimensions the same type may still permute them.
  if (getInput().getType() == getType() && getType().getNumDynamicDims() <= 1)
    return getInput();
  if (auto in = dyn_cast_or_null<DenseElementsAttr>(a.getInput()))
    return in.reshape(getType());
  return {};
}

namespace {
/// reshape(reshape(x)) -> reshape(x): only the final shape matters.
struct MergeReshapes : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op, PatternRewriter &rewriter) const override {
    auto producer = op.getInput().getDefiningOp<ReshapeOp>();
    if (!producer)
      return failure();
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, op.getType(), producer.getInput(), op.getDims());
    return success();
  }
};

/// transpose(transpose(x, p), q) -> transpose(x, p o q).
struct MergeTransposes : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op, PatternRewriter &rewriter) const override {
    auto producer = op.getInput().getDefiningOp<TransposeOp>();
    if (!producer)
      return failure();
    SmallVector<int64_t> perm;
    for (int64_t p : op.getPerm())
      perm.push_back(producer.getPerm()[p]);
    rewriter.replaceOpWithNewOp<TransposeOp>(op, producer.getInput(), perm);
    return success();
  }
};
} // namespace

void ReshapeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                            MLIRContext *context) {
  results.add<MergeReshapes>(context);
}

void TransposeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<MergeTransposes>(context);
}

DenseElementsAttr mlir::nuri::transposeElements(DenseElementsAttr in, ArrayRef<int64_t> perm,
                                               ShapedType resultType) {
  if (in.isSplat())
    return in.resizeSplat(resultType);
  if (in.getElementType().isInteger(1))
    return nullptr;
  // Permute raw bytes so every element type folds the same way.
  auto inShape = in.getType().getShape();
  auto outShape = resultType.getShape();
  auto inStrides = stridesOf(inShape), outStrides = stridesOf(outShape);
  size_t bytes = elementByteSize(in.getElementType());
  ArrayRef<char> raw = in.getRawData();
  std::vector<char> out(raw.size());
  int64_t n = resultType.getNumElements();
  for (int64_t i = 0; i < n; ++i) {
    int64_t src = 0;
    for (size_t d = 0; d < outShape.size(); ++d)
      src += ((i / outStrides[d]) % outShape[d]) * inStrides[perm[d]];
    std::memcpy(&out[i * bytes], &raw[src * bytes], bytes);
  }
  return DenseElementsAttr::getFromRawBuffer(resultType, out);
}

OpFoldResult TransposeOp::fold(FoldAdaptor a) {
  if (llvm::equal(getPerm(), llvm::seq<int64_t>(0, getPerm().size())))
    return getInput();
  auto in = dyn_cast_or_null<DenseElementsAttr>(a.getInput());
  if (!in)
    return {};
  return transposeElements(in, getPerm(), getType());
}

OpFoldResult SliceOp::fold(FoldAdaptor a) {
  if (getInput().getType() == getType() && llvm::all_of(getSteps(), [](int64_t s) { return s == 1; }))
    return getInput();
  // Constants: shape tensors (a reversed pads list, Swin's F.pad) and small
  // tables; large weights are sliced at run time rather than duplicated.
  auto in = dyn_cast_or_null<DenseElementsAttr>(a.getInput());
  RankedTensorType out = getType();
  if (!in || !out.hasStaticShape() || out.getNumElements() > (1 << 16))
    return {};
  if (in.isSplat())
    return in.resizeSplat(out);
  auto values = llvm::to_vector(in.getValues<Attribute>());
  auto inStrides = stridesOf(in.getType().getShape()), outStrides = stridesOf(out.getShape());
  SmallVector<Attribute> result(out.getNumElements());
  for (int64_t i = 0, e = result.size(); i < e; ++i) {
    int64_t src = 0;
    for (int64_t d = 0; d < out.getRank(); ++d)
      src += (getStarts()[d] + ((i / outStrides[d]) % out.getDimSize(d)) * getSteps()[d]) * inStrides[d];
    result[i] = values[src];
  }
  return DenseElementsAttr::get(out, result);
}
