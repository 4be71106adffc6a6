// nuri-run: loads a .nuri artifact, binds inputs from .npy / TensorProto
// .pb files, runs it on a device and writes the outputs as .npy.
#include "nuri/runtime.h"
#include "tensor_io.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace {

const char *const kUsage =
    "usage: nuri-run MODEL.nuri [--device cpu|npu-sim|vulkan[:N]|cuda[:N]|auto]\n"
    "                --input [NAME=]FILE ... [--output-dir DIR]\n"
    "                [--threads N] [--warmup N] [--runs N]\n"
    "                [--stats-json FILE] [--trace FILE] [--driver-plugin FILE]\n"
    "                [--quiet] [--help]\n"
    "\n"
    "  MODEL.nuri          artifact from nuri-compile\n"
    "  --device NAME       driver to run on: cpu, npu-sim (the reference NPU\n"
    "                      simulator; never picked by auto), vulkan or\n"
    "                      vulkan:N (the Nth Vulkan device, from 0), cuda or\n"
    "                      cuda:N (an NVIDIA GPU via libcuda.so.1), or auto\n"
    "                      (default: the first present of npu, cuda, vulkan\n"
    "                      that the artifact has code for, else cpu)\n"
    "  --input NAME=FILE   bind model input NAME to FILE (.npy or ONNX\n"
    "                      TensorProto .pb); a bare FILE binds the next\n"
    "                      unbound input in model order; a bf16 input\n"
    "                      also takes uint16 data (the bit patterns); a\n"
    "                      string input takes '<U' or '|S' .npy or a\n"
    "                      TensorProto with string_data\n"
    "  --output-dir DIR    write each output to DIR/NAME.npy (bf16 as\n"
    "                      uint16 bit patterns: NumPy has no bfloat16;\n"
    "                      strings as '<U')\n"
    "  --threads N         cpu worker threads (default: all cores)\n"
    "  --driver-plugin FILE  load a HAL driver from a shared library\n"
    "                      (nuri/driver_plugin.h; repeatable) and make it a\n"
    "                      --device; NURI_DRIVER_PATH, a colon-separated\n"
    "                      list of plugin files and directories, adds more\n"
    "  --warmup N          untimed runs before timing (default 0)\n"
    "  --runs N            timed runs; prints median and min (default 1)\n"
    "  --stats-json FILE   write the device's counters of the last run as\n"
    "                      JSON (devices with a profile, e.g. npu-sim)\n"
    "  --trace FILE        write a Chrome/Perfetto trace of the last run\n"
    "  --quiet             print only errors\n";

struct Options {
  std::string model;
  std::string device = "auto";
  std::vector<std::string> inputs, driverPlugins;
  std::string outputDir;
  int threads = 0;
  int warmup = 0;
  int runs = 1;
  std::string statsJson, trace;
  bool quiet = false;
};

[[noreturn]] void usageError(const std::string &message) {
  std::fprintf(stderr, "nuri-run: error: %s\n%s", message.c_str(), kUsage);
  std::exit(2);
}

[[noreturn]] void fail(const std::string &message) {
  std::fprintf(stderr, "nuri-run: error: %s\n", message.c_str());
  std::exit(1);
}

// Consumes a status; exits with its message when it is an error.
void check(nuri_status_t status) {
  if (!status)
    return;
  std::string message = nuri_status_message(status);
  nuri_status_free(status);
  fail(message);
}

int parseCount(const std::string &flag, const std::string &text, int minimum) {
  char *end = nullptr;
  errno = 0;
  long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end || errno || value < minimum || value > 1000000)
    usageError(flag + " needs an integer >= " + std::to_string(minimum) +
               ", got '" + text + "'");
  return static_cast<int>(value);
}

