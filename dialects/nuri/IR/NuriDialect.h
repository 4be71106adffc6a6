//===- NuriDialect.h - the common nuri dialect ------------------*- C++ -*-===//
#ifndef NURI_DIALECTS_NURI_IR_NURIDIALECT_H
#define NURI_DIALECTS_NURI_IR_NURIDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <vector>

#include "dialects/nuri/IR/NuriDialect.h.inc"

#define GET_OP_CLASSES
#include "dialects/nuri/IR/NuriOps.h.inc"

namespace mlir::nuri {
/// Integers without signedness: kernels see bits, signedness lives in ops.
inline Type signless(Type t) {
  if (auto it = dyn_cast<IntegerType>(t); it && !it.isSignless())
    return IntegerType::get(t.getContext(), it.getWidth());
  return t;
}

/// Bytes per element in memory (bools take a byte each, as in the runtime).
inline unsigned elementByteSize(Type t) {
  unsigned bits = t.getIntOrFloatBitWidth();
  return bits == 1 ? 1 : bits / 8;
}

/// A constant's bytes in the runtime's layout: splats expanded, bools one
/// byte each (DenseElementsAttr packs them as bits).
std::vector<char> elementBytes(DenseElementsAttr value);

/// The ONNX node names a location carries (NameLocs, outermost first).
SmallVector<StringRef> nodeNames(Location loc);

/// numpy broadcasting of two static shapes; failure if incompatible.
FailureOr<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> a,
                                                ArrayRef<int64_t> b);
/// `value` permuted like a transpose (output dim i = input dim perm[i]);
/// null for element types it cannot move (i1).
DenseElementsAttr transposeElements(DenseElementsAttr value, ArrayRef<int64_t> perm,
                                    ShapedType resultType);
/// Output size of one spatial dimension of a conv/pool window.
int64_t windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                         int64_t padBegin, int64_t padEnd, int64_t dilation,
                         bool ceilMode);
} // namespace mlir::nuri

#endif
