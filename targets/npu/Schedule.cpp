//===- Schedule.cpp - tiles, SRAM and queues for one kernel ---------------===//
//
// Output tiles are distributed round-robin over the cores; loads that
// several cores of a matmul's grid need alike (their rows of A, their
// columns of B) are one multicast, so DRAM reads them once. Within a core,
// the DMA queue runs ahead of the engines: operand tiles go into one of two
// slots (double buffering) so the loads of step s+1 overlap the matrix
// engine on step s; a tile's store is queued after the next tile's loads.
// The semaphores of a core, all counting since the kernel started:
//   LOAD  the operands of a step (or a tile's inputs) are in SRAM
//   MM    a matrix step finished (its operand slot may be reused)
//   EPI   a tile's epilogue inputs are in SRAM
//   VEC   a tile's vector program finished
//   STORE a tile's result left SRAM (its result slot may be reused)
//
//===----------------------------------------------------------------------===//
#include "targets/npu/Geometry.h"
#include "targets/npu/Plan.h"

#include <algorithm>

using namespace mlir;

namespace nuri::npu_target {
namespace {

enum Semaphore : int64_t { LOAD = 0, MM, EPI, VEC, STORE, SEMAPHORES };

struct Tile {
  int64_t r0, rs, c0, cs; // rows [r0, r0+rs), cols [c0, c0+cs)
};

/// Emits the instructions of one core.
class CoreEmitter {
public:
  CoreEmitter(OpBuilder &b, Location loc, const KernelPlan &plan, const Geometry &g)
      : b(b), loc(loc), plan(plan), g(g) {}

  // SRAM addresses, filled by allocate().
  int64_t aSlot[2] = {0, 0}, bSlot[2] = {0, 0}, resultSlot[2] = {0, 0};
  std::vector<std::array<int64_t, 2>> inputSlot;
  std::vector<int64_t> tempAddr;
  // Window plans: per tap and slot, the shifted input; per slot, the
  // weights as one column per tap.
  std::vector<std::array<int64_t, 2>> tapSlot;
  int64_t weightSlot[2] = {0, 0};
  // Planar window plans: per phase and slot, the phase plane; a product.
  std::vector<std::array<int64_t, 2>> planeSlot;
  int64_t productSlot = 0;
  // Multicast groups ([first, count, stride], empty: private) of the A
  // loads (the cores that share this core's rows) and of the B loads (the
  // cores that share its columns).
  SmallVector<int64_t, 3> aGroup, bGroup;

