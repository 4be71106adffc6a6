// Artifact loading: valid artifacts load and run; truncated, corrupted and
// inconsistent ones are rejected with a status, never a crash.
#include "nuri/runtime.h"
#include "test_model.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

namespace nuri::test {
namespace {

using artifact::BufferKind;
using artifact::Command;

class ArtifactTest : public ::testing::Test {
protected:
  void SetUp() override { ASSERT_EQ(nullptr, nuri_instance_create(&instance)); }
  void TearDown() override { nuri_instance_release(instance); }

  StatusResult load(const std::vector<uint8_t> &bytes,
                    nuri_module_t *out = nullptr) {
    nuri_module_t module = nullptr;
    StatusResult result = take(nuri_module_load_memory(
        instance, bytes.data(), bytes.size(), "test.nuri", &module));
    if (out)
      *out = module;
    else
      nuri_module_release(module);
    return result;
  }

  // Loads, then creates a session on a cpu device.
  StatusResult prepare(const std::vector<uint8_t> &bytes) {
    nuri_module_t module = nullptr;
    StatusResult result = load(bytes, &module);
    if (result.code != NURI_OK)
      return result;
    nuri_device_t device = nullptr;
    EXPECT_EQ(nullptr, nuri_device_create(instance, "cpu", nullptr, &device));
    nuri_session_t session = nullptr;
    result = take(nuri_session_create(module, device, &session));
    nuri_session_release(session);
    nuri_device_release(device);
    nuri_module_release(module);
    return result;
  }

