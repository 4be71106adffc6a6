// The host side of a device driver that also runs cpu code ("elf-x86_64-so",
// the dispatches its own compiler left to the cpu) over its own buffers,
// which the host can address (mapped or unified memory): an inner cpu
// device, and the dispatch with buffer handles turned into host addresses.
#ifndef NURI_DRIVERS_HOST_FALLBACK_H
#define NURI_DRIVERS_HOST_FALLBACK_H

#include "hal/guard.h"

#include <cstring>
#include <vector>

namespace nuri {

struct HostFallback {
  const nuri_device_vtable_t *cpu = nullptr;
  void *inner = nullptr;

  /// The inner cpu device, with the device's options (its index is the
  /// device's, not the cpu's).
  nuri_status_t create(const nuri_device_options_t *options) {
    nuri_device_options_t host = *options;
    host.device_index = 0;
    return nuri_cpu_driver_vtable()->create_device(&host, &cpu, &inner);
  }
  ~HostFallback() {
    if (inner)
      cpu->destroy(inner);
  }
  /// Whether `format` is the cpu code this fallback runs.
  static bool runs(const char *format) { return std::strcmp(format, "elf-x86_64-so") == 0; }
  /// Loads cpu code into the inner device (*out is its executable).
  nuri_status_t load(const char *format, const void *data, size_t size,
                     const char *const *entry_points, size_t count, void **out) {
    return cpu->executable_create(inner, format, data, size, entry_points, count, out);
  }
  void unload(void *executable) { cpu->executable_destroy(inner, executable); }
  /// Runs dispatch `command` with the inner device's `executable`, each
  /// binding passed as `host(binding)`.
  template <typename HostAddress>
  nuri_status_t run(const nuri_hal_command_t &command, void *executable, HostAddress host) {
    std::vector<void *> bindings(command.binding_count);
    for (size_t i = 0; i < command.binding_count; ++i)
      bindings[i] = host(command.bindings[i]);
    nuri_hal_command_t inner_command = command;
    inner_command.executable = executable;
    inner_command.bindings = bindings.data();
    return cpu->execute(inner, &inner_command, 1);
  }
};

} // namespace nuri

#endif
