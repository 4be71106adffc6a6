// HAL core: reference counting, argument checks and command recording. The
// drivers only see validated calls through nuri_device_vtable_t.
#include "hal/guard.h"
#include "hal/objects.h"
#include "hal/plugin_path.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <dlfcn.h>
#include <sys/stat.h>

using namespace nuri;

nuri_driver_s::~nuri_driver_s() { releaseObject(instance); }

nuri_device_s::~nuri_device_s() {
  if (vtable && impl)
    vtable->destroy(impl);
  releaseObject(driver);
}

nuri_buffer_s::~nuri_buffer_s() {
  if (handle) {
    if (imported)
      device->vtable->release_import(device->impl, handle);
    else
      device->vtable->free(device->impl, handle);
  }
  keepalive.reset();
  releaseObject(device);
}

nuri_executable_s::~nuri_executable_s() {
  if (impl)
    device->vtable->executable_destroy(device->impl, impl);
  releaseObject(device);
}

nuri_command_buffer_s::~nuri_command_buffer_s() {
  for (nuri_buffer_t buffer : buffers)
    releaseObject(buffer);
  for (nuri_executable_t executable : executables)
    releaseObject(executable);
  releaseObject(device);
}

nuri_semaphore_s::~nuri_semaphore_s() { releaseObject(device); }

namespace nuri {

nuri_status_t wrapHostMemory(nuri_device_t device, const void *host,
                             uint64_t size,
                             std::shared_ptr<const void> keepalive,
                             nuri_buffer_t *out_buffer) {
  return guard([&]() -> nuri_status_t {
    bool aligned = (reinterpret_cast<uintptr_t>(host) & 63) == 0;
    if (!device->vtable->import_host || !aligned) {
      NURI_RETURN_IF_ERROR(
          nuri_allocator_allocate(&device->allocator, size, out_buffer));
      if (size)
        std::memcpy((*out_buffer)->host, host, size);
      return nullptr;
    }
    auto buffer = std::make_unique<nuri_buffer_s>();
    NURI_RETURN_IF_ERROR(device->vtable->import_host(
        device->impl, const_cast<void *>(host), size, &buffer->handle));
    retainObject(device);
    buffer->device = device;
    buffer->imported = true;
    buffer->host = device->vtable->map(device->impl, buffer->handle);
    buffer->size = size;
    buffer->keepalive = std::move(keepalive);
    *out_buffer = buffer.release();
    return nullptr;
  });
}

nuri_executable_t wrapExecutable(nuri_device_t device, void *impl,
                                 size_t entry_point_count) {
  auto *executable = new (std::nothrow) nuri_executable_s();
  if (!executable) {
    device->vtable->executable_destroy(device->impl, impl);
    return nullptr;
  }
  retainObject(device);
  executable->device = device;
  executable->impl = impl;
  executable->entry_point_count = entry_point_count;
  return executable;
}

/// The drivers compiled into the runtime, registered by every instance.
const std::vector<const nuri_driver_vtable_t *> &builtinDrivers() {
  static const std::vector<const nuri_driver_vtable_t *> all = {
      nuri_cpu_driver_vtable(), nuri_npu_sim_driver_vtable(),
#ifdef NURI_HAVE_VULKAN
      nuri_vulkan_driver_vtable(),
#endif
      nuri_cuda_driver_vtable()};
  return all;
}

} // namespace nuri

