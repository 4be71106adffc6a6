//===- Pipeline.cpp - the nuri-compile driver -----------------------------===//
#include "compiler/pipeline/Pipeline.h"
#include "compiler/serialize/ArtifactWriter.h"
#include "compiler/support/IRDump.h"
#include "dialects/nuri/IR/NuriDialect.h"
#include "dialects/nuri/Transforms/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

namespace nuri {

void registerCompilerDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<mlir::nuri::NuriDialect>();
}

void registerCompilerPasses() {
  static bool done = false;
  if (done)
    return;
  done = true;
  registerAllPasses();
  mlir::nuri::registerNuriPasses();
  cpu::registerCpuPasses();
}

std::string frontendPipeline(EmitKind stopAfter) {
  std::string p = "canonicalize";
  if (stopAfter == EmitKind::Nuri)
    return p;
  p += ",func.func(nuri-to-linalg),canonicalize,cse";
  if (stopAfter == EmitKind::Linalg)
    return p;
  return p + ",nuri-form-dispatches,symbol-dce";
}

/// "node 'conv1'" from a location built by the importer, or "".
static std::string nodeOf(Location loc) {
  std::string name;
  loc->walk([&](Location l) {
    if (auto n = dyn_cast<NameLoc>(l)) {
      name = n.getName().str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return name;
}

bool compileModel(const std::string &inputPath, const CompileOptions &options,
                  std::string &output, std::string &error) {
  DialectRegistry registry;
  registerCompilerDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  registerCompilerPasses();

  // Diagnostics become one line naming the ONNX node they come from.
  std::string firstError;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    if (d.getSeverity() != DiagnosticSeverity::Error || !firstError.empty())
      return success();
    std::string node = nodeOf(d.getLocation());
    firstError = inputPath + ": " + (node.empty() ? "" : "node '" + node + "': ") + d.str();
    return success();
  });

  for (const auto &t : options.targets)
    if (t != "cpu") {
      error = "unknown target '" + t + "' (available: cpu)";
      return false;
    }

  auto module = importOnnxFile(context, inputPath, options.import, error);
  if (!module)
    return false;
  if (failed(verify(*module))) {
    error = firstError.empty() ? inputPath + ": the imported module does not verify" : firstError;
    return false;
  }

  EmitKind stop = options.emit == EmitKind::LLVMIR ? EmitKind::Dispatches : options.emit;
  PassManager pm(&context);
  std::string diag;
  llvm::raw_string_ostream os(diag);
  if (failed(parsePassPipeline(frontendPipeline(stop == EmitKind::Artifact ? EmitKind::Dispatches : stop), pm, os))) {
    error = "internal error: " + diag;
    return false;
  }
  enableIRDumpAfter(pm, options.dumpIrAfter);
  if (failed(pm.run(*module))) {
    error = firstError.empty() ? inputPath + ": compilation failed" : firstError;
    return false;
  }
  if (options.emit != EmitKind::Artifact && options.emit != EmitKind::LLVMIR) {
    llvm::raw_string_ostream out(output);
    module->print(out);
    return true;
  }

  cpu::CpuTargetOptions cpuOptions = options.cpu;
  cpuOptions.dumpIrAfter = options.dumpIrAfter;
  std::string llvmIR;
  if (options.emit == EmitKind::LLVMIR)
    cpuOptions.onLLVMIR = [&](const std::string &s) { llvmIR = s; };
  cpu::CpuExecutable exe;
  if (!cpu::buildCpuExecutable(*module, cpuOptions, exe, error)) {
    if (!firstError.empty())
      error = firstError;
    else
      error = inputPath + ": " + error;
    return false;
  }
  if (options.emit == EmitKind::LLVMIR) {
    output = llvmIR;
    return true;
  }
  std::vector<ExecutableBlob> blobs;
  if (!exe.entryPoints.empty())
    blobs.push_back({"cpu", "elf-x86_64-so", exe.sharedObject, exe.entryPoints,
                     exe.dispatchNames, exe.workgroupCounts});
  if (!writeArtifact(*module, blobs, output, error)) {
    error = inputPath + ": " + error;
    return false;
  }
  return true;
}

} // namespace nuri