  nuri_instance_t instance = nullptr;
};

std::vector<float> sequence(float start, float step) {
  std::vector<float> values(kElements);
  for (int64_t i = 0; i < kElements; ++i)
    values[i] = start + step * i;
  return values;
}

void runAddModel(nuri_instance_t instance, nuri_module_t module, int threads) {
  nuri_device_options_t options;
  nuri_device_options_init(&options);
  options.thread_count = threads;
  nuri_device_t device = nullptr;
  ASSERT_EQ(nullptr, nuri_device_create(instance, "cpu", &options, &device));
  nuri_session_t session = nullptr;
  ASSERT_EQ(nullptr, nuri_session_create(module, device, &session));
  std::vector<float> x = sequence(1, 1), y = sequence(0.5f, -2);
  nuri_buffer_t inputs[2];
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(nullptr, nuri_allocator_allocate(nuri_device_allocator(device),
                                               kElements * 4, &inputs[i]));
    void *host;
    ASSERT_EQ(nullptr, nuri_buffer_map(inputs[i], &host));
    std::memcpy(host, (i ? y : x).data(), kElements * 4);
  }
  for (int run = 0; run < 2; ++run) { // transients are reused across runs
    nuri_buffer_t outputs[3] = {};
    ASSERT_EQ(nullptr, nuri_session_invoke(session, inputs, 2, outputs, 3));
    float *sum, *doubled, *copy;
    ASSERT_EQ(nullptr, nuri_buffer_map(outputs[0], (void **)&sum));
    ASSERT_EQ(nullptr, nuri_buffer_map(outputs[1], (void **)&doubled));
    ASSERT_EQ(nullptr, nuri_buffer_map(outputs[2], (void **)&copy));
    for (int64_t i = 0; i < kElements; ++i) {
      ASSERT_EQ(sum[i], x[i] + y[i] + static_cast<float>(i)) << i;
      ASSERT_EQ(doubled[i], 2 * sum[i]) << i;
      ASSERT_EQ(copy[i], x[i]) << i;
    }
    for (nuri_buffer_t output : outputs)
      nuri_buffer_release(output);
  }
  // Wrong input count and size are argument errors, not crashes.
  nuri_buffer_t outputs[3] = {};
  EXPECT_EQ(NURI_INVALID_ARGUMENT,
            take(nuri_session_invoke(session, inputs, 1, outputs, 3)).code);
  nuri_buffer_t small = nullptr;
  ASSERT_EQ(nullptr,
            nuri_allocator_allocate(nuri_device_allocator(device), 4, &small));
  nuri_buffer_t wrong[2] = {inputs[0], small};
  StatusResult bad = take(nuri_session_invoke(session, wrong, 2, outputs, 3));
  EXPECT_EQ(NURI_INVALID_ARGUMENT, bad.code);
  EXPECT_NE(std::string::npos, bad.message.find("'y'")) << bad.message;
  nuri_buffer_release(small);
  for (nuri_buffer_t input : inputs)
    nuri_buffer_release(input);
  nuri_session_release(session);
  nuri_device_release(device);
}

TEST_F(ArtifactTest, ValidArtifactLoadsAndDescribesSignatures) {
  std::vector<uint8_t> bytes = addModel().serialize();
  // Payloads are 64-byte aligned in the file, so a mapped file can use
  // constants in place.
  const artifact::Model *parsed = artifact::GetModel(bytes.data());
  EXPECT_EQ(0,
            (parsed->constants()->Get(0)->data()->data() - bytes.data()) % 64);
  EXPECT_EQ(0, (parsed->executables()->Get(0)->data()->data() - bytes.data()) %
                   64);
  nuri_module_t module = nullptr;
  StatusResult result = load(bytes, &module);
  ASSERT_EQ(NURI_OK, result.code) << result.message;
  ASSERT_EQ(2u, nuri_module_input_count(module));
  ASSERT_EQ(3u, nuri_module_output_count(module));
  nuri_tensor_info_t info;
  ASSERT_EQ(nullptr, nuri_module_input_info(module, 1, &info));
  EXPECT_STREQ("y", info.name);
  EXPECT_EQ(NURI_DTYPE_F32, info.dtype);
  ASSERT_EQ(1u, info.rank);
  EXPECT_EQ(kElements, info.shape[0]);
  EXPECT_EQ(uint64_t(kElements * 4), info.byte_size);
  ASSERT_EQ(nullptr, nuri_module_output_info(module, 1, &info));
  EXPECT_STREQ("sum/x2", info.name);
  EXPECT_EQ(NURI_OUT_OF_RANGE,
            take(nuri_module_output_info(module, 3, &info)).code);
  size_t index = 9;
  EXPECT_EQ(nullptr, nuri_module_find_input(module, "y", &index));
  EXPECT_EQ(1u, index);
  EXPECT_EQ(NURI_NOT_FOUND,
            take(nuri_module_find_input(module, "z", &index)).code);
  nuri_module_release(module);
}

TEST_F(ArtifactTest, RunsSharedObjectThroughMemfd) {
  for (int threads : {1, 2, 4}) {
    for (uint32_t workgroups : {1u, 3u, 16u}) {
      SCOPED_TRACE(testing::Message()
                   << threads << " threads, " << workgroups << " workgroups");
      nuri_module_t module = nullptr;
      ASSERT_EQ(NURI_OK, load(addModel(workgroups).serialize(), &module).code);
      runAddModel(instance, module, threads);
      nuri_module_release(module);
    }
  }
}

TEST_F(ArtifactTest, LoadsFromFileWithConstantsInPlace) {
  std::string path = ::testing::TempDir() + "/nuri_artifact_test.nuri";
  writeFile(path, addModel().serialize());
  nuri_module_t module = nullptr;
  ASSERT_EQ(nullptr, nuri_module_load_file(instance, path.c_str(), &module));
  runAddModel(instance, module, 2);
  nuri_module_release(module);
  std::remove(path.c_str());
  StatusResult missing =
      take(nuri_module_load_file(instance, "/nonexistent.nuri", &module));
  EXPECT_EQ(NURI_NOT_FOUND, missing.code);
}

TEST_F(ArtifactTest, RejectsBadIdentifier) {
  std::vector<uint8_t> bytes = addModel().serialize();
  bytes[4] = 'X';
  StatusResult result = load(bytes);
  EXPECT_EQ(NURI_INVALID_ARGUMENT, result.code);
  EXPECT_EQ("test.nuri: not a .nuri artifact (bad identifier)", result.message);
  EXPECT_NE(NURI_OK, load({}).code);
}

TEST_F(ArtifactTest, RejectsEveryTruncation) {
  std::vector<uint8_t> bytes = addModel(2).serialize();
  // The builder may leave up to 63 bytes of alignment padding at the end
  // that nothing references; cutting only those still leaves a valid file.
  for (size_t length = 0; length < bytes.size(); ++length) {
    std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + length);
    StatusResult result = load(prefix);
    if (length + 64 <= bytes.size()) {
      ASSERT_NE(NURI_OK, result.code) << "length " << length;
    }
    if (length >= 8 && result.code != NURI_OK &&
        result.code != NURI_INVALID_ARGUMENT)
      ASSERT_EQ("test.nuri: truncated or corrupted artifact", result.message);
  }
}

