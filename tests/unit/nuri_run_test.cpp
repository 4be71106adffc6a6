// nuri-run end to end: artifact + .npy/.pb inputs -> outputs and errors.
#include "tensor_io.h"
#include "test_model.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <sys/wait.h>

namespace nuri::test {
namespace {

namespace fs = std::filesystem;

struct RunResult {
  int exitCode;
  std::string out, err;
};

std::string slurp(const fs::path &path) {
  std::vector<uint8_t> bytes = readFile(path.string());
  return std::string(bytes.begin(), bytes.end());
}

class NuriRunTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir = fs::path(::testing::TempDir()) /
          ("nuri_run_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    model = (dir / "add.nuri").string();
    writeFile(model, addModel().serialize());
    HostTensor x;
    x.dtype = NURI_DTYPE_F32;
    x.shape = {kElements};
    x.data.resize(kElements * 4);
    HostTensor y = x;
    for (int64_t i = 0; i < kElements; ++i) {
      float a = 1.0f, b = static_cast<float>(i);
      std::memcpy(&x.data[i * 4], &a, 4);
      std::memcpy(&y.data[i * 4], &b, 4);
    }
    ASSERT_EQ("", writeNpy((dir / "x.npy").string(), x));
    writeFile((dir / "y.pb").string(), encodeTensorProto(y));
  }
  void TearDown() override { fs::remove_all(dir); }

  RunResult run(const std::string &args) {
    std::string command = std::string(NURI_RUN_PATH) + " " + args + " >" +
                          (dir / "stdout").string() + " 2>" +
                          (dir / "stderr").string();
    int status = std::system(command.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(dir / "stdout"),
            slurp(dir / "stderr")};
  }
  std::string file(const char *name) { return (dir / name).string(); }

