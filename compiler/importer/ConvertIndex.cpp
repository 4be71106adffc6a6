//===- ConvertIndex.cpp - ONNX converters: gathers ---===//
#include "compiler/importer/ImporterContext.h"

using namespace mlir;
using namespace mlir::nuri;

namespace nuri {

void registerIndexConverters(ConverterMap &table) {
  (void)table;
}

} // namespace nuri