TEST_F(ArtifactTest, SurvivesRandomCorruption) {
  std::vector<uint8_t> original = addModel(2).serialize();
  // Flips inside payloads (code, constant data) leave a valid artifact, so
  // not every corruption is rejected; none may crash the loader.
  std::mt19937 random(1234);
  int rejected = 0;
  const int iterations = 3000;
  for (int iteration = 0; iteration < iterations; ++iteration) {
    std::vector<uint8_t> bytes = original;
    int flips = 1 + random() % 4;
    for (int f = 0; f < flips; ++f) {
      size_t at = random() % bytes.size();
      bytes[at] = static_cast<uint8_t>(random());
    }
    nuri_module_t module = nullptr;
    StatusResult result = load(bytes, &module);
    if (result.code != NURI_OK) {
      ++rejected;
      continue;
    }
    // An accepted file must be safe to describe.
    for (size_t i = 0; i < nuri_module_output_count(module); ++i) {
      nuri_tensor_info_t info;
      ASSERT_EQ(nullptr, nuri_module_output_info(module, i, &info));
      ASSERT_NE(nullptr, info.name);
    }
    nuri_module_release(module);
  }
  EXPECT_GT(rejected, 0);
  // A root offset pointing outside the file is always rejected.
  for (int value = 0; value < 256; ++value) {
    std::vector<uint8_t> bytes = original;
    bytes[0] = static_cast<uint8_t>(value);
    bytes[1] = static_cast<uint8_t>(255 - value);
    bytes[3] = 0x7f;
    ASSERT_NE(NURI_OK, load(bytes).code);
  }
}

TEST_F(ArtifactTest, RejectsOutOfRangeIndices) {
  struct Case {
    const char *name;
    void (*mutate)(TestModel &);
    const char *message;
  };
  const Case cases[] = {
      {"version", [](TestModel &m) { m.version = 2; },
       "unsupported artifact version 2"},
      {"binding", [](TestModel &m) { m.commands[2].bindings[1] = 99; },
       "test.nuri: dispatch 2 binds buffer 99 of 7"},
      {"executable", [](TestModel &m) { m.commands[0].executable = 5; },
       "dispatch 0 uses executable 5 of 1"},
      {"entry", [](TestModel &m) { m.commands[4].entry = 2; },
       "dispatch 4 uses entry point 2 of 2"},
      {"workgroups", [](TestModel &m) { m.commands[0].workgroups = 0; },
       "dispatch 0 has workgroup_count 0"},
      {"input index", [](TestModel &m) { m.buffers[1].index = 7; },
       "buffer 1 is input 7 of 2"},
      {"output index", [](TestModel &m) { m.buffers[4].index = 3; },
       "buffer 4 is output 3 of 3"},
      {"constant index", [](TestModel &m) { m.buffers[2].index = 1; },
       "buffer 2 is constant 1 of 1"},
      {"constant size", [](TestModel &m) { m.constants[0].resize(8); },
       "constant 0 has 8"},
      {"signature buffer", [](TestModel &m) { m.inputs[0].buffer = 70; },
       "input 'x' uses buffer 70 of 7"},
      {"signature kind", [](TestModel &m) { m.inputs[0].buffer = 1; },
       "not input 0"},
      {"signature size", [](TestModel &m) { m.outputs[0].shape = {3}; },
       "output 'sum' is f32[...] with 12 bytes but buffer 4 has 4096"},
      {"negative dim", [](TestModel &m) { m.inputs[1].shape = {-1}; },
       "input 'y' has invalid dimension -1"},
      {"copy range", [](TestModel &m) { m.commands[5].sourceOffset = 8; },
       "copy 5 reads [8, +4096) outside buffer 0 of 4096 bytes"},
      {"copy target", [](TestModel &m) { m.commands[5].target = 12; },
       "copy 5 writes buffer 12 of 7"},
      {"copy into constant", [](TestModel &m) { m.commands[5].target = 2; },
       "copy 5 writes constant buffer 2"},
      {"huge buffer", [](TestModel &m) { m.buffers[3].size = ~uint64_t(0); },
       "buffer 3 has an implausible size"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.name);
    TestModel model = addModel();
    c.mutate(model);
    StatusResult result = load(model.serialize());
    EXPECT_EQ(NURI_DATA_LOSS, result.code);
    EXPECT_NE(std::string::npos, result.message.find(c.message))
        << result.message;
  }
}

