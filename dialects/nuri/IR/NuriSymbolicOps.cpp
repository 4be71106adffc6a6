//===- NuriSymbolicOps.cpp - ops for symbolic dimensions -------------------===//
#include "dialects/nuri/IR/NuriDialect.h"

using namespace mlir;
using namespace mlir::nuri;

LogicalResult IotaOp::verify() {
  auto t = getOutput().getType();
  if (t.getRank() != 1)
    return emitOpError("result must be 1-D");
  if (getDelta() == 0)
    return emitOpError("delta must not be 0");
  return success();
}

LogicalResult TieShapeOp::verify() {
  if ((int64_t)getDims().size() != getInput().getType().getNumDynamicDims())
    return emitOpError("needs one dimension per dynamic dimension of ") << getInput().getType();
  return success();
}

LogicalResult TieShapeOp::reifyResultShapes(OpBuilder &b,
                                            ReifiedRankedShapedTypeDims &shapes) {
  auto t = getInput().getType();
  shapes.emplace_back();
  unsigned next = 0;
  for (int64_t d = 0; d < t.getRank(); ++d)
    shapes.back().push_back(t.isDynamicDim(d) ? OpFoldResult(getDims()[next++])
                                              : OpFoldResult(b.getIndexAttr(t.getDimSize(d))));
  return success();
}
