//===- GraphVersions.h - the rest of a graph once per If branch -*- C++ -*-===//
#ifndef NURI_COMPILER_IMPORTER_GRAPHVERSIONS_H
#define NURI_COMPILER_IMPORTER_GRAPHVERSIONS_H

#include "compiler/importer/ImporterContext.h"

namespace nuri {

/// Imports node `index` of the graph into `scope`; `fork` is null where the
/// node may not ask for versions (see BranchFork).
using NodeImport =
    llvm::function_ref<mlir::LogicalResult(int index, std::map<std::string, mlir::Value> &scope,
                                           BranchFork *fork)>;
/// Binds each of `names` in `scope` to `cond ? a[k] : b[k]`, as If node
/// `index` would (selectValues).
using BranchMerge = llvm::function_ref<mlir::LogicalResult(
    int index, mlir::Value cond, llvm::ArrayRef<std::string> names, llvm::ArrayRef<mlir::Value> a,
    llvm::ArrayRef<mlir::Value> b, std::map<std::string, mlir::Value> &scope)>;

/// Imports `nodes` (indices into `g`, in dependency order) into `scope`. When
/// an If asks for versions, the nodes that depend on it are imported once per
/// branch, up to `versions` copies of any node in all, and `g`'s outputs they
/// give are merged; the others once.
mlir::LogicalResult importVersioned(const onnx::GraphProto &g, llvm::ArrayRef<int> nodes,
                                    std::map<std::string, mlir::Value> &scope, int versions,
                                    NodeImport importNode, BranchMerge merge);

} // namespace nuri

#endif
