// The npu-sim driver: the reference NPU (docs/npu.md) simulated on the host.
//
// Device memory is host memory standing in for the NPU's DRAM. Two formats:
//   "npu-isa-v1"     npu::Program (schemas/npu_isa.fbs), each entry point a
//                    kernel, run by the simulator (simulator.h);
//   "elf-x86_64-so"  the host fallback for ops the NPU lacks (as Rebellions'
//                    ATOM falls back to the host CPU): an inner cpu device
//                    loads and runs these.
// Buffers, copies and elf executables are the inner cpu device's, so buffer
// handles are host pointers; this driver only remembers each buffer's size,
// which bounds the DMA descriptors of the kernels that bind it.
//
// The device keeps counters (cycles, MACs, DRAM traffic, per-queue busy
// cycles, per kernel; host fallback time) and a trace since its creation or
// the last reset, served as JSON by nuri_device_profile. A vendor's driver for
// real silicon has the same formats and ABI; its counters are optional.
#include "drivers/npu-sim/simulator.h"
#include "hal/guard.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdarg>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace nuri {
namespace {

constexpr const char *kNpuFormat = "npu-isa-v1";
constexpr const char *kElfFormat = "elf-x86_64-so";
constexpr const char *kQueueNames[3] = {"dma", "matrix", "vector"};
// Events kept for a trace; later ones are dropped and the trace says so.
constexpr size_t kMaxTraceEvents = 2000000;
// The trace clock until an npu program tells the target's clock.
constexpr uint64_t kDefaultClockHz = 1000000000;

using Clock = std::chrono::steady_clock;

struct NpuSimExecutable {
  // npu-isa-v1
  std::unique_ptr<npu::Program> program;
  std::vector<size_t> kernels; // entry point -> kernel index
  // elf-x86_64-so: the inner cpu device's executable
  void *host = nullptr;
  std::vector<std::string> entryNames;
};

struct KernelCounters {
  std::string name;
  uint64_t invocations = 0;
  npu::KernelStats stats;
};

// One trace event; times in cycles of the device's running clock.
struct Event {
  uint64_t start, end;
  uint32_t name;   // index into names
  uint32_t kernel; // index into names
  uint32_t core;   // npu core; unused for host events
  uint8_t queue;
  bool host;
};


struct NpuSimDevice {
  const nuri_device_vtable_t *cpu = nullptr;
  void *inner = nullptr;

  std::mutex mutex; // everything below
  std::unordered_map<void *, uint64_t> sizes;

  // The target of the first npu program loaded (the chip this device
  // simulates, as far as the profile is concerned).
  bool haveTarget = false;
  std::string targetName;
  uint64_t clockHz = 0;
  uint32_t cores = 0;
  uint64_t peakMacsPerCycle = 0;

  // Profile since creation or the last reset.
  std::vector<KernelCounters> kernels;
  std::unordered_map<std::string, size_t> kernelIndex;
  npu::KernelStats total;
  uint64_t npuDispatches = 0;
  uint64_t hostDispatches = 0;
  double hostSeconds = 0, simulatorSeconds = 0;
  uint64_t now = 0; // the trace's running cycle clock
  std::vector<Event> events;
  bool truncated = false;
  std::vector<std::string> names;
  std::unordered_map<std::string, uint32_t> nameIndex;

  ~NpuSimDevice() {
    if (inner)
      cpu->destroy(inner);
  }

  uint64_t traceClockHz() const { return clockHz ? clockHz : kDefaultClockHz; }

  uint32_t intern(const std::string &name) {
    auto [it, inserted] =
        nameIndex.emplace(name, static_cast<uint32_t>(names.size()));
    if (inserted)
      names.push_back(name);
    return it->second;
  }

  KernelCounters &kernel(const std::string &name) {
    auto [it, inserted] = kernelIndex.emplace(name, kernels.size());
    if (inserted) {
      kernels.emplace_back();
      kernels.back().name = name;
    }
    return kernels[it->second];
  }

  bool room() {
    if (events.size() < kMaxTraceEvents)
      return true;
    truncated = true;
    return false;
  }

