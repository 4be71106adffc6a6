#ifndef NURI_TARGETS_CUDA_PASSES_TD
#define NURI_TARGETS_CUDA_PASSES_TD

include "mlir/Pass/PassBase.td"

def NuriCudaKernelAbi : Pass<"nuri-cuda-kernel-abi", "::mlir::ModuleOp"> {
  let summary = "Give each static dispatch the GPU kernel ABI for the cuda target";
  let description = [{
    The GPU kernel ABI (targets/gpu): memref bindings, inputs then results.
    Dispatches the cuda path cannot take (symbolic shapes, signed/unsigned
    integers, dense constants in the kernel, f64) are removed and named, with
    the reason, in the module's `nuri.cuda_fallback` dictionary.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect", "::mlir::gpu::GPUDialect"];
}

def NuriCudaMath : Pass<"nuri-cuda-math", "::mlir::func::FuncOp"> {
  let summary = "Math as polynomials and arithmetic, so kernels need no libdevice";
  let description = [{
    powf and friends are expanded, then exp, log, tanh, erf and the other
    transcendental functions become MLIR's polynomial approximations (as on
    the cpu): the PTX calls no `__nv_*` function, so nothing has to be linked
    from CUDA's libdevice.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::math::MathDialect"];
}

#endif
