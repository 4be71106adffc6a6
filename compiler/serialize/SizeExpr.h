//===- SizeExpr.h - index arithmetic on the symbols to SizeExpr -*- C++ -*-===//
#ifndef NURI_COMPILER_SERIALIZE_SIZEEXPR_H
#define NURI_COMPILER_SERIALIZE_SIZEEXPR_H

#include "mlir/IR/Value.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nuri {

/// A postfix program over the symbols (schemas/artifact.fbs, SizeExpr).
struct SizeProgram {
  std::vector<uint8_t> ops;
  std::vector<int64_t> args;
};

/// Appends the program computing the `index` value `v` in @main: constants,
/// sizes read from the symbols table `symbols` (index_cast of
/// tensor.extract), arith and affine.apply on those. Returns false with
/// `error` set for anything else (a size that depends on data).
bool appendSizeProgram(mlir::Value v, mlir::Value symbols, SizeProgram &program,
                       std::string &error);

/// The program for `factor` times the product of `sizes`.
bool productProgram(int64_t factor, llvm::ArrayRef<mlir::Value> sizes, mlir::Value symbols,
                    SizeProgram &program, std::string &error);

} // namespace nuri

#endif
