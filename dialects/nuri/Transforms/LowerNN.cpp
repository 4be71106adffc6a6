//===- LowerNN.cpp - nuri -> linalg: neural-network ops: resize ---===//
//
// Lowerings of the neural-network ops: resize, transposed convolution, normalizations, einsum.
//
//===----------------------------------------------------------------------===//
#include "dialects/nuri/Transforms/LoweringUtils.h"

using namespace mlir;
using namespace mlir::nuri;

namespace {
} // namespace

void mlir::nuri::populateNNLowerings(RewritePatternSet &patterns) {
  (void)patterns;
}
