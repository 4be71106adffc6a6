// nuri-compare: runs one model on several devices, compares every dispatch's
// results with a reference device's, and reports the first divergent kernel.
#include "compare/compare.h"
#include "compare/report.h"
#include "process.h"

#include <algorithm>
#include <climits>
#include <functional>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using namespace nuri::compare;
using nuri::runCommand;
using nuri::sibling;

namespace {

const char *const kUsage =
    "usage: nuri-compare MODEL.onnx|MODEL.nuri --devices D1,D2[,...] [options]\n"
    "       nuri-compare --suite FILE.json --devices D1,D2[,...] [options]\n"
    "\n"
    "Runs the same artifact on each device, captures every dispatch's results\n"
    "(runtime dispatch tracing) and compares them with the reference device's.\n"
    "\n"
    "  --devices LIST          devices to run on, e.g. cpu,npu-sim (at least two)\n"
    "  --reference DEVICE      the device others are compared with (default: the first)\n"
    "  --input NAME=FILE       bind input NAME (.npy or TensorProto .pb); inputs not\n"
    "                          given get seeded random values (--seed N, default 1)\n"
    "  --target LIST           nuri-compile --target for an .onnx model (default:\n"
    "                          each device's target then cpu: npu for npu-sim,\n"
    "                          vulkan for vulkan, e.g. vulkan,npu,cpu)\n"
    "  --npu-preset NAME|FILE  nuri-compile --npu-preset (default datacenter)\n"
    "  --vulkan-target NAME    nuri-compile --vulkan-target (default lavapipe)\n"
    "  --plugin FILE           nuri-compile --plugin: a target plugin (repeatable)\n"
    "  --driver-plugin FILE    load a HAL driver plugin, so --devices can name it\n"
    "                          (repeatable; added to NURI_DRIVER_PATH)\n"
    "  --placement FILE        write, per model or case and device, where its\n"
    "                          dispatches ran: native (all on the device), partial,\n"
    "                          fallback (all host code) or wrong (outside tolerance);\n"
    "                          tab-separated: name, device, status, native, total\n"
    "  --suite FILE.json       kernel-suite mode: single-op cases (see docs/ci.md)\n"
    "  --report DIR            write report.json, report.md and report.html to DIR\n"
    "  --baseline FILE.json    flag error growth and time regressions against it\n"
    "  --write-baseline FILE   write this run's errors and times as a baseline\n"
    "  --error-growth X        allowed relative error growth over the baseline (default 0.5)\n"
    "  --time-growth X         allowed relative time growth (default 0.5)\n"
    "  --rtol X, --atol X      f32 allclose tolerances (default 1e-3, 1e-4)\n"
    "  --min-cosine X          bf16 tolerance (default 0.999)\n"
    "  --max-rel-l2 X          bf16 tolerance (default 3e-2)\n"
    "  --inject-fault DEVICE:N TEST ONLY: add 1 to dispatch N's results on DEVICE, to\n"
    "                          check that a divergence is found and located\n"
    "  --isolate               feed every dispatch the reference's inputs (its results\n"
    "                          replace the device's after they are recorded), so each\n"
    "                          dispatch's error is its own, not accumulated; the model\n"
    "                          outputs are then not compared\n"
    "  --quiet                 print only the verdict and errors\n"
    "\n"
    "Exit status: 0 all within tolerance, 1 a divergence or regression,\n"
    "2 a usage or load error.\n";

[[noreturn]] void usage(const std::string &message) {
  std::fprintf(stderr, "nuri-compare: error: %s\n%s", message.c_str(), kUsage);
  std::exit(2);
}

[[noreturn]] void fail(const std::string &message) {
  std::fprintf(stderr, "nuri-compare: error: %s\n", message.c_str());
  std::exit(2);
}

std::vector<std::string> split(const std::string &s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep))
    if (!item.empty())
      out.push_back(item);
  return out;
}

double number(const char *flag, const std::string &v) {
  char *end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (v.empty() || *end || !(d >= 0))
    usage(std::string(flag) + ": '" + v + "' is not a non-negative number");
  return d;
}

struct Options {
  std::string model, suite, reportDir, baseline, writeBaseline, reference, target;
  std::string npuPreset = "datacenter", vulkanTarget = "lavapipe";
  std::vector<std::string> devices, inputs, plugins;
  std::string placement;
  Tolerance tolerance;
  Fault fault;
  double errorGrowth = 0.5, timeGrowth = 0.5;
  uint64_t seed = 1;
  bool quiet = false, isolate = false;
};