extern "C" {

//===-- instance ----------------------------------------------------------===//

nuri_status_t nuri_instance_create(nuri_instance_t *out_instance) {
  NURI_CHECK_ARG(out_instance, "out_instance is NULL");
  *out_instance = nullptr;
  return guard([&]() -> nuri_status_t {
    auto instance = std::make_unique<nuri_instance_s>();
    // The simulator is registered too, but not in "auto"'s list.
    instance->drivers = builtinDrivers();
    *out_instance = instance.release();
    return nullptr;
  });
}

void nuri_instance_retain(nuri_instance_t instance) { retainObject(instance); }
void nuri_instance_release(nuri_instance_t instance) {
  releaseObject(instance);
}

nuri_status_t
nuri_instance_register_driver(nuri_instance_t instance,
                              const nuri_driver_vtable_t *vtable) {
  NURI_CHECK_ARG(instance && vtable && vtable->name && vtable->create_device,
                 "driver vtable needs a name and create_device");
  return guard([&]() -> nuri_status_t {
    std::lock_guard<std::mutex> lock(instance->mutex);
    for (const nuri_driver_vtable_t *driver : instance->drivers)
      if (std::strcmp(driver->name, vtable->name) == 0)
        return nuri_make_status(NURI_ALREADY_EXISTS,
                                "driver '%s' is already registered",
                                vtable->name);
    instance->drivers.push_back(vtable);
    return nullptr;
  });
}

nuri_status_t nuri_instance_load_driver_plugin(nuri_instance_t instance, const char *path,
                                               const char **out_name) {
  NURI_CHECK_ARG(instance && path, "nuri_instance_load_driver_plugin: NULL argument");
  if (out_name)
    *out_name = nullptr;
  return guard([&]() -> nuri_status_t {
    struct stat st;
    if (::stat(path, &st) != 0 || !S_ISREG(st.st_mode))
      return nuri_make_status(NURI_NOT_FOUND, "driver plugin '%s': no such file", path);
    // Local symbols: two plugins may define the same internal names.
    void *library = ::dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!library) {
      const char *why = ::dlerror();
      return nuri_make_status(NURI_INVALID_ARGUMENT, "driver plugin '%s' does not load: %s", path,
                              why ? why : "unknown error");
    }
    // Never unloaded: devices, executables and vtables of the plugin may
    // outlive any one instance.
    auto entry =
        reinterpret_cast<nuri_driver_plugin_entry_t>(::dlsym(library, NURI_DRIVER_PLUGIN_ENTRY));
    if (!entry)
      return nuri_make_status(NURI_NOT_FOUND,
                              "driver plugin '%s' exports no " NURI_DRIVER_PLUGIN_ENTRY
                              " (see nuri/driver_plugin.h)",
                              path);
    const nuri_driver_plugin_t *plugin = entry();
    if (!plugin)
      return nuri_make_status(NURI_INVALID_ARGUMENT, "driver plugin '%s': " NURI_DRIVER_PLUGIN_ENTRY
                              "() returned NULL", path);
    if (plugin->abi_version != NURI_DRIVER_PLUGIN_ABI_VERSION ||
        plugin->struct_size != sizeof(nuri_driver_plugin_t))
      return nuri_make_status(
          NURI_FAILED_PRECONDITION,
          "driver plugin '%s' was built for driver ABI version %u (struct size %u); this "
          "runtime has version %u (struct size %zu): rebuild it against this runtime's "
          "nuri/driver_plugin.h",
          path, plugin->abi_version, plugin->struct_size, NURI_DRIVER_PLUGIN_ABI_VERSION,
          sizeof(nuri_driver_plugin_t));
    const nuri_driver_vtable_t *driver = plugin->driver;
    if (!driver || !driver->name || !*driver->name || !driver->create_device)
      return nuri_make_status(NURI_INVALID_ARGUMENT,
                              "driver plugin '%s': its driver vtable needs a name and "
                              "create_device",
                              path);
    nuri_status_t status = nuri_instance_register_driver(instance, driver);
    if (status) {
      nuri_status_t named = nuri_make_status(nuri_status_code(status), "driver plugin '%s': %s",
                                             path, nuri_status_message(status));
      nuri_status_free(status);
      return named;
    }
    if (out_name)
      *out_name = driver->name;
    return nullptr;
  });
}

const nuri_driver_vtable_t *nuri_builtin_driver(const char *name) {
  if (!name)
    return nullptr;
  for (const nuri_driver_vtable_t *driver : builtinDrivers())
    if (std::strcmp(driver->name, name) == 0)
      return driver;
  return nullptr;
}

nuri_status_t nuri_instance_load_driver_path(nuri_instance_t instance) {
  NURI_CHECK_ARG(instance, "nuri_instance_load_driver_path: NULL instance");
  const char *value = std::getenv("NURI_DRIVER_PATH");
  if (!value || !*value)
    return nullptr;
  return guard([&]() -> nuri_status_t {
    for (const std::string &file : pluginFiles(value))
      NURI_RETURN_IF_ERROR(nuri_instance_load_driver_plugin(instance, file.c_str(), nullptr));
    return nullptr;
  });
}

