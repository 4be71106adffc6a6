//===- NuriMathOps.cpp - verifiers and type inference: elementwise math ---===//
#include "dialects/nuri/IR/NuriDialect.h"

using namespace mlir;
using namespace mlir::nuri;
