//===- TargetPlugin.h - a target backend in a shared library ----*- C++ -*-===//
//
// A chip vendor's compiler half, out of tree: a shared library built
// against this Nuri (its libraries and headers: TargetBackend.h, the
// dialects, MLIR 22) that exports
//
//   extern "C" const nuri::TargetPluginInfo *nuri_target_plugin();
//
// returning {NURI_TARGET_PLUGIN_ABI_VERSION, LLVM_VERSION_MAJOR, order,
// factory}. `nuri-compile --plugin FILE` (and NURI_PLUGIN_PATH) loads it
// before anything else, checks both versions, and adds the factory's
// target to the registry, where --target finds it like an in-tree one.
// The interface it sees is TargetBackend (TargetBackend.h) and what that
// header includes; targets/README.md, "Out of tree: a target plugin".
//
//===----------------------------------------------------------------------===//
#ifndef NURI_COMPILER_PIPELINE_TARGETPLUGIN_H
#define NURI_COMPILER_PIPELINE_TARGETPLUGIN_H

#include "compiler/pipeline/TargetBackend.h"

#include <cstdint>
#include <string>

/// The layout of TargetBackend, TargetOptions and ExecutableBlob. Raised
/// whenever one of them changes; a plugin built for another is refused.
#define NURI_TARGET_PLUGIN_ABI_VERSION 1u
#define NURI_TARGET_PLUGIN_ENTRY "nuri_target_plugin"

namespace nuri {

struct TargetPluginInfo {
  uint32_t abiVersion;  // NURI_TARGET_PLUGIN_ABI_VERSION it was built with
  uint32_t llvmMajor;   // LLVM_VERSION_MAJOR it was built with
  int order;            // where its target sorts (vendors from 100)
  TargetRegistration::Factory factory;
};

/// Loads the target plugin at `path` and registers its target; false with
/// `error` naming the file (missing, not loadable, no entry point, another
/// ABI or LLVM version: both named). Must run before the first target
/// lookup (the registry is read once).
bool loadTargetPlugin(const std::string &path, std::string &error);

/// Loads every plugin NURI_PLUGIN_PATH names (colon-separated files and
/// directories, whose *.so load in name order); true when unset.
bool loadTargetPluginPath(std::string &error);

} // namespace nuri

#endif
