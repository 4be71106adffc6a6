//===- StageOperands.cpp - a workgroup's shared operands in workgroup memory ===//
//
// After mapping, every thread of a workgroup runs the same straight-line
// code with its own thread ids, so a cooperative copy is ordinary code in the
// launch body: the reduction of a thread's matmul or convolution tile is cut
// into chunks, and for each chunk all threads copy the chunk of the operand
// slices they share into workgroup memory (between barriers) before each
// computes its register tile from there. A 64x64 matmul tile with 16x16
// threads then reads each element of A and B from global memory once
// instead of 16 times.
//
//===----------------------------------------------------------------------===//
#include "targets/gpu/Passes.h"
#include "targets/gpu/Tiling.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVAttributes.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVEnums.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"

namespace mlir::nuri::gpu_common {
#define GEN_PASS_DEF_NURIGPUSTAGEOPERANDS
#include "targets/gpu/Passes.h.inc"
} // namespace mlir::nuri::gpu_common

using namespace mlir;

namespace {

/// Every Vulkan device has at least this much workgroup memory
/// (maxComputeSharedMemorySize); CUDA devices 48 KiB without opting in.
constexpr int64_t kWorkgroupBytes = 16384;
/// The longest chunk of the reduction: enough work per barrier pair, short
/// enough that the chunk's loop stays a loop and the copy stays small.
constexpr int64_t kMaxChunk = 16;
/// The shortest: a barrier pair is not free (lavapipe switches every
/// invocation at each), so an operand whose part would allow fewer steps
/// per chunk stays where it is.
constexpr int64_t kMinChunk = 4;

/// The kernel binding a view is a subview (chain) of, or null.
BlockArgument bindingOf(Value v) {
  while (auto sv = v.getDefiningOp<memref::SubViewOp>())
    v = sv.getSource();
  auto arg = dyn_cast<BlockArgument>(v);
  if (arg && isa<func::FuncOp>(arg.getOwner()->getParentOp()))
    return arg;
  return {};
}

/// Whether `v` may differ between the threads of a workgroup.
bool perThread(Value v, gpu::LaunchOp launch, DenseMap<Value, bool> &memo) {
  auto it = memo.find(v);
  if (it != memo.end())
    return it->second;
  bool result = false;
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    // Thread ids (and sizes) of the launch are per thread but for the block
    // ids; so, conservatively, is any block argument inside it (loop
    // variables).
    if (arg.getOwner() == &launch.getBody().front()) {
      gpu::KernelDim3 blocks = launch.getBlockIds();
      result = arg != blocks.x && arg != blocks.y && arg != blocks.z;
    } else {
      result = launch->isProperAncestor(arg.getOwner()->getParentOp());
    }
  } else {
    Operation *def = v.getDefiningOp();
    if (isa<gpu::ThreadIdOp, gpu::LaneIdOp, gpu::SubgroupIdOp>(def) || def->getNumRegions() > 0)
      result = true;
    else
      for (Value operand : def->getOperands())
        if (perThread(operand, launch, memo)) {
          result = true;
          break;
        }
  }
  memo[v] = result;
  return result;
}

/// One operand of a tile op, staged or sliced along the chunked dimension.
struct Operand {
  unsigned index;           // among the op's inputs
  int64_t position = -1;    // of the chunked loop dimension in the operand
  memref::SubViewOp view;   // the thread's view of the operand
  int64_t bytesPerStep = 0; // of the workgroup's part, per reduction step
  bool staged = false;
  // The workgroup's part of the view's source: per dimension, where the
  // threads' offsets are the same (the workgroup's) that offset and the
  // view's extent, where they differ the source's whole extent.
  SmallVector<bool> perThreadDim;
  SmallVector<int64_t> shape;
};

