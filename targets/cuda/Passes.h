//===- Passes.h - cuda target passes ----------------------------*- C++ -*-===//
#ifndef NURI_TARGETS_CUDA_PASSES_H
#define NURI_TARGETS_CUDA_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Pass/Pass.h"

namespace mlir::nuri::cuda {
#define GEN_PASS_DECL
#include "targets/cuda/Passes.h.inc"
#define GEN_PASS_REGISTRATION
#include "targets/cuda/Passes.h.inc"
} // namespace mlir::nuri::cuda

#endif
