//===- Passes.h - nuri dialect passes ---------------------------*- C++ -*-===//
#ifndef NURI_DIALECTS_NURI_TRANSFORMS_PASSES_H
#define NURI_DIALECTS_NURI_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir::nuri {
#define GEN_PASS_DECL
#include "dialects/nuri/Transforms/Passes.h.inc"
#define GEN_PASS_REGISTRATION
#include "dialects/nuri/Transforms/Passes.h.inc"
} // namespace mlir::nuri

#endif
