//===- Movement.cpp - row reductions, transposes and padding on the NPU ---===//
//
// Kernels without the matrix engine. A transpose is DMA alone: each tile
// is gathered with the permuted strides into a dense SRAM block and stored
// back contiguously; the DMA queue is in order, so no semaphore is needed.
// Padding is DMA alone too: the interior of each block is written through
// SRAM strides into a slot whose border stays zero. A row reduction loads [rows, cols] tiles (two slots), reduces each row on
// the vector engine and stores the column of results; semaphores LOAD, VEC
// and STORE order the two queues as in Schedule.cpp.
//
//===----------------------------------------------------------------------===//
#include "targets/npu/Plan.h"

#include <algorithm>

using namespace mlir;

namespace nuri::npu_target {
namespace {

enum Semaphore : int64_t { LOAD = 0, VEC, STORE, SEMAPHORES };

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t alignUp(int64_t v) { return (v + 63) / 64 * 64; }

SmallVector<int64_t> flat(std::initializer_list<std::pair<int64_t, int64_t>> waits) {
  SmallVector<int64_t> v;
  for (auto [id, count] : waits)
    if (count > 0)
      v.append({id, count});
  return v;
}

/// Blocks of `count` units, about four per core, each fitting `budget`
/// bytes at `unitBytes` a unit; 0 when a single unit does not fit.
int64_t blockSize(int64_t count, int64_t unitBytes, int64_t budget, int64_t cores) {
  int64_t block = std::max<int64_t>(1, ceilDiv(count, 4 * cores));
  block = std::min(block, budget / std::max<int64_t>(1, unitBytes));
  return block;
}

mlir::npu::KernelOp scheduleReduce(OpBuilder &b, Location loc, const KernelPlan &plan,
                                   const nuri::npu::TargetDescription &target,
                                   std::string &reason) {
  // Two input slots of tr x cols and two result slots of tr.
  int64_t rowBytes = 2 * (plan.cols * 4 + 4);
  int64_t tr = blockSize(plan.rows, rowBytes, target.scratchpadBytes - 1024, target.cores);
  if (tr == 0) {
    reason = "a row of the reduction does not fit the scratchpad";
    return nullptr;
  }
  auto kernel = createKernel(b, loc, plan, target, SEMAPHORES);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&kernel.getBody().front());
  int64_t in[2], out[2];
  SramAllocator allocate(b, loc);
  for (int p = 0; p < 2; ++p) {
    in[p] = allocate("in" + std::to_string(p), tr * plan.cols * 4);
    out[p] = allocate("out" + std::to_string(p), tr * 4);
  }
  int64_t tiles = ceilDiv(plan.rows, tr);
  int64_t cores = std::min<int64_t>(target.cores, tiles);
  for (int64_t c = 0; c < cores; ++c) {
    auto core = mlir::npu::CoreOp::create(b, loc, c);
    OpBuilder::InsertionGuard coreGuard(b);
    b.setInsertionPointToStart(&core.getBody().emplaceBlock());
    std::vector<std::pair<int64_t, int64_t>> mine; // (first row, rows)
    for (int64_t t = c; t < tiles; t += cores)
      mine.push_back({t * tr, std::min(tr, plan.rows - t * tr)});
    int64_t n = mine.size();
    auto store = [&](int64_t t) {
      mlir::npu::DmaStoreOp::create(b, loc, plan.outBinding, mine[t].first,
                                    SmallVector<int64_t>{1, 1, 1, mine[t].second},
                                    SmallVector<int64_t>{0, 0, 0, 1}, "f32", out[t % 2], "f32",
                                    flat({{VEC, t + 1}}), STORE, nullptr);
    };
    for (int64_t t = 0; t < n; ++t) {
      // Slot t%2 is free once the vector engine reduced tile t-2.
      mlir::npu::DmaLoadOp::create(
          b, loc, plan.reduce->input, mine[t].first * plan.cols,
          SmallVector<int64_t>{1, 1, mine[t].second, plan.cols},
          SmallVector<int64_t>{0, 0, plan.cols, 1}, "f32", in[t % 2], "f32",
          flat({{VEC, t >= 2 ? t - 1 : 0}}), LOAD, nullptr, nullptr);
      if (t >= 1)
        store(t - 1);
    }
    if (n)
      store(n - 1);
    for (int64_t t = 0; t < n; ++t)
      mlir::npu::ReduceOp::create(b, loc, plan.reduce->max ? "max" : "sum", "f32", out[t % 2],
                                  in[t % 2], mine[t].second, plan.cols,
                                  flat({{LOAD, t + 1}, {STORE, t >= 2 ? t - 1 : 0}}), VEC);
  }
  return kernel;
}

/// A DMA kernel over blocks of the outermost of `units` units of
/// `unitBytes` each: two SRAM slots, blocks dealt to the cores in turn; per
/// core `prologue(slots, slotBytes)` once, then `emit(k, first, count, slot)` per
/// block (k counts the core's blocks). Null with `reason` when one unit
/// does not fit.
template <typename Prologue, typename Emit>
mlir::npu::KernelOp blockKernel(OpBuilder &b, Location loc, const KernelPlan &plan,
                                const nuri::npu::TargetDescription &target, int64_t units,
                                int64_t unitBytes, StringRef what, std::string &reason,
                                Prologue prologue, Emit emit) {
  int64_t block = blockSize(units, 2 * unitBytes, target.scratchpadBytes, target.cores);
  if (block == 0) {
    reason = ("a " + what + " block does not fit the scratchpad").str();
    return nullptr;
  }
  auto kernel = createKernel(b, loc, plan, target, 1);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&kernel.getBody().front());
  SramAllocator allocate(b, loc);
  std::array<int64_t, 2> slots{allocate("block0", block * unitBytes),
                               allocate("block1", block * unitBytes)};
  int64_t tiles = ceilDiv(units, block);
  int64_t cores = std::min<int64_t>(target.cores, tiles);
  for (int64_t c = 0; c < cores; ++c) {
    auto core = mlir::npu::CoreOp::create(b, loc, c);
    OpBuilder::InsertionGuard coreGuard(b);
    b.setInsertionPointToStart(&core.getBody().emplaceBlock());
    prologue(slots, block * unitBytes);
    int64_t k = 0;
    for (int64_t t = c; t < tiles; t += cores, ++k)
      emit(k, t * block, std::min(block, units - t * block), slots[k % 2]);
  }
  return kernel;
}

