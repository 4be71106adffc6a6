// Symbolic dimensions at run time: a module compiled once for every batch or
// sequence length carries SizeExpr programs (schemas/artifact.fbs) that give
// buffer sizes and output dimensions from the input shapes of each call.
#ifndef NURI_MODULE_SYMBOLS_H
#define NURI_MODULE_SYMBOLS_H

#include "nuri/schemas/artifact_generated.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nuri {

// Empty when `expr` is a well-formed program over `symbolCount` symbols
// (every op known, one arg per op, the stack never underflows and ends
// with one value); else why not.
std::string checkSizeExpr(const artifact::SizeExpr *expr, size_t symbolCount);

// Evaluates a checked program; false (with `why`) on division by zero,
// overflow or a negative result.
bool evalSizeExpr(const artifact::SizeExpr *expr, const std::vector<int64_t> &symbols,
                  int64_t &out, std::string &why);

} // namespace nuri

#endif // NURI_MODULE_SYMBOLS_H
