//===- FormDispatches.cpp - outline linalg groups into dispatches ---------===//
//
// After nuri-to-linalg, @main is a flat list of tensor ops. This pass cuts it
// into dispatches: each is a root op plus the elementwise ops that are its
// only consumers (conv + bias + relu becomes one kernel), with fills,
// empties and small constants cloned in. What stays in @main is the host
// program: calls, reshapes (which alias buffers) and weights.
//
//===----------------------------------------------------------------------===//
#include "dialects/nuri/Transforms/Passes.h"
#include "dialects/nuri/IR/NuriDialect.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::nuri {
#define GEN_PASS_DEF_NURIFORMDISPATCHES
#include "dialects/nuri/Transforms/Passes.h.inc"
} // namespace mlir::nuri

using namespace mlir;

namespace {

/// Small integer constants (shapes, indices, pads) and splats are cheaper to
/// rematerialize in each kernel than to bind, and targets fold them. Other
/// floating-point constants are data (a bias of 16 filters): they are bound
/// like weights, so a target that cannot embed data (the NPU reads operands
/// from DRAM) still runs the dispatch. Scalars (a size read from a dims
/// tensor, index arithmetic) have no buffer on the host: each kernel that
/// needs one recomputes it from its bindings.
bool isCloneable(Operation *op) {
  if (isa<tensor::EmptyOp>(op))
    return true;
  if (op->getNumRegions() == 0 && op->getNumResults() == 1 && !isa<func::CallOp>(op) &&
      !isa<ShapedType>(op->getResult(0).getType()) && isPure(op))
    return true;
  if (auto c = dyn_cast<arith::ConstantOp>(op)) {
    auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
    return !dense || dense.isSplat() ||
           (dense.getNumElements() <= 16 && !isa<FloatType>(dense.getElementType()));
  }
  return false;
}

/// Reshapes, and bitcasts between signless and unsigned bits, reuse their
/// operand's buffer on the host.
bool isAlias(Operation *op) {
  return isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp, tensor::BitcastOp>(op);
}

/// Ops that belong to their single consumer's dispatch.
bool joinsConsumer(Operation *op) { return isa<linalg::FillOp>(op); }

bool isElementwise(Operation *op) {
  auto g = dyn_cast<linalg::GenericOp>(op);
  return g && g.getNumReductionLoops() == 0 && g.getNumDpsInits() == 1 &&
         llvm::all_of(g.getIndexingMapsArray(), [](AffineMap m) {
           return m.isProjectedPermutation(/*allowZeroInResults=*/true);
         }) &&
         g.getIndexingMapsArray().back().isIdentity();
}

struct FormDispatchesPass
    : mlir::nuri::impl::NuriFormDispatchesBase<FormDispatchesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto main = module.lookupSymbol<func::FuncOp>("main");
    if (!main) {
      module.emitError("no @main function");
      return signalPassFailure();
    }
    fuseElementwise(main);

    // 1. Assign every compute op to a group.
    SmallVector<SmallVector<Operation *>> groups;
    DenseMap<Operation *, int> groupOf;
    for (Operation &op : main.getBody().front()) {
      if (isCloneable(&op) || isAlias(&op) || isa<arith::ConstantOp, func::ReturnOp>(op) ||
          joinsConsumer(&op))
        continue;
      int g = -1;
      if (isElementwise(&op)) {
        // Join the group of a producer whose result only this op consumes.
        for (Value v : op.getOperands()) {
          Operation *p = v.getDefiningOp();
          if (p && groupOf.count(p) && p->hasOneUse() && groupOf[p] == (int)groups.size() - 1 &&
              cast<RankedTensorType>(v.getType()).getShape() ==
                  cast<RankedTensorType>(op.getResult(0).getType()).getShape()) {
            g = groupOf[p];
            break;
          }
        }
      }
      if (g < 0) {
        g = groups.size();
        groups.emplace_back();
      }
      groups[g].push_back(&op);
      groupOf[&op] = g;
    }

    // 2. Outline each group.
    OpBuilder b(module.getContext());
    int counter = 0;
    for (auto &ops : groups)
      if (failed(outline(b, module, main, ops, counter++)))
        return signalPassFailure();

