//===- GpuCompile.h - what the GPU backends share around the passes -*- C++ -*-===//
#ifndef NURI_TARGETS_GPU_GPUCOMPILE_H
#define NURI_TARGETS_GPU_GPUCOMPILE_H

#include "compiler/serialize/ArtifactWriter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace nuri::gpu_common {

/// One dispatch's kernel launch after outlining.
struct Launch {
  std::string kernel;           ///< the outlined kernel's name
  uint32_t block[3], grid[3];   ///< threads per workgroup, workgroups
  std::vector<uint32_t> bindings; ///< kernel argument i = dispatch binding bindings[i]
};

/// Reads `host`'s only gpu.launch_func: static grid and block, and which
/// dispatch bindings (function arguments) its arguments are; fails with the
/// reason when there is not exactly one or anything else stays on the host.
mlir::LogicalResult readLaunch(mlir::func::FuncOp host, Launch &out, std::string &error);

/// Registers the passes of targets/gpu, once whichever GPU target asks.
void registerCommonPasses();

/// Runs a textual pass pipeline on `module`, printing the IR after
/// `dumpAfter` (see enableIRDumpAfter). False when it fails; `error` is set
/// ("internal error: ...") only when the pipeline does not parse.
bool runPipeline(mlir::ModuleOp module, const std::string &pipeline, const std::string &dumpAfter,
                 std::string &error);

/// Compiles each dispatch of `abi` (a module after a target's kernel-ABI
/// pass, whose `fallbackAttr` dictionary names what it refused, with why) on
/// its own, so a failure sends only that dispatch to the next target.
/// `compile` gets a module holding the dispatch and `abi`'s attributes (but
/// `fallbackAttr`), the first error diagnostic raised so far, and fills the
/// launch; it returns why it could not compile the dispatch ("" when it did)
/// and sets `internal` on a broken pipeline (then this returns false with
/// `error`). Fills `executable`'s notCompiled, entryPoints, dispatchNames and
/// workgroupCounts.
bool compileDispatches(
    mlir::ModuleOp abi, llvm::StringRef fallbackAttr, nuri::ExecutableBlob &executable,
    std::string &error,
    const std::function<std::string(mlir::ModuleOp one, mlir::func::FuncOp host,
                                    const std::string &firstError, Launch &launch,
                                    std::string &internal)> &compile);

} // namespace nuri::gpu_common

#endif
