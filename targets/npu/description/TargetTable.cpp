//===- TargetTable.cpp - target description <-> FlatBuffers table ---------===//
//
// No flatbuffers/idl.h here: the simulator links this file without the JSON
// parser (libflatbuffers).
#include "targets/npu/description/TargetTable.h"

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

bool fromTable(const Target *t, const std::string &source, TargetDescription &out,
               std::string &error) {
  const Core *core = t ? t->core() : nullptr;
  if (!t || !t->name() || !core || !core->matrix() || !core->vector() || !core->scratchpad() ||
      !core->dma() || !t->dram()) {
    error = source + ": not a complete target description (name, core.matrix, core.vector, "
                     "core.scratchpad, core.dma and dram are required)";
    return false;
  }
  out = TargetDescription();
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

flatbuffers::Offset<Target> buildTarget(flatbuffers::FlatBufferBuilder &b,
                                        const TargetDescription &t) {
  auto matrix = CreateMatrixEngine(b, t.matrixRows, t.matrixCols, t.int8Factor);
  auto vector = CreateVectorEngine(b, t.vectorLanes, t.specialCycles);
  auto scratchpad = CreateScratchpad(b, t.scratchpadBytes, t.scratchpadBanks);
  auto dma = CreateDma(b, t.dmaBytesPerCycle, t.descriptorCycles);
  auto core = CreateCore(b, matrix, vector, scratchpad, dma);
  auto dram = CreateDram(b, t.dramBytes, t.dramBandwidth);
  auto name = b.CreateString(t.name);
  auto description = t.description.empty() ? 0 : b.CreateString(t.description);
  return CreateTarget(b, name, description, t.clockHz, t.cores, core, dram);
}

} // namespace nuri::npu
