//===- VulkanTarget.cpp - dispatches to SPIR-V compute shaders ------------===//
//
// Each dispatch is compiled on its own (a failure sends only that dispatch
// to the next target, with the first diagnostic as the reason): kernel ABI,
// tiling over workgroups and threads, bufferization, mapping to gpu.launch,
// loops, outlining, then MLIR's GPU-to-SPIR-V conversion. The executable is
// a FlatBuffer (schemas/vulkan_executable.fbs) holding each kernel's SPIR-V,
// grid, workgroup size and the dispatch bindings its descriptors take.
//
//===----------------------------------------------------------------------===//
#include "targets/vulkan/VulkanTarget.h"
#include "targets/gpu/GpuCompile.h"
#include "targets/vulkan/Passes.h"

#include "nuri/schemas/vulkan_executable_generated.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/SPIRV/Serialization.h"

using namespace mlir;

namespace nuri::vulkan_target {

namespace {

const std::vector<Preset> &presets() {
  // lavapipe (Mesa's CPU Vulkan, the CI device) has 64/16/8-bit integers
  // and f16; generic is what every Vulkan 1.1 compute device has.
  static const std::vector<Preset> all = {{"lavapipe", true, true, true, true, false, false},
                                          {"generic", false, false, false, false, true, true}};
  return all;
}

} // namespace

const Preset *findPreset(const std::string &name) {
  for (const Preset &p : presets())
    if (p.name == name)
      return &p;
  return nullptr;
}

std::string presetNames() {
  std::string s;
  for (const Preset &p : presets())
    s += (s.empty() ? "" : ", ") + p.name;
  return s;
}

std::string targetEnv(const Preset &p) {
  std::string caps = "Shader", exts = "SPV_KHR_storage_buffer_storage_class";
  if (p.int64)
    caps += ", Int64";
  if (p.int16)
    caps += ", Int16, StorageBuffer16BitAccess";
  if (p.int8)
    caps += ", Int8, StorageBuffer8BitAccess";
  if (p.float16)
    caps += ", Float16";
  if (p.int16 || p.float16)
    exts += ", SPV_KHR_16bit_storage";
  if (p.int8)
    exts += ", SPV_KHR_8bit_storage";
  return "#spirv.target_env<#spirv.vce<v1.3, [" + caps + "], [" + exts +
         "]>, api=Vulkan, #spirv.resource_limits<max_compute_workgroup_invocations = 256, "
         "max_compute_workgroup_size = [256, 256, 64]>>";
}

void registerVulkanPasses() {
  mlir::nuri::vulkan::registerNuriVulkanPasses();
  gpu_common::registerCommonPasses();
}

std::string vulkanKernelPipeline(const Preset &preset) {
  return "func.func(nuri-gpu-tile{workgroup-space=spirv-workgroup workgroup-reductions=" +
         std::string(preset.workgroupReductions ? "true" : "false") +
         "},canonicalize,cse),eliminate-empty-tensors,"
         "one-shot-bufferize,func.func(canonicalize,cse,"
         "nuri-gpu-map-to-launch{private-space=spirv-function}," +
         std::string(preset.workgroupStaging
                         ? "nuri-gpu-stage-operands{workgroup-space=spirv-workgroup},"
                         : "") +
         "nuri-gpu-thread-loops,"
         "canonicalize,convert-linalg-to-loops,fold-memref-alias-ops,lower-affine,canonicalize,"
         "cse,nuri-vulkan-math,convert-math-to-spirv),"
         "gpu-launch-sink-index-computations,gpu-kernel-outlining,nuri-vulkan-entry-points,"
         "convert-gpu-to-spirv{use-64bit-index=false},"
         "spirv.module(spirv-lower-abi-attrs,spirv-update-vce)";
}

namespace {

/// One compiled dispatch: its launch and SPIR-V.
struct Kernel {
  gpu_common::Launch launch;
  std::vector<uint32_t> spirv;
};

/// The SPIR-V of one compiled dispatch's module.
LogicalResult readSpirv(ModuleOp module, Kernel &k, std::string &error,
                        const std::function<void(const std::string &)> &onSPIRV) {
  SmallVector<spirv::ModuleOp> spirvModules(module.getOps<spirv::ModuleOp>());
  if (spirvModules.size() != 1) {
    error = "SPIR-V conversion produced no module";
    return failure();
  }
  SmallVector<uint32_t> words;
  if (failed(spirv::serialize(spirvModules.front(), words))) {
    error = "SPIR-V serialization failed";
    return failure();
  }
  k.spirv.assign(words.begin(), words.end());
  if (onSPIRV) {
    std::string text;
    llvm::raw_string_ostream os(text);
    spirvModules.front()->print(os);
    onSPIRV(text + "\n");
  }
  return success();
}

std::string serializeExecutable(const std::vector<Kernel> &kernels, const Preset &preset) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<::nuri::vulkan::Kernel>> offsets;
  for (const Kernel &k : kernels) {
    const gpu_common::Launch &l = k.launch;
    offsets.push_back(::nuri::vulkan::CreateKernel(
        fbb, fbb.CreateString(l.kernel), fbb.CreateVector(k.spirv),
        fbb.CreateVector(std::vector<uint32_t>(l.block, l.block + 3)),
        fbb.CreateVector(std::vector<uint32_t>(l.grid, l.grid + 3)), fbb.CreateVector(l.bindings)));
  }
  auto root = ::nuri::vulkan::CreateExecutable(fbb, fbb.CreateVector(offsets),
                                             fbb.CreateString(preset.name), preset.int64,
                                             preset.int16, preset.int8, preset.float16);
  ::nuri::vulkan::FinishExecutableBuffer(fbb, root);
  return std::string(reinterpret_cast<const char *>(fbb.GetBufferPointer()), fbb.GetSize());
}

class VulkanBackend : public TargetBackend {
public:
  llvm::StringRef name() const override { return "vulkan"; }
  void registerPasses() const override { registerVulkanPasses(); }
  std::string describe(const TargetOptions &options) const override {
    return "preset " + options.vulkanTarget +
           ", SPIR-V compute shaders, f32 (sums may be reassociated)";
  }
  bool build(ModuleOp module, const TargetOptions &options, ExecutableBlob &executable,
             std::string &error) const override {
    const Preset *preset = findPreset(options.vulkanTarget);
    if (!preset) {
      error = "unknown --vulkan-target '" + options.vulkanTarget + "' (known: " + presetNames() + ")";
      return false;
    }
    OwningOpRef<ModuleOp> abi = module.clone();
    if (!gpu_common::runPipeline(*abi, "nuri-vulkan-kernel-abi{preset=" + preset->name + "}", "",
                                 error)) {
      error = "vulkan: kernel ABI failed " + error;
      return false;
    }
    std::vector<Kernel> kernels;
    bool ok = gpu_common::compileDispatches(
        *abi, "nuri.vulkan_fallback", executable, error,
        [&](ModuleOp one, func::FuncOp host, const std::string &first, gpu_common::Launch &launch,
            std::string &internal) -> std::string {
          Kernel k;
          std::string reason;
          if (!gpu_common::runPipeline(one, vulkanKernelPipeline(*preset), options.dumpIrAfter, internal))
            return first.empty() ? "lowering to SPIR-V failed" : first;
          if (failed(gpu_common::readLaunch(host, k.launch, reason)) ||
              failed(readSpirv(one, k, reason, options.onSPIRV)))
            return reason;
          launch = k.launch;
          kernels.push_back(std::move(k));
          return "";
        });
    if (!ok)
      return false;
    executable.target = "vulkan";
    executable.format = "spirv-vk1";
    if (!kernels.empty())
      executable.data = serializeExecutable(kernels, *preset);
    return true;
  }
};

} // namespace

std::unique_ptr<TargetBackend> createVulkanBackend() { return std::make_unique<VulkanBackend>(); }

// How the compiler finds this target (TargetBackend.h).
static TargetRegistration registration(20, createVulkanBackend);

} // namespace nuri::vulkan_target
