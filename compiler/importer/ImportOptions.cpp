//===- ImportOptions.cpp - nuri-compile's import flags ---------------------===//
//
// The textual forms of --input-shape, --sequence-length, --input-value and
// --dim-bound, and the constant an --input-value freezes an input to.
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/Importer.h"
#include "compiler/importer/ImporterContext.h"

#include "mlir/IR/BuiltinAttributes.h"

#include <cmath>
#include <sstream>

using namespace mlir;

namespace nuri {

bool parseInputShape(const std::string &spec, ImportOptions &options) {
  auto colon = spec.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size())
    return false;
  std::vector<int64_t> dims;
  if (spec.substr(colon + 1) != "scalar") {
    std::stringstream ss(spec.substr(colon + 1));
    std::string part;
    while (std::getline(ss, part, 'x')) {
      int64_t d;
      if (part.empty() || part.size() > 12 ||
          part.find_first_not_of("0123456789") != std::string::npos ||
          llvm::StringRef(part).getAsInteger(10, d))
        return false;
      dims.push_back(d);
    }
  }
  options.inputShapes[spec.substr(0, colon)] = dims;
  return true;
}

bool parseSequenceLength(const std::string &spec, ImportOptions &options) {
  auto colon = spec.rfind(':');
  int64_t n;
  if (colon == std::string::npos || colon == 0 ||
      llvm::StringRef(spec).substr(colon + 1).getAsInteger(10, n) || n < 0 || n > 100000)
    return false;
  options.sequenceLengths[spec.substr(0, colon)] = n;
  return true;
}

bool parseInputValue(const std::string &spec, ImportOptions &options) {
  auto colon = spec.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size())
    return false;
  std::vector<double> values;
  std::stringstream ss(spec.substr(colon + 1));
  std::string part;
  while (std::getline(ss, part, ',')) {
    char *end = nullptr;
    double v = std::strtod(part.c_str(), &end);
    if (part.empty() || *end || !std::isfinite(v))
      return false;
    values.push_back(v);
  }
  options.inputValues[spec.substr(0, colon)] = values;
  return true;
}

bool parseDimBound(const std::string &spec, ImportOptions &options) {
  auto colon = spec.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size())
    return false;
  std::string range = spec.substr(colon + 1);
  auto dots = range.find("..");
  auto number = [](const std::string &t, int64_t &v) {
    char *end = nullptr;
    long long x = std::strtoll(t.c_str(), &end, 10);
    if (t.empty() || *end || x < 1 || x > kMaxSymbolicDim)
      return false;
    v = x;
    return true;
  };
  int64_t lo = 1, hi = 0;
  if (dots == std::string::npos ? !number(range, hi)
                                : !number(range.substr(0, dots), lo) ||
                                      !number(range.substr(dots + 2), hi))
    return false;
  if (lo > hi)
    return false;
  options.dimBounds[spec.substr(0, colon)] = {lo, hi};
  return true;
}

/// A graph input frozen by --input-value: a constant of its declared type.
FailureOr<DenseElementsAttr> frozenInput(RankedTensorType type, const std::vector<double> &values,
                                         const std::string &name, std::string &error) {
  if (!type.hasStaticShape()) {
    error = "--input-value freezes input '" + name + "', which has a symbolic dimension: give "
            "--input-shape " + name + ":DIMS too";
    return failure();
  }
  if ((int64_t)values.size() != type.getNumElements()) {
    error = "--input-value gives " + std::to_string(values.size()) + " value(s) for input '" +
            name + "', which has " + std::to_string(type.getNumElements()) + " element(s)";
    return failure();
  }
  Type et = type.getElementType();
  SmallVector<Attribute> elems;
  for (double v : values) {
    if (auto it = dyn_cast<IntegerType>(et)) {
      if (v != std::trunc(v) || std::fabs(v) >= 9.2e18) {
        error = "--input-value for integer input '" + name + "' is not an integer";
        return failure();
      }
      elems.push_back(IntegerAttr::get(et, APInt(it.getWidth(), (uint64_t)(int64_t)v,
                                                 /*isSigned=*/true, /*implicitTrunc=*/true)));
    } else if (auto ft = dyn_cast<FloatType>(et)) {
      APFloat f(v);
      bool lost;
      f.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
      elems.push_back(FloatAttr::get(et, f));
    } else {
      error = "--input-value: input '" + name + "' is not a number tensor";
      return failure();
    }
  }
  return DenseElementsAttr::get(type, elems);
}

} // namespace nuri
