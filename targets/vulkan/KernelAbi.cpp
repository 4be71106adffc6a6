//===- KernelAbi.cpp - dispatch functions to the Vulkan kernel ABI --------===//
//
// Bindings are the dispatch's inputs then its results, as on the cpu, but
// without workgroup arguments: the shader reads its ids from builtins. Only
// static shapes are taken (the grid is fixed at compile time); the rest goes
// to the next target with the reason.
//
//===----------------------------------------------------------------------===//
#include "targets/vulkan/Passes.h"
#include "targets/vulkan/VulkanTarget.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SPIRV/IR/TargetAndABI.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::nuri::vulkan {
#define GEN_PASS_DEF_NURIVULKANKERNELABI
#include "targets/vulkan/Passes.h.inc"
} // namespace mlir::nuri::vulkan

using namespace mlir;

namespace {

/// Why the Vulkan path cannot take this dispatch, or "" when it can.
std::string unsupported(func::FuncOp fn, const ::nuri::vulkan_target::Preset &preset) {
  auto type = fn.getFunctionType();
  for (Type t : llvm::concat<const Type>(type.getInputs(), type.getResults())) {
    auto rt = dyn_cast<RankedTensorType>(t);
    if (!rt || !rt.hasStaticShape())
      return "a tensor of symbolic or run-time shape (the vulkan grid is fixed at compile time)";
    Type e = rt.getElementType();
    auto i = dyn_cast<IntegerType>(e);
    if (i && !i.isSignless())
      return "unsigned or signed integer element types are not supported by vulkan yet";
    if (e.isBF16())
      return "bf16 has no SPIR-V arithmetic in the " + preset.name + " preset";
    if (e.isF16() && !preset.float16)
      return "f16 needs the Float16 capability, which the " + preset.name + " preset lacks";
    if (i && i.getWidth() == 64 && !preset.int64)
      return "i64 needs the Int64 capability, which the " + preset.name + " preset lacks";
    if (!i && !e.isF32() && !e.isF16())
      return "element type is not supported by vulkan yet";
  }
  std::string reason;
  fn.walk([&](arith::ConstantOp c) {
    if (auto dense = dyn_cast<DenseElementsAttr>(c.getValue()); dense && !dense.isSplat())
      reason = "a dense constant inside the kernel (SPIR-V shaders take data through buffers)";
  });
  return reason;
}

struct KernelAbiPass
    : mlir::nuri::vulkan::impl::NuriVulkanKernelAbiBase<KernelAbiPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = module.getContext();
    const ::nuri::vulkan_target::Preset *p = ::nuri::vulkan_target::findPreset(preset);
    if (!p) {
      module.emitError("unknown vulkan preset '" + preset + "' (known: " +
                       ::nuri::vulkan_target::presetNames() + ")");
      return signalPassFailure();
    }
    auto env = parseAttribute(::nuri::vulkan_target::targetEnv(*p), ctx);
    if (!env) {
      module.emitError("internal error: bad target env for preset " + preset);
      return signalPassFailure();
    }
    module->setAttr(spirv::getTargetEnvAttrName(), env);
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(), UnitAttr::get(ctx));
    OpBuilder b(ctx);
    SmallVector<NamedAttribute> fallback;
    SmallVector<func::FuncOp> dispatches;
    for (auto fn : module.getOps<func::FuncOp>())
      if (fn->hasAttr("nuri.nodes"))
        dispatches.push_back(fn);
    for (func::FuncOp fn : dispatches) {
      std::string reason = unsupported(fn, *p);
      if (!reason.empty()) {
        fallback.push_back(b.getNamedAttr(fn.getSymName(), b.getStringAttr(reason)));
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
    module->setAttr("nuri.vulkan_fallback", b.getDictionaryAttr(fallback));
  }
};

} // namespace