  void emit(const std::vector<Tile> &tiles) {
    std::vector<int64_t> steps, base;
    int64_t total = 0;
    for (const Tile &tile : tiles) {
      (void)tile;
      int64_t s = plan.matmul ? ceilDiv(plan.matmul->k, g.tk) : 0;
      base.push_back(total);
      steps.push_back(s);
      total += s;
    }
    bool hasVector = !plan.epilogue.steps.empty() || plan.window;
    int64_t n = tiles.size();
    // One K chunk per tile and the same columns (filters) in every tile:
    // the weights are loaded once, into the first B slot.
    resident = plan.matmul && plan.matmul->batch == 1 && n > 1 &&
               std::all_of(tiles.begin(), tiles.end(), [&](const Tile &tile) {
                 return tile.c0 == tiles[0].c0 && tile.cs == tiles[0].cs;
               }) &&
               std::all_of(steps.begin(), steps.end(), [](int64_t s) { return s == 1; });
    // DMA queue.
    for (int64_t t = 0; t < n; ++t) {
      if (plan.window)
        loadWindow(tiles[t], t);
      loadInputs(tiles[t], t);
      for (int64_t j = 0; j < steps[t]; ++j)
        loadOperands(tiles[t], base[t] + j, j);
      if (t >= 1)
        store(tiles[t - 1], t - 1, hasVector ? VEC : MM,
              hasVector ? t : base[t - 1] + steps[t - 1]);
    }
    if (n)
      store(tiles[n - 1], n - 1, hasVector ? VEC : MM,
            hasVector ? n : base[n - 1] + steps[n - 1]);
    // Matrix queue.
    if (plan.matmul)
      for (int64_t t = 0; t < n; ++t)
        for (int64_t j = 0; j < steps[t]; ++j) {
          int64_t s = base[t] + j;
          Waits waits{{LOAD, ready[s].back()}};
          if (j == 0 && t >= 2)
            waits.push_back({STORE, t - 1});
          int64_t k0 = j * g.tk, ks = std::min(g.tk, plan.matmul->k - k0);
          if (const ConvShape *cv = wideConv(plan)) {
            // The whole window in one matmul, or one per row r of the window
            // (the input rows read as kw shifted windows, moved down r*dh
            // rows, times the weights of the row's taps), or one per tap;
            // the step's last signals MM.
            int64_t cs = ks / cv->window(), m = cv->wideRows(tiles[t].rs / cv->ow);
            if (g.whole) {
              // The whole window: A rows of the kh row copies, a_stride =
              // kh * cs apart, so K runs over (s, r, c).
              mlir::npu::MatMulOp::create(b, loc, aSlot[s % 2], bAddress(s), resultSlot[t % 2],
                                          m, cv->window() * cs, tiles[t].cs, "bf16", j > 0,
                                          flat(waits), MM,
                                          b.getI64IntegerAttr(cv->kh * cs));
              continue;
            }
            if (!g.merge) {
              // One matmul per tap (r, q) on the rows shifted r*dh*Wp + q*dw.
              for (int64_t r = 0; r < cv->kh; ++r)
                for (int64_t q = 0; q < cv->kw; ++q) {
                  int64_t tap = r * cv->kw + q;
                  bool first = tap == 0, last = tap + 1 == cv->window();
                  Waits tapWaits{{LOAD, ready[s][r]}};
                  if (first && j == 0 && t >= 2)
                    tapWaits.push_back({STORE, t - 1});
                  int64_t shift = r * cv->dh * cv->wp + q * cv->dw;
                  mlir::npu::MatMulOp::create(
                      b, loc, aSlot[s % 2] + shift * cs * 2,
                      bAddress(s) + tap * cs * tiles[t].cs * 2, resultSlot[t % 2], m, cs,
                      tiles[t].cs, "bf16", j > 0 || !first, flat(tapWaits), last ? MM : -1,
                      nullptr);
                }
              continue;
            }
            // A row of the SRAM layout holds `width` elements: one pixel's
            // channels, or the kw copies'.
            int64_t k = cv->kw * cs, width = g.copies(*cv) * cs;
            IntegerAttr lda = width == k ? nullptr : b.getI64IntegerAttr(width);
            for (int64_t r = 0; r < cv->kh; ++r) {
              bool first = r == 0, last = r + 1 == cv->kh;
              Waits rowWaits{{LOAD, ready[s][r]}};
              if (first && j == 0 && t >= 2)
                rowWaits.push_back({STORE, t - 1});
              mlir::npu::MatMulOp::create(
                  b, loc, aSlot[s % 2] + r * cv->dh * cv->wp * width * 2,
                  bAddress(s) + r * k * tiles[t].cs * 2, resultSlot[t % 2], m, k, tiles[t].cs,
                  "bf16", j > 0 || !first, flat(rowWaits), last ? MM : -1, lda);
            }
            continue;
          }
          mlir::npu::MatMulOp::create(b, loc, aSlot[s % 2], bAddress(s), resultSlot[t % 2],
                                tiles[t].rs, ks, tiles[t].cs, "bf16", j > 0, flat(waits), MM,
                                nullptr);
        }
    // Vector queue.
    if (hasVector)
      for (int64_t t = 0; t < n; ++t) {
        Waits waits;
        if (plan.matmul)
          waits.push_back({MM, base[t] + steps[t]});
        if (!plan.epilogue.inputs.empty() || plan.window)
          waits.push_back({plan.matmul ? EPI : LOAD, t + 1});
        if (!plan.matmul && t >= 2)
          waits.push_back({STORE, t - 1});
        if (plan.window) {
          windowProgram(tiles[t], t, waits, plan.epilogue.steps.empty());
          waits.clear();
        }
        vectorProgram(tiles[t], t, waits);
      }
  }

private:
  using Waits = std::vector<std::pair<int64_t, int64_t>>;
  OpBuilder &b;
  Location loc;
  const KernelPlan &plan;
  const Geometry &g;
  bool resident = false;
  // Per matrix step: the LOAD count after which its operands are in SRAM,
  // one per row of the window for a wide convolution (its weights stream
  // in row by row), else one.
  std::vector<SmallVector<int64_t, 7>> ready;
  int64_t loads = 0;

  int64_t bAddress(int64_t s) const { return resident ? bSlot[0] : bSlot[s % 2]; }
  /// Whether step s loads weights (else they are resident from step 0).
  bool loadsWeights(int64_t s) const { return !resident || s == 0; }

  static SmallVector<int64_t> flat(const Waits &waits) {
    SmallVector<int64_t> v;
    for (auto [id, count] : waits)
      if (count > 0)
        v.append({id, count});
    return v;
  }

  /// A [rs, cs] block at (r0, c0) of a row-major [*, ld] binding.
  void dma(bool load, int64_t binding, int64_t offset, int64_t rs, int64_t cs, int64_t ld,
           int64_t sram, StringRef sramType, const Waits &waits, int64_t signal,
           ArrayRef<int64_t> group = {}) {
    createDma(b, loc, load, binding, offset, {1, 1, rs, cs}, {0, 0, ld, 1}, sram, sramType,
              flat(waits), signal, {}, group);
  }
  DenseI64ArrayAttr groupAttr(ArrayRef<int64_t> group) {
    return group.empty() ? nullptr : b.getDenseI64ArrayAttr(group);
  }

