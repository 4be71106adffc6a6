//===- NuriFoldLogic.cpp - folders of comparisons, logic, Mod, Where ------===//
//
// The ops exporters use between a graph's shape and the shape operands of
// Expand, Reshape and Pad: `expand(n, -1, -1)` becomes Equal + Where on the
// target shape, Swin's `(ws - W % ws) % ws` becomes Mod and Sub. Folding them
// is what keeps such shapes static. Any integer or float element type folds;
// results are bounded so that folding never bloats the artifact.
//
//===----------------------------------------------------------------------===//
#include "dialects/nuri/IR/FoldUtils.h"
#include "dialects/nuri/IR/NuriDialect.h"

#include "mlir/IR/BuiltinAttributes.h"

#include <cmath>
#include <optional>

using namespace mlir;
using namespace mlir::nuri;

namespace {

/// Larger results fold only when no larger than an operand.
constexpr int64_t kMaxFoldedElements = 1 << 16;

bool worthFolding(ShapedType out, ArrayRef<DenseElementsAttr> operands) {
  if (!out.hasStaticShape())
    return false;
  int64_t biggest = 0;
  for (DenseElementsAttr a : operands)
    biggest = std::max(biggest, a.getNumElements());
  return out.getNumElements() <= std::max(kMaxFoldedElements, biggest);
}

/// For each element of `out`, the linear index of the element of `a` it reads.
SmallVector<int64_t> sourceIndices(DenseElementsAttr a, ShapedType out) {
  SmallVector<int64_t> indices(out.getNumElements(), 0);
  if (a.isSplat())
    return indices;
  auto outShape = out.getShape(), inShape = a.getType().getShape();
  auto outStrides = fold::stridesOf(outShape), inStrides = fold::stridesOf(inShape);
  for (int64_t i = 0, e = indices.size(); i < e; ++i)
    indices[i] = fold::broadcastIndex(i, outShape, inShape, outStrides, inStrides);
  return indices;
}

/// Element values as int64 (extended by the type's signedness) or as double.
struct Scalars {
  bool isFloat = false;
  SmallVector<int64_t> ints;
  SmallVector<double> floats;
};

std::optional<Scalars> scalarsOf(DenseElementsAttr a) {
  Scalars s;
  Type et = a.getElementType();
  if (isa<FloatType>(et)) {
    s.isFloat = true;
    for (APFloat v : a.getValues<APFloat>())
      s.floats.push_back(v.convertToDouble());
    return s;
  }
  auto it = dyn_cast<IntegerType>(et);
  if (!it || it.getWidth() > 64)
    return std::nullopt;
  for (APInt v : a.getValues<APInt>())
    s.ints.push_back(it.isUnsigned() || it.getWidth() == 1 ? (int64_t)v.getZExtValue()
                                                           : v.getSExtValue());
  return s;
}

/// Integers (wrapped to the element width) or doubles (rounded to the
/// element type) as a constant of type `out`.
DenseElementsAttr intsAttr(ShapedType out, ArrayRef<int64_t> values) {
  unsigned width = out.getElementType().getIntOrFloatBitWidth();
  SmallVector<APInt> v;
  for (int64_t x : values)
    v.push_back(APInt(width, (uint64_t)x, /*isSigned=*/false, /*implicitTrunc=*/true));
  return DenseElementsAttr::get(out, v);
}
DenseElementsAttr floatsAttr(ShapedType out, ArrayRef<double> values) {
  const llvm::fltSemantics &sem = cast<FloatType>(out.getElementType()).getFloatSemantics();
  SmallVector<APFloat> v;
  for (double x : values) {
    APFloat f(x);
    bool losesInfo;
    f.convert(sem, APFloat::rmNearestTiesToEven, &losesInfo);
    v.push_back(f);
  }
  return DenseElementsAttr::get(out, v);
}

/// Both operands constant and of one element type, and the result small:
/// their values, each read at the broadcast position of every result element.
struct BinaryOperands {
  Scalars lhs, rhs;
  SmallVector<int64_t> lhsAt, rhsAt;
};
std::optional<BinaryOperands> binaryOperands(Attribute l, Attribute r, Type resultType) {
  auto a = dyn_cast_or_null<DenseElementsAttr>(l);
  auto b = dyn_cast_or_null<DenseElementsAttr>(r);
  auto out = cast<ShapedType>(resultType);
  if (!a || !b || a.getElementType() != b.getElementType() || !worthFolding(out, {a, b}))
    return std::nullopt;
  auto x = scalarsOf(a), y = scalarsOf(b);
  if (!x || !y)
    return std::nullopt;
  return BinaryOperands{std::move(*x), std::move(*y), sourceIndices(a, out), sourceIndices(b, out)};
}

template <typename Pred>
OpFoldResult foldCompare(Attribute l, Attribute r, Type resultType, Pred pred) {
  auto ops = binaryOperands(l, r, resultType);
  if (!ops)
    return {};
  SmallVector<bool> result(ops->lhsAt.size());
  for (size_t i = 0; i < result.size(); ++i)
    result[i] = ops->lhs.isFloat
                    ? pred(ops->lhs.floats[ops->lhsAt[i]], ops->rhs.floats[ops->rhsAt[i]])
                    : pred(ops->lhs.ints[ops->lhsAt[i]], ops->rhs.ints[ops->rhsAt[i]]);
  return DenseElementsAttr::get(cast<ShapedType>(resultType), ArrayRef<bool>(result));
}

/// Bitwise (integers) or logical (bool) ops: the same on the bits.
template <typename Fn> OpFoldResult foldBits(Attribute l, Attribute r, Type resultType, Fn fn) {
  auto ops = binaryOperands(l, r, resultType);
  if (!ops || ops->lhs.isFloat)
    return {};
  SmallVector<int64_t> result(ops->lhsAt.size());
  for (size_t i = 0; i < result.size(); ++i)
    result[i] = fn(ops->lhs.ints[ops->lhsAt[i]], ops->rhs.ints[ops->rhsAt[i]]);
  return intsAttr(cast<ShapedType>(resultType), result);
}

} // namespace

