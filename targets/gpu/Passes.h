//===- Passes.h - passes shared by the GPU targets --------------*- C++ -*-===//
#ifndef NURI_TARGETS_GPU_PASSES_H
#define NURI_TARGETS_GPU_PASSES_H

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVDialect.h"
#include "mlir/Dialect/Transform/IR/TransformDialect.h"
#include "mlir/Pass/Pass.h"

#include <functional>
#include <string>

namespace mlir::nuri::gpu_common {
#define GEN_PASS_DECL
#include "targets/gpu/Passes.h.inc"
#define GEN_PASS_REGISTRATION
#include "targets/gpu/Passes.h.inc"

/// The GPU kernel ABI: each dispatch of `module` whose `unsupported` reason
/// is empty becomes `@dispatch_N(memrefs...)` (inputs, then results) reading
/// its inputs with `bufferization.to_tensor` and writing each result with
/// `bufferization.materialize_in_destination`; the others are removed and
/// returned with their reasons (dispatch name -> reason). `@main` goes.
std::vector<std::pair<std::string, std::string>>
toKernelAbi(ModuleOp module, const std::function<std::string(func::FuncOp)> &unsupported);

/// What every GPU target refuses: symbolic or run-time shapes (the grid is
/// fixed at compile time), signed/unsigned integers, dense constants inside
/// the kernel; "" when none applies.
std::string commonUnsupported(func::FuncOp fn);
} // namespace mlir::nuri::gpu_common

#endif