  /// A tile of the [rows, cols] output view (or of an operand of its shape).
  void tileDma(bool load, int64_t binding, const Tile &tile, int64_t sram, const Waits &waits,
               int64_t signal) {
    if (planar(plan)) {
      // Channels of [oh, ow] pixels <-> the planes' [rows, cols] layout.
      const WindowPlan &w = *plan.window;
      createDma(b, loc, load, binding, tile.r0 * plan.cols, {tile.rs, w.oh, w.ow, 1},
                {plan.cols, w.ow, 1, 0}, sram, "f32", flat(waits), signal,
                {w.plane(), w.planeCols(), 1, 0});
      return;
    }
    if (const ConvShape *cv = wideConv(plan)) {
      // NCHW rows of the tile <-> the wide [rows * Wp, cols] layout.
      createDma(b, loc, load, binding, tile.c0 * plan.rows + tile.r0,
                {tile.cs, tile.rs / cv->ow, cv->ow, 1}, {plan.rows, cv->ow, 1, 0}, sram, "f32",
                flat(waits), signal, {1, cv->wp * tile.cs, tile.cs, 0});
      return;
    }
    if (plan.columnMajor)
      createDma(b, loc, load, binding, tile.c0 * plan.rows + tile.r0, {1, 1, tile.rs, tile.cs},
                {0, 0, 1, plan.rows}, sram, "f32", flat(waits), signal);
    else
      createDma(b, loc, load, binding, tile.r0 * plan.cols + tile.c0, {1, 1, tile.rs, tile.cs},
                {0, 0, plan.cols, 1}, sram, "f32", flat(waits), signal);
  }

  /// The tile's channels of the input: each tap's pixels gathered with the
  /// window's strides, or (planar) the s x s phase planes, phase (a, b)
  /// X[c][s*y + a][s*x + b], whose pixels past the input (odd sizes) are
  /// never loaded and only read for results that are never stored; then
  /// the tile's weights as [tap][channel].
  void loadWindow(const Tile &tile, int64_t t) {
    const WindowPlan &w = *plan.window;
    bool lastIsHere = plan.epilogue.inputs.empty();
    // The last input load signals LOAD when nothing follows it; the first
    // waits until the vector engine is done with this slot.
    auto load = [&](int64_t offset, ArrayRef<int64_t> sizes, ArrayRef<int64_t> strides,
                    int64_t sram, ArrayRef<int64_t> sramStrides, bool first, bool last) {
      Waits waits;
      if (first && t >= 2)
        waits.push_back({VEC, t - 1});
      createDma(b, loc, true, w.input, offset, sizes, strides, sram, "f32", flat(waits),
                lastIsHere && w.max && last ? LOAD : -1, sramStrides);
    };
    if (planar(plan)) {
      int64_t s = w.sh;
      for (int64_t a = 0; a < s; ++a)
        for (int64_t bb = 0; bb < s; ++bb)
          load((tile.r0 * w.hp + a) * w.wp + bb,
               {tile.rs, ceilDiv(w.hp - a, s), ceilDiv(w.wp - bb, s), 1},
               {w.hp * w.wp, s * w.wp, s, 0}, planeSlot[a * s + bb][t % 2],
               {w.plane(), w.planeCols(), 1, 0}, a == 0 && bb == 0, a + 1 == s && bb + 1 == s);
    } else {
      for (int64_t tap = 0; tap < w.taps(); ++tap) {
        int64_t r = tap / w.kw, q = tap % w.kw;
        load((tile.r0 * w.hp + r * w.dh) * w.wp + q * w.dw, {tile.rs, w.oh, w.ow, 1},
             {w.hp * w.wp, w.sh * w.wp, w.sw, 0}, tapSlot[tap][t % 2], {}, tap == 0,
             tap + 1 == w.taps());
      }
    }
    if (!w.max)
      mlir::npu::DmaLoadOp::create(b, loc, w.weights, tile.r0 * w.taps(),
                                   SmallVector<int64_t>{1, 1, w.taps(), tile.rs},
                                   SmallVector<int64_t>{0, 0, 1, w.taps()}, "f32",
                                   weightSlot[t % 2], "f32", SmallVector<int64_t>{},
                                   lastIsHere ? LOAD : -1, nullptr, nullptr);
  }

