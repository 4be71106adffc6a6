//===- VulkanPasses.cpp - GLSL math, entry points -------------------------===//
#include "targets/vulkan/Passes.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/SPIRV/IR/TargetAndABI.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::nuri::vulkan {
#define GEN_PASS_DEF_NURIVULKANMATH
#define GEN_PASS_DEF_NURIVULKANENTRYPOINTS
#include "targets/vulkan/Passes.h.inc"
} // namespace mlir::nuri::vulkan

using namespace mlir;

namespace {

/// GLSL leaves Sqrt, InverseSqrt and Log undefined below 0 (and Log at 0);
/// ONNX wants IEEE's NaN and infinities, which the cpu gives.
void guardMathDomains(func::FuncOp fn) {
  SmallVector<Operation *> ops;
  fn.walk([&](Operation *op) {
    if (isa<math::SqrtOp, math::RsqrtOp, math::LogOp>(op) && isa<FloatType>(op->getResultTypes()[0]))
      ops.push_back(op);
  });
  for (Operation *op : ops) {
    OpBuilder b(op->getContext());
    b.setInsertionPointAfter(op);
    Location loc = op->getLoc();
    auto type = cast<FloatType>(op->getResultTypes()[0]);
    Value x = op->getOperand(0), result = op->getResult(0);
    auto constant = [&](APFloat v) { return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, v)); };
    const llvm::fltSemantics &sem = type.getFloatSemantics();
    Value zero = constant(APFloat::getZero(sem));
    SmallPtrSet<Operation *, 2> chain;
    Value guarded = result;
    if (!isa<math::SqrtOp>(op)) {
      // rsqrt(0) = +inf, log(0) = -inf.
      Value atZero = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, x, zero);
      Value inf = constant(APFloat::getInf(sem, /*Negative=*/isa<math::LogOp>(op)));
      guarded = arith::SelectOp::create(b, loc, atZero, inf, guarded);
      chain.insert(guarded.getDefiningOp());
    }
    Value negative = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, zero);
    guarded = arith::SelectOp::create(b, loc, negative, constant(APFloat::getNaN(sem)), guarded);
    chain.insert(guarded.getDefiningOp());
    result.replaceAllUsesExcept(guarded, chain);
  }
}

struct MathPass : mlir::nuri::vulkan::impl::NuriVulkanMathBase<MathPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    guardMathDomains(fn);
    // GLSL has no erf: the same polynomial as on the cpu.
    RewritePatternSet patterns(fn.getContext());
    populatePolynomialApproximateErfPattern(patterns);
    (void)applyPatternsGreedily(fn, std::move(patterns));
  }
};

struct EntryPointsPass
    : mlir::nuri::vulkan::impl::NuriVulkanEntryPointsBase<EntryPointsPass> {
  void runOnOperation() override {
    getOperation().walk([&](gpu::GPUFuncOp fn) {
      if (!fn.isKernel())
        return;
      SmallVector<int32_t> size{1, 1, 1};
      if (auto known = fn.getKnownBlockSizeAttr())
        size.assign(known.asArrayRef().begin(), known.asArrayRef().end());
      fn->setAttr(spirv::getEntryPointABIAttrName(),
                  spirv::getEntryPointABIAttr(fn.getContext(), size));
    });
  }
};

} // namespace
