// A target plugin built for another target ABI version: nuri-compile
// --plugin must refuse it, naming both versions, before calling into it.
#include "compiler/pipeline/TargetPlugin.h"

#include "llvm/Config/llvm-config.h"

extern "C" __attribute__((visibility("default"))) const nuri::TargetPluginInfo *
nuri_target_plugin() {
  static const nuri::TargetPluginInfo info = {999u, LLVM_VERSION_MAJOR, 100, nullptr};
  return &info;
}
