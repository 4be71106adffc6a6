// The vulkan driver: SPIR-V compute shaders (format "spirv-vk1",
// schemas/vulkan_executable.fbs) on any Vulkan 1.1 device, Mesa's lavapipe
// in CI. Buffers live in host-visible, coherent device memory, mapped for
// their lifetime, so the HAL's host reads and writes and the cpu fallback
// ("elf-x86_64-so", run on the host by an inner cpu device as on npu-sim)
// need no staging copies. execute() records the commands into one command
// buffer (a barrier after each dispatch and copy), submits it and waits on a
// fence; a host dispatch first submits and waits for what came before it.
#include "drivers/host_fallback.h"
#include "drivers/vulkan/vulkan_loader.h"
#include "hal/guard.h"

#include "nuri/schemas/vulkan_executable_generated.h"

#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace nuri {
namespace {

constexpr const char *kSpirvFormat = "spirv-vk1";

nuri_status_t vkStatus(VkResult r, const char *what) {
  nuri_status_code_t code = r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_HOST_MEMORY
                                ? NURI_RESOURCE_EXHAUSTED
                                : NURI_INTERNAL;
  return nuri_make_status(code, "vulkan: %s failed: %s", what, vk::resultName(r));
}

#define NURI_VK_CHECK(call, what)                                              \
  do {                                                                         \
    VkResult nuri_vk_ = (call);                                                \
    if (nuri_vk_ != VK_SUCCESS)                                                \
      return vkStatus(nuri_vk_, what);                                         \
  } while (0)

struct Features {
  bool int64 = false, int16 = false, int8 = false, float16 = false;
};

struct VulkanDevice {
  vk::Api api;
  VkInstance instance = VK_NULL_HANDLE;
  VkPhysicalDevice physical = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  VkQueue queue = VK_NULL_HANDLE;
  VkCommandPool commandPool = VK_NULL_HANDLE;
  VkFence fence = VK_NULL_HANDLE;
  uint32_t memoryType = 0;      // host-visible and coherent
  uint32_t localMemoryType = 0; // device-local, not host-visible where there is one
  std::string name;
  Features features;
  // Host fallback: the cpu driver's device over the mapped buffers.
  HostFallback host;
  // The queue, its command pool and fence need external synchronization:
  // one recording at a time (concurrent submissions are serialized).
  std::mutex queueMutex;

