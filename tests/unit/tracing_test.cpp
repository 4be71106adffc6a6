// Dispatch tracing (nuri_session_set_dispatch_hook): the hook sees every
// dispatch with the buffers it wrote, can change them (fault injection) and
// can stop the invoke; without a hook nothing changes.
#include "hal/driver.h" // nuri_make_status, for a hook's error
#include "nuri/runtime.h"
#include "test_model.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace nuri::test {
namespace {

using artifact::Command;

struct Seen {
  uint32_t index;
  std::string name, format;
  std::vector<std::string> nodes;
  struct Result {
    nuri_buffer_t buffer;
    nuri_dtype_t dtype;
    std::vector<int64_t> shape;
    std::vector<float> values;
  };
  std::vector<Result> results;
  double seconds;
};

// Records what the hook is told, reading each result's values; optionally
// adds `bump` to element `bumpAt` of dispatch `bumpIndex`'s first result,
// or fails at dispatch `failAt`.
struct Recorder {
  std::vector<Seen> seen;
  int bumpIndex = -1;
  int64_t bumpAt = 0;
  float bump = 0;
  int failAt = -1;

  static nuri_status_t hook(void *user, const nuri_dispatch_info_t *info) {
    auto *self = static_cast<Recorder *>(user);
    Seen s{info->index, info->name, info->format, {}, {}, info->seconds};
    for (size_t i = 0; i < info->node_count; ++i)
      s.nodes.push_back(info->nodes[i]);
    for (size_t r = 0; r < info->result_count; ++r) {
      const nuri_dispatch_result_t &result = info->results[r];
      Seen::Result seenResult{result.buffer, result.dtype,
                              std::vector<int64_t>(result.shape,
                                                   result.shape + result.rank),
                              {}};
      void *host = nullptr;
      if (nuri_status_t status = nuri_buffer_map(result.buffer, &host))
        return status;
      int64_t elements = 1;
      for (int64_t d : seenResult.shape)
        elements *= d;
      const float *data = static_cast<const float *>(host);
      seenResult.values.assign(data, data + elements);
      if (r == 0 && int(info->index) == self->bumpIndex)
        static_cast<float *>(host)[self->bumpAt] += self->bump;
      s.results.push_back(std::move(seenResult));
    }
    self->seen.push_back(std::move(s));
    if (int(info->index) == self->failAt)
      return nuri_make_status(NURI_FAILED_PRECONDITION, "hook stops at %s",
                              info->name);
    return nullptr;
  }
};

class TracingTest : public ::testing::Test {
protected:
  void SetUp() override { ASSERT_EQ(nullptr, nuri_instance_create(&instance)); }
  void TearDown() override {
    for (nuri_buffer_t b : inputs)
      nuri_buffer_release(b);
    nuri_session_release(session);
    nuri_module_release(module);
    nuri_device_release(device);
    nuri_instance_release(instance);
  }

  // Loads `model` on device `name` with inputs x[i] = 1 + i, y[i] = 0.5 - 2i.
  void prepare(const TestModel &model, const char *name = "cpu") {
    std::vector<uint8_t> bytes = model.serialize();
    ASSERT_EQ(nullptr, nuri_module_load_memory(instance, bytes.data(),
                                               bytes.size(), "trace.nuri",
                                               &module));
    nuri_device_options_t options;
    nuri_device_options_init(&options);
    options.thread_count = 2;
    ASSERT_EQ(nullptr, nuri_device_create(instance, name, &options, &device));
    ASSERT_EQ(nullptr, nuri_session_create(module, device, &session));
    x.resize(kElements);
    y.resize(kElements);
    for (int64_t i = 0; i < kElements; ++i) {
      x[i] = 1.0f + float(i);
      y[i] = 0.5f - 2.0f * float(i);
    }
    for (int i = 0; i < 2; ++i) {
      ASSERT_EQ(nullptr, nuri_allocator_allocate(nuri_device_allocator(device),
                                                 kElements * 4, &inputs[i]));
      void *host = nullptr;
      ASSERT_EQ(nullptr, nuri_buffer_map(inputs[i], &host));
      std::memcpy(host, (i ? y : x).data(), kElements * 4);
    }
  }

