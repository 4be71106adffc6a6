//===- CPUTarget.h - the cpu target backend ---------------------*- C++ -*-===//
#ifndef NURI_TARGETS_CPU_CPUTARGET_H
#define NURI_TARGETS_CPU_CPUTARGET_H

#include "compiler/pipeline/TargetBackend.h"

#include "mlir/IR/BuiltinOps.h"

#include <memory>
#include <string>
#include <vector>

namespace nuri::cpu {

using CpuTargetOptions = nuri::TargetOptions;

/// The cpu TargetBackend ("cpu", format "elf-x86_64-so").
std::unique_ptr<TargetBackend> createCpuBackend();

struct CpuExecutable {
  std::string sharedObject;               // ELF x86-64 .so bytes
  std::vector<std::string> entryPoints;   // exported symbols, one per dispatch
  std::vector<std::string> dispatchNames; // the dispatch_N each entry implements
  std::vector<int64_t> workgroupCounts;
};

/// Registers the cpu passes (for nuri-opt and pipelines).
void registerCpuPasses();

/// Lowers every dispatch function of `module` (the output of
/// nuri-form-dispatches; not modified) to machine code and links it into a
/// shared object with lld. On failure returns false with `error` set.
bool buildCpuExecutable(mlir::ModuleOp module, const CpuTargetOptions &options,
                        CpuExecutable &result, std::string &error);

/// The pass pipeline from dispatch functions to the LLVM dialect, as text
/// (so nuri-opt and the docs can show it).
std::string cpuPassPipeline();

} // namespace nuri::cpu

#endif
