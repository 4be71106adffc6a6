//===- NuriIndexOps.cpp - verifiers and type inference: gathers ---===//
#include "dialects/nuri/IR/NuriDialect.h"

using namespace mlir;
using namespace mlir::nuri;
