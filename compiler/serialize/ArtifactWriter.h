//===- ArtifactWriter.h - host program + executables to .nuri ---*- C++ -*-===//
#ifndef NURI_COMPILER_SERIALIZE_ARTIFACTWRITER_H
#define NURI_COMPILER_SERIALIZE_ARTIFACTWRITER_H

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace nuri {

/// One target's compiled code.
struct ExecutableBlob {
  std::string target;                   // "cpu"
  std::string format;                   // "elf-x86_64-so"
  std::string data;
  std::vector<std::string> entryPoints;
  std::vector<std::string> dispatchNames; // dispatch_N implemented by entry i
  std::vector<int64_t> workgroupCounts;
  /// Dispatches this target left to the next one, with the reason.
  std::vector<std::pair<std::string, std::string>> notCompiled;
};

/// Builds the FlatBuffers artifact from @main of `module` (calls to
/// dispatches, reshapes that alias buffers, weights) and the executables;
/// `targets` are the ones compiled for (Model.targets).
/// Returns false with `error` set on IR it cannot express.
bool writeArtifact(mlir::ModuleOp module, const std::vector<ExecutableBlob> &executables,
                   const std::vector<std::string> &targets, std::string &bytes,
                   std::string &error);

} // namespace nuri

#endif