  // sum = x + y + c (c[i] = i), after the first add: x + y.
  float partial(int64_t i) const { return x[i] + y[i]; }
  float sum(int64_t i) const { return x[i] + y[i] + float(i); }

  // Checks every call the hook got for the three dispatches of addModel().
  void expectTrace(const Recorder &recorder, const char *format,
                   const nuri_buffer_t *outputs) {
    ASSERT_EQ(3u, recorder.seen.size());
    const char *names[] = {"add_f32", "add_f32", "scale2_f32"};
    const char *nodes[] = {"add1", "add2", "scale"};
    for (uint32_t d = 0; d < 3; ++d) {
      SCOPED_TRACE(d);
      const Seen &s = recorder.seen[d];
      EXPECT_EQ(d, s.index);
      EXPECT_EQ(names[d], s.name);
      EXPECT_EQ(format, s.format);
      EXPECT_EQ(std::vector<std::string>{nodes[d]}, s.nodes);
      EXPECT_GE(s.seconds, 0.0);
      ASSERT_EQ(1u, s.results.size());
      EXPECT_EQ(NURI_DTYPE_F32, s.results[0].dtype);
      EXPECT_EQ(std::vector<int64_t>{kElements}, s.results[0].shape);
      ASSERT_EQ(size_t(kElements), s.results[0].values.size());
      for (int64_t i = 0; i < kElements; ++i) {
        float expected = d == 0 ? partial(i) : d == 1 ? sum(i) : 2 * sum(i);
        ASSERT_EQ(expected, s.results[0].values[i]) << i;
      }
    }
    // Results of the later dispatches are the output buffers themselves.
    EXPECT_EQ(outputs[0], recorder.seen[1].results[0].buffer);
    EXPECT_EQ(outputs[1], recorder.seen[2].results[0].buffer);
  }

  nuri_status_t invoke(nuri_buffer_t *outputs) {
    return nuri_session_invoke(session, inputs, 2, outputs, 3);
  }

