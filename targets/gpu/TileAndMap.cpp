//===- TileAndMap.cpp - workgroup and thread tiling, mapping to gpu.launch ===//
//
// Shared by the GPU targets (vulkan, cuda). Like the cpu's two levels, but
// both are scf.foralls with GPU mappings: the outer one's iterations are
// workgroups, the inner one's threads. Producers
// are fused into both, so a dispatch is one kernel and the intermediates of
// a thread's tile live in its private memory. The mapping itself is the
// transform dialect's (map_forall_to_blocks / map_nested_forall_to_threads),
// applied from C++ on the bufferized kernel.
//
//===----------------------------------------------------------------------===//
#include "targets/gpu/Passes.h"
#include "targets/gpu/Tiling.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/GPU/TransformOps/GPUTransformOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/SPIRV/IR/TargetAndABI.h"
#include "mlir/Dialect/Transform/IR/TransformOps.h"
#include "mlir/Dialect/Transform/Transforms/TransformInterpreterUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::nuri::gpu_common {
#define GEN_PASS_DEF_NURIGPUTILE
#define GEN_PASS_DEF_NURIGPUMAPTOLAUNCH
#define GEN_PASS_DEF_NURIGPUTHREADLOOPS
#include "targets/gpu/Passes.h.inc"
} // namespace mlir::nuri::gpu_common

using namespace mlir;
using namespace mlir::nuri::gpu_common;

namespace mlir::nuri::gpu_common {

int64_t divisorAtMost(int64_t extent, int64_t limit) {
  for (int64_t t = std::min(extent, limit); t > 1; --t)
    if (extent % t == 0)
      return t;
  return 1;
}

Operation *tileAndFuse(RewriterBase &rewriter, TilingInterface op, ArrayRef<int64_t> sizes,
                       ArrayRef<Attribute> mapping) {
  SmallVector<OpFoldResult> tiles;
  for (int64_t s : sizes)
    tiles.push_back(rewriter.getIndexAttr(s));
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(tiles);
  tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  tiling.setMapping(mapping);
  scf::SCFTileAndFuseOptions options;
  options.setTilingOptions(tiling);
  rewriter.setInsertionPoint(op);
  auto result = scf::tileConsumerAndFuseProducersUsingSCF(rewriter, op, options);
  if (failed(result) || result->loops.empty())
    return nullptr;
  for (auto [orig, repl] : result->replacements)
    rewriter.replaceAllUsesWith(orig, repl);
  return result->tiledAndFusedOps.front();
}

LogicalResult normalizeLoops(RewriterBase &rewriter, func::FuncOp fn) {
  SmallVector<scf::ForallOp> foralls;
  fn.walk([&](scf::ForallOp f) { foralls.push_back(f); });
  for (scf::ForallOp f : foralls) {
    rewriter.setInsertionPoint(f);
    if (failed(normalizeForallOp(rewriter, f)))
      return failure();
  }
  return success();
}

} // namespace mlir::nuri::gpu_common


bool mlir::nuri::gpu_common::computesTiles(Operation *op) {
  return op->hasAttr("nuri.conv") || (isa<linalg::LinalgOp>(op) &&
                                      linalg::isaContractionOpInterface(cast<linalg::LinalgOp>(op)));
}

