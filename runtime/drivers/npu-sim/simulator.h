// The reference NPU simulator: functional and timed execution of one kernel
// of an npu-isa-v1 program (schemas/npu_isa.fbs) over host memory standing in
// for DRAM. No HAL types here, so the unit tests drive it directly; the
// npu-sim driver (npu_sim_driver.cpp) wraps it.
//
// Errors (a malformed program, an address outside SRAM, a descriptor outside
// its binding, a semaphore that is never signalled) come back as a message;
// nothing the program says can make the host crash or hang.
#ifndef NURI_DRIVERS_NPU_SIM_SIMULATOR_H
#define NURI_DRIVERS_NPU_SIM_SIMULATOR_H

#include "targets/npu/description/NpuTarget.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nuri::npu {

/// One binding of a kernel: the DRAM bytes it may touch.
struct DramBinding {
  void *data = nullptr;
  uint64_t size = 0; // bytes
};

/// Counters of one kernel run (or a sum of runs).
struct KernelStats {
  uint64_t cycles = 0;          // kernel start to the last queue finishing
  uint64_t rooflineCycles = 0;  // max(macs / peak MACs per cycle, min DRAM bytes / DRAM bytes per cycle)
  uint64_t macs = 0;
  uint64_t dramBytes = 0;       // bytes actually moved by DMA
  uint64_t minDramBytes = 0;
  uint64_t busyCycles[3] = {0, 0, 0}; // per QueueKind, summed over cores
  uint64_t instructions = 0;

  /// Adds another run's counters (kernels run one after another).
  void add(const KernelStats &other) {
    cycles += other.cycles;
    rooflineCycles += other.rooflineCycles;
    macs += other.macs;
    dramBytes += other.dramBytes;
    minDramBytes += other.minDramBytes;
    for (int q = 0; q < 3; ++q)
      busyCycles[q] += other.busyCycles[q];
    instructions += other.instructions;
  }
};

/// One executed instruction, for traces: core, queue, start and end cycle
/// (relative to the kernel's start) and a short name ("dma_load", "matmul").
struct TraceEvent {
  uint32_t core;
  uint8_t queue;
  uint64_t start, end;
  const char *name;
};

class Program {
public:
  /// Verifies the FlatBuffer (Verifier, version, target description) and
  /// every instruction's static properties (queue placement, types, SRAM
  /// ranges, semaphore ids, core count), and schedules every kernel: the
  /// timing depends on no data, so a deadlock (a wait that is never
  /// satisfied) is found here. Returns null with `error` set, naming the
  /// kernel, core, queue and instruction. `data` is not kept.
  static std::unique_ptr<Program> load(const void *data, size_t size, std::string &error);
  ~Program();

  const TargetDescription &target() const;
  size_t kernelCount() const;
  /// -1 when no kernel has this name.
  int findKernel(const std::string &name) const;
  const std::string &kernelName(size_t kernel) const;

  /// Runs kernel `kernel` on `bindings`; adds its counters to `stats` and,
  /// when `trace` is not null, appends its events (in order of start
  /// cycle). Returns false with `error` set (naming the kernel, core, queue
  /// and instruction) on a descriptor outside a binding or a missing
  /// binding; these are checked before anything runs, so on an error no
  /// binding was written. Safe to call from several threads at once.
  bool run(size_t kernel, const std::vector<DramBinding> &bindings, KernelStats &stats,
           std::vector<TraceEvent> *trace, std::string &error) const;

private:
  Program();
  struct Impl;
  std::unique_ptr<Impl> impl;
};

/// bf16 helpers (round to nearest even; NaN stays NaN), exposed for tests.
uint16_t floatToBf16(float value);
float bf16ToFloat(uint16_t bits);

} // namespace nuri::npu

#endif
