// The npu-sim driver through the public C API: npu-isa-v1 programs built
// here with the FlatBuffers builder, the host fallback (elf executables on
// the same device), sessions that mix both, and the profile (stats and
// trace JSON).
#include "hal/driver.h"
#include "nuri/runtime.h"
#include "nuri/schemas/npu_isa_generated.h"
#include "targets/npu/description/NpuTarget.h"
#include "targets/npu/description/TargetTable.h"
#include "test_model.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <functional>

namespace nuri::test {
namespace {

namespace isa = nuri::npu::isa;
using artifact::Command;

//===-- building npu-isa-v1 programs -------------------------------------===//

using Builder = flatbuffers::FlatBufferBuilder;

struct Ins {
  isa::Op type;
  std::function<flatbuffers::Offset<void>(Builder &)> make;
  std::vector<isa::Wait> waits;
  int signal = -1;
};

struct KernelSpec {
  std::string name;
  uint16_t semaphores = 0;
  std::array<std::vector<Ins>, 3> queues; // DMA, matrix, vector (core 0)
  uint64_t macs = 0, minDramBytes = 0;
};

// A dense view of `rows` x `cols` elements at element `offset`.
isa::Descriptor dense(uint64_t offset, uint32_t rows, uint32_t cols) {
  std::array<uint32_t, 4> sizes = {1, 1, rows, cols};
  std::array<int64_t, 4> strides = {int64_t(rows) * cols, int64_t(rows) * cols,
                                    cols, 1};
  return isa::Descriptor(offset, sizes, strides);
}

Ins load(uint32_t binding, isa::Descriptor d, uint32_t sram,
         isa::DType sramType = isa::DType::F32, std::vector<isa::Wait> waits = {},
         int signal = -1) {
  return {isa::Op::DmaLoad,
          [=](Builder &b) {
            return isa::CreateDmaLoad(b, binding, &d, isa::DType::F32, sram,
                                      sramType)
                .Union();
          },
          waits, signal};
}

Ins store(uint32_t binding, isa::Descriptor d, uint32_t sram,
          std::vector<isa::Wait> waits = {}, int signal = -1) {
  return {isa::Op::DmaStore,
          [=](Builder &b) {
            return isa::CreateDmaStore(b, binding, &d, isa::DType::F32, sram,
                                       isa::DType::F32)
                .Union();
          },
          waits, signal};
}

Ins vector(isa::VectorOp op, uint32_t dst, uint32_t a, uint32_t bOperand,
           uint32_t rows, uint32_t cols, isa::Broadcast broadcast, float imm,
           std::vector<isa::Wait> waits, int signal) {
  return {isa::Op::Vector,
          [=](Builder &b) {
            return isa::CreateVector(b, op, isa::DType::F32, isa::DType::F32,
                                     dst, a, bOperand, rows, cols, broadcast,
                                     imm)
                .Union();
          },
          waits, signal};
}

Ins matmul(uint32_t a, uint32_t bOperand, uint32_t c, uint32_t m, uint32_t k,
           uint32_t n, std::vector<isa::Wait> waits, int signal) {
  return {isa::Op::MatMul,
          [=](Builder &b) {
            return isa::CreateMatMul(b, a, bOperand, c, m, k, n,
                                     isa::DType::BF16, false)
                .Union();
          },
          waits, signal};
}

npu::TargetDescription edgeTarget() {
  npu::TargetDescription target;
  std::string error;
  EXPECT_TRUE(npu::loadTarget("edge", target, error)) << error;
  return target;
}

std::vector<uint8_t> buildProgram(const std::vector<KernelSpec> &specs,
                                  uint32_t version = 1) {
  Builder b;
  std::vector<flatbuffers::Offset<isa::Kernel>> kernels;
  for (const KernelSpec &spec : specs) {
    std::vector<flatbuffers::Offset<isa::Queue>> queues;
    for (const std::vector<Ins> &queue : spec.queues) {
      std::vector<flatbuffers::Offset<isa::Instruction>> instructions;
      for (const Ins &ins : queue) {
        auto op = ins.make(b);
        auto waits = b.CreateVectorOfStructs(ins.waits);
        instructions.push_back(
            isa::CreateInstruction(b, ins.type, op, waits, ins.signal));
      }
      queues.push_back(isa::CreateQueue(b, b.CreateVector(instructions)));
    }
    std::vector<flatbuffers::Offset<isa::Core>> cores = {
        isa::CreateCore(b, b.CreateVector(queues))};
    kernels.push_back(isa::CreateKernel(
        b, b.CreateString(spec.name), spec.semaphores, b.CreateVector(cores),
        spec.macs, spec.minDramBytes));
  }
  auto target = npu::buildTarget(b, edgeTarget());
  isa::FinishProgramBuffer(
      b, isa::CreateProgram(b, version, target, b.CreateVector(kernels)));
  return std::vector<uint8_t>(b.GetBufferPointer(),
                              b.GetBufferPointer() + b.GetSize());
}

// out = a + b over `n` f32 (bindings a, b, out).
KernelSpec addKernel(const std::string &name, uint32_t n) {
  KernelSpec k{name, 2};
  k.queues[0] = {load(0, dense(0, 1, n), 0, isa::DType::F32, {}, 0),
                 load(1, dense(0, 1, n), 4 * n, isa::DType::F32, {}, 0),
                 store(2, dense(0, 1, n), 8 * n, {{1, 1}})};
  k.queues[2] = {vector(isa::VectorOp::Add, 8 * n, 0, 4 * n, 1, n,
                        isa::Broadcast::Full, 0, {{0, 2}}, 1)};
  k.minDramBytes = 12ull * n;
  return k;
}

// out = 2 * a over `n` f32 (bindings a, out).
KernelSpec scaleKernel(const std::string &name, uint32_t n) {
  KernelSpec k{name, 2};
  k.queues[0] = {load(0, dense(0, 1, n), 0, isa::DType::F32, {}, 0),
                 store(1, dense(0, 1, n), 4 * n, {{1, 1}})};
  k.queues[2] = {vector(isa::VectorOp::Mul, 4 * n, 0, 0, 1, n,
                        isa::Broadcast::Scalar, 2.0f, {{0, 1}}, 1)};
  k.minDramBytes = 8ull * n;
  return k;
}

constexpr uint32_t kM = 16, kK = 32, kN = 8;

// C[M,N] = A[M,K] * B[K,N]: f32 in DRAM, bf16 in SRAM, f32 accumulator.
KernelSpec matmulKernel() {
  KernelSpec k{"matmul", 2};
  uint32_t a = 0, b = 4096, c = 8192;
  k.queues[0] = {load(0, dense(0, kM, kK), a, isa::DType::BF16, {}, 0),
                 load(1, dense(0, kK, kN), b, isa::DType::BF16, {}, 0),
                 store(2, dense(0, kM, kN), c, {{1, 1}})};
  k.queues[1] = {matmul(a, b, c, kM, kK, kN, {{0, 2}}, 1)};
  k.macs = uint64_t(kM) * kK * kN;
  k.minDramBytes = 4ull * (kM * kK + kK * kN + kM * kN);
  return k;
}

// A kernel whose vector instruction waits for a semaphore nobody signals.
KernelSpec deadlockKernel() {
  KernelSpec k{"stuck", 1};
  k.queues[2] = {vector(isa::VectorOp::Copy, 0, 0, 0, 1, 16,
                        isa::Broadcast::Full, 0, {{0, 1}}, -1)};
  return k;
}

//===-- JSON checks -------------------------------------------------------===//

// The number after the first `"key":` (after `from`), or -1.
double number(const std::string &json, const std::string &key,
              size_t from = 0) {
  size_t at = json.find("\"" + key + "\":", from);
  if (at == std::string::npos)
    return -1;
  return std::strtod(json.c_str() + at + key.size() + 3, nullptr);
}

// Brackets balance outside strings and nothing trails the value: a cheap
// check that the hand-written JSON is well formed.
bool balanced(const std::string &json) {
  std::vector<char> stack;
  bool inString = false;
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"')
      inString = true;
    else if (c == '{' || c == '[')
      stack.push_back(c);
    else if (c == '}' || c == ']') {
      if (stack.empty() || stack.back() != (c == '}' ? '{' : '['))
        return false;
      stack.pop_back();
    } else if (c == ',' && i + 1 < json.size()) {
      size_t j = json.find_first_not_of(" \n", i + 1);
      if (j == std::string::npos || json[j] == ']' || json[j] == '}')
        return false; // trailing comma
    }
  }
  return stack.empty() && !inString;
}

//===-- fixture -----------------------------------------------------------===//

class NpuSimDriverTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_EQ(nullptr, nuri_instance_create(&instance));
    nuri_device_options_t options;
    nuri_device_options_init(&options);
    options.thread_count = 2;
    ASSERT_EQ(nullptr,
              nuri_device_create(instance, "npu-sim", &options, &device));
  }
  void TearDown() override {
    for (nuri_buffer_t buffer : buffers)
      nuri_buffer_release(buffer);
    nuri_device_release(device);
    nuri_instance_release(instance);
  }

  nuri_buffer_t buffer(const std::vector<float> &values) {
    nuri_buffer_t b = nullptr;
    EXPECT_EQ(nullptr, nuri_allocator_allocate(nuri_device_allocator(device),
                                               values.size() * 4, &b));
    buffers.push_back(b);
    if (b && !values.empty())
      std::memcpy(data(b), values.data(), values.size() * 4);
    return b;
  }
  float *data(nuri_buffer_t b) {
    void *host = nullptr;
    EXPECT_EQ(nullptr, nuri_buffer_map(b, &host));
    return static_cast<float *>(host);
  }

  StatusResult create(const char *format, const std::vector<uint8_t> &bytes,
                      const std::vector<const char *> &entries,
                      nuri_executable_t *out) {
    return take(nuri_executable_create(device, format, bytes.data(),
                                       bytes.size(), entries.data(),
                                       entries.size(), out));
  }

  StatusResult dispatch(nuri_executable_t exe, uint32_t entry,
                        const std::vector<nuri_buffer_t> &bindings) {
    nuri_command_buffer_t cb = nullptr;
    EXPECT_EQ(nullptr, nuri_command_buffer_create(device, &cb));
    StatusResult result = take(nuri_command_buffer_dispatch(
        cb, exe, entry, 1, bindings.data(), bindings.size()));
    if (result.code == NURI_OK)
      result = take(nuri_device_submit(device, cb, nullptr, 0, nullptr, 0));
    nuri_command_buffer_release(cb);
    return result;
  }

  std::string profile(nuri_profile_kind_t kind) {
    char *json = nullptr;
    EXPECT_EQ(nullptr, nuri_device_profile(device, kind, &json));
    std::string text = json ? json : "";
    nuri_profile_free(json);
    EXPECT_TRUE(balanced(text)) << text;
    return text;
  }

  nuri_instance_t instance = nullptr;
  nuri_device_t device = nullptr;
  std::vector<nuri_buffer_t> buffers;
};