namespace {

/// A padded copy (`insert_slice %x into fill(%c)`, what a Pad or a
/// convolution's padding becomes) as a linalg.generic over the result: each
/// element reads the source at its clamped position and keeps it inside the
/// slice, the fill value outside. Then it tiles and maps like any other op
/// instead of staying on the host.
linalg::GenericOp paddedCopyAsGeneric(RewriterBase &rewriter, tensor::InsertSliceOp insert) {
  auto fill = insert.getDest().getDefiningOp<linalg::FillOp>();
  RankedTensorType dest = insert.getDestType(), src = insert.getSourceType();
  if (!fill || !dest.hasStaticShape() || !src.hasStaticShape() || src.getRank() != dest.getRank() ||
      !insert.hasUnitStride() || ShapedType::isDynamicShape(insert.getStaticOffsets()))
    return nullptr;
  ArrayRef<int64_t> offsets = insert.getStaticOffsets();
  Location loc = insert.getLoc();
  rewriter.setInsertionPoint(insert);
  int64_t rank = dest.getRank();
  Value init = tensor::EmptyOp::create(rewriter, loc, dest.getShape(), dest.getElementType());
  SmallVector<AffineMap> maps{rewriter.getMultiDimIdentityMap(rank)};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  Value source = insert.getSource(), value = fill.getInputs()[0];
  auto generic = linalg::GenericOp::create(
      rewriter, loc, TypeRange{dest}, ValueRange{}, ValueRange{init}, maps, iters,
      [&](OpBuilder &b, Location l, ValueRange) {
        Value inside;
        SmallVector<Value> at;
        for (int64_t d = 0; d < rank; ++d) {
          Value i = linalg::IndexOp::create(b, l, d);
          Value lo = arith::ConstantIndexOp::create(b, l, offsets[d]);
          Value hi = arith::ConstantIndexOp::create(b, l, offsets[d] + src.getDimSize(d));
          Value ok = arith::AndIOp::create(
              b, l, arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, i, lo),
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, hi));
          inside = inside ? arith::AndIOp::create(b, l, inside, ok).getResult() : ok;
          // Clamped, so the read is in bounds even where it is not used.
          Value j = arith::SubIOp::create(b, l, i, lo);
          j = arith::MaxSIOp::create(b, l, j, arith::ConstantIndexOp::create(b, l, 0));
          j = arith::MinSIOp::create(b, l, j,
                                     arith::ConstantIndexOp::create(b, l, src.getDimSize(d) - 1));
          at.push_back(j);
        }
        Value v = tensor::ExtractOp::create(b, l, source, at);
        linalg::YieldOp::create(b, l, ValueRange{arith::SelectOp::create(b, l, inside, v, value)});
      });
  rewriter.replaceOp(insert, generic.getResults());
  return generic;
}