size_t nuri_instance_driver_count(nuri_instance_t instance) {
  if (!instance)
    return 0;
  std::lock_guard<std::mutex> lock(instance->mutex);
  return instance->drivers.size();
}

const char *nuri_instance_driver_name(nuri_instance_t instance, size_t index) {
  if (!instance)
    return nullptr;
  std::lock_guard<std::mutex> lock(instance->mutex);
  return index < instance->drivers.size() ? instance->drivers[index]->name
                                          : nullptr;
}

//===-- driver and device -------------------------------------------------===//

nuri_status_t nuri_driver_create(nuri_instance_t instance, const char *name,
                                 nuri_driver_t *out_driver) {
  NURI_CHECK_ARG(instance && name && out_driver,
                 "nuri_driver_create: NULL argument");
  *out_driver = nullptr;
  return guard([&]() -> nuri_status_t {
    const nuri_driver_vtable_t *found = nullptr;
    std::string known;
    {
      std::lock_guard<std::mutex> lock(instance->mutex);
      for (const nuri_driver_vtable_t *driver : instance->drivers) {
        known += known.empty() ? "" : ", ";
        known += driver->name;
        if (std::strcmp(driver->name, name) == 0)
          found = driver;
      }
    }
    if (!found)
      return nuri_make_status(NURI_NOT_FOUND,
                              "no driver named '%s' (registered: %s)", name,
                              known.c_str());
    auto driver = std::make_unique<nuri_driver_s>();
    retainObject(instance);
    driver->instance = instance;
    driver->vtable = found;
    *out_driver = driver.release();
    return nullptr;
  });
}

void nuri_driver_retain(nuri_driver_t driver) { retainObject(driver); }
void nuri_driver_release(nuri_driver_t driver) { releaseObject(driver); }
const char *nuri_driver_name(nuri_driver_t driver) {
  return driver ? driver->vtable->name : "";
}

void nuri_device_options_init(nuri_device_options_t *options) {
  if (options) {
    options->thread_count = 0;
    options->device_index = 0;
  }
}

nuri_status_t nuri_driver_create_device(nuri_driver_t driver,
                                        const nuri_device_options_t *options,
                                        nuri_device_t *out_device) {
  NURI_CHECK_ARG(driver && out_device,
                 "nuri_driver_create_device: NULL argument");
  *out_device = nullptr;
  nuri_device_options_t defaults;
  nuri_device_options_init(&defaults);
  if (!options)
    options = &defaults;
  NURI_CHECK_ARG(options->thread_count >= 0 && options->thread_count <= 4096,
                 "thread_count %d is not in 0..4096", options->thread_count);
  return guard([&]() -> nuri_status_t {
    auto device = std::make_unique<nuri_device_s>();
    NURI_RETURN_IF_ERROR(
        driver->vtable->create_device(options, &device->vtable, &device->impl));
    retainObject(driver);
    device->driver = driver;
    device->allocator.device = device.get();
    *out_device = device.release();
    return nullptr;
  });
}

static nuri_status_t createNamedDevice(nuri_instance_t instance,
                                       const char *name,
                                       const nuri_device_options_t *options,
                                       nuri_device_t *out_device) {
  // "driver:N" picks device N of the driver.
  std::string driverName = name;
  nuri_device_options_t indexed;
  nuri_device_options_init(&indexed);
  if (options)
    indexed = *options;
  size_t colon = driverName.find(':');
  if (colon != std::string::npos) {
    std::string index = driverName.substr(colon + 1);
    char *end = nullptr;
    long n = std::strtol(index.c_str(), &end, 10);
    if (index.empty() || *end || n < 0 || n > 1024)
      return nuri_make_status(NURI_INVALID_ARGUMENT,
                              "bad device '%s' (expected NAME or NAME:INDEX)", name);
    driverName.resize(colon);
    indexed.device_index = static_cast<int32_t>(n);
  }
  nuri_driver_t driver = nullptr;
  NURI_RETURN_IF_ERROR(nuri_driver_create(instance, driverName.c_str(), &driver));
  nuri_status_t status = nuri_driver_create_device(driver, &indexed, out_device);
  nuri_driver_release(driver);
  return status;
}

