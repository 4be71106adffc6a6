//===- TileAndVectorize.cpp - workgroup and register tiling ---------------===//
//
// Two levels, like a GPU grid: the kernel's root op (with its producers
// fused) is split over workgroups by an scf.forall, and each op inside is
// tiled to a register-sized tile that the vectorizer turns into vector ops.
// Tile sizes always divide the (static) extents so no masking is needed.
//
//===----------------------------------------------------------------------===//
#include "targets/cpu/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/RegionUtils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::nuri::cpu {
#define GEN_PASS_DEF_NURICPUTILEANDVECTORIZE
#include "targets/cpu/Passes.h.inc"
} // namespace mlir::nuri::cpu

using namespace mlir;

namespace {

/// Largest divisor of `extent` that is <= `limit`.
int64_t divisorAtMost(int64_t extent, int64_t limit) {
  for (int64_t t = std::min(extent, limit); t > 1; --t)
    if (extent % t == 0)
      return t;
  return 1;
}

/// Largest power of two dividing `extent`, at most `limit`: vector widths
/// that are not powers of two legalize into split registers and spills.
int64_t vectorWidth(int64_t extent, int64_t limit) {
  int64_t w = 1;
  while (w * 2 <= limit && extent % (w * 2) == 0)
    w *= 2;
  return w;
}

/// A workgroup tile for one loop: the smallest divisor of the extent that
/// is at least an eighth of it, preferring multiples of `align` (then of
/// align/2, ...) so register tiles and vectors still divide the tile.
int64_t workgroupTile(int64_t extent, int64_t align) {
  int64_t goal = std::max<int64_t>(1, extent / 8);
  for (int64_t a = align; a >= 1; a /= 2)
    for (int64_t t = 1; t <= extent; ++t)
      if (extent % t == 0 && t % a == 0 && t >= goal)
        return t;
  return extent;
}

SmallVector<int64_t> staticRanges(Operation *op) {
  if (auto l = dyn_cast<linalg::LinalgOp>(op))
    return l.getStaticLoopRanges();
  if (auto p = dyn_cast<tensor::PadOp>(op))
    return SmallVector<int64_t>(p.getResultType().getShape());
  return {};
}

/// Below this many loop iterations (roughly multiply-adds) a kernel is not
/// split: a workgroup must outweigh the thread pool's hand-off.
constexpr int64_t kMinIterationsToDistribute = 1 << 14;

/// Tiles the kernel's root over workgroups; returns the workgroup count.
int64_t tileWorkgroups(RewriterBase &rewriter, func::FuncOp fn) {
  SmallVector<bufferization::MaterializeInDestinationOp> outs;
  fn.walk([&](bufferization::MaterializeInDestinationOp m) { outs.push_back(m); });
  if (outs.size() != 1)
    return 1;
  Operation *root = outs[0].getSource().getDefiningOp();
  auto tileable = dyn_cast_or_null<TilingInterface>(root);
  if (!tileable || !(isa<linalg::LinalgOp>(root) || isa<tensor::PadOp>(root)))
    return 1;
  SmallVector<int64_t> ranges = staticRanges(root);
  auto iters = tileable.getLoopIteratorTypes();
  if (ranges.size() != iters.size() || llvm::any_of(ranges, ShapedType::isDynamic))
    return 1;
  // Tiny kernels run as one workgroup: splitting them costs more than it saves.
  int64_t iterations = 1;
  for (int64_t r : ranges)
    iterations *= r;
  if (iterations < kMinIterationsToDistribute)
    return 1;
  int lastParallel = -1;
  for (size_t i = 0; i < iters.size(); ++i)
    if (iters[i] == utils::IteratorType::parallel)
      lastParallel = i;
  SmallVector<OpFoldResult> tiles(ranges.size(), rewriter.getIndexAttr(0));
  int64_t count = 1;
  int distributed = 0;
  for (size_t i = 0; i < ranges.size() && distributed < 2; ++i) {
    if (iters[i] != utils::IteratorType::parallel || ranges[i] <= 1)
      continue;
    int64_t t = workgroupTile(ranges[i], (int)i == lastParallel ? 16 : 8);
    if (t >= ranges[i])
      continue;
    tiles[i] = rewriter.getIndexAttr(t);
    count *= ranges[i] / t;
    ++distributed;
  }
  if (count <= 1)
    return 1;
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(tiles);
  tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  scf::SCFTileAndFuseOptions options;
  options.setTilingOptions(tiling);
  rewriter.setInsertionPoint(root);
  auto result = scf::tileConsumerAndFuseProducersUsingSCF(rewriter, tileable, options);
  if (failed(result) || result->loops.empty())
    return 1;
  for (auto [orig, repl] : result->replacements)
    rewriter.replaceAllUsesWith(orig, repl);
  result->loops.front()->setAttr("nuri.workgroups", rewriter.getUnitAttr());
  return count;
}

/// Windowed ops (conv, depthwise conv, pooling) are tiled so that every
/// window dimension and the output row are 1: each tile is then a broadcast
/// multiply-add (or max) of a row of the input into an accumulator tile.
bool isWindowOp(Operation *op) {
  return isa<linalg::Conv2DNchwFchwOp, linalg::DepthwiseConv2DNchwChwOp,
             linalg::PoolingNchwMaxOp, linalg::PoolingNchwSumOp>(op);
}

/// Register tile sizes for one op (1 = scalar loop, extent = whole dim).
SmallVector<int64_t> registerTiles(linalg::LinalgOp op, ArrayRef<int64_t> ranges) {
  size_t n = ranges.size();
  SmallVector<int64_t> tiles(n, 1);
  if (isa<linalg::Conv2DNchwFchwOp>(op)) {
    // (n, f, oh, ow, c, kh, kw): 16 filters x a vector of one output row;
    // per (c, kh, kw) one row load, 16 broadcasts, 16 FMAs.
    tiles[1] = divisorAtMost(ranges[1], 16);
    tiles[3] = vectorWidth(ranges[3], 16);
    return tiles;
  }
  if (isWindowOp(op)) {
    // (n, c, oh, ow, kh, kw): a row of outputs of one channel.
    tiles[3] = vectorWidth(ranges[3], 32);
    return tiles;
  }
  if (linalg::isaContractionOpInterface(op)) {
    auto dims = linalg::inferContractionDims(op);
    if (succeeded(dims) && !dims->m.empty() && !dims->n.empty()) {
      tiles[dims->m.back()] = divisorAtMost(ranges[dims->m.back()], 8);
      tiles[dims->n.back()] = vectorWidth(ranges[dims->n.back()], 32);
      return tiles;
    }
  }
  tiles[n - 1] = vectorWidth(ranges[n - 1], 16);
  return tiles;
}

/// A window tile has unit window dims: as a generic without them, its
/// indexing maps are projected permutations the vectorizer accepts.
Operation *simplifyWindowTile(RewriterBase &rewriter, Operation *tile) {
  rewriter.setInsertionPoint(tile);
  auto generic = linalg::generalizeNamedOp(rewriter, cast<linalg::LinalgOp>(tile));
  if (failed(generic))
    return tile;
  linalg::ControlDropUnitDims options;
  options.rankReductionStrategy =
      linalg::ControlDropUnitDims::RankReductionStrategy::ExtractInsertSlice;
  auto dropped = linalg::dropUnitDims(rewriter, *generic, options);
  if (failed(dropped))
    return *generic;
  rewriter.replaceOp(*generic, dropped->replacements);
  return dropped->resultOp;
}

void tileAndVectorize(RewriterBase &rewriter, linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumLoops() == 0)
    return;
  if (isa<linalg::Conv2DNgchwGfchwOp>(op))
    return; // grouped (non-depthwise) conv: scalar loops for now
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (llvm::any_of(ranges, ShapedType::isDynamic))
    return;
  SmallVector<int64_t> tiles = registerTiles(op, ranges);
  Operation *target = op;
  if (tiles != ranges) {
    SmallVector<OpFoldResult> sizes;
    for (auto [t, r] : llvm::zip(tiles, ranges))
      sizes.push_back(rewriter.getIndexAttr(t == r ? 0 : t));
    scf::SCFTilingOptions options;
    options.setTileSizes(sizes);
    rewriter.setInsertionPoint(op);
    auto tiled = scf::tileUsingSCF(rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled))
      return;
    rewriter.replaceOp(op, tiled->replacements);
    target = tiled->tiledOps.front();
  }
  if (isWindowOp(target))
    target = simplifyWindowTile(rewriter, target);
  rewriter.setInsertionPoint(target);
  auto v = linalg::vectorize(rewriter, target);
  if (succeeded(v))
    rewriter.replaceOp(target, v->replacements);
}

struct TileAndVectorizePass
    : mlir::nuri::cpu::impl::NuriCpuTileAndVectorizeBase<TileAndVectorizePass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    IRRewriter rewriter(&getContext());
    int64_t count = tileWorkgroups(rewriter, fn);
    fn->setAttr("nuri.workgroup_count", rewriter.getI64IntegerAttr(count));
    // The untiled originals are dead now; tiling them would be wasted work.
    SmallVector<Operation *> all;
    fn.walk<WalkOrder::PostOrder>([&](Operation *op) { all.push_back(op); });
    for (Operation *op : llvm::reverse(all))
      if (isOpTriviallyDead(op))
        rewriter.eraseOp(op);
    SmallVector<linalg::LinalgOp> ops;
    fn.walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    for (auto op : ops)
      tileAndVectorize(rewriter, op);
  }
};

} // namespace