struct TilePass : mlir::nuri::gpu_common::impl::NuriGpuTileBase<TilePass> {
  using Base::Base;
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (workgroupSpace != "spirv-workgroup" && workgroupSpace != "gpu") {
      fn.emitError("nuri-gpu-tile: workgroup-space must be spirv-workgroup or gpu");
      return signalPassFailure();
    }
    SmallVector<bufferization::MaterializeInDestinationOp> outs;
    fn.walk([&](bufferization::MaterializeInDestinationOp m) { outs.push_back(m); });
    if (outs.size() != 1) {
      fn.emitError("a dispatch with " + std::to_string(outs.size()) +
                   " results is not one kernel yet");
      return signalPassFailure();
    }
    IRRewriter rewriter(fn.getContext());
    if (auto insert = outs[0].getSource().getDefiningOp<tensor::InsertSliceOp>())
      (void)paddedCopyAsGeneric(rewriter, insert);
    auto root = dyn_cast_or_null<linalg::LinalgOp>(outs[0].getSource().getDefiningOp());
    if (!root) {
      fn.emitError("the dispatch's result is not computed by a linalg op");
      return signalPassFailure();
    }
    if (workgroupReductions) {
      MLIRContext *ctx = fn.getContext();
      Attribute space =
          workgroupSpace == "gpu"
              ? Attribute(gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup))
              : Attribute(spirv::StorageClassAttr::get(ctx, spirv::StorageClass::Workgroup));
      FailureOr<std::array<int64_t, 3>> rows = tileRowReductions(fn, space);
      if (succeeded(rows)) {
        fn->setAttr("nuri.gpu.block", rewriter.getDenseI64ArrayAttr(*rows));
        return;
      }
    }
    SmallVector<int64_t> ranges = root.getStaticLoopRanges();
    auto iters = root.getIteratorTypesArray();
    // The innermost (up to) three parallel dims longer than 1 map to x, y, z
    // (unit dims would waste a mapping: a pooled [1, C, 1, 1] maps C to x).
    SmallVector<unsigned> mapped;
    for (int64_t d = ranges.size() - 1; d >= 0 && mapped.size() < 3; --d)
      if (iters[d] == utils::IteratorType::parallel && ranges[d] > 1)
        mapped.push_back(d);
    for (int64_t d = ranges.size() - 1; d >= 0 && mapped.empty(); --d)
      if (iters[d] == utils::IteratorType::parallel)
        mapped.push_back(d);
    if (mapped.empty()) {
      fn.emitError("the kernel has no parallel dimension");
      return signalPassFailure();
    }
    // A matmul or convolution (the root, or a producer under its epilogue)
    // gets register tiles: each thread reuses its loads 4 times each way.
    bool tiles = false;
    fn.walk([&](linalg::LinalgOp op) { tiles |= computesTiles(op); });
    SmallVector<int64_t> threadTile(ranges.size(), 0), blockTile(ranges.size(), 0);
    int64_t threads[3] = {1, 1, 1};
    int64_t budget = kMaxThreads;
    for (auto [k, d] : llvm::enumerate(mapped)) {
      int64_t tt = tiles && k < 2 ? divisorAtMost(ranges[d], 4) : 1;
      // Register-tiled kernels: 16x16 threads of 4x4 (64x64 per workgroup).
      // z is limited to 64 threads on every Vulkan and CUDA device.
      int64_t limit = k == 0 ? (tiles ? 16 : 64) : k == 2 ? std::min<int64_t>(budget, 64) : budget;
      int64_t th = divisorAtMost(ranges[d] / tt, std::min(limit, budget));
      budget /= th;
      threads[k] = th;
      threadTile[d] = tt;
      blockTile[d] = tt * th;
    }
    MLIRContext *ctx = fn.getContext();
    auto blockMapping = [&](bool thread) {
      // Loops appear in dim order (outer first); mapped[0] is x.
      SmallVector<Attribute> m;
      for (unsigned d = 0; d < ranges.size(); ++d) {
        auto it = llvm::find(mapped, d);
        if (it == mapped.end())
          continue;
        auto id = static_cast<gpu::MappingId>(it - mapped.begin());
        m.push_back(thread ? Attribute(gpu::GPUThreadMappingAttr::get(ctx, id))
                           : Attribute(gpu::GPUBlockMappingAttr::get(ctx, id)));
      }
      return m;
    };
    Operation *tiled = tileAndFuse(rewriter, cast<TilingInterface>(root.getOperation()),
                                   blockTile, blockMapping(false));
    if (!tiled) {
      fn.emitError("tiling over workgroups failed");
      return signalPassFailure();
    }
    (void)runRegionDCE(rewriter, fn->getRegions());
    // Inside the workgroup tile the mapped dims have the block tile's extent.
    SmallVector<int64_t> inner(ranges.size(), 0);
    for (unsigned d : mapped)
      inner[d] = threadTile[d];
    if (!tileAndFuse(rewriter, cast<TilingInterface>(tiled), inner, blockMapping(true))) {
      fn.emitError("tiling over threads failed");
      return signalPassFailure();
    }
    (void)runRegionDCE(rewriter, fn->getRegions());
    if (failed(normalizeLoops(rewriter, fn))) {
      fn.emitError("normalizing the tile loops failed");
      return signalPassFailure();
    }
    fn->setAttr("nuri.gpu.block",
                rewriter.getDenseI64ArrayAttr({threads[0], threads[1], threads[2]}));
  }
};

