//===- VendorTarget.cpp - a vendor's target backend as a plugin -----------===//
//
// "vendor-npu": what a chip vendor ships for the compiler, in one shared
// library with one exported entry point (compiler/pipeline/TargetPlugin.h).
// The chip here is the reference NPU's edge preset without a convolution
// unit: convolution dispatches go to the next target with this chip's
// reason (nuri-compile --report shows it), the rest through the reference
// NPU's lowering into npu-isa-v1, which npu-sim (or the npu-sim driver
// plugin) runs.
//
//===----------------------------------------------------------------------===//
#include "compiler/pipeline/TargetPlugin.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Config/llvm-config.h"

namespace {

bool hasConvolution(mlir::func::FuncOp fn) {
  bool found = false;
  fn.walk([&](mlir::Operation *op) {
    found |= op->hasAttr("nuri.conv") || mlir::isa<mlir::linalg::ConvolutionOpInterface>(op);
  });
  return found;
}

class VendorNpuBackend : public nuri::TargetBackend {
public:
  llvm::StringRef name() const override { return "vendor-npu"; }
  // Its lowering is the reference NPU's, registered by the npu target.
  void registerPasses() const override {}
  std::string describe(const nuri::TargetOptions &) const override {
    return "vendor-npu: the reference NPU's edge preset without a convolution unit (an "
           "example target plugin, examples/vendor-target)";
  }
  bool build(mlir::ModuleOp module, const nuri::TargetOptions &options,
             nuri::ExecutableBlob &executable, std::string &error) const override {
    // Looked up here, not in the factory: the registry is being built then.
    const nuri::TargetBackend *npu = nuri::lookupTargetBackend("npu");
    if (!npu) {
      error = "vendor-npu needs the npu target in this build";
      return false;
    }
    mlir::OwningOpRef<mlir::ModuleOp> clone = module.clone();
    for (auto fn : clone->getOps<mlir::func::FuncOp>()) {
      if (!fn.isPrivate() || !fn->hasAttr("nuri.nodes") || !hasConvolution(fn))
        continue;
      // Not a dispatch for the NPU lowering any more: it stays with the
      // next target.
      fn->removeAttr("nuri.nodes");
      executable.notCompiled.emplace_back(fn.getSymName().str(),
                                          "vendor-npu has no convolution unit");
    }
    nuri::TargetOptions edge = options;
    edge.npuPreset = "edge";
    if (!npu->build(*clone, edge, executable, error))
      return false;
    executable.target = "vendor-npu";
    return true;
  }
};

std::unique_ptr<nuri::TargetBackend> create() { return std::make_unique<VendorNpuBackend>(); }

} // namespace

extern "C" __attribute__((visibility("default"))) const nuri::TargetPluginInfo *
nuri_target_plugin() {
  static const nuri::TargetPluginInfo info = {NURI_TARGET_PLUGIN_ABI_VERSION, LLVM_VERSION_MAJOR,
                                              100, create};
  return &info;
}
