// The interface a HAL driver implements (for chip vendors).
//
// A driver is a nuri_driver_vtable_t registered with an instance by name.
// It creates devices; a device is an opaque pointer plus a
// nuri_device_vtable_t. The HAL core (runtime/hal/) owns reference counting,
// argument checking and command recording, so a driver only sees validated
// calls: buffer handles it allocated (or imported), executables it created,
// and command lists whose offsets/sizes are already checked against buffer
// sizes. See docs/runtime.md, "Writing a driver".
#ifndef NURI_HAL_DRIVER_H
#define NURI_HAL_DRIVER_H

#include "nuri/runtime.h"

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

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

// The built-in drivers.
NURI_API const nuri_driver_vtable_t *nuri_cpu_driver_vtable(void);
// The reference NPU simulator (runtime/drivers/npu-sim/): formats
// "npu-isa-v1" and "elf-x86_64-so" (host fallback). Registered by
// nuri_instance_create but never chosen by "auto".
NURI_API const nuri_driver_vtable_t *nuri_npu_sim_driver_vtable(void);
// Vulkan compute (runtime/drivers/vulkan/): format "spirv-vk1" and
// "elf-x86_64-so" (host fallback); loads libvulkan.so.1 at run time and is
// UNAVAILABLE without it. Built when the Vulkan headers are present.
NURI_API const nuri_driver_vtable_t *nuri_vulkan_driver_vtable(void);
// CUDA (runtime/drivers/cuda/): format "ptx-cuda1" and "elf-x86_64-so" (host
// fallback); loads libcuda.so.1 at run time, UNAVAILABLE without a GPU.
NURI_API const nuri_driver_vtable_t *nuri_cuda_driver_vtable(void);

#ifdef __cplusplus
} // extern "C"
#endif

#endif // NURI_HAL_DRIVER_H