std::vector<float> values(size_t n, float start, float step) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = start + step * float(i % 97);
  return v;
}

TEST_F(NpuSimDriverTest, IsOptInAndLoadsBothFormats) {
  EXPECT_STREQ("npu-sim", nuri_device_name(device));
  EXPECT_TRUE(nuri_device_supports_format(device, "npu-isa-v1"));
  EXPECT_TRUE(nuri_device_supports_format(device, "elf-x86_64-so"));
  EXPECT_FALSE(nuri_device_supports_format(device, "spirv"));
  // "auto" never picks the simulator.
  nuri_device_t other = nullptr;
  ASSERT_EQ(nullptr, nuri_device_create(instance, "auto", nullptr, &other));
  EXPECT_STRNE("npu-sim", nuri_device_name(other));
  nuri_device_release(other);
}

TEST_F(NpuSimDriverTest, RunsVectorAndMatMulKernelsAndCountsThem) {
  const uint32_t n = 1000;
  std::vector<uint8_t> program =
      buildProgram({addKernel("add", n), matmulKernel()});
  nuri_executable_t exe = nullptr;
  StatusResult created = create("npu-isa-v1", program, {"add", "matmul"}, &exe);
  ASSERT_EQ(NURI_OK, created.code) << created.message;

  std::vector<float> x = values(n, 0.25f, 1.5f), y = values(n, -3, 0.75f);
  nuri_buffer_t a = buffer(x), b = buffer(y), out = buffer(std::vector<float>(n));
  StatusResult result = dispatch(exe, 0, {a, b, out});
  ASSERT_EQ(NURI_OK, result.code) << result.message;
  for (uint32_t i = 0; i < n; ++i)
    ASSERT_EQ(x[i] + y[i], data(out)[i]) << i;

  // Small integers are exact in bf16 and their products sum exactly in f32.
  std::vector<float> ma(kM * kK), mb(kK * kN), ref(kM * kN, 0.0f);
  for (uint32_t i = 0; i < kM * kK; ++i)
    ma[i] = float(int(i % 7) - 3);
  for (uint32_t i = 0; i < kK * kN; ++i)
    mb[i] = float(int(i % 5) - 2);
  for (uint32_t i = 0; i < kM; ++i)
    for (uint32_t j = 0; j < kN; ++j)
      for (uint32_t k = 0; k < kK; ++k)
        ref[i * kN + j] += ma[i * kK + k] * mb[k * kN + j];
  nuri_buffer_t c = buffer(std::vector<float>(kM * kN, 99.0f));
  result = dispatch(exe, 1, {buffer(ma), buffer(mb), c});
  ASSERT_EQ(NURI_OK, result.code) << result.message;
  for (uint32_t i = 0; i < kM * kN; ++i)
    ASSERT_EQ(ref[i], data(c)[i]) << i;

  std::string stats = profile(NURI_PROFILE_STATS_JSON);
  EXPECT_NE(std::string::npos, stats.find("\"device\":\"npu-sim\"")) << stats;
  EXPECT_NE(std::string::npos, stats.find("\"target\":\"edge\"")) << stats;
  EXPECT_GT(number(stats, "cycles"), 0) << stats;
  EXPECT_GT(number(stats, "roofline_cycles"), 0) << stats;
  EXPECT_EQ(double(kM) * kK * kN, number(stats, "macs")) << stats;
  EXPECT_EQ(2 * 64 * 128, number(stats, "peak_macs_per_cycle")) << stats;
  EXPECT_EQ(2, number(stats, "npu_dispatches")) << stats;
  EXPECT_GT(number(stats, "dram_bytes"), 0) << stats;
  EXPECT_EQ(12.0 * n + 4.0 * (kM * kK + kK * kN + kM * kN),
            number(stats, "min_dram_bytes"))
      << stats;
  EXPECT_GT(number(stats, "matrix"), 0) << stats; // busy_cycles.matrix
  // Per kernel, in order of first run.
  size_t add = stats.find("{\"name\":\"add\"");
  size_t mm = stats.find("{\"name\":\"matmul\"");
  ASSERT_NE(std::string::npos, add) << stats;
  ASSERT_NE(std::string::npos, mm) << stats;
  EXPECT_LT(add, mm);
  EXPECT_EQ(1, number(stats, "invocations", add));
  EXPECT_EQ(0, number(stats, "macs", add));
  EXPECT_EQ(double(kM) * kK * kN, number(stats, "macs", mm));
  for (const char *key :
       {"clock_hz", "cycles_over_roofline", "mac_utilization", "utilization",
        "busy_cycles", "host_fallback", "simulator_seconds", "kernels"})
    EXPECT_NE(std::string::npos, stats.find(std::string("\"") + key + "\":"))
        << key;

  std::string trace = profile(NURI_PROFILE_TRACE_JSON);
  EXPECT_EQ(0u, trace.find("{\"traceEvents\":[")) << trace.substr(0, 200);
  for (const char *text :
       {"\"npu core 0\"", "\"npu core 1\"", "\"dma\"", "\"matrix\"",
        "\"vector\"", "\"host\"", "\"ph\":\"X\"", "\"kernel\":\"matmul\"",
        "\"displayTimeUnit\":\"ns\"", "\"truncated\":false"})
    EXPECT_NE(std::string::npos, trace.find(text)) << text;

  // Reset clears everything.
  ASSERT_EQ(nullptr, nuri_device_profile_reset(device));
  stats = profile(NURI_PROFILE_STATS_JSON);
  EXPECT_EQ(0, number(stats, "cycles")) << stats;
  EXPECT_EQ(0, number(stats, "npu_dispatches")) << stats;
  EXPECT_NE(std::string::npos, stats.find("\"kernels\":[]")) << stats;
  trace = profile(NURI_PROFILE_TRACE_JSON);
  EXPECT_EQ(std::string::npos, trace.find("\"ph\":\"X\"")) << trace;
  nuri_executable_release(exe);
}