/// Thread-private buffers of fused producers: memref.alloc inside the launch
/// becomes an alloca (GPUs have no heap in a kernel).
LogicalResult privatizeAllocs(gpu::LaunchOp launch, bool spirvFunction) {
  SmallVector<memref::AllocOp> allocs, shared;
  launch.walk([&](memref::AllocOp a) { (a.getType().getMemorySpace() ? shared : allocs).push_back(a); });
  // Workgroup memory the tiling asked for: SPIR-V's become variables of the
  // module (memref-to-spirv takes them from the launch's top), the gpu
  // dialect's the launch's attributions.
  Block &top = launch.getBody().front();
  for (memref::AllocOp a : shared) {
    if (!a.getType().hasStaticShape())
      return a.emitError("a workgroup buffer of dynamic shape");
    if (isa<gpu::AddressSpaceAttr>(a.getType().getMemorySpace())) {
      a.replaceAllUsesWith(launch.addWorkgroupAttribution(a.getType(), a.getLoc()));
      a.erase();
    } else {
      a->moveBefore(&top, top.begin());
    }
  }
  // SPIR-V wants the Function storage class; NVVM's default space is the
  // thread's local memory.
  Attribute space;
  if (spirvFunction)
    space = spirv::StorageClassAttr::get(launch.getContext(), spirv::StorageClass::Function);
  for (memref::AllocOp alloc : allocs) {
    MemRefType type = alloc.getType();
    if (!type.hasStaticShape() || type.getNumElements() * 4 > 16384)
      return alloc.emitError("a thread's intermediate tile of " +
                             std::to_string(type.getNumElements()) +
                             " elements is too large for private memory");
    OpBuilder b(alloc);
    auto privateType = MemRefType::get(type.getShape(), type.getElementType(), type.getLayout(), space);
    Value replacement = memref::AllocaOp::create(b, alloc.getLoc(), privateType);
    for (Operation *user : llvm::make_early_inc_range(alloc->getUsers())) {
      if (isa<memref::DeallocOp>(user)) {
        user->erase();
        continue;
      }
      if (!isa<linalg::LinalgOp, memref::CopyOp, memref::LoadOp, memref::StoreOp>(user))
        return user->emitError("a private buffer used by " +
                               user->getName().getStringRef().str() + " is not supported yet");
    }
    alloc.replaceAllUsesWith(replacement);
    alloc.erase();
  }
  return success();
}

struct MapToGpuPass : mlir::nuri::gpu_common::impl::NuriGpuMapToLaunchBase<MapToGpuPass> {
  using Base::Base;
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    auto block = fn->getAttrOfType<DenseI64ArrayAttr>("nuri.gpu.block");
    if (!block)
      return; // not tiled for a GPU
    std::string script =
        "module attributes {transform.with_named_sequence} {\n"
        "  transform.named_sequence @__transform_main(%f: !transform.any_op {transform.consumed}) {\n"
        "    %l = transform.gpu.map_forall_to_blocks %f { generate_gpu_launch } : "
        "(!transform.any_op) -> !transform.any_op\n"
        "    transform.gpu.map_nested_forall_to_threads %l block_dims = [" +
        std::to_string(block[0]) + ", " + std::to_string(block[1]) + ", " +
        std::to_string(block[2]) +
        "] : (!transform.any_op) -> !transform.any_op\n"
        "    transform.yield\n  }\n}\n";
    ParserConfig config(fn.getContext());
    OwningOpRef<ModuleOp> transforms = parseSourceString<ModuleOp>(script, config);
    if (!transforms) {
      fn.emitError("internal error: the mapping script does not parse");
      return signalPassFailure();
    }
    Operation *entry = transform::detail::findTransformEntryPoint(fn, *transforms);
    if (!entry ||
        failed(transform::applyTransformNamedSequence(fn, entry, *transforms,
                                                      transform::TransformOptions()))) {
      fn.emitError("mapping the tiles to workgroups and threads failed");
      return signalPassFailure();
    }
    SmallVector<gpu::LaunchOp> launches;
    fn.walk([&](gpu::LaunchOp l) { launches.push_back(l); });
    if (launches.size() != 1) {
      fn.emitError("the kernel did not become one launch");
      return signalPassFailure();
    }
    if (privateSpace != "spirv-function" && privateSpace != "default") {
      fn.emitError("nuri-gpu-map-to-launch: private-space must be spirv-function or default");
      return signalPassFailure();
    }
    if (failed(privatizeAllocs(launches.front(), privateSpace == "spirv-function")))
      return signalPassFailure();
    // Bufferization leaves tiles copied onto themselves where they were
    // computed in place.
    fn.walk([](memref::CopyOp copy) {
      if (copy.getSource() == copy.getTarget())
        copy.erase();
    });
    fn->removeAttr("nuri.gpu.block");
  }
};

