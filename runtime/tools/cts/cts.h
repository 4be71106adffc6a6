// nuri-cts: the conformance kit a vendor runs on its driver (and target).
#ifndef NURI_TOOLS_CTS_H
#define NURI_TOOLS_CTS_H

#include <functional>
#include <string>
#include <vector>

namespace nuri::cts {

/// What is under test.
struct Target {
  std::string device;                     // driver name (or name:N)
  std::vector<std::string> driverPlugins; // loaded into every instance
  std::string kernels;                    // the kit's cpu kernels (.so)
};

struct Outcome {
  enum Kind { Pass, Fail, Skip } kind = Pass;
  bool pass = true;
  std::string detail; // what was expected and what happened
  static Outcome ok() { return {}; }
  static Outcome fail(std::string why) { return {Fail, false, std::move(why)}; }
  static Outcome skip(std::string why) { return {Skip, true, std::move(why)}; }
};

struct HalCheck {
  const char *name;
  const char *what;
  std::function<Outcome(const Target &)> run;
};

/// Every HAL check, in the order they run (hal_checks.cpp).
std::vector<HalCheck> halChecks();

} // namespace nuri::cts

#endif
