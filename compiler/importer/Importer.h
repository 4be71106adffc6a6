//===- Importer.h - ONNX ModelProto to the nuri dialect ---------*- C++ -*-===//
#ifndef NURI_COMPILER_IMPORTER_IMPORTER_H
#define NURI_COMPILER_IMPORTER_IMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace nuri {

struct ImportOptions {
  /// Fixes dynamic (or overrides) input dimensions: name -> shape.
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// Bytes each string element occupies (UTF-8, NUL-padded): string inputs
  /// longer than this are rejected at run time.
  int64_t stringBytes = 64;
  /// Sequence inputs: name -> number of elements (each becomes input NAME[k]).
  std::map<std::string, int64_t> sequenceLengths;
  /// Optional inputs compiled as empty (the others are compiled present).
  std::set<std::string> absentOptionals;
  /// Inputs frozen to constant values (name -> the values, row-major): they
  /// are no longer inputs of the artifact, and what depends only on them
  /// folds (an If on a sample rate takes its branch).
  std::map<std::string, std::vector<double>> inputValues;
  /// Symbolic input dimensions (a dim_param, or no dim_value) are compiled
  /// once for every size; the runtime accepts sizes in [min, max] (name ->
  /// bounds, default [1, kMaxSymbolicDim]).
  std::map<std::string, std::pair<int64_t, int64_t>> dimBounds;
};

/// The default upper bound of a symbolic dimension.
constexpr int64_t kMaxSymbolicDim = int64_t(1) << 31;

/// Reads an ONNX model file (with its external data, confined to the model's
/// folder) and builds a module with one `func.func @main` in the nuri
/// dialect. On failure returns null and sets `error` to a one-line message
/// that names the file and, where it applies, the node, its op type and the
/// opset.
mlir::OwningOpRef<mlir::ModuleOp> importOnnxFile(mlir::MLIRContext &context,
                                                 const std::string &path,
                                                 const ImportOptions &options,
                                                 std::string &error);

/// Parses "NAME:1x3x224x224" into `options`; false on a malformed spec.
bool parseInputShape(const std::string &spec, ImportOptions &options);
/// Parses "NAME:N" (a sequence input's length) into `options`.
bool parseSequenceLength(const std::string &spec, ImportOptions &options);
/// Parses "NAME:V[,V...]" (an input frozen to these values) into `options`.
bool parseInputValue(const std::string &spec, ImportOptions &options);
/// Parses "NAME:MAX" or "NAME:MIN..MAX" (a symbolic dimension's bounds).
bool parseDimBound(const std::string &spec, ImportOptions &options);

} // namespace nuri

#endif