/// Compiles an .onnx model next to the reports (or in a temporary folder).
std::string compileModel(const std::string &model, const Options &o, const fs::path &workDir,
                         std::string &error) {
  fs::path artifact = workDir / (fs::path(model).stem().string() + ".nuri");
  std::vector<std::string> argv{sibling("nuri-compile"), model, "-o", artifact.string(),
                                "--target", o.target, "--npu-preset", o.npuPreset,
                                "--vulkan-target", o.vulkanTarget};
  for (const std::string &plugin : o.plugins) {
    argv.push_back("--plugin");
    argv.push_back(plugin);
  }
  std::string output;
  int rc = runCommand(argv, output);
  if (rc != 0) {
    while (!output.empty() && output.back() == '\n')
      output.pop_back();
    error = "nuri-compile " + model + " failed (exit " + std::to_string(rc) + "): " + output;
    return "";
  }
  return artifact.string();
}

/// One comparison of an artifact across the devices.
ModelReport compareArtifact(const std::string &name, const std::string &artifact,
                            const std::vector<std::string> &inputSpecs, const Options &o) {
  ModelReport r;
  r.name = name;
  r.artifact = artifact;
  r.reference = o.reference;
  r.tolerance = o.tolerance;
  std::vector<nuri::HostTensor> inputs;
  if (!prepareInputs(artifact, inputSpecs, o.seed, inputs, r.error))
    return r;
  std::vector<std::string> order{o.reference};
  for (const std::string &d : o.devices)
    if (d != o.reference)
      order.push_back(d);
  for (const std::string &device : order) {
    DeviceRun run;
    const DeviceRun *feed = o.isolate && !r.runs.empty() ? &r.runs[0] : nullptr;
    if (!runOnDevice(artifact, device, inputs, o.fault, run, r.error, feed))
      return r;
    r.runs.push_back(std::move(run));
  }
  r.isolated = o.isolate;
  for (size_t k = 1; k < r.runs.size(); ++k) {
    r.compared.push_back(compareRuns(r.runs[0], r.runs[k], o.tolerance));
    if (o.isolate) // the outputs are the reference's own by construction
      r.compared.back().outputs.clear();
  }
  return r;
}

/// Where each model's dispatches ran on each compared device (--placement).
std::string placementTsv(const std::vector<ModelReport> &reports) {
  std::string out;
  for (const ModelReport &r : reports) {
    for (size_t k = 1; k < r.runs.size(); ++k) {
      size_t native = 0, total = r.runs[k].dispatches.size();
      for (const DispatchRun &d : r.runs[k].dispatches)
        native += d.format != "elf-x86_64-so";
      bool pass = k - 1 < r.compared.size() && r.compared[k - 1].pass;
      const char *status = !r.error.empty() ? "error"
                           : !pass         ? "wrong"
                           : native == total && total ? "native"
                           : native ? "partial" : "fallback";
      out += r.name + "\t" + r.runs[k].device + "\t" + status + "\t" + std::to_string(native) +
             "\t" + std::to_string(total) + "\n";
    }
    if (r.runs.size() < 2 && !r.error.empty())
      out += r.name + "\t-\terror\t0\t0\n";
  }
  return out;
}

bool writeFile(const fs::path &path, const std::string &text) {
  std::ofstream f(path, std::ios::binary);
  return f && f.write(text.data(), text.size());
}

} // namespace

// Kernel-suite mode (suite.cpp): compiles each case of the suite as a small
// model and compares it; returns one report per case.
bool runSuite(const std::string &suite, const fs::path &workDir,
              const std::function<std::string(const std::string &, const fs::path &,
                                              std::string &)> &compile,
              const std::function<ModelReport(const std::string &, const std::string &)> &compare,
              std::vector<ModelReport> &reports, std::string &error);

