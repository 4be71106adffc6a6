//===- RowReduction.cpp - one row per workgroup for row reductions --------===//
//
// Tiled like an elementwise op, a Softmax or LayerNorm dispatch gives each
// thread one element of a row and fuses the row's reductions into it, so
// every thread recomputes the row's max and sum: N times the work for rows
// of N. Here a workgroup takes one row and its threads split it into equal
// chunks. Each reduction becomes upstream's partial-reduction tiling: every
// thread reduces its chunk into its own partial in workgroup memory, and a
// merge over the partials gives each thread the row's value. The row's
// elementwise ops are split into the same chunks, so a thread reads back
// what it wrote; the barrier the thread mapping puts after each thread loop
// orders the partials before the merge. Dispatches of another shape keep
// the one-element-per-thread tiling.
//
//===----------------------------------------------------------------------===//
#include "targets/gpu/Tiling.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"

using namespace mlir;

namespace mlir::nuri::gpu_common {
namespace {

/// Rows shorter than this keep a thread per element: the merge over the
/// partials would cost about what it saves.
constexpr int64_t kMinRow = 32;
/// Threads per row at most; each merge reads one partial per thread.
constexpr int64_t kRowThreads = 64;
/// Workgroup memory for a row's intermediates at most (every Vulkan 1.1
/// device has 16 KiB).
constexpr int64_t kWorkgroupBytes = 16384;

bool hasTileOp(func::FuncOp fn) {
  bool found = false;
  fn.walk([&](linalg::LinalgOp op) { found |= computesTiles(op); });
  return found;
}

/// Whether some reduction of the dispatch runs along a row long enough.
bool hasLongRowReduction(func::FuncOp fn) {
  bool found = false;
  fn.walk([&](linalg::LinalgOp op) {
    auto iters = op.getIteratorTypesArray();
    if (llvm::count(iters, utils::IteratorType::reduction) != 1)
      return;
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    for (auto [d, it] : llvm::enumerate(iters))
      if (it == utils::IteratorType::reduction && !ShapedType::isDynamic(ranges[d]) &&
          ranges[d] >= kMinRow)
        found = true;
  });
  return found;
}

/// The dims of `op` longer than 1; failure when a dim is not static.
FailureOr<SmallVector<unsigned>> longDims(linalg::LinalgOp op) {
  SmallVector<unsigned> dims;
  for (auto [d, n] : llvm::enumerate(op.getStaticLoopRanges())) {
    if (ShapedType::isDynamic(n))
      return failure();
    if (n > 1)
      dims.push_back(d);
  }
  return dims;
}

/// Splits `op` over the threads along `dim`, `size` elements each.
FailureOr<scf::SCFTilingResult> splitOverThreads(RewriterBase &rewriter, TilingInterface op,
                                                 unsigned dim, int64_t size, Attribute x,
                                                 bool partialReduction) {
  SmallVector<OpFoldResult> sizes(op.getLoopIteratorTypes().size(), rewriter.getIndexAttr(0));
  sizes[dim] = rewriter.getIndexAttr(size);
  scf::SCFTilingOptions options;
  options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  options.setTileSizes(sizes);
  options.setMapping({x});
  if (partialReduction) {
    options.setReductionTilingStrategy(ReductionTilingStrategy::PartialReductionOuterParallel);
    options.setReductionDims({dim});
  }
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> result = scf::tileUsingSCF(rewriter, op, options);
  if (failed(result) || result->loops.empty())
    return failure();
  return result;
}

/// The merge of T partials as a tree: while the count is even, half the
/// remaining threads combine partial i with partial i + T/2 into a new
/// buffer (one thread loop, so one barrier, per level), so a row of 64
/// partials takes 6 steps instead of 64 reads by every thread. What is left
/// (one partial, or an odd count) goes through the original merge, which
/// also folds in the reduction's initial value.
LogicalResult mergeAsTree(RewriterBase &rewriter, linalg::ReduceOp merge, Attribute x) {
  if (merge.getInputs().size() != 1 || merge.getDimensions().size() != 1)
    return success();
  unsigned d = merge.getDimensions().front();
  Value partials = merge.getInputs().front();
  auto type = cast<RankedTensorType>(partials.getType());
  Block &combiner = merge.getCombiner().front();
  Location loc = merge.getLoc();
  int64_t rank = type.getRank();
  for (int64_t count = type.getDimSize(d); count > 1 && count % 2 == 0;) {
    count /= 2;
    SmallVector<int64_t> shape(type.getShape());
    shape[d] = count;
    SmallVector<OpFoldResult> lo(rank, rewriter.getIndexAttr(0)), hi = lo, sizes, strides;
    hi[d] = rewriter.getIndexAttr(count);
    for (int64_t n : shape) {
      sizes.push_back(rewriter.getIndexAttr(n));
      strides.push_back(rewriter.getIndexAttr(1));
    }
    rewriter.setInsertionPoint(merge);
    auto half = RankedTensorType::get(shape, type.getElementType());
    Value a = tensor::ExtractSliceOp::create(rewriter, loc, half, partials, lo, sizes, strides);
    Value b = tensor::ExtractSliceOp::create(rewriter, loc, half, partials, hi, sizes, strides);
    Value init = tensor::EmptyOp::create(rewriter, loc, shape, type.getElementType());
    SmallVector<AffineMap> maps(3, rewriter.getMultiDimIdentityMap(rank));
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    auto step = linalg::GenericOp::create(
        rewriter, loc, TypeRange{half}, ValueRange{a, b}, ValueRange{init}, maps, iters,
        [&](OpBuilder &bb, Location, ValueRange args) {
          IRMapping map;
          map.map(combiner.getArgument(0), args[0]);
          map.map(combiner.getArgument(1), args[1]);
          for (Operation &op : combiner.without_terminator())
            bb.clone(op, map);
          linalg::YieldOp::create(bb, loc,
                                  map.lookup(combiner.getTerminator()->getOperand(0)));
        });
    FailureOr<scf::SCFTilingResult> tiled =
        splitOverThreads(rewriter, cast<TilingInterface>(step.getOperation()), d, 1, x, false);
    if (failed(tiled))
      return failure();
    rewriter.replaceOp(step, tiled->replacements);
    partials = tiled->replacements.front();
    type = cast<RankedTensorType>(partials.getType());
  }
  rewriter.modifyOpInPlace(merge, [&] { merge.getInputsMutable()[0].set(partials); });
  return success();
}

/// A thread loop whose shared output starts as a fill gets the fill
/// inside: each thread fills the slice it then writes, instead of all
/// threads filling the whole buffer while others already write it.
void fillInsideThreads(RewriterBase &rewriter, scf::ForallOp loop) {
  for (auto [i, init] : llvm::enumerate(loop.getOutputs())) {
    auto fill = init.getDefiningOp<linalg::FillOp>();
    if (!fill || !fill->hasOneUse())
      continue;
    BlockArgument arg = loop.getRegionIterArgs()[i];
    SmallVector<tensor::ExtractSliceOp> slices;
    bool plain = true;
    for (OpOperand &use : arg.getUses()) {
      if (auto slice = dyn_cast<tensor::ExtractSliceOp>(use.getOwner()))
        slices.push_back(slice);
      else if (!isa<tensor::ParallelInsertSliceOp>(use.getOwner()) ||
               use.getOperandNumber() != 1)
        plain = false;
    }
    if (!plain)
      continue;
    Value value = fill.getInputs().front();
    for (tensor::ExtractSliceOp slice : slices) {
      rewriter.setInsertionPointAfter(slice);
      auto inner = linalg::FillOp::create(rewriter, fill.getLoc(), value, slice.getResult());
      rewriter.replaceAllUsesExcept(slice.getResult(), inner.getResult(0), inner);
    }
    rewriter.modifyOpInPlace(loop, [&] { loop.getOutputsMutable()[i].set(fill.getOutputs()[0]); });
    rewriter.eraseOp(fill);
  }
}

LogicalResult tileRows(func::FuncOp fn, Attribute space, std::array<int64_t, 3> &block) {
  SmallVector<bufferization::MaterializeInDestinationOp> outs;
  fn.walk([&](bufferization::MaterializeInDestinationOp m) { outs.push_back(m); });
  if (outs.size() != 1)
    return failure();
  auto root = dyn_cast_or_null<linalg::LinalgOp>(outs[0].getSource().getDefiningOp());
  if (!root || !root.hasPureTensorSemantics())
    return failure();
  SmallVector<int64_t> ranges = root.getStaticLoopRanges();
  auto iters = root.getIteratorTypesArray();
  int64_t rank = ranges.size();
  if (rank == 0 || llvm::any_of(ranges, ShapedType::isDynamic))
    return failure();
  // The row runs along the root's reduction dim, or (an elementwise root,
  // as Softmax's last op) along its last dim.
  int64_t col = rank - 1;
  int64_t reductions = llvm::count(iters, utils::IteratorType::reduction);
  if (reductions > 1)
    return failure();
  if (reductions == 1)
    col = llvm::find(iters, utils::IteratorType::reduction) - iters.begin();
  int64_t n = ranges[col];
  int64_t threads = divisorAtMost(n, kRowThreads);
  if (n < kMinRow || threads < 8)
    return failure();

  // One row per workgroup: the other dims longer than 1 (innermost is x)
  // are the grid; with none, a unit dim gives the one-iteration loop.
  SmallVector<unsigned> mapped;
  for (int64_t d = rank - 1; d >= 0; --d)
    if (d != col && ranges[d] > 1)
      mapped.push_back(d);
  for (int64_t d = rank - 1; d >= 0 && mapped.empty(); --d)
    if (d != col)
      mapped.push_back(d);
  if (mapped.empty() || mapped.size() > 3)
    return failure();
  MLIRContext *ctx = fn.getContext();
  SmallVector<int64_t> blockTile(rank, 0);
  SmallVector<Attribute> blockMapping;
  for (int64_t d = 0; d < rank; ++d) {
    auto it = llvm::find(mapped, d);
    if (it == mapped.end())
      continue;
    blockTile[d] = 1;
    blockMapping.push_back(
        gpu::GPUBlockMappingAttr::get(ctx, static_cast<gpu::MappingId>(it - mapped.begin())));
  }
  IRRewriter rewriter(ctx);
  Operation *tiled = tileAndFuse(rewriter, cast<TilingInterface>(root.getOperation()), blockTile,
                                 blockMapping);
  if (!tiled)
    return failure();
  (void)runRegionDCE(rewriter, fn->getRegions());
  auto rowLoop = tiled->getParentOfType<scf::ForallOp>();
  if (!rowLoop)
    return failure();

  // Inside the row every op is a scalar (left to all threads: a merge, a
  // mean's division), or runs along the row: split over the threads.
  SmallVector<linalg::LinalgOp> ops;
  rowLoop.getBody()->walk([&](linalg::LinalgOp op) { ops.push_back(op); });
  Attribute x = gpu::GPUThreadMappingAttr::get(ctx, gpu::MappingId::DimX);
  bool split = false;
  for (linalg::LinalgOp op : ops) {
    FailureOr<SmallVector<unsigned>> dims = longDims(op);
    if (failed(dims) || dims->size() > 1)
      return failure();
    if (dims->empty())
      continue;
    unsigned d = dims->front();
    if (op.getStaticLoopRanges()[d] != n || op->getNumResults() != 1)
      return failure();
    FailureOr<scf::SCFTilingResult> result =
        splitOverThreads(rewriter, cast<TilingInterface>(op.getOperation()), d, n / threads, x,
                         op.getIteratorTypesArray()[d] == utils::IteratorType::reduction);
    if (failed(result))
      return failure();
    rewriter.replaceOp(op, result->replacements);
    if (result->mergeOps.size() == 1)
      if (auto merge = dyn_cast<linalg::ReduceOp>(result->mergeOps.front()))
        if (failed(mergeAsTree(rewriter, merge, x)))
          return failure();
    split = true;
  }
  if (!split)
    return failure();
  (void)runRegionDCE(rewriter, fn->getRegions());
  // What all threads run alike is small: scalars and merges of partials.
  bool small = true;
  rowLoop.getBody()->walk([&](linalg::LinalgOp op) {
    if (inThreadLoop(op))
      return;
    int64_t work = 1;
    for (int64_t r : op.getStaticLoopRanges())
      work *= r;
    small &= work <= threads;
  });
  if (!small)
    return failure();
  // Nothing may write workgroup memory (or the result) from all threads at
  // once: a fill racing with the partials written after it, a merge's
  // read-modify-write of its init. Each thread fills its own partials, and
  // what is left outside the thread loops runs on thread 0 (a one-iteration
  // thread loop, so the mapping's barrier follows it).
  SmallVector<scf::ForallOp> threadLoops;
  rowLoop.getBody()->walk([&](scf::ForallOp f) {
    if (f != rowLoop && f->getParentOp() == rowLoop.getOperation())
      threadLoops.push_back(f);
  });
  for (scf::ForallOp f : threadLoops)
    fillInsideThreads(rewriter, f);
  SmallVector<linalg::LinalgOp> rest;
  rowLoop.getBody()->walk([&](linalg::LinalgOp op) {
    if (!inThreadLoop(op))
      rest.push_back(op);
  });
  for (linalg::LinalgOp op : rest) {
    auto iters = op.getIteratorTypesArray();
    auto it = llvm::find(iters, utils::IteratorType::parallel);
    if (it == iters.end())
      return failure();
    FailureOr<scf::SCFTilingResult> one = splitOverThreads(
        rewriter, cast<TilingInterface>(op.getOperation()), it - iters.begin(), 1, x, false);
    if (failed(one) || op.getStaticLoopRanges()[it - iters.begin()] != 1)
      return failure();
    rewriter.replaceOp(op, one->replacements);
  }
  // The row's intermediates (partials, the merged values, elementwise
  // results the next op reads) are shared by the workgroup.
  SmallVector<tensor::EmptyOp> empties;
  rowLoop.getBody()->walk([&](tensor::EmptyOp e) {
    if (!inThreadLoop(e))
      empties.push_back(e);
  });
  int64_t bytes = 0;
  for (tensor::EmptyOp e : empties) {
    RankedTensorType type = e.getType();
    if (!type.hasStaticShape() || !type.getElementType().isIntOrFloat())
      return failure();
    bytes += type.getNumElements() * std::max<int64_t>(1, type.getElementTypeBitWidth() / 8);
    rewriter.setInsertionPoint(e);
    auto alloc = bufferization::AllocTensorOp::create(rewriter, e.getLoc(), type, ValueRange{});
    alloc.setMemorySpaceAttr(space);
    rewriter.replaceOp(e, alloc.getResult());
  }
  if (bytes > kWorkgroupBytes || failed(normalizeLoops(rewriter, fn)))
    return failure();
  block = {threads, 1, 1};
  return success();
}

} // namespace

bool inThreadLoop(Operation *op) {
  for (auto f = op->getParentOfType<scf::ForallOp>(); f; f = f->getParentOfType<scf::ForallOp>())
    if (std::optional<ArrayAttr> mapping = f.getMapping())
      for (Attribute a : *mapping)
        if (isa<gpu::GPUThreadMappingAttr>(a))
          return true;
  return false;
}

FailureOr<std::array<int64_t, 3>> tileRowReductions(func::FuncOp fn, Attribute workgroupSpace) {
  if (hasTileOp(fn) || !hasLongRowReduction(fn))
    return failure();
  // Tried on a copy: a dispatch that turns out not to be row-shaped keeps
  // its body, and the try's diagnostics are not the user's.
  MLIRContext *ctx = fn.getContext();
  OwningOpRef<ModuleOp> scratch = ModuleOp::create(fn.getLoc());
  auto work = cast<func::FuncOp>(fn->clone());
  scratch->push_back(work);
  std::array<int64_t, 3> block{};
  {
    ScopedDiagnosticHandler quiet(ctx, [](Diagnostic &) { return success(); });
    if (failed(tileRows(work, workgroupSpace, block)))
      return failure();
  }
  fn.getBody().takeBody(work.getBody());
  return block;
}

} // namespace mlir::nuri::gpu_common