  ~VulkanDevice() {
    if (device) {
      if (fence)
        api.vkDestroyFence(device, fence, nullptr);
      if (commandPool)
        api.vkDestroyCommandPool(device, commandPool, nullptr);
      api.vkDestroyDevice(device, nullptr);
    }
    if (instance)
      api.vkDestroyInstance(instance, nullptr);
  }
};

struct Buffer {
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  void *mapped = nullptr;
  uint64_t size = 0;
};

struct Kernel {
  VkShaderModule module = VK_NULL_HANDLE;
  VkDescriptorSetLayout setLayout = VK_NULL_HANDLE;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  VkPipeline pipeline = VK_NULL_HANDLE;
  uint32_t grid[3] = {1, 1, 1};
  std::vector<uint32_t> bindings;
};

struct Executable {
  void *host = nullptr; // elf-x86_64-so: the inner cpu device's
  VkPipelineCache cache = VK_NULL_HANDLE;
  std::vector<Kernel> kernels;
};

VulkanDevice *self(void *d) { return static_cast<VulkanDevice *>(d); }

void destroyDevice(void *device) { delete self(device); }

nuri_status_t zeroOnQueue(VulkanDevice *d, VkBuffer buffer, uint64_t size);

/// A buffer of memory type `type`, mapped when `host` (host-visible memory
/// is zeroed through the mapping, device-local memory by a fill on the queue).
nuri_status_t allocateIn(VulkanDevice *d, uint64_t size, uint32_t type, bool host, void **out) {
  if (size > (uint64_t(1) << 40))
    return nuri_make_status(NURI_RESOURCE_EXHAUSTED, "vulkan: buffer of %llu bytes is too large",
                            (unsigned long long)size);
  auto b = std::make_unique<Buffer>();
  b->size = size;
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = std::max<uint64_t>(64, (size + 63) / 64 * 64);
  info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
               VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  NURI_VK_CHECK(d->api.vkCreateBuffer(d->device, &info, nullptr, &b->buffer), "vkCreateBuffer");
  VkMemoryRequirements req;
  d->api.vkGetBufferMemoryRequirements(d->device, b->buffer, &req);
  VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  alloc.allocationSize = req.size;
  alloc.memoryTypeIndex = type;
  VkResult r = d->api.vkAllocateMemory(d->device, &alloc, nullptr, &b->memory);
  if (r != VK_SUCCESS) {
    d->api.vkDestroyBuffer(d->device, b->buffer, nullptr);
    return nuri_make_status(NURI_RESOURCE_EXHAUSTED,
                            "vulkan: cannot allocate %llu bytes of %s memory (%s)",
                            (unsigned long long)size, host ? "host-visible" : "device-local",
                            vk::resultName(r));
  }
  d->api.vkBindBufferMemory(d->device, b->buffer, b->memory, 0);
  if (host) {
    r = d->api.vkMapMemory(d->device, b->memory, 0, VK_WHOLE_SIZE, 0, &b->mapped);
    if (r != VK_SUCCESS) {
      d->api.vkDestroyBuffer(d->device, b->buffer, nullptr);
      d->api.vkFreeMemory(d->device, b->memory, nullptr);
      return vkStatus(r, "vkMapMemory");
    }
    std::memset(b->mapped, 0, info.size);
  } else {
    nuri_status_t status = zeroOnQueue(d, b->buffer, info.size);
    if (status) {
      d->api.vkDestroyBuffer(d->device, b->buffer, nullptr);
      d->api.vkFreeMemory(d->device, b->memory, nullptr);
      return status;
    }
  }
  *out = b.release();
  return nullptr;
}

nuri_status_t allocate(void *device, uint64_t size, void **out) {
  return allocateIn(self(device), size, self(device)->memoryType, true, out);
}

nuri_status_t allocateDeviceLocal(void *device, uint64_t size, void **out) {
  return allocateIn(self(device), size, self(device)->localMemoryType, false, out);
}

void freeBuffer(void *device, void *buffer) {
  VulkanDevice *d = self(device);
  auto *b = static_cast<Buffer *>(buffer);
  d->api.vkDestroyBuffer(d->device, b->buffer, nullptr);
  d->api.vkFreeMemory(d->device, b->memory, nullptr); // unmaps
  delete b;
}

void *mapBuffer(void *, void *buffer) { return static_cast<Buffer *>(buffer)->mapped; }

int supportsFormat(void *, const char *format) {
  return std::strcmp(format, kSpirvFormat) == 0 || HostFallback::runs(format);
}

void destroyKernels(VulkanDevice *d, Executable *e) {
  for (Kernel &k : e->kernels) {
    if (k.pipeline)
      d->api.vkDestroyPipeline(d->device, k.pipeline, nullptr);
    if (k.layout)
      d->api.vkDestroyPipelineLayout(d->device, k.layout, nullptr);
    if (k.setLayout)
      d->api.vkDestroyDescriptorSetLayout(d->device, k.setLayout, nullptr);
    if (k.module)
      d->api.vkDestroyShaderModule(d->device, k.module, nullptr);
  }
  if (e->cache)
    d->api.vkDestroyPipelineCache(d->device, e->cache, nullptr);
}

void destroyExecutable(void *device, void *executable) {
  VulkanDevice *d = self(device);
  auto *e = static_cast<Executable *>(executable);
  if (e->host)
    d->host.unload(e->host);
  destroyKernels(d, e);
  delete e;
}

/// The features the executable's preset assumes, against the device's.
nuri_status_t checkFeatures(const VulkanDevice &d, const vulkan::Executable &x) {
  const char *preset = x.preset() ? x.preset()->c_str() : "?";
  auto missing = [&](const char *what) {
    return nuri_make_status(NURI_UNIMPLEMENTED,
                            "vulkan: the executable was compiled for --vulkan-target %s, which "
                            "assumes %s; device '%s' lacks it (compile with --vulkan-target generic)",
                            preset, what, d.name.c_str());
  };
  if (x.needs_int64() && !d.features.int64)
    return missing("64-bit integers (shaderInt64)");
  if (x.needs_int16() && !d.features.int16)
    return missing("16-bit integers and storage (shaderInt16, storageBuffer16BitAccess)");
  if (x.needs_int8() && !d.features.int8)
    return missing("8-bit integers and storage (shaderInt8, storageBuffer8BitAccess)");
  if (x.needs_float16() && !d.features.float16)
    return missing("f16 arithmetic (shaderFloat16)");
  return nullptr;
}

nuri_status_t createKernel(VulkanDevice *d, Executable *e, const vulkan::Kernel &k,
                           const char *entry, Kernel &out) {
  auto *words = k.spirv();
  if (words->size() < 5 || words->Get(0) != 0x07230203)
    return nuri_make_status(NURI_INVALID_ARGUMENT, "vulkan: kernel '%s' is not SPIR-V", entry);
  if (k.workgroup_size()->size() != 3 || k.workgroup_count()->size() != 3)
    return nuri_make_status(NURI_INVALID_ARGUMENT,
                            "vulkan: kernel '%s' needs a 3-D workgroup size and count", entry);
  for (int i = 0; i < 3; ++i) {
    out.grid[i] = k.workgroup_count()->Get(i);
    if (out.grid[i] < 1 || out.grid[i] > 65535 || k.workgroup_size()->Get(i) < 1)
      return nuri_make_status(NURI_INVALID_ARGUMENT,
                              "vulkan: kernel '%s' has a workgroup count or size out of range",
                              entry);
  }
  out.bindings.assign(k.bindings()->begin(), k.bindings()->end());
  VkShaderModuleCreateInfo sm{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  sm.codeSize = words->size() * 4;
  sm.pCode = words->data();
  VkResult r = d->api.vkCreateShaderModule(d->device, &sm, nullptr, &out.module);
  if (r != VK_SUCCESS)
    return nuri_make_status(NURI_INVALID_ARGUMENT, "vulkan: device '%s' rejects kernel '%s' (%s)",
                            d->name.c_str(), entry, vk::resultName(r));
  std::vector<VkDescriptorSetLayoutBinding> slots(out.bindings.size());
  for (size_t i = 0; i < slots.size(); ++i) {
    slots[i].binding = i;
    slots[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    slots[i].descriptorCount = 1;
    slots[i].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
  }
  VkDescriptorSetLayoutCreateInfo dl{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  dl.bindingCount = slots.size();
  dl.pBindings = slots.data();
  NURI_VK_CHECK(d->api.vkCreateDescriptorSetLayout(d->device, &dl, nullptr, &out.setLayout),
                "vkCreateDescriptorSetLayout");
  VkPipelineLayoutCreateInfo pl{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  pl.setLayoutCount = 1;
  pl.pSetLayouts = &out.setLayout;
  NURI_VK_CHECK(d->api.vkCreatePipelineLayout(d->device, &pl, nullptr, &out.layout),
                "vkCreatePipelineLayout");
  VkComputePipelineCreateInfo cp{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  cp.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
  cp.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  cp.stage.module = out.module;
  cp.stage.pName = k.name()->c_str();
  cp.layout = out.layout;
  r = d->api.vkCreateComputePipelines(d->device, e->cache, 1, &cp, nullptr, &out.pipeline);
  if (r != VK_SUCCESS)
    return nuri_make_status(NURI_INVALID_ARGUMENT,
                            "vulkan: device '%s' cannot build a pipeline for kernel '%s' (%s)",
                            d->name.c_str(), entry, vk::resultName(r));
  return nullptr;
}

nuri_status_t createExecutable(void *device, const char *format, const void *data, size_t size,
                               const char *const *entry_points, size_t entry_point_count,
                               void **out) {
  VulkanDevice *d = self(device);
  auto e = std::make_unique<Executable>();
  if (HostFallback::runs(format)) {
    NURI_RETURN_IF_ERROR(d->host.load(format, data, size, entry_points, entry_point_count, &e->host));
    *out = e.release();
    return nullptr;
  }
  flatbuffers::Verifier verifier(static_cast<const uint8_t *>(data), size);
  if (!vulkan::VerifyExecutableBuffer(verifier))
    return nuri_make_status(NURI_INVALID_ARGUMENT,
                            "vulkan: the executable is not a valid spirv-vk1 FlatBuffer");
  const vulkan::Executable *x = vulkan::GetExecutable(data);
  if (x->kernels()->size() != entry_point_count)
    return nuri_make_status(NURI_INVALID_ARGUMENT,
                            "vulkan: the executable has %u kernels for %zu entry points",
                            x->kernels()->size(), entry_point_count);
  NURI_RETURN_IF_ERROR(checkFeatures(*d, *x));
  VkPipelineCacheCreateInfo pc{VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
  NURI_VK_CHECK(d->api.vkCreatePipelineCache(d->device, &pc, nullptr, &e->cache),
                "vkCreatePipelineCache");
  e->kernels.resize(entry_point_count);
  for (size_t i = 0; i < entry_point_count; ++i) {
    nuri_status_t s = createKernel(d, e.get(), *x->kernels()->Get(i), entry_points[i], e->kernels[i]);
    if (s) {
      destroyKernels(d, e.get());
      return s;
    }
  }
  *out = e.release();
  return nullptr;
}

/// One recording: a command buffer and the descriptor sets it binds.
struct Recording {
  VulkanDevice *d;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  VkDescriptorPool pool = VK_NULL_HANDLE;
  bool open = false, pending = false;

  ~Recording() {
    if (pool)
      d->api.vkDestroyDescriptorPool(d->device, pool, nullptr);
    d->api.vkResetCommandPool(d->device, d->commandPool, 0);
  }
  nuri_status_t begin() {
    if (open)
      return nullptr;
    if (!cmd) {
      VkCommandBufferAllocateInfo ai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
      ai.commandPool = d->commandPool;
      ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
      ai.commandBufferCount = 1;
      NURI_VK_CHECK(d->api.vkAllocateCommandBuffers(d->device, &ai, &cmd), "vkAllocateCommandBuffers");
    }
    VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    NURI_VK_CHECK(d->api.vkBeginCommandBuffer(cmd, &bi), "vkBeginCommandBuffer");
    open = true;
    return nullptr;
  }
  /// Submits what is recorded and waits for it.
  nuri_status_t finish() {
    if (!open)
      return nullptr;
    open = false;
    NURI_VK_CHECK(d->api.vkEndCommandBuffer(cmd), "vkEndCommandBuffer");
    if (!pending)
      return nullptr;
    pending = false;
    VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    si.commandBufferCount = 1;
    si.pCommandBuffers = &cmd;
    NURI_VK_CHECK(d->api.vkResetFences(d->device, 1, &d->fence), "vkResetFences");
    NURI_VK_CHECK(d->api.vkQueueSubmit(d->queue, 1, &si, d->fence), "vkQueueSubmit");
    NURI_VK_CHECK(d->api.vkWaitForFences(d->device, 1, &d->fence, VK_TRUE, UINT64_MAX),
                  "vkWaitForFences");
    return nullptr;
  }
  /// Later commands see what earlier ones wrote (shaders and copies).
  void barrier() {
    VkMemoryBarrier mb{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    mb.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                       VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT |
                       VK_ACCESS_HOST_READ_BIT;
    VkPipelineStageFlags stages = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
    d->api.vkCmdPipelineBarrier(cmd, stages, stages | VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0,
                                nullptr, 0, nullptr);
  }
};

/// Device-local memory is zeroed by the queue, as the HAL promises.
nuri_status_t zeroOnQueue(VulkanDevice *d, VkBuffer buffer, uint64_t size) {
  std::lock_guard<std::mutex> lock(d->queueMutex);
  Recording rec{d};
  NURI_RETURN_IF_ERROR(rec.begin());
  d->api.vkCmdFillBuffer(rec.cmd, buffer, 0, size, 0);
  rec.barrier();
  rec.pending = true;
  return rec.finish();
}

nuri_status_t execute(void *device, const nuri_hal_command_t *commands, size_t count) {
  VulkanDevice *d = self(device);
  std::lock_guard<std::mutex> lock(d->queueMutex);
  Recording rec{d};
  size_t sets = 0, descriptors = 0;
  for (size_t c = 0; c < count; ++c)
    if (commands[c].kind == NURI_HAL_COMMAND_DISPATCH) {
      auto *e = static_cast<Executable *>(commands[c].executable);
      if (!e->host) {
        ++sets;
        descriptors += std::max<size_t>(1, e->kernels[commands[c].entry].bindings.size());
      }
    }
  if (sets) {
    VkDescriptorPoolSize ps{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, static_cast<uint32_t>(descriptors)};
    VkDescriptorPoolCreateInfo pi{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    pi.maxSets = sets;
    pi.poolSizeCount = 1;
    pi.pPoolSizes = &ps;
    NURI_VK_CHECK(d->api.vkCreateDescriptorPool(d->device, &pi, nullptr, &rec.pool),
                  "vkCreateDescriptorPool");
  }
  for (size_t c = 0; c < count; ++c) {
    const nuri_hal_command_t &command = commands[c];
    switch (command.kind) {
    case NURI_HAL_COMMAND_DISPATCH: {
      auto *e = static_cast<Executable *>(command.executable);
      if (e->host) {
        // The host reads what the queue wrote: submit and wait first.
        NURI_RETURN_IF_ERROR(rec.finish());
        for (size_t i = 0; i < command.binding_count; ++i)
          if (!static_cast<Buffer *>(command.bindings[i])->mapped)
            return nuri_make_status(NURI_FAILED_PRECONDITION,
                                    "vulkan: host dispatch %u binds device-local buffer %zu",
                                    command.entry, i);
        NURI_RETURN_IF_ERROR(d->host.run(command, e->host, [](void *b) {
          return static_cast<Buffer *>(b)->mapped;
        }));
        break;
      }
      const Kernel &k = e->kernels[command.entry];
      NURI_RETURN_IF_ERROR(rec.begin());
      VkDescriptorSetAllocateInfo ai{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
      ai.descriptorPool = rec.pool;
      ai.descriptorSetCount = 1;
      ai.pSetLayouts = &k.setLayout;
      VkDescriptorSet set;
      NURI_VK_CHECK(d->api.vkAllocateDescriptorSets(d->device, &ai, &set), "vkAllocateDescriptorSets");
      std::vector<VkDescriptorBufferInfo> infos(k.bindings.size());
      std::vector<VkWriteDescriptorSet> writes(k.bindings.size());
      for (size_t i = 0; i < k.bindings.size(); ++i) {
        if (k.bindings[i] >= command.binding_count)
          return nuri_make_status(NURI_INVALID_ARGUMENT,
                                  "vulkan: kernel %u binds dispatch binding %u of %zu",
                                  command.entry, k.bindings[i], command.binding_count);
        infos[i] = {static_cast<Buffer *>(command.bindings[k.bindings[i]])->buffer, 0, VK_WHOLE_SIZE};
        writes[i] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
        writes[i].dstSet = set;
        writes[i].dstBinding = i;
        writes[i].descriptorCount = 1;
        writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        writes[i].pBufferInfo = &infos[i];
      }
      d->api.vkUpdateDescriptorSets(d->device, writes.size(), writes.data(), 0, nullptr);
      d->api.vkCmdBindPipeline(rec.cmd, VK_PIPELINE_BIND_POINT_COMPUTE, k.pipeline);
      d->api.vkCmdBindDescriptorSets(rec.cmd, VK_PIPELINE_BIND_POINT_COMPUTE, k.layout, 0, 1, &set,
                                     0, nullptr);
      d->api.vkCmdDispatch(rec.cmd, k.grid[0], k.grid[1], k.grid[2]);
      rec.barrier();
      rec.pending = true;
      break;
    }
    case NURI_HAL_COMMAND_COPY: {
      if (!command.size)
        break;
      NURI_RETURN_IF_ERROR(rec.begin());
      VkBufferCopy region{command.source_offset, command.target_offset, command.size};
      d->api.vkCmdCopyBuffer(rec.cmd, static_cast<Buffer *>(command.source)->buffer,
                             static_cast<Buffer *>(command.target)->buffer, 1, &region);
      rec.barrier();
      rec.pending = true;
      break;
    }
    case NURI_HAL_COMMAND_BARRIER:
      break; // every command is followed by a barrier already
    default:
      return nuri_make_status(NURI_INVALID_ARGUMENT, "unknown command kind %d",
                              static_cast<int>(command.kind));
    }
  }
  return rec.finish();
}

const nuri_device_vtable_t kDeviceVtable = {
    destroyDevice,        allocate,      freeBuffer,     mapBuffer,
    /*import_host=*/nullptr, /*release_import=*/nullptr, supportsFormat, createExecutable,
    destroyExecutable,    execute,
    /*profile=*/nullptr,  /*profile_reset=*/nullptr, allocateDeviceLocal,
};

/// Queries the optional features the presets use and enables those present.
void queryFeatures(VulkanDevice &d, uint32_t apiVersion, VkPhysicalDeviceFeatures2 &f2,
                   VkPhysicalDevice16BitStorageFeatures &s16,
                   VkPhysicalDevice8BitStorageFeatures &s8,
                   VkPhysicalDeviceShaderFloat16Int8Features &fi) {
  f2 = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  s16 = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES};
  s8 = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES};
  fi = {VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES};
  f2.pNext = &s16;
  // 8-bit storage and f16/i8 arithmetic are core from Vulkan 1.2.
  if (apiVersion >= VK_API_VERSION_1_2) {
    s16.pNext = &s8;
    s8.pNext = &fi;
  }
  d.api.vkGetPhysicalDeviceFeatures2(d.physical, &f2);
  d.features.int64 = f2.features.shaderInt64;
  d.features.int16 = f2.features.shaderInt16 && s16.storageBuffer16BitAccess;
  d.features.int8 = apiVersion >= VK_API_VERSION_1_2 && fi.shaderInt8 && s8.storageBuffer8BitAccess;
  d.features.float16 = apiVersion >= VK_API_VERSION_1_2 && fi.shaderFloat16;
  // Enable exactly what is queried (the same chain goes to vkCreateDevice);
  // nothing else.
  VkPhysicalDeviceFeatures core{};
  core.shaderInt64 = f2.features.shaderInt64;
  core.shaderInt16 = f2.features.shaderInt16;
  f2.features = core;
  s16.uniformAndStorageBuffer16BitAccess = VK_FALSE;
  s16.storagePushConstant16 = VK_FALSE;
  s16.storageInputOutput16 = VK_FALSE;
  s8.uniformAndStorageBuffer8BitAccess = VK_FALSE;
  s8.storagePushConstant8 = VK_FALSE;
}

nuri_status_t createDevice(const nuri_device_options_t *options, const nuri_device_vtable_t **out_vtable,
                           void **out_device) {
  auto d = std::make_unique<VulkanDevice>();
  std::string error;
  if (!d->api.loadLibrary(error))
    return nuri_make_status(NURI_UNAVAILABLE, "vulkan: %s", error.c_str());
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "nuri";
  app.apiVersion = VK_API_VERSION_1_2;
  VkInstanceCreateInfo ii{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  ii.pApplicationInfo = &app;
  VkResult r = d->api.vkCreateInstance(&ii, nullptr, &d->instance);
  if (r != VK_SUCCESS)
    return nuri_make_status(NURI_UNAVAILABLE, "vulkan: no Vulkan driver (vkCreateInstance: %s)",
                            vk::resultName(r));
  if (!d->api.loadInstance(d->instance, error))
    return nuri_make_status(NURI_UNAVAILABLE, "vulkan: %s", error.c_str());
  uint32_t n = 0;
  d->api.vkEnumeratePhysicalDevices(d->instance, &n, nullptr);
  if (n == 0)
    return nuri_make_status(NURI_UNAVAILABLE, "vulkan: no Vulkan device");
  std::vector<VkPhysicalDevice> all(n);
  d->api.vkEnumeratePhysicalDevices(d->instance, &n, all.data());
  int32_t index = options->device_index;
  if (index < 0 || uint32_t(index) >= n)
    return nuri_make_status(NURI_INVALID_ARGUMENT,
                            "vulkan: no device %d (this machine has %u: vulkan:0..vulkan:%u)", index,
                            n, n - 1);
  d->physical = all[index];
  VkPhysicalDeviceProperties props;
  d->api.vkGetPhysicalDeviceProperties(d->physical, &props);
  d->name = props.deviceName;
  if (props.apiVersion < VK_API_VERSION_1_1)
    return nuri_make_status(NURI_UNAVAILABLE, "vulkan: device '%s' supports Vulkan %u.%u; 1.1 is needed",
                            d->name.c_str(), VK_API_VERSION_MAJOR(props.apiVersion),
                            VK_API_VERSION_MINOR(props.apiVersion));
  uint32_t families = 0;
  d->api.vkGetPhysicalDeviceQueueFamilyProperties(d->physical, &families, nullptr);
  std::vector<VkQueueFamilyProperties> fam(families);
  d->api.vkGetPhysicalDeviceQueueFamilyProperties(d->physical, &families, fam.data());
  uint32_t family = families;
  for (uint32_t i = 0; i < families && family == families; ++i)
    if (fam[i].queueFlags & VK_QUEUE_COMPUTE_BIT)
      family = i;
  if (family == families)
    return nuri_make_status(NURI_UNAVAILABLE, "vulkan: device '%s' has no compute queue",
                            d->name.c_str());
  VkPhysicalDeviceMemoryProperties mem;
  d->api.vkGetPhysicalDeviceMemoryProperties(d->physical, &mem);
  const VkMemoryPropertyFlags want = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  int chosen = -1;
  for (uint32_t i = 0; i < mem.memoryTypeCount; ++i) {
    VkMemoryPropertyFlags f = mem.memoryTypes[i].propertyFlags;
    if ((f & want) != want)
      continue;
    // Device-local and host-visible (integrated GPUs, lavapipe, ReBAR) first.
    if (chosen < 0 || (f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT))
      chosen = i;
    if (f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)
      break;
  }
  if (chosen < 0)
    return nuri_make_status(NURI_UNAVAILABLE, "vulkan: device '%s' has no host-visible memory",
                            d->name.c_str());
  d->memoryType = chosen;
  // Device-local memory: the kind without host visibility first (a discrete
  // GPU's VRAM); where all of it is host-visible (lavapipe, integrated
  // GPUs) a device-local type that the driver simply never maps.
  int local = -1;
  for (uint32_t i = 0; i < mem.memoryTypeCount; ++i) {
    VkMemoryPropertyFlags f = mem.memoryTypes[i].propertyFlags;
    if (!(f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT))
      continue;
    if (local < 0 || !(f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT))
      local = i;
    if (!(f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT))
      break;
  }
  d->localMemoryType = local < 0 ? chosen : local;
  VkPhysicalDeviceFeatures2 f2;
  VkPhysicalDevice16BitStorageFeatures s16;
  VkPhysicalDevice8BitStorageFeatures s8;
  VkPhysicalDeviceShaderFloat16Int8Features fi;
  queryFeatures(*d, props.apiVersion, f2, s16, s8, fi);
  float priority = 1.0f;
  VkDeviceQueueCreateInfo qi{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  qi.queueFamilyIndex = family;
  qi.queueCount = 1;
  qi.pQueuePriorities = &priority;
  VkDeviceCreateInfo di{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  di.pNext = &f2;
  di.queueCreateInfoCount = 1;
  di.pQueueCreateInfos = &qi;
  r = d->api.vkCreateDevice(d->physical, &di, nullptr, &d->device);
  if (r != VK_SUCCESS)
    return nuri_make_status(NURI_UNAVAILABLE, "vulkan: cannot open device '%s' (%s)",
                            d->name.c_str(), vk::resultName(r));
  if (!d->api.loadDevice(d->device, error))
    return nuri_make_status(NURI_UNAVAILABLE, "vulkan: %s", error.c_str());
  d->api.vkGetDeviceQueue(d->device, family, 0, &d->queue);
  VkCommandPoolCreateInfo cp{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  cp.queueFamilyIndex = family;
  NURI_VK_CHECK(d->api.vkCreateCommandPool(d->device, &cp, nullptr, &d->commandPool),
                "vkCreateCommandPool");
  VkFenceCreateInfo fc{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  NURI_VK_CHECK(d->api.vkCreateFence(d->device, &fc, nullptr, &d->fence), "vkCreateFence");
  NURI_RETURN_IF_ERROR(d->host.create(options));
  *out_device = d.release();
  *out_vtable = &kDeviceVtable;
  return nullptr;
}

const nuri_driver_vtable_t kDriverVtable = {"vulkan", createDevice};

} // namespace
} // namespace nuri

extern "C" const nuri_driver_vtable_t *nuri_vulkan_driver_vtable(void) {
  return &nuri::kDriverVtable;
}