  nuri_instance_t instance = nullptr;
  nuri_module_t module = nullptr;
  nuri_device_t device = nullptr;
  nuri_session_t session = nullptr;
  nuri_buffer_t inputs[2] = {};
  std::vector<float> x, y;
};

void releaseAll(nuri_buffer_t *outputs) {
  for (int i = 0; i < 3; ++i)
    nuri_buffer_release(outputs[i]);
}

TEST_F(TracingTest, HookSeesEveryDispatchWithTheValuesItWrote) {
  prepare(traced(addModel()));
  Recorder recorder;
  ASSERT_EQ(nullptr, nuri_session_set_dispatch_hook(session, Recorder::hook,
                                                    &recorder));
  nuri_buffer_t outputs[3] = {};
  ASSERT_EQ(nullptr, invoke(outputs));
  expectTrace(recorder, "elf-x86_64-so", outputs);
  float *doubled = nullptr;
  ASSERT_EQ(nullptr, nuri_buffer_map(outputs[1], (void **)&doubled));
  for (int64_t i = 0; i < kElements; ++i)
    ASSERT_EQ(2 * sum(i), doubled[i]) << i;
  releaseAll(outputs);
  // Each invoke numbers its dispatches from 0 again.
  recorder.seen.clear();
  ASSERT_EQ(nullptr, invoke(outputs));
  expectTrace(recorder, "elf-x86_64-so", outputs);
  releaseAll(outputs);
}

TEST_F(TracingTest, DispatchesWithoutResultsOrNodesReportNone) {
  prepare(addModel());
  Recorder recorder;
  ASSERT_EQ(nullptr, nuri_session_set_dispatch_hook(session, Recorder::hook,
                                                    &recorder));
  nuri_buffer_t outputs[3] = {};
  ASSERT_EQ(nullptr, invoke(outputs));
  ASSERT_EQ(3u, recorder.seen.size());
  for (uint32_t d = 0; d < 3; ++d) {
    EXPECT_EQ(d, recorder.seen[d].index);
    EXPECT_TRUE(recorder.seen[d].nodes.empty());
    EXPECT_TRUE(recorder.seen[d].results.empty());
  }
  EXPECT_EQ("scale2_f32", recorder.seen[2].name);
  releaseAll(outputs);
}

TEST_F(TracingTest, HookThatChangesAResultChangesTheOutput) {
  prepare(traced(addModel()));
  Recorder recorder;
  recorder.bumpIndex = 0; // the transient x + y, read by the second add
  recorder.bumpAt = 7;
  recorder.bump = 100;
  ASSERT_EQ(nullptr, nuri_session_set_dispatch_hook(session, Recorder::hook,
                                                    &recorder));
  nuri_buffer_t outputs[3] = {};
  ASSERT_EQ(nullptr, invoke(outputs));
  ASSERT_EQ(3u, recorder.seen.size());
  EXPECT_EQ(sum(7) + 100, recorder.seen[1].results[0].values[7]);
  float *total = nullptr, *doubled = nullptr;
  ASSERT_EQ(nullptr, nuri_buffer_map(outputs[0], (void **)&total));
  ASSERT_EQ(nullptr, nuri_buffer_map(outputs[1], (void **)&doubled));
  for (int64_t i = 0; i < kElements; ++i) {
    float expected = sum(i) + (i == 7 ? 100 : 0);
    ASSERT_EQ(expected, total[i]) << i;
    ASSERT_EQ(2 * expected, doubled[i]) << i;
  }
  releaseAll(outputs);
}

TEST_F(TracingTest, HookErrorStopsTheInvoke) {
  prepare(traced(addModel()));
  Recorder recorder;
  recorder.failAt = 1;
  ASSERT_EQ(nullptr, nuri_session_set_dispatch_hook(session, Recorder::hook,
                                                    &recorder));
  nuri_buffer_t outputs[3] = {};
  nuri_status_t status = invoke(outputs);
  ASSERT_NE(nullptr, status);
  EXPECT_EQ(NURI_FAILED_PRECONDITION, nuri_status_code(status));
  EXPECT_STREQ("hook stops at add_f32", nuri_status_message(status));
  nuri_status_free(status);
  EXPECT_EQ(2u, recorder.seen.size()); // the third dispatch never ran
  for (nuri_buffer_t output : outputs)
    EXPECT_EQ(nullptr, output);
  // The session still works once the hook is gone.
  ASSERT_EQ(nullptr, nuri_session_set_dispatch_hook(session, nullptr, nullptr));
  ASSERT_EQ(nullptr, invoke(outputs));
  EXPECT_EQ(2u, recorder.seen.size());
  releaseAll(outputs);
}

TEST_F(TracingTest, NullHookTurnsTracingOff) {
  prepare(traced(addModel()));
  Recorder recorder;
  ASSERT_EQ(nullptr, nuri_session_set_dispatch_hook(session, Recorder::hook,
                                                    &recorder));
  nuri_buffer_t outputs[3] = {};
  ASSERT_EQ(nullptr, invoke(outputs));
  releaseAll(outputs);
  ASSERT_EQ(3u, recorder.seen.size());
  ASSERT_EQ(nullptr, nuri_session_set_dispatch_hook(session, nullptr, &recorder));
  ASSERT_EQ(nullptr, invoke(outputs));
  EXPECT_EQ(3u, recorder.seen.size());
  float *total = nullptr;
  ASSERT_EQ(nullptr, nuri_buffer_map(outputs[0], (void **)&total));
  for (int64_t i = 0; i < kElements; ++i)
    ASSERT_EQ(sum(i), total[i]) << i;
  releaseAll(outputs);
  nuri_status_t status =
      nuri_session_set_dispatch_hook(nullptr, Recorder::hook, &recorder);
  ASSERT_NE(nullptr, status);
  EXPECT_EQ(NURI_INVALID_ARGUMENT, nuri_status_code(status));
  nuri_status_free(status);
}

// On npu-sim the npu kernels run, and the hook names their format.
TEST_F(TracingTest, TracesNpuKernelsOnNpuSim) {
  prepare(traced(fallbackModel("npu", "npu-isa-v1", npuAddScaleProgram())),
          "npu-sim");
  Recorder recorder;
  ASSERT_EQ(nullptr, nuri_session_set_dispatch_hook(session, Recorder::hook,
                                                    &recorder));
  nuri_buffer_t outputs[3] = {};
  ASSERT_EQ(nullptr, invoke(outputs));
  expectTrace(recorder, "npu-isa-v1", outputs);
  releaseAll(outputs);
}

} // namespace
} // namespace nuri::test