// Dispatch.results (tracing) must describe the dispatch's last bindings and
// fit their buffers.
TEST_F(ArtifactTest, RejectsBadDispatchResults) {
  using artifact::DType;
  // commands: 0 add (0,1 -> 3), 2 add (3,2 -> 4), 4 scale (4 -> 5)
  ASSERT_EQ(NURI_OK, load(traced(addModel()).serialize()).code);
  struct Case {
    const char *name;
    void (*mutate)(TestModel &);
    const char *message;
  };
  const Case cases[] = {
      {"too many",
       [](TestModel &m) {
         m.commands[4].results = {{"", DType::F32, {1}, 4},
                                  {"", DType::F32, {1}, 5},
                                  {"", DType::F32, {1}, 5}};
       },
       "test.nuri: dispatch 4 describes 3 results but has 2 bindings"},
      {"buffer", [](TestModel &m) { m.commands[0].results[0].buffer = 99; },
       "dispatch 0 result 0 is buffer 99 of 7"},
      {"not the binding",
       [](TestModel &m) { m.commands[2].results[0].buffer = 3; },
       "dispatch 2 result 0 is buffer 3 but binding 2 is buffer 4"},
      {"not the last bindings",
       [](TestModel &m) {
         m.commands[2].results = {{"", DType::F32, {1}, 4},
                                  {"", DType::F32, {1}, 4}};
       },
       "dispatch 2 result 0 is buffer 4 but binding 1 is buffer 2"},
      {"dtype",
       [](TestModel &m) { m.commands[0].results[0].dtype = DType(99); },
       "dispatch 0 result 0 has unknown dtype 99"},
      {"string width",
       [](TestModel &m) { m.commands[0].results[0].dtype = DType::STRING; },
       "dispatch 0 result 0 is a string tensor with string_bytes 0"},
      {"negative dim",
       [](TestModel &m) { m.commands[4].results[0].shape = {4, -1}; },
       "dispatch 4 result 0 has invalid dimension -1"},
      {"rank",
       [](TestModel &m) {
         m.commands[4].results[0].shape = std::vector<int64_t>(17, 1);
       },
       "dispatch 4 result 0 has rank 17"},
      {"too large",
       [](TestModel &m) { m.commands[4].results[0].shape = {2, kElements}; },
       "dispatch 4 result 0 is f32 with 8192 bytes but buffer 5 has 4096"},
      {"too large dtype",
       [](TestModel &m) { m.commands[2].results[0].dtype = DType::F64; },
       "dispatch 2 result 0 is f64 with 8192 bytes but buffer 4 has 4096"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.name);
    TestModel model = traced(addModel());
    c.mutate(model);
    StatusResult result = load(model.serialize());
    EXPECT_EQ(NURI_DATA_LOSS, result.code);
    EXPECT_NE(std::string::npos, result.message.find(c.message))
        << result.message;
  }
  // A result may be smaller than its buffer, have any rank, or describe a
  // buffer sized at run time (no bound at load time).
  TestModel smaller = traced(addModel());
  smaller.commands[4].results[0].shape = {2, 4, 8};
  smaller.commands[2].results[0].dtype = DType::I8;
  StatusResult loaded = load(smaller.serialize());
  EXPECT_EQ(NURI_OK, loaded.code) << loaded.message;
  TestModel allocated = allocateModel();
  allocated.commands[1].results = {{"y", DType::F32, {2 * kElements}, 2}};
  loaded = load(allocated.serialize());
  EXPECT_EQ(NURI_OK, loaded.code) << loaded.message;
}

