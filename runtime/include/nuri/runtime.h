// Nuri runtime C API.
//
// A small hardware abstraction layer in the style of IREE's HAL:
//   instance -> driver -> device -> allocator/buffer, command buffer,
//   executable, semaphore
// plus a module/session layer that loads a .nuri artifact and runs its host
// program. Every function returns a nuri_status_t; NULL means success, any
// other value must be freed with nuri_status_free. No C++ exception crosses
// this boundary. Objects are reference counted (retain/release); *_create
// returns an object holding one reference.
#ifndef NURI_RUNTIME_H
#define NURI_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NURI_API __attribute__((visibility("default")))

//===----------------------------------------------------------------------===//
// Status
//===----------------------------------------------------------------------===//

typedef enum nuri_status_code_e {
  NURI_OK = 0,
  NURI_INVALID_ARGUMENT = 1,
  NURI_NOT_FOUND = 2,
  NURI_DATA_LOSS = 3,   // corrupt or truncated artifact
  NURI_UNAVAILABLE = 4, // driver/device not present on this machine
  NURI_INTERNAL = 5,
  NURI_OUT_OF_RANGE = 6,
  NURI_RESOURCE_EXHAUSTED = 7,
  NURI_DEADLINE_EXCEEDED = 8,
  NURI_UNIMPLEMENTED = 9,
  NURI_FAILED_PRECONDITION = 10,
  NURI_ALREADY_EXISTS = 11,
} nuri_status_code_t;

typedef struct nuri_status_s *nuri_status_t;

NURI_API nuri_status_code_t nuri_status_code(nuri_status_t status);
// Never NULL; "OK" for a NULL status. Owned by the status.
NURI_API const char *nuri_status_message(nuri_status_t status);
NURI_API void nuri_status_free(nuri_status_t status);
NURI_API const char *nuri_status_code_name(nuri_status_code_t code);

//===----------------------------------------------------------------------===//
// Element types (values match nuri.artifact.DType)
//===----------------------------------------------------------------------===//

typedef enum nuri_dtype_e {
  NURI_DTYPE_F32 = 0,
  NURI_DTYPE_F16 = 1,
  NURI_DTYPE_BF16 = 2,
  NURI_DTYPE_F64 = 3,
  NURI_DTYPE_I8 = 4,
  NURI_DTYPE_U8 = 5,
  NURI_DTYPE_I16 = 6,
  NURI_DTYPE_U16 = 7,
  NURI_DTYPE_I32 = 8,
  NURI_DTYPE_U32 = 9,
  NURI_DTYPE_I64 = 10,
  NURI_DTYPE_U64 = 11,
  NURI_DTYPE_I1 = 12, // one byte per element, 0 or 1
  // UTF-8 text, each element NUL-padded to the tensor's string_bytes
  // (nuri_tensor_info_t); nuri_dtype_size returns 0 for it.
  NURI_DTYPE_STRING = 13,
} nuri_dtype_t;

// 0 for an unknown dtype.
NURI_API size_t nuri_dtype_size(nuri_dtype_t dtype);
// "f32", "bf16", "i1", ...; "?" for an unknown dtype.
NURI_API const char *nuri_dtype_name(nuri_dtype_t dtype);

//===----------------------------------------------------------------------===//
// Objects
//===----------------------------------------------------------------------===//

typedef struct nuri_instance_s *nuri_instance_t;
typedef struct nuri_driver_s *nuri_driver_t;
typedef struct nuri_device_s *nuri_device_t;
typedef struct nuri_allocator_s *nuri_allocator_t;
typedef struct nuri_buffer_s *nuri_buffer_t;
typedef struct nuri_command_buffer_s *nuri_command_buffer_t;
typedef struct nuri_executable_s *nuri_executable_t;
typedef struct nuri_semaphore_s *nuri_semaphore_t;
typedef struct nuri_module_s *nuri_module_t;
typedef struct nuri_session_s *nuri_session_t;

// Defined in nuri/driver_plugin.h; drivers implement it.
typedef struct nuri_driver_vtable_s nuri_driver_vtable_t;

//===----------------------------------------------------------------------===//
// Instance: the driver registry. The cpu driver is registered on creation.
//===----------------------------------------------------------------------===//