mlir::npu::KernelOp scheduleTranspose(OpBuilder &b, Location loc, const KernelPlan &plan,
                                      const nuri::npu::TargetDescription &target,
                                      std::string &reason) {
  const TransposePlan &tp = *plan.transpose;
  // Four dims, outermost first; tiles are blocks of the outermost.
  // LowerToNpu dropped the unit dims; padding at the end keeps the
  // outermost dim a real one (and the order of the elements).
  std::vector<int64_t> shape = tp.outShape, strides = tp.inputStrides;
  shape.resize(4, 1);
  strides.resize(4, 0);
  int64_t inner = shape[1] * shape[2] * shape[3];
  return blockKernel(
      b, loc, plan, target, shape[0], inner * 4, "transposed", reason, [](auto, int64_t) {},
      [&](int64_t, int64_t first, int64_t count, int64_t slot) {
        createDma(b, loc, true, tp.input, first * strides[0],
                  {count, shape[1], shape[2], shape[3]}, strides, slot, "f32", {}, -1);
        createDma(b, loc, false, plan.outBinding, first * inner, {1, 1, 1, count * inner},
                  {0, 0, 0, 1}, slot, "f32", {}, -1);
      });
}

mlir::npu::KernelOp schedulePad(OpBuilder &b, Location loc, const KernelPlan &plan,
                                const nuri::npu::TargetDescription &target, std::string &reason) {
  const PadPlan &pp = *plan.pad;
  std::vector<int64_t> in = pp.inShape, out = pp.outShape, offsets = pp.offsets;
  in.resize(4, 1);
  out.resize(4, 1);
  offsets.resize(4, 0);
  std::vector<int64_t> inStride(4, 1), outStride(4, 1);
  for (int d = 2; d >= 0; --d) {
    inStride[d] = inStride[d + 1] * in[d + 1];
    outStride[d] = outStride[d + 1] * out[d + 1];
  }
  int64_t interior = 0;
  for (int d = 1; d < 4; ++d)
    interior += offsets[d] * outStride[d];
  // A border other than zero: the vector engine adds it to the zeroed slots
  // once (semaphore 0) before the first block is written. Every block
  // writes the same interior positions of its slot, so the border is never
  // written.
  bool fill = pp.value != 0.0f;
  return blockKernel(
      b, loc, plan, target, out[0], outStride[0] * 4, "padded", reason,
      [&](std::array<int64_t, 2> slots, int64_t slotBytes) {
        if (fill)
          for (int64_t slot : slots)
            mlir::npu::VectorOp::create(b, loc, "add", "f32", "f32", slot, slot, 0, 1,
                                        slotBytes / 4, "scalar", llvm::APFloat(pp.value),
                                        SmallVector<int64_t>{}, 0);
      },
      [&](int64_t k, int64_t first, int64_t count, int64_t slot) {
        createDma(b, loc, true, pp.input, first * inStride[0], {count, in[1], in[2], in[3]},
                  inStride, slot + interior * 4, "f32",
                  fill && k == 0 ? SmallVector<int64_t>{0, 2} : SmallVector<int64_t>{}, -1,
                  outStride);
        createDma(b, loc, false, plan.outBinding, first * outStride[0],
                  {1, 1, 1, count * outStride[0]}, {0, 0, 0, 1}, slot, "f32", {}, -1);
      });
}

} // namespace

mlir::npu::KernelOp scheduleMovement(OpBuilder &b, Location loc, const KernelPlan &plan,
                                     const nuri::npu::TargetDescription &target,
                                     std::string &reason) {
  if (plan.pad)
    return schedulePad(b, loc, plan, target, reason);
  return plan.reduce ? scheduleReduce(b, loc, plan, target, reason)
                     : scheduleTranspose(b, loc, plan, target, reason);
}

} // namespace nuri::npu_target