TEST_F(NpuSimDriverTest, RejectsMalformedProgramsAtCreate) {
  nuri_executable_t exe = nullptr;
  std::vector<uint8_t> junk(256, 0xAB);
  StatusResult result = create("npu-isa-v1", junk, {"add"}, &exe);
  EXPECT_EQ(NURI_INVALID_ARGUMENT, result.code);
  EXPECT_NE(std::string::npos, result.message.find("npu-sim")) << result.message;
  EXPECT_EQ(nullptr, exe);

  // Every truncation fails with a status.
  std::vector<uint8_t> program = buildProgram({addKernel("add", 64)});
  for (size_t size = 0; size < program.size(); size += 7) {
    std::vector<uint8_t> cut(program.begin(), program.begin() + size);
    result = create("npu-isa-v1", cut, {"add"}, &exe);
    EXPECT_NE(NURI_OK, result.code) << size;
    nuri_executable_release(exe);
    exe = nullptr;
  }

  // A MatMul on the DMA queue: verified away before anything runs.
  KernelSpec misplaced = matmulKernel();
  std::swap(misplaced.queues[0], misplaced.queues[1]);
  result = create("npu-isa-v1", buildProgram({misplaced}), {"matmul"}, &exe);
  EXPECT_EQ(NURI_INVALID_ARGUMENT, result.code);
  EXPECT_FALSE(result.message.empty());

  // Another ISA version.
  result = create("npu-isa-v1", buildProgram({addKernel("add", 64)}, 2),
                  {"add"}, &exe);
  EXPECT_EQ(NURI_INVALID_ARGUMENT, result.code) << result.message;

  // An entry point that names no kernel.
  result = create("npu-isa-v1", program, {"add", "softmax"}, &exe);
  EXPECT_EQ(NURI_INVALID_ARGUMENT, result.code);
  EXPECT_NE(std::string::npos, result.message.find("'softmax'"))
      << result.message;
  EXPECT_EQ(nullptr, exe);
}