Options parseArgs(int argc, char **argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool inlineValue = false;
    if (arg.rfind("--", 0) == 0) {
      size_t eq = arg.find('=');
      if (eq != std::string::npos) {
        value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
        inlineValue = true;
      }
    }
    auto next = [&]() -> std::string {
      if (inlineValue)
        return value;
      if (i + 1 >= argc)
        usageError(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (arg == "--device") {
      options.device = next();
    } else if (arg == "--input") {
      options.inputs.push_back(next());
    } else if (arg == "--output-dir") {
      options.outputDir = next();
    } else if (arg == "--driver-plugin") {
      options.driverPlugins.push_back(next());
    } else if (arg == "--threads") {
      options.threads = parseCount(arg, next(), 0);
    } else if (arg == "--warmup") {
      options.warmup = parseCount(arg, next(), 0);
    } else if (arg == "--runs") {
      options.runs = parseCount(arg, next(), 1);
    } else if (arg == "--stats-json") {
      options.statsJson = next();
    } else if (arg == "--trace") {
      options.trace = next();
    } else if (arg == "--quiet" || arg == "-q") {
      options.quiet = true;
    } else if (arg.size() > 1 && arg[0] == '-') {
      usageError("unknown option '" + arg + "'");
    } else if (options.model.empty()) {
      options.model = arg;
    } else {
      usageError("unexpected argument '" + arg + "' (model is '" +
                 options.model + "')");
    }
  }
  if (options.model.empty())
    usageError("no model given");
  return options;
}

struct Signature {
  std::string name;
  nuri_dtype_t dtype;
  std::vector<int64_t> shape;
  uint64_t bytes;
  uint64_t stringBytes = 0; // NURI_DTYPE_STRING: bytes per element

  // Bytes per element on the device.
  uint64_t elementBytes() const {
    return dtype == NURI_DTYPE_STRING ? stringBytes : nuri_dtype_size(dtype);
  }
};

std::vector<Signature> signatures(nuri_module_t module, bool inputs) {
  std::vector<Signature> list;
  size_t count = inputs ? nuri_module_input_count(module)
                        : nuri_module_output_count(module);
  for (size_t i = 0; i < count; ++i) {
    nuri_tensor_info_t info;
    check(inputs ? nuri_module_input_info(module, i, &info)
                 : nuri_module_output_info(module, i, &info));
    list.push_back({info.name, info.dtype,
                    std::vector<int64_t>(info.shape, info.shape + info.rank),
                    info.byte_size, info.string_bytes});
  }
  return list;
}

std::string nameList(const std::vector<Signature> &list) {
  std::string text;
  for (const Signature &s : list)
    text += (text.empty() ? "" : ", ") + s.name + " " +
            nuri::describe(s.dtype, s.shape);
  return text.empty() ? "none" : text;
}

// Resolves --input specs to one file per model input, in model order.
std::vector<std::string> bindInputs(const Options &options,
                                    const std::vector<Signature> &inputs) {
  std::vector<std::string> files(inputs.size());
  std::vector<std::string> bare;
  auto find = [&](const std::string &name) -> int {
    for (size_t i = 0; i < inputs.size(); ++i)
      if (inputs[i].name == name)
        return static_cast<int>(i);
    return -1;
  };
  for (const std::string &spec : options.inputs) {
    size_t eq = spec.find('=');
    bool exists = std::filesystem::exists(spec);
    if (eq == std::string::npos || (exists && find(spec.substr(0, eq)) < 0)) {
      bare.push_back(spec);
      continue;
    }
    std::string name = spec.substr(0, eq);
    int index = find(name);
    if (index < 0)
      fail("unknown input '" + name + "' (model inputs: " + nameList(inputs) +
           ")");
    if (!files[index].empty())
      fail("input '" + name + "' is given twice");
    files[index] = spec.substr(eq + 1);
  }
  size_t next = 0;
  for (const std::string &file : bare) {
    while (next < files.size() && !files[next].empty())
      ++next;
    if (next == files.size())
      fail("too many inputs: the model takes " + std::to_string(inputs.size()) +
           " (" + nameList(inputs) + "), given " +
           std::to_string(options.inputs.size()));
    files[next] = file;
  }
  for (size_t i = 0; i < files.size(); ++i)
    if (files[i].empty())
      fail("missing input '" + inputs[i].name + "' (" +
           nuri::describe(inputs[i].dtype, inputs[i].shape) +
           "); pass --input " + inputs[i].name + "=FILE");
  return files;
}

std::string fileSafe(const std::string &name) {
  std::string safe = name;
  for (char &c : safe)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' ||
          c == '-'))
      c = '_';
  if (safe.empty() || safe == "." || safe == "..")
    safe = "_" + safe;
  return safe;
}