nuri_status_t nuri_device_create(nuri_instance_t instance, const char *name,
                                 const nuri_device_options_t *options,
                                 nuri_device_t *out_device) {
  NURI_CHECK_ARG(instance && name && out_device,
                 "nuri_device_create: NULL argument");
  *out_device = nullptr;
  if (std::strcmp(name, "auto") != 0)
    return createNamedDevice(instance, name, options, out_device);
  // Best device first; a missing driver or missing hardware moves on, any
  // other failure (bad options, out of memory) is reported.
  static const char *const preference[] = {"npu", "cuda", "vulkan", "cpu"};
  for (const char *candidate : preference) {
    nuri_status_t status =
        createNamedDevice(instance, candidate, options, out_device);
    nuri_status_code_t code = nuri_status_code(status);
    if (code == NURI_OK)
      return nullptr;
    if (code != NURI_NOT_FOUND && code != NURI_UNAVAILABLE)
      return status;
    nuri_status_free(status);
  }
  return nuri_make_status(NURI_UNAVAILABLE,
                          "no device available (tried npu, cuda, vulkan, cpu)");
}

void nuri_device_retain(nuri_device_t device) { retainObject(device); }
void nuri_device_release(nuri_device_t device) { releaseObject(device); }
const char *nuri_device_name(nuri_device_t device) {
  return device ? device->driver->vtable->name : "";
}

int nuri_device_supports_format(nuri_device_t device, const char *format) {
  return device && format &&
         device->vtable->supports_format(device->impl, format);
}

nuri_allocator_t nuri_device_allocator(nuri_device_t device) {
  return device ? &device->allocator : nullptr;
}

nuri_status_t nuri_device_profile(nuri_device_t device,
                                  nuri_profile_kind_t kind, char **out_json) {
  NURI_CHECK_ARG(device && out_json, "nuri_device_profile: NULL argument");
  *out_json = nullptr;
  NURI_CHECK_ARG(kind == NURI_PROFILE_STATS_JSON ||
                     kind == NURI_PROFILE_TRACE_JSON,
                 "unknown profile kind %d", static_cast<int>(kind));
  if (!device->vtable->profile)
    return nuri_make_status(NURI_UNIMPLEMENTED, "device '%s' keeps no profile",
                            nuri_device_name(device));
  return guard([&]() -> nuri_status_t {
    return device->vtable->profile(device->impl, kind, out_json);
  });
}

void nuri_profile_free(char *json) { std::free(json); }

nuri_status_t nuri_device_profile_reset(nuri_device_t device) {
  NURI_CHECK_ARG(device, "nuri_device_profile_reset: NULL device");
  if (!device->vtable->profile_reset)
    return nuri_make_status(NURI_UNIMPLEMENTED, "device '%s' keeps no profile",
                            nuri_device_name(device));
  return guard([&]() -> nuri_status_t {
    return device->vtable->profile_reset(device->impl);
  });
}

//===-- allocator and buffer ----------------------------------------------===//

nuri_status_t nuri_allocator_allocate(nuri_allocator_t allocator, uint64_t size,
                                      nuri_buffer_t *out_buffer) {
  return nuri_allocator_allocate_typed(allocator, size, NURI_MEMORY_HOST_VISIBLE,
                                       out_buffer);
}

nuri_status_t nuri_allocator_allocate_typed(nuri_allocator_t allocator, uint64_t size,
                                            nuri_memory_type_t type,
                                            nuri_buffer_t *out_buffer) {
  NURI_CHECK_ARG(allocator && out_buffer,
                 "nuri_allocator_allocate: NULL argument");
  *out_buffer = nullptr;
  NURI_CHECK_ARG(type == NURI_MEMORY_HOST_VISIBLE || type == NURI_MEMORY_DEVICE_LOCAL,
                 "nuri_allocator_allocate_typed: unknown memory type");
  return guard([&]() -> nuri_status_t {
    nuri_device_t device = allocator->device;
    auto buffer = std::make_unique<nuri_buffer_s>();
    bool local = type == NURI_MEMORY_DEVICE_LOCAL && device->vtable->allocate_device_local;
    NURI_RETURN_IF_ERROR(
        local ? device->vtable->allocate_device_local(device->impl, size, &buffer->handle)
              : device->vtable->allocate(device->impl, size, &buffer->handle));
    retainObject(device);
    buffer->device = device;
    buffer->memory = local ? NURI_MEMORY_DEVICE_LOCAL : NURI_MEMORY_HOST_VISIBLE;
    buffer->host = local ? nullptr : device->vtable->map(device->impl, buffer->handle);
    buffer->size = size;
    *out_buffer = buffer.release();
    return nullptr;
  });
}

