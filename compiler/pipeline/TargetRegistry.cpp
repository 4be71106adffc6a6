//===- TargetRegistry.cpp - the targets that registered themselves --------===//
//
// A library of its own, so every target library can register into it
// without linking the pipeline that reads it.
//
//===----------------------------------------------------------------------===//
#include "compiler/pipeline/TargetBackend.h"

namespace nuri {

std::vector<std::pair<int, TargetRegistration::Factory>> &targetRegistrations() {
  // Function-local: registrations run from other libraries' static
  // initializers, in whatever order the loader runs them.
  static std::vector<std::pair<int, TargetRegistration::Factory>> all;
  return all;
}

TargetRegistration::TargetRegistration(int order, Factory factory) {
  targetRegistrations().emplace_back(order, factory);
}

} // namespace nuri
