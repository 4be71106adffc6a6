#ifndef NURI_TARGETS_NPU_PASSES_TD
#define NURI_TARGETS_NPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def NuriNpuLower : Pass<"nuri-npu-lower", "::mlir::ModuleOp"> {
  let summary = "Lower the dispatches the reference NPU runs natively to npu.kernel ops";
  let description = [{
    Matches each dispatch function (the output of nuri-form-dispatches):
    a matrix multiplication (`linalg.matmul` of f32, zero-initialized)
    followed by elementwise epilogues, or a chain of elementwise
    `linalg.generic`s whose operands are full, row-broadcast,
    column-broadcast or scalar. A matched dispatch becomes an `npu.kernel`
    of the same name: output tiles sized to the scratchpad and split across
    cores, K streamed in double-buffered chunks so DMA overlaps the matrix
    engine, the epilogue on the vector engine, results stored by DMA.
    Compute is bf16 with fp32 accumulation (the DMA rounds operands to bf16
    on the way in). Any other dispatch keeps its function and gets a
    `nuri.npu_fallback` attribute with the reason; it runs on the next
    target (the cpu).
  }];
  let options = [
    Option<"preset", "preset", "std::string", "\"datacenter\"",
           "target description: a preset name (datacenter, edge) or a FlatBuffers JSON path">
  ];
  let dependentDialects = ["::mlir::npu::NpuDialect"];
}

#endif
