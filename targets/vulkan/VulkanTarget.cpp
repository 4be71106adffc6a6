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
#include "targets/gpu/Passes.h"
#include "targets/vulkan/Passes.h"
#include "compiler/support/IRDump.h"

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
  static const std::vector<Preset> all = {{"lavapipe", true, true, true, true},
                                          {"generic", false, false, false, false}};
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
  static bool common = false; // shared with the cuda target
  if (!common) {
    common = true;
    mlir::nuri::gpu_common::registerNuriGpuPasses();
  }
}

std::string vulkanKernelPipeline() {
  return "func.func(nuri-gpu-tile,canonicalize,cse),eliminate-empty-tensors,"
         "one-shot-bufferize,func.func(canonicalize,cse,"
         "nuri-gpu-map-to-launch{private-space=spirv-function},nuri-gpu-thread-loops,"
         "canonicalize,convert-linalg-to-loops,fold-memref-alias-ops,lower-affine,canonicalize,"
         "cse,nuri-vulkan-math,convert-math-to-spirv),"
         "gpu-launch-sink-index-computations,gpu-kernel-outlining,nuri-vulkan-entry-points,"
         "convert-gpu-to-spirv{use-64bit-index=false},"
         "spirv.module(spirv-lower-abi-attrs,spirv-update-vce)";
}

namespace {

/// One compiled dispatch.
struct Kernel {
  std::string name;
  std::vector<uint32_t> spirv;
  uint32_t block[3], grid[3];
  std::vector<uint32_t> bindings;
};

/// Reads the compiled module of one dispatch: its only gpu.launch_func (grid,
/// block, which function arguments it binds) and its spirv.module.
LogicalResult extractKernel(ModuleOp module, func::FuncOp host, Kernel &k, std::string &error,
                            const std::function<void(const std::string &)> &onSPIRV) {
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
  auto constant = [](Value v) -> int64_t {
    auto c = getConstantIntValue(v);
    return c ? *c : -1;
  };
  gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
  gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
  int64_t g[3] = {constant(grid.x), constant(grid.y), constant(grid.z)};
  int64_t b[3] = {constant(block.x), constant(block.y), constant(block.z)};
  for (int i = 0; i < 3; ++i) {
    if (g[i] < 1 || b[i] < 1) {
      error = "the kernel's grid is not static";
      return failure();
    }
    k.grid[i] = g[i];
    k.block[i] = b[i];
  }
  for (Value v : launch.getKernelOperands()) {
    auto arg = dyn_cast<BlockArgument>(v);
    if (!arg || arg.getOwner() != &host.getBody().front()) {
      error = "the kernel takes a value that is not a dispatch binding";
      return failure();
    }
    k.bindings.push_back(arg.getArgNumber());
  }
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
  k.name = launch.getKernelName().str();
  return success();
}

std::string serializeExecutable(const std::vector<Kernel> &kernels, const Preset &preset) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<::nuri::vulkan::Kernel>> offsets;
  for (const Kernel &k : kernels)
    offsets.push_back(::nuri::vulkan::CreateKernel(
        fbb, fbb.CreateString(k.name), fbb.CreateVector(k.spirv),
        fbb.CreateVector(std::vector<uint32_t>(k.block, k.block + 3)),
        fbb.CreateVector(std::vector<uint32_t>(k.grid, k.grid + 3)), fbb.CreateVector(k.bindings)));
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
    MLIRContext *ctx = module.getContext();
    OwningOpRef<ModuleOp> abi = module.clone();
    {
      PassManager pm(ctx);
      std::string diag;
      llvm::raw_string_ostream os(diag);
      if (failed(parsePassPipeline("nuri-vulkan-kernel-abi{preset=" + preset->name + "}", pm, os)) ||
          failed(pm.run(*abi))) {
        error = "kernel ABI failed " + diag;
        return false;
      }
    }
    if (auto fallback = (*abi)->getAttrOfType<DictionaryAttr>("nuri.vulkan_fallback"))
      for (NamedAttribute a : fallback)
        executable.notCompiled.emplace_back(a.getName().str(),
                                            cast<StringAttr>(a.getValue()).str());
    std::vector<Kernel> kernels;
    for (auto fn : llvm::to_vector(abi->getOps<func::FuncOp>())) {
      std::string name = fn.getSymName().str(), reason;
      // One module per dispatch: its failure is its own.
      OwningOpRef<ModuleOp> one = ModuleOp::create(fn.getLoc());
      for (NamedAttribute a : (*abi)->getAttrs())
        if (a.getName() != "nuri.vulkan_fallback" && a.getName() != SymbolTable::getSymbolAttrName())
          (*one)->setAttr(a.getName(), a.getValue());
      OpBuilder b(ctx);
      b.setInsertionPointToEnd(one->getBody());
      auto copy = cast<func::FuncOp>(b.clone(*fn));
      std::string first;
      ScopedDiagnosticHandler handler(ctx, [&](Diagnostic &d) {
        if (d.getSeverity() == DiagnosticSeverity::Error && first.empty())
          first = d.str();
        return success();
      });
      PassManager pm(ctx);
      std::string diag;
      llvm::raw_string_ostream os(diag);
      if (failed(parsePassPipeline(vulkanKernelPipeline(), pm, os))) {
        error = "internal error: " + diag;
        return false;
      }
      enableIRDumpAfter(pm, options.dumpIrAfter);
      Kernel k;
      if (failed(pm.run(*one)))
        reason = first.empty() ? "lowering to SPIR-V failed" : first;
      else
        (void)extractKernel(*one, copy, k, reason, options.onSPIRV);
      if (!reason.empty()) {
        executable.notCompiled.emplace_back(name, reason);
        continue;
      }
      k.name = k.name.empty() ? name : k.name;
      executable.entryPoints.push_back(name);
      executable.dispatchNames.push_back(name);
      executable.workgroupCounts.push_back(
          std::min<int64_t>(int64_t(k.grid[0]) * k.grid[1] * k.grid[2], int64_t(1) << 24));
      kernels.push_back(std::move(k));
    }
    executable.target = "vulkan";
    executable.format = "spirv-vk1";
    if (!kernels.empty())
      executable.data = serializeExecutable(kernels, *preset);
    return true;
  }
};

} // namespace

std::unique_ptr<TargetBackend> createVulkanBackend() { return std::make_unique<VulkanBackend>(); }

} // namespace nuri::vulkan_target
