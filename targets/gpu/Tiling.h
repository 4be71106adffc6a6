//===- Tiling.h - tiling helpers shared by the GPU tiling passes -*- C++ -*-===//
#ifndef NURI_TARGETS_GPU_TILING_H
#define NURI_TARGETS_GPU_TILING_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"

#include <array>

namespace mlir::nuri::gpu_common {

/// Threads per workgroup at most: every Vulkan 1.1 device allows 128, the
/// vulkan presets' resource limits and every CUDA device 256 or more.
constexpr int64_t kMaxThreads = 256;

/// A matmul or convolution: the ops that get register tiles, and whose
/// operands are staged in workgroup memory.
bool computesTiles(Operation *op);

/// The largest divisor of `extent` that is at most `limit` (1 if none).
int64_t divisorAtMost(int64_t extent, int64_t limit);

/// Tiles `op` (with its producers) by `sizes` into a forall with `mapping`;
/// returns the tiled op, or null.
Operation *tileAndFuse(RewriterBase &rewriter, TilingInterface op, ArrayRef<int64_t> sizes,
                       ArrayRef<Attribute> mapping);

/// Rewrites every scf.forall of `fn` to run from 0 by 1 (the mapping's
/// ids); tiling gives steps of the tile size.
LogicalResult normalizeLoops(RewriterBase &rewriter, func::FuncOp fn);

/// Tiles a dispatch whose reductions run along one dimension of rows
/// (Softmax, LayerNorm, a reduction over the last axis) one row per
/// workgroup: the threads split the row, each reduction becomes per-thread
/// partials in workgroup memory and a merge, and the elementwise ops of the
/// row are split the same way; the row's intermediates are allocated in
/// `workgroupSpace` (bufferization.alloc_tensor). Returns the workgroup
/// size, or failure with `fn` unchanged when the dispatch does not have
/// that shape.
FailureOr<std::array<int64_t, 3>> tileRowReductions(func::FuncOp fn, Attribute workgroupSpace);

/// Whether `op` is inside an scf.forall mapped to threads.
bool inThreadLoop(Operation *op);

} // namespace mlir::nuri::gpu_common

#endif
