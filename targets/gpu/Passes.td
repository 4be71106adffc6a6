#ifndef NURI_TARGETS_GPU_PASSES_TD
#define NURI_TARGETS_GPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def NuriGpuTile : Pass<"nuri-gpu-tile", "::mlir::func::FuncOp"> {
  let summary = "Tile a kernel over workgroups and threads (scf.forall with GPU mappings)";
  let description = [{
    The kernel's root op is tiled with its producers fused into an
    `scf.forall` mapped to workgroups (`#gpu.block`) over its innermost
    (up to three) parallel dimensions; the workgroup tile again into an
    `scf.forall` mapped to threads (`#gpu.thread`), producers fused. Each
    thread of a contraction or convolution computes a register tile of up to
    4x4 outputs (16x16 threads); other ops one element (64 threads along x).
    Reductions run inside the thread. Tile sizes divide the static extents.
    With `workgroup-reductions`, a dispatch whose reductions run along rows
    of at least 32 (Softmax, LayerNorm, a reduction over the last axis) and
    that has no matmul or convolution is tiled one row per workgroup
    instead: the threads split the row, each reduction becomes one partial
    per thread plus a merge, and the row's intermediates are
    `bufferization.alloc_tensor`s in `workgroup-space`.
    The threads per workgroup go to `nuri.gpu.block`.
  }];
  let options = [
    Option<"workgroupReductions", "workgroup-reductions", "bool", "true",
           "reduce rows cooperatively, one row per workgroup">,
    Option<"workgroupSpace", "workgroup-space", "std::string", "\"gpu\"",
           "memory space of a workgroup's shared intermediates: spirv-workgroup or gpu">];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::gpu::GPUDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::spirv::SPIRVDialect"];
}

def NuriGpuMapToLaunch : Pass<"nuri-gpu-map-to-launch", "::mlir::func::FuncOp"> {
  let summary = "Turn the mapped foralls of a bufferized kernel into one gpu.launch";
  let description = [{
    Applies the transform dialect's `gpu.map_forall_to_blocks` (generating
    the launch) and `gpu.map_nested_forall_to_threads` with the block size in
    `nuri.gpu.block`; then the thread-private buffers of fused producers
    (`memref.alloc` in the launch) become `memref.alloca`, in the SPIR-V
    Function storage class with `private-space=spirv-function`. Buffers the
    tiling put in workgroup memory move to the top of the launch (SPIR-V's
    Workgroup storage class) or become its workgroup attributions (the gpu
    dialect's workgroup address space).
  }];
  let options = [Option<"privateSpace", "private-space", "std::string", "\"default\"",
                        "memory space of thread-private buffers: spirv-function or default">];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::transform::TransformDialect",
                           "::mlir::spirv::SPIRVDialect"];
}

def NuriGpuThreadLoops : Pass<"nuri-gpu-thread-loops", "::mlir::func::FuncOp"> {
  let summary = "Lower each thread's tiles to loops: reductions outermost, the register tile unrolled";
  let description = [{
    Inside the launch, a linalg op with reduction dimensions is interchanged
    so they run outermost, then every linalg op becomes scf loops and loops
    of at most 16 iterations without inner loops are unrolled (at most 64
    copies of a body): a thread's 4x4 register tile is 16 independent
    multiply-adds per step of K, and a thread runs one K loop instead of 16
    (Mesa's lavapipe also stops a loop after 65535 iterations of one shader
    invocation, which the unrolled form stays under).
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

def NuriGpuStageOperands : Pass<"nuri-gpu-stage-operands", "::mlir::func::FuncOp"> {
  let summary = "Stage the operands of a workgroup's matmul or convolution in workgroup memory";
  let description = [{
    Runs on the mapped launch, before `nuri-gpu-thread-loops`. A thread's
    matmul or convolution tile reads its operands through views of the
    workgroup's operand slices; the threads of a workgroup read the same
    rows and columns many times. The reduction (a dimension every operand
    indexes plainly: K of a matmul, the input channels of a convolution) is
    split into chunks; for each chunk the workgroup first copies the chunk
    of each operand slice it shares into workgroup memory, all threads
    together with consecutive threads on consecutive elements, between two
    barriers, and the thread's tile then reads from there. Chunks are
    chosen so the staged buffers take at most 16 KiB (every Vulkan device
    has that much); an operand that would not fit, or whose slice is no
    smaller than what the threads read from it, stays in global memory.
    Workgroup memory is a `memref.alloc` in SPIR-V's Workgroup storage
    class (`workgroup-space=spirv-workgroup`) or a workgroup attribution of
    the launch (`workgroup-space=gpu`, NVVM's shared memory).
  }];
  let options = [Option<"workgroupSpace", "workgroup-space", "std::string", "\"gpu\"",
                        "where workgroup buffers live: spirv-workgroup or gpu">];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
                           "::mlir::spirv::SPIRVDialect"];
}

#endif