TEST_F(NpuSimDriverTest, RunTimeErrorsAreStatuses) {
  const uint32_t n = 256;
  // Timing depends on no data, so the simulator schedules a kernel when the
  // program loads: a deadlock fails executable creation.
  nuri_executable_t exe = nullptr;
  StatusResult result = create(
      "npu-isa-v1", buildProgram({addKernel("add", n), deadlockKernel()}),
      {"add", "stuck"}, &exe);
  EXPECT_EQ(NURI_INVALID_ARGUMENT, result.code);
  EXPECT_NE(std::string::npos, result.message.find("never reached"))
      << result.message;
  EXPECT_EQ(nullptr, exe);

  ASSERT_EQ(NURI_OK, create("npu-isa-v1", buildProgram({addKernel("add", n)}),
                            {"add"}, &exe)
                         .code);

  // The output binding holds half of what the store writes.
  nuri_buffer_t a = buffer(values(n, 1, 1)), b = buffer(values(n, 2, 1));
  nuri_buffer_t small = buffer(std::vector<float>(n / 2));
  result = dispatch(exe, 0, {a, b, small});
  EXPECT_EQ(NURI_INVALID_ARGUMENT, result.code);
  EXPECT_EQ(0u, result.message.find("npu-sim: kernel 'add': "))
      << result.message;

  // Too few bindings.
  result = dispatch(exe, 0, {a, b});
  EXPECT_EQ(NURI_INVALID_ARGUMENT, result.code);
  EXPECT_NE(std::string::npos, result.message.find("kernel 'add'"))
      << result.message;

  // The device still works, and failed runs are not counted.
  nuri_buffer_t out = buffer(std::vector<float>(n));
  result = dispatch(exe, 0, {a, b, out});
  ASSERT_EQ(NURI_OK, result.code) << result.message;
  EXPECT_EQ(data(a)[3] + data(b)[3], data(out)[3]);
  EXPECT_EQ(1, number(profile(NURI_PROFILE_STATS_JSON), "npu_dispatches"));
  nuri_executable_release(exe);
}

