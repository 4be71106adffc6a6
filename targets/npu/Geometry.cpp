//===- Geometry.cpp - choosing an npu kernel's tiles and core grid --------===//
//
// A matmul's tile sizes and pm x pn grid of cores come from an estimate of
// each candidate's time (DMA against the matrix engine) and DRAM bytes;
// window and elementwise kernels take fixed rules.
//
//===----------------------------------------------------------------------===//
#include "targets/npu/Geometry.h"

#include <algorithm>

namespace nuri::npu_target {

const ConvShape *wideConv(const KernelPlan &plan) {
  return plan.matmul && plan.matmul->conv && plan.matmul->conv->wide() ? &*plan.matmul->conv
                                                                        : nullptr;
}

bool planar(const KernelPlan &plan) {
  return plan.window && plan.window->planar() &&
         llvm::all_of(plan.epilogue.inputs,
                      [](const EInput &in) { return in.mode == Broadcast::Column; });
}

Sharing sharingFor(const MatmulPlan &mm, int64_t rowTiles, int64_t colTiles, int64_t cores,
                   int64_t chunks) {
  Sharing s;
  if (mm.batch != 1 || cores % colTiles || cores / colTiles > rowTiles)
    return s;
  s.pm = cores / colTiles;
  s.pn = colTiles;
  s.a = s.pn > 1;
  s.b = s.pm > 1 && (rowTiles % s.pm == 0 || chunks == 1);
  return s;
}

namespace {

/// The estimated time (cycles) and DRAM bytes of one core of a matmul
/// kernel: `tiles` tiles of geometry g one after another, loads running
/// ahead of the matrix engine. DMA-bound, the core takes all its transfers
/// plus the last chunk's compute; matrix-bound, the first chunk's loads,
/// all the compute and the last store.
struct Estimate {
  double time = 0, bytes = 0;
};

Estimate estimateMatmul(const KernelPlan &plan, const nuri::npu::TargetDescription &t,
                        const Geometry &g, int64_t tiles, int64_t cores, const Sharing &sh) {
  // A core's share of the DRAM bandwidth, pooled by a multicast's group.
  double share = t.dramBytesPerCycle() / cores;
  auto rate = [&](int64_t group) { return std::min<double>(t.dmaBytesPerCycle, group * share); };
  double aRate = rate(sh.a ? sh.pn : 1), bRate = rate(sh.b ? sh.pm : 1), ownRate = rate(1);
  const MatmulPlan &mm = *plan.matmul;
  int64_t rows = t.matrixRows, cols = t.matrixCols;
  int64_t chunks = ceilDiv(mm.k, g.tk), matrix = 0, aDesc = chunks, bDesc = chunks;
  double aBytes = double(g.tr) * mm.k * 4, bBytes = double(mm.k) * g.tc * 4;
  if (const ConvShape *cv = wideConv(plan)) {
    int64_t m = cv->wideRows(g.tr / cv->ow), cs = g.tk / cv->window();
    int64_t taps = g.whole ? cv->window() : g.merge ? cv->kw : 1, k = taps * cs;
    matrix = chunks * cv->window() / taps *
             (ceilDiv(k, rows) * ceilDiv(g.tc, cols) * m + rows + cols);
    aBytes = double(g.aBytes(plan)) * 2 * chunks; // f32 in DRAM, bf16 in SRAM
    aDesc = chunks * g.copies(*cv) * cv->phases();
    bDesc = chunks * (g.whole ? cv->phases() : cv->phase > 1 ? cv->kh0 * cv->phase : cv->kh);
  } else {
    matrix = chunks * (ceilDiv(g.tk, rows) * ceilDiv(g.tc, cols) * g.tr + rows + cols);
    if (mm.conv)
      aDesc = chunks * mm.conv->window();
  }
  double epiBytes = 0;
  for (const EInput &in : plan.epilogue.inputs)
    epiBytes += (in.mode == Broadcast::Full  ? double(g.tr) * g.tc
                 : in.mode == Broadcast::Row ? g.tc
                                             : g.tr) *
                4;
  double storeBytes = double(g.tr) * g.tc * 4;
  double d = t.descriptorCycles;
  // With one K chunk and one column block per core, the weights stay in
  // SRAM from tile to tile (CoreEmitter::resident).
  int64_t bLoads = chunks == 1 && mm.batch == 1 ? 1 : tiles;
  double ownBytes = epiBytes + storeBytes;
  double ownDesc = plan.epilogue.inputs.size() + 1;
  Estimate e;
  e.bytes = tiles * (aBytes / (sh.a ? sh.pn : 1) + ownBytes) + bLoads * bBytes / (sh.b ? sh.pm : 1);
  double dma = tiles * (aBytes / aRate + ownBytes / ownRate + (aDesc + ownDesc) * d) +
               bLoads * (bBytes / bRate + bDesc * d);
  // The matrix engine starts once a chunk's A and its first weights are in
  // (a wide convolution's weights come a row of the window at a time) and
  // ends a piece after the last load.
  const ConvShape *cv = wideConv(plan);
  double pieces = chunks * (cv && !g.whole ? cv->kh : 1);
  double first = aBytes / aRate / chunks + bBytes / bRate / pieces +
                 (double(aDesc) / chunks + double(bDesc) / pieces) * d;
  e.time = std::max(dma + double(matrix) / pieces,
                    first + double(tiles) * matrix + storeBytes / ownRate + d);
  return e;
}

} // namespace

Geometry chooseGeometry(const KernelPlan &plan, const nuri::npu::TargetDescription &t) {
  int64_t cores = t.cores;
  if (plan.matmul) {
    const MatmulPlan &mm = *plan.matmul;
    int64_t rows = t.matrixRows;
    // K chunks: a matmul's about eight chunks of whole passes of the array;
    // a convolution's whole channels: for a wide one each row of the window
    // is a matmul of K = kw x the chunk's channels, for im2col K = channels
    // x window; about four passes either way.
    // `chunks` = 0 picks the default count, else K is split in about that
    // many chunks (fewer fills of the array against less overlap).
    auto geometryFor = [&](int64_t rowTiles, int64_t pn, int merge, int64_t chunks) -> Geometry {
      if (mm.conv) {
        int64_t window = mm.conv->window(), phases = mm.conv->phases();
        int64_t original = mm.conv->channels / phases;
        int64_t most = std::max<int64_t>(
            1, (!mm.conv->wide() ? 4 * rows / window : merge ? 4 * rows / mm.conv->kw : 2 * rows) /
                   phases);
        if (chunks)
          most = ceilDiv(original, chunks);
        // Chunks of equal size, whole channels (all phases of each): 512
        // channels in chunks of at most 170 are four of 128, not three of
        // 170 and one of 2.
        int64_t channels = ceilDiv(original, ceilDiv(original, most)) * phases;
        int64_t tr = ceilDiv(ceilDiv(mm.m, rowTiles), mm.conv->ow) * mm.conv->ow;
        Geometry g{tr, ceilDiv(mm.n, pn), channels * window, merge >= 1};
        g.whole = merge == 2;
        return g;
      }
      int64_t tk = std::min<int64_t>(mm.k, std::max<int64_t>(rows, ceilDiv(ceilDiv(mm.k, 8), rows) * rows));
      if (chunks)
        tk = std::min<int64_t>(mm.k, ceilDiv(ceilDiv(mm.k, chunks), rows) * rows);
      return {ceilDiv(mm.m, rowTiles), ceilDiv(mm.n, pn), tk, false};
    };
    // Split the output over a pm x pn grid of cores, each core's block in
    // `split` tiles of rows so that loads and stores overlap the matrix
    // engine; the least estimated time wins, then the fewer bytes.
    Geometry best{1, 1, 1};
    double bestTime = 0, bestBytes = 0;
    // A batch of matrices shares the cores: each gets cores / batch.
    int64_t share = std::max<int64_t>(1, cores / mm.batch);
    bool wide = mm.conv && mm.conv->wide();
    int64_t quantum = mm.conv ? mm.conv->ow : 1;
    // Merged rows read the input once unless dilated, so they win over a
    // matmul per tap; the whole window (2) trades DMA for fewer passes.
    bool undilated = wide && mm.conv->dw == 1 && mm.conv->dh == 1;
    // A matrix too small for every core (one filter of a few rows: no
    // pm x pn grid of whole output rows fits) takes fewer cores, down to
    // one, rather than no geometry.
    for (int64_t cap = share; cap >= 1 && bestTime == 0; cap /= 2)
    for (int merge = undilated ? 1 : 0; merge <= (undilated && mm.conv->kh > 1 ? 2 : wide ? 1 : 0);
         ++merge)
      for (int64_t pm = 1; pm <= cap; ++pm) {
        if (cap % pm)
          continue;
        int64_t pn = cap / pm;
        for (int64_t split = 1; split <= (mm.batch == 1 ? 4 : 1); ++split)
          for (int64_t chunks : {0, 1, 2, 4}) {
            if (pm * split * quantum > mm.m || pn > mm.n)
              continue;
            Geometry g = geometryFor(pm * split, pn, merge, chunks);
            int64_t rowTiles = ceilDiv(mm.m, g.tr) * mm.batch, colTiles = ceilDiv(mm.n, g.tc);
            int64_t used = std::min<int64_t>(cores, rowTiles * colTiles);
            Sharing sh = sharingFor(mm, rowTiles, colTiles, used, ceilDiv(mm.k, g.tk));
            Estimate e =
                estimateMatmul(plan, t, g, ceilDiv(rowTiles * colTiles, used), used, sh);
            if (bestTime == 0 || e.time < bestTime || (e.time == bestTime && e.bytes < bestBytes))
              best = g, bestTime = e.time, bestBytes = e.bytes;
          }
      }
    return best;
  }
  if (plan.window) // blocks of channels (two per core), every pixel (of the planes)
    return {std::max<int64_t>(1, ceilDiv(plan.rows, 2 * cores)),
            planar(plan) ? plan.window->plane() : plan.cols, 0};
  // Elementwise: about four tiles per core so loads, compute and stores
  // overlap, rows of at most 8192 columns.
  int64_t tc = std::min<int64_t>(plan.cols, 8192);
  int64_t tilesPerRow = ceilDiv(plan.cols, tc);
  int64_t wanted = std::max<int64_t>(1, ceilDiv(cores * 4, tilesPerRow));
  int64_t tr = std::max<int64_t>(1, ceilDiv(plan.rows, wanted));
  return {tr, tc, 0};
}

} // namespace nuri::npu_target
