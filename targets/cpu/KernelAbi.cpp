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
      for (Type t : type.getInputs())
        if (!cast<RankedTensorType>(t).hasStaticShape()) {
          fn.emitError("a dispatch reads a tensor of run-time size (only graph outputs may "
                       "have one)");
          return signalPassFailure();
        }
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
      auto ret = cast<func::ReturnOp>(fn.getBody().front().getTerminator());
      for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
        Value result = map.lookupOrDefault(v);
        auto resultType = cast<RankedTensorType>(result.getType());
        Type bits = signless(resultType.getElementType());
        if (bits != resultType.getElementType())
          result = tensor::BitcastOp::create(b, fn.getLoc(), resultType.clone(bits), result);
        Value dest = body->getArgument(2 + nIn + i);
        if (!resultType.hasStaticShape()) {
          if (resultType.getRank() != 1) {
            fn.emitError("a result of run-time size must be 1-D (the compact layout)");
            return signalPassFailure();
          }
          OpFoldResult n = tensor::DimOp::create(b, fn.getLoc(), result, 0).getResult();
          dest = memref::ReinterpretCastOp::create(
              b, fn.getLoc(), MemRefType::get({ShapedType::kDynamic}, bits), dest,
              b.getIndexAttr(0), ArrayRef<OpFoldResult>{n},
              ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
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