TEST_F(NpuSimDriverTest, ElfFallbackRunsOnTheHost) {
  nuri_executable_t exe = nullptr;
  StatusResult created =
      create("elf-x86_64-so", kernelLibrary(), {"add_f32", "scale2_f32"}, &exe);
  ASSERT_EQ(NURI_OK, created.code) << created.message;
  std::vector<float> x = values(kElements, 1, 2), y = values(kElements, -1, 3);
  nuri_buffer_t a = buffer(x), b = buffer(y);
  nuri_buffer_t sum = buffer(std::vector<float>(kElements));
  nuri_buffer_t doubled = buffer(std::vector<float>(kElements));
  nuri_buffer_t copied = buffer(std::vector<float>(kElements));
  nuri_command_buffer_t cb = nullptr;
  ASSERT_EQ(nullptr, nuri_command_buffer_create(device, &cb));
  nuri_buffer_t addBindings[] = {a, b, sum};
  nuri_buffer_t scaleBindings[] = {sum, doubled};
  ASSERT_EQ(nullptr, nuri_command_buffer_dispatch(cb, exe, 0, 4, addBindings, 3));
  ASSERT_EQ(nullptr, nuri_command_buffer_barrier(cb));
  ASSERT_EQ(nullptr,
            nuri_command_buffer_dispatch(cb, exe, 1, 3, scaleBindings, 2));
  ASSERT_EQ(nullptr,
            nuri_command_buffer_copy(cb, a, 8, copied, 0, kElements * 4 - 8));
  ASSERT_EQ(nullptr, nuri_device_submit(device, cb, nullptr, 0, nullptr, 0));
  nuri_command_buffer_release(cb);
  for (int64_t i = 0; i < kElements; ++i) {
    ASSERT_EQ(x[i] + y[i], data(sum)[i]) << i;
    ASSERT_EQ(2 * (x[i] + y[i]), data(doubled)[i]) << i;
  }
  EXPECT_EQ(x[2], data(copied)[0]);

  std::string stats = profile(NURI_PROFILE_STATS_JSON);
  EXPECT_EQ(2, number(stats, "dispatches")) << stats; // host_fallback
  EXPECT_GE(number(stats, "seconds"), 0) << stats;
  EXPECT_EQ(0, number(stats, "npu_dispatches")) << stats;
  EXPECT_NE(std::string::npos, stats.find("\"target\":null")) << stats;
  std::string trace = profile(NURI_PROFILE_TRACE_JSON);
  EXPECT_NE(std::string::npos, trace.find("\"name\":\"add_f32\"")) << trace;
  EXPECT_NE(std::string::npos, trace.find("\"cat\":\"host\"")) << trace;
  nuri_executable_release(exe);
}