  void reset() {
    kernels.clear();
    kernelIndex.clear();
    total = npu::KernelStats();
    npuDispatches = hostDispatches = 0;
    hostSeconds = simulatorSeconds = 0;
    now = 0;
    events.clear();
    events.shrink_to_fit();
    truncated = false;
    names.clear();
    nameIndex.clear();
  }
};

NpuSimDevice *self(void *device) { return static_cast<NpuSimDevice *>(device); }

//===-- memory: the inner cpu device's, sizes remembered ------------------===//

void destroyDevice(void *device) { delete self(device); }

nuri_status_t allocate(void *device, uint64_t size, void **out_buffer) {
  NpuSimDevice *d = self(device);
  NURI_RETURN_IF_ERROR(d->cpu->allocate(d->inner, size, out_buffer));
  try {
    std::lock_guard<std::mutex> lock(d->mutex);
    d->sizes[*out_buffer] = size;
  } catch (...) {
    d->cpu->free(d->inner, *out_buffer);
    *out_buffer = nullptr;
    throw;
  }
  return nullptr;
}

void forget(NpuSimDevice *d, void *buffer) {
  std::lock_guard<std::mutex> lock(d->mutex);
  d->sizes.erase(buffer);
}

void freeBuffer(void *device, void *buffer) {
  forget(self(device), buffer);
  self(device)->cpu->free(self(device)->inner, buffer);
}

void *mapBuffer(void *device, void *buffer) {
  return self(device)->cpu->map(self(device)->inner, buffer);
}

nuri_status_t importHost(void *device, void *host, uint64_t size,
                         void **out_buffer) {
  NpuSimDevice *d = self(device);
  NURI_RETURN_IF_ERROR(d->cpu->import_host(d->inner, host, size, out_buffer));
  try {
    std::lock_guard<std::mutex> lock(d->mutex);
    d->sizes[*out_buffer] = size;
  } catch (...) {
    d->cpu->release_import(d->inner, *out_buffer);
    *out_buffer = nullptr;
    throw;
  }
  return nullptr;
}

void releaseImport(void *device, void *buffer) {
  forget(self(device), buffer);
  self(device)->cpu->release_import(self(device)->inner, buffer);
}

//===-- executables -------------------------------------------------------===//

int supportsFormat(void *device, const char *format) {
  return std::strcmp(format, kNpuFormat) == 0 ||
         (std::strcmp(format, kElfFormat) == 0 &&
          self(device)->cpu->supports_format(self(device)->inner, format));
}

nuri_status_t createExecutable(void *device, const char *format,
                               const void *data, size_t size,
                               const char *const *entry_points,
                               size_t entry_point_count, void **out) {
  NpuSimDevice *d = self(device);
  auto executable = std::make_unique<NpuSimExecutable>();
  for (size_t i = 0; i < entry_point_count; ++i)
    executable->entryNames.push_back(entry_points[i]);
  if (std::strcmp(format, kNpuFormat) != 0) {
    NURI_RETURN_IF_ERROR(d->cpu->executable_create(
        d->inner, format, data, size, entry_points, entry_point_count,
        &executable->host));
    *out = executable.release();
    return nullptr;
  }
  std::string error;
  executable->program = npu::Program::load(data, size, error);
  if (!executable->program)
    return nuri_make_status(NURI_INVALID_ARGUMENT,
                            "npu-sim: invalid npu-isa-v1 program: %s",
                            error.c_str());
  for (size_t i = 0; i < entry_point_count; ++i) {
    int kernel = executable->program->findKernel(entry_points[i]);
    if (kernel < 0)
      return nuri_make_status(
          NURI_INVALID_ARGUMENT,
          "npu-sim: entry point %zu '%s' names no kernel of the program", i,
          entry_points[i]);
    executable->kernels.push_back(static_cast<size_t>(kernel));
  }
  {
    std::lock_guard<std::mutex> lock(d->mutex);
    if (!d->haveTarget) {
      const npu::TargetDescription &target = executable->program->target();
      d->haveTarget = true;
      d->targetName = target.name;
      d->clockHz = target.clockHz;
      d->cores = target.cores;
      d->peakMacsPerCycle =
          uint64_t(target.cores) * target.matrixRows * target.matrixCols;
    }
  }
  *out = executable.release();
  return nullptr;
}

void destroyExecutable(void *device, void *executable) {
  auto *e = static_cast<NpuSimExecutable *>(executable);
  if (e->host)
    self(device)->cpu->executable_destroy(self(device)->inner, e->host);
  delete e;
}

//===-- execution ---------------------------------------------------------===//

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

nuri_status_t runHost(NpuSimDevice *d, const nuri_hal_command_t &command,
                      const NpuSimExecutable &executable) {
  nuri_hal_command_t inner = command;
  inner.executable = executable.host;
  uint64_t startCycle;
  {
    std::lock_guard<std::mutex> lock(d->mutex);
    startCycle = d->now;
  }
  Clock::time_point start = Clock::now();
  NURI_RETURN_IF_ERROR(d->cpu->execute(d->inner, &inner, 1));
  double seconds = secondsSince(start);
  std::lock_guard<std::mutex> lock(d->mutex);
  d->hostDispatches += 1;
  d->hostSeconds += seconds;
  // The NPU waits for the host: the clock moves on by the measured time.
  uint64_t cycles = static_cast<uint64_t>(
      std::llround(seconds * static_cast<double>(d->traceClockHz())));
  startCycle = std::max(startCycle, d->now);
  d->now = startCycle + cycles;
  if (d->room()) {
    uint32_t name = d->intern(executable.entryNames[command.entry]);
    d->events.push_back({startCycle, startCycle + cycles, name, name, 0, 0,
                         /*host=*/true});
  }
  return nullptr;
}

nuri_status_t runNpu(NpuSimDevice *d, const nuri_hal_command_t &command,
                     const NpuSimExecutable &executable) {
  size_t kernel = executable.kernels[command.entry];
  const std::string &kernelName = executable.program->kernelName(kernel);
  std::vector<npu::DramBinding> bindings(command.binding_count);
  bool tracing;
  {
    std::lock_guard<std::mutex> lock(d->mutex);
    for (size_t i = 0; i < command.binding_count; ++i) {
      void *handle = command.bindings[i];
      auto it = d->sizes.find(handle);
      bindings[i].data = d->cpu->map(d->inner, handle);
      bindings[i].size = it == d->sizes.end() ? 0 : it->second;
    }
    tracing = !d->truncated;
  }
  npu::KernelStats stats;
  std::vector<npu::TraceEvent> trace;
  std::string error;
  Clock::time_point start = Clock::now();
  bool ok = executable.program->run(kernel, bindings, stats,
                                    tracing ? &trace : nullptr, error);
  double seconds = secondsSince(start);
  std::lock_guard<std::mutex> lock(d->mutex);
  d->simulatorSeconds += seconds;
  if (!ok)
    return nuri_make_status(NURI_INVALID_ARGUMENT, "npu-sim: kernel '%s': %s",
                            kernelName.c_str(), error.c_str());
  KernelCounters &counters = d->kernel(kernelName);
  counters.invocations += 1;
  counters.stats.add(stats);
  d->total.add(stats);
  d->npuDispatches += 1;
  uint64_t base = d->now;
  d->now += stats.cycles;
  if (trace.empty())
    return nullptr;
  uint32_t kernelId = d->intern(kernelName);
  // Instruction names are few; look each one up once per run.
  std::unordered_map<const char *, uint32_t> seen;
  for (const npu::TraceEvent &event : trace) {
    if (!d->room())
      break;
    auto [it, inserted] = seen.emplace(event.name, 0);
    if (inserted)
      it->second = d->intern(event.name ? event.name : "?");
    d->events.push_back({base + event.start, base + event.end, it->second,
                         kernelId, event.core, event.queue, /*host=*/false});
  }
  return nullptr;
}

nuri_status_t execute(void *device, const nuri_hal_command_t *commands,
                      size_t count) {
  NpuSimDevice *d = self(device);
  for (size_t c = 0; c < count; ++c) {
    const nuri_hal_command_t &command = commands[c];
    switch (command.kind) {
    case NURI_HAL_COMMAND_DISPATCH: {
      auto *executable = static_cast<NpuSimExecutable *>(command.executable);
      NURI_RETURN_IF_ERROR(executable->host ? runHost(d, command, *executable)
                                            : runNpu(d, command, *executable));
      break;
    }
    case NURI_HAL_COMMAND_COPY:
      // Handles are the cpu device's; it copies host memory.
      NURI_RETURN_IF_ERROR(d->cpu->execute(d->inner, &command, 1));
      break;
    case NURI_HAL_COMMAND_BARRIER:
      break; // every command already completes before the next one
    default:
      return nuri_make_status(NURI_INVALID_ARGUMENT, "unknown command kind %d",
                              static_cast<int>(command.kind));
    }
  }
  return nullptr;
}

//===-- profile -----------------------------------------------------------===//

void appendf(std::string &out, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
void appendf(std::string &out, const char *format, ...) {
  char buffer[256];
  va_list args;
  va_start(args, format);
  int n = std::vsnprintf(buffer, sizeof(buffer), format, args);
  va_end(args);
  if (n > 0)
    out.append(buffer, std::min<size_t>(static_cast<size_t>(n),
                                        sizeof(buffer) - 1));
}

void appendString(std::string &out, const std::string &text) {
  out += '"';
  for (unsigned char c : text) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (c < 0x20 || c == 0x7f)
        appendf(out, "\\u%04x", c);
      else
        out += static_cast<char>(c);
    }
  }
  out += '"';
}

