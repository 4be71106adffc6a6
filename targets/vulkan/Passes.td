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

def NuriVulkanTile : Pass<"nuri-vulkan-tile", "::mlir::func::FuncOp"> {
  let summary = "Tile a kernel over workgroups and threads (scf.forall with GPU mappings)";
  let description = [{
    The kernel's root op is tiled with its producers fused into an
    `scf.forall` mapped to workgroups (`#gpu.block`) over its innermost
    (up to three) parallel dimensions; the workgroup tile again into an
    `scf.forall` mapped to threads (`#gpu.thread`), producers fused. Each
    thread of a contraction or convolution computes a register tile of up to
    4x4 outputs; other ops one element. Reductions run inside the thread.
    Tile sizes divide the static extents. The threads per workgroup go to
    `nuri.vulkan.block`.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::gpu::GPUDialect"];
}

def NuriVulkanMapToGpu : Pass<"nuri-vulkan-map-to-gpu", "::mlir::func::FuncOp"> {
  let summary = "Turn the mapped foralls of a bufferized kernel into one gpu.launch";
  let description = [{
    Applies the transform dialect's `gpu.map_forall_to_blocks` (generating
    the launch) and `gpu.map_nested_forall_to_threads` with the block size in
    `nuri.vulkan.block`; then the thread-private buffers of fused producers
    (`memref.alloc` in the launch) become `memref.alloca` in the SPIR-V
    Function storage class.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::transform::TransformDialect",
                           "::mlir::spirv::SPIRVDialect"];
}

def NuriVulkanThreadLoops : Pass<"nuri-vulkan-thread-loops", "::mlir::func::FuncOp"> {
  let summary = "Lower each thread's tiles to loops: reductions outermost, the register tile unrolled";
  let description = [{
    Inside the launch, a linalg op with reduction dimensions is interchanged
    so they run outermost, then every linalg op becomes scf loops and loops
    of at most 16 iterations without inner loops are unrolled: a thread's
    4x4 register tile is 16 independent multiply-adds per step of K, and a
    thread runs one K loop instead of 16 (Mesa's lavapipe also stops a loop
    after 65535 iterations of one shader invocation, which the unrolled form
    stays under).
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

def NuriVulkanEntryPoints : Pass<"nuri-vulkan-entry-points", "::mlir::ModuleOp"> {
  let summary = "Set each outlined kernel's spirv.entry_point_abi from its block size";
  let dependentDialects = ["::mlir::spirv::SPIRVDialect"];
}

#endif