    // Pads and fills outlined into kernels are dead here now.
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(main.getBody().front())))
      if (op.use_empty() && !isa<func::ReturnOp, func::CallOp>(op))
        op.erase();
  }

  void fuseElementwise(func::FuncOp main) {
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(
        patterns, [](OpOperand *operand) {
          // Fusing into a reduction (a contraction) would recompute the
          // producer once per reduction step: only fuse into elementwise ops.
          Operation *producer = operand->get().getDefiningOp();
          auto consumer = dyn_cast<linalg::GenericOp>(operand->getOwner());
          // A tensor of run-time size cannot cross dispatches: its elementwise
          // producer is recomputed in each consumer instead.
          bool runtimeSized =
              !cast<RankedTensorType>(operand->get().getType()).hasStaticShape();
          return producer && (producer->hasOneUse() || runtimeSized) && consumer &&
                 consumer.getNumReductionLoops() == 0;
        });
    (void)applyPatternsGreedily(main, std::move(patterns));
  }

  /// Adds the ops `op` needs that join it (fills, cloneables), in order.
  void gatherMembers(Operation *op, llvm::SetVector<Operation *> &members) {
    for (Value v : usedValues(op)) {
      Operation *p = v.getDefiningOp();
      if (!p || members.contains(p))
        continue;
      if (isCloneable(p) || joinsConsumer(p))
        gatherMembers(p, members);
    }
    members.insert(op);
  }

  /// Operands of `op` and values its regions capture from above (the
  /// canonicalizer hoists constants out of linalg bodies).
  static SmallVector<Value> usedValues(Operation *op) {
    SmallVector<Value> used(op->getOperands());
    op->walk([&](Operation *inner) {
      if (inner == op)
        return;
      for (Value v : inner->getOperands())
        if (!op->isAncestor(v.getParentBlock()->getParentOp()))
          used.push_back(v);
    });
    return used;
  }

  LogicalResult outline(OpBuilder &b, ModuleOp module, func::FuncOp main,
                        ArrayRef<Operation *> roots, int index) {
    llvm::SetVector<Operation *> members;
    for (Operation *op : roots)
      gatherMembers(op, members);
    // Inputs: values defined outside the group; outputs: results used outside.
    llvm::SetVector<Value> inputs;
    SmallVector<Value> outputs;
    for (Operation *op : members) {
      for (Value v : usedValues(op))
        if (!members.contains(v.getDefiningOp()))
          inputs.insert(v);
      if (isCloneable(op) || joinsConsumer(op))
        continue; // rematerialized in every dispatch that uses it
      for (Value r : op->getResults())
        if (llvm::any_of(r.getUsers(), [&](Operation *u) { return !members.contains(u); }))
          outputs.push_back(r);
    }
    llvm::SetVector<StringRef> names;
    for (Operation *op : roots)
      names.insert_range(mlir::nuri::nodeNames(op->getLoc()));

    SmallVector<Type> inTypes, outTypes;
    for (Value v : inputs)
      inTypes.push_back(v.getType());
    for (Value v : outputs)
      outTypes.push_back(v.getType());
    b.setInsertionPoint(main);
    std::string name = "dispatch_" + std::to_string(index);
    auto fn = func::FuncOp::create(b, roots.back()->getLoc(), name,
                                   b.getFunctionType(inTypes, outTypes));
    fn.setPrivate();
    SmallVector<Attribute> nameAttrs;
    for (StringRef n : names)
      nameAttrs.push_back(b.getStringAttr(n));
    fn->setAttr("nuri.nodes", b.getArrayAttr(nameAttrs));
    Block *body = fn.addEntryBlock();
    IRMapping map;
    for (auto [i, v] : llvm::enumerate(inputs))
      map.map(v, body->getArgument(i));
    b.setInsertionPointToStart(body);
    for (Operation *op : members)
      b.clone(*op, map);
    SmallVector<Value> results;
    for (Value v : outputs)
      results.push_back(map.lookup(v));
    func::ReturnOp::create(b, fn.getLoc(), results);

    b.setInsertionPoint(roots.back());
    auto call = func::CallOp::create(b, roots.back()->getLoc(), fn, inputs.getArrayRef());
    for (auto [v, r] : llvm::zip(outputs, call.getResults()))
      v.replaceAllUsesExcept(r, call);
    // Members are dead in @main now (their results are replaced); erase roots
    // and anything else only used inside the group, last first.
    for (Operation *op : llvm::reverse(members))
      if (op->use_empty() && !isCloneable(op))
        op->erase();
    return success();
  }
};

} // namespace
