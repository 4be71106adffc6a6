//===- Passes.h - the npu target's passes -----------------------*- C++ -*-===//
#ifndef NURI_TARGETS_NPU_PASSES_H
#define NURI_TARGETS_NPU_PASSES_H

#include "dialects/npu/IR/NpuDialect.h"

#include "mlir/Pass/Pass.h"

namespace mlir::nuri::npu {
#define GEN_PASS_DECL
#include "targets/npu/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "targets/npu/Passes.h.inc"
} // namespace mlir::nuri::npu

#endif
