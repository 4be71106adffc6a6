//===- VulkanTarget.h - the vulkan target backend ---------------*- C++ -*-===//
#ifndef NURI_TARGETS_VULKAN_VULKANTARGET_H
#define NURI_TARGETS_VULKAN_VULKANTARGET_H

#include "compiler/pipeline/TargetBackend.h"

#include <memory>
#include <string>

namespace nuri::vulkan_target {

/// What a --vulkan-target preset assumes of the device: the SPIR-V
/// capabilities the shaders may use, checked by the driver at load time,
/// and whether matmul and convolution operands are staged in workgroup
/// memory (nuri-gpu-stage-operands): on a GPU it saves global reads; on
/// lavapipe, a CPU, workgroup memory is ordinary memory and the copies and
/// barriers only cost (matmul1024 measured 1.37x slower with it). Rows are
/// reduced cooperatively (nuri-gpu-tile's workgroup-reductions) where
/// `workgroupReductions` is set.
struct Preset {
  std::string name;
  bool int64, int16, int8, float16;
  bool workgroupStaging;
  bool workgroupReductions;
};

const Preset *findPreset(const std::string &name);
std::string presetNames(); // "lavapipe, generic"
/// The preset's #spirv.target_env, as MLIR attribute text.
std::string targetEnv(const Preset &preset);

/// The vulkan TargetBackend ("vulkan", format "spirv-vk1").
std::unique_ptr<TargetBackend> createVulkanBackend();
void registerVulkanPasses();

/// The pass pipeline that turns one dispatch (after nuri-vulkan-kernel-abi)
/// into a gpu.launch_func and a spirv.module, as text (nuri-opt, docs).
std::string vulkanKernelPipeline(const Preset &preset);

} // namespace nuri::vulkan_target

#endif
