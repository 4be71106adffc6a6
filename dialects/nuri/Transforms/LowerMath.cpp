//===- LowerMath.cpp - nuri -> linalg: elementwise math ---===//
//
// Lowerings of the elementwise math, comparisons, logic, reductions and the softmax family.
//
//===----------------------------------------------------------------------===//
#include "dialects/nuri/Transforms/LoweringUtils.h"

using namespace mlir;
using namespace mlir::nuri;

namespace {
} // namespace

void mlir::nuri::populateMathLowerings(RewritePatternSet &patterns) {
  (void)patterns;
}