NURI_API nuri_status_t nuri_instance_create(nuri_instance_t *out_instance);
NURI_API void nuri_instance_retain(nuri_instance_t instance);
NURI_API void nuri_instance_release(nuri_instance_t instance);

// Registers a driver under vtable->name. The vtable must outlive the
// instance. Fails with ALREADY_EXISTS for a name already registered.
NURI_API nuri_status_t nuri_instance_register_driver(
    nuri_instance_t instance, const nuri_driver_vtable_t *vtable);
// Loads a driver plugin (a shared library exporting nuri_driver_plugin, see
// nuri/driver_plugin.h) and registers its driver; *out_name (may be NULL)
// receives the driver's name, valid while the instance lives. Errors name
// the file: NOT_FOUND (no such file, no entry point), FAILED_PRECONDITION
// (built for another driver ABI version: both are named), INVALID_ARGUMENT
// (not a loadable library, an incomplete vtable), ALREADY_EXISTS (a driver
// of that name is registered). The library stays loaded for the process.
NURI_API nuri_status_t nuri_instance_load_driver_plugin(nuri_instance_t instance,
                                                        const char *path,
                                                        const char **out_name);
// Loads every driver plugin NURI_DRIVER_PATH names: a colon-separated list
// of plugin files and of directories, whose *.so files are loaded in name
// order. Unset or empty: nothing. Stops at the first error.
NURI_API nuri_status_t nuri_instance_load_driver_path(nuri_instance_t instance);
NURI_API size_t nuri_instance_driver_count(nuri_instance_t instance);
// NULL when index is out of range.
NURI_API const char *nuri_instance_driver_name(nuri_instance_t instance,
                                               size_t index);

//===----------------------------------------------------------------------===//
// Driver and device
//===----------------------------------------------------------------------===//

// NOT_FOUND if no driver of that name is registered; UNAVAILABLE if the
// driver is registered but its hardware is missing.
NURI_API nuri_status_t nuri_driver_create(nuri_instance_t instance,
                                          const char *name,
                                          nuri_driver_t *out_driver);
NURI_API void nuri_driver_retain(nuri_driver_t driver);
NURI_API void nuri_driver_release(nuri_driver_t driver);
NURI_API const char *nuri_driver_name(nuri_driver_t driver);

typedef struct nuri_device_options_s {
  // Worker threads for host-executing drivers; 0 = number of hardware
  // cores, 1 = run every workgroup inline on the submitting thread.
  int32_t thread_count;
  // Which device of the driver's (vulkan:N, cuda:N); 0 = the first. Drivers
  // with one device reject others.
  int32_t device_index;
} nuri_device_options_t;

NURI_API void nuri_device_options_init(nuri_device_options_t *options);

// options may be NULL (defaults).
NURI_API nuri_status_t nuri_driver_create_device(
    nuri_driver_t driver, const nuri_device_options_t *options,
    nuri_device_t *out_device);

// Convenience: driver by name, then its default device ("vulkan:1": device
// 1 of the vulkan driver). "auto" tries the preference list npu, cuda,
// vulkan, cpu and takes the first that works.
NURI_API nuri_status_t nuri_device_create(nuri_instance_t instance,
                                          const char *name,
                                          const nuri_device_options_t *options,
                                          nuri_device_t *out_device);
NURI_API void nuri_device_retain(nuri_device_t device);
NURI_API void nuri_device_release(nuri_device_t device);
// The driver name ("cpu", ...); owned by the device.
NURI_API const char *nuri_device_name(nuri_device_t device);
// Whether the device can load executables of this artifact format
// (e.g. "elf-x86_64-so").
NURI_API int nuri_device_supports_format(nuri_device_t device,
                                         const char *format);
// Borrowed; lives as long as the device.
NURI_API nuri_allocator_t nuri_device_allocator(nuri_device_t device);

//===----------------------------------------------------------------------===//
// Profile: counters a device keeps since its creation or the last reset
// (the npu-sim driver: cycles, MACs, DRAM traffic, per-queue busy cycles,
// per kernel; host fallback time). Drivers without counters answer
// UNIMPLEMENTED.
//===----------------------------------------------------------------------===//

