//===- Pipeline.h - ONNX file to .nuri artifact -----------------*- C++ -*-===//
#ifndef NURI_COMPILER_PIPELINE_PIPELINE_H
#define NURI_COMPILER_PIPELINE_PIPELINE_H

#include "compiler/importer/Importer.h"
#include "compiler/pipeline/TargetBackend.h"

#include "mlir/IR/DialectRegistry.h"

#include <functional>
#include <string>
#include <vector>

namespace nuri {

enum class EmitKind { Artifact, Nuri, Linalg, Dispatches, LLVMIR, SPIRV, PTX };

struct CompileOptions {
  std::vector<std::string> targets{"cpu"};
  ImportOptions import;
  TargetOptions target;
  std::string dumpIrAfter; // pass argument or "all"
  EmitKind emit = EmitKind::Artifact;
  /// Receives the partition report (nuri-compile --report) of an artifact.
  std::function<void(const std::string &)> onReport;
};

/// Dialects, interfaces and passes the compiler uses (nuri-opt too).
void registerCompilerDialects(mlir::DialectRegistry &registry);
void registerCompilerPasses();

/// The frontend pipeline: nuri canonicalization, nuri-to-linalg, dispatches.
std::string frontendPipeline(EmitKind stopAfter);

/// Compiles `inputPath` and returns the artifact (or IR text for --emit).
/// Errors are one line: they name the file and, where known, the node.
bool compileModel(const std::string &inputPath, const CompileOptions &options,
                  std::string &output, std::string &error);

} // namespace nuri

#endif
