//===- NpuTarget.h - the reference NPU's target description -----*- C++ -*-===//
//
// One machine model for the compiler and the simulator: the numbers of
// schemas/npu_target.fbs, read from a preset (schemas/presets/npu-*.json,
// compiled in) or from a vendor's FlatBuffers JSON file, validated, plus the
// peak figures derived from them. No MLIR: the runtime's simulator links it.
//
//===----------------------------------------------------------------------===//
#ifndef NURI_TARGETS_NPU_DESCRIPTION_NPUTARGET_H
#define NURI_TARGETS_NPU_DESCRIPTION_NPUTARGET_H

#include <cstdint>
#include <string>
#include <vector>

namespace nuri::npu {

struct TargetDescription {
  std::string name, description;
  uint64_t clockHz = 0;
  uint32_t cores = 0;
  // Per core.
  uint32_t matrixRows = 0, matrixCols = 0, int8Factor = 0;
  uint32_t vectorLanes = 0, specialCycles = 0;
  uint64_t scratchpadBytes = 0;
  uint32_t scratchpadBanks = 0;
  uint32_t dmaBytesPerCycle = 0, descriptorCycles = 0;
  // Shared.
  uint64_t dramBytes = 0, dramBandwidth = 0; // bytes, bytes per second

  /// MACs per cycle of all cores (bf16, or int8 with `int8`).
  uint64_t peakMacsPerCycle(bool int8 = false) const;
  /// Peak tera-operations per second, two per MAC (TFLOPS for bf16).
  double peakTeraOps(bool int8 = false) const;
  /// DRAM bytes per clock cycle, all cores together.
  double dramBytesPerCycle() const;
};

/// The compiled-in presets: "datacenter", "edge".
std::vector<std::string> presetNames();

/// Parses FlatBuffers JSON text; `source` names it in messages.
bool parseTarget(const std::string &json, const std::string &source, TargetDescription &out,
                 std::string &error);

/// A preset name, or a path to a FlatBuffers JSON file (anything with a '/'
/// or ending in .json).
bool loadTarget(const std::string &presetOrPath, TargetDescription &out, std::string &error);

} // namespace nuri::npu

#endif
