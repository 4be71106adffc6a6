//===- NpuTarget.cpp - parse and check a target description ---------------===//
#include "targets/npu/description/NpuTarget.h"

#include "NpuTargetData.h" // generated: the schema and preset texts
#include "nuri/schemas/npu_target_generated.h"

#include "flatbuffers/idl.h"

#include <fstream>
#include <sstream>

namespace nuri::npu {

uint64_t TargetDescription::peakMacsPerCycle(bool int8) const {
  return uint64_t(cores) * matrixRows * matrixCols * (int8 ? int8Factor : 1);
}

double TargetDescription::peakTeraOps(bool int8) const {
  return 2.0 * double(peakMacsPerCycle(int8)) * double(clockHz) / 1e12;
}

double TargetDescription::dramBytesPerCycle() const {
  return double(dramBandwidth) / double(clockHz);
}

std::vector<std::string> presetNames() {
  std::vector<std::string> names;
  for (const Preset &p : kPresets)
    names.push_back(p.name);
  return names;
}

namespace {

/// Bounds that keep every derived size far from overflow and catch typos
/// (a clock in MHz, a scratchpad in KB).
struct Check {
  std::string &error;
  const std::string &source;
  bool ok = true;
  void range(const char *what, uint64_t v, uint64_t lo, uint64_t hi) {
    if (ok && (v < lo || v > hi)) {
      error = source + ": " + what + " is " + std::to_string(v) + ", expected " +
              std::to_string(lo) + ".." + std::to_string(hi);
      ok = false;
    }
  }
};

} // namespace

bool parseTarget(const std::string &json, const std::string &source, TargetDescription &out,
                 std::string &error) {
  flatbuffers::IDLOptions options;
  options.strict_json = false;
  flatbuffers::Parser parser(options);
  if (!parser.Parse(kSchema)) {
    error = "internal: the npu_target schema does not parse: " + parser.error_;
    return false;
  }
  if (!parser.Parse(json.c_str())) {
    error = source + ": " + parser.error_;
    return false;
  }
  flatbuffers::Verifier verifier(parser.builder_.GetBufferPointer(), parser.builder_.GetSize());
  if (!VerifyTargetBuffer(verifier)) {
    error = source + ": not a complete target description (name, core.matrix, core.vector, "
                     "core.scratchpad, core.dma and dram are required)";
    return false;
  }
  const Target *t = GetTarget(parser.builder_.GetBufferPointer());
  const Core *core = t->core();
  out.name = t->name()->str();
  out.description = t->description() ? t->description()->str() : "";
  out.clockHz = t->clock_hz();
  out.cores = t->cores();
  out.matrixRows = core->matrix()->rows();
  out.matrixCols = core->matrix()->cols();
  out.int8Factor = core->matrix()->int8_factor();
  out.vectorLanes = core->vector()->lanes();
  out.specialCycles = core->vector()->special_cycles();
  out.scratchpadBytes = core->scratchpad()->bytes();
  out.scratchpadBanks = core->scratchpad()->banks();
  out.dmaBytesPerCycle = core->dma()->bytes_per_cycle();
  out.descriptorCycles = core->dma()->descriptor_cycles();
  out.dramBytes = t->dram()->bytes();
  out.dramBandwidth = t->dram()->bandwidth();

  Check c{error, source};
  c.range("clock_hz", out.clockHz, 1000000, 10000000000ull);
  c.range("cores", out.cores, 1, 1024);
  c.range("core.matrix.rows", out.matrixRows, 1, 4096);
  c.range("core.matrix.cols", out.matrixCols, 1, 4096);
  c.range("core.matrix.int8_factor", out.int8Factor, 1, 16);
  c.range("core.vector.lanes", out.vectorLanes, 1, 65536);
  c.range("core.vector.special_cycles", out.specialCycles, 1, 1024);
  c.range("core.scratchpad.bytes", out.scratchpadBytes, 4096, uint64_t(1) << 34);
  c.range("core.scratchpad.banks", out.scratchpadBanks, 1, 1024);
  c.range("core.dma.bytes_per_cycle", out.dmaBytesPerCycle, 1, 1 << 20);
  c.range("core.dma.descriptor_cycles", out.descriptorCycles, 0, 1 << 20);
  c.range("dram.bytes", out.dramBytes, 1 << 20, uint64_t(1) << 44);
  c.range("dram.bandwidth", out.dramBandwidth, 1000000, uint64_t(1) << 44);
  if (c.ok && out.scratchpadBytes % out.scratchpadBanks) {
    error = source + ": core.scratchpad.bytes (" + std::to_string(out.scratchpadBytes) +
            ") is not a multiple of its " + std::to_string(out.scratchpadBanks) + " banks";
    return false;
  }
  return c.ok;
}

bool loadTarget(const std::string &presetOrPath, TargetDescription &out, std::string &error) {
  bool isPath = presetOrPath.find('/') != std::string::npos ||
                (presetOrPath.size() > 5 &&
                 presetOrPath.compare(presetOrPath.size() - 5, 5, ".json") == 0);
  if (!isPath) {
    for (const Preset &p : kPresets)
      if (presetOrPath == p.name)
        return parseTarget(p.json, std::string("preset '") + p.name + "'", out, error);
    error = "unknown npu preset '" + presetOrPath + "' (presets:";
    for (const Preset &p : kPresets)
      error += std::string(" ") + p.name;
    error += "; or a path to a FlatBuffers JSON target description)";
    return false;
  }
  std::ifstream in(presetOrPath, std::ios::binary);
  if (!in) {
    error = presetOrPath + ": cannot open the target description";
    return false;
  }
  std::stringstream text;
  text << in.rdbuf();
  if (text.str().size() > (1 << 20)) {
    error = presetOrPath + ": a target description of more than 1 MB is not plausible";
    return false;
  }
  return parseTarget(text.str(), presetOrPath, out, error);
}

} // namespace nuri::npu
