//===- TargetPlugin.cpp - loading target backends from shared libraries ---===//
#include "compiler/pipeline/TargetPlugin.h"
#include "runtime/hal/plugin_path.h"

#include "llvm/Config/llvm-config.h"

#include <cstdlib>

#include <dlfcn.h>
#include <sys/stat.h>

namespace nuri {

bool loadTargetPlugin(const std::string &path, std::string &error) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    error = "target plugin '" + path + "': no such file";
    return false;
  }
  // The plugin links the same libMLIR/libLLVM and Nuri libraries, which
  // the loader shares with this process; its own symbols stay local.
  void *library = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char *why = ::dlerror();
    error = "target plugin '" + path + "' does not load: " + (why ? why : "unknown error");
    return false;
  }
  using Entry = const TargetPluginInfo *(*)();
  auto entry = reinterpret_cast<Entry>(::dlsym(library, NURI_TARGET_PLUGIN_ENTRY));
  if (!entry) {
    error = "target plugin '" + path + "' exports no " NURI_TARGET_PLUGIN_ENTRY
            " (see compiler/pipeline/TargetPlugin.h)";
    return false;
  }
  const TargetPluginInfo *info = entry();
  if (!info) {
    error = "target plugin '" + path + "': " NURI_TARGET_PLUGIN_ENTRY "() returned NULL";
    return false;
  }
  if (info->abiVersion != NURI_TARGET_PLUGIN_ABI_VERSION || info->llvmMajor != LLVM_VERSION_MAJOR) {
    error = "target plugin '" + path + "' was built for target ABI version " +
            std::to_string(info->abiVersion) + " with LLVM " + std::to_string(info->llvmMajor) +
            "; this nuri-compile has target ABI version " +
            std::to_string(NURI_TARGET_PLUGIN_ABI_VERSION) + " with LLVM " +
            std::to_string(LLVM_VERSION_MAJOR) + ": rebuild it against this Nuri";
    return false;
  }
  if (!info->factory) {
    error = "target plugin '" + path + "' has no target factory";
    return false;
  }
  // Never unloaded: the backend it makes lives as long as the registry.
  targetRegistrations().emplace_back(info->order, info->factory);
  return true;
}

bool loadTargetPluginPath(std::string &error) {
  const char *value = std::getenv("NURI_PLUGIN_PATH");
  if (!value || !*value)
    return true;
  for (const std::string &file : pluginFiles(value))
    if (!loadTargetPlugin(file, error))
      return false;
  return true;
}

} // namespace nuri