DenseElementsAttr fold::castElements(DenseElementsAttr in, ShapedType to) {
  Type from = in.getElementType(), et = to.getElementType();
  auto isSupported = [](Type t) {
    return t.isF16() || t.isBF16() || t.isF32() || t.isF64() ||
           (isa<IntegerType>(t) && t.getIntOrFloatBitWidth() <= 64);
  };
  if (!isSupported(from) || !isSupported(et) || !worthFolding(to, {in}))
    return nullptr;
  auto values = scalarsOf(in);
  if (!values)
    return nullptr;
  if (isa<FloatType>(et)) {
    SmallVector<double> d;
    if (values->isFloat)
      d = values->floats;
    else
      for (int64_t v : values->ints)
        d.push_back(cast<IntegerType>(from).isUnsigned() ? (double)(uint64_t)v : (double)v);
    return floatsAttr(to, d);
  }
  SmallVector<int64_t> ints;
  bool toBool = et.isInteger(1);
  if (values->isFloat) {
    for (double v : values->floats) {
      if (toBool) {
        ints.push_back(v != 0);
        continue;
      }
      // Out of the integer range (or NaN) the result is undefined in ONNX;
      // leave it to run time rather than choose one here.
      if (!std::isfinite(v) || std::fabs(v) >= 9.2e18)
        return nullptr;
      ints.push_back((int64_t)std::trunc(v));
    }
  } else {
    for (int64_t v : values->ints)
      ints.push_back(toBool ? v != 0 : v);
  }
  return intsAttr(to, ints);
}

OpFoldResult EqualOp::fold(FoldAdaptor a) {
  return foldCompare(a.getLhs(), a.getRhs(), getType(), [](auto x, auto y) { return x == y; });
}
OpFoldResult LessOp::fold(FoldAdaptor a) {
  return foldCompare(a.getLhs(), a.getRhs(), getType(), [](auto x, auto y) { return x < y; });
}
OpFoldResult LessEqualOp::fold(FoldAdaptor a) {
  return foldCompare(a.getLhs(), a.getRhs(), getType(), [](auto x, auto y) { return x <= y; });
}
OpFoldResult GreaterOp::fold(FoldAdaptor a) {
  return foldCompare(a.getLhs(), a.getRhs(), getType(), [](auto x, auto y) { return x > y; });
}
OpFoldResult GreaterEqualOp::fold(FoldAdaptor a) {
  return foldCompare(a.getLhs(), a.getRhs(), getType(), [](auto x, auto y) { return x >= y; });
}