int main(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc)
        usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--devices") {
      o.devices = split(value(), ',');
    } else if (a == "--reference") {
      o.reference = value();
    } else if (a == "--input") {
      o.inputs.push_back(value());
    } else if (a == "--target") {
      o.target = value();
    } else if (a == "--npu-preset") {
      o.npuPreset = value();
    } else if (a == "--vulkan-target") {
      o.vulkanTarget = value();
    } else if (a == "--plugin") {
      o.plugins.push_back(value());
    } else if (a == "--driver-plugin") {
      std::string file = value();
      const char *path = std::getenv("NURI_DRIVER_PATH");
      std::string joined = path && *path ? std::string(path) + ":" + file : file;
      setenv("NURI_DRIVER_PATH", joined.c_str(), 1);
    } else if (a == "--placement") {
      o.placement = value();
    } else if (a == "--suite") {
      o.suite = value();
    } else if (a == "--report") {
      o.reportDir = value();
    } else if (a == "--baseline") {
      o.baseline = value();
    } else if (a == "--write-baseline") {
      o.writeBaseline = value();
    } else if (a == "--error-growth") {
      o.errorGrowth = number("--error-growth", value());
    } else if (a == "--time-growth") {
      o.timeGrowth = number("--time-growth", value());
    } else if (a == "--rtol") {
      o.tolerance.rtol = number("--rtol", value());
    } else if (a == "--atol") {
      o.tolerance.atol = number("--atol", value());
    } else if (a == "--min-cosine") {
      o.tolerance.minCosine = number("--min-cosine", value());
    } else if (a == "--max-rel-l2") {
      o.tolerance.maxRelL2 = number("--max-rel-l2", value());
    } else if (a == "--seed") {
      o.seed = uint64_t(number("--seed", value()));
    } else if (a == "--inject-fault") {
      std::string spec = value();
      size_t colon = spec.rfind(':');
      char *end = nullptr;
      long n = colon == std::string::npos ? -1 : std::strtol(spec.c_str() + colon + 1, &end, 10);
      if (colon == std::string::npos || colon == 0 || !end || *end || n < 0)
        usage("--inject-fault '" + spec + "': expected DEVICE:DISPATCH, e.g. npu-sim:3");
      o.fault = Fault{spec.substr(0, colon), n};
    } else if (a == "--isolate") {
      o.isolate = true;
    } else if (a == "--quiet") {
      o.quiet = true;
    } else if (!a.empty() && a[0] == '-') {
      usage("unknown option '" + a + "'");
    } else if (o.model.empty()) {
      o.model = a;
    } else {
      usage("more than one model given ('" + o.model + "', '" + a + "')");
    }
  }
  if (o.model.empty() == o.suite.empty())
    usage("give one MODEL or --suite FILE");
  if (o.devices.size() < 2)
    usage("--devices needs at least two devices, e.g. cpu,npu-sim");
  if (o.reference.empty())
    o.reference = o.devices[0];
  if (std::find(o.devices.begin(), o.devices.end(), o.reference) == o.devices.end())
    usage("--reference '" + o.reference + "' is not one of --devices");
  if (!o.fault.device.empty() &&
      std::find(o.devices.begin(), o.devices.end(), o.fault.device) == o.devices.end())
    usage("--inject-fault: '" + o.fault.device + "' is not one of --devices");
  if (o.target.empty()) {
    // Code for every device compared: each device's target, then the cpu.
    for (const std::string &d : o.devices) {
      std::string driver = d.substr(0, d.find(':'));
      std::string t = driver == "npu-sim"                      ? "npu"
                      : driver == "vulkan" || driver == "cuda" ? driver
                                                               : "";
      if (!t.empty() && o.target.find(t) == std::string::npos)
        o.target += t + ",";
    }
    o.target += "cpu";
  }

  fs::path workDir;
  std::error_code ec;
  if (!o.reportDir.empty()) {
    fs::create_directories(o.reportDir, ec);
    if (ec)
      fail("cannot create " + o.reportDir + ": " + ec.message());
    workDir = o.reportDir;
  } else {
    char pattern[] = "/tmp/nuri-compare.XXXXXX";
    if (!mkdtemp(pattern))
      fail("cannot create a temporary folder");
    workDir = pattern;
  }

  std::vector<ModelReport> reports;
  std::string error;
  auto compile = [&](const std::string &model, const fs::path &dir, std::string &err) {
    return compileModel(model, o, dir, err);
  };
  if (!o.suite.empty()) {
    auto compare = [&](const std::string &name, const std::string &artifact) {
      return compareArtifact(name, artifact, {}, o);
    };
    if (!runSuite(o.suite, workDir, compile, compare, reports, error))
      fail(error);
  } else {
    if (!fs::exists(o.model))
      fail(o.model + ": no such file");
    std::string artifact = o.model;
    if (fs::path(o.model).extension() == ".onnx") {
      artifact = compile(o.model, workDir, error);
      if (artifact.empty())
        fail(error);
    }
    reports.push_back(compareArtifact(fs::path(o.model).stem().string(), artifact, o.inputs, o));
    if (!reports.back().error.empty())
      fail(reports.back().error);
  }
  if (!o.baseline.empty()) {
    std::ifstream f(o.baseline);
    std::stringstream text;
    text << f.rdbuf();
    if (!f || !checkBaseline(text.str(), o.errorGrowth, o.timeGrowth, reports, error))
      fail(o.baseline + ": " + (error.empty() ? "cannot read" : error));
  }
  std::string mode = o.suite.empty() ? "model" : "suite";
  if (!o.writeBaseline.empty() && !writeFile(o.writeBaseline, baselineJson(reports)))
    fail("cannot write " + o.writeBaseline);
  if (!o.reportDir.empty() &&
      (!writeFile(workDir / "report.json", toJson(reports, mode)) ||
       !writeFile(workDir / "report.md", toMarkdown(reports, mode)) ||
       !writeFile(workDir / "report.html", toHtml(reports, mode))))
    fail("cannot write the reports in " + o.reportDir);
  if (!o.placement.empty() && !writeFile(o.placement, placementTsv(reports)))
    fail("cannot write " + o.placement);
  if (o.reportDir.empty())
    fs::remove_all(workDir, ec);

  bool pass = std::all_of(reports.begin(), reports.end(), [](auto &r) { return r.pass(); });
  if (!o.quiet)
    std::fputs(toMarkdown(reports, mode).c_str(), stdout);
  else
    std::printf("nuri-compare: %s\n", pass ? "all within tolerance" : "divergence or regression");
  return pass ? 0 : 1;
}
