// Loads libvulkan.so.1 and the entry points the driver uses.
#include "drivers/vulkan/vulkan_loader.h"

#include <dlfcn.h>

namespace nuri::vk {

bool Api::loadLibrary(std::string &error) {
  // NURI_VULKAN_LIBRARY lets tests point at a missing or fake loader.
  const char *name = getenv("NURI_VULKAN_LIBRARY");
  library = dlopen(name && *name ? name : "libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char *e = dlerror();
    error = std::string("the Vulkan loader is not installed (") + (e ? e : "dlopen failed") + ")";
    return false;
  }
  vkGetInstanceProcAddr =
      reinterpret_cast<PFN_vkGetInstanceProcAddr>(dlsym(library, "vkGetInstanceProcAddr"));
  if (!vkGetInstanceProcAddr) {
    error = "the Vulkan loader has no vkGetInstanceProcAddr";
    return false;
  }
  vkCreateInstance = reinterpret_cast<PFN_vkCreateInstance>(
      vkGetInstanceProcAddr(VK_NULL_HANDLE, "vkCreateInstance"));
  if (!vkCreateInstance) {
    error = "the Vulkan loader has no vkCreateInstance";
    return false;
  }
  return true;
}

bool Api::loadInstance(VkInstance instance, std::string &error) {
#define NURI_VK_LOAD(name)                                                     \
  name = reinterpret_cast<PFN_##name>(vkGetInstanceProcAddr(instance, #name));  \
  if (!name) {                                                                 \
    error = "the Vulkan instance has no " #name;                               \
    return false;                                                              \
  }
  NURI_VK_INSTANCE_FUNCTIONS(NURI_VK_LOAD)
#undef NURI_VK_LOAD
  return true;
}

bool Api::loadDevice(VkDevice device, std::string &error) {
#define NURI_VK_LOAD(name)                                                     \
  name = reinterpret_cast<PFN_##name>(vkGetDeviceProcAddr(device, #name));      \
  if (!name) {                                                                 \
    error = "the Vulkan device has no " #name;                                 \
    return false;                                                              \
  }
  NURI_VK_DEVICE_FUNCTIONS(NURI_VK_LOAD)
#undef NURI_VK_LOAD
  return true;
}

Api::~Api() {
  if (library)
    dlclose(library);
}

const char *resultName(VkResult result) {
  switch (result) {
  case VK_SUCCESS: return "VK_SUCCESS";
  case VK_NOT_READY: return "VK_NOT_READY";
  case VK_TIMEOUT: return "VK_TIMEOUT";
  case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
  case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
  case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
  case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
  case VK_ERROR_MEMORY_MAP_FAILED: return "VK_ERROR_MEMORY_MAP_FAILED";
  case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER";
  case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT";
  case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
  case VK_ERROR_INVALID_SHADER_NV: return "VK_ERROR_INVALID_SHADER_NV";
  default: return "VkResult error";
  }
}

} // namespace nuri::vk
