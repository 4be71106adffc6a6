// The cpu driver: host memory, executables that are ELF shared objects
// loaded from memory (memfd + dlopen), and a thread pool that runs a
// dispatch's workgroups in parallel. Execution is synchronous.
#include "drivers/cpu/cpu_testing.h"
#include "drivers/cpu/thread_pool.h"
#include "hal/guard.h"
#include "hal/objects.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

namespace nuri {
namespace {

constexpr const char *kElfFormat = "elf-x86_64-so";

using EntryFn = void (*)(void **, int64_t, int64_t);

struct CpuDevice {
  explicit CpuDevice(unsigned threads) : pool(threads) {}
  ThreadPool pool;
};

struct CpuExecutable {
  void *library = nullptr; // null for executables made from functions
  std::vector<EntryFn> entries;
  ~CpuExecutable() {
    if (library)
      dlclose(library);
  }
};

void destroyDevice(void *device) { delete static_cast<CpuDevice *>(device); }

nuri_status_t allocate(void *, uint64_t size, void **out_buffer) {
  // Round up so aligned_alloc's size requirement holds and a zero-sized
  // buffer still has a distinct address.
  if (size > (uint64_t(1) << 48))
    return nuri_make_status(NURI_RESOURCE_EXHAUSTED,
                            "buffer of %llu bytes is too large",
                            (unsigned long long)size);
  size_t rounded = (size + 63) / 64 * 64;
  if (rounded == 0)
    rounded = 64;
  void *memory = std::aligned_alloc(64, rounded);
  if (!memory)
    return nuri_make_status(NURI_RESOURCE_EXHAUSTED,
                            "cannot allocate %llu bytes",
                            (unsigned long long)size);
  std::memset(memory, 0, rounded);
  *out_buffer = memory;
  return nullptr;
}

void freeBuffer(void *, void *buffer) { std::free(buffer); }
void *mapBuffer(void *, void *buffer) { return buffer; }

nuri_status_t importHost(void *, void *host, uint64_t, void **out_buffer) {
  *out_buffer = host;
  return nullptr;
}
void releaseImport(void *, void *) {}

int supportsFormat(void *, const char *format) {
  return std::strcmp(format, kElfFormat) == 0;
}

nuri_status_t loadSharedObject(const void *data, size_t size, void **out) {
  // The memfd keeps the code off the file system, so nothing needs cleaning
  // up and nothing else can swap the file between write and dlopen.
  int fd = memfd_create("nuri-executable", MFD_CLOEXEC);
  if (fd < 0)
    return nuri_make_status(NURI_INTERNAL, "memfd_create failed: %s",
                            std::strerror(errno));
  const char *bytes = static_cast<const char *>(data);
  for (size_t written = 0; written < size;) {
    ssize_t n = write(fd, bytes + written, size - written);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int error = errno;
      close(fd);
      return nuri_make_status(NURI_INTERNAL,
                              "writing executable to memfd failed: %s",
                              std::strerror(error));
    }
    written += static_cast<size_t>(n);
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  void *library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  close(fd); // the mapping keeps the object alive
  if (!library) {
    const char *error = dlerror();
    return nuri_make_status(NURI_INVALID_ARGUMENT,
                            "cannot load cpu executable: %s",
                            error ? error : "dlopen failed");
  }
  *out = library;
  return nullptr;
}

nuri_status_t createExecutable(void *, const char *, const void *data,
                               size_t size, const char *const *entry_points,
                               size_t entry_point_count, void **out) {
  static const unsigned char kElfMagic[4] = {0x7f, 'E', 'L', 'F'};
  if (size < 64 || std::memcmp(data, kElfMagic, 4) != 0)
    return nuri_make_status(NURI_INVALID_ARGUMENT,
                            "cpu executable is not an ELF shared object");
  auto executable = std::make_unique<CpuExecutable>();
  NURI_RETURN_IF_ERROR(loadSharedObject(data, size, &executable->library));
  for (size_t i = 0; i < entry_point_count; ++i) {
    dlerror();
    void *symbol = dlsym(executable->library, entry_points[i]);
    if (!symbol)
      return nuri_make_status(NURI_NOT_FOUND,
                              "cpu executable has no entry point '%s'",
                              entry_points[i]);
    executable->entries.push_back(reinterpret_cast<EntryFn>(symbol));
  }
  *out = executable.release();
  return nullptr;
}

void destroyExecutable(void *, void *executable) {
  delete static_cast<CpuExecutable *>(executable);
}

nuri_status_t execute(void *deviceImpl, const nuri_hal_command_t *commands,
                      size_t count) {
  auto *device = static_cast<CpuDevice *>(deviceImpl);
  std::vector<void *> bindings;
  for (size_t c = 0; c < count; ++c) {
    const nuri_hal_command_t &command = commands[c];
    switch (command.kind) {
    case NURI_HAL_COMMAND_DISPATCH: {
      auto *executable = static_cast<CpuExecutable *>(command.executable);
      EntryFn entry = executable->entries[command.entry];
      // Buffer handles are host pointers for this driver.
      bindings.assign(command.bindings,
                      command.bindings + command.binding_count);
      void **base = bindings.data();
      int64_t workgroups = command.workgroup_count;
      device->pool.parallelFor(workgroups, [&](int64_t workgroup) {
        entry(base, workgroup, workgroups);
      });
      break;
    }
    case NURI_HAL_COMMAND_COPY:
      if (command.size)
        std::memmove(
            static_cast<char *>(command.target) + command.target_offset,
            static_cast<const char *>(command.source) + command.source_offset,
            command.size);
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

const nuri_device_vtable_t kDeviceVtable = {
    destroyDevice,     allocate,      freeBuffer,     mapBuffer,
    importHost,        releaseImport, supportsFormat, createExecutable,
    destroyExecutable, execute,
    /*profile=*/nullptr, /*profile_reset=*/nullptr,
    /*allocate_device_local=*/nullptr, // host memory is the cpu's own
};

nuri_status_t createDevice(const nuri_device_options_t *options,
                           const nuri_device_vtable_t **out_vtable,
                           void **out_device) {
  if (options->device_index != 0)
    return nuri_make_status(NURI_INVALID_ARGUMENT,
                            "the cpu driver has one device (cpu:0), not %d",
                            options->device_index);
  *out_device = new CpuDevice(static_cast<unsigned>(options->thread_count));
  *out_vtable = &kDeviceVtable;
  return nullptr;
}

const nuri_driver_vtable_t kDriverVtable = {"cpu", createDevice};

} // namespace
} // namespace nuri

extern "C" {

const nuri_driver_vtable_t *nuri_cpu_driver_vtable(void) {
  return &nuri::kDriverVtable;
}

nuri_status_t nuri_executable_create_from_functions(
    nuri_device_t device, const nuri_cpu_entry_fn_t *functions, size_t count,
    nuri_executable_t *out_executable) {
  NURI_CHECK_ARG(device && out_executable && (functions || !count),
                 "nuri_executable_create_from_functions: NULL argument");
  NURI_CHECK_ARG(device->vtable == &nuri::kDeviceVtable,
                 "device '%s' is not a cpu device", nuri_device_name(device));
  *out_executable = nullptr;
  return nuri::guard([&]() -> nuri_status_t {
    auto executable = std::make_unique<nuri::CpuExecutable>();
    for (size_t i = 0; i < count; ++i) {
      NURI_CHECK_ARG(functions[i], "function %zu is NULL", i);
      executable->entries.push_back(functions[i]);
    }
    *out_executable = nuri::wrapExecutable(device, executable.release(), count);
    if (!*out_executable)
      return nuri_make_status(NURI_RESOURCE_EXHAUSTED, "out of memory");
    return nullptr;
  });
}

unsigned nuri_cpu_device_thread_count(nuri_device_t device) {
  if (!device || device->vtable != &nuri::kDeviceVtable)
    return 0;
  return static_cast<nuri::CpuDevice *>(device->impl)->pool.threadCount();
}

} // extern "C"
