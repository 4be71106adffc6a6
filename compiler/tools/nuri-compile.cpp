//===- nuri-compile.cpp - ONNX model to .nuri artifact --------------------===//
#include "compiler/pipeline/Pipeline.h"
#include "compiler/pipeline/TargetPlugin.h"

#include "mlir/Pass/PassRegistry.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <sys/stat.h>
#include <vector>

namespace {

const char *kUsage = R"(usage: nuri-compile MODEL.onnx -o OUT.nuri [options]

Compiles an ONNX model into a .nuri artifact for the Nuri runtime.

options:
  -o, --output FILE        where to write the artifact (required; '-' = stdout for --emit)
  --target LIST            comma-separated targets, in order of preference (default: cpu;
                           available: cpu, npu, vulkan, cuda). With npu,cpu each dispatch the
                           NPU runs natively goes to the npu and the rest fall back to
                           the cpu; the cpu code of every dispatch is kept, so the
                           artifact also runs entirely with nuri-run --device cpu
  --npu-preset NAME|FILE   the reference NPU to compile for: datacenter (default), edge,
                           or a FlatBuffers JSON target description (schemas/npu_target.fbs)
  --vulkan-target NAME     the device features vulkan shaders may use: lavapipe (default:
                           64/16/8-bit integers and f16, as Mesa's lavapipe has) or generic
                           (any Vulkan 1.1 device); the driver checks them at load time
  --cuda-arch SM            compute capability cuda kernels are generated for: sm_80
                           (default), sm_86, sm_89, sm_90 (PTX, JIT-compiled by the driver
                           for the GPU it runs on, at or above this one)
  --report                 print which device runs each dispatch (with its ONNX nodes and
                           MACs), why a dispatch falls back, and a summary per device; to
                           stdout, or to stderr when the output is stdout
  --input-shape NAME:DIMS  fix the shape of graph input NAME, e.g. input:1x3x224x224
                           (repeatable). Without it, symbolic dimensions (a dim_param
                           such as batch or seq) are compiled once for every size
  --dim-bound NAME:MAX     sizes symbolic dimension NAME may take at run time: 1..MAX,
  --dim-bound NAME:MIN..MAX  or MIN..MAX (repeatable; default 1..2^31); nuri-run and
                           the C API reject other sizes
  --sequence-length NAME:N  compile sequence input NAME for N elements, bound as inputs
                           NAME[0]..NAME[N-1] (their shapes: the declared element type,
                           or --input-shape NAME[k]:DIMS); sequence outputs likewise
                           become outputs NAME[k]
  --input-value NAME:V[,V...]  freeze graph input NAME to these values (row-major, as many
                           as it has elements): it is no longer an input of the artifact,
                           and what depends only on it folds, e.g. --input-value sr:16000
                           makes an If on the sample rate take its branch (repeatable)
  --optional-absent NAME   compile optional input NAME as empty (optional inputs are
                           otherwise compiled present, bound as their element)
  --string-bytes N         bytes each string element of a string input may take
                           (UTF-8, default 64); longer inputs are rejected at run time
  --cpu NAME               LLVM CPU to generate code for: host (default, detects the
                           CPU and its features) or e.g. x86-64 for a generic build
  --emit KIND              artifact (default), nuri, linalg, dispatches, llvm, spirv, ptx:
                           write that stage's IR instead of an artifact (spirv: the
                           vulkan kernels' spirv.modules split by '// -----', for
                           mlir-translate --split-input-file --serialize-spirv; ptx:
                           each cuda kernel after a '// ----- dispatch_N' line)
  --plugin FILE            load a target backend from a shared library (a vendor's
                           target: compiler/pipeline/TargetPlugin.h; repeatable), then
                           name it in --target; NURI_PLUGIN_PATH (colon-separated plugin
                           files and directories) loads more
  --dump-ir-after PASS     print the IR after the pass with this name (or 'all') to stderr
  -h, --help               show this help
  --version                show the version
)";

int usageError(const std::string &msg) {
  std::cerr << "nuri-compile: error: " << msg << "\n(try nuri-compile --help)\n";
  return 2;
}

} // namespace

