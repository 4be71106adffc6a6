// Kernel-suite mode of nuri-compare.
#include "compare/report.h"

#include <filesystem>
#include <functional>

namespace fs = std::filesystem;
using namespace nuri::compare;

bool runSuite(const std::string &suite, const fs::path &,
              const std::function<std::string(const std::string &, const fs::path &,
                                              std::string &)> &,
              const std::function<ModelReport(const std::string &, const std::string &)> &,
              std::vector<ModelReport> &, std::string &error) {
  error = suite + ": kernel-suite mode is not in this build yet";
  return false;
}
