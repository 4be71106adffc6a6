//===- Passes.h - vulkan target passes --------------------------*- C++ -*-===//
#ifndef NURI_TARGETS_VULKAN_PASSES_H
#define NURI_TARGETS_VULKAN_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVDialect.h"
#include "mlir/Dialect/Transform/IR/TransformDialect.h"
#include "mlir/Pass/Pass.h"

namespace mlir::nuri::vulkan {
#define GEN_PASS_DECL
#include "targets/vulkan/Passes.h.inc"
#define GEN_PASS_REGISTRATION
#include "targets/vulkan/Passes.h.inc"
} // namespace mlir::nuri::vulkan

#endif
