// nuri-compare's reports: JSON (complete), Markdown (a summary for a CI log
// or a pull request) and one self-contained HTML page (no network).
#ifndef NURI_TOOLS_COMPARE_REPORT_H
#define NURI_TOOLS_COMPARE_REPORT_H

#include "compare.h"

#include <string>
#include <vector>

namespace nuri::compare {

/// One comparison of a model (or of one case of a kernel suite).
struct ModelReport {
  std::string name;      // model or case name
  std::string artifact;
  std::string reference; // device
  Tolerance tolerance;
  std::vector<DeviceRun> runs;            // runs[0] is the reference
  std::vector<DeviceComparison> compared; // one per other device
  std::vector<std::string> regressions;   // against a baseline
  std::string error;                      // a run that failed
  bool isolated = false;                  // each dispatch fed the reference's inputs
  bool pass() const;
};

std::string toJson(const std::vector<ModelReport> &reports, const std::string &mode);
std::string toMarkdown(const std::vector<ModelReport> &reports, const std::string &mode);
std::string toHtml(const std::vector<ModelReport> &reports, const std::string &mode);

/// Baselines: per model, device and dispatch, the worst relative L2 error
/// (or max abs error for exact and allclose results) and the time.
std::string baselineJson(const std::vector<ModelReport> &reports);
/// Adds to each report's `regressions` what grew past the thresholds:
/// error above baseline * (1 + errorGrowth) + 1e-6, time above baseline *
/// (1 + timeGrowth). Returns false with `error` on an unreadable baseline.
bool checkBaseline(const std::string &json, double errorGrowth, double timeGrowth,
                   std::vector<ModelReport> &reports, std::string &error);

} // namespace nuri::compare

#endif
