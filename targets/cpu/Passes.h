//===- Passes.h - cpu target passes -----------------------------*- C++ -*-===//
#ifndef NURI_TARGETS_CPU_PASSES_H
#define NURI_TARGETS_CPU_PASSES_H

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::nuri::cpu {
#define GEN_PASS_DECL
#include "targets/cpu/Passes.h.inc"
#define GEN_PASS_REGISTRATION
#include "targets/cpu/Passes.h.inc"
} // namespace mlir::nuri::cpu

#endif