// A string for the one-line summary: in double quotes, with quotes,
// backslashes and control bytes escaped so it stays on its line, and cut
// (on a UTF-8 character boundary) after `limit` bytes.
std::string quoted(const std::string &text, size_t limit) {
  size_t end = std::min(text.size(), limit);
  while (end < text.size() && end > 0 &&
         (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80)
    --end; // don't split a multibyte character
  std::string out = "\"";
  for (size_t i = 0; i < end; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char escape[8];
      std::snprintf(escape, sizeof(escape), "\\x%02x", c);
      out += escape;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + (end < text.size() ? "...\"" : "\"");
}

// The first strings, as many as fit about a line; always at least one.
void printStrings(const nuri::HostTensor &tensor) {
  const size_t kLineBytes = 64, kStringBytes = 40;
  size_t printed = 0, shown = 0;
  std::printf(" [");
  for (; shown < tensor.strings.size() && shown < 8; ++shown) {
    std::string text = quoted(tensor.strings[shown], kStringBytes);
    if (shown > 0 && printed + text.size() > kLineBytes)
      break;
    std::printf("%s%s", shown ? ", " : "", text.c_str());
    printed += text.size() + 2;
  }
  std::printf("%s]\n", tensor.strings.size() > shown ? ", ..." : "");
}

void printSummary(const Signature &signature, const nuri::HostTensor &tensor) {
  std::printf("output %s: %s =", signature.name.c_str(),
              nuri::describe(signature.dtype, signature.shape).c_str());
  if (signature.dtype == NURI_DTYPE_STRING)
    return printStrings(tensor);
  uint64_t count = tensor.elementCount();
  const uint64_t shown = std::min<uint64_t>(count, 8);
  std::printf(" [");
  for (uint64_t i = 0; i < shown; ++i)
    std::printf("%s%.6g", i ? ", " : "", nuri::elementAsDouble(tensor, i));
  std::printf("%s]\n", count > shown ? ", ..." : "");
}

} // namespace

int main(int argc, char **argv) {
  Options options = parseArgs(argc, argv);

  nuri_instance_t instance = nullptr;
  check(nuri_instance_create(&instance));
  check(nuri_instance_load_driver_path(instance));
  for (const std::string &plugin : options.driverPlugins)
    check(nuri_instance_load_driver_plugin(instance, plugin.c_str(), nullptr));
  nuri_module_t module = nullptr;
  check(nuri_module_load_file(instance, options.model.c_str(), &module));
  std::vector<Signature> inputs = signatures(module, true);
  std::vector<Signature> outputs = signatures(module, false);
  std::vector<std::string> files = bindInputs(options, inputs);

  std::vector<nuri::HostTensor> tensors(inputs.size());
  // What each input's device buffer receives: the file's data, or for
  // strings their fixed-width layout (packed before any device work, so a
  // too-long string fails fast).
  std::vector<std::vector<uint8_t>> packed(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::string error = nuri::readTensorFile(files[i], tensors[i]);
    if (!error.empty())
      fail("input '" + inputs[i].name + "': " + error);
    // NumPy and ONNX's test data carry bf16 as uint16 bit patterns.
    if (inputs[i].dtype == NURI_DTYPE_BF16 && tensors[i].dtype == NURI_DTYPE_U16)
      tensors[i].dtype = NURI_DTYPE_BF16;
    // -1: a symbolic dimension (batch, sequence): the file gives its size.
    bool shapeMatches = tensors[i].shape.size() == inputs[i].shape.size();
    for (size_t d = 0; shapeMatches && d < inputs[i].shape.size(); ++d)
      shapeMatches = inputs[i].shape[d] == -1 || inputs[i].shape[d] == tensors[i].shape[d];
    if (tensors[i].dtype != inputs[i].dtype || !shapeMatches)
      fail("input '" + inputs[i].name + "': expected " +
           nuri::describe(inputs[i].dtype, inputs[i].shape) + ", got " +
           nuri::describe(tensors[i].dtype, tensors[i].shape) + " from " +
           files[i]);
    if (inputs[i].dtype == NURI_DTYPE_STRING) {
      std::string packError =
          nuri::packStrings(tensors[i], inputs[i].stringBytes, packed[i]);
      if (!packError.empty())
        fail("input '" + inputs[i].name + "': " + packError + " (from " +
             files[i] + ")");
    } else {
      packed[i] = std::move(tensors[i].data);
    }
  }

  nuri_device_options_t deviceOptions;
  nuri_device_options_init(&deviceOptions);
  deviceOptions.thread_count = options.threads;
  nuri_device_t device = nullptr;
  if (options.device == "auto") {
    // The first present device the artifact has code for, in the order
    // npu, cuda, vulkan, cpu (every artifact has cpu code).
    std::string tried;
    for (const char *candidate : {"npu", "cuda", "vulkan", "cpu"}) {
      if (std::strcmp(candidate, "cpu") != 0 && !nuri_module_has_target(module, candidate))
        continue;
      nuri_status_t status = nuri_device_create(instance, candidate, &deviceOptions, &device);
      nuri_status_code_t code = nuri_status_code(status);
      if (code != NURI_OK && code != NURI_NOT_FOUND && code != NURI_UNAVAILABLE)
        check(status);
      if (code == NURI_OK)
        break;
      tried += std::string(tried.empty() ? "" : "; ") + nuri_status_message(status);
      nuri_status_free(status);
    }
    if (!device)
      fail("--device auto: no device can run this artifact (" + tried + ")");
  } else {
    // A GPU with only host code to run is a mistake, not a fallback.
    std::string driver = options.device.substr(0, options.device.find(':'));
    if ((driver == "vulkan" || driver == "cuda") && !nuri_module_compiled_for(module, driver.c_str()))
      fail(options.model + " was not compiled for " + driver + " (compile it with --target " +
           driver + ",cpu)");
    check(nuri_device_create(instance, options.device.c_str(), &deviceOptions, &device));
  }
  bool profiling = !options.statsJson.empty() || !options.trace.empty();
  if (profiling) {
    // Probe before any work: a device without counters is an error now, not
    // after a long run.
    nuri_status_t status = nuri_device_profile_reset(device);
    if (status) {
      std::string message = nuri_status_message(status);
      nuri_status_free(status);
      fail(std::string(options.statsJson.empty() ? "--trace" : "--stats-json") +
           ": " + message);
    }
  }
  nuri_session_t session = nullptr;
  check(nuri_session_create(module, device, &session));

  std::vector<nuri_buffer_t> inputBuffers(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    uint64_t bytes = inputs[i].bytes;
    if (std::find(inputs[i].shape.begin(), inputs[i].shape.end(), -1) != inputs[i].shape.end()) {
      check(nuri_session_set_input_shape(session, i, tensors[i].shape.data(),
                                         tensors[i].shape.size()));
      bytes = inputs[i].elementBytes();
      for (int64_t d : tensors[i].shape)
        bytes *= static_cast<uint64_t>(d);
    }
    check(nuri_allocator_allocate(nuri_device_allocator(device), bytes, &inputBuffers[i]));
    void *host = nullptr;
    check(nuri_buffer_map(inputBuffers[i], &host));
    if (!packed[i].empty())
      std::memcpy(host, packed[i].data(), packed[i].size());
  }

  std::vector<nuri_buffer_t> outputBuffers(outputs.size());
  auto invoke = [&]() {
    for (nuri_buffer_t &buffer : outputBuffers) {
      nuri_buffer_release(buffer);
      buffer = nullptr;
    }
    check(nuri_session_invoke(session, inputBuffers.data(), inputBuffers.size(),
                              outputBuffers.data(), outputBuffers.size()));
  };
  for (int i = 0; i < options.warmup; ++i)
    invoke();
  std::vector<double> latencies;
  for (int i = 0; i < options.runs; ++i) {
    // The profile describes one inference: the last one.
    if (profiling && i + 1 == options.runs)
      check(nuri_device_profile_reset(device));
    auto start = std::chrono::steady_clock::now();
    invoke();
    auto end = std::chrono::steady_clock::now();
    latencies.push_back(
        std::chrono::duration<double, std::milli>(end - start).count());
  }

  auto writeProfile = [&](const std::string &path, nuri_profile_kind_t kind) {
    if (path.empty())
      return;
    char *json = nullptr;
    check(nuri_device_profile(device, kind, &json));
    FILE *file = std::fopen(path.c_str(), "wb");
    bool ok = file && std::fputs(json, file) >= 0;
    ok = file && std::fclose(file) == 0 && ok;
    nuri_profile_free(json);
    if (!ok)
      fail(path + ": cannot write: " + std::strerror(errno));
  };
  writeProfile(options.statsJson, NURI_PROFILE_STATS_JSON);
  writeProfile(options.trace, NURI_PROFILE_TRACE_JSON);

  if (!options.outputDir.empty()) {
    std::error_code error;
    std::filesystem::create_directories(options.outputDir, error);
    if (error)
      fail(options.outputDir + ": cannot create directory: " + error.message());
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    nuri::HostTensor tensor;
    tensor.name = outputs[i].name;
    tensor.dtype = outputs[i].dtype;
    tensor.shape.resize(outputs[i].shape.size());
    check(nuri_session_output_shape(session, i, tensor.shape.data(), tensor.shape.size()));
    // The session checked that the (possibly run-time) shape fits the buffer.
    uint64_t elements = 1;
    for (int64_t dim : tensor.shape)
      elements *= static_cast<uint64_t>(dim);
    uint64_t size = elements * outputs[i].elementBytes();
    void *host = nullptr;
    check(nuri_buffer_map(outputBuffers[i], &host));
    const uint8_t *bytes = static_cast<const uint8_t *>(host);
    if (tensor.dtype == NURI_DTYPE_STRING)
      nuri::unpackStrings(bytes, elements, outputs[i].stringBytes,
                          tensor.strings);
    else
      tensor.data.assign(bytes, bytes + size);
    if (!options.outputDir.empty()) {
      std::string path = (std::filesystem::path(options.outputDir) /
                          (fileSafe(outputs[i].name) + ".npy"))
                             .string();
      std::string writeError = nuri::writeNpy(path, tensor);
      if (!writeError.empty())
        fail(writeError);
    }
    if (!options.quiet)
      printSummary({outputs[i].name, outputs[i].dtype, tensor.shape, size,
                    outputs[i].stringBytes},
                   tensor);
  }
  if (!options.quiet) {
    std::vector<double> sorted = latencies;
    std::sort(sorted.begin(), sorted.end());
    size_t n = sorted.size();
    double median =
        n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    std::printf("device %s\n", nuri_device_name(device));
    if (uint64_t local = nuri_session_buffer_bytes(session, NURI_MEMORY_DEVICE_LOCAL))
      std::printf("buffers device-local=%.1fMiB host-visible=%.1fMiB\n", local / 1048576.0,
                  nuri_session_buffer_bytes(session, NURI_MEMORY_HOST_VISIBLE) / 1048576.0);
    std::printf("latency_ms median=%.3f min=%.3f runs=%zu\n", median,
                sorted.front(), n);
  }

  for (nuri_buffer_t buffer : outputBuffers)
    nuri_buffer_release(buffer);
  for (nuri_buffer_t buffer : inputBuffers)
    nuri_buffer_release(buffer);
  nuri_session_release(session);
  nuri_device_release(device);
  nuri_module_release(module);
  nuri_instance_release(instance);
  return 0;
}
