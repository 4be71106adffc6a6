#include "test_model.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace nuri::test {

using namespace artifact;

std::vector<uint8_t> TestModel::serialize() const {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<Executable>> exes;
  for (const TestExecutable &e : executables) {
    fbb.ForceVectorAlignment(e.data.size(), 1, 64);
    auto data = fbb.CreateVector(e.data);
    exes.push_back(CreateExecutable(fbb, fbb.CreateString(e.target),
                                    fbb.CreateString(e.format), data,
                                    fbb.CreateVectorOfStrings(e.entries)));
  }
  std::vector<flatbuffers::Offset<Constant>> consts;
  for (size_t i = 0; i < constants.size(); ++i) {
    fbb.ForceVectorAlignment(constants[i].size(), 1, 64);
    auto data = fbb.CreateVector(constants[i]);
    consts.push_back(
        CreateConstant(fbb, fbb.CreateString("c" + std::to_string(i)), data));
  }
  auto signatures = [&](const std::vector<TestTensor> &list) {
    std::vector<flatbuffers::Offset<TensorSignature>> out;
    for (const TestTensor &t : list)
      out.push_back(CreateTensorSignature(fbb, fbb.CreateString(t.name),
                                          t.dtype, fbb.CreateVector(t.shape),
                                          t.buffer, t.dimsBuffer,
                                          t.stringBytes));
    return fbb.CreateVector(out);
  };
  auto ins = signatures(inputs);
  auto outs = signatures(outputs);
  std::vector<flatbuffers::Offset<Buffer>> bufs;
  for (const TestBuffer &b : buffers)
    bufs.push_back(CreateBuffer(fbb, b.kind, b.index, b.size));
  std::vector<uint8_t> types;
  std::vector<flatbuffers::Offset<void>> cmds;
  for (const TestCommand &c : commands) {
    types.push_back(static_cast<uint8_t>(c.type));
    if (c.type == Command::Dispatch) {
      flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>>
          nodes;
      flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<TensorSignature>>>
          results;
      if (!c.nodes.empty())
        nodes = fbb.CreateVectorOfStrings(c.nodes);
      if (!c.results.empty())
        results = signatures(c.results);
      cmds.push_back(CreateDispatch(fbb, c.executable, c.entry, c.workgroups,
                                    fbb.CreateVector(c.bindings), nodes,
                                    c.fallbackExecutable, c.fallbackEntry,
                                    c.fallbackWorkgroups, results)
                         .Union());
    } else if (c.type == Command::Copy)
      cmds.push_back(CreateCopy(fbb, c.source, c.sourceOffset, c.target,
                                c.targetOffset, c.size)
                         .Union());
    else if (c.type == Command::Allocate)
      cmds.push_back(CreateAllocate(fbb, c.target, c.dims, c.rank, c.elementSize).Union());
    else
      cmds.push_back(CreateBarrier(fbb).Union());
  }
  auto program = CreateHostProgram(
      fbb, fbb.CreateVector(bufs),
      fbb.CreateVector(reinterpret_cast<const Command *>(types.data()),
                       types.size()),
      fbb.CreateVector(cmds));
  auto model = CreateModel(
      fbb, version, fbb.CreateString("test"), fbb.CreateString("add"),
      fbb.CreateVectorOfStrings({"cpu"}), fbb.CreateVector(exes),
      fbb.CreateVector(consts), ins, outs, program);
  FinishModelBuffer(fbb, model);
  return std::vector<uint8_t>(fbb.GetBufferPointer(),
                              fbb.GetBufferPointer() + fbb.GetSize());
}

std::vector<uint8_t> readFile(const std::string &path) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    throw std::runtime_error("cannot open " + path);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(file)),
                              std::istreambuf_iterator<char>());
}

void writeFile(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
}

std::vector<uint8_t> kernelLibrary() { return readFile(NURI_TEST_KERNELS_SO); }