TEST_F(ArtifactTest, AllocateSizesOutputsFromRunTimeDims) {
  nuri_module_t module = nullptr;
  StatusResult loaded = load(allocateModel().serialize(), &module);
  ASSERT_EQ(NURI_OK, loaded.code) << loaded.message;
  nuri_device_t device = nullptr;
  ASSERT_EQ(nullptr, nuri_device_create(instance, "cpu", nullptr, &device));
  nuri_session_t session = nullptr;
  ASSERT_EQ(nullptr, nuri_session_create(module, device, &session));
  std::vector<float> x = sequence(1, 0.5f);
  nuri_buffer_t inputs[2];
  void *host;
  ASSERT_EQ(nullptr, nuri_allocator_allocate(nuri_device_allocator(device), kElements * 4, &inputs[0]));
  ASSERT_EQ(nullptr, nuri_buffer_map(inputs[0], &host));
  std::memcpy(host, x.data(), kElements * 4);
  ASSERT_EQ(nullptr, nuri_allocator_allocate(nuri_device_allocator(device), 8, &inputs[1]));
  ASSERT_EQ(nullptr, nuri_buffer_map(inputs[1], &host));
  int64_t *n = static_cast<int64_t *>(host);
  *n = kElements;
  nuri_buffer_t output = nullptr;
  ASSERT_EQ(nullptr, nuri_session_invoke(session, inputs, 2, &output, 1));
  EXPECT_EQ(uint64_t(kElements * 4), nuri_buffer_size(output));
  int64_t dim = 0;
  ASSERT_EQ(nullptr, nuri_session_output_shape(session, 0, &dim, 1));
  EXPECT_EQ(kElements, dim);
  float *y = nullptr;
  ASSERT_EQ(nullptr, nuri_buffer_map(output, (void **)&y));
  for (int64_t i = 0; i < kElements; ++i)
    ASSERT_EQ(2 * x[i], y[i]) << i;
  nuri_buffer_release(output);
  // A negative computed dimension is an error, not a huge allocation.
  *n = -3;
  output = nullptr;
  StatusResult bad = take(nuri_session_invoke(session, inputs, 2, &output, 1));
  EXPECT_EQ(NURI_OUT_OF_RANGE, bad.code);
  EXPECT_NE(std::string::npos, bad.message.find("computed dimension 0 is -3")) << bad.message;
  EXPECT_EQ(nullptr, output);
  for (nuri_buffer_t input : inputs)
    nuri_buffer_release(input);
  nuri_session_release(session);
  nuri_device_release(device);
  nuri_module_release(module);
}

TEST_F(ArtifactTest, RejectsMisplacedAllocate) {
  struct Case {
    const char *name;
    void (*mutate)(TestModel &);
    const char *message;
  };
  const Case cases[] = {
      {"use before allocate", [](TestModel &m) { std::swap(m.commands[0], m.commands[1]); },
       "dispatch 0 binds buffer 2 before it is allocated"},
      {"sized buffer", [](TestModel &m) { m.buffers[2].size = 16; },
       "allocate 0 sizes buffer 2, which is not an unsized transient or output"},
      {"input buffer", [](TestModel &m) { m.commands[0].target = 0; },
       "allocate 0 sizes buffer 0, which is not an unsized"},
      {"dims size", [](TestModel &m) { m.commands[0].rank = 2; },
       "allocate 0: dimension buffer 1 is not int64[2]"},
      {"element size", [](TestModel &m) { m.commands[0].elementSize = 0; },
       "allocate 0 has element size 0"},
      {"element size above string width",
       [](TestModel &m) { m.commands[0].elementSize = 65537; },
       "allocate 0 has element size 65537 (must be 1..65536)"},
      {"twice", [](TestModel &m) { m.commands.insert(m.commands.begin(), m.commands[0]); },
       "buffer 2 is allocated twice"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.name);
    TestModel model = allocateModel();
    c.mutate(model);
    StatusResult result = load(model.serialize());
    EXPECT_EQ(NURI_DATA_LOSS, result.code);
    EXPECT_NE(std::string::npos, result.message.find(c.message)) << result.message;
  }
}

// Strings in the device layout: each NUL-padded to kStringBytes.
std::vector<uint8_t> packed(const std::vector<std::string> &strings) {
  std::vector<uint8_t> bytes(strings.size() * kStringBytes, 0);
  for (size_t i = 0; i < strings.size(); ++i)
    std::memcpy(&bytes[i * kStringBytes], strings[i].data(), strings[i].size());
  return bytes;
}