typedef enum nuri_profile_kind_e {
  // One JSON object of counters (docs/runtime.md lists the fields).
  NURI_PROFILE_STATS_JSON = 0,
  // Chrome trace event format ({"traceEvents": [...]}), loadable in
  // Perfetto (ui.perfetto.dev) or chrome://tracing.
  NURI_PROFILE_TRACE_JSON = 1,
} nuri_profile_kind_t;

// *out_json receives a NUL-terminated, malloc'd string; free it with
// nuri_profile_free. UNIMPLEMENTED for a device that keeps no profile.
NURI_API nuri_status_t nuri_device_profile(nuri_device_t device,
                                           nuri_profile_kind_t kind,
                                           char **out_json);
NURI_API void nuri_profile_free(char *json);
// Clears the counters and the trace. UNIMPLEMENTED for a device that keeps
// no profile (so callers can probe for support before running).
NURI_API nuri_status_t nuri_device_profile_reset(nuri_device_t device);

//===----------------------------------------------------------------------===//
// Allocator and buffer: host-visible memory, 64-byte aligned, zero-filled;
// or the device's own memory where it has one.
//===----------------------------------------------------------------------===//

// Where a buffer lives. HOST_VISIBLE memory can be mapped. DEVICE_LOCAL is
// the device's own memory (a discrete GPU's): only the device's commands
// (dispatches, copies) reach it, so it is filled and read back by copies
// from and to host-visible buffers, and nuri_buffer_map refuses it
// (FAILED_PRECONDITION). A device without memory of its own (cpu, npu-sim)
// answers a DEVICE_LOCAL request with host-visible memory, and
// nuri_buffer_memory_type says which one a buffer got.
typedef enum nuri_memory_type_e {
  NURI_MEMORY_HOST_VISIBLE = 0,
  NURI_MEMORY_DEVICE_LOCAL = 1,
} nuri_memory_type_t;

NURI_API nuri_status_t nuri_allocator_allocate(nuri_allocator_t allocator,
                                               uint64_t size,
                                               nuri_buffer_t *out_buffer);
NURI_API nuri_status_t nuri_allocator_allocate_typed(nuri_allocator_t allocator,
                                                     uint64_t size,
                                                     nuri_memory_type_t type,
                                                     nuri_buffer_t *out_buffer);
NURI_API nuri_memory_type_t nuri_buffer_memory_type(nuri_buffer_t buffer);
NURI_API void nuri_buffer_retain(nuri_buffer_t buffer);
NURI_API void nuri_buffer_release(nuri_buffer_t buffer);
NURI_API uint64_t nuri_buffer_size(nuri_buffer_t buffer);
// Host address of the buffer contents, valid while the buffer lives;
// FAILED_PRECONDITION for a device-local buffer.
NURI_API nuri_status_t nuri_buffer_map(nuri_buffer_t buffer, void **out_data);

//===----------------------------------------------------------------------===//
// Executable
//===----------------------------------------------------------------------===//

// For the cpu driver, format "elf-x86_64-so": data is a shared object; every
// entry point must be an exported symbol
//   void entry(void **bindings, int64_t workgroup_id, int64_t workgroup_count)
// NOT_FOUND names the first missing entry point.
NURI_API nuri_status_t nuri_executable_create(
    nuri_device_t device, const char *format, const void *data, size_t size,
    const char *const *entry_points, size_t entry_point_count,
    nuri_executable_t *out_executable);
NURI_API void nuri_executable_retain(nuri_executable_t executable);
NURI_API void nuri_executable_release(nuri_executable_t executable);
NURI_API size_t nuri_executable_entry_point_count(nuri_executable_t exe);

//===----------------------------------------------------------------------===//
// Command buffer: record, then submit. Commands run in recording order, each
// finishing before the next starts.
//===----------------------------------------------------------------------===//

NURI_API nuri_status_t nuri_command_buffer_create(
    nuri_device_t device, nuri_command_buffer_t *out_command_buffer);
NURI_API void nuri_command_buffer_retain(nuri_command_buffer_t cb);
NURI_API void nuri_command_buffer_release(nuri_command_buffer_t cb);
// Runs entry point `entry` for workgroups 0..workgroup_count-1 with
// bindings[i] bound to the entry's i-th binding.
NURI_API nuri_status_t nuri_command_buffer_dispatch(
    nuri_command_buffer_t cb, nuri_executable_t executable, uint32_t entry,
    uint32_t workgroup_count, const nuri_buffer_t *bindings,
    size_t binding_count);
