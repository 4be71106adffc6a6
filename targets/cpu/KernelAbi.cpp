//===- KernelAbi.cpp - dispatch functions to the CPU kernel ABI -----------===//
#include "targets/cpu/Passes.h"
#include "dialects/nuri/IR/NuriDialect.h"

#include "mlir/IR/IRMapping.h"

namespace mlir::nuri::cpu {
#define GEN_PASS_DEF_NURICPUKERNELABI
#include "targets/cpu/Passes.h.inc"
} // namespace mlir::nuri::cpu

using namespace mlir;
using mlir::nuri::signless;

namespace {

/// A row-major view of `base` (bound with all-1 static shape: the
/// bare-pointer convention needs static shapes) with `sizes`.
Value viewWithSizes(OpBuilder &b, Location loc, Value base, ArrayRef<OpFoldResult> sizes,
                    Type elementType) {
  int64_t rank = sizes.size();
  SmallVector<OpFoldResult> strides(rank);
  SmallVector<int64_t> staticSizes, staticStrides(rank);
  OpFoldResult stride = b.getIndexAttr(1);
  for (int64_t d = rank - 1; d >= 0; --d) {
    strides[d] = stride;
    auto s = getConstantIntValue(stride);
    staticStrides[d] = s ? *s : ShapedType::kDynamic;
    auto n = getConstantIntValue(sizes[d]);
    if (s && n) {
      stride = b.getIndexAttr(*s * *n);
    } else {
      Value sv = getValueOrCreateConstantIndexOp(b, loc, stride);
      Value nv = getValueOrCreateConstantIndexOp(b, loc, sizes[d]);
      stride = arith::MulIOp::create(b, loc, sv, nv).getResult();
    }
  }
  for (OpFoldResult n : sizes) {
    auto c = getConstantIntValue(n);
    staticSizes.push_back(c ? *c : ShapedType::kDynamic);
  }
  auto layout = StridedLayoutAttr::get(b.getContext(), 0, staticStrides);
  auto type = MemRefType::get(staticSizes, elementType, layout);
  return memref::ReinterpretCastOp::create(b, loc, type, base, b.getIndexAttr(0), sizes, strides);
}

struct KernelAbiPass : mlir::nuri::cpu::impl::NuriCpuKernelAbiBase<KernelAbiPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    OpBuilder b(module.getContext());
    SmallVector<func::FuncOp> dispatches;
    for (auto fn : module.getOps<func::FuncOp>())
      if (fn->hasAttr("nuri.nodes"))
        dispatches.push_back(fn);
    for (func::FuncOp fn : dispatches) {
      auto type = fn.getFunctionType();
      SmallVector<Type> args{b.getIndexType(), b.getIndexType()};
      for (Type t : llvm::concat<const Type>(type.getInputs(), type.getResults())) {
        auto rt = cast<RankedTensorType>(t);
        // The bare-pointer convention needs static shapes: a result of
        // run-time size is bound as one element and reinterpreted below.
        SmallVector<int64_t> shape(rt.getShape());
        if (!rt.hasStaticShape())
          shape.assign(rt.getRank(), 1);
        args.push_back(MemRefType::get(shape, signless(rt.getElementType())));
      }
      b.setInsertionPoint(fn);
      auto kernel = func::FuncOp::create(b, fn.getLoc(), fn.getName(), b.getFunctionType(args, {}));
      kernel->setAttr("nuri.nodes", fn->getAttr("nuri.nodes"));
      Block *body = kernel.addEntryBlock();
      b.setInsertionPointToStart(body);
      IRMapping map;
      unsigned nIn = type.getNumInputs();
      for (unsigned i = 0; i < nIn; ++i) {
        Value m = body->getArgument(2 + i);
        auto tensorType = cast<RankedTensorType>(type.getInput(i));
        Value t = bufferization::ToTensorOp::create(
            b, fn.getLoc(), tensorType.clone(signless(tensorType.getElementType())), m,
            /*restrict=*/true, /*writable=*/false);
        // Unsigned tensors are signless bits in memory; the body's own casts
        // back to signless fold with these.
        if (t.getType() != tensorType)
          t = tensor::BitcastOp::create(b, fn.getLoc(), tensorType, t);
        map.map(fn.getArgument(i), t);
      }
      for (Operation &op : fn.getBody().front().without_terminator())
        b.clone(op, map);
      // Inputs of symbolic shape: their tie (nuri-form-dispatches) gives the
      // sizes of the view of the bound buffer.
      for (unsigned i = 0; i < nIn; ++i) {
        auto tensorType = cast<RankedTensorType>(type.getInput(i));
        if (tensorType.hasStaticShape())
          continue;
        Value bound = map.lookup(fn.getArgument(i));
        SmallVector<mlir::nuri::TieShapeOp> ties;
        for (Operation *u : bound.getUsers())
          if (auto tie = dyn_cast<mlir::nuri::TieShapeOp>(u))
            ties.push_back(tie);
        if (ties.empty() || ties.size() != (size_t)std::distance(bound.getUsers().begin(),
                                                                 bound.getUsers().end())) {
          fn.emitError("a dispatch reads a tensor of run-time size whose sizes it does not know "
                       "(only graph outputs may have one)");
          return signalPassFailure();
        }
        for (auto tie : ties) {
          b.setInsertionPoint(tie);
          Type bits = signless(tensorType.getElementType());
          SmallVector<OpFoldResult> sizes;
          unsigned next = 0;
          for (int64_t d = 0; d < tensorType.getRank(); ++d)
            sizes.push_back(tensorType.isDynamicDim(d) ? OpFoldResult(tie.getDims()[next++])
                                                       : b.getIndexAttr(tensorType.getDimSize(d)));
          Value view = viewWithSizes(b, tie.getLoc(), body->getArgument(2 + i), sizes, bits);
          Value t = bufferization::ToTensorOp::create(
              b, tie.getLoc(), tensorType.clone(bits), view, /*restrict=*/true,
              /*writable=*/false);
          if (t.getType() != tensorType)
            t = tensor::BitcastOp::create(b, tie.getLoc(), tensorType, t);
          tie.replaceAllUsesWith(t);
          tie.erase();
        }
        if (Operation *def = bound.getDefiningOp(); def && def->use_empty()) {
          Operation *inner = def->getOperand(0).getDefiningOp();
          def->erase();
          if (inner && inner->use_empty())
            inner->erase();
        }
      }
      // Ties of values computed inside the kernel name sizes it knows.
      body->walk([](mlir::nuri::TieShapeOp tie) {
        tie.replaceAllUsesWith(tie.getInput());
        tie.erase();
      });
      b.setInsertionPointToEnd(body);
      auto ret = cast<func::ReturnOp>(fn.getBody().front().getTerminator());
      for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
        Value result = map.lookupOrDefault(v);
        auto resultType = cast<RankedTensorType>(result.getType());
        Type bits = signless(resultType.getElementType());
        if (bits != resultType.getElementType())
          result = tensor::BitcastOp::create(b, fn.getLoc(), resultType.clone(bits), result);
        Value dest = body->getArgument(2 + nIn + i);
        if (!resultType.hasStaticShape()) {
          // Sized by the kernel's own computation (a run-time size, or
          // symbolic dimensions): a row-major view of the bound buffer.
          SmallVector<OpFoldResult> sizes;
          for (int64_t d = 0; d < resultType.getRank(); ++d)
            sizes.push_back(resultType.isDynamicDim(d)
                                ? OpFoldResult(tensor::DimOp::create(b, fn.getLoc(), result, d)
                                                   .getResult())
                                : b.getIndexAttr(resultType.getDimSize(d)));
          dest = viewWithSizes(b, fn.getLoc(), dest, sizes, bits);
        }
        auto m = bufferization::MaterializeInDestinationOp::create(
            b, fn.getLoc(), TypeRange{}, result, dest);
        m.setRestrict(true);
        m.setWritable(true);
      }
      func::ReturnOp::create(b, fn.getLoc());
      fn.erase();
    }
    // Only kernels remain: the host program lives in the artifact.
    for (auto fn : llvm::make_early_inc_range(module.getOps<func::FuncOp>()))
      if (!fn->hasAttr("nuri.nodes"))
        fn.erase();
  }
};
} // namespace