TestModel addModel(uint32_t workgroups) {
  const uint64_t bytes = kElements * 4;
  TestModel m;
  m.executables.push_back(
      {"cpu", "elf-x86_64-so", kernelLibrary(), {"add_f32", "scale2_f32"}});
  std::vector<uint8_t> constant(bytes);
  for (int64_t i = 0; i < kElements; ++i) {
    float value = static_cast<float>(i);
    std::memcpy(&constant[i * 4], &value, 4);
  }
  m.constants.push_back(constant);
  // buffers: 0 x, 1 y, 2 c, 3 transient, 4 sum, 5 sum/x2, 6 copy
  m.buffers = {
      {BufferKind::Input, 0, bytes},    {BufferKind::Input, 1, bytes},
      {BufferKind::Constant, 0, bytes}, {BufferKind::Transient, 0, bytes},
      {BufferKind::Output, 0, bytes},   {BufferKind::Output, 1, bytes},
      {BufferKind::Output, 2, bytes}};
  m.inputs = {{"x", DType::F32, {kElements}, 0},
              {"y", DType::F32, {kElements}, 1}};
  m.outputs = {{"sum", DType::F32, {kElements}, 4},
               {"sum/x2", DType::F32, {kElements}, 5},
               {"copy", DType::F32, {kElements}, 6}};
  TestCommand add1{Command::Dispatch};
  add1.entry = 0;
  add1.workgroups = workgroups;
  add1.bindings = {0, 1, 3};
  TestCommand add2 = add1;
  add2.bindings = {3, 2, 4};
  TestCommand scale{Command::Dispatch};
  scale.entry = 1;
  scale.workgroups = workgroups;
  scale.bindings = {4, 5};
  TestCommand copy{Command::Copy};
  copy.source = 0;
  copy.target = 6;
  copy.size = bytes;
  TestCommand barrier{Command::Barrier};
  m.commands = {add1, barrier, add2, barrier, scale, copy};
  return m;
}

TestModel traced(TestModel m) {
  const char *names[] = {"add1", "add2", "scale"};
  size_t n = 0;
  for (TestCommand &c : m.commands)
    if (c.type == Command::Dispatch) {
      c.nodes = {names[n++ % 3]};
      uint32_t written = c.bindings.back();
      c.results = {{"", DType::F32, {kElements}, written}};
    }
  return m;
}

TestModel allocateModel() {
  TestModel m;
  m.executables.push_back(
      {"cpu", "elf-x86_64-so", kernelLibrary(), {"add_f32", "scale2_f32"}});
  // buffers: 0 x, 1 n, 2 y (sized at run time)
  m.buffers = {{BufferKind::Input, 0, kElements * 4},
               {BufferKind::Input, 1, 8},
               {BufferKind::Output, 0, 0}};
  m.inputs = {{"x", DType::F32, {kElements}, 0}, {"n", DType::I64, {1}, 1}};
  m.outputs = {{"y", DType::F32, {-1}, 2, 1}};
  TestCommand allocate{Command::Allocate};
  allocate.target = 2;
  allocate.dims = 1;
  allocate.rank = 1;
  TestCommand scale{Command::Dispatch};
  scale.entry = 1;
  scale.bindings = {0, 2};
  m.commands = {allocate, scale};
  return m;
}

TestModel stringModel() {
  const uint64_t bytes = 4 * kStringBytes;
  TestModel m;
  // buffers: 0 s, 1 n, 2 echo, 3 head
  m.buffers = {{BufferKind::Input, 0, bytes},
               {BufferKind::Input, 1, 8},
               {BufferKind::Output, 0, bytes},
               {BufferKind::Output, 1, bytes}};
  m.inputs = {{"s", DType::STRING, {4}, 0, -1, kStringBytes},
              {"n", DType::I64, {1}, 1}};
  m.outputs = {{"echo", DType::STRING, {4}, 2, -1, kStringBytes},
               {"head", DType::STRING, {-1}, 3, 1, kStringBytes}};
  TestCommand echo{Command::Copy};
  echo.source = 0;
  echo.target = 2;
  echo.size = bytes;
  TestCommand head = echo;
  head.target = 3;
  m.commands = {echo, head};
  return m;
}

TestModel fallbackModel(const std::string &target, const std::string &format,
                        std::vector<uint8_t> primary) {
  TestModel m = addModel();
  TestExecutable cpu = m.executables[0];
  m.executables = {{target, format, std::move(primary), cpu.entries}, cpu};
  for (TestCommand &c : m.commands)
    if (c.type == Command::Dispatch) {
      c.fallbackExecutable = 1;
      c.fallbackEntry = c.entry;
      c.fallbackWorkgroups = c.workgroups;
    }
  return m;
}

StatusResult take(nuri_status_t status) {
  StatusResult result{nuri_status_code(status), nuri_status_message(status)};
  nuri_status_free(status);
  return result;
}

} // namespace nuri::test