TEST_F(ArtifactTest, StringTensorsDescribeTheirWidthAndRun) {
  nuri_module_t module = nullptr;
  StatusResult loaded = load(stringModel().serialize(), &module);
  ASSERT_EQ(NURI_OK, loaded.code) << loaded.message;
  nuri_tensor_info_t info;
  ASSERT_EQ(nullptr, nuri_module_input_info(module, 0, &info));
  EXPECT_EQ(NURI_DTYPE_STRING, info.dtype);
  EXPECT_EQ(kStringBytes, info.string_bytes);
  EXPECT_EQ(4u * kStringBytes, info.byte_size);
  ASSERT_EQ(nullptr, nuri_module_input_info(module, 1, &info));
  EXPECT_EQ(0u, info.string_bytes);
  EXPECT_EQ(8u, info.byte_size);
  ASSERT_EQ(nullptr, nuri_module_output_info(module, 1, &info));
  EXPECT_EQ(kStringBytes, info.string_bytes);
  EXPECT_EQ(4u * kStringBytes, info.byte_size); // capacity

  nuri_device_t device = nullptr;
  ASSERT_EQ(nullptr, nuri_device_create(instance, "cpu", nullptr, &device));
  nuri_allocator_t allocator = nuri_device_allocator(device);
  nuri_session_t session = nullptr;
  ASSERT_EQ(nullptr, nuri_session_create(module, device, &session));
  // A string of exactly kStringBytes bytes has no NUL.
  std::vector<uint8_t> text =
      packed({"월요일", "tuesday", "", "sixteen bytes!!!"});
  nuri_buffer_t inputs[2];
  void *host;
  ASSERT_EQ(nullptr, nuri_allocator_allocate(allocator, text.size(), &inputs[0]));
  ASSERT_EQ(nullptr, nuri_buffer_map(inputs[0], &host));
  std::memcpy(host, text.data(), text.size());
  ASSERT_EQ(nullptr, nuri_allocator_allocate(allocator, 8, &inputs[1]));
  ASSERT_EQ(nullptr, nuri_buffer_map(inputs[1], &host));
  int64_t *n = static_cast<int64_t *>(host);
  *n = 2;
  nuri_buffer_t outputs[2] = {};
  ASSERT_EQ(nullptr, nuri_session_invoke(session, inputs, 2, outputs, 2));
  ASSERT_EQ(text.size(), nuri_buffer_size(outputs[0]));
  ASSERT_EQ(nullptr, nuri_buffer_map(outputs[0], &host));
  EXPECT_EQ(0, std::memcmp(host, text.data(), text.size()));
  int64_t dim = 0;
  ASSERT_EQ(nullptr, nuri_session_output_shape(session, 1, &dim, 1));
  EXPECT_EQ(2, dim);
  for (nuri_buffer_t output : outputs)
    nuri_buffer_release(output);

  // Run-time shapes are checked against the capacity in strings.
  *n = 5;
  StatusResult bad = take(nuri_session_invoke(session, inputs, 2, outputs, 2));
  EXPECT_EQ(NURI_OUT_OF_RANGE, bad.code);
  EXPECT_NE(std::string::npos,
            bad.message.find("output 'head': computed shape needs 5 elements "
                             "of 16 bytes, capacity is 64 bytes"))
      << bad.message;
  // An input buffer sized as if strings were 8 bytes wide is refused.
  *n = 1;
  nuri_buffer_t narrow = nullptr;
  ASSERT_EQ(nullptr, nuri_allocator_allocate(allocator, 32, &narrow));
  nuri_buffer_t wrong[2] = {narrow, inputs[1]};
  bad = take(nuri_session_invoke(session, wrong, 2, outputs, 2));
  EXPECT_EQ(NURI_INVALID_ARGUMENT, bad.code);
  EXPECT_NE(std::string::npos,
            bad.message.find("input 's' needs 64 bytes, buffer has 32"))
      << bad.message;
  nuri_buffer_release(narrow);
  for (nuri_buffer_t input : inputs)
    nuri_buffer_release(input);
  nuri_session_release(session);
  nuri_device_release(device);
  nuri_module_release(module);
}

TEST_F(ArtifactTest, RejectsBadStringWidths) {
  struct Case {
    const char *name;
    void (*mutate)(TestModel &);
    const char *message;
  };
  const Case cases[] = {
      {"zero width", [](TestModel &m) { m.inputs[0].stringBytes = 0; },
       "test.nuri: input 's' is a string tensor with string_bytes 0 (must be "
       "1..65536)"},
      {"too wide", [](TestModel &m) { m.outputs[0].stringBytes = 65537; },
       "output 'echo' is a string tensor with string_bytes 65537"},
      {"width on a number", [](TestModel &m) { m.inputs[1].stringBytes = 8; },
       "input 'n' has dtype i64 but string_bytes 8"},
      {"buffer size", [](TestModel &m) { m.outputs[0].stringBytes = 8; },
       "output 'echo' is string[...] with 32 bytes but buffer 2 has 64"},
      {"capacity", [](TestModel &m) { m.outputs[1].stringBytes = 24; },
       "output 'head' is string[...] with 24 bytes but buffer 3 has 64"},
      {"unknown dtype",
       [](TestModel &m) { m.inputs[1].dtype = static_cast<artifact::DType>(14); },
       "input 'n' has unknown dtype 14"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.name);
    TestModel model = stringModel();
    c.mutate(model);
    StatusResult result = load(model.serialize());
    EXPECT_EQ(NURI_DATA_LOSS, result.code);
    EXPECT_NE(std::string::npos, result.message.find(c.message))
        << result.message;
  }
}