nuri_memory_type_t nuri_buffer_memory_type(nuri_buffer_t buffer) {
  return buffer ? buffer->memory : NURI_MEMORY_HOST_VISIBLE;
}

void nuri_buffer_retain(nuri_buffer_t buffer) { retainObject(buffer); }
void nuri_buffer_release(nuri_buffer_t buffer) { releaseObject(buffer); }
uint64_t nuri_buffer_size(nuri_buffer_t buffer) {
  return buffer ? buffer->size : 0;
}

nuri_status_t nuri_buffer_map(nuri_buffer_t buffer, void **out_data) {
  NURI_CHECK_ARG(buffer && out_data, "nuri_buffer_map: NULL argument");
  *out_data = buffer->host;
  if (!buffer->host)
    return nuri_make_status(NURI_FAILED_PRECONDITION,
                            buffer->memory == NURI_MEMORY_DEVICE_LOCAL
                                ? "buffer is device-local: copy it to a host-visible buffer to read it"
                                : "buffer is not host-visible");
  return nullptr;
}

//===-- executable --------------------------------------------------------===//

nuri_status_t nuri_executable_create(nuri_device_t device, const char *format,
                                     const void *data, size_t size,
                                     const char *const *entry_points,
                                     size_t entry_point_count,
                                     nuri_executable_t *out_executable) {
  NURI_CHECK_ARG(device && format && out_executable && (data || !size) &&
                     (entry_points || !entry_point_count),
                 "nuri_executable_create: NULL argument");
  *out_executable = nullptr;
  for (size_t i = 0; i < entry_point_count; ++i)
    NURI_CHECK_ARG(entry_points[i], "entry point %zu is NULL", i);
  if (!device->vtable->supports_format(device->impl, format))
    return nuri_make_status(NURI_UNIMPLEMENTED,
                            "device '%s' cannot load executable format '%s'",
                            nuri_device_name(device), format);
  return guard([&]() -> nuri_status_t {
    void *impl = nullptr;
    NURI_RETURN_IF_ERROR(device->vtable->executable_create(
        device->impl, format, data, size, entry_points, entry_point_count,
        &impl));
    *out_executable = wrapExecutable(device, impl, entry_point_count);
    if (!*out_executable)
      return nuri_make_status(NURI_RESOURCE_EXHAUSTED, "out of memory");
    return nullptr;
  });
}

void nuri_executable_retain(nuri_executable_t executable) {
  retainObject(executable);
}
void nuri_executable_release(nuri_executable_t executable) {
  releaseObject(executable);
}
size_t nuri_executable_entry_point_count(nuri_executable_t executable) {
  return executable ? executable->entry_point_count : 0;
}

//===-- command buffer ----------------------------------------------------===//

nuri_status_t nuri_command_buffer_create(nuri_device_t device,
                                         nuri_command_buffer_t *out_cb) {
  NURI_CHECK_ARG(device && out_cb, "nuri_command_buffer_create: NULL argument");
  *out_cb = nullptr;
  return guard([&]() -> nuri_status_t {
    auto cb = std::make_unique<nuri_command_buffer_s>();
    retainObject(device);
    cb->device = device;
    *out_cb = cb.release();
    return nullptr;
  });
}

void nuri_command_buffer_retain(nuri_command_buffer_t cb) { retainObject(cb); }
void nuri_command_buffer_release(nuri_command_buffer_t cb) {
  releaseObject(cb);
}
size_t nuri_command_buffer_command_count(nuri_command_buffer_t cb) {
  return cb ? cb->commands.size() : 0;
}

