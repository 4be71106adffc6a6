#ifndef NURI_TARGETS_CPU_PASSES_TD
#define NURI_TARGETS_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def NuriCpuKernelAbi : Pass<"nuri-cpu-kernel-abi", "::mlir::ModuleOp"> {
  let summary = "Give each dispatch the CPU kernel ABI and drop the host program";
  let description = [{
    `@dispatch_N(tensors) -> tensors` becomes
    `@dispatch_N(%workgroup_id: index, %workgroup_count: index, memrefs...)`
    whose body reads its inputs with `bufferization.to_tensor` and writes
    each result into its output memref with
    `bufferization.materialize_in_destination`, so one-shot bufferization
    writes results in place into the runtime's buffers.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect"];
}

def NuriCpuTileAndVectorize : Pass<"nuri-cpu-tile-and-vectorize", "::mlir::func::FuncOp"> {
  let summary = "Tile kernels over workgroups, then to registers, and vectorize";
  let description = [{
    The root op of a kernel is tiled with its producers fused into an
    `scf.forall` whose iterations become workgroups (`nuri.workgroup_count`
    on the function). Inside, contractions get an 8x32x1 register tile;
    convolutions (16 filters x up to 8 outputs of a row), depthwise
    convolutions and pools are tiled to unit windows, generalized, stripped
    of unit dimensions, with strides folded into slices; other ops get a
    vector along their innermost dimension; each tile is then vectorized.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
                           "::mlir::tensor::TensorDialect"];
}

def NuriCpuDistribute : Pass<"nuri-cpu-distribute", "::mlir::func::FuncOp"> {
  let summary = "Replace the workgroup scf.forall with the workgroup id";
  let description = [{
    After bufferization the kernel runs one workgroup per call: the forall's
    induction variables are computed from `%workgroup_id` and its body is
    inlined. Redundant vector transfers are then hoisted out of the
    reduction loops and math functions are replaced with polynomial
    approximations that vectorize.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::vector::VectorDialect"];
}

#endif