TEST_F(ArtifactTest, SessionRejectsUnloadableExecutables) {
  TestModel model = addModel();
  model.executables[0].entries[1] = "missing_kernel";
  StatusResult result = prepare(model.serialize());
  EXPECT_EQ(NURI_NOT_FOUND, result.code);
  EXPECT_NE(std::string::npos, result.message.find("'missing_kernel'"))
      << result.message;

  model = addModel();
  model.executables[0].format = "spirv";
  result = prepare(model.serialize());
  EXPECT_EQ(NURI_UNIMPLEMENTED, result.code);
  EXPECT_NE(std::string::npos, result.message.find("format 'spirv'"))
      << result.message;

  model = addModel();
  model.executables[0].data.assign(4096, 0xAB);
  result = prepare(model.serialize());
  EXPECT_NE(NURI_OK, result.code);
  EXPECT_NE(std::string::npos, result.message.find("executable 0"))
      << result.message;
}

TEST_F(ArtifactTest, DispatchFallsBackWhenThePrimaryFormatIsUnsupported) {
  // The primary (an npu program the cpu cannot load; junk bytes, never
  // created) falls back to the cpu kernels.
  TestModel model =
      fallbackModel("npu", "npu-isa-v1", std::vector<uint8_t>(256, 0xAB));
  nuri_module_t module = nullptr;
  std::vector<uint8_t> bytes = model.serialize();
  ASSERT_EQ(NURI_OK, load(bytes, &module).code);
  runAddModel(instance, module, 2);
  nuri_module_release(module);

  // A device that loads the primary uses it; the fallback (here broken) is
  // never created.
  model = fallbackModel("cpu", "elf-x86_64-so", kernelLibrary());
  model.executables[1].data.assign(4096, 0xAB);
  bytes = model.serialize();
  ASSERT_EQ(NURI_OK, load(bytes, &module).code);
  runAddModel(instance, module, 1);
  nuri_module_release(module);

  // Neither format loads: the error names both.
  model = fallbackModel("gpu", "spirv", std::vector<uint8_t>(64, 1));
  model.executables[1].format = "ptx";
  StatusResult result = prepare(model.serialize());
  EXPECT_EQ(NURI_UNIMPLEMENTED, result.code);
  EXPECT_NE(std::string::npos, result.message.find("format 'spirv'"))
      << result.message;
  EXPECT_NE(std::string::npos, result.message.find("format 'ptx'"))
      << result.message;
  EXPECT_NE(std::string::npos, result.message.find("fallback executable 1"))
      << result.message;
}

TEST_F(ArtifactTest, RejectsBadFallbacks) {
  struct Case {
    int32_t executable;
    uint32_t entry, workgroups;
    const char *message;
  } cases[] = {
      {2, 0, 1, "dispatch 0 has fallback executable 2 of 2"},
      {-2, 0, 1, "dispatch 0 has fallback executable -2 of 2"},
      {1, 2, 1, "dispatch 0 uses fallback entry point 2 of 2"},
      {1, 0, 0, "dispatch 0 has fallback_workgroup_count 0"},
  };
  for (const Case &c : cases) {
    TestModel model =
        fallbackModel("npu", "npu-isa-v1", std::vector<uint8_t>(64, 1));
    model.commands[0].fallbackExecutable = c.executable;
    model.commands[0].fallbackEntry = c.entry;
    model.commands[0].fallbackWorkgroups = c.workgroups;
    StatusResult result = load(model.serialize());
    EXPECT_EQ(NURI_DATA_LOSS, result.code) << c.message;
    EXPECT_NE(std::string::npos, result.message.find(c.message))
        << result.message;
  }
}

} // namespace
} // namespace nuri::test
