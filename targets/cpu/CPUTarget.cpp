//===- CPUTarget.cpp - dispatches to a shared object ----------------------===//
//
// linalg on tensors -> tiled, vectorized kernels -> one-shot bufferization
// -> LLVM dialect -> LLVM IR with an ABI wrapper per kernel -> O3 for the
// host CPU -> object -> shared object linked in-process by lld.
//
//===----------------------------------------------------------------------===//
#include "targets/cpu/CPUTarget.h"
#include "targets/cpu/Passes.h"
#include "compiler/support/IRDump.h"

#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "lld/Common/Driver.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include <mutex>

LLD_HAS_DRIVER(elf)

using namespace mlir;

namespace nuri::cpu {

void registerCpuPasses() { mlir::nuri::cpu::registerNuriCpuPasses(); }

std::string cpuPassPipeline() {
  return "nuri-cpu-kernel-abi,"
         "func.func(nuri-cpu-tile-and-vectorize,canonicalize,cse,loop-invariant-subset-hoisting,"
         "canonicalize,cse),"
         "eliminate-empty-tensors,one-shot-bufferize{allow-return-allocs-from-loops},"
         "func.func(canonicalize,cse,fold-memref-alias-ops,nuri-cpu-distribute,"
         "canonicalize,cse)";
}

static std::string lowerToLLVMPipeline() {
  return "func.func(convert-linalg-to-loops,lower-vector-multi-reduction,"
         "convert-vector-to-scf{full-unroll=true},"
         "lower-affine,canonicalize),"
         "convert-math-to-funcs,expand-strided-metadata,lower-affine,convert-scf-to-cf,"
         "convert-math-to-llvm,convert-math-to-libm,"
         "convert-vector-to-llvm{vector-contract-lowering=outerproduct},"
         "finalize-memref-to-llvm,"
         "convert-arith-to-llvm,convert-index-to-llvm,convert-cf-to-llvm,"
         "convert-ub-to-llvm,"
         "convert-func-to-llvm{use-bare-ptr-memref-call-conv=true},"
         "reconcile-unrealized-casts";
}

/// void NAME(void **bindings, int64_t workgroup_id, int64_t workgroup_count)
/// unpacks the bindings and calls the generated kernel.
static void addAbiWrapper(llvm::Module &m, llvm::Function *impl, const std::string &name) {
  llvm::LLVMContext &ctx = m.getContext();
  auto *ptr = llvm::PointerType::get(ctx, 0);
  auto *i64 = llvm::Type::getInt64Ty(ctx);
  auto *fnType = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr, i64, i64}, false);
  auto *fn = llvm::Function::Create(fnType, llvm::GlobalValue::ExternalLinkage, name, m);
  fn->setVisibility(llvm::GlobalValue::DefaultVisibility);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", fn));
  SmallVector<llvm::Value *> args{fn->getArg(1), fn->getArg(2)};
  for (unsigned i = 2; i < impl->arg_size(); ++i) {
    llvm::Value *slot = b.CreateConstGEP1_64(ptr, fn->getArg(0), i - 2);
    args.push_back(b.CreateAlignedLoad(ptr, slot, llvm::Align(8)));
  }
  b.CreateCall(impl, args);
  b.CreateRetVoid();
  impl->setLinkage(llvm::GlobalValue::InternalLinkage);
  impl->addFnAttr(llvm::Attribute::AlwaysInline);
}

static std::unique_ptr<llvm::TargetMachine> makeTargetMachine(const std::string &cpuOpt,
                                                              std::string &error) {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  std::string cpu = cpuOpt, features;
  if (cpu == "host") {
    cpu = llvm::sys::getHostCPUName().str();
    llvm::StringMap<bool> f = llvm::sys::getHostCPUFeatures();
    for (auto &kv : f)
      features += (features.empty() ? "" : ",") + std::string(kv.second ? "+" : "-") +
                  kv.first().str();
    // An unrecognized host still gets code that runs: baseline x86-64.
    if (cpu.empty() || cpu == "generic") {
      cpu = "x86-64";
      features.clear();
    }
  }
  if (triple.getArch() != llvm::Triple::x86_64) {
    error = "the cpu target generates x86-64 code; this host is " + triple.str();
    return nullptr;
  }
  llvm::TargetOptions to;
  // Fuse multiply-adds (as ONNX Runtime's kernels do): one rounding instead of two.
  to.AllowFPOpFusion = llvm::FPOpFusion::Fast;
  auto *tm = target->createTargetMachine(triple, cpu, features, to, llvm::Reloc::PIC_,
                                         std::nullopt, llvm::CodeGenOptLevel::Aggressive);
  if (!tm)
    error = "cannot create an LLVM target machine for cpu '" + cpu + "'";
  return std::unique_ptr<llvm::TargetMachine>(tm);
}

static bool optimizeAndEmit(llvm::Module &m, llvm::TargetMachine &tm, std::string &object,
                            std::string &error) {
  m.setDataLayout(tm.createDataLayout());
  m.setTargetTriple(tm.getTargetTriple());
  for (llvm::Function &f : m) {
    if (f.isDeclaration())
      continue;
    f.addFnAttr("target-cpu", tm.getTargetCPU());
    if (!tm.getTargetFeatureString().empty())
      f.addFnAttr("target-features", tm.getTargetFeatureString());
  }
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(&tm);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3).run(m, mam);

  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager cg;
  if (tm.addPassesToEmitFile(cg, os, nullptr, llvm::CodeGenFileType::ObjectFile)) {
    error = "the LLVM target cannot emit an object file";
    return false;
  }
  cg.run(m);
  object.assign(buffer.begin(), buffer.end());
  return true;
}

