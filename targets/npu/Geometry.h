//===- Geometry.h - tile sizes of an npu kernel and their SRAM -*- C++ -*-===//
//
// How a kernel's output is cut into tiles and spread over the cores
// (Geometry.cpp chooses, Schedule.cpp emits the tiles).
//
//===----------------------------------------------------------------------===//
#ifndef NURI_TARGETS_NPU_GEOMETRY_H
#define NURI_TARGETS_NPU_GEOMETRY_H

#include "targets/npu/Plan.h"

#include <cstdint>

namespace nuri::npu_target {

inline int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int64_t alignUp(int64_t v) { return (v + 63) / 64 * 64; }

/// A stride-1 ("wide") convolution's shape, or null.
const ConvShape *wideConv(const KernelPlan &plan);
/// A window plan computed on the input's phase planes (WindowPlan::planar):
/// its epilogue may read per-channel values only, as the tile's layout is
/// the planes'.
bool planar(const KernelPlan &plan);

/// Tile sizes and the SRAM they need.
struct Geometry {
  int64_t tr, tc, tk; // tile rows, cols, and K chunk (matmul)
  // A wide convolution: one matmul per row of the window (K = kw x
  // channels) over the input stored channels innermost, its rows read
  // a_stride = channels apart so that they overlap (with dilation, kw
  // shifted copies side by side instead); or a matmul per tap.
  bool merge = false;
  // Merged further (no dilation): the whole window in one matmul, K = kh x
  // kw x channels, from kh copies of the input side by side, copy r shifted
  // r rows (more DMA, fewer passes and fills of the array: few channels).
  bool whole = false;
  /// Copies of the input a wide convolution's A slot holds.
  int64_t copies(const ConvShape &cv) const {
    return whole ? cv.kh : merge && cv.dw != 1 ? cv.kw : 1;
  }
  /// SRAM rows of a full tile: tr, or the wide layout's rows.
  int64_t slotRows(const KernelPlan &plan) const {
    const ConvShape *cv = wideConv(plan);
    return cv ? cv->wideRows(tr / cv->ow) : tr;
  }
  int64_t aBytes(const KernelPlan &plan) const {
    const ConvShape *cv = wideConv(plan);
    if (!cv)
      return tr * tk * 2;
    // Copy r of the whole window's layout holds the tile's rows r.. r+rows.
    int64_t rows = whole ? tr / cv->ow : cv->inputRows(tr / cv->ow);
    return rows * cv->wp * copies(*cv) * (tk / cv->window()) * 2;
  }
  int64_t bytes(const KernelPlan &plan) const {
    int64_t total = 0, rows = slotRows(plan);
    if (plan.matmul)
      total += 2 * alignUp(aBytes(plan)) + 2 * alignUp(tk * tc * 2);
    total += 2 * alignUp(rows * tc * 4); // accumulator or result, two slots
    for (const EInput &in : plan.epilogue.inputs)
      total += 2 * alignUp((in.mode == Broadcast::Full  ? rows * tc
                            : in.mode == Broadcast::Row ? tc
                                                        : rows) *
                           4);
    total += plan.epilogue.temps * alignUp(rows * tc * 4);
    if (plan.window && planar(plan)) { // the phase planes, weights, a product
      const WindowPlan &w = *plan.window;
      total += 2 * w.sh * w.sw * alignUp((tr * w.plane() + w.overhang()) * 4);
      if (!w.max)
        total += 2 * alignUp(w.taps() * tr * 4) + alignUp(tr * tc * 4);
    } else if (plan.window) { // each tap's input, and a column of weights per tap
      total += 2 * plan.window->taps() * (alignUp(tr * tc * 4) + (plan.window->max ? 0 : alignUp(tr * 4)));
    }
    return total;
  }
};

/// The multicast groups of a matmul's grid of tiles, rowTiles x colTiles,
/// tile (i, j) on core (i * colTiles + j) % cores. With cores = pm x
/// colTiles, core (i mod pm, j) computes rows i and columns j: its A loads
/// are those of the colTiles cores of its row of the grid, its B loads
/// those of the pm cores of its column, when these run the same loads in
/// the same order (as many tiles each, or the weights loaded once).
struct Sharing {
  int64_t pm = 1, pn = 1;
  bool a = false, b = false;
};

Sharing sharingFor(const MatmulPlan &mm, int64_t rowTiles, int64_t colTiles, int64_t cores,
                   int64_t chunks);

/// The tiles and core grid of `plan` on target `t`: for a matmul the
/// fastest estimated grid, for a window or elementwise kernel a fixed rule.
Geometry chooseGeometry(const KernelPlan &plan, const nuri::npu::TargetDescription &t);

} // namespace nuri::npu_target

#endif
