// nuri-cts: the conformance kit. For a driver (built in, or a plugin) it
// runs the HAL checks, each in its own process so a crash or a hang fails
// that check alone; with a target (built in, or a target plugin) it also
// runs nuri-compare's kernel suite on the device against the cpu and
// tabulates, per case, whether the device ran it natively, fell back to
// cpu code, or got it wrong. Exit 0 only when every required check passes.
#include "cts/cts.h"
#include "process.h"

#include "nuri/runtime.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace nuri::cts;

namespace {

const char *const kUsage =
    "usage: nuri-cts --device NAME [--driver-plugin FILE]... [options]\n"
    "\n"
    "Checks a HAL driver against what the Nuri runtime relies on, and with\n"
    "--target a compiler target with it, and reports every check.\n"
    "\n"
    "  --device NAME          the driver's device (cpu, npu-sim, vulkan, a plugin's)\n"
    "  --driver-plugin FILE   load the driver from a plugin (nuri/driver_plugin.h;\n"
    "                         repeatable); --device defaults to its driver's name\n"
    "  --target NAME          also run the kernel suite compiled for NAME,cpu on the\n"
    "                         device, compared with the cpu\n"
    "  --plugin FILE          a target plugin providing --target (repeatable)\n"
    "  --suite FILE.json      the kernel suite (default: tests/compare/kernels.json)\n"
    "  --node-suite           with --target, also run the ONNX backend node suite\n"
    "                         (tests/conformance/run.py, libonnx-testdata) compiled for\n"
    "                         NAME,cpu on the device; a case the cpu passes must pass\n"
    "  --node-filter REGEX    only the node-suite cases matching REGEX\n"
    "  --metric f32|bf16      the node suite's float tolerance: f32 (default) or bf16\n"
    "                         for a device that computes in bf16 (cosine >= 0.999,\n"
    "                         relative L2 <= 3e-2)\n"
    "  --only LIST            run only these HAL checks (comma-separated names)\n"
    "  --timeout SECONDS      per HAL check (default 60)\n"
    "  --report FILE          also write the report (Markdown) to FILE\n"
    "  --help\n"
    "\n"
    "Exit status: 0 every required check passed, 1 one failed, 2 usage error.\n";

[[noreturn]] void usage(const std::string &message) {
  std::fprintf(stderr, "nuri-cts: error: %s\n(try nuri-cts --help)\n", message.c_str());
  std::exit(2);
}

struct Options {
  Target target;
  std::string compileTarget, suite = NURI_CTS_SUITE, report;
  std::vector<std::string> targetPlugins, only;
  bool nodeSuite = false;
  std::string nodeFilter, metric = "f32", conformance = NURI_CTS_CONFORMANCE;
  int timeout = 60;
};

std::vector<std::string> split(const std::string &s, char sep) {
  std::vector<std::string> parts;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, sep))
    if (!part.empty())
      parts.push_back(part);
  return parts;
}

/// Runs `check` in a child process: its outcome, or a failure saying how
/// the child died.
Outcome isolated(const HalCheck &check, const Target &target, int timeoutSeconds) {
  int pipefd[2];
  if (pipe(pipefd) != 0)
    return Outcome::fail("cannot create a pipe");
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid < 0)
    return Outcome::fail("cannot fork");
  if (pid == 0) {
    close(pipefd[0]);
    Outcome o = check.run(target);
    std::string message = std::string(o.kind == Outcome::Pass ? "P" : o.kind == Outcome::Skip ? "S" : "F") +
                          o.detail;
    ssize_t unused = write(pipefd[1], message.data(), message.size());
    (void)unused;
    close(pipefd[1]);
    _exit(0);
  }
  close(pipefd[1]);
  std::string message;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeoutSeconds);
  bool timedOut = false;
  for (;;) {
    int left = int(std::chrono::duration_cast<std::chrono::milliseconds>(
                       deadline - std::chrono::steady_clock::now())
                       .count());
    if (left <= 0) {
      timedOut = true;
      break;
    }
    pollfd p{pipefd[0], POLLIN, 0};
    int ready = poll(&p, 1, left);
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready <= 0) {
      timedOut = ready == 0;
      break;
    }
    char buffer[4096];
    ssize_t got = read(pipefd[0], buffer, sizeof buffer);
    if (got <= 0)
      break;
    message.append(buffer, size_t(got));
  }
  close(pipefd[0]);
  if (timedOut)
    kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  if (timedOut)
    return Outcome::fail("did not finish within " + std::to_string(timeoutSeconds) + " s (a hang)");
  if (WIFSIGNALED(status))
    return Outcome::fail(std::string("crashed (") + strsignal(WTERMSIG(status)) + ")");
  if (message.empty())
    return Outcome::fail("exited without a result (status " + std::to_string(WEXITSTATUS(status)) + ")");
  Outcome o;
  o.kind = message[0] == 'P' ? Outcome::Pass : message[0] == 'S' ? Outcome::Skip : Outcome::Fail;
  o.pass = o.kind != Outcome::Fail;
  o.detail = message.substr(1);
  return o;
}

