//===- ConvertNN.cpp - ONNX converters: neural-network ops: resize ---===//
#include "compiler/importer/ImporterContext.h"

using namespace mlir;
using namespace mlir::nuri;

namespace nuri {

void registerNNConverters(ConverterMap &table) {
  (void)table;
}

} // namespace nuri
