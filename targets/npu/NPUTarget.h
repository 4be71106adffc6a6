//===- NPUTarget.h - the reference NPU target backend -----------*- C++ -*-===//
#ifndef NURI_TARGETS_NPU_NPUTARGET_H
#define NURI_TARGETS_NPU_NPUTARGET_H

#include "compiler/pipeline/TargetBackend.h"
#include "targets/npu/description/NpuTarget.h"

#include "mlir/IR/BuiltinOps.h"

#include <memory>
#include <string>
#include <vector>

namespace nuri::npu_target {

/// The npu TargetBackend ("npu", format "npu-isa-v1"): the dispatches the
/// reference NPU runs natively; the rest are left to the next target.
std::unique_ptr<TargetBackend> createNpuBackend();

/// Registers nuri-npu-lower (for nuri-opt and pipelines).
void registerNpuPasses();

/// The npu.kernel ops of `module` as an npu-isa-v1 program (schemas/npu_isa.fbs);
/// kernelNames receives the dispatch each kernel implements, in order.
std::string serializeProgram(mlir::ModuleOp module, const nuri::npu::TargetDescription &target,
                             std::vector<std::string> &kernelNames);

} // namespace nuri::npu_target

#endif