/// The plugins under test, passed on to nuri-compare or run.py.
void appendPlugins(const Options &o, std::vector<std::string> &argv) {
  for (const std::string &p : o.targetPlugins)
    argv.insert(argv.end(), {"--plugin", p});
  for (const std::string &p : o.target.driverPlugins)
    argv.insert(argv.end(), {"--driver-plugin", p});
}

struct CaseResult {
  std::string name, status;
  int native = 0, total = 0;
};

/// The kernel suite through nuri-compare; false with `error` when it could
/// not run at all.
bool kernelSuite(const Options &o, std::vector<CaseResult> &cases, std::string &error) {
  char pattern[] = "/tmp/nuri-cts.XXXXXX";
  if (!mkdtemp(pattern)) {
    error = "cannot create a temporary folder";
    return false;
  }
  fs::path work = pattern;
  fs::path placement = work / "placement.tsv";
  std::vector<std::string> argv{nuri::sibling("nuri-compare"), "--suite", o.suite, "--devices",
                                "cpu," + o.target.device, "--target", o.compileTarget + ",cpu",
                                "--report", (work / "report").string(), "--placement",
                                placement.string(), "--quiet"};
  appendPlugins(o, argv);
  std::string output;
  int rc = nuri::runCommand(argv, output);
  std::ifstream f(placement);
  std::string line;
  while (std::getline(f, line)) {
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, '\t'))
      cols.push_back(col);
    if (cols.size() == 5)
      cases.push_back({cols[0], cols[2], std::atoi(cols[3].c_str()), std::atoi(cols[4].c_str())});
  }
  std::error_code ec;
  fs::remove_all(work, ec);
  if (cases.empty()) {
    while (!output.empty() && output.back() == '\n')
      output.pop_back();
    error = "nuri-compare exit " + std::to_string(rc) + ": " + output;
    return false;
  }
  return true;
}

struct NodeSuite {
  bool pass = false;
  std::string line;                  // run.py's summary
  std::vector<std::string> failures; // cases the cpu passes that failed here
};