nuri_status_t nuri_command_buffer_dispatch(nuri_command_buffer_t cb,
                                           nuri_executable_t executable,
                                           uint32_t entry,
                                           uint32_t workgroup_count,
                                           const nuri_buffer_t *bindings,
                                           size_t binding_count) {
  NURI_CHECK_ARG(cb && executable && (bindings || !binding_count),
                 "nuri_command_buffer_dispatch: NULL argument");
  NURI_CHECK_ARG(executable->device == cb->device,
                 "executable belongs to another device");
  NURI_CHECK_ARG(entry < executable->entry_point_count,
                 "entry point %u out of range (executable has %zu)", entry,
                 executable->entry_point_count);
  NURI_CHECK_ARG(workgroup_count >= 1, "workgroup_count must be >= 1");
  for (size_t i = 0; i < binding_count; ++i) {
    NURI_CHECK_ARG(bindings[i], "binding %zu is NULL", i);
    NURI_CHECK_ARG(bindings[i]->device == cb->device,
                   "binding %zu belongs to another device", i);
  }
  return guard([&]() -> nuri_status_t {
    auto handles = std::make_unique<std::vector<void *>>();
    for (size_t i = 0; i < binding_count; ++i)
      handles->push_back(bindings[i]->handle);
    nuri_hal_command_t command{};
    command.kind = NURI_HAL_COMMAND_DISPATCH;
    command.executable = executable->impl;
    command.entry = entry;
    command.workgroup_count = workgroup_count;
    command.bindings = handles->data();
    command.binding_count = handles->size();
    cb->commands.reserve(cb->commands.size() + 1);
    cb->bindingStorage.reserve(cb->bindingStorage.size() + 1);
    cb->executables.reserve(cb->executables.size() + 1);
    cb->buffers.reserve(cb->buffers.size() + binding_count);
    // Nothing below allocates, so the command is recorded all or nothing.
    cb->commands.push_back(command);
    cb->bindingStorage.push_back(std::move(handles));
    retainObject(executable);
    cb->executables.push_back(executable);
    for (size_t i = 0; i < binding_count; ++i) {
      retainObject(bindings[i]);
      cb->buffers.push_back(bindings[i]);
    }
    return nullptr;
  });
}

nuri_status_t nuri_command_buffer_copy(nuri_command_buffer_t cb,
                                       nuri_buffer_t source,
                                       uint64_t source_offset,
                                       nuri_buffer_t target,
                                       uint64_t target_offset, uint64_t size) {
  NURI_CHECK_ARG(cb && source && target,
                 "nuri_command_buffer_copy: NULL argument");
  NURI_CHECK_ARG(source->device == cb->device && target->device == cb->device,
                 "copy buffers belong to another device");
  NURI_CHECK_ARG(source_offset <= source->size &&
                     size <= source->size - source_offset,
                 "copy source range [%llu, +%llu) outside buffer of %llu bytes",
                 (unsigned long long)source_offset, (unsigned long long)size,
                 (unsigned long long)source->size);
  NURI_CHECK_ARG(target_offset <= target->size &&
                     size <= target->size - target_offset,
                 "copy target range [%llu, +%llu) outside buffer of %llu bytes",
                 (unsigned long long)target_offset, (unsigned long long)size,
                 (unsigned long long)target->size);
  return guard([&]() -> nuri_status_t {
    nuri_hal_command_t command{};
    command.kind = NURI_HAL_COMMAND_COPY;
    command.source = source->handle;
    command.source_offset = source_offset;
    command.target = target->handle;
    command.target_offset = target_offset;
    command.size = size;
    cb->commands.reserve(cb->commands.size() + 1);
    cb->buffers.reserve(cb->buffers.size() + 2);
    cb->commands.push_back(command);
    retainObject(source);
    retainObject(target);
    cb->buffers.push_back(source);
    cb->buffers.push_back(target);
    return nullptr;
  });
}