int main(int argc, char **argv) {
  nuri::CompileOptions options;
  std::string input, output;
  bool report = false;
  std::vector<std::string> plugins;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char *flag) -> const char * {
      if (i + 1 >= argc) {
        usageError(std::string(flag) + " needs a value");
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (a == "--version") {
      std::cout << "nuri-compile 0.1 (LLVM/MLIR 22)\n";
      return 0;
    } else if (a == "-o" || a == "--output") {
      output = value("-o");
    } else if (a == "--plugin") {
      plugins.push_back(value("--plugin"));
    } else if (a == "--target") {
      options.targets.clear();
      std::stringstream ss(value("--target"));
      std::string t;
      while (std::getline(ss, t, ','))
        if (!t.empty())
          options.targets.push_back(t);
    } else if (a == "--input-shape") {
      std::string spec = value("--input-shape");
      if (!nuri::parseInputShape(spec, options.import))
        return usageError("bad --input-shape '" + spec + "' (expected NAME:1x3x224x224)");
    } else if (a == "--sequence-length") {
      std::string spec = value("--sequence-length");
      if (!nuri::parseSequenceLength(spec, options.import))
        return usageError("bad --sequence-length '" + spec + "' (expected NAME:N)");
    } else if (a == "--dim-bound") {
      std::string spec = value("--dim-bound");
      if (!nuri::parseDimBound(spec, options.import))
        return usageError("bad --dim-bound '" + spec + "' (expected NAME:MAX or NAME:MIN..MAX, "
                          "1 <= MIN <= MAX <= 2^31)");
    } else if (a == "--input-value") {
      std::string spec = value("--input-value");
      if (!nuri::parseInputValue(spec, options.import))
        return usageError("bad --input-value '" + spec + "' (expected NAME:V or NAME:V1,V2,...)");
    } else if (a == "--optional-absent") {
      options.import.absentOptionals.insert(value("--optional-absent"));
    } else if (a == "--string-bytes") {
      std::string v = value("--string-bytes");
      char *end = nullptr;
      long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end || n < 1 || n > 65536)
        return usageError("bad --string-bytes '" + v + "' (expected 1..65536)");
      options.import.stringBytes = n;
    } else if (a == "--npu-preset") {
      options.target.npuPreset = value("--npu-preset");
    } else if (a == "--vulkan-target") {
      options.target.vulkanTarget = value("--vulkan-target");
    } else if (a == "--cuda-arch") {
      options.target.cudaArch = value("--cuda-arch");
    } else if (a == "--report") {
      report = true;
    } else if (a == "--cpu") {
      options.target.cpu = value("--cpu");
    } else if (a == "--dump-ir-after") {
      options.dumpIrAfter = value("--dump-ir-after");
    } else if (a == "--emit") {
      std::string k = value("--emit");
      if (k == "artifact") options.emit = nuri::EmitKind::Artifact;
      else if (k == "nuri") options.emit = nuri::EmitKind::Nuri;
      else if (k == "linalg") options.emit = nuri::EmitKind::Linalg;
      else if (k == "dispatches") options.emit = nuri::EmitKind::Dispatches;
      else if (k == "llvm") options.emit = nuri::EmitKind::LLVMIR;
      else if (k == "spirv") options.emit = nuri::EmitKind::SPIRV;
      else if (k == "ptx") options.emit = nuri::EmitKind::PTX;
      else return usageError("unknown --emit kind '" + k + "'");
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      return usageError("unknown option '" + a + "'");
    } else if (input.empty()) {
      input = a;
    } else {
      return usageError("more than one model given ('" + input + "', '" + a + "')");
    }
  }
  if (input.empty())
    return usageError("no model given");
  // Plugins first: the registry is read once, by the passes' registration.
  std::string pluginError;
  bool loaded = nuri::loadTargetPluginPath(pluginError);
  for (size_t p = 0; loaded && p < plugins.size(); ++p)
    loaded = nuri::loadTargetPlugin(plugins[p], pluginError);
  if (!loaded) {
    std::cerr << "nuri-compile: error: " << pluginError << "\n";
    return 1;
  }
  nuri::registerCompilerPasses();
  if (!options.dumpIrAfter.empty() && options.dumpIrAfter != "all" &&
      !mlir::PassInfo::lookup(options.dumpIrAfter))
    return usageError("--dump-ir-after: no pass named '" + options.dumpIrAfter +
                      "' (see nuri-opt --help for pass names)");
  if (output.empty())
    return usageError("no output file given (-o OUT.nuri)");

  std::string result, error;
  if (report)
    options.onReport = [&](const std::string &text) {
      (output == "-" ? std::cerr : std::cout) << text;
    };
  if (!nuri::compileModel(input, options, result, error)) {
    // One line: newlines inside MLIR diagnostics would split it.
    for (char &c : error)
      if (c == '\n')
        c = ' ';
    std::cerr << "nuri-compile: error: " << error << "\n";
    return 1;
  }
  if (output == "-") {
    std::cout << result;
    return 0;
  }
  // A device or pipe (-o /dev/null) is written in place: renaming over it
  // would replace the device node with a file.
  struct stat st;
  if (::stat(output.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    std::ofstream f(output, std::ios::binary);
    if (!f || !f.write(result.data(), result.size())) {
      std::cerr << "nuri-compile: error: cannot write " << output << "\n";
      return 1;
    }
    return 0;
  }
  // Write to a temporary name first: a failed write never leaves a partial artifact.
  std::string tmp = output + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    if (!f || !f.write(result.data(), result.size())) {
      std::remove(tmp.c_str());
      std::cerr << "nuri-compile: error: cannot write " << output << "\n";
      return 1;
    }
  }
  if (std::rename(tmp.c_str(), output.c_str()) != 0) {
    std::remove(tmp.c_str());
    std::cerr << "nuri-compile: error: cannot write " << output << "\n";
    return 1;
  }
  return 0;
}