  /// acc = max over taps, or the sum of tap * weight column; into the
  /// result slot (the epilogue's accumulator). A tap is its gathered slot
  /// (multiplied in place), or on phase planes its plane shifted (r / s)
  /// rows and (q / s) columns: a dense [channels, plane] view from a later
  /// address (multiplied into the product buffer).
  void windowProgram(const Tile &tile, int64_t t, const Waits &waits, bool signalsVec) {
    const WindowPlan &w = *plan.window;
    bool planes = planar(plan);
    int64_t acc = resultSlot[t % 2], taps = w.taps(), s = w.sh;
    int64_t cols = planes ? w.plane() : tile.cs;
    auto source = [&](int64_t tap) {
      if (!planes)
        return tapSlot[tap][t % 2];
      int64_t r = tap / w.kw, q = tap % w.kw;
      return planeSlot[(r % s) * s + q % s][t % 2] + ((r / s) * w.planeCols() + q / s) * 4;
    };
    bool first = true;
    auto vec = [&](StringRef op, int64_t dst, int64_t a, int64_t bAddr, StringRef mode,
                   bool last) {
      mlir::npu::VectorOp::create(b, loc, op, "f32", "f32", dst, a, bAddr, tile.rs, cols, mode,
                                  llvm::APFloat(0.0f),
                                  first ? flat(waits) : SmallVector<int64_t>{},
                                  last && signalsVec ? VEC : -1);
      first = false;
    };
    if (w.max) {
      if (taps == 1)
        vec("copy", acc, source(0), 0, "full", true);
      for (int64_t tap = 1; tap < taps; ++tap)
        vec("max", acc, tap == 1 ? source(0) : acc, source(tap), "full", tap + 1 == taps);
      return;
    }
    for (int64_t tap = 0; tap < taps; ++tap) {
      int64_t column = weightSlot[t % 2] + tap * tile.rs * 4;
      if (tap == 0) {
        vec("mul", acc, source(0), column, "column", taps == 1);
        continue;
      }
      int64_t product = planes ? productSlot : source(tap);
      vec("mul", product, source(tap), column, "column", false);
      vec("add", acc, acc, product, "full", tap + 1 == taps);
    }
  }

  void loadInputs(const Tile &tile, int64_t t) {
    const auto &inputs = plan.epilogue.inputs;
    for (size_t i = 0; i < inputs.size(); ++i) {
      Waits waits;
      if (i == 0 && t >= 2 && !plan.window)
        waits.push_back({VEC, t - 1}); // the vector engine is done with this slot
      int64_t signal = i + 1 == inputs.size() ? (plan.matmul ? EPI : LOAD) : -1;
      int64_t sram = inputSlot[i][t % 2];
      switch (inputs[i].mode) {
      case Broadcast::Full:
        tileDma(true, inputs[i].binding, tile, sram, waits, signal);
        break;
      case Broadcast::Row:
        dma(true, inputs[i].binding, tile.c0, 1, tile.cs, 0, sram, "f32", waits, signal);
        break;
      default:
        dma(true, inputs[i].binding, tile.r0, 1, tile.rs, 0, sram, "f32", waits, signal);
        break;
      }
    }
  }

  void loadOperands(const Tile &tile, int64_t s, int64_t j) {
    const MatmulPlan &mm = *plan.matmul;
    int64_t k0 = j * g.tk, ks = std::min(g.tk, mm.k - k0);
    Waits waits;
    if (s >= 2)
      waits.push_back({MM, s - 1}); // the matrix engine is done with this slot
    if (const ConvShape *cv = wideConv(plan)) {
      wideLoads(*cv, tile, k0, ks, s, waits);
      return;
    }
    bool weights = loadsWeights(s);
    if (mm.conv)
      im2col(tile, k0, ks, aSlot[s % 2], waits, weights ? -1 : LOAD);
    else
      dma(true, mm.aBinding, tile.r0 * mm.k + k0, tile.rs, ks, mm.k, aSlot[s % 2], "bf16", waits,
          weights ? -1 : LOAD, aGroup); // rows of all batches are consecutive in A too
    int64_t batchOffset = mm.batch > 1 ? tile.r0 / mm.m * mm.k * mm.n : 0;
    if (weights)
      dma(true, mm.bBinding, batchOffset + k0 * mm.n + tile.c0, ks, tile.cs, mm.n, bAddress(s),
          "bf16", {}, LOAD, bGroup);
    ready.push_back({++loads});
  }

  /// The A chunk of a convolution: channels [k0, k0+ks) / window of the
  /// tile's output rows, one DMA per window position (r, s) writing column
  /// (c*window + r*kw + s) of the [rows, ks] bf16 tile.
  void im2col(const Tile &tile, int64_t k0, int64_t ks, int64_t sram, const Waits &waits,
              int64_t signal) {
    const ConvShape &cv = *plan.matmul->conv;
    int64_t window = cv.kh * cv.kw, c0 = k0 / window, cs = ks / window;
    int64_t oh0 = tile.r0 / cv.ow, ohs = tile.rs / cv.ow;
    for (int64_t r = 0; r < cv.kh; ++r)
      for (int64_t s = 0; s < cv.kw; ++s) {
        int64_t offset = (c0 * cv.hp + oh0 * cv.sh + r * cv.dh) * cv.wp + s * cv.dw;
        SmallVector<int64_t> sizes{ohs, cv.ow, cs, 1},
            strides{cv.sh * cv.wp, cv.sw, cv.hp * cv.wp, 0},
            sramStrides{cv.ow * ks, ks, window, 0};
        mlir::npu::DmaLoadOp::create(b, loc, plan.matmul->aBinding, offset, sizes, strides, "f32",
                                     sram + (r * cv.kw + s) * 2, "bf16",
                                     r == 0 && s == 0 ? flat(waits) : SmallVector<int64_t>{},
                                     r + 1 == cv.kh && s + 1 == cv.kw ? signal : -1,
                                     b.getDenseI64ArrayAttr(sramStrides), groupAttr(aGroup));
      }
  }