OpFoldResult AndOp::fold(FoldAdaptor a) {
  return foldBits(a.getLhs(), a.getRhs(), getType(), [](int64_t x, int64_t y) { return x & y; });
}
OpFoldResult OrOp::fold(FoldAdaptor a) {
  return foldBits(a.getLhs(), a.getRhs(), getType(), [](int64_t x, int64_t y) { return x | y; });
}
OpFoldResult XorOp::fold(FoldAdaptor a) {
  return foldBits(a.getLhs(), a.getRhs(), getType(), [](int64_t x, int64_t y) { return x ^ y; });
}

OpFoldResult NotOp::fold(FoldAdaptor a) {
  auto in = dyn_cast_or_null<DenseElementsAttr>(a.getInput());
  if (!in)
    return {};
  auto values = scalarsOf(in);
  if (!values || values->isFloat)
    return {};
  bool isBool = in.getElementType().isInteger(1);
  SmallVector<int64_t> result;
  for (int64_t v : values->ints)
    result.push_back(isBool ? !v : ~v);
  return intsAttr(getType(), result);
}

OpFoldResult ModOp::fold(FoldAdaptor a) {
  auto ops = binaryOperands(a.getLhs(), a.getRhs(), getType());
  if (!ops)
    return {};
  auto out = cast<ShapedType>(getType());
  size_t n = ops->lhsAt.size();
  if (ops->lhs.isFloat) {
    SmallVector<double> result(n);
    for (size_t i = 0; i < n; ++i) {
      double x = ops->lhs.floats[ops->lhsAt[i]], y = ops->rhs.floats[ops->rhsAt[i]];
      double r = std::fmod(x, y);
      if (!getFmod() && r != 0 && (r < 0) != (y < 0))
        r += y;
      result[i] = r;
    }
    return floatsAttr(out, result);
  }
  SmallVector<int64_t> result(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t x = ops->lhs.ints[ops->lhsAt[i]], y = ops->rhs.ints[ops->rhsAt[i]];
    if (y == 0 || (y == -1 && x == INT64_MIN))
      return {}; // left to run time, where it is the user's
    int64_t r = x % y;
    // Without fmod the remainder takes the divisor's sign (Python's %).
    if (!getFmod() && r != 0 && (r < 0) != (y < 0))
      r += y;
    result[i] = r;
  }
  return intsAttr(out, result);
}

OpFoldResult WhereOp::fold(FoldAdaptor a) {
  auto cond = dyn_cast_or_null<DenseElementsAttr>(a.getCondition());
  auto lhs = dyn_cast_or_null<DenseElementsAttr>(a.getLhs());
  auto rhs = dyn_cast_or_null<DenseElementsAttr>(a.getRhs());
  auto out = cast<ShapedType>(getType());
  if (cond && cond.isSplat())
    if (Value chosen = cond.getSplatValue<bool>() ? getLhs() : getRhs(); chosen.getType() == out)
      return chosen;
  if (!cond || !lhs || !rhs || !worthFolding(out, {cond, lhs, rhs}))
    return {};
  auto c = llvm::to_vector(cond.getValues<bool>());
  auto x = llvm::to_vector(lhs.getValues<Attribute>());
  auto y = llvm::to_vector(rhs.getValues<Attribute>());
  auto ci = sourceIndices(cond, out), xi = sourceIndices(lhs, out), yi = sourceIndices(rhs, out);
  SmallVector<Attribute> result(ci.size());
  for (size_t i = 0; i < result.size(); ++i)
    result[i] = c[ci[i]] ? x[xi[i]] : y[yi[i]];
  return DenseElementsAttr::get(out, result);
}