/// Links one object into a shared object with lld in this process. lld
/// writes through temporary files next to its output, so use a private dir.
static bool linkSharedObject(const std::string &object, std::string &so, std::string &error) {
  llvm::SmallString<128> dir;
  if (llvm::sys::fs::createUniqueDirectory("nuri-link", dir)) {
    error = "cannot create a temporary directory for linking";
    return false;
  }
  std::string obj = (dir + "/kernels.o").str(), out = (dir + "/kernels.so").str();
  bool ok = false;
  {
    std::error_code ec;
    llvm::raw_fd_ostream f(obj, ec);
    if (!ec) {
      f << object;
      f.close();
      std::string log;
      llvm::raw_string_ostream los(log);
      std::vector<const char *> args{"ld.lld", "-shared", "--gc-sections", "-O2",
                                     "-o", out.c_str(), obj.c_str()};
      static std::mutex lldMutex; // lld keeps global state per link
      std::lock_guard<std::mutex> lock(lldMutex);
      lld::Result r = lld::lldMain(args, los, los, {{lld::Gnu, &lld::elf::link}});
      if (r.retCode == 0) {
        auto buf = llvm::MemoryBuffer::getFile(out);
        if (buf) {
          so = (*buf)->getBuffer().str();
          ok = true;
        }
      } else {
        error = "lld failed: " + log;
      }
    } else {
      error = "cannot write " + obj;
    }
  }
  llvm::sys::fs::remove(obj);
  llvm::sys::fs::remove(out);
  llvm::sys::fs::remove(dir);
  return ok;
}

bool buildCpuExecutable(ModuleOp source, const CpuTargetOptions &options,
                        CpuExecutable &result, std::string &error) {
  OwningOpRef<ModuleOp> module = cast<ModuleOp>(source->clone());
  // Record the dispatch order before the pipeline rewrites the functions.
  SmallVector<std::string> names;
  for (auto fn : module->getOps<func::FuncOp>())
    if (fn->hasAttr("nuri.nodes"))
      names.push_back(fn.getName().str());
  if (names.empty())
    return true; // the host program alone (copies) computes the model
  // Two phases: workgroup counts are decided while tiling and read before
  // the functions become LLVM functions.
  auto runPhase = [&](llvm::function_ref<LogicalResult(PassManager &, llvm::raw_ostream &)> build,
                      const char *what) {
    PassManager pm(module->getContext());
    std::string diag;
    llvm::raw_string_ostream os(diag);
    if (failed(build(pm, os))) {
      error = std::string("internal error: bad ") + what + " pipeline: " + diag;
      return false;
    }
    enableIRDumpAfter(pm, options.dumpIrAfter);
    if (succeeded(pm.run(*module)))
      return true;
    error = std::string(what) + " failed";
    return false;
  };
  if (!runPhase([](PassManager &pm, llvm::raw_ostream &os) {
        return parsePassPipeline(cpuPassPipeline(), pm, os);
      }, "cpu kernel generation"))
    return false;
  for (const std::string &n : names) {
    auto fn = module->lookupSymbol<func::FuncOp>(n);
    auto count = fn ? fn->getAttrOfType<IntegerAttr>("nuri.workgroup_count") : nullptr;
    result.workgroupCounts.push_back(count ? count.getInt() : 1);
  }
  if (!runPhase([](PassManager &pm, llvm::raw_ostream &os) {
        bufferization::buildBufferDeallocationPipeline(pm);
        return parsePassPipeline(lowerToLLVMPipeline(), pm, os);
      }, "lowering the cpu kernels to LLVM"))
    return false;

  registerBuiltinDialectTranslation(*module->getContext());
  registerLLVMDialectTranslation(*module->getContext());
  llvm::LLVMContext llvmContext;
  auto llvmModule = translateModuleToLLVMIR(*module, llvmContext, "nuri_kernels");
  if (!llvmModule) {
    error = "translation to LLVM IR failed";
    return false;
  }
  for (const std::string &n : names) {
    llvm::Function *impl = llvmModule->getFunction(n);
    if (!impl) {
      error = "kernel " + n + " vanished during lowering";
      return false;
    }
    impl->setName(n + ".impl");
    std::string entry = "nuri_" + n;
    addAbiWrapper(*llvmModule, impl, entry);
    result.entryPoints.push_back(entry);
    result.dispatchNames.push_back(n);
  }
  auto tm = makeTargetMachine(options.cpu, error);
  if (!tm)
    return false;
  std::string object;
  if (!optimizeAndEmit(*llvmModule, *tm, object, error))
    return false;
  if (options.onLLVMIR) {
    std::string text;
    llvm::raw_string_ostream os(text);
    llvmModule->print(os, nullptr);
    options.onLLVMIR(text);
  }
  return linkSharedObject(object, result.sharedObject, error);
}

namespace {
class CpuBackend : public TargetBackend {
public:
  llvm::StringRef name() const override { return "cpu"; }
  void registerPasses() const override { registerCpuPasses(); }
  bool build(ModuleOp module, const TargetOptions &options, ExecutableBlob &executable,
             std::string &error) const override {
    CpuExecutable exe;
    if (!buildCpuExecutable(module, options, exe, error))
      return false;
    executable = {"cpu", "elf-x86_64-so", std::move(exe.sharedObject), exe.entryPoints,
                  exe.dispatchNames, exe.workgroupCounts};
    return true;
  }
};
} // namespace

std::unique_ptr<TargetBackend> createCpuBackend() { return std::make_unique<CpuBackend>(); }

// How the compiler finds this target (TargetBackend.h).
static TargetRegistration registration(0, createCpuBackend);

} // namespace nuri::cpu