  /// A wide convolution's step: the chunk's channels of the tile's input
  /// rows, kw copies side by side, copy s shifted s*dw pixels
  /// ([rows * Wp, kw * cs], element (p, s*cs + c) = X[c][p + s*dw]), and
  /// its weights as one [cs, tile cols] block per tap.
  void wideLoads(const ConvShape &cv, const Tile &tile, int64_t k0, int64_t ks, int64_t s,
                 const Waits &waits) {
    const MatmulPlan &mm = *plan.matmul;
    int64_t window = cv.window(), c0 = k0 / window, cs = ks / window;
    int64_t copies = g.copies(cv), k = copies * cs;
    int64_t oh0 = tile.r0 / cv.ow, rows = cv.inputRows(tile.rs / cv.ow);
    bool weights = loadsWeights(s);
    // The A loads, [offset, sizes, strides, SRAM address, SRAM strides].
    struct Load {
      int64_t offset;
      SmallVector<int64_t> sizes, strides;
      int64_t sram;
      SmallVector<int64_t> sramStrides;
    };
    SmallVector<Load> loadsA;
    // `count` input rows from row oh0 + r0, pixel-major, channel c of pixel
    // p at element p * width + c of `sram`.
    auto loadRows = [&](int64_t r0, int64_t count, int64_t sram, int64_t width) {
      if (cv.phase == 1) {
        loadsA.push_back({(c0 * cv.hp + oh0 + r0) * cv.wp,
                          {cs, 1, count * cv.wp, 1},
                          {cv.hp * cv.wp, 0, 1, 0},
                          sram,
                          {1, 0, width, 0}});
        return;
      }
      // Phase (a, b) of the chunk's channels: X[c][p*y + a][p*x + b], to
      // element c*p*p + a*p + b of pixel (y, x). Pixels past the input
      // (odd sizes) are never loaded: only taps of weight 0 and discarded
      // columns read them.
      int64_t p = cv.phase, c00 = c0 / cv.phases(), cs0 = cs / cv.phases(), y0 = oh0 + r0;
      for (int64_t a = 0; a < p; ++a)
        for (int64_t bb = 0; bb < p; ++bb) {
          int64_t ys = std::min(count, ceilDiv(cv.hp0 - a, p) - y0), xs = ceilDiv(cv.wp0 - bb, p);
          if (ys > 0 && xs > 0)
            loadsA.push_back({(c00 * cv.hp0 + p * y0 + a) * cv.wp0 + bb,
                              {cs0, ys, xs, 1},
                              {cv.hp0 * cv.wp0, p * cv.wp0, p, 0},
                              sram + (a * p + bb) * 2,
                              {cv.phases(), cv.wp * width, width, 0}});
        }
    };
    if (g.whole) {
      // Copy r: the tile's rows r.., at column block r*cs.
      for (int64_t r = 0; r < cv.kh; ++r)
        loadRows(r, tile.rs / cv.ow, aSlot[s % 2] + r * cs * 2, k);
    } else if (copies == 1) {
      loadRows(0, rows, aSlot[s % 2], k);
    } else {
      // Copy q (dilated only) starts q*dw pixels later; its last q*dw
      // pixels would come from past the block, and no matmul reads them.
      int64_t pixels = rows * cv.wp;
      for (int64_t q = 0; q < copies; ++q)
        loadsA.push_back({(c0 * cv.hp + oh0) * cv.wp + q * cv.dw,
                          {cs, 1, pixels - q * cv.dw, 1},
                          {cv.hp * cv.wp, 0, 1, 0},
                          aSlot[s % 2] + q * cs * 2,
                          {1, 0, k, 0}});
    }
    for (size_t i = 0; i < loadsA.size(); ++i) {
      const Load &l = loadsA[i];
      mlir::npu::DmaLoadOp::create(b, loc, mm.aBinding, l.offset, l.sizes, l.strides, "f32",
                                   l.sram, "bf16", i == 0 ? flat(waits) : SmallVector<int64_t>{},
                                   !weights && i + 1 == loadsA.size() ? LOAD : -1,
                                   b.getDenseI64ArrayAttr(l.sramStrides), groupAttr(aGroup));
    }
    SmallVector<int64_t, 7> rowsReady;
    if (!weights) {
      rowsReady.assign(cv.kh, ++loads);
      ready.push_back(rowsReady);
      return;
    }
    // W[c, r, s, f] of the chunk as [r][s][c][f], the loads of each row of
    // the window ending with a LOAD signal: the matrix engine starts on row
    // 0 while the other rows' weights stream in.
    int64_t filters = mm.n;
    if (g.whole) {
      // [s][r][c][f]: K index (s * kh + r) * cs + c, one load (per phase).
      int64_t p = cv.phase, c00 = c0 / cv.phases(), cs0 = cs / cv.phases();
      int64_t kh0 = p > 1 ? cv.kh0 : cv.kh, kw0 = p > 1 ? cv.kw0 : cv.kw;
      SmallVector<int64_t> strided{cv.kh * cs * tile.cs, cs * tile.cs, cv.phases() * tile.cs, 1};
      for (int64_t a = 0; a < p; ++a)
        for (int64_t bb = 0; bb < p; ++bb)
          mlir::npu::DmaLoadOp::create(
              b, loc, mm.bBinding, ((c00 * kh0 + a) * kw0 + bb) * filters + tile.c0,
              SmallVector<int64_t>{ceilDiv(kw0 - bb, p), ceilDiv(kh0 - a, p), cs0, tile.cs},
              SmallVector<int64_t>{p * filters, p * kw0 * filters, kh0 * kw0 * filters, 1}, "f32",
              bAddress(s) + (a * p + bb) * tile.cs * 2, "bf16", {},
              a + 1 == p && bb + 1 == p ? LOAD : -1, b.getDenseI64ArrayAttr(strided),
              groupAttr(bGroup));
      rowsReady.push_back(++loads);
      ready.push_back(rowsReady);
      return;
    }
    for (int64_t r = 0; r < cv.kh; ++r) {
      int64_t rowBase = bAddress(s) + r * cv.kw * cs * tile.cs * 2;
      if (cv.phase == 1) {
        mlir::npu::DmaLoadOp::create(
            b, loc, mm.bBinding, (c0 * window + r * cv.kw) * filters + tile.c0,
            SmallVector<int64_t>{1, cv.kw, cs, tile.cs},
            SmallVector<int64_t>{0, filters, window * filters, 1}, "f32", rowBase, "bf16", {},
            LOAD, nullptr, groupAttr(bGroup));
        rowsReady.push_back(++loads);
        continue;
      }
      // Phased: tap (r, s') of phase (a, b) is the original tap (p*r + a,
      // p*s' + b) of channel c, at K index s' * cs + c*p*p + a*p + b; taps
      // past the original window are never loaded and stay 0.
      int64_t p = cv.phase, c00 = c0 / cv.phases(), cs0 = cs / cv.phases();
      SmallVector<std::pair<int64_t, int64_t>> taps; // (original row, b)
      for (int64_t a = 0; a < p; ++a)
        for (int64_t bb = 0; bb < p; ++bb)
          if (p * r + a < cv.kh0 && bb < cv.kw0)
            taps.push_back({a, bb});
      for (size_t i = 0; i < taps.size(); ++i) {
        auto [a, bb] = taps[i];
        int64_t row = p * r + a, count = ceilDiv(cv.kw0 - bb, p);
        mlir::npu::DmaLoadOp::create(
            b, loc, mm.bBinding, ((c00 * cv.kh0 + row) * cv.kw0 + bb) * filters + tile.c0,
            SmallVector<int64_t>{count, cs0, tile.cs, 1},
            SmallVector<int64_t>{p * filters, cv.kh0 * cv.kw0 * filters, 1, 0}, "f32",
            rowBase + (a * p + bb) * tile.cs * 2, "bf16", {}, i + 1 == taps.size() ? LOAD : -1,
            b.getDenseI64ArrayAttr({cs * tile.cs, cv.phases() * tile.cs, 1, 0}),
            groupAttr(bGroup));
      }
      rowsReady.push_back(++loads);
    }
    ready.push_back(rowsReady);
  }

