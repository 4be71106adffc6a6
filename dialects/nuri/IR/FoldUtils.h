//===- FoldUtils.h - index helpers shared by the nuri folders ---*- C++ -*-===//
#ifndef NURI_DIALECTS_NURI_IR_FOLDUTILS_H
#define NURI_DIALECTS_NURI_IR_FOLDUTILS_H

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>

namespace mlir::nuri::fold {

/// Row-major strides of a shape.
inline llvm::SmallVector<int64_t> stridesOf(llvm::ArrayRef<int64_t> shape) {
  llvm::SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = (int64_t)shape.size() - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/// Linear index into an operand of shape `in` broadcast (numpy rules) to `out`.
inline int64_t broadcastIndex(int64_t linear, llvm::ArrayRef<int64_t> out,
                              llvm::ArrayRef<int64_t> in, llvm::ArrayRef<int64_t> outStrides,
                              llvm::ArrayRef<int64_t> inStrides) {
  int64_t offset = out.size() - in.size(), idx = 0;
  for (size_t d = 0; d < out.size(); ++d) {
    int64_t coord = (linear / outStrides[d]) % out[d];
    if ((int64_t)d >= offset && in[d - offset] != 1)
      idx += coord * inStrides[d - offset];
  }
  return idx;
}

/// ONNX Cast of a small constant between integer, bool and float types
/// (floats to integers truncate toward zero, anything to bool is `!= 0`);
/// null for float8 (its saturating conversion runs in the kernels) and for
/// large tensors.
DenseElementsAttr castElements(DenseElementsAttr in, ShapedType to);

} // namespace mlir::nuri::fold

#endif