NURI_API nuri_status_t nuri_command_buffer_copy(
    nuri_command_buffer_t cb, nuri_buffer_t source, uint64_t source_offset,
    nuri_buffer_t target, uint64_t target_offset, uint64_t size);
NURI_API nuri_status_t nuri_command_buffer_barrier(nuri_command_buffer_t cb);
NURI_API size_t nuri_command_buffer_command_count(nuri_command_buffer_t cb);

// Waits for wait_semaphore >= wait_value (when given), executes the command
// buffer, then signals signal_semaphore to signal_value (when given). The
// cpu driver executes synchronously, so the work is done on return.
NURI_API nuri_status_t nuri_device_submit(nuri_device_t device,
                                          nuri_command_buffer_t cb,
                                          nuri_semaphore_t wait_semaphore,
                                          uint64_t wait_value,
                                          nuri_semaphore_t signal_semaphore,
                                          uint64_t signal_value);

//===----------------------------------------------------------------------===//
// Semaphore: a monotonically increasing 64-bit timeline value.
//===----------------------------------------------------------------------===//

#define NURI_TIMEOUT_INFINITE UINT64_MAX

NURI_API nuri_status_t nuri_semaphore_create(nuri_device_t device,
                                             uint64_t initial_value,
                                             nuri_semaphore_t *out_semaphore);
NURI_API void nuri_semaphore_retain(nuri_semaphore_t semaphore);
NURI_API void nuri_semaphore_release(nuri_semaphore_t semaphore);
NURI_API uint64_t nuri_semaphore_query(nuri_semaphore_t semaphore);
// INVALID_ARGUMENT if value is not greater than the current value.
NURI_API nuri_status_t nuri_semaphore_signal(nuri_semaphore_t semaphore,
                                             uint64_t value);
// DEADLINE_EXCEEDED if the value is not reached within timeout_ns.
NURI_API nuri_status_t nuri_semaphore_wait(nuri_semaphore_t semaphore,
                                           uint64_t value, uint64_t timeout_ns);

//===----------------------------------------------------------------------===//
// Module: a verified .nuri artifact.
//===----------------------------------------------------------------------===//

typedef struct nuri_tensor_info_s {
  const char *name; // owned by the module
  nuri_dtype_t dtype;
  size_t rank;
  const int64_t *shape; // owned by the module
  uint64_t byte_size;
  uint64_t string_bytes; // NURI_DTYPE_STRING: bytes per element; else 0
} nuri_tensor_info_t;

// Maps the file read-only; constants are used in place.
NURI_API nuri_status_t nuri_module_load_file(nuri_instance_t instance,
                                             const char *path,
                                             nuri_module_t *out_module);
// Copies the bytes into 64-byte aligned memory; `name` is used in messages.
NURI_API nuri_status_t nuri_module_load_memory(nuri_instance_t instance,
                                               const void *data, size_t size,
                                               const char *name,
                                               nuri_module_t *out_module);
NURI_API void nuri_module_retain(nuri_module_t module);
NURI_API void nuri_module_release(nuri_module_t module);
NURI_API const char *nuri_module_name(nuri_module_t module);
// Whether the artifact holds an executable compiled for `target` ("cpu",
// "npu", "vulkan"): what --device auto weighs.
NURI_API int nuri_module_has_target(nuri_module_t module, const char *target);
// Whether `target` was among the artifact's --target list, even if it
// compiled no dispatch (everything fell back).
NURI_API int nuri_module_compiled_for(nuri_module_t module, const char *target);
NURI_API size_t nuri_module_input_count(nuri_module_t module);
NURI_API size_t nuri_module_output_count(nuri_module_t module);
NURI_API nuri_status_t nuri_module_input_info(nuri_module_t module,
                                              size_t index,
                                              nuri_tensor_info_t *out_info);
NURI_API nuri_status_t nuri_module_output_info(nuri_module_t module,
                                               size_t index,
                                               nuri_tensor_info_t *out_info);
// NOT_FOUND if no input has that name.
NURI_API nuri_status_t nuri_module_find_input(nuri_module_t module,
                                              const char *name,
                                              size_t *out_index);

