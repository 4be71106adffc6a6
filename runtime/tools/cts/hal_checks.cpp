// The HAL conformance checks of nuri-cts: what every driver must do, checked
// through the public C API only, so a driver plugin is held to exactly what
// the runtime relies on. Each check runs in a child process (cts.cpp), so a
// driver that crashes or hangs fails that check and the kit goes on.
#include "cts/cts.h"

#include "nuri/runtime.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <tuple>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace nuri::cts {
namespace {

constexpr int64_t kElements = 1024; // what the cts kernels compute over

std::string take(nuri_status_t status) {
  std::string message = nuri_status_message(status);
  nuri_status_free(status);
  return message;
}

/// A float as printf's %g writes it (0xabababab is -1.22e-12, not -0.000000).
std::string num(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", v);
  return text;
}

const char *codeName(nuri_status_code_t code) {
  switch (code) {
  case NURI_OK: return "OK";
  case NURI_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
  case NURI_NOT_FOUND: return "NOT_FOUND";
  case NURI_ALREADY_EXISTS: return "ALREADY_EXISTS";
  case NURI_RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
  case NURI_FAILED_PRECONDITION: return "FAILED_PRECONDITION";
  case NURI_OUT_OF_RANGE: return "OUT_OF_RANGE";
  case NURI_UNIMPLEMENTED: return "UNIMPLEMENTED";
  case NURI_INTERNAL: return "INTERNAL";
  case NURI_UNAVAILABLE: return "UNAVAILABLE";
  case NURI_DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
  default: return "another code";
  }
}

/// The device under test, created in the check's own process.
struct Device {
  nuri_instance_t instance = nullptr;
  nuri_device_t device = nullptr;
  std::string error;
  explicit Device(const Target &target) {
    if (nuri_status_t s = nuri_instance_create(&instance)) {
      error = "instance: " + take(s);
      return;
    }
    for (const std::string &plugin : target.driverPlugins)
      if (nuri_status_t s = nuri_instance_load_driver_plugin(instance, plugin.c_str(), nullptr)) {
        error = take(s);
        return;
      }
    if (nuri_status_t s = nuri_device_create(instance, target.device.c_str(), nullptr, &device))
      error = "device '" + target.device + "': " + take(s);
  }
  ~Device() {
    if (device)
      nuri_device_release(device);
    if (instance)
      nuri_instance_release(instance);
  }
  nuri_allocator_t allocator() const { return nuri_device_allocator(device); }
};

/// Buffers released when the check ends, whatever path it takes.
struct Buffers {
  std::vector<nuri_buffer_t> held;
  ~Buffers() {
    for (nuri_buffer_t b : held)
      nuri_buffer_release(b);
  }
  nuri_buffer_t add(nuri_buffer_t b) {
    held.push_back(b);
    return b;
  }
};

/// Fails the check with `what` when `status` is not OK.
#define CTS_OK(expr, what)                                                                       \
  do {                                                                                           \
    if (nuri_status_t s_ = (expr))                                                               \
      return Outcome::fail(std::string(what) + ": " + take(s_));                                 \
  } while (0)

/// A host-visible buffer of `bytes` filled with `fill(i)` per float.
template <typename Fill>
Outcome hostFloats(const Device &d, Buffers &held, size_t count, Fill fill, nuri_buffer_t &out,
                   float *&data) {
  CTS_OK(nuri_allocator_allocate(d.allocator(), count * 4, &out), "allocate");
  held.add(out);
  void *host = nullptr;
  CTS_OK(nuri_buffer_map(out, &host), "map");
  data = static_cast<float *>(host);
  for (size_t i = 0; i < count; ++i)
    data[i] = fill(i);
  return Outcome::ok();
}

Outcome submit(const Device &d, const std::function<nuri_status_t(nuri_command_buffer_t)> &record,
               nuri_semaphore_t wait = nullptr, uint64_t waitValue = 0,
               nuri_semaphore_t signal = nullptr, uint64_t signalValue = 0) {
  nuri_command_buffer_t cb = nullptr;
  CTS_OK(nuri_command_buffer_create(d.device, &cb), "command buffer");
  std::unique_ptr<nuri_command_buffer_s, void (*)(nuri_command_buffer_t)> guard(
      cb, nuri_command_buffer_release);
  CTS_OK(record(cb), "record");
  CTS_OK(nuri_device_submit(d.device, cb, wait, waitValue, signal, signalValue), "submit");
  return Outcome::ok();
}

Outcome allocationSizes(const Device &d) {
  for (uint64_t size : {0ull, 1ull, 63ull, 64ull, 1000ull, 1ull << 20}) {
    Buffers held;
    nuri_buffer_t b = nullptr;
    CTS_OK(nuri_allocator_allocate(d.allocator(), size, &b), "allocate " + std::to_string(size));
    held.add(b);
    if (nuri_buffer_size(b) != size)
      return Outcome::fail("size " + std::to_string(size) + ": nuri_buffer_size says " +
                           std::to_string(nuri_buffer_size(b)));
    void *host = nullptr;
    CTS_OK(nuri_buffer_map(b, &host), "map " + std::to_string(size));
    if (size && reinterpret_cast<uintptr_t>(host) % 64)
      return Outcome::fail("size " + std::to_string(size) + ": mapped address not 64-byte aligned");
    const uint8_t *bytes = static_cast<const uint8_t *>(host);
    for (uint64_t i = 0; i < size; ++i)
      if (bytes[i])
        return Outcome::fail("size " + std::to_string(size) + ": byte " + std::to_string(i) +
                             " is " + std::to_string(bytes[i]) + ", expected 0 (zero-filled)");
  }
  return Outcome::ok();
}

Outcome outOfMemory(const Device &d) {
  nuri_buffer_t b = nullptr;
  nuri_status_t s = nuri_allocator_allocate(d.allocator(), ~0ull, &b);
  if (!s) {
    nuri_buffer_release(b);
    return Outcome::fail("allocating 2^64-1 bytes succeeded; expected RESOURCE_EXHAUSTED");
  }
  nuri_status_code_t code = nuri_status_code(s);
  std::string message = take(s);
  if (code != NURI_RESOURCE_EXHAUSTED)
    return Outcome::fail(std::string("expected RESOURCE_EXHAUSTED, got ") + codeName(code) + " (" +
                         message + ")");
  return Outcome::ok();
}

Outcome copyOffsets(const Device &d) {
  Buffers held;
  nuri_buffer_t a, b;
  float *src = nullptr, *dst = nullptr;
  if (Outcome o = hostFloats(d, held, kElements, [](size_t i) { return float(i) + 0.5f; }, a, src); !o.pass)
    return o;
  if (Outcome o = hostFloats(d, held, kElements, [](size_t) { return 0.0f; }, b, dst); !o.pass)
    return o;
  // Floats 16..79 of a go to floats 32..95 of b; the rest of b stays 0.
  if (Outcome o = submit(d, [&](nuri_command_buffer_t cb) {
        return nuri_command_buffer_copy(cb, a, 64, b, 128, 256);
      });
      !o.pass)
    return o;
  for (int64_t i = 0; i < kElements; ++i) {
    float want = i >= 32 && i < 96 ? float(i - 16) + 0.5f : 0.0f;
    if (dst[i] != want)
      return Outcome::fail("copy of 256 bytes from offset 64 to offset 128: float " +
                           std::to_string(i) + " is " + num(dst[i]) + ", expected " +
                           num(want));
  }
  return Outcome::ok();
}

Outcome commandOrder(const Device &d) {
  Buffers held;
  nuri_buffer_t a, b, c, e;
  float *pa = nullptr, *pb = nullptr, *pc = nullptr, *pe = nullptr;
  for (auto [buf, p, first] : {std::tuple{&a, &pa, true}, {&b, &pb, false}, {&c, &pc, false},
                               {&e, &pe, false}})
    if (Outcome o = hostFloats(d, held, kElements,
                               [first](size_t i) { return first ? float(i) * 3 : -1.0f; }, *buf, *p);
        !o.pass)
      return o;
  // A chain in one command buffer: each copy reads what the one before wrote.
  if (Outcome o = submit(d, [&](nuri_command_buffer_t cb) -> nuri_status_t {
        nuri_status_t s = nuri_command_buffer_copy(cb, a, 0, b, 0, kElements * 4);
        if (!s)
          s = nuri_command_buffer_barrier(cb);
        if (!s)
          s = nuri_command_buffer_copy(cb, b, 0, c, 0, kElements * 4);
        if (!s)
          s = nuri_command_buffer_barrier(cb);
        if (!s)
          s = nuri_command_buffer_copy(cb, c, 0, e, 0, kElements * 4);
        return s;
      });
      !o.pass)
    return o;
  for (int64_t i = 0; i < kElements; ++i)
    if (pe[i] != float(i) * 3)
      return Outcome::fail("a -> b -> c -> d in one command buffer: d[" + std::to_string(i) +
                           "] is " + num(pe[i]) + ", expected " +
                           num(float(i) * 3) + " (commands out of order)");
  return Outcome::ok();
}

Outcome deviceLocal(const Device &d) {
  Buffers held;
  nuri_buffer_t local = nullptr;
  CTS_OK(nuri_allocator_allocate_typed(d.allocator(), kElements * 4, NURI_MEMORY_DEVICE_LOCAL, &local),
         "allocate device-local");
  held.add(local);
  if (nuri_buffer_memory_type(local) == NURI_MEMORY_DEVICE_LOCAL) {
    void *host = nullptr;
    nuri_status_t s = nuri_buffer_map(local, &host);
    if (!s)
      return Outcome::fail("a device-local buffer maps; expected FAILED_PRECONDITION");
    take(s);
  }
  nuri_buffer_t a, c;
  float *src = nullptr, *dst = nullptr;
  if (Outcome o = hostFloats(d, held, kElements, [](size_t i) { return float(i) - 7; }, a, src); !o.pass)
    return o;
  if (Outcome o = hostFloats(d, held, kElements, [](size_t) { return 1.0f; }, c, dst); !o.pass)
    return o;
  if (Outcome o = submit(d, [&](nuri_command_buffer_t cb) {
        return nuri_command_buffer_copy(cb, local, 0, c, 0, kElements * 4);
      });
      !o.pass)
    return o;
  for (int64_t i = 0; i < kElements; ++i)
    if (dst[i] != 0.0f)
      return Outcome::fail("a new device-local buffer is not zero-filled: float " +
                           std::to_string(i) + " is " + num(dst[i]));
  if (Outcome o = submit(d, [&](nuri_command_buffer_t cb) {
        nuri_status_t s = nuri_command_buffer_copy(cb, a, 0, local, 0, kElements * 4);
        if (!s)
          s = nuri_command_buffer_barrier(cb);
        return s ? s : nuri_command_buffer_copy(cb, local, 0, c, 0, kElements * 4);
      });
      !o.pass)
    return o;
  for (int64_t i = 0; i < kElements; ++i)
    if (dst[i] != float(i) - 7)
      return Outcome::fail("host -> device-local -> host: float " + std::to_string(i) + " is " +
                           num(dst[i]) + ", expected " + num(float(i) - 7));
  return Outcome::ok();
}

Outcome semaphoreSignal(const Device &d) {
  Buffers held;
  nuri_buffer_t a, b;
  float *pa = nullptr, *pb = nullptr;
  if (Outcome o = hostFloats(d, held, 16, [](size_t i) { return float(i); }, a, pa); !o.pass)
    return o;
  if (Outcome o = hostFloats(d, held, 16, [](size_t) { return 0.0f; }, b, pb); !o.pass)
    return o;
  nuri_semaphore_t sem = nullptr;
  CTS_OK(nuri_semaphore_create(d.device, 3, &sem), "semaphore");
  std::unique_ptr<nuri_semaphore_s, void (*)(nuri_semaphore_t)> guard(sem, nuri_semaphore_release);
  if (Outcome o = submit(d, [&](nuri_command_buffer_t cb) {
        return nuri_command_buffer_copy(cb, a, 0, b, 0, 64);
      }, nullptr, 0, sem, 5);
      !o.pass)
    return o;
  CTS_OK(nuri_semaphore_wait(sem, 5, NURI_TIMEOUT_INFINITE), "wait for 5");
  uint64_t value = nuri_semaphore_query(sem);
  if (value != 5)
    return Outcome::fail("after the submission signalled 5 the semaphore holds " + std::to_string(value));
  if (pb[15] != 15.0f)
    return Outcome::fail("the semaphore was signalled before the copy it follows finished");
  return Outcome::ok();
}

Outcome semaphoreTimeout(const Device &d) {
  nuri_semaphore_t sem = nullptr;
  CTS_OK(nuri_semaphore_create(d.device, 1, &sem), "semaphore");
  std::unique_ptr<nuri_semaphore_s, void (*)(nuri_semaphore_t)> guard(sem, nuri_semaphore_release);
  auto start = std::chrono::steady_clock::now();
  nuri_status_t s = nuri_semaphore_wait(sem, 2, 20'000'000); // 20 ms
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!s)
    return Outcome::fail("waiting for 2 on a semaphore at 1 returned OK");
  nuri_status_code_t code = nuri_status_code(s);
  take(s);
  if (code != NURI_DEADLINE_EXCEEDED)
    return Outcome::fail(std::string("expected DEADLINE_EXCEEDED, got ") + codeName(code));
  if (ms < 15 || ms > 2000)
    return Outcome::fail("a 20 ms timeout returned after " + std::to_string(ms) + " ms");
  return Outcome::ok();
}

