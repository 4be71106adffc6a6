// Test-only hooks of the cpu driver: executables made from host function
// pointers, so HAL tests need no compiler.
#ifndef NURI_DRIVERS_CPU_CPU_TESTING_H
#define NURI_DRIVERS_CPU_CPU_TESTING_H

#include "nuri/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*nuri_cpu_entry_fn_t)(void **bindings, int64_t workgroup_id,
                                    int64_t workgroup_count);

// INVALID_ARGUMENT unless device is a cpu device.
NURI_API nuri_status_t nuri_executable_create_from_functions(
    nuri_device_t device, const nuri_cpu_entry_fn_t *functions, size_t count,
    nuri_executable_t *out_executable);

// Worker threads (including the submitting thread) of a cpu device; 0 for
// other devices.
NURI_API unsigned nuri_cpu_device_thread_count(nuri_device_t device);

#ifdef __cplusplus
} // extern "C"
#endif

#endif // NURI_DRIVERS_CPU_CPU_TESTING_H
