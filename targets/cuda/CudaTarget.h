//===- CudaTarget.h - the cuda target backend -------------------*- C++ -*-===//
#ifndef NURI_TARGETS_CUDA_CUDATARGET_H
#define NURI_TARGETS_CUDA_CUDATARGET_H

#include "compiler/pipeline/TargetBackend.h"

#include <memory>
#include <string>

namespace nuri::cuda_target {

/// The cuda TargetBackend ("cuda", format "ptx-cuda1").
std::unique_ptr<TargetBackend> createCudaBackend();
void registerCudaPasses();

/// The pipeline from one dispatch (after nuri-cuda-kernel-abi) to an
/// outlined gpu.module, as text; then gpu-lower-to-nvvm-pipeline.
std::string cudaKernelPipeline();
std::string cudaNvvmPipeline(const std::string &arch);

} // namespace nuri::cuda_target

#endif