Outcome submissionWaits(const Device &d) {
  Buffers held;
  nuri_buffer_t a, b;
  float *pa = nullptr, *pb = nullptr;
  if (Outcome o = hostFloats(d, held, 16, [](size_t i) { return float(i) + 1; }, a, pa); !o.pass)
    return o;
  if (Outcome o = hostFloats(d, held, 16, [](size_t) { return 0.0f; }, b, pb); !o.pass)
    return o;
  nuri_semaphore_t sem = nullptr;
  CTS_OK(nuri_semaphore_create(d.device, 0, &sem), "semaphore");
  std::unique_ptr<nuri_semaphore_s, void (*)(nuri_semaphore_t)> guard(sem, nuri_semaphore_release);
  std::atomic<bool> signalled{false};
  std::thread signaller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    signalled = true;
    if (nuri_status_t s = nuri_semaphore_signal(sem, 1))
      take(s);
  });
  Outcome o = submit(d, [&](nuri_command_buffer_t cb) {
    return nuri_command_buffer_copy(cb, a, 0, b, 0, 64);
  }, sem, 1);
  // The copy may run only once the semaphore reached 1.
  bool early = pb[0] != 0.0f && !signalled;
  signaller.join();
  if (!o.pass)
    return o;
  CTS_OK(nuri_semaphore_wait(sem, 1, 1'000'000'000), "semaphore");
  if (early)
    return Outcome::fail("the submission ran before its wait semaphore was signalled");
  if (pb[15] != 16.0f)
    return Outcome::fail("the submission that waited did not copy");
  return Outcome::ok();
}

Outcome executableErrors(const Device &d) {
  std::string garbage(256, 'x');
  const char *entries[] = {"main"};
  for (const char *format : {"elf-x86_64-so", "npu-isa-v1", "spirv-vk1", "ptx-cuda1"}) {
    if (!nuri_device_supports_format(d.device, format))
      continue;
    nuri_executable_t e = nullptr;
    nuri_status_t s = nuri_executable_create(d.device, format, garbage.data(), garbage.size(),
                                             entries, 1, &e);
    if (!s) {
      nuri_executable_release(e);
      return Outcome::fail(std::string("256 bytes of 'x' loaded as a ") + format +
                           " executable; expected an error");
    }
    take(s);
  }
  nuri_executable_t e = nullptr;
  nuri_status_t s = nuri_executable_create(d.device, "no-such-format", garbage.data(),
                                           garbage.size(), entries, 1, &e);
  if (!s) {
    nuri_executable_release(e);
    return Outcome::fail("an executable of format 'no-such-format' loaded");
  }
  nuri_status_code_t code = nuri_status_code(s);
  take(s);
  if (code != NURI_UNIMPLEMENTED)
    return Outcome::fail(std::string("format 'no-such-format': expected UNIMPLEMENTED, got ") +
                         codeName(code));
  return Outcome::ok();
}

Outcome hostKernels(const Device &d, const std::string &kernels) {
  if (!nuri_device_supports_format(d.device, "elf-x86_64-so"))
    return Outcome::skip("the device runs no cpu code (elf-x86_64-so)");
  std::vector<char> data;
  if (FILE *f = std::fopen(kernels.c_str(), "rb")) {
    char chunk[65536];
    size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0)
      data.insert(data.end(), chunk, chunk + n);
    std::fclose(f);
  }
  if (data.empty())
    return Outcome::fail("cannot read the kit's kernels " + kernels);
  const char *entries[] = {"add_f32", "scale2_f32"};
  nuri_executable_t e = nullptr;
  CTS_OK(nuri_executable_create(d.device, "elf-x86_64-so", data.data(), data.size(), entries, 2, &e),
         "load the kit's cpu kernels");
  std::unique_ptr<nuri_executable_s, void (*)(nuri_executable_t)> guard(e, nuri_executable_release);
  Buffers held;
  nuri_buffer_t a, b, c;
  float *pa = nullptr, *pb = nullptr, *pc = nullptr;
  if (Outcome o = hostFloats(d, held, kElements, [](size_t i) { return float(i); }, a, pa); !o.pass)
    return o;
  if (Outcome o = hostFloats(d, held, kElements, [](size_t i) { return 0.25f * i; }, b, pb); !o.pass)
    return o;
  if (Outcome o = hostFloats(d, held, kElements, [](size_t) { return 0.0f; }, c, pc); !o.pass)
    return o;
  nuri_buffer_t abc[] = {a, b, c}, ca[] = {c, a};
  // c = a + b over 7 workgroups, then a = 2 c over 3.
  if (Outcome o = submit(d, [&](nuri_command_buffer_t cb) -> nuri_status_t {
        nuri_status_t s = nuri_command_buffer_dispatch(cb, e, 0, 7, abc, 3);
        if (!s)
          s = nuri_command_buffer_barrier(cb);
        return s ? s : nuri_command_buffer_dispatch(cb, e, 1, 3, ca, 2);
      });
      !o.pass)
    return o;
  for (int64_t i = 0; i < kElements; ++i) {
    float sum = float(i) + 0.25f * i;
    if (pc[i] != sum || pa[i] != 2 * sum)
      return Outcome::fail("element " + std::to_string(i) + ": add then scale gave " +
                           num(pc[i]) + ", " + num(pa[i]) + "; expected " +
                           num(sum) + ", " + num(2 * sum));
  }
  return Outcome::ok();
}