nuri_status_t nuri_command_buffer_barrier(nuri_command_buffer_t cb) {
  NURI_CHECK_ARG(cb, "nuri_command_buffer_barrier: NULL argument");
  return guard([&]() -> nuri_status_t {
    nuri_hal_command_t command{};
    command.kind = NURI_HAL_COMMAND_BARRIER;
    cb->commands.push_back(command);
    return nullptr;
  });
}

nuri_status_t nuri_device_submit(nuri_device_t device, nuri_command_buffer_t cb,
                                 nuri_semaphore_t wait_semaphore,
                                 uint64_t wait_value,
                                 nuri_semaphore_t signal_semaphore,
                                 uint64_t signal_value) {
  NURI_CHECK_ARG(device && cb, "nuri_device_submit: NULL argument");
  NURI_CHECK_ARG(cb->device == device,
                 "command buffer was recorded for another device");
  if (wait_semaphore)
    NURI_RETURN_IF_ERROR(
        nuri_semaphore_wait(wait_semaphore, wait_value, NURI_TIMEOUT_INFINITE));
  NURI_RETURN_IF_ERROR(guard([&]() -> nuri_status_t {
    return device->vtable->execute(device->impl, cb->commands.data(),
                                   cb->commands.size());
  }));
  if (signal_semaphore)
    NURI_RETURN_IF_ERROR(nuri_semaphore_signal(signal_semaphore, signal_value));
  return nullptr;
}

//===-- semaphore ---------------------------------------------------------===//

nuri_status_t nuri_semaphore_create(nuri_device_t device,
                                    uint64_t initial_value,
                                    nuri_semaphore_t *out_semaphore) {
  NURI_CHECK_ARG(device && out_semaphore,
                 "nuri_semaphore_create: NULL argument");
  *out_semaphore = nullptr;
  return guard([&]() -> nuri_status_t {
    auto semaphore = std::make_unique<nuri_semaphore_s>();
    retainObject(device);
    semaphore->device = device;
    semaphore->value = initial_value;
    *out_semaphore = semaphore.release();
    return nullptr;
  });
}

void nuri_semaphore_retain(nuri_semaphore_t semaphore) {
  retainObject(semaphore);
}
void nuri_semaphore_release(nuri_semaphore_t semaphore) {
  releaseObject(semaphore);
}

uint64_t nuri_semaphore_query(nuri_semaphore_t semaphore) {
  if (!semaphore)
    return 0;
  std::lock_guard<std::mutex> lock(semaphore->mutex);
  return semaphore->value;
}

nuri_status_t nuri_semaphore_signal(nuri_semaphore_t semaphore,
                                    uint64_t value) {
  NURI_CHECK_ARG(semaphore, "nuri_semaphore_signal: NULL semaphore");
  {
    std::lock_guard<std::mutex> lock(semaphore->mutex);
    // A timeline only moves forward; going back would wake waiters twice.
    if (value <= semaphore->value)
      return nuri_make_status(
          NURI_INVALID_ARGUMENT,
          "semaphore signal %llu is not after current value %llu",
          (unsigned long long)value, (unsigned long long)semaphore->value);
    semaphore->value = value;
  }
  semaphore->changed.notify_all();
  return nullptr;
}

nuri_status_t nuri_semaphore_wait(nuri_semaphore_t semaphore, uint64_t value,
                                  uint64_t timeout_ns) {
  NURI_CHECK_ARG(semaphore, "nuri_semaphore_wait: NULL semaphore");
  std::unique_lock<std::mutex> lock(semaphore->mutex);
  auto reached = [&] { return semaphore->value >= value; };
  if (timeout_ns == NURI_TIMEOUT_INFINITE) {
    semaphore->changed.wait(lock, reached);
    return nullptr;
  }
  // Clamp so the deadline arithmetic cannot overflow.
  uint64_t limited = timeout_ns > (1ull << 62) ? (1ull << 62) : timeout_ns;
  if (semaphore->changed.wait_for(lock, std::chrono::nanoseconds(limited),
                                  reached))
    return nullptr;
  return nuri_make_status(NURI_DEADLINE_EXCEEDED,
                          "semaphore did not reach %llu within %llu ns "
                          "(value %llu)",
                          (unsigned long long)value,
                          (unsigned long long)timeout_ns,
                          (unsigned long long)semaphore->value);
}

} // extern "C"
