//===- KernelAbi.cpp - dispatch functions to the GPU kernel ABI -----------===//
//
// Bindings are the dispatch's inputs then its results, as on the cpu, but
// without workgroup arguments: a kernel reads its ids from builtins. Only
// static shapes are taken (the grid is fixed at compile time); the rest goes
// to the next target with the reason.
//
//===----------------------------------------------------------------------===//
#include "targets/gpu/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;

namespace mlir::nuri::gpu_common {

std::string commonUnsupported(func::FuncOp fn) {
  auto type = fn.getFunctionType();
  for (Type t : llvm::concat<const Type>(type.getInputs(), type.getResults())) {
    auto rt = dyn_cast<RankedTensorType>(t);
    if (!rt || !rt.hasStaticShape())
      return "a tensor of symbolic or run-time shape (the GPU grid is fixed at compile time)";
    auto i = dyn_cast<IntegerType>(rt.getElementType());
    if (i && !i.isSignless())
      return "unsigned or signed integer element types are not supported on GPUs yet";
  }
  std::string reason;
  fn.walk([&](arith::ConstantOp c) {
    if (auto dense = dyn_cast<DenseElementsAttr>(c.getValue()); dense && !dense.isSplat())
      reason = "a dense constant inside the kernel (GPU kernels take data through buffers)";
  });
  return reason;
}

std::vector<std::pair<std::string, std::string>>
toKernelAbi(ModuleOp module, const std::function<std::string(func::FuncOp)> &unsupported) {
  std::vector<std::pair<std::string, std::string>> fallback;
  OpBuilder b(module.getContext());
  SmallVector<func::FuncOp> dispatches;
  for (auto fn : module.getOps<func::FuncOp>())
    if (fn->hasAttr("nuri.nodes"))
      dispatches.push_back(fn);
  for (func::FuncOp fn : dispatches) {
    std::string reason = unsupported(fn);
    if (!reason.empty()) {
      fallback.emplace_back(fn.getSymName().str(), reason);
      fn.erase();
      continue;
    }
    auto type = fn.getFunctionType();
    SmallVector<Type> args;
    for (Type t : llvm::concat<const Type>(type.getInputs(), type.getResults())) {
      auto rt = cast<RankedTensorType>(t);
      args.push_back(MemRefType::get(rt.getShape(), rt.getElementType()));
    }
    b.setInsertionPoint(fn);
    auto kernel = func::FuncOp::create(b, fn.getLoc(), fn.getName(), b.getFunctionType(args, {}));
    kernel->setAttr("nuri.nodes", fn->getAttr("nuri.nodes"));
    Block *body = kernel.addEntryBlock();
    b.setInsertionPointToStart(body);
    IRMapping map;
    unsigned nIn = type.getNumInputs();
    for (unsigned i = 0; i < nIn; ++i)
      map.map(fn.getArgument(i),
              bufferization::ToTensorOp::create(b, fn.getLoc(), type.getInput(i),
                                                body->getArgument(i), /*restrict=*/true,
                                                /*writable=*/false));
    for (Operation &op : fn.getBody().front().without_terminator())
      b.clone(op, map);
    auto ret = cast<func::ReturnOp>(fn.getBody().front().getTerminator());
    for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
      auto m = bufferization::MaterializeInDestinationOp::create(
          b, fn.getLoc(), TypeRange{}, map.lookupOrDefault(v), body->getArgument(nIn + i));
      m.setRestrict(true);
      m.setWritable(true);
    }
    func::ReturnOp::create(b, fn.getLoc());
    fn.erase();
  }
  for (auto fn : llvm::make_early_inc_range(module.getOps<func::FuncOp>()))
    if (!fn->hasAttr("nuri.nodes"))
      fn.erase();
  return fallback;
}

} // namespace mlir::nuri::gpu_common
