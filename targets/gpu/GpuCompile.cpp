//===- GpuCompile.cpp - what the GPU backends share around the passes -----===//
#include "targets/gpu/GpuCompile.h"
#include "targets/gpu/Passes.h"
#include "compiler/support/IRDump.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

namespace nuri::gpu_common {

LogicalResult readLaunch(func::FuncOp host, Launch &k, std::string &error) {
  SmallVector<gpu::LaunchFuncOp> launches;
  host.walk([&](gpu::LaunchFuncOp l) { launches.push_back(l); });
  if (launches.size() != 1) {
    error = "the dispatch did not become one kernel";
    return failure();
  }
  for (Operation &op : host.getBody().front())
    if (!isa<gpu::LaunchFuncOp, arith::ConstantOp, func::ReturnOp>(op)) {
      error = "'" + op.getName().getStringRef().str() + "' stays outside the kernel";
      return failure();
    }
  gpu::LaunchFuncOp launch = launches.front();
  gpu::KernelDim3 grid = launch.getGridSizeOperandValues(), block = launch.getBlockSizeOperandValues();
  Value g[3] = {grid.x, grid.y, grid.z}, b[3] = {block.x, block.y, block.z};
  for (int i = 0; i < 3; ++i) {
    auto gi = getConstantIntValue(g[i]), bi = getConstantIntValue(b[i]);
    if (!gi || !bi || *gi < 1 || *bi < 1) {
      error = "the kernel's grid is not static";
      return failure();
    }
    k.grid[i] = *gi;
    k.block[i] = *bi;
  }
  k.bindings.clear();
  for (Value v : launch.getKernelOperands()) {
    auto arg = dyn_cast<BlockArgument>(v);
    if (!arg || arg.getOwner() != &host.getBody().front()) {
      error = "the kernel takes a value that is not a dispatch binding";
      return failure();
    }
    k.bindings.push_back(arg.getArgNumber());
  }
  k.kernel = launch.getKernelName().str();
  return success();
}

void registerCommonPasses() {
  static bool done = false;
  if (!done) {
    done = true;
    mlir::nuri::gpu_common::registerNuriGpuPasses();
  }
}

bool runPipeline(ModuleOp module, const std::string &pipeline, const std::string &dumpAfter,
                 std::string &error) {
  PassManager pm(module.getContext());
  std::string diag;
  llvm::raw_string_ostream os(diag);
  if (failed(parsePassPipeline(pipeline, pm, os))) {
    error = "internal error: " + diag;
    return false;
  }
  enableIRDumpAfter(pm, dumpAfter);
  return succeeded(pm.run(module));
}

bool compileDispatches(
    ModuleOp abi, StringRef fallbackAttr, ExecutableBlob &executable, std::string &error,
    const std::function<std::string(ModuleOp, func::FuncOp, const std::string &, Launch &,
                                    std::string &)> &compile) {
  if (auto fallback = abi->getAttrOfType<DictionaryAttr>(fallbackAttr))
    for (NamedAttribute a : fallback)
      executable.notCompiled.emplace_back(a.getName().str(), cast<StringAttr>(a.getValue()).str());
  MLIRContext *ctx = abi.getContext();
  for (auto fn : llvm::to_vector(abi.getOps<func::FuncOp>())) {
    std::string name = fn.getSymName().str();
    OwningOpRef<ModuleOp> one = ModuleOp::create(fn.getLoc());
    for (NamedAttribute a : abi->getAttrs())
      if (a.getName() != fallbackAttr && a.getName() != SymbolTable::getSymbolAttrName())
        (*one)->setAttr(a.getName(), a.getValue());
    OpBuilder b(ctx);
    b.setInsertionPointToEnd(one->getBody());
    auto host = cast<func::FuncOp>(b.clone(*fn));
    std::string first, internal;
    Launch launch;
    std::string reason;
    {
      ScopedDiagnosticHandler handler(ctx, [&](Diagnostic &d) {
        if (d.getSeverity() == DiagnosticSeverity::Error && first.empty())
          first = d.str();
        return success(); // the reason, not the compile's error
      });
      reason = compile(*one, host, first, launch, internal);
    }
    if (!internal.empty()) {
      error = internal;
      return false;
    }
    if (!reason.empty()) {
      executable.notCompiled.emplace_back(name, reason);
      continue;
    }
    executable.entryPoints.push_back(name);
    executable.dispatchNames.push_back(name);
    executable.workgroupCounts.push_back(
        std::min<int64_t>(int64_t(launch.grid[0]) * launch.grid[1] * launch.grid[2], int64_t(1) << 24));
  }
  return true;
}

} // namespace nuri::gpu_common
