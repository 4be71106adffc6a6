//===- Float8.cpp - software float8 <-> f32 conversions -------------------===//
//
// LLVM has no float8 types: MLIR stores them as i8, but arith.truncf/extf to
// and from them do not lower. ONNX Cast (opset 19) needs all four formats
// with and without saturation, so the conversions are written here in
// integer arithmetic on the f32 bits, rounding to nearest even as ONNX and
// ONNX Runtime do. The float8 value itself is an arith.bitcast of its byte.
//
//===----------------------------------------------------------------------===//
#include "dialects/nuri/Transforms/LoweringUtils.h"

using namespace mlir;

namespace {

/// One float8 format: exponent/mantissa widths, bias, and its specials.
struct Format {
  int mant, bias;
  bool fnuz;       // no negative zero, NaN is 0x80, no infinity
  bool ieee;       // E5M2: infinities, NaN 0x7E (else E4M3FN: NaN 0x7F, no inf)
  uint32_t maxMag; // magnitude code of the largest finite value
};

std::optional<Format> formatOf(Type t) {
  if (isa<Float8E4M3FNType>(t))
    return Format{3, 7, false, false, 0x7E};
  if (isa<Float8E4M3FNUZType>(t))
    return Format{3, 8, true, false, 0x7F};
  if (isa<Float8E5M2Type>(t))
    return Format{2, 15, false, true, 0x7B};
  if (isa<Float8E5M2FNUZType>(t))
    return Format{2, 16, true, false, 0x7F};
  return std::nullopt;
}

struct I32 {
  OpBuilder &b;
  Location l;
  Value c(int64_t v) { return arith::ConstantOp::create(b, l, b.getI32IntegerAttr((int32_t)v)); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, l, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, l, x, y); }
  Value band(Value x, Value y) { return arith::AndIOp::create(b, l, x, y); }
  Value bor(Value x, Value y) { return arith::OrIOp::create(b, l, x, y); }
  Value shl(Value x, Value y) { return arith::ShLIOp::create(b, l, x, y); }
  Value shr(Value x, Value y) { return arith::ShRUIOp::create(b, l, x, y); }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) { return arith::CmpIOp::create(b, l, p, x, y); }
  Value sel(Value k, Value x, Value y) { return arith::SelectOp::create(b, l, k, x, y); }
  Value zext(Value v) { return arith::ExtUIOp::create(b, l, b.getI32Type(), v); }
};

} // namespace

bool mlir::nuri::isFloat8(Type t) { return formatOf(t).has_value(); }

