//===- LowerIndex.cpp - nuri -> linalg: gathers ---===//
//
// Lowerings of the gathers, scatters, padding, tiling and other index-driven data movement.
//
//===----------------------------------------------------------------------===//
#include "dialects/nuri/Transforms/LoweringUtils.h"

using namespace mlir;
using namespace mlir::nuri;

namespace {
} // namespace

void mlir::nuri::populateIndexLowerings(RewritePatternSet &patterns) {
  (void)patterns;
}
