//===- NuriDialect.cpp ----------------------------------------------------===//
#include "dialects/nuri/IR/NuriDialect.h"

using namespace mlir;
using namespace mlir::nuri;

#include "dialects/nuri/IR/NuriDialect.cpp.inc"

void NuriDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/nuri/IR/NuriOps.cpp.inc"
      >();
}

Operation *NuriDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                            Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}