Value mlir::nuri::encodeFloat8(OpBuilder &b, Location l, Value x, Type to, bool saturate) {
  using P = arith::CmpIPredicate;
  Format f = *formatOf(to);
  I32 i{b, l};
  Value u = arith::BitcastOp::create(b, l, b.getI32Type(), x);
  Value sign = i.shr(u, i.c(31));
  Value a = i.band(u, i.c(0x7FFFFFFF));
  Value isNaN = i.cmp(P::ugt, a, i.c(0x7F800000));
  Value isInf = i.cmp(P::eq, a, i.c(0x7F800000));
  Value exp32 = i.shr(a, i.c(23));
  // Significand with its implicit bit (f32 subnormals are far below any
  // float8 value and round to zero either way).
  Value sig = i.bor(i.band(a, i.c(0x7FFFFF)), i.c(0x800000));
  // Biased target exponent; below 1 the value is a float8 subnormal and
  // loses (1 - e) more bits.
  Value e = i.add(exp32, i.c(f.bias - 127));
  Value extra = i.sel(i.cmp(P::slt, e, i.c(1)), i.sub(i.c(1), e), i.c(0));
  Value shift = i.add(i.c(23 - f.mant), extra);
  Value gone = i.cmp(P::sgt, shift, i.c(25)); // below half the smallest subnormal
  Value s = i.sel(gone, i.c(25), shift);
  Value kept = i.shr(sig, s);
  Value rem = i.band(sig, i.sub(i.shl(i.c(1), s), i.c(1)));
  Value half = i.shl(i.c(1), i.sub(s, i.c(1)));
  Value up = arith::OrIOp::create(
      b, l, i.cmp(P::ugt, rem, half),
      arith::AndIOp::create(b, l, i.cmp(P::eq, rem, half), i.cmp(P::ne, i.band(kept, i.c(1)), i.c(0))));
  // Normal: exponent field above the stored mantissa (the implicit bit in
  // `kept` adds one to it, hence e - 1); a carry from rounding moves up.
  Value expField = i.sel(i.cmp(P::slt, e, i.c(1)), i.c(0), i.shl(i.sub(e, i.c(1)), i.c(f.mant)));
  Value mag = i.add(i.add(expField, kept), i.zext(up));
  mag = i.sel(i.cmp(P::eq, a, i.c(0)), i.c(0), i.sel(gone, i.c(0), mag));
  Value overflow = arith::OrIOp::create(b, l, isInf, i.cmp(P::ugt, mag, i.c(f.maxMag)));
  Value nan = i.c(f.fnuz ? 0x80 : f.ieee ? 0x7E : 0x7F);
  Value big = saturate ? i.c(f.maxMag) : f.ieee ? i.c(0x7C) : Value();
  Value signBit = i.shl(sign, i.c(7));
  Value finite = i.bor(signBit, mag);
  if (f.fnuz) // no negative zero
    finite = i.sel(i.cmp(P::eq, mag, i.c(0)), i.c(0), finite);
  Value over = big ? i.bor(signBit, big) : nan;
  Value code = i.sel(isNaN, nan, i.sel(overflow, over, finite));
  Value byte = arith::TruncIOp::create(b, l, b.getI8Type(), code);
  return arith::BitcastOp::create(b, l, to, byte);
}

Value mlir::nuri::decodeFloat8(OpBuilder &b, Location l, Value x) {
  using P = arith::CmpIPredicate;
  Format f = *formatOf(x.getType());
  I32 i{b, l};
  Value c = i.zext(arith::BitcastOp::create(b, l, b.getI8Type(), x));
  Value mag = i.band(c, i.c(0x7F));
  Value exp = i.shr(mag, i.c(f.mant));
  Value man = i.band(mag, i.c((1 << f.mant) - 1));
  // value = (exp ? man + 2^mant : man) * 2^(max(exp, 1) - bias - mant)
  Value isNormal = i.cmp(P::ne, exp, i.c(0));
  Value sig = i.sel(isNormal, i.add(man, i.c(1 << f.mant)), man);
  Value e = i.sel(isNormal, exp, i.c(1));
  Value scaleBits = i.shl(i.add(e, i.c(127 - f.bias - f.mant)), i.c(23));
  Type f32 = b.getF32Type();
  Value v = arith::MulFOp::create(b, l, arith::SIToFPOp::create(b, l, f32, sig),
                                  arith::BitcastOp::create(b, l, f32, scaleBits));
  v = i.sel(i.cmp(P::ne, i.band(c, i.c(0x80)), i.c(0)), arith::NegFOp::create(b, l, v), v);
  auto fc = [&](float value) { return arith::ConstantOp::create(b, l, b.getF32FloatAttr(value)); };
  Value nan = fc(std::numeric_limits<float>::quiet_NaN());
  if (f.fnuz)
    return i.sel(i.cmp(P::eq, c, i.c(0x80)), nan, v);
  if (!f.ieee)
    return i.sel(i.cmp(P::eq, mag, i.c(0x7F)), nan, v);
  Value special = i.cmp(P::eq, exp, i.c(31));
  Value inf = i.sel(i.cmp(P::ne, i.band(c, i.c(0x80)), i.c(0)), fc(-INFINITY), fc(INFINITY));
  return i.sel(special, i.sel(i.cmp(P::eq, man, i.c(0)), inf, nan), v);
}