Outcome concurrentSubmissions(const Device &d) {
  constexpr int kThreads = 4, kRounds = 50;
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      Buffers held;
      nuri_buffer_t a, b;
      float *pa = nullptr, *pb = nullptr;
      Outcome o = hostFloats(d, held, 256, [t](size_t i) { return float(i * 10 + t); }, a, pa);
      if (o.pass)
        o = hostFloats(d, held, 256, [](size_t) { return 0.0f; }, b, pb);
      for (int r = 0; o.pass && r < kRounds; ++r) {
        pb[r % 256] = -1;
        o = submit(d, [&](nuri_command_buffer_t cb) {
          return nuri_command_buffer_copy(cb, a, 0, b, 0, 256 * 4);
        });
        if (o.pass && pb[r % 256] != float((r % 256) * 10 + t))
          o = Outcome::fail("thread " + std::to_string(t) + " round " + std::to_string(r) +
                            ": its copy did not land");
      }
      if (!o.pass)
        errors[t] = o.detail;
    });
  for (std::thread &t : threads)
    t.join();
  for (const std::string &e : errors)
    if (!e.empty())
      return Outcome::fail(e);
  return Outcome::ok();
}

/// A check run on a freshly opened device; a device that does not open
/// fails it with the reason.
std::function<Outcome(const Target &)> onDevice(std::function<Outcome(const Device &)> check) {
  return [check](const Target &t) {
    Device d(t);
    return d.error.empty() ? check(d) : Outcome::fail(d.error);
  };
}