// A finite JSON number (0 for what would be NaN or infinite).
void appendNumber(std::string &out, double value) {
  if (!std::isfinite(value))
    value = 0;
  appendf(out, "%.9g", value);
}

double ratio(double num, double den) { return den > 0 ? num / den : 0; }

void appendBusy(std::string &out, const npu::KernelStats &stats) {
  appendf(out,
          "{\"dma\":%" PRIu64 ",\"matrix\":%" PRIu64 ",\"vector\":%" PRIu64 "}",
          stats.busyCycles[0], stats.busyCycles[1], stats.busyCycles[2]);
}

void appendCounters(std::string &out, const npu::KernelStats &stats) {
  appendf(out,
          "\"cycles\":%" PRIu64 ",\"roofline_cycles\":%" PRIu64
          ",\"macs\":%" PRIu64 ",\"dram_bytes\":%" PRIu64
          ",\"min_dram_bytes\":%" PRIu64 ",\"busy_cycles\":",
          stats.cycles, stats.rooflineCycles, stats.macs, stats.dramBytes,
          stats.minDramBytes);
  appendBusy(out, stats);
}

std::string statsJson(const NpuSimDevice &d) {
  const npu::KernelStats &t = d.total;
  std::string out = "{\"device\":\"npu-sim\",\"target\":";
  if (d.haveTarget)
    appendString(out, d.targetName);
  else
    out += "null";
  appendf(out, ",\"clock_hz\":%" PRIu64 ",", d.clockHz);
  appendCounters(out, t);
  out += ",\"cycles_over_roofline\":";
  appendNumber(out, ratio(double(t.cycles), double(t.rooflineCycles)));
  appendf(out, ",\"peak_macs_per_cycle\":%" PRIu64 ",\"mac_utilization\":",
          d.peakMacsPerCycle);
  appendNumber(out,
               ratio(double(t.macs), double(t.cycles) * d.peakMacsPerCycle));
  out += ",\"utilization\":{";
  for (int q = 0; q < 3; ++q) {
    appendf(out, "%s\"%s\":", q ? "," : "", kQueueNames[q]);
    appendNumber(out, ratio(double(t.busyCycles[q]),
                            double(t.cycles) * double(d.cores)));
  }
  appendf(out,
          "},\"instructions\":%" PRIu64 ",\"npu_dispatches\":%" PRIu64
          ",\"host_fallback\":{\"dispatches\":%" PRIu64 ",\"seconds\":",
          t.instructions, d.npuDispatches, d.hostDispatches);
  appendNumber(out, d.hostSeconds);
  out += "},\"simulator_seconds\":";
  appendNumber(out, d.simulatorSeconds);
  out += ",\"kernels\":[";
  for (size_t k = 0; k < d.kernels.size(); ++k) {
    const KernelCounters &kernel = d.kernels[k];
    out += k ? ",{\"name\":" : "{\"name\":";
    appendString(out, kernel.name);
    appendf(out, ",\"invocations\":%" PRIu64 ",", kernel.invocations);
    appendCounters(out, kernel.stats);
    out += '}';
  }
  out += "]}\n";
  return out;
}