//===----------------------------------------------------------------------===//
// Session: a module prepared on a device (executables loaded, constants
// bound). One invoke at a time per session.
//===----------------------------------------------------------------------===//

NURI_API nuri_status_t nuri_session_create(nuri_module_t module,
                                           nuri_device_t device,
                                           nuri_session_t *out_session);
NURI_API void nuri_session_retain(nuri_session_t session);
NURI_API void nuri_session_release(nuri_session_t session);
// Inputs with symbolic dimensions (shape -1 in nuri_module_input_info: a
// batch or sequence length the module was compiled for at every size) take
// the shape of the next invokes from here. `rank` must be the input's; its
// static dimensions must match; symbolic ones must lie within the bounds
// the module was compiled with (checked at invoke, with inputs that name
// the same dimension agreeing). INVALID_ARGUMENT otherwise.
NURI_API nuri_status_t nuri_session_set_input_shape(nuri_session_t session,
                                                    size_t index,
                                                    const int64_t *dims,
                                                    size_t rank);
// inputs[i] binds model input i and must be exactly its byte size (for an
// input with symbolic dimensions: that of the shape set above). On
// success outputs[i] receives a new buffer (caller releases) for output i.
NURI_API nuri_status_t nuri_session_invoke(nuri_session_t session,
                                           const nuri_buffer_t *inputs,
                                           size_t input_count,
                                           nuri_buffer_t *outputs,
                                           size_t output_count);
// The shape of output `index` after the last successful invoke: the static
// shape, or for outputs whose module shape has -1 dimensions (data-dependent
// shapes) the dimensions computed by that call. `rank` must equal the
// output's rank. The output buffer holds the elements compactly at its start.
NURI_API nuri_status_t nuri_session_output_shape(nuri_session_t session,
                                                 size_t index, int64_t *dims,
                                                 size_t rank);
// Bytes of the session's own buffers (intermediates the host program keeps
// between invokes, and copies of constants) in memory of `type`. On a
// device with memory of its own, the intermediates that only its commands
// touch are DEVICE_LOCAL; those a host-run dispatch (the cpu fallback)
// binds stay HOST_VISIBLE. 0 for a NULL session.
NURI_API uint64_t nuri_session_buffer_bytes(nuri_session_t session,
                                            nuri_memory_type_t type);

//===----------------------------------------------------------------------===//
// Dispatch tracing (nuri-compare): off by default and free when off. With a
// hook set, the session submits and waits for each dispatch on its own and
// then calls the hook with the buffers the dispatch wrote; the hook may read
// them (and, to test a comparison tool, write them: later dispatches and the
// outputs see the change). A hook's error status (nuri_make_status in
// hal/driver.h) stops the invoke and is returned from it unchanged, with no
// outputs. Everything `info` points to is valid only during the call; the
// hook must not invoke the same session. The hook is read once per invoke.
//===----------------------------------------------------------------------===//

typedef struct nuri_dispatch_result_s {
  nuri_buffer_t buffer;  // device buffer (map it to read)
  nuri_dtype_t dtype;
  const int64_t *shape;  // static shape
  size_t rank;
} nuri_dispatch_result_t;

typedef struct nuri_dispatch_info_s {
  uint32_t index;       // the dispatch's ordinal in the host program: 0, 1, ...
  const char *name;     // its entry point in the executable that ran it
  const char *format;   // that executable's format ("elf-x86_64-so", "npu-isa-v1")
  const char *const *nodes;  // the ONNX nodes it computes
  size_t node_count;
  // The buffers it wrote (Dispatch.results); none for an artifact without them.
  const nuri_dispatch_result_t *results;
  size_t result_count;
  // Host wall time from submit to completion of this dispatch alone (earlier
  // copies and barriers are submitted before it, later commands after it).
  double seconds;
} nuri_dispatch_info_t;

typedef nuri_status_t (*nuri_dispatch_hook_t)(void *user,
                                              const nuri_dispatch_info_t *info);

// NULL `hook` turns tracing off.
NURI_API nuri_status_t nuri_session_set_dispatch_hook(nuri_session_t session,
                                                      nuri_dispatch_hook_t hook,
                                                      void *user);

#ifdef __cplusplus
} // extern "C"
#endif

#endif // NURI_RUNTIME_H
