//===- Report.h - which device runs each dispatch ---------------*- C++ -*-===//
#ifndef NURI_COMPILER_PIPELINE_REPORT_H
#define NURI_COMPILER_PIPELINE_REPORT_H

#include "compiler/pipeline/TargetBackend.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace nuri {

/// The text of nuri-compile --report: per dispatch (in host program order)
/// its ONNX nodes, MACs, the target that runs it and why earlier targets
/// did not; then ops and MACs per target. `built[i]` is what `targets[i]`
/// compiled.
std::string partitionReport(mlir::ModuleOp module, const std::string &inputPath,
                            const std::vector<const TargetBackend *> &targets,
                            const std::vector<ExecutableBlob> &built,
                            const TargetOptions &options);

} // namespace nuri

#endif