/// The ONNX backend node suite through tests/conformance/run.py with the
/// cpu's expected failures: a case the cpu passes must pass on the device.
NodeSuite nodeSuite(const Options &o, const fs::path &prefix) {
  NodeSuite n;
  char pattern[] = "/tmp/nuri-cts-nodes.XXXXXX";
  if (!mkdtemp(pattern)) {
    n.line = "cannot create a temporary folder";
    return n;
  }
  fs::path runner = fs::path(o.conformance) / "run.py";
  std::vector<std::string> argv{"/usr/bin/python3", runner.string(), "--build", prefix.string(),
                                "--out", pattern, "--target", o.compileTarget + ",cpu", "--device",
                                o.target.device, "--expected-failures",
                                (fs::path(o.conformance) / "expected_failures.txt").string(), "-j", "2",
                                "--metric", o.metric};
  if (!o.nodeFilter.empty()) {
    argv.push_back("--filter");
    argv.push_back(o.nodeFilter);
  }
  appendPlugins(o, argv);
  std::string output;
  nuri::runCommand(argv, output);
  std::error_code ec;
  fs::remove_all(pattern, ec);
  std::stringstream lines(output);
  std::string line;
  int failed = -1;
  while (std::getline(lines, line)) {
    if (line.rfind("FAIL ", 0) == 0 && n.failures.size() < 20)
      n.failures.push_back(line.substr(5));
    if (line.rfind("conformance: ", 0) == 0) {
      n.line = line.substr(13);
      size_t at = line.find(" failed unexpectedly");
      size_t start = line.rfind(' ', at - 1);
      if (at != std::string::npos && start != std::string::npos)
        failed = std::atoi(line.c_str() + start + 1);
    }
  }
  if (n.line.empty()) {
    n.line = "run.py did not run: " + output.substr(0, 400);
    return n;
  }
  // Cases the cpu is expected to fail that pass here are no fault of the device.
  n.pass = failed == 0;
  return n;
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc)
        usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--device") {
      o.target.device = value();
    } else if (a == "--driver-plugin") {
      o.target.driverPlugins.push_back(value());
    } else if (a == "--target") {
      o.compileTarget = value();
    } else if (a == "--plugin") {
      o.targetPlugins.push_back(value());
    } else if (a == "--suite") {
      o.suite = value();
    } else if (a == "--node-suite") {
      o.nodeSuite = true;
    } else if (a == "--node-filter") {
      o.nodeFilter = value();
    } else if (a == "--metric") {
      o.metric = value();
      if (o.metric != "f32" && o.metric != "bf16")
        usage("--metric must be f32 or bf16");
    } else if (a == "--only") {
      o.only = split(value(), ',');
    } else if (a == "--timeout") {
      o.timeout = std::atoi(value().c_str());
      if (o.timeout <= 0)
        usage("--timeout needs a positive number of seconds");
    } else if (a == "--report") {
      o.report = value();
    } else {
      usage("unknown argument '" + a + "'");
    }
  }
  std::vector<HalCheck> checks = halChecks();
  for (const std::string &name : o.only)
    if (std::none_of(checks.begin(), checks.end(), [&](const HalCheck &c) { return name == c.name; }))
      usage("--only: no check named '" + name + "'");
  if (o.target.device.empty() && o.target.driverPlugins.size() == 1) {
    // The plugin's driver name, from a throwaway instance.
    nuri_instance_t instance = nullptr;
    const char *name = nullptr;
    if (!nuri_instance_create(&instance)) {
      if (nuri_status_t s = nuri_instance_load_driver_plugin(instance, o.target.driverPlugins[0].c_str(), &name)) {
        std::fprintf(stderr, "nuri-cts: error: %s\n", nuri_status_message(s));
        nuri_status_free(s);
        return 1;
      }
      o.target.device = name;
      nuri_instance_release(instance);
    }
  }
  if (o.target.device.empty())
    usage("give --device NAME (or one --driver-plugin)");
  // Installed (cmake --install), the suite and kernels are beside the tools.
  fs::path prefix = fs::path(nuri::sibling("nuri-cts")).parent_path().parent_path();
  if (o.suite == NURI_CTS_SUITE && !fs::exists(o.suite))
    o.suite = (prefix / "share" / "nuri" / "kernels.json").string();
  if (!fs::exists(o.conformance))
    o.conformance = (prefix / "share" / "nuri" / "conformance").string();
  if (o.nodeSuite && o.compileTarget.empty())
    usage("--node-suite needs --target");
  o.target.kernels = NURI_CTS_KERNELS;
  if (!fs::exists(o.target.kernels)) {
    o.target.kernels = (prefix / "lib" / "nuri_cts_kernels.so").string();
  }

  std::string report = "# nuri-cts: device " + o.target.device;
  for (const std::string &p : o.target.driverPlugins)
    report += " (driver plugin " + p + ")";
  report += "\n\n## HAL checks\n\n| check | result | what it checks | details |\n|---|---|---|---|\n";
  std::printf("nuri-cts: device %s\n\nHAL checks\n", o.target.device.c_str());
  int passed = 0, failed = 0, skipped = 0;
  for (const HalCheck &check : checks) {
    if (!o.only.empty() && std::find(o.only.begin(), o.only.end(), check.name) == o.only.end())
      continue;
    Outcome r = isolated(check, o.target, o.timeout);
    const char *label = r.kind == Outcome::Pass ? "PASS" : r.kind == Outcome::Skip ? "SKIP" : "FAIL";
    (r.kind == Outcome::Pass ? passed : r.kind == Outcome::Skip ? skipped : failed)++;
    std::printf("  %s  %-26s %s%s%s\n", label, check.name, check.what, r.detail.empty() ? "" : ": ",
                r.detail.c_str());
    report += std::string("| ") + check.name + " | " + label + " | " + check.what + " | " + r.detail + " |\n";
  }
  std::string summary = std::to_string(passed + failed + skipped) + " HAL checks: " +
                        std::to_string(passed) + " passed, " + std::to_string(failed) + " failed, " +
                        std::to_string(skipped) + " skipped";
  int required = failed;

  if (!o.compileTarget.empty()) {
    std::printf("\nkernel suite %s compiled for %s,cpu, run on %s against the cpu\n", o.suite.c_str(),
                o.compileTarget.c_str(), o.target.device.c_str());
    report += "\n## Kernel suite (" + o.suite + ", `--target " + o.compileTarget + ",cpu`)\n\n" +
              "| case | on " + o.target.device + " | dispatches on the device |\n|---|---|---|\n";
    std::vector<CaseResult> cases;
    std::string error;
    std::map<std::string, int> counts;
    if (!kernelSuite(o, cases, error)) {
      std::printf("  FAIL  kernel suite did not run: %s\n", error.c_str());
      report += "| (suite) | FAIL | " + error + " |\n";
      ++required;
    }
    for (const CaseResult &c : cases) {
      ++counts[c.status];
      bool bad = c.status == "wrong" || c.status == "error";
      required += bad;
      std::printf("  %-8s %-28s %d of %d dispatches on the device\n", c.status.c_str(), c.name.c_str(),
                  c.native, c.total);
      report += "| " + c.name + " | " + c.status + " | " + std::to_string(c.native) + " of " +
                std::to_string(c.total) + " |\n";
    }
    if (!cases.empty())
      summary += "; " + std::to_string(cases.size()) + " kernel cases: " +
                 std::to_string(counts["native"]) + " native, " + std::to_string(counts["partial"]) +
                 " partial, " + std::to_string(counts["fallback"]) + " fall back, " +
                 std::to_string(counts["wrong"] + counts["error"]) + " wrong";
  }
  if (o.nodeSuite) {
    std::printf("\nONNX node suite compiled for %s,cpu, run on %s\n", o.compileTarget.c_str(),
                o.target.device.c_str());
    NodeSuite n = nodeSuite(o, prefix);
    std::printf("  %s  %s\n", n.pass ? "PASS" : "FAIL", n.line.c_str());
    for (const std::string &f : n.failures)
      std::printf("        %s\n", f.c_str());
    report += "\n## ONNX node suite (`--target " + o.compileTarget + ",cpu`)\n\n" +
              (n.pass ? "PASS: " : "FAIL: ") + n.line + "\n";
    for (const std::string &f : n.failures)
      report += "- " + f + "\n";
    summary += "; node suite: " + n.line;
    required += !n.pass;
  }
  std::printf("\nsummary: %s\nnuri-cts: %s\n", summary.c_str(),
              required ? ("FAIL (" + std::to_string(required) + " required checks failed)").c_str()
                       : "PASS");
  report += "\nSummary: " + summary + ". " + (required ? "FAIL" : "PASS") + "\n";
  if (!o.report.empty()) {
    std::error_code ec;
    if (fs::path(o.report).has_parent_path())
      fs::create_directories(fs::path(o.report).parent_path(), ec);
    std::ofstream f(o.report);
    if (!f || !(f << report)) {
      std::fprintf(stderr, "nuri-cts: error: cannot write %s\n", o.report.c_str());
      return 1;
    }
  }
  return required ? 1 : 0;
}
