//===- Pipeline.cpp - the nuri-compile driver -----------------------------===//
#include "compiler/pipeline/Pipeline.h"
#include "compiler/serialize/ArtifactWriter.h"
#include "compiler/support/IRDump.h"
#include "dialects/nuri/IR/NuriDialect.h"
#include "dialects/nuri/Transforms/Passes.h"
#include "dialects/npu/IR/NpuDialect.h"
#include "compiler/pipeline/Report.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include <algorithm>

using namespace mlir;

namespace nuri {

/// The targets that registered themselves (TargetRegistration), by order.
static const std::vector<std::unique_ptr<TargetBackend>> &backends() {
  static const std::vector<std::unique_ptr<TargetBackend>> all = [] {
    auto registrations = targetRegistrations();
    std::stable_sort(registrations.begin(), registrations.end(),
                     [](const auto &a, const auto &b) { return a.first < b.first; });
    std::vector<std::unique_ptr<TargetBackend>> v;
    for (auto &[order, factory] : registrations)
      v.push_back(factory());
    return v;
  }();
  return all;
}

const TargetBackend *lookupTargetBackend(llvm::StringRef name) {
  for (const auto &backend : backends())
    if (backend->name() == name)
      return backend.get();
  return nullptr;
}

std::string registeredTargetNames() {
  std::string names;
  for (const auto &backend : backends())
    names += (names.empty() ? "" : ", ") + backend->name().str();
  return names;
}

void registerCompilerDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  // LLVM IR translation of every dialect (the cuda target's gpu.module, nvvm).
  registerAllToLLVMIRTranslations(registry);
  registry.insert<mlir::nuri::NuriDialect, mlir::npu::NpuDialect>();
}

void registerCompilerPasses() {
  static bool done = false;
  if (done)
    return;
  done = true;
  registerAllPasses();
  mlir::nuri::registerNuriPasses();
  for (const auto &backend : backends())
    backend->registerPasses();
}

std::string frontendPipeline(EmitKind stopAfter) {
  std::string p = "canonicalize";
  if (stopAfter == EmitKind::Nuri)
    return p;
  p += ",func.func(nuri-to-linalg),canonicalize,resolve-ranked-shaped-type-result-dims,cse";
  if (stopAfter == EmitKind::Linalg)
    return p;
  return p + ",nuri-form-dispatches,symbol-dce";
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
    auto names = mlir::nuri::nodeNames(d.getLocation());
    std::string node = names.empty() ? "" : names.front().str();
    firstError = inputPath + ": " + (node.empty() ? "" : "node '" + node + "': ") + d.str();
    return success();
  });

  std::vector<const TargetBackend *> targets;
  for (const auto &t : options.targets) {
    const TargetBackend *backend = lookupTargetBackend(t);
    if (!backend) {
      error = "unknown target '" + t + "' (available: " + registeredTargetNames() + ")";
      return false;
    }
    targets.push_back(backend);
  }

  auto module = importOnnxFile(context, inputPath, options.import, error);
  if (!module)
    return false;
  if (failed(verify(*module))) {
    error = firstError.empty() ? inputPath + ": the imported module does not verify" : firstError;
    return false;
  }

  bool targetIR = options.emit == EmitKind::LLVMIR || options.emit == EmitKind::SPIRV ||
                  options.emit == EmitKind::PTX;
  EmitKind stop = targetIR ? EmitKind::Dispatches : options.emit;
  PassManager pm(&context);
  std::string diag;
  llvm::raw_string_ostream os(diag);
  if (failed(parsePassPipeline(frontendPipeline(stop), pm, os))) {
    error = "internal error: " + diag;
    return false;
  }
  enableIRDumpAfter(pm, options.dumpIrAfter);
  if (failed(pm.run(*module))) {
    error = firstError.empty() ? inputPath + ": compilation failed" : firstError;
    return false;
  }
  if (options.emit != EmitKind::Artifact && !targetIR) {
    llvm::raw_string_ostream out(output);
    module->print(out);
    return true;
  }

  TargetOptions targetOptions = options.target;
  targetOptions.dumpIrAfter = options.dumpIrAfter;
  std::string llvmIR;
  if (options.emit == EmitKind::LLVMIR)
    targetOptions.onLLVMIR = [&](const std::string &s) { llvmIR += s; };
  if (options.emit == EmitKind::PTX)
    targetOptions.onPTX = [&](const std::string &s) { llvmIR += s; };
  if (options.emit == EmitKind::SPIRV)
    targetOptions.onSPIRV = [&](const std::string &s) {
      // One spirv.module per chunk: mlir-translate --split-input-file
      // --serialize-spirv takes them one by one.
      llvmIR += (llvmIR.empty() ? "" : "// -----\n") + s;
    };
  // Partitioning: each target compiles the dispatches it runs natively (the
  // cpu compiles all of them); the first target in the list that has a
  // dispatch runs it and the next one is its fallback (see ArtifactWriter).
  std::vector<ExecutableBlob> built, blobs;
  for (const TargetBackend *backend : targets) {
    ExecutableBlob blob;
    if (!backend->build(*module, targetOptions, blob, error)) {
      error = !firstError.empty() ? firstError : inputPath + ": " + error;
      return false;
    }
    built.push_back(blob);
    if (!blob.entryPoints.empty())
      blobs.push_back(std::move(blob));
  }
  if (options.onReport)
    options.onReport(partitionReport(*module, inputPath, targets, built, targetOptions));
  if (options.emit == EmitKind::LLVMIR) {
    output = llvmIR;
    return true;
  }
  if (options.emit == EmitKind::SPIRV || options.emit == EmitKind::PTX) {
    output = llvmIR;
    return true;
  }
  std::vector<std::string> compiledFor;
  for (const TargetBackend *backend : targets)
    compiledFor.push_back(backend->name().str());
  if (!writeArtifact(*module, blobs, compiledFor, output, error)) {
    error = inputPath + ": " + error;
    return false;
  }
  return true;
}

} // namespace nuri