std::string traceJson(const NpuSimDevice &d) {
  uint32_t cores = d.cores;
  for (const Event &event : d.events)
    if (!event.host && event.core >= cores)
      cores = event.core + 1;
  uint32_t hostPid = cores + 1; // npu core N is process N + 1
  double microsPerCycle = 1e6 / double(d.traceClockHz());
  std::string out = "{\"traceEvents\":[";
  bool first = true;
  auto next = [&] {
    out += first ? "\n" : ",\n";
    first = false;
  };
  auto metadata = [&](const char *what, uint32_t pid, uint32_t tid,
                      const std::string &name, uint32_t sortIndex) {
    next();
    appendf(out,
            "{\"name\":\"%s\",\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"args\":{"
            "\"name\":",
            what, pid, tid);
    appendString(out, name);
    out += "}}";
    next();
    appendf(out,
            "{\"name\":\"%s_sort_index\",\"ph\":\"M\",\"pid\":%u,\"tid\":%u,"
            "\"args\":{\"sort_index\":%u}}",
            what[0] == 'p' ? "process" : "thread", pid, tid, sortIndex);
  };
  for (uint32_t core = 0; core < cores; ++core) {
    metadata("process_name", core + 1, 0, "npu core " + std::to_string(core),
             core);
    for (uint32_t q = 0; q < 3; ++q)
      metadata("thread_name", core + 1, q, kQueueNames[q], q);
  }
  metadata("process_name", hostPid, 0, "host", cores);
  metadata("thread_name", hostPid, 0, "fallback", 0);
  for (size_t i = 0; i < d.events.size(); ++i) {
    const Event &event = d.events[i];
    next();
    out += "{\"name\":";
    appendString(out, d.names[event.name]);
    appendf(out,
            ",\"cat\":\"%s\",\"ph\":\"X\",\"pid\":%u,\"tid\":%u,\"ts\":%.4f,"
            "\"dur\":%.4f,\"args\":{\"kernel\":",
            event.host ? "host" : "npu", event.host ? hostPid : event.core + 1,
            event.host ? 0u : unsigned(event.queue),
            double(event.start) * microsPerCycle,
            double(event.end - event.start) * microsPerCycle);
    appendString(out, d.names[event.kernel]);
    out += "}}";
  }
  out += "\n],\"displayTimeUnit\":\"ns\",\"otherData\":{\"device\":\"npu-sim\","
         "\"target\":";
  if (d.haveTarget)
    appendString(out, d.targetName);
  else
    out += "null";
  appendf(out,
          ",\"clock_hz\":%" PRIu64 ",\"events\":%zu,\"truncated\":%s}}\n",
          d.traceClockHz(), d.events.size(), d.truncated ? "true" : "false");
  return out;
}

