// The interface a HAL driver implements, and the one symbol a driver
// plugin exports (for chip vendors).
//
// A driver is a nuri_driver_vtable_t registered with an instance by name.
// It creates devices; a device is an opaque pointer plus a
// nuri_device_vtable_t. The HAL core owns reference counting, argument
// checking and command recording, so a driver only sees validated calls:
// buffer handles it allocated (or imported), executables it created, and
// command lists whose offsets/sizes are already checked against buffer
// sizes. Everything here is plain C (no C++ types cross it), so a driver
// can be built by any compiler; docs/runtime.md, "Writing a driver".
//
// Out of tree, a driver is a shared library that exports
//
//   NURI_DRIVER_PLUGIN_EXPORT const nuri_driver_plugin_t *nuri_driver_plugin(void);
//
// returning {NURI_DRIVER_PLUGIN_ABI_VERSION, sizeof(nuri_driver_plugin_t),
// &its_driver_vtable}. nuri_instance_load_driver_plugin (nuri-run
// --driver-plugin, NURI_DRIVER_PATH) loads it, refuses one built for
// another ABI version naming both, and registers its driver.
#ifndef NURI_DRIVER_PLUGIN_H
#define NURI_DRIVER_PLUGIN_H

#include "nuri/runtime.h"

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

// The layout of the vtables below. Raised whenever a slot is added or one
// changes meaning; a plugin built for another version is refused.
#define NURI_DRIVER_PLUGIN_ABI_VERSION 1u

typedef enum nuri_hal_command_kind_e {
  NURI_HAL_COMMAND_DISPATCH = 0,
  NURI_HAL_COMMAND_COPY = 1,
  NURI_HAL_COMMAND_BARRIER = 2,
} nuri_hal_command_kind_t;

// One recorded command. Handles are the driver's own (from allocate,
// import_host and executable_create).
typedef struct nuri_hal_command_s {
  nuri_hal_command_kind_t kind;
  // DISPATCH
  void *executable;
  uint32_t entry;
  uint32_t workgroup_count;
  void *const *bindings;
  size_t binding_count;
  // COPY
  void *source;
  uint64_t source_offset;
  void *target;
  uint64_t target_offset;
  uint64_t size;
} nuri_hal_command_t;

typedef struct nuri_device_vtable_s {
  void (*destroy)(void *device);
  // Host-visible memory of at least `size` bytes, zero-filled, whose mapped
  // address is 64-byte aligned.
  nuri_status_t (*allocate)(void *device, uint64_t size, void **out_buffer);
  void (*free)(void *device, void *buffer);
  // Host address of a buffer from allocate/import_host.
  void *(*map)(void *device, void *buffer);
  // Optional (may be NULL): use existing host memory (e.g. mmapped
  // constants) without copying. The HAL keeps the memory alive; release is
  // called when the buffer dies.
  nuri_status_t (*import_host)(void *device, void *host, uint64_t size,
                               void **out_buffer);
  void (*release_import)(void *device, void *buffer);
  int (*supports_format)(void *device, const char *format);
  nuri_status_t (*executable_create)(void *device, const char *format,
                                     const void *data, size_t size,
                                     const char *const *entry_points,
                                     size_t entry_point_count,
                                     void **out_executable);
  void (*executable_destroy)(void *device, void *executable);
  // Runs the commands in order, each finishing before the next starts. A
  // synchronous driver returns when all work is done; the HAL signals
  // semaphores after it returns.
  nuri_status_t (*execute)(void *device, const nuri_hal_command_t *commands,
                           size_t command_count);
  // Optional (NULL: the device keeps no profile; nuri_device_profile then
  // answers UNIMPLEMENTED). Appended last so drivers written before them
  // still compile. profile: a malloc'd JSON string of `kind` (the HAL has
  // checked the kind); profile_reset: clear counters and trace.
  nuri_status_t (*profile)(void *device, nuri_profile_kind_t kind,
                           char **out_json);
  nuri_status_t (*profile_reset)(void *device);
  // Optional (NULL: the device has no memory of its own and DEVICE_LOCAL
  // requests get `allocate`'s host-visible memory). Zero-filled memory of
  // at least `size` bytes that only the device's commands reach: `map`
  // returns NULL for it, and the HAL never binds it to a dispatch the
  // driver runs on the host (the session keeps those buffers host-visible).
  nuri_status_t (*allocate_device_local)(void *device, uint64_t size,
                                         void **out_buffer);
} nuri_device_vtable_t;

struct nuri_driver_vtable_s {
  const char *name;
  // UNAVAILABLE when the hardware or its user-space library is missing;
  // "auto" device selection then moves on to the next driver.
  nuri_status_t (*create_device)(const nuri_device_options_t *options,
                                 const nuri_device_vtable_t **out_vtable,
                                 void **out_device);
};

// Builds a status with a printf-style message (for drivers).
NURI_API nuri_status_t nuri_make_status(nuri_status_code_t code,
                                        const char *format, ...)
    __attribute__((format(printf, 2, 3)));

// A driver built into this runtime ("cpu", "npu-sim", "vulkan", "cuda"), or
// NULL: a vendor's driver may wrap one (a host fallback over the cpu
// driver; the example vendor driver stands in for its chip with npu-sim).
NURI_API const nuri_driver_vtable_t *nuri_builtin_driver(const char *name);

// What a driver plugin's entry point returns.
typedef struct nuri_driver_plugin_s {
  uint32_t abi_version; // NURI_DRIVER_PLUGIN_ABI_VERSION it was built with
  uint32_t struct_size; // sizeof(nuri_driver_plugin_t) it was built with
  const nuri_driver_vtable_t *driver;
} nuri_driver_plugin_t;

typedef const nuri_driver_plugin_t *(*nuri_driver_plugin_entry_t)(void);

#define NURI_DRIVER_PLUGIN_ENTRY "nuri_driver_plugin"
#ifdef __cplusplus
#define NURI_DRIVER_PLUGIN_EXPORT extern "C" __attribute__((visibility("default")))
#else
#define NURI_DRIVER_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
} // extern "C"
#endif

#endif // NURI_DRIVER_PLUGIN_H
