//===- Distribute.cpp - workgroup forall to workgroup id ------------------===//
#include "targets/cpu/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::nuri::cpu {
#define GEN_PASS_DEF_NURICPUDISTRIBUTE
#include "targets/cpu/Passes.h.inc"
} // namespace mlir::nuri::cpu

using namespace mlir;

namespace {

/// Workers run on threads with the default 8 MB stack.
constexpr int64_t kMaxStackTemporary = 512 * 1024;

LogicalResult distribute(scf::ForallOp forall, Value workgroupId) {
  auto lbs = forall.getStaticLowerBound(), ubs = forall.getStaticUpperBound(),
       steps = forall.getStaticStep();
  for (ArrayRef<int64_t> a : {lbs, ubs, steps})
    if (llvm::any_of(a, ShapedType::isDynamic))
      return forall.emitError("workgroup loop with dynamic bounds");
  OpBuilder b(forall);
  Location loc = forall.getLoc();
  // Row-major delinearization: the last induction variable varies fastest.
  Value rest = workgroupId;
  SmallVector<Value> ivs(lbs.size());
  for (int64_t i = lbs.size() - 1; i >= 0; --i) {
    int64_t count = (ubs[i] - lbs[i] + steps[i] - 1) / steps[i];
    Value c = arith::ConstantIndexOp::create(b, loc, count);
    Value idx = arith::RemUIOp::create(b, loc, rest, c);
    rest = arith::DivUIOp::create(b, loc, rest, c);
    ivs[i] = arith::AddIOp::create(
        b, loc, arith::ConstantIndexOp::create(b, loc, lbs[i]),
        arith::MulIOp::create(b, loc, idx, arith::ConstantIndexOp::create(b, loc, steps[i])));
  }
  Block *body = forall.getBody();
  for (auto [arg, iv] : llvm::zip(body->getArguments(), ivs))
    arg.replaceAllUsesWith(iv);
  body->getTerminator()->erase();
  forall->getBlock()->getOperations().splice(Block::iterator(forall), body->getOperations());
  forall.erase();
  return success();
}

struct DistributePass : mlir::nuri::cpu::impl::NuriCpuDistributeBase<DistributePass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    SmallVector<scf::ForallOp> loops;
    fn.walk([&](scf::ForallOp f) {
      if (f->hasAttr("nuri.workgroups"))
        loops.push_back(f);
    });
    for (auto f : loops)
      if (f.getNumResults() != 0 || failed(distribute(f, fn.getArgument(0))))
        return signalPassFailure();
    // Copies left by bufferization: self-copies of in-place tiles go; the
    // rest become linalg copies, lowered to loops instead of the runtime
    // library call memref.copy would need.
    fn.walk([&](memref::CopyOp copy) {
      OpBuilder b(copy);
      if (copy.getSource() != copy.getTarget())
        linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(), copy.getTarget());
      copy.erase();
    });
    // Per-workgroup temporaries live on the stack: malloc/free of ~100 KB
    // blocks returns pages to the OS on every call and faults them back in.
    fn.walk([&](memref::AllocOp alloc) {
      MemRefType type = alloc.getType();
      if (alloc->getBlock() != &fn.getBody().front() || !type.hasStaticShape() ||
          type.getNumElements() * type.getElementTypeBitWidth() / 8 > kMaxStackTemporary)
        return;
      OpBuilder b(alloc);
      auto alloca = memref::AllocaOp::create(b, alloc.getLoc(), type, ValueRange{},
                                             alloc.getAlignmentAttr());
      alloc.replaceAllUsesWith(alloca.getResult());
      alloc.erase();
    });
    linalg::hoistRedundantVectorTransfers(fn);
    RewritePatternSet patterns(&getContext());
    // erf and tanh have no LLVM intrinsic: approximate them with
    // polynomials that vectorize instead of calling libm per element.
    populatePolynomialApproximateErfPattern(patterns);
    populatePolynomialApproximateTanhPattern(patterns);
    (void)applyPatternsGreedily(fn, std::move(patterns));
  }
};

} // namespace
