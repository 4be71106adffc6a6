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
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
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
  // A tie names a symbolic tensor's sizes: each dispatch that reads the
  // tensor recomputes them from the symbols binding.
  if (isa<tensor::EmptyOp, mlir::nuri::TieShapeOp>(op))
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

/// A tie of a buffer the host program has (an input, a dispatch result or
/// an alias of one): the sizes of a symbolic buffer.
bool isHostTie(Operation *op) {
  auto tie = dyn_cast<mlir::nuri::TieShapeOp>(op);
  if (!tie)
    return false;
  Operation *def = tie.getInput().getDefiningOp();
  return !def || isa<func::CallOp>(def) || isAlias(def);
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
    if (failed(bindSymbols(module, main)))
      return signalPassFailure();

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
          // Through the tie of a symbolic result that only this op reads.
          if (auto tie = dyn_cast_or_null<mlir::nuri::TieShapeOp>(p);
              tie && tie->hasOneUse() && tie.getInput().hasOneUse())
            p = tie.getInput().getDefiningOp();
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

    // Pads and fills outlined into kernels are dead here now; ties stay:
    // they give the host program the sizes of its symbolic buffers.
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(main.getBody().front())))
      if (op.use_empty() && !isa<func::ReturnOp, func::CallOp>(op) && !isHostTie(&op))
        op.erase();
  }

  /// Symbolic input dimensions (`nuri.symbolic_dims` on @main's arguments)
  /// are read from one more argument, the symbols tensor (int64[n], filled
  /// by the runtime from the input shapes), and every tensor of symbolic
  /// shape is tied to its sizes computed from it: dispatches recompute them
  /// (nuri.tie_shape is cloned like a scalar) and the host program sizes
  /// buffers with them.
  LogicalResult bindSymbols(ModuleOp module, func::FuncOp main) {
    OpBuilder b(main.getContext());
    SmallVector<Attribute> symbols;
    DenseMap<std::pair<unsigned, int64_t>, int64_t> symbolOf;
    llvm::StringMap<int64_t> byName;
    unsigned nArgs = main.getNumArguments();
    for (unsigned i = 0; i < nArgs; ++i) {
      auto dims = main.getArgAttrOfType<ArrayAttr>(i, "nuri.symbolic_dims");
      if (!dims)
        continue;
      for (auto [k, a] : llvm::enumerate(dims)) {
        auto d = cast<DictionaryAttr>(a);
        auto name = d.getAs<StringAttr>("name");
        if (!name)
          continue;
        // Dimensions sharing a name are one symbol, read from the first.
        auto [it, fresh] = byName.try_emplace(name.getValue(), symbols.size());
        if (fresh)
          symbols.push_back(b.getDictionaryAttr(
              {b.getNamedAttr("name", name), b.getNamedAttr("min", d.get("min")),
               b.getNamedAttr("max", d.get("max")),
               b.getNamedAttr("input", b.getI64IntegerAttr(i)),
               b.getNamedAttr("dim", b.getI64IntegerAttr(k))}));
        symbolOf[{i, (int64_t)k}] = it->second;
      }
    }
    bool anyDynamic = llvm::any_of(main.getArgumentTypes(), [](Type t) {
      auto r = dyn_cast<RankedTensorType>(t);
      return r && !r.hasStaticShape();
    });
    if (symbols.empty() && !anyDynamic)
      return success();
    auto symbolsType = RankedTensorType::get({(int64_t)symbols.size()}, b.getI64Type());
    if (failed(main.insertArgument(nArgs, symbolsType,
                                   b.getDictionaryAttr({b.getNamedAttr(
                                       "nuri.symbols", b.getArrayAttr(symbols))}),
                                   main.getLoc())))
      return failure();
    Value table = main.getArgument(nArgs);
    Block &body = main.getBody().front();
    // The size of symbol j, read from the table where it is used.
    auto symbolValue = [&](OpBuilder &at, Location loc, int64_t j) -> Value {
      Value pos = arith::ConstantIndexOp::create(at, loc, j);
      Value v = tensor::ExtractOp::create(at, loc, table, ValueRange{pos});
      return arith::IndexCastOp::create(at, loc, at.getIndexType(), v);
    };
    // 1. tensor.dim of an input's symbolic dimension reads the table.
    SmallVector<tensor::DimOp> dims;
    main.walk([&](tensor::DimOp d) { dims.push_back(d); });
    for (tensor::DimOp d : dims) {
      auto arg = dyn_cast<BlockArgument>(d.getSource());
      if (!arg || arg.getOwner() != &body)
        continue;
      auto k = d.getConstantIndex();
      if (!k || !cast<RankedTensorType>(arg.getType()).isDynamicDim(*k))
        continue;
      auto it = symbolOf.find({arg.getArgNumber(), *k});
      if (it == symbolOf.end())
        return d.emitError("symbolic dimension ") << *k << " of input " << arg.getArgNumber()
                                                  << " has no name";
      b.setInsertionPoint(d);
      d.replaceAllUsesWith(symbolValue(b, d.getLoc(), it->second));
      d.erase();
    }
    // 2. Every tensor of symbolic shape is tied to its sizes; tensor.dim of
    // anything then resolves to arithmetic on the table.
    SmallVector<Value> symbolic;
    for (BlockArgument a : body.getArguments())
      symbolic.push_back(a);
    for (Operation &op : body)
      for (Value r : op.getResults())
        symbolic.push_back(r);
    for (Value v : symbolic) {
      auto t = dyn_cast<RankedTensorType>(v.getType());
      if (!t || t.hasStaticShape() || v.use_empty())
        continue;
      if (auto arg = dyn_cast<BlockArgument>(v))
        b.setInsertionPointToStart(&body);
      else
        b.setInsertionPointAfter(v.getDefiningOp());
      SmallVector<Value> sizes;
      for (int64_t k = 0; k < t.getRank(); ++k) {
        if (!t.isDynamicDim(k))
          continue;
        auto arg = dyn_cast<BlockArgument>(v);
        auto it = arg ? symbolOf.find({arg.getArgNumber(), k}) : symbolOf.end();
        if (arg && it == symbolOf.end())
          return main.emitError("input ") << arg.getArgNumber() << " has an unnamed symbolic dimension";
        sizes.push_back(arg ? symbolValue(b, main.getLoc(), it->second)
                            : (Value)tensor::DimOp::create(b, v.getLoc(), v, k));
      }
      auto tie = mlir::nuri::TieShapeOp::create(b, v.getLoc(), t, v, sizes);
      v.replaceAllUsesExcept(tie, llvm::SmallPtrSet<Operation *, 4>{tie.getOperation()});
      for (Value s : sizes)
        if (auto d = s.getDefiningOp<tensor::DimOp>())
          d.getSourceMutable().assign(v);
    }
    RewritePatternSet patterns(main.getContext());
    memref::populateResolveRankedShapedTypeResultDimsPatterns(patterns);
    tensor::DimOp::getCanonicalizationPatterns(patterns, main.getContext());
    (void)applyPatternsGreedily(main, std::move(patterns));
    WalkResult unresolved = main.walk([&](tensor::DimOp d) {
      d.emitError("a symbolic size that is not computed from the input dimensions");
      return WalkResult::interrupt();
    });
    return failure(unresolved.wasInterrupted());
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