  fs::path dir;
  std::string model;
};

TEST_F(NuriRunTest, RunsAndWritesOutputs) {
  RunResult result = run(model + " --device cpu --input x=" + file("x.npy") +
                         " --input y=" + file("y.pb") + " --output-dir " +
                         file("out") + " --threads 2 --warmup 1 --runs 3");
  ASSERT_EQ(0, result.exitCode) << result.err;
  EXPECT_NE(std::string::npos,
            result.out.find("output sum: f32[1024] = [1, 3, 5"))
      << result.out;
  EXPECT_NE(std::string::npos, result.out.find("latency_ms median="));
  EXPECT_NE(std::string::npos, result.out.find("runs=3"));
  HostTensor sum, doubled;
  ASSERT_EQ("", readTensorFile(file("out/sum.npy"), sum));
  // "sum/x2" is made file-safe.
  ASSERT_EQ("", readTensorFile(file("out/sum_x2.npy"), doubled));
  ASSERT_EQ(std::vector<int64_t>{kElements}, sum.shape);
  for (int64_t i = 0; i < kElements; ++i) {
    ASSERT_EQ(1.0 + 2.0 * i, elementAsDouble(sum, i));
    ASSERT_EQ(2 * (1.0 + 2.0 * i), elementAsDouble(doubled, i));
  }
  EXPECT_TRUE(fs::exists(file("out/copy.npy")));

  // Bare files bind in model order; --quiet prints nothing.
  result = run(model + " --input " + file("x.npy") + " --input " +
               file("y.pb") + " --quiet");
  EXPECT_EQ(0, result.exitCode) << result.err;
  EXPECT_EQ("", result.out);
}

TEST_F(NuriRunTest, ReportsInputErrorsOnOneLine) {
  HostTensor wrong;
  wrong.dtype = NURI_DTYPE_F32;
  wrong.shape = {2, 3};
  wrong.data.resize(24);
  ASSERT_EQ("", writeNpy(file("wrong.npy"), wrong));
  wrong.dtype = NURI_DTYPE_I32;
  wrong.shape = {kElements};
  wrong.data.resize(kElements * 4);
  ASSERT_EQ("", writeNpy(file("int.npy"), wrong));
  struct Case {
    std::string args;
    const char *message;
  };
  const std::string x = " --input x=" + file("x.npy");
  const Case cases[] = {
      {x + " --input z=" + file("y.pb"), "unknown input 'z'"},
      {x, "missing input 'y' (f32[1024])"},
      {x + " --input " + file("y.pb") + " --input " + file("y.pb"),
       "too many inputs"},
      {x + " --input y=" + file("wrong.npy"),
       "input 'y': expected f32[1024], got f32[2,3]"},
      {x + " --input y=" + file("int.npy"),
       "input 'y': expected f32[1024], got i32[1024]"},
      {x + " --input y=" + file("nope.npy"), "cannot open"},
      {x + " --input x=" + file("x.npy"), "given twice"},
  };
  for (const Case &c : cases) {
    RunResult result = run(model + c.args);
    EXPECT_EQ(1, result.exitCode) << c.args;
    EXPECT_EQ(0u, result.err.rfind("nuri-run: error: ", 0)) << result.err;
    EXPECT_NE(std::string::npos, result.err.find(c.message)) << result.err;
    EXPECT_EQ(1, std::count(result.err.begin(), result.err.end(), '\n'))
        << result.err;
  }
}

HostTensor strings(std::vector<std::string> values) {
  HostTensor tensor;
  tensor.dtype = NURI_DTYPE_STRING;
  tensor.shape = {static_cast<int64_t>(values.size())};
  tensor.strings = std::move(values);
  return tensor;
}

TEST_F(NuriRunTest, RunsStringModels) {
  std::string model = file("strings.nuri");
  writeFile(model, stringModel().serialize());
  const std::vector<std::string> days = {"월요일", "tuesday", "wednesday", ""};
  ASSERT_EQ("", writeNpy(file("s.npy"), strings(days)));
  writeFile(file("s.pb"), encodeTensorProto(strings(days)));
  HostTensor n;
  n.dtype = NURI_DTYPE_I64;
  n.shape = {1};
  n.data = {3, 0, 0, 0, 0, 0, 0, 0};
  ASSERT_EQ("", writeNpy(file("n.npy"), n));
  const std::string nArg = " --input n=" + file("n.npy");
  for (const char *input : {"s.npy", "s.pb"}) {
    SCOPED_TRACE(input);
    RunResult result = run(model + " --input s=" + file(input) + nArg +
                           " --output-dir " + file("out"));
    ASSERT_EQ(0, result.exitCode) << result.err;
    EXPECT_NE(std::string::npos,
              result.out.find("output echo: string[4] = [\"월요일\", "
                              "\"tuesday\", \"wednesday\", \"\"]\n"))
        << result.out;
    // The run-time shape [n] picks the first 3.
    EXPECT_NE(std::string::npos,
              result.out.find("output head: string[3] = [\"월요일\", "
                              "\"tuesday\", \"wednesday\"]\n"))
        << result.out;
    HostTensor echo, head;
    ASSERT_EQ("", readTensorFile(file("out/echo.npy"), echo));
    EXPECT_EQ(days, echo.strings);
    ASSERT_EQ("", readTensorFile(file("out/head.npy"), head));
    EXPECT_EQ(std::vector<int64_t>{3}, head.shape);
    EXPECT_EQ(std::vector<std::string>(days.begin(), days.begin() + 3),
              head.strings);
  }

  ASSERT_EQ("", writeNpy(file("long.npy"),
                         strings({"a", "seventeen bytes!!", "b", "c"})));
  ASSERT_EQ("", writeNpy(file("three.npy"), strings({"a", "b", "c"})));
  HostTensor numbers;
  numbers.dtype = NURI_DTYPE_F32;
  numbers.shape = {4};
  numbers.data.resize(16);
  ASSERT_EQ("", writeNpy(file("f32.npy"), numbers));
  const std::pair<const char *, const char *> cases[] = {
      {"long.npy",
       "input 's': string element 1 is 17 bytes long (UTF-8), but the model "
       "was compiled for at most 16 bytes per string; recompile it with a "
       "larger --string-bytes"},
      {"three.npy", "input 's': expected string[4], got string[3]"},
      {"f32.npy", "input 's': expected string[4], got f32[4]"},
  };
  for (const auto &c : cases) {
    RunResult result = run(model + " --input s=" + file(c.first) + nArg);
    EXPECT_EQ(1, result.exitCode) << c.first;
    EXPECT_NE(std::string::npos, result.err.find(c.second)) << result.err;
    EXPECT_EQ(1, std::count(result.err.begin(), result.err.end(), '\n'))
        << result.err;
  }
}

TEST_F(NuriRunTest, UsageAndArtifactErrors) {
  EXPECT_EQ(2, run("").exitCode);
  EXPECT_EQ(2, run(model + " --runs 0").exitCode);
  EXPECT_EQ(2, run(model + " --bogus").exitCode);
  EXPECT_EQ(0, run("--help").exitCode);
  writeFile(file("bad.nuri"), {1, 2, 3, 4, 5, 6, 7, 8, 9});
  RunResult result = run(file("bad.nuri"));
  EXPECT_EQ(1, result.exitCode);
  EXPECT_NE(std::string::npos, result.err.find("not a .nuri artifact"));
  result = run(model + " --device tpu" + " --input " + file("x.npy") +
               " --input " + file("y.pb"));
  EXPECT_EQ(1, result.exitCode);
  EXPECT_NE(std::string::npos, result.err.find("no driver named 'tpu'"));
}

TEST_F(NuriRunTest, DriverPluginsBecomeDevices) {
  // The npu-sim plugin runs the artifact's cpu code on its host fallback.
  RunResult result = run(model + " --driver-plugin " + NURI_NPU_SIM_PLUGIN +
                         " --device npu-sim-plugin --input " + file("x.npy") + " --input " +
                         file("y.pb"));
  ASSERT_EQ(0, result.exitCode) << result.err;
  EXPECT_NE(std::string::npos, result.out.find("output sum: f32[1024] = [1, 3, 5")) << result.out;
  EXPECT_NE(std::string::npos, result.out.find("device npu-sim-plugin")) << result.out;
  result = run(model + " --driver-plugin " + NURI_BAD_ABI_PLUGIN + " --input " + file("x.npy") +
               " --input " + file("y.pb"));
  EXPECT_EQ(1, result.exitCode);
  EXPECT_NE(std::string::npos, result.err.find("driver ABI version 999")) << result.err;
  EXPECT_EQ("", result.out);
  ASSERT_EQ(0, setenv("NURI_DRIVER_PATH", "/nonexistent/plugins", 1));
  result = run(model + " --input " + file("x.npy") + " --input " + file("y.pb"));
  unsetenv("NURI_DRIVER_PATH");
  EXPECT_EQ(1, result.exitCode);
  EXPECT_NE(std::string::npos, result.err.find("/nonexistent/plugins")) << result.err;
  EXPECT_EQ(2, run(model + " --driver-plugin").exitCode);
}

TEST_F(NuriRunTest, ProfileFilesNeedADeviceWithCounters) {
  RunResult result = run(model + " --device cpu --input " + file("x.npy") +
                         " --input " + file("y.pb") + " --stats-json " +
                         file("stats.json") + " --output-dir " + file("out"));
  EXPECT_EQ(1, result.exitCode);
  EXPECT_NE(std::string::npos,
            result.err.find("--stats-json: device 'cpu' keeps no profile"))
      << result.err;
  EXPECT_FALSE(fs::exists(file("stats.json")));
  EXPECT_FALSE(fs::exists(file("out"))); // nothing ran
  result = run(model + " --device cpu --input " + file("x.npy") + " --input " +
               file("y.pb") + " --trace " + file("trace.json"));
  EXPECT_EQ(1, result.exitCode);
  EXPECT_NE(std::string::npos, result.err.find("--trace: device 'cpu'"))
      << result.err;
  EXPECT_EQ(2, run(model + " --trace").exitCode);
}

TEST_F(NuriRunTest, WritesStatsAndTraceOfTheLastRunOnNpuSim) {
  std::string npuModel = file("npu.nuri");
  writeFile(npuModel,
            fallbackModel("npu", "npu-isa-v1", npuAddScaleProgram()).serialize());
  RunResult result =
      run(npuModel + " --device npu-sim --input x=" + file("x.npy") +
          " --input y=" + file("y.pb") + " --warmup 2 --runs 2 --stats-json " +
          file("stats.json") + " --trace=" + file("trace.json"));
  ASSERT_EQ(0, result.exitCode) << result.err;
  EXPECT_NE(std::string::npos,
            result.out.find("output sum: f32[1024] = [1, 3, 5"))
      << result.out;
  EXPECT_NE(std::string::npos, result.out.find("device npu-sim"));
  std::string stats = slurp(file("stats.json"));
  // One inference: three npu dispatches (not 12 over four runs).
  EXPECT_NE(std::string::npos, stats.find("\"npu_dispatches\":3,")) << stats;
  EXPECT_NE(std::string::npos, stats.find("\"name\":\"add_f32\",\"invocations\":2,"))
      << stats;
  std::string trace = slurp(file("trace.json"));
  EXPECT_EQ(0u, trace.find("{\"traceEvents\":[")) << trace.substr(0, 100);
  EXPECT_NE(std::string::npos, trace.find("\"kernel\":\"scale2_f32\""));

  // The same artifact runs on cpu through the fallbacks.
  result = run(npuModel + " --device cpu --input x=" + file("x.npy") +
               " --input y=" + file("y.pb"));
  ASSERT_EQ(0, result.exitCode) << result.err;
  EXPECT_NE(std::string::npos,
            result.out.find("output sum: f32[1024] = [1, 3, 5"))
      << result.out;
}

} // namespace
} // namespace nuri::test