struct StagePass : mlir::nuri::gpu_common::impl::NuriGpuStageOperandsBase<StagePass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (workgroupSpace != "spirv-workgroup" && workgroupSpace != "gpu") {
      fn.emitError("nuri-gpu-stage-operands: workgroup-space must be spirv-workgroup or gpu");
      return signalPassFailure();
    }
    SmallVector<gpu::LaunchOp> launches;
    fn.walk([&](gpu::LaunchOp l) { launches.push_back(l); });
    for (gpu::LaunchOp launch : launches) {
      SmallVector<linalg::LinalgOp> ops;
      launch.walk([&](linalg::LinalgOp op) {
        if (mlir::nuri::gpu_common::computesTiles(op) && op.hasPureBufferSemantics())
          ops.push_back(op);
      });
      for (linalg::LinalgOp op : ops)
        stage(launch, op);
    }
  }

  /// The bindings the launch writes: a staged operand must not be one.
  static DenseSet<Value> writtenBindings(gpu::LaunchOp launch) {
    DenseSet<Value> written;
    launch.walk([&](Operation *op) {
      if (auto l = dyn_cast<linalg::LinalgOp>(op))
        for (OpOperand &init : l.getDpsInitsMutable())
          written.insert(bindingOf(init.get()));
      else if (auto s = dyn_cast<memref::StoreOp>(op))
        written.insert(bindingOf(s.getMemRef()));
      else if (auto c = dyn_cast<memref::CopyOp>(op))
        written.insert(bindingOf(c.getTarget()));
    });
    return written;
  }

  /// The reduction dimension to cut into chunks: one every input indexes
  /// plainly or not at all (K; a convolution's input channels, not its
  /// window dims), the longest such.
  static int64_t chunkDim(linalg::LinalgOp op) {
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    auto iters = op.getIteratorTypesArray();
    int64_t best = -1;
    for (unsigned d = 0; d < iters.size(); ++d) {
      if (iters[d] != utils::IteratorType::reduction || ShapedType::isDynamic(ranges[d]) ||
          ranges[d] < 2)
        continue;
      bool plain = true;
      for (OpOperand *in : op.getDpsInputOperands())
        for (AffineExpr e : op.getMatchingIndexingMap(in).getResults())
          if (e.isFunctionOfDim(d) && !isa<AffineDimExpr>(e))
            plain = false;
      if (plain && (best < 0 || ranges[d] > ranges[best]))
        best = d;
    }
    return best;
  }

  /// Fills in the workgroup's part of `o`'s view and whether staging it
  /// pays: threads that read one region at different offsets.
  static void describe(Operand &o, int64_t extent, int64_t threads, gpu::LaunchOp launch,
                       DenseMap<Value, bool> &memo) {
    auto source = cast<MemRefType>(o.view.getSource().getType());
    auto view = cast<MemRefType>(o.view.getType());
    if (!source.hasStaticShape() || !view.hasStaticShape() || source.getRank() != view.getRank() ||
        !source.getElementType().isIntOrFloat() ||
        source.getElementType().getIntOrFloatBitWidth() != 32 ||
        perThread(o.view.getSource(), launch, memo) || view.getDimSize(o.position) != extent ||
        getConstantIntValue(o.view.getMixedOffsets()[o.position]) != 0 ||
        !llvm::all_of(o.view.getMixedStrides(),
                      [](OpFoldResult s) { return getConstantIntValue(s) == 1; }))
      return;
    bool shared = false;
    int64_t elements = 1;
    for (auto [d, offset] : llvm::enumerate(o.view.getMixedOffsets())) {
      auto v = dyn_cast<Value>(offset);
      bool differs = d != unsigned(o.position) && v && perThread(v, launch, memo);
      shared |= differs;
      o.perThreadDim.push_back(differs);
      o.shape.push_back(differs ? source.getDimSize(d) : view.getDimSize(d));
      elements *= o.shape.back();
    }
    if (!shared || elements >= view.getNumElements() * threads)
      return;
    o.staged = true;
    o.bytesPerStep = elements / extent * 4;
  }

  void stage(gpu::LaunchOp launch, linalg::LinalgOp op) {
    int64_t r = chunkDim(op);
    if (r < 0)
      return;
    int64_t extent = op.getStaticLoopRanges()[r];
    gpu::KernelDim3 blockSize = launch.getBlockSizeOperandValues();
    auto bx = getConstantIntValue(blockSize.x), by = getConstantIntValue(blockSize.y),
         bz = getConstantIntValue(blockSize.z);
    if (!bx || !by || !bz)
      return;
    int64_t threads = *bx * *by * *bz;
    DenseSet<Value> written = writtenBindings(launch);
    DenseMap<Value, bool> memo;
    SmallVector<Operand> operands;
    for (auto [i, in] : llvm::enumerate(op.getDpsInputOperands())) {
      Operand o{static_cast<unsigned>(i)};
      AffineMap map = op.getMatchingIndexingMap(in);
      for (auto [p, e] : llvm::enumerate(map.getResults()))
        if (auto dim = dyn_cast<AffineDimExpr>(e); dim && dim.getPosition() == r)
          o.position = p;
      o.view = in->get().getDefiningOp<memref::SubViewOp>();
      // Staged: a view of a read-only binding whose threads read parts of
      // a shared region (different offsets, fewer elements in all than
      // they read).
      if (o.position >= 0 && o.view && bindingOf(o.view) && !written.contains(bindingOf(o.view)))
        describe(o, extent, threads, launch, memo);
      operands.push_back(o);
    }
    // The largest staged slices give way until the rest fits.
    auto stepBytes = [&] {
      int64_t b = 0;
      for (Operand &o : operands)
        b += o.staged ? o.bytesPerStep : 0;
      return b;
    };
    // At least kMinChunk steps between two barriers.
    while (stepBytes() * std::min(extent, kMinChunk) > kWorkgroupBytes) {
      Operand *largest = nullptr;
      for (Operand &o : operands)
        if (o.staged && (!largest || o.bytesPerStep > largest->bytesPerStep))
          largest = &o;
      largest->staged = false;
    }
    if (stepBytes() == 0)
      return;
    int64_t chunk = 1;
    for (int64_t c = std::min(extent, kMaxChunk); c > 1; --c)
      if (extent % c == 0 && c * stepBytes() <= kWorkgroupBytes) {
        chunk = c;
        break;
      }
    build(launch, op, r, extent, chunk, operands, {*bx, *by, *bz});
  }

  /// A workgroup buffer of `type`'s shape in the pass's workgroup space.
  Value workgroupBuffer(gpu::LaunchOp launch, ArrayRef<int64_t> shape, Type element, Location loc) {
    MLIRContext *ctx = launch.getContext();
    if (workgroupSpace == "gpu") {
      auto space = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
      return launch.addWorkgroupAttribution(MemRefType::get(shape, element, nullptr, space), loc);
    }
    auto space = spirv::StorageClassAttr::get(ctx, spirv::StorageClass::Workgroup);
    OpBuilder b = OpBuilder::atBlockBegin(&launch.getBody().front());
    return memref::AllocOp::create(b, loc, MemRefType::get(shape, element, nullptr, space));
  }

  void build(gpu::LaunchOp launch, linalg::LinalgOp op, int64_t r, int64_t extent, int64_t chunk,
             MutableArrayRef<Operand> operands, std::array<int64_t, 3> block) {
    Location loc = op.getLoc();
    SmallVector<Value> buffers;
    for (Operand &o : operands) {
      if (!o.staged) {
        buffers.push_back({});
        continue;
      }
      SmallVector<int64_t> shape(o.shape);
      shape[o.position] = chunk;
      Type element = cast<MemRefType>(o.view.getType()).getElementType();
      buffers.push_back(workgroupBuffer(launch, shape, element, loc));
    }
    OpBuilder b(op);
    auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v).getResult(); };
    // Consecutive threads copy consecutive elements: x fastest, as the ids.
    Value tx = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
    Value ty = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::y);
    Value tz = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::z);
    Value linear = arith::AddIOp::create(
        b, loc, tx,
        arith::MulIOp::create(b, loc, c(block[0]),
                              arith::AddIOp::create(b, loc, ty, arith::MulIOp::create(b, loc, c(block[1]), tz))));
    int64_t threads = block[0] * block[1] * block[2];
    auto loop = scf::ForOp::create(b, loc, c(0), c(extent), c(chunk));
    b.setInsertionPointToStart(loop.getBody());
    Value k0 = loop.getInductionVar();
    gpu::BarrierOp::create(b, loc); // the previous chunk's reads are done
    for (auto [o, buffer] : llvm::zip(operands, buffers))
      if (o.staged)
        copyChunk(b, loc, o, buffer, k0, linear, threads);
    gpu::BarrierOp::create(b, loc); // the chunk is in
    IRMapping mapping;
    for (auto [o, buffer] : llvm::zip(operands, buffers)) {
      Value in = op.getDpsInputOperand(o.index)->get();
      if (o.position < 0)
        continue;
      auto type = cast<MemRefType>(in.getType());
      SmallVector<OpFoldResult> offsets, sizes, strides(type.getRank(), b.getIndexAttr(1));
      Value source = in;
      if (o.staged) {
        // The thread's view, now of the chunk in workgroup memory.
        source = buffer;
        // Only the per-thread part of the offsets remains.
        offsets = o.view.getMixedOffsets();
        for (auto [d, differs] : llvm::enumerate(o.perThreadDim))
          if (!differs)
            offsets[d] = b.getIndexAttr(0);
      } else {
        offsets.assign(type.getRank(), b.getIndexAttr(0));
        offsets[o.position] = k0;
      }
      for (int64_t d : type.getShape())
        sizes.push_back(b.getIndexAttr(d));
      sizes[o.position] = b.getIndexAttr(chunk);
      mapping.map(in, memref::SubViewOp::create(b, loc, source, offsets, sizes, strides).getResult());
    }
    b.clone(*op, mapping);
    op->erase();
  }

  /// All threads together: buffer[i...] = slice[i... with the chunk's offset].
  static void copyChunk(OpBuilder &b, Location loc, Operand &o, Value buffer, Value k0,
                        Value linear, int64_t threads) {
    auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v).getResult(); };
    auto type = cast<MemRefType>(buffer.getType());
    int64_t n = type.getNumElements();
    auto copies = scf::ForOp::create(b, loc, c(0), c((n + threads - 1) / threads), c(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(copies.getBody());
    Value e = arith::AddIOp::create(
        b, loc, linear, arith::MulIOp::create(b, loc, copies.getInductionVar(), c(threads)));
    if (n % threads != 0) {
      Value inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, e, c(n));
      auto guardIf = scf::IfOp::create(b, loc, inside, /*withElseRegion=*/false);
      b.setInsertionPointToStart(guardIf.thenBlock());
    }
    SmallVector<Value> at(type.getRank());
    Value rest = e;
    for (int64_t d = type.getRank() - 1; d >= 0; --d) {
      int64_t size = type.getDimSize(d);
      at[d] = d == 0 ? rest : arith::RemUIOp::create(b, loc, rest, c(size)).getResult();
      if (d > 0)
        rest = arith::DivUIOp::create(b, loc, rest, c(size));
    }
    // The workgroup's offsets where the threads share them, the chunk's
    // along the reduction.
    SmallVector<Value> from(at);
    for (auto [d, offset] : llvm::enumerate(o.view.getMixedOffsets()))
      if (d == unsigned(o.position))
        from[d] = arith::AddIOp::create(b, loc, at[d], k0);
      else if (!o.perThreadDim[d] && !isConstantIntValue(offset, 0))
        from[d] = arith::AddIOp::create(b, loc, at[d],
                                        getValueOrCreateConstantIndexOp(b, loc, offset));
    Value v = memref::LoadOp::create(b, loc, o.view.getSource(), from);
    memref::StoreOp::create(b, loc, v, buffer, at);
  }
};

} // namespace
