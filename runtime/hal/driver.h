// The built-in drivers' entry points, beside the driver interface
// (nuri/driver_plugin.h) they implement. Internal to the runtime.
#ifndef NURI_HAL_DRIVER_H
#define NURI_HAL_DRIVER_H

#include "nuri/driver_plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

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
