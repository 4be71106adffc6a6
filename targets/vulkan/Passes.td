#ifndef NURI_TARGETS_VULKAN_PASSES_TD
#define NURI_TARGETS_VULKAN_PASSES_TD

include "mlir/Pass/PassBase.td"

def NuriVulkanKernelAbi : Pass<"nuri-vulkan-kernel-abi", "::mlir::ModuleOp"> {
  let summary = "Give each static dispatch the Vulkan kernel ABI and the SPIR-V target env";
  let description = [{
    `@dispatch_N(tensors) -> tensors` becomes `@dispatch_N(memrefs...)`
    (inputs, then results; descriptor set 0 after outlining) whose body reads
    its inputs with `bufferization.to_tensor` and writes each result with
    `bufferization.materialize_in_destination`. Dispatches the Vulkan path
    cannot take (symbolic or run-time shapes, unsigned or sub-byte element
    types, dense constants inside) are removed and named, with the reason, in
    the module's `nuri.vulkan_fallback` dictionary. The module gets
    `gpu.container_module` and the preset's `spirv.target_env`.
  }];
  let options = [Option<"preset", "preset", "std::string", "\"lavapipe\"",
                        "Vulkan target preset: lavapipe or generic">];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::spirv::SPIRVDialect"];
}

def NuriVulkanMath : Pass<"nuri-vulkan-math", "::mlir::func::FuncOp"> {
  let summary = "Math the way ONNX defines it, from what GLSL has";
  let description = [{
    GLSL leaves Sqrt, InverseSqrt and Log undefined below 0 (and Log at 0):
    they get IEEE's NaN and infinities by a select; erf, which GLSL lacks,
    becomes the same polynomial as on the cpu. Run before
    convert-math-to-spirv.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def NuriVulkanEntryPoints : Pass<"nuri-vulkan-entry-points", "::mlir::ModuleOp"> {
  let summary = "Set each outlined kernel's spirv.entry_point_abi from its block size";
  let dependentDialects = ["::mlir::spirv::SPIRVDialect"];
}

#endif
