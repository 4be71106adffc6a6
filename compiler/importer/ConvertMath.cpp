//===- ConvertMath.cpp - ONNX converters: elementwise math ---===//
#include "compiler/importer/ImporterContext.h"

using namespace mlir;
using namespace mlir::nuri;

namespace nuri {

void registerMathConverters(ConverterMap &table) {
  (void)table;
}

} // namespace nuri