struct ThreadLoopsPass : mlir::nuri::gpu_common::impl::NuriGpuThreadLoopsBase<ThreadLoopsPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    IRRewriter rewriter(fn.getContext());
    SmallVector<linalg::LinalgOp> ops;
    fn.walk([&](gpu::LaunchOp launch) { launch.walk([&](linalg::LinalgOp op) { ops.push_back(op); }); });
    for (linalg::LinalgOp op : ops) {
      rewriter.setInsertionPoint(op);
      Operation *target = op;
      auto iters = op.getIteratorTypesArray();
      if (llvm::is_contained(iters, utils::IteratorType::reduction) && op.hasPureBufferSemantics()) {
        // Reductions first, parallel dims (the register tile) inside.
        SmallVector<unsigned> order;
        for (unsigned d = 0; d < iters.size(); ++d)
          if (iters[d] == utils::IteratorType::reduction)
            order.push_back(d);
        for (unsigned d = 0; d < iters.size(); ++d)
          if (iters[d] != utils::IteratorType::reduction)
            order.push_back(d);
        FailureOr<linalg::GenericOp> generic = isa<linalg::GenericOp>(op.getOperation())
                                                   ? cast<linalg::GenericOp>(op.getOperation())
                                                   : linalg::generalizeNamedOp(rewriter, op);
        if (succeeded(generic)) {
          target = *generic;
          auto swapped = linalg::interchangeGenericOp(rewriter, *generic, order);
          if (succeeded(swapped))
            target = *swapped;
        }
      }
      rewriter.setInsertionPoint(target);
      auto loops = linalg::linalgOpToLoops(rewriter, cast<linalg::LinalgOp>(target));
      if (failed(loops)) {
        target->emitError("lowering a thread's tile to loops failed");
        return signalPassFailure();
      }
      rewriter.eraseOp(target);
    }
    // Short innermost loops, then the ones they were in (a 4x4 tile: two
    // rounds), while the unrolled body stays at most 64 copies.
    DenseMap<Operation *, int64_t> copies;
    for (int round = 0; round < 3; ++round) {
      SmallVector<std::pair<scf::ForOp, int64_t>> loops;
      fn.walk([&](scf::ForOp f) {
        bool inner = true;
        f.getBody()->walk([&](scf::ForOp) { inner = false; });
        auto lb = getConstantIntValue(f.getLowerBound()), ub = getConstantIntValue(f.getUpperBound()),
             st = getConstantIntValue(f.getStep());
        if (!inner || !lb || !ub || !st || *st <= 0)
          return;
        int64_t trip = (*ub - *lb + *st - 1) / *st;
        // Copies of the body made by unrolling loops that were inside f.
        int64_t body = std::max<int64_t>(1, copies.lookup(f.getOperation()));
        if (trip <= 16 && trip * body <= 64)
          loops.push_back({f, trip * body});
      });
      if (loops.empty())
        break;
      for (auto [f, n] : loops) {
        Operation *parent = f->getParentOp();
        if (succeeded(loopUnrollFull(f)))
          copies[parent] = std::max(copies.lookup(parent), n);
      }
    }
  }
};

} // namespace
