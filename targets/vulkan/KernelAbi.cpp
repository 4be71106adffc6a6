//===- KernelAbi.cpp - the Vulkan kernel ABI and target environment -------===//
//
// The GPU kernel ABI (targets/gpu) plus what the preset's SPIR-V can hold:
// bf16 has no SPIR-V arithmetic, i64 and f16 need capabilities the generic
// preset lacks. The module gets the preset's spirv.target_env.
//
//===----------------------------------------------------------------------===//
#include "targets/gpu/Passes.h"
#include "targets/vulkan/Passes.h"
#include "targets/vulkan/VulkanTarget.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/SPIRV/IR/TargetAndABI.h"

namespace mlir::nuri::vulkan {
#define GEN_PASS_DEF_NURIVULKANKERNELABI
#include "targets/vulkan/Passes.h.inc"
} // namespace mlir::nuri::vulkan

using namespace mlir;

namespace {

std::string unsupported(func::FuncOp fn, const ::nuri::vulkan_target::Preset &preset) {
  std::string common = mlir::nuri::gpu_common::commonUnsupported(fn);
  if (!common.empty())
    return common;
  auto type = fn.getFunctionType();
  for (Type t : llvm::concat<const Type>(type.getInputs(), type.getResults())) {
    Type e = cast<RankedTensorType>(t).getElementType();
    auto i = dyn_cast<IntegerType>(e);
    if (e.isBF16())
      return "bf16 has no SPIR-V arithmetic in the " + preset.name + " preset";
    if (e.isF16() && !preset.float16)
      return "f16 needs the Float16 capability, which the " + preset.name + " preset lacks";
    if (i && i.getWidth() == 64 && !preset.int64)
      return "i64 needs the Int64 capability, which the " + preset.name + " preset lacks";
    if (!i && !e.isF32() && !e.isF16())
      return "element type is not supported by vulkan yet";
  }
  return "";
}

struct KernelAbiPass
    : mlir::nuri::vulkan::impl::NuriVulkanKernelAbiBase<KernelAbiPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = module.getContext();
    const ::nuri::vulkan_target::Preset *p = ::nuri::vulkan_target::findPreset(preset);
    if (!p) {
      module.emitError("unknown vulkan preset '" + preset + "' (known: " +
                       ::nuri::vulkan_target::presetNames() + ")");
      return signalPassFailure();
    }
    auto env = parseAttribute(::nuri::vulkan_target::targetEnv(*p), ctx);
    if (!env) {
      module.emitError("internal error: bad target env for preset " + preset);
      return signalPassFailure();
    }
    module->setAttr(spirv::getTargetEnvAttrName(), env);
    module->setAttr(mlir::gpu::GPUDialect::getContainerModuleAttrName(), UnitAttr::get(ctx));
    OpBuilder b(ctx);
    SmallVector<NamedAttribute> fallback;
    for (auto &[name, reason] :
         mlir::nuri::gpu_common::toKernelAbi(module, [&](func::FuncOp fn) { return unsupported(fn, *p); }))
      fallback.push_back(b.getNamedAttr(name, b.getStringAttr(reason)));
    module->setAttr("nuri.vulkan_fallback", b.getDictionaryAttr(fallback));
  }
};

} // namespace
