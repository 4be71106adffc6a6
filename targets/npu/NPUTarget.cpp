//===- NPUTarget.cpp - dispatches to an npu-isa-v1 program ----------------===//
#include "targets/npu/NPUTarget.h"
#include "targets/npu/Passes.h"
#include "compiler/support/IRDump.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

namespace nuri::npu_target {

void registerNpuPasses() { mlir::nuri::npu::registerNuriNpuPasses(); }

namespace {
class NpuBackend : public TargetBackend {
public:
  llvm::StringRef name() const override { return "npu"; }
  void registerPasses() const override { registerNpuPasses(); }
  std::string describe(const TargetOptions &options) const override {
    return "npu: preset " + options.npuPreset +
           ", bf16 operands with fp32 accumulation (the DMA rounds f32 to bf16)";
  }
  bool build(ModuleOp module, const TargetOptions &options, ExecutableBlob &executable,
             std::string &error) const override {
    ::nuri::npu::TargetDescription target;
    if (!::nuri::npu::loadTarget(options.npuPreset, target, error))
      return false;
    OwningOpRef<ModuleOp> clone = module.clone();
    PassManager pm(module.getContext());
    std::string diag;
    llvm::raw_string_ostream os(diag);
    if (failed(parsePassPipeline("nuri-npu-lower{preset=" + options.npuPreset + "}", pm, os))) {
      error = "internal error: " + diag;
      return false;
    }
    enableIRDumpAfter(pm, options.dumpIrAfter);
    if (failed(pm.run(*clone))) {
      error = "npu lowering failed";
      return false;
    }
    for (auto func : clone->getOps<func::FuncOp>())
      if (auto reason = func->getAttrOfType<StringAttr>("nuri.npu_fallback"))
        executable.notCompiled.emplace_back(func.getSymName().str(), reason.str());
    std::vector<std::string> kernels;
    std::string program = serializeProgram(*clone, target, kernels);
    executable.target = "npu";
    executable.format = "npu-isa-v1";
    if (kernels.empty())
      return true; // nothing for the NPU: every dispatch falls back
    executable.data = std::move(program);
    executable.entryPoints = kernels;
    executable.dispatchNames = kernels;
    executable.workgroupCounts.assign(kernels.size(), 1);
    return true;
  }
};
} // namespace

std::unique_ptr<TargetBackend> createNpuBackend() { return std::make_unique<NpuBackend>(); }

// How the compiler finds this target (TargetBackend.h).
static TargetRegistration registration(10, createNpuBackend);

} // namespace nuri::npu_target
