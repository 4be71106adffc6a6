//===- NuriNNOps.cpp - verifiers and type inference: neural-network ops: resize ---===//
#include "dialects/nuri/IR/NuriDialect.h"

using namespace mlir;
using namespace mlir::nuri;