nuri_status_t profile(void *device, nuri_profile_kind_t kind,
                      char **out_json) {
  NpuSimDevice *d = self(device);
  std::string json;
  {
    std::lock_guard<std::mutex> lock(d->mutex);
    json = kind == NURI_PROFILE_TRACE_JSON ? traceJson(*d) : statsJson(*d);
  }
  char *copy = static_cast<char *>(std::malloc(json.size() + 1));
  if (!copy)
    return nuri_make_status(NURI_RESOURCE_EXHAUSTED,
                            "npu-sim: out of memory for a %zu-byte profile",
                            json.size());
  std::memcpy(copy, json.c_str(), json.size() + 1);
  *out_json = copy;
  return nullptr;
}

nuri_status_t profileReset(void *device) {
  std::lock_guard<std::mutex> lock(self(device)->mutex);
  self(device)->reset();
  return nullptr;
}

const nuri_device_vtable_t kDeviceVtable = {
    destroyDevice,     allocate,      freeBuffer,     mapBuffer,
    importHost,        releaseImport, supportsFormat, createExecutable,
    destroyExecutable, execute,       profile,        profileReset,
    /*allocate_device_local=*/nullptr, // the simulator's DRAM is host memory
};

nuri_status_t createDevice(const nuri_device_options_t *options,
                           const nuri_device_vtable_t **out_vtable,
                           void **out_device) {
  auto device = std::make_unique<NpuSimDevice>();
  const nuri_driver_vtable_t *cpu = nuri_cpu_driver_vtable();
  NURI_RETURN_IF_ERROR(
      cpu->create_device(options, &device->cpu, &device->inner));
  *out_device = device.release();
  *out_vtable = &kDeviceVtable;
  return nullptr;
}

#ifdef NURI_NPU_SIM_AS_PLUGIN
// The same driver built as a plugin (libnuri_npu_sim_plugin.so), under its
// own name so it sits beside the built-in one: the proof that a driver
// needs nothing but nuri/driver_plugin.h.
const nuri_driver_vtable_t kDriverVtable = {"npu-sim-plugin", createDevice};
#else
const nuri_driver_vtable_t kDriverVtable = {"npu-sim", createDevice};
#endif

} // namespace
} // namespace nuri

#ifdef NURI_NPU_SIM_AS_PLUGIN
NURI_DRIVER_PLUGIN_EXPORT const nuri_driver_plugin_t *nuri_driver_plugin(void) {
  static const nuri_driver_plugin_t plugin = {NURI_DRIVER_PLUGIN_ABI_VERSION,
                                              sizeof(nuri_driver_plugin_t), &nuri::kDriverVtable};
  return &plugin;
}
#else
extern "C" const nuri_driver_vtable_t *nuri_npu_sim_driver_vtable(void) {
  return &nuri::kDriverVtable;
}
#endif