std::function<Outcome(const Target &)> onDevice(
    std::function<Outcome(const Device &, const Target &)> check) {
  return [check](const Target &t) {
    Device d(t);
    return d.error.empty() ? check(d, t) : Outcome::fail(d.error);
  };
}

} // namespace

std::vector<HalCheck> halChecks() {
  return {
      {"device.create", "the device opens", onDevice([](const Device &) { return Outcome::ok(); })},
      {"buffer.allocate", "sizes kept, 64-byte aligned mappings, zero-filled",
       onDevice(allocationSizes)},
      {"buffer.out_of_memory", "an impossible allocation is RESOURCE_EXHAUSTED, not a crash",
       onDevice(outOfMemory)},
      {"buffer.device_local", "device-local memory: not mapped, zero-filled, reached by copies",
       onDevice(deviceLocal)},
      {"copy.offsets", "copies honour source and target offsets and sizes",
       onDevice(copyOffsets)},
      {"command_buffer.order", "commands run in order, each seeing the one before",
       onDevice(commandOrder)},
      {"semaphore.signal", "a submission signals its semaphore after its work",
       onDevice(semaphoreSignal)},
      {"semaphore.timeout", "a wait that cannot be met times out with DEADLINE_EXCEEDED",
       onDevice(semaphoreTimeout)},
      {"semaphore.submit_waits", "a submission waits for its wait semaphore",
       onDevice(submissionWaits)},
      {"executable.load_errors", "garbage executables and unknown formats are errors",
       onDevice(executableErrors)},
      {"executable.host_kernels", "cpu code (the fallback format) dispatches with the right results",
       onDevice([](const Device &d, const Target &t) { return hostKernels(d, t.kernels); })},
      {"submit.concurrent", "4 threads submitting at once each get their own results",
       onDevice(concurrentSubmissions)},
  };
}

} // namespace nuri::cts