// The session picks npu kernels on npu-sim and their cpu fallbacks on cpu;
// a dispatch whose only implementation is elf runs on the host of npu-sim.
TEST_F(NpuSimDriverTest, SessionsRunNpuKernelsAndFallBack) {
  std::vector<uint8_t> program = buildProgram(
      {addKernel("add_f32", kElements), scaleKernel("scale2_f32", kElements)});
  TestModel model = fallbackModel("npu", "npu-isa-v1", program);
  TestModel mixed = model;
  for (TestCommand &c : mixed.commands)
    if (c.type == Command::Dispatch && c.entry == 1) {
      c.executable = 1; // scale2 only as cpu code
      c.fallbackExecutable = -1;
    }
  struct Run {
    const TestModel &model;
    const char *device;
    double npuDispatches, hostDispatches;
  } runs[] = {{model, "npu-sim", 3, 0},
              {mixed, "npu-sim", 2, 1},
              {model, "cpu", -1, -1}};
  for (const Run &run : runs) {
    SCOPED_TRACE(run.device);
    std::vector<uint8_t> bytes = run.model.serialize();
    nuri_module_t module = nullptr;
    ASSERT_EQ(nullptr, nuri_module_load_memory(instance, bytes.data(),
                                               bytes.size(), "npu.nuri",
                                               &module));
    nuri_device_t target = device;
    if (std::string(run.device) == "cpu")
      ASSERT_EQ(nullptr, nuri_device_create(instance, "cpu", nullptr, &target));
    ASSERT_EQ(nullptr, nuri_device_profile_reset(device));
    nuri_session_t session = nullptr;
    StatusResult created = take(nuri_session_create(module, target, &session));
    ASSERT_EQ(NURI_OK, created.code) << created.message;
    std::vector<float> x = values(kElements, 1, 1),
                       y = values(kElements, 0.5f, -2);
    nuri_buffer_t inputs[2];
    for (int i = 0; i < 2; ++i) {
      ASSERT_EQ(nullptr, nuri_allocator_allocate(nuri_device_allocator(target),
                                                 kElements * 4, &inputs[i]));
      void *host = nullptr;
      ASSERT_EQ(nullptr, nuri_buffer_map(inputs[i], &host));
      std::memcpy(host, (i ? y : x).data(), kElements * 4);
    }
    nuri_buffer_t outputs[3] = {};
    StatusResult invoked =
        take(nuri_session_invoke(session, inputs, 2, outputs, 3));
    ASSERT_EQ(NURI_OK, invoked.code) << invoked.message;
    float *sum, *doubled, *copy;
    ASSERT_EQ(nullptr, nuri_buffer_map(outputs[0], (void **)&sum));
    ASSERT_EQ(nullptr, nuri_buffer_map(outputs[1], (void **)&doubled));
    ASSERT_EQ(nullptr, nuri_buffer_map(outputs[2], (void **)&copy));
    for (int64_t i = 0; i < kElements; ++i) {
      ASSERT_EQ(x[i] + y[i] + float(i), sum[i]) << i;
      ASSERT_EQ(2 * sum[i], doubled[i]) << i;
      ASSERT_EQ(x[i], copy[i]) << i;
    }
    if (run.npuDispatches >= 0) {
      std::string stats = profile(NURI_PROFILE_STATS_JSON);
      EXPECT_EQ(run.npuDispatches, number(stats, "npu_dispatches")) << stats;
      EXPECT_EQ(run.hostDispatches, number(stats, "dispatches")) << stats;
    }
    for (nuri_buffer_t b : outputs)
      nuri_buffer_release(b);
    for (nuri_buffer_t b : inputs)
      nuri_buffer_release(b);
    nuri_session_release(session);
    if (target != device)
      nuri_device_release(target);
    nuri_module_release(module);
  }
}

} // namespace

std::vector<uint8_t> npuAddScaleProgram() {
  return buildProgram(
      {addKernel("add_f32", kElements), scaleKernel("scale2_f32", kElements)});
}

} // namespace nuri::test
