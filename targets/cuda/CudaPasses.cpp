//===- CudaPasses.cpp - the cuda kernel ABI and math ----------------------===//
#include "targets/cuda/Passes.h"
#include "targets/gpu/Passes.h"

#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::nuri::cuda {
#define GEN_PASS_DEF_NURICUDAKERNELABI
#define GEN_PASS_DEF_NURICUDAMATH
#include "targets/cuda/Passes.h.inc"
} // namespace mlir::nuri::cuda

using namespace mlir;

namespace {

std::string unsupported(func::FuncOp fn) {
  std::string common = mlir::nuri::gpu_common::commonUnsupported(fn);
  if (!common.empty())
    return common;
  auto type = fn.getFunctionType();
  for (Type t : llvm::concat<const Type>(type.getInputs(), type.getResults())) {
    Type e = cast<RankedTensorType>(t).getElementType();
    if (!isa<IntegerType>(e) && !e.isF32() && !e.isF16() && !e.isBF16())
      return "element type is not supported by cuda yet";
  }
  return "";
}

struct KernelAbiPass : mlir::nuri::cuda::impl::NuriCudaKernelAbiBase<KernelAbiPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    OpBuilder b(module.getContext());
    module->setAttr(mlir::gpu::GPUDialect::getContainerModuleAttrName(), b.getUnitAttr());
    SmallVector<NamedAttribute> fallback;
    for (auto &[name, reason] : mlir::nuri::gpu_common::toKernelAbi(module, unsupported))
      fallback.push_back(b.getNamedAttr(name, b.getStringAttr(reason)));
    module->setAttr("nuri.cuda_fallback", b.getDictionaryAttr(fallback));
  }
};

struct MathPass : mlir::nuri::cuda::impl::NuriCudaMathBase<MathPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    RewritePatternSet expand(fn.getContext());
    math::populateExpansionPatterns(expand);
    (void)applyPatternsGreedily(fn, std::move(expand));
    RewritePatternSet approximate(fn.getContext());
    // Every function it knows, f32 widening for f16 included.
    populateMathPolynomialApproximationPatterns(approximate, MathPolynomialApproximationOptions());
    populatePolynomialApproximateErfPattern(approximate);
    (void)applyPatternsGreedily(fn, std::move(approximate));
    // The polynomials' math.fma would become libdevice's __nv_fmaf (linked or
    // not depending on where CUDA is found): a contractable multiply-add
    // gives the same fma.rn.f32 without it.
    SmallVector<math::FmaOp> fmas;
    fn.walk([&](math::FmaOp f) { fmas.push_back(f); });
    for (math::FmaOp f : fmas) {
      OpBuilder b(f);
      auto contract = arith::FastMathFlagsAttr::get(f.getContext(), arith::FastMathFlags::contract);
      Value product = arith::MulFOp::create(b, f.getLoc(), f.getA(), f.getB(), contract);
      f.replaceAllUsesWith(arith::AddFOp::create(b, f.getLoc(), product, f.getC(), contract).getResult());
      f.erase();
    }
  }
};

} // namespace
