#ifndef NURI_TRANSFORMS_PASSES_TD
#define NURI_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def NuriToLinalg : Pass<"nuri-to-linalg", "::mlir::func::FuncOp"> {
  let summary = "Decompose nuri ops into linalg, tensor, arith and math on tensors";
  let description = [{
    The shared lowering of every linalg-based target (cpu, vulkan, cuda).
    Broadcasting becomes indexing maps; padding becomes a filled tensor with
    the input inserted; convolutions become generic contractions over
    filters-last weights (marked `nuri.conv`); reshapes become
    collapse/expand pairs that bufferize to views.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect"
  ];
}

def NuriFormDispatches : Pass<"nuri-form-dispatches", "::mlir::ModuleOp"> {
  let summary = "Group linalg ops into dispatch functions called from @main";
  let description = [{
    Each group is a root op (a contraction, convolution, reduction, data
    movement, a padding copy) plus the elementwise ops that consume it
    alone; fills, empty tensors and small constants are cloned into their
    users. Each group is outlined
    into `func.func private @dispatch_N` and called from @main, which then
    holds only calls, reshapes (buffer aliases) and weights: the host
    program. Each dispatch carries `nuri.nodes`, the ONNX nodes it covers.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

#endif
