// Builds .nuri artifacts for tests from a plain description that tests can
// tweak (bad indices, sizes, ...) before serializing.
#ifndef NURI_TESTS_UNIT_TEST_MODEL_H
#define NURI_TESTS_UNIT_TEST_MODEL_H

#include "nuri/runtime.h"
#include "nuri/schemas/artifact_generated.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nuri::test {

constexpr int64_t kElements = 1024; // matches runtime/tools/cts/cts_kernels.c

/// A status's code, the status freed (for EXPECT_EQ on error codes).
inline nuri_status_code_t codeOf(nuri_status_t status) {
  nuri_status_code_t code = nuri_status_code(status);
  nuri_status_free(status);
  return code;
}

struct TestExecutable {
  std::string target = "cpu";
  std::string format = "elf-x86_64-so";
  std::vector<uint8_t> data;
  std::vector<std::string> entries;
};

struct TestTensor {
  std::string name;
  artifact::DType dtype = artifact::DType::F32;
  std::vector<int64_t> shape;
  uint32_t buffer = 0;
  int32_t dimsBuffer = -1;
  uint32_t stringBytes = 0; // DType::STRING: bytes per element
};

struct TestBuffer {
  artifact::BufferKind kind;
  uint32_t index;
  uint64_t size;
};

struct TestCommand {
  artifact::Command type;
  // Dispatch
  uint32_t executable = 0, entry = 0, workgroups = 1;
  std::vector<uint32_t> bindings;
  // Another implementation for devices that cannot load `executable`.
  int32_t fallbackExecutable = -1;
  uint32_t fallbackEntry = 0, fallbackWorkgroups = 0;
  // The ONNX nodes it computes, and the buffers it writes (the last
  // results.size() bindings; empty: no results vector in the artifact).
  std::vector<std::string> nodes;
  std::vector<TestTensor> results;
  // Copy (and Allocate: target is the buffer sized from `dims`)
  uint32_t source = 0, target = 0;
  // Allocate
  uint32_t dims = 0, rank = 0, elementSize = 4;
  uint64_t sourceOffset = 0, targetOffset = 0, size = 0;
};

struct TestModel {
  uint32_t version = 1;
  std::vector<TestExecutable> executables;
  std::vector<std::vector<uint8_t>> constants;
  std::vector<TestTensor> inputs, outputs;
  std::vector<TestBuffer> buffers;
  std::vector<TestCommand> commands;

  std::vector<uint8_t> serialize() const;
};

// The bytes of runtime/tools/cts/cts_kernels.c's shared object.
std::vector<uint8_t> kernelLibrary();

// inputs x, y: f32[1024]; constant c[i] = i; outputs
//   "sum" = (x + y) + c    (two dispatches through a transient)
//   "sum/x2" = 2 * sum     (a third dispatch)
//   "copy" = x             (a copy command)
// with barriers between dependent commands.
TestModel addModel(uint32_t workgroups = 4);

// `m` (addModel() or one derived from it) with its dispatches naming their
// nodes ("add1", "add2", "scale" in order) and describing their results
// (the last binding, f32[1024]).
TestModel traced(TestModel m);

// inputs x: f32[1024], n: i64[1]; output "y" = 2 * x of run-time shape [n],
// its buffer sized by an Allocate command from n.
TestModel allocateModel();

constexpr uint32_t kStringBytes = 16;
// No executables: inputs s: string[4] (kStringBytes wide), n: i64[1];
// outputs "echo" = s (string[4]) and "head" = the first n strings of s, of
// run-time shape [n] read from input n, capacity 4 strings. Both are copy
// commands.
TestModel stringModel();

// addModel() whose dispatches use executable 0 of format `format` (data
// `primary`, the same entry names) and fall back to executable 1, the cpu
// kernels (fallback workgroups = the primary's).
TestModel fallbackModel(const std::string &target, const std::string &format,
                        std::vector<uint8_t> primary);

// An npu-isa-v1 program (npu_sim_driver_test.cpp) with kernels "add_f32"
// and "scale2_f32" that compute what runtime/tools/cts/cts_kernels.c's entries do; with
// fallbackModel("npu", "npu-isa-v1", ...) it makes an npu,cpu artifact.
std::vector<uint8_t> npuAddScaleProgram();

/// A status's code and message; frees the status.
struct StatusResult {
  nuri_status_code_t code;
  std::string message;
};
StatusResult take(nuri_status_t status);

std::vector<uint8_t> readFile(const std::string &path);
void writeFile(const std::string &path, const std::vector<uint8_t> &bytes);

} // namespace nuri::test

#endif // NURI_TESTS_UNIT_TEST_MODEL_H
