//===- TargetBackend.h - the interface a target implements -----*- C++ -*-===//
//
// A target turns the dispatch functions of a module (linalg on tensors, the
// output of nuri-form-dispatches) into one executable in the artifact. A
// chip vendor adds a folder under targets/ with a class implementing this
// and a static TargetRegistration; targets/README.md walks through it.
//
//===----------------------------------------------------------------------===//
#ifndef NURI_COMPILER_PIPELINE_TARGETBACKEND_H
#define NURI_COMPILER_PIPELINE_TARGETBACKEND_H

#include "compiler/serialize/ArtifactWriter.h"

#include "llvm/ADT/StringRef.h"

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace nuri {

struct TargetOptions {
  /// For CPU-like targets: "host" (detect the CPU and its features) or an
  /// LLVM CPU name such as "x86-64" (the generic fallback).
  std::string cpu = "host";
  /// For the npu target: a preset name (datacenter, edge) or a FlatBuffers
  /// JSON file describing the machine.
  std::string npuPreset = "datacenter";
  /// For the vulkan target: the device features the shaders may assume
  /// (lavapipe, generic), checked by the driver when it loads them.
  std::string vulkanTarget = "lavapipe";
  /// For the cuda target: the compute capability PTX is generated for.
  std::string cudaArch = "sm_80";
  /// Prints the IR after the pass with this argument name (or "all").
  std::string dumpIrAfter;
  /// Receives the target's final LLVM IR text, when it has one (--emit llvm).
  std::function<void(const std::string &)> onLLVMIR;
  /// Receives each SPIR-V kernel as a spirv.module in MLIR text, when the
  /// target makes them (--emit spirv).
  std::function<void(const std::string &)> onSPIRV;
  /// Receives each cuda kernel's PTX, after a `// ----- dispatch_N` line
  /// (--emit ptx).
  std::function<void(const std::string &)> onPTX;
};

class TargetBackend {
public:
  virtual ~TargetBackend() = default;
  /// The name users give to --target and the runtime matches drivers with.
  virtual llvm::StringRef name() const = 0;
  /// Registers the target's passes (nuri-opt, --dump-ir-after).
  virtual void registerPasses() const = 0;
  /// One line on how the target computes (precision, machine), for
  /// nuri-compile --report; empty when there is nothing to say.
  virtual std::string describe(const TargetOptions &) const { return ""; }
  /// Compiles the dispatches of `module` (which is not modified) it can run
  /// into one executable; those it cannot go to `notCompiled` with the
  /// reason, for the next target. An empty `entryPoints` means there was
  /// nothing to compile.
  virtual bool build(mlir::ModuleOp module, const TargetOptions &options,
                     ExecutableBlob &executable, std::string &error) const = 0;
};

/// How a target makes itself known: one static TargetRegistration in its
/// library, e.g. `static nuri::TargetRegistration registration(20,
/// createVulkanBackend);`. The compiler finds targets only here, never by
/// including a target's header; `order` sorts them for --help and messages
/// (cpu 0, npu 10, vulkan 20, cuda 30; vendors' targets from 100).
struct TargetRegistration {
  using Factory = std::unique_ptr<TargetBackend> (*)();
  TargetRegistration(int order, Factory factory);
};
/// Every registration made so far, in the order they ran (TargetRegistry.cpp).
std::vector<std::pair<int, TargetRegistration::Factory>> &targetRegistrations();

/// The targets compiled into this build, by name.
const TargetBackend *lookupTargetBackend(llvm::StringRef name);
std::string registeredTargetNames(); // "cpu" or "cpu, npu", for messages

} // namespace nuri

#endif
