//===- CudaTarget.cpp - dispatches to PTX ---------------------------------===//
//
// The same tiling and mapping as vulkan (targets/gpu), then MLIR's NVVM
// path: gpu-lower-to-nvvm-pipeline with the bare-pointer kernel convention
// (one pointer per binding) and PTX ("isa") as the binary format. Each
// dispatch is compiled alone, so a failure sends only that dispatch to the
// next target. The executable is a FlatBuffer (schemas/cuda_executable.fbs)
// holding each kernel's PTX, grid, block and bindings; the driver
// JIT-compiles the PTX for the device it runs on.
//
//===----------------------------------------------------------------------===//
#include "targets/cuda/CudaTarget.h"
#include "targets/cuda/Passes.h"
#include "targets/gpu/GpuCompile.h"

#include "nuri/schemas/cuda_executable_generated.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

namespace nuri::cuda_target {

void registerCudaPasses() {
  mlir::nuri::cuda::registerNuriCudaPasses();
  gpu_common::registerCommonPasses();
}

std::string cudaKernelPipeline() {
  return "func.func(nuri-gpu-tile,canonicalize,cse),eliminate-empty-tensors,"
         "one-shot-bufferize,func.func(canonicalize,cse,nuri-gpu-map-to-launch,nuri-gpu-stage-operands,"
         "nuri-gpu-thread-loops,canonicalize,convert-linalg-to-loops,fold-memref-alias-ops,"
         "lower-affine,canonicalize,cse,nuri-cuda-math,canonicalize),"
         "gpu-launch-sink-index-computations,gpu-kernel-outlining";
}

std::string cudaNvvmPipeline(const std::string &arch) {
  // PTX ISA 8.0 covers sm_80 and sm_90 (the default +ptx60 does not take
  // sm_90), and CUDA 12 and 13's ptxas read it.
  return "gpu-lower-to-nvvm-pipeline{cubin-chip=" + arch +
         " cubin-features=+ptx80 cubin-format=isa kernel-bare-ptr-calling-convention=1}";
}

namespace {

const char *const kArchs[] = {"sm_80", "sm_86", "sm_89", "sm_90"};

struct Kernel {
  gpu_common::Launch launch;
  std::string ptx;
};

LogicalResult readPtx(ModuleOp module, Kernel &k, std::string &error) {
  SmallVector<gpu::BinaryOp> binaries(module.getOps<gpu::BinaryOp>());
  if (binaries.size() != 1 || binaries.front().getObjects().size() != 1) {
    error = "NVVM compilation produced no PTX";
    return failure();
  }
  auto object = cast<gpu::ObjectAttr>(binaries.front().getObjects()[0]);
  k.ptx = object.getObject().str();
  // Calls into libdevice would need linking; nuri-cuda-math avoids them.
  if (k.ptx.find("__nv_") != std::string::npos) {
    error = "the kernel calls a CUDA libdevice function (" +
            k.ptx.substr(k.ptx.find("__nv_"), 24) + "...), which is not linked";
    return failure();
  }
  return success();
}

std::string serializeExecutable(const std::vector<Kernel> &kernels, const std::string &arch) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<::nuri::cuda::Kernel>> offsets;
  for (const Kernel &k : kernels) {
    const gpu_common::Launch &l = k.launch;
    offsets.push_back(::nuri::cuda::CreateKernel(
        fbb, fbb.CreateString(l.kernel), fbb.CreateString(k.ptx),
        fbb.CreateVector(std::vector<uint32_t>(l.block, l.block + 3)),
        fbb.CreateVector(std::vector<uint32_t>(l.grid, l.grid + 3)), fbb.CreateVector(l.bindings)));
  }
  auto root = ::nuri::cuda::CreateExecutable(fbb, fbb.CreateVector(offsets), fbb.CreateString(arch));
  ::nuri::cuda::FinishExecutableBuffer(fbb, root);
  return std::string(reinterpret_cast<const char *>(fbb.GetBufferPointer()), fbb.GetSize());
}

class CudaBackend : public TargetBackend {
public:
  llvm::StringRef name() const override { return "cuda"; }
  void registerPasses() const override { registerCudaPasses(); }
  std::string describe(const TargetOptions &options) const override {
    return "cuda: " + options.cudaArch + ", PTX JIT-compiled by the driver, f32 (sums may be "
                                          "reassociated)";
  }
  bool build(ModuleOp module, const TargetOptions &options, ExecutableBlob &executable,
             std::string &error) const override {
    if (!llvm::is_contained(kArchs, options.cudaArch)) {
      error = "unknown --cuda-arch '" + options.cudaArch + "' (known: sm_80, sm_86, sm_89, sm_90)";
      return false;
    }
    OwningOpRef<ModuleOp> abi = module.clone();
    if (!gpu_common::runPipeline(*abi, "nuri-cuda-kernel-abi", "", error)) {
      error = "cuda: kernel ABI failed " + error;
      return false;
    }
    std::vector<Kernel> kernels;
    bool ok = gpu_common::compileDispatches(
        *abi, "nuri.cuda_fallback", executable, error,
        [&](ModuleOp one, func::FuncOp host, const std::string &first, gpu_common::Launch &launch,
            std::string &internal) -> std::string {
          Kernel k;
          std::string reason;
          if (!gpu_common::runPipeline(one, cudaKernelPipeline(), options.dumpIrAfter, internal))
            return first.empty() ? "lowering failed" : first;
          // The launch (and the name) are read before NVVM lowering turns the
          // host function into an llvm.func.
          if (failed(gpu_common::readLaunch(host, k.launch, reason)))
            return reason;
          std::string dispatch = host.getSymName().str();
          if (!gpu_common::runPipeline(one, cudaNvvmPipeline(options.cudaArch), options.dumpIrAfter,
                                       internal))
            return first.empty() ? "NVVM lowering failed" : first;
          if (failed(readPtx(one, k, reason)))
            return reason;
          if (options.onPTX)
            options.onPTX("// ----- " + dispatch + " (" + k.launch.kernel + ")\n" + k.ptx);
          launch = k.launch;
          kernels.push_back(std::move(k));
          return "";
        });
    if (!ok)
      return false;
    executable.target = "cuda";
    executable.format = "ptx-cuda1";
    if (!kernels.empty())
      executable.data = serializeExecutable(kernels, options.cudaArch);
    return true;
  }
};

} // namespace

std::unique_ptr<TargetBackend> createCudaBackend() { return std::make_unique<CudaBackend>(); }

// How the compiler finds this target (TargetBackend.h).
static TargetRegistration registration(30, createCudaBackend);

} // namespace nuri::cuda_target
