//===- TileAndVectorize.cpp - workgroup and register tiling ---------------===//
//
// Two levels, like a GPU grid: the kernel's root op (with its producers
// fused) is split over workgroups by an scf.forall, and each op inside is
// tiled to a register-sized tile that the vectorizer turns into vector ops.
// Tile sizes always divide the static extents so no masking is needed;
// symbolic extents are tiled by 1.
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
  if (!tileable || !isa<linalg::LinalgOp>(root))
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
  SmallVector<OpFoldResult> tiles(ranges.size(), rewriter.getIndexAttr(0));
  int64_t count = 1;
  int distributed = 0;
  for (size_t i = 0; i < ranges.size() && distributed < 2; ++i) {
    if (iters[i] != utils::IteratorType::parallel || ranges[i] <= 1)
      continue;
    int64_t t = workgroupTile(ranges[i], 16);
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
  return op->hasAttr("nuri.conv") ||
         isa<linalg::DepthwiseConv2DNchwChwOp, linalg::PoolingNchwMaxOp,
             linalg::PoolingNchwSumOp>(op);
}

/// Register tile sizes for one op (1 = scalar loop, extent = whole dim).
SmallVector<int64_t> registerTiles(linalg::LinalgOp op, ArrayRef<int64_t> ranges) {
  size_t n = ranges.size();
  SmallVector<int64_t> tiles(n, 1);
  if (op->hasAttr("nuri.conv")) {
    // (n, f, oh, ow, c, kh, kw) with filters-last weights: a vector of 16
    // filters x up to 8 outputs of a row; per (c, kh, kw) one weight vector
    // load, 8 input broadcasts, 8 FMAs, for any stride and row width.
    tiles[1] = vectorWidth(ranges[1], 16);
    tiles[3] = divisorAtMost(ranges[3], 8);
    return tiles;
  }
  if (isWindowOp(op)) {
    // Up to 4 rows of a row-vector of outputs of one channel, so each window
    // step feeds 4 independent FMA (or max) chains. The loops are found
    // through the NCHW output map: named ops order them differently
    // (depthwise iterates n, oh, ow, c).
    AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    if (out.getNumResults() == 4 && out.isProjectedPermutation()) {
      unsigned oh = out.getDimPosition(2), ow = out.getDimPosition(3);
      tiles[oh] = divisorAtMost(ranges[oh], 4);
      tiles[ow] = vectorWidth(ranges[ow], 32);
    }
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

/// Input maps like `s * d` (strided windows) become `d` over a strided
/// slice of the operand, so every map is a projected permutation.
linalg::GenericOp foldStridesIntoSlices(RewriterBase &rewriter, linalg::GenericOp op) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<Value> inputs(op.getDpsInputs());
  bool changed = false;
  MLIRContext *ctx = op.getContext();
  rewriter.setInsertionPoint(op);
  for (auto [i, operand] : llvm::enumerate(inputs)) {
    auto type = dyn_cast<RankedTensorType>(operand.getType());
    AffineMap map = maps[i];
    if (!type || map.isProjectedPermutation(/*allowZeroInResults=*/true))
      continue;
    SmallVector<int64_t> offsets(type.getRank(), 0), sizes, strides;
    SmallVector<AffineExpr> exprs;
    bool ok = true;
    for (AffineExpr e : map.getResults()) {
      int64_t stride = 1;
      AffineExpr dim = e;
      if (auto bin = dyn_cast<AffineBinaryOpExpr>(e); bin && e.getKind() == AffineExprKind::Mul)
        if (auto c = dyn_cast<AffineConstantExpr>(bin.getRHS())) {
          stride = c.getValue();
          dim = bin.getLHS();
        }
      if (auto de = dyn_cast<AffineDimExpr>(dim)) {
        sizes.push_back(ranges[de.getPosition()]);
        strides.push_back(stride);
        exprs.push_back(dim);
      } else if (auto ce = dyn_cast<AffineConstantExpr>(e); ce && ce.getValue() == 0) {
        sizes.push_back(1);
        strides.push_back(1);
        exprs.push_back(e);
      } else {
        ok = false;
        break;
      }
    }
    if (!ok)
      continue;
    auto sliceType = RankedTensorType::get(sizes, type.getElementType());
    inputs[i] = tensor::ExtractSliceOp::create(rewriter, op.getLoc(), sliceType, operand,
                                               ValueRange{}, ValueRange{}, ValueRange{},
                                               offsets, sizes, strides);
    maps[i] = AffineMap::get(map.getNumDims(), 0, exprs, ctx);
    changed = true;
  }
  if (!changed)
    return op;
  auto replacement = linalg::GenericOp::create(
      rewriter, op.getLoc(), op.getResultTypes(), inputs, op.getDpsInits(), maps,
      op.getIteratorTypesArray());
  rewriter.inlineRegionBefore(op.getRegion(), replacement.getRegion(),
                              replacement.getRegion().begin());
  rewriter.replaceOp(op, replacement.getResults());
  return replacement;
}

/// A window tile has unit window dims: as a generic without them, and with
/// strides moved into slices, its maps are projected permutations the
/// vectorizer accepts. Filters-last convolutions are interchanged so the
/// filter dimension is the vector's contiguous one.
Operation *simplifyWindowTile(RewriterBase &rewriter, Operation *tile) {
  rewriter.setInsertionPoint(tile);
  bool filtersLast = tile->hasAttr("nuri.conv");
  FailureOr<linalg::GenericOp> generic = failure();
  if (auto g = dyn_cast<linalg::GenericOp>(tile))
    generic = g;
  else
    generic = linalg::generalizeNamedOp(rewriter, cast<linalg::LinalgOp>(tile));
  if (failed(generic))
    return tile;
  linalg::ControlDropUnitDims options;
  options.rankReductionStrategy =
      linalg::ControlDropUnitDims::RankReductionStrategy::ExtractInsertSlice;
  auto dropped = linalg::dropUnitDims(rewriter, *generic, options);
  if (failed(dropped))
    return *generic;
  rewriter.replaceOp(*generic, dropped->replacements);
  auto result = cast<linalg::GenericOp>(dropped->resultOp.getOperation());
  if (filtersLast && result.getNumLoops() == 2) {
    auto swapped = linalg::interchangeGenericOp(rewriter, result, {1, 0});
    if (succeeded(swapped))
      result = *swapped;
  }
  return foldStridesIntoSlices(rewriter, result);
}

void tileAndVectorize(RewriterBase &rewriter, linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumLoops() == 0)
    return;
  if (isa<linalg::Conv2DNgchwGfchwOp>(op))
    return; // grouped (non-depthwise) conv: scalar loops for now
  // Bools are one byte each in memory, but LLVM packs vector<Nxi1> loads and
  // stores into bits: ops that touch bool tensors stay scalar.
  auto isBool = [](Type t) { return getElementTypeOrSelf(t).isInteger(1); };
  if (llvm::any_of(op->getOperandTypes(), isBool) || llvm::any_of(op->getResultTypes(), isBool))
    return;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  // A symbolic extent (a batch or sequence length known at run time) is
  // tiled by 1: the tile inside is static over the other dims and vectorizes
  // as any other (tiles of 1 need no bound, see getBoundedTileSize).
  SmallVector<int64_t> known(ranges);
  for (int64_t &r : known)
    if (ShapedType::isDynamic(r))
      r = 1;
  SmallVector<int64_t> tiles = registerTiles(op, known);
  Operation *target = op;
  if (tiles != ranges) {
    SmallVector<OpFoldResult> sizes;
    for (auto [t, r] : llvm::zip(tiles, ranges))
      sizes.push_back(rewriter.getIndexAttr(t == r && !ShapedType::isDynamic(r) ? 0 : t));
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
    (void)runRegionDCE(rewriter, fn->getRegions());
    SmallVector<linalg::LinalgOp> ops;
    fn.walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    for (auto op : ops)
      tileAndVectorize(rewriter, op);
  }
};

} // namespace
