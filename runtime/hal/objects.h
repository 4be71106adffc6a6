// Layouts of the HAL objects, shared by runtime/hal, runtime/module and the
// built-in drivers. Not part of the public API.
#ifndef NURI_HAL_OBJECTS_H
#define NURI_HAL_OBJECTS_H

#include "hal/driver.h"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace nuri {

struct RefCounted {
  std::atomic<int> refs{1};
};

template <typename T> void retainObject(T *object) {
  if (object)
    object->refs.fetch_add(1, std::memory_order_relaxed);
}

template <typename T> void releaseObject(T *object) {
  if (object && object->refs.fetch_sub(1, std::memory_order_acq_rel) == 1)
    delete object;
}

} // namespace nuri

struct nuri_instance_s : nuri::RefCounted {
  std::mutex mutex;
  std::vector<const nuri_driver_vtable_t *> drivers;
};

struct nuri_driver_s : nuri::RefCounted {
  nuri_instance_t instance = nullptr;
  const nuri_driver_vtable_t *vtable = nullptr;
  ~nuri_driver_s();
};

struct nuri_allocator_s {
  nuri_device_t device = nullptr;
};

struct nuri_device_s : nuri::RefCounted {
  nuri_driver_t driver = nullptr;
  const nuri_device_vtable_t *vtable = nullptr;
  void *impl = nullptr;
  nuri_allocator_s allocator;
  ~nuri_device_s();
};

struct nuri_buffer_s : nuri::RefCounted {
  nuri_device_t device = nullptr;
  void *handle = nullptr;
  void *host = nullptr;
  uint64_t size = 0;
  nuri_memory_type_t memory = NURI_MEMORY_HOST_VISIBLE;
  bool imported = false;
  // Keeps imported host memory (e.g. the mapped artifact) alive.
  std::shared_ptr<const void> keepalive;
  ~nuri_buffer_s();
};

struct nuri_executable_s : nuri::RefCounted {
  nuri_device_t device = nullptr;
  void *impl = nullptr;
  size_t entry_point_count = 0;
  ~nuri_executable_s();
};

struct nuri_command_buffer_s : nuri::RefCounted {
  nuri_device_t device = nullptr;
  std::vector<nuri_hal_command_t> commands;
  // Binding arrays of dispatches; a deque-like list so pointers stay valid.
  std::vector<std::unique_ptr<std::vector<void *>>> bindingStorage;
  // Recorded objects stay alive until the command buffer dies.
  std::vector<nuri_buffer_t> buffers;
  std::vector<nuri_executable_t> executables;
  ~nuri_command_buffer_s();
};

struct nuri_semaphore_s : nuri::RefCounted {
  nuri_device_t device = nullptr;
  std::mutex mutex;
  std::condition_variable changed;
  uint64_t value = 0;
  ~nuri_semaphore_s();
};

namespace nuri {
// Wraps host memory owned by `keepalive` as a buffer of `device` without
// copying when the driver supports import_host; otherwise copies.
nuri_status_t wrapHostMemory(nuri_device_t device, const void *host,
                             uint64_t size,
                             std::shared_ptr<const void> keepalive,
                             nuri_buffer_t *out_buffer);
// Wraps a driver executable handle (used by driver test helpers).
nuri_executable_t wrapExecutable(nuri_device_t device, void *impl,
                                 size_t entry_point_count);
} // namespace nuri

#endif // NURI_HAL_OBJECTS_H