  void store(const Tile &tile, int64_t t, int64_t waitOn, int64_t count) {
    tileDma(false, plan.outBinding, tile, resultSlot[t % 2], {{waitOn, count}}, STORE);
  }

  int64_t address(const EValue &v, int64_t t) const {
    switch (v.kind) {
    case EValue::Acc:
      return resultSlot[t % 2];
    case EValue::Input:
      return inputSlot[v.index][t % 2];
    case EValue::Temp:
      return tempAddr[v.index];
    case EValue::Scalar:
      return 0;
    }
    return 0;
  }

  /// How a step of shape `shape` reads operand b.
  static StringRef modeName(const ElementwiseProgram &p, Broadcast shape, const EValue &v) {
    if (v.kind == EValue::Scalar)
      return "scalar";
    if (shape != Broadcast::Full)
      return "full"; // a row (column) step reads a row (column) operand whole
    Broadcast mode = v.kind == EValue::Input ? p.inputs[v.index].mode
                     : v.kind == EValue::Temp ? v.shape
                                              : Broadcast::Full;
    switch (mode) {
    case Broadcast::Row:
      return "row";
    case Broadcast::Column:
      return "column";
    default:
      return "full";
    }
  }

  void vectorProgram(const Tile &tile, int64_t t, Waits waits) {
    const ElementwiseProgram &p = plan.epilogue;
    for (size_t i = 0; i < p.steps.size(); ++i) {
      const EStep &step = p.steps[i];
      bool last = i + 1 == p.steps.size();
      // The last step writes the result slot, which the store reads.
      int64_t dst = last ? resultSlot[t % 2] : tempAddr[step.dst];
      bool binary = mlir::npu::isBinaryVectorOp(step.op);
      const ConvShape *cv = wideConv(plan);
      int64_t tileRows = cv ? cv->wideRows(tile.rs / cv->ow) : tile.rs;
      int64_t rows = step.shape == Broadcast::Row ? 1 : tileRows;
      int64_t width = planar(plan) ? plan.window->plane() : tile.cs;
      int64_t cols = step.shape == Broadcast::Column ? 1 : width;
      mlir::npu::VectorOp::create(b, loc, step.op, "f32", "f32", dst, address(step.a, t),
                                  binary ? address(step.b, t) : 0, rows, cols,
                                  binary ? modeName(p, step.shape, step.b) : StringRef("full"),
                                  llvm::APFloat(binary ? step.b.imm : 0.0f),
                                  i == 0 ? flat(waits) : SmallVector<int64_t>{}, last ? VEC : -1);
    }
  }
};

} // namespace

void createDma(OpBuilder &b, Location loc, bool load, int64_t binding, int64_t offset,
               ArrayRef<int64_t> sizes, ArrayRef<int64_t> strides, int64_t sram,
               StringRef sramType, ArrayRef<int64_t> waits, int64_t signal,
               ArrayRef<int64_t> sramStrides, ArrayRef<int64_t> multicast) {
  DenseI64ArrayAttr strided = sramStrides.empty() ? nullptr : b.getDenseI64ArrayAttr(sramStrides);
  if (load)
    mlir::npu::DmaLoadOp::create(b, loc, binding, offset, sizes, strides, "f32", sram, sramType,
                                 waits, signal, strided,
                                 multicast.empty() ? nullptr : b.getDenseI64ArrayAttr(multicast));
  else
    mlir::npu::DmaStoreOp::create(b, loc, binding, offset, sizes, strides, "f32", sram, sramType,
                                  waits, signal, strided);
}

int64_t SramAllocator::operator()(StringRef name, int64_t bytes) {
  mlir::npu::SramBufferOp::create(b, loc, name, next, bytes);
  int64_t at = next;
  next += alignUp(bytes);
  return at;
}

mlir::npu::KernelOp createKernel(OpBuilder &builder, Location loc, const KernelPlan &plan,
                                 const nuri::npu::TargetDescription &target, int64_t semaphores) {
  SmallVector<Attribute> nodes;
  for (const std::string &node : plan.nodes)
    nodes.push_back(builder.getStringAttr(node));
  auto kernel = mlir::npu::KernelOp::create(builder, loc, plan.name,
                                            (int64_t)target.scratchpadBytes, semaphores, plan.macs,
                                            plan.minDramBytes, builder.getArrayAttr(nodes));
  kernel.getBody().emplaceBlock();
  return kernel;
}

mlir::npu::KernelOp scheduleKernel(OpBuilder &builder, Location loc, const KernelPlan &plan,
                             const nuri::npu::TargetDescription &target, std::string &reason) {
  if (plan.reduce || plan.transpose || plan.pad)
    return scheduleMovement(builder, loc, plan, target, reason);
  Geometry g = chooseGeometry(plan, target);
  int64_t budget = target.scratchpadBytes;
  // Halve the larger tile side until everything fits the scratchpad.
  const std::optional<ConvShape> &conv = plan.matmul ? plan.matmul->conv : std::nullopt;
  // A convolution's K chunks are whole channels (all their phases).
  int64_t window = conv ? conv->kh * conv->kw * conv->phases() : 1;
  int64_t rowQuantum = conv ? conv->ow : 1;
  while (g.bytes(plan) > budget) {
    if (plan.window) {
      if (g.tr == 1) {
        reason = "one channel of the window does not fit the " + std::to_string(budget) +
                 "-byte scratchpad";
        return nullptr;
      }
      g.tr = ceilDiv(g.tr, 2);
    } else if (conv && g.tk > window)
      g.tk = std::max<int64_t>(1, g.tk / window / 2) * window;
    else if (!conv && g.tk > (int64_t)target.matrixRows)
      g.tk = std::max<int64_t>(target.matrixRows, g.tk / 2);
    else if (g.tc >= g.tr && g.tc > 1)
      g.tc = ceilDiv(g.tc, 2);
    else if (g.tr > rowQuantum)
      g.tr = ceilDiv(ceilDiv(g.tr, 2), rowQuantum) * rowQuantum;
    else {
      reason = "no tiling fits the " + std::to_string(budget) + "-byte scratchpad";
      return nullptr;
    }
  }

  // Tiles never straddle two matrices of a batch.
  std::vector<Tile> tiles;
  int64_t batch = plan.matmul ? plan.matmul->batch : 1, height = plan.rows / batch;
  for (int64_t bi = 0; bi < batch; ++bi)
    for (int64_t r0 = 0; r0 < height; r0 += g.tr)
      for (int64_t c0 = 0; c0 < plan.cols; c0 += g.tc)
        tiles.push_back({bi * height + r0, std::min(g.tr, height - r0), c0,
                         std::min(g.tc, plan.cols - c0)});
  int64_t cores = std::min<int64_t>(target.cores, tiles.size());

  auto kernel = createKernel(builder, loc, plan, target, SEMAPHORES);
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(&kernel.getBody().front());

  CoreEmitter layout(builder, loc, plan, g);
  SramAllocator allocate(builder, loc);
  for (int p = 0; p < 2; ++p) {
    std::string suffix = std::to_string(p);
    if (plan.matmul) {
      layout.aSlot[p] = allocate("a" + suffix, g.aBytes(plan));
      layout.bSlot[p] = allocate("b" + suffix, g.tk * g.tc * 2);
    }
    layout.resultSlot[p] =
        allocate((plan.matmul ? "acc" : "result") + suffix, g.slotRows(plan) * g.tc * 4);
  }
  layout.inputSlot.resize(plan.epilogue.inputs.size());
  for (size_t i = 0; i < plan.epilogue.inputs.size(); ++i) {
    Broadcast mode = plan.epilogue.inputs[i].mode;
    int64_t rows = g.slotRows(plan);
    int64_t elements = mode == Broadcast::Full ? rows * g.tc : mode == Broadcast::Row ? g.tc : rows;
    for (int p = 0; p < 2; ++p)
      layout.inputSlot[i][p] =
          allocate("in" + std::to_string(i) + "_" + std::to_string(p), elements * 4);
  }
  if (const auto &w = plan.window; w && planar(plan)) {
    int64_t phases = w->sh * w->sw;
    layout.planeSlot.resize(phases);
    for (int64_t ph = 0; ph < phases; ++ph)
      for (int p = 0; p < 2; ++p)
        layout.planeSlot[ph][p] =
            allocate("plane" + std::to_string(ph) + "_" + std::to_string(p),
                     (g.tr * w->plane() + w->overhang()) * 4);
    if (!w->max) {
      for (int p = 0; p < 2; ++p)
        layout.weightSlot[p] = allocate("weights" + std::to_string(p), w->taps() * g.tr * 4);
      layout.productSlot = allocate("product", g.tr * g.tc * 4);
    }
  } else if (const auto &w = plan.window) {
    layout.tapSlot.resize(w->taps());
    for (int64_t tap = 0; tap < w->taps(); ++tap)
      for (int p = 0; p < 2; ++p)
        layout.tapSlot[tap][p] = allocate(
            "tap" + std::to_string(tap) + "_" + std::to_string(p), g.tr * g.tc * 4);
    if (!w->max)
      for (int p = 0; p < 2; ++p)
        layout.weightSlot[p] = allocate("weights" + std::to_string(p), w->taps() * g.tr * 4);
  }
  for (int i = 0; i < plan.epilogue.temps; ++i)
    layout.tempAddr.push_back(allocate("tmp" + std::to_string(i), g.slotRows(plan) * g.tc * 4));

  Sharing sh;
  if (plan.matmul)
    sh = sharingFor(*plan.matmul, ceilDiv(height, g.tr) * batch, ceilDiv(plan.cols, g.tc), cores,
                    ceilDiv(plan.matmul->k, g.tk));
  for (int64_t c = 0; c < cores; ++c) {
    auto core = mlir::npu::CoreOp::create(builder, loc, c);
    OpBuilder::InsertionGuard coreGuard(builder);
    builder.setInsertionPointToStart(&core.getBody().emplaceBlock());
    std::vector<Tile> mine;
    for (size_t t = c; t < tiles.size(); t += cores)
      mine.push_back(tiles[t]);
    CoreEmitter emitter = layout;
    if (sh.a)
      emitter.aGroup = {c / sh.pn * sh.pn, sh.pn, 1};
    if (sh.b)
      emitter.bGroup = {c % sh.pn, sh.pm, sh.pn};
    emitter.emit(mine);
  }
  return kernel;
}

} // namespace nuri::npu_target
