//===- NpuDialect.cpp - verifiers of the npu dialect ----------------------===//
#include "dialects/npu/IR/NpuDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::npu;

#include "dialects/npu/IR/NpuDialect.cpp.inc"

void NpuDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/npu/IR/NpuOps.cpp.inc"
      >();
}

#define GET_OP_CLASSES
#include "dialects/npu/IR/NpuOps.cpp.inc"

/// I64Attr getters return uint64_t; the checks need the signed value.
static int64_t sv(uint64_t v) { return static_cast<int64_t>(v); }

/// Every size and address is far below this, so products of two never overflow.
static constexpr int64_t kMaxSize = int64_t(1) << 31;

static LogicalResult checkSizes(Operation *op, std::initializer_list<int64_t> sizes) {
  for (int64_t s : sizes)
    if (s < 1 || s > kMaxSize)
      return op->emitOpError() << "size " << s << " is out of range";
  return success();
}

unsigned mlir::npu::typeBytes(StringRef type) {
  return llvm::StringSwitch<unsigned>(type)
      .Case("f32", 4)
      .Case("i32", 4)
      .Case("bf16", 2)
      .Case("i8", 1)
      .Default(0);
}

ArrayRef<StringRef> mlir::npu::vectorOpNames() {
  static const StringRef names[] = {"copy", "add",  "sub",  "mul",   "div",  "max",
                                    "min",  "relu", "neg",  "abs",   "exp",  "tanh",
                                    "rsqrt", "sqrt", "erf", "sigmoid", "recip"};
  return names;
}

bool mlir::npu::isBinaryVectorOp(StringRef op) {
  return llvm::is_contained({"add", "sub", "mul", "div", "max", "min"}, op);
}

//===----------------------------------------------------------------------===//
// Kernel: buffers fit the scratchpad and never overlap (they are all live for
// the whole kernel), cores are distinct.
//===----------------------------------------------------------------------===//

LogicalResult KernelOp::verify() {
  SmallVector<SramBufferOp> buffers;
  llvm::SmallDenseSet<int64_t> cores;
  for (Operation &op : getBody().front()) {
    if (auto buffer = dyn_cast<SramBufferOp>(op)) {
      int64_t begin = sv(buffer.getAddress()), bytes = sv(buffer.getBytes());
      if (begin < 0 || bytes <= 0 || begin > sv(getSramBytes()) - bytes)
        return buffer.emitOpError() << "SRAM buffer '" << buffer.getName() << "' [" << begin
                                    << ", " << begin + bytes << ") does not fit the "
                                    << sv(getSramBytes()) << "-byte scratchpad";
      for (SramBufferOp other : buffers)
        if (begin < sv(other.getAddress()) + sv(other.getBytes()) &&
            sv(other.getAddress()) < begin + bytes)
          return buffer.emitOpError() << "SRAM buffer '" << buffer.getName()
                                      << "' overlaps live buffer '" << other.getName() << "'";
      buffers.push_back(buffer);
    } else if (auto core = dyn_cast<CoreOp>(op)) {
      if (sv(core.getId()) < 0 || !cores.insert(sv(core.getId())).second)
        return core.emitOpError() << "core id " << sv(core.getId()) << " is negative or repeated";
    } else {
      return op.emitOpError() << "is not allowed directly in an npu.kernel";
    }
  }
  if (sv(getSemaphores()) < 0 || sv(getSemaphores()) > 65535)
    return emitOpError() << "semaphore count " << sv(getSemaphores()) << " is out of range";
  return success();
}

namespace {

KernelOp kernelOf(Operation *op) { return op->getParentOfType<KernelOp>(); }

/// An SRAM range an instruction touches must lie inside one buffer.
LogicalResult checkRange(Operation *op, StringRef what, int64_t address, int64_t bytes) {
  if (bytes <= 0)
    return op->emitOpError() << what << " is empty";
  if (address < 0 || address > kMaxSize)
    return op->emitOpError() << what << " address " << address << " is out of range";
  KernelOp kernel = kernelOf(op);
  for (Operation &o : kernel.getBody().front())
    if (auto buffer = dyn_cast<SramBufferOp>(o))
      if (address >= sv(buffer.getAddress()) &&
          address + bytes <= sv(buffer.getAddress()) + sv(buffer.getBytes()))
        return success();
  return op->emitOpError() << what << " [" << address << ", " << address + bytes
                           << ") is not inside one SRAM buffer of the kernel";
}

LogicalResult checkSync(Operation *op, ArrayRef<int64_t> waits, int64_t signal) {
  int64_t count = sv(kernelOf(op).getSemaphores());
  if (waits.size() % 2)
    return op->emitOpError() << "waits must be (semaphore, count) pairs";
  for (size_t i = 0; i < waits.size(); i += 2)
    if (waits[i] < 0 || waits[i] >= count || waits[i + 1] < 1)
      return op->emitOpError() << "waits for semaphore " << waits[i] << " count "
                               << waits[i + 1] << " (the kernel has " << count << ")";
  if (signal < -1 || signal >= count)
    return op->emitOpError() << "signals semaphore " << signal << " (the kernel has " << count
                             << ")";
  return success();
}

bool overlaps(int64_t a, int64_t aBytes, int64_t b, int64_t bBytes) {
  return a < b + bBytes && b < a + aBytes;
}

template <typename DmaOp>
LogicalResult verifyDma(DmaOp op) {
  if (failed(checkSync(op, op.getWaits(), sv(op.getSignal()))))
    return failure();
  ArrayRef<int64_t> sizes = op.getSizes(), strides = op.getStrides();
  if (sizes.size() != 4 || strides.size() != 4)
    return op.emitOpError() << "descriptor needs 4 sizes and 4 strides";
  unsigned dram = typeBytes(op.getDramType()), sram = typeBytes(op.getSramType());
  if (!dram || !sram)
    return op.emitOpError() << "unknown element type";
  if (op.getDramType() != op.getSramType() &&
      !(dram + sram == 6 && op.getDramType() != "i32" && op.getSramType() != "i32"))
    return op.emitOpError() << "cannot convert " << op.getDramType() << " to "
                            << op.getSramType() << " (only f32 <-> bf16)";
  if (sv(op.getBinding()) < 0 || sv(op.getOffset()) < 0)
    return op.emitOpError() << "negative binding or offset";
  int64_t elements = 1;
  for (int64_t s : sizes) {
    if (s < 1 || s > (int64_t(1) << 31))
      return op.emitOpError() << "descriptor size " << s << " is out of range";
    elements *= s;
    if (elements > (int64_t(1) << 40))
      return op.emitOpError() << "descriptor moves too many elements";
  }
  // With SRAM strides the range spans the last element's position.
  int64_t span = elements;
  if (auto sramStrides = op.getSramStrides()) {
    if (sramStrides->size() != 4)
      return op.emitOpError() << "sram_strides needs 4 strides";
    span = 1;
    for (int d = 0; d < 4; ++d) {
      int64_t st = (*sramStrides)[d];
      if (st < 0 || st > kMaxSize)
        return op.emitOpError() << "SRAM stride " << st << " is out of range";
      span += (sizes[d] - 1) * st;
    }
  }
  return checkRange(op, "SRAM side", sv(op.getSram()), span * sram);
}

} // namespace

unsigned DmaLoadOp::queue() { return 0; }
unsigned DmaStoreOp::queue() { return 0; }
unsigned MatMulOp::queue() { return 1; }
unsigned VectorOp::queue() { return 2; }
unsigned ReduceOp::queue() { return 2; }

LogicalResult DmaLoadOp::verify() {
  if (failed(verifyDma(*this)))
    return failure();
  std::optional<ArrayRef<int64_t>> group = getMulticast();
  if (!group)
    return success();
  if (group->size() != 3)
    return emitOpError() << "multicast must be [first, count, stride], not " << group->size()
                         << " numbers";
  int64_t first = (*group)[0], count = (*group)[1], stride = (*group)[2];
  if (first < 0 || count < 1 || (count > 1 && stride < 1))
    return emitOpError() << "multicast [" << first << ", " << count << ", " << stride
                         << "] needs first >= 0, count >= 1 and stride >= 1";
  auto core = (*this)->getParentOfType<CoreOp>();
  int64_t id = core ? sv(core.getId()) : first;
  bool member = id >= first && (count == 1 ? id == first
                                           : (id - first) % stride == 0 &&
                                                 (id - first) / stride < count);
  if (!member)
    return emitOpError() << "multicast group [" << first << ", " << count << ", " << stride
                         << "] does not hold core " << id;
  return success();
}
LogicalResult DmaStoreOp::verify() { return verifyDma(*this); }

LogicalResult MatMulOp::verify() {
  if (failed(checkSync(*this, getWaits(), sv(getSignal()))))
    return failure();
  if (getInType() != "bf16" && getInType() != "i8")
    return emitOpError() << "input type must be bf16 or i8, not " << getInType();
  if (failed(checkSizes(*this, {sv(getM()), sv(getK()), sv(getN())})))
    return failure();
  int64_t in = typeBytes(getInType());
  int64_t lda = getAStride() ? sv(*getAStride()) : sv(getK());
  if (lda < 1)
    return emitOpError() << "a_stride must be at least 1, not " << lda;
  int64_t aBytes = ((sv(getM()) - 1) * lda + sv(getK())) * in, bBytes = sv(getK()) * sv(getN()) * in,
          cBytes = sv(getM()) * sv(getN()) * 4;
  if (failed(checkRange(*this, "A", sv(getA()), aBytes)) ||
      failed(checkRange(*this, "B", sv(getB()), bBytes)) ||
      failed(checkRange(*this, "C", sv(getC()), cBytes)))
    return failure();
  if (overlaps(sv(getC()), cBytes, sv(getA()), aBytes) || overlaps(sv(getC()), cBytes, sv(getB()), bBytes))
    return emitOpError() << "accumulator C overlaps an input";
  return success();
}

LogicalResult VectorOp::verify() {
  if (failed(checkSync(*this, getWaits(), sv(getSignal()))))
    return failure();
  if (!llvm::is_contained(vectorOpNames(), getOp()))
    return emitOpError() << "unknown vector op '" << getOp() << "'";
  for (StringRef t : {getSrcType(), getDstType()})
    if (t != "f32" && t != "bf16")
      return emitOpError() << "vector element type must be f32 or bf16, not " << t;
  if (failed(checkSizes(*this, {sv(getRows()), sv(getCols())})))
    return failure();
  int64_t elements = sv(getRows()) * sv(getCols());
  int64_t src = typeBytes(getSrcType()), dstBytes = elements * typeBytes(getDstType());
  int64_t aBytes = elements * src;
  if (failed(checkRange(*this, "dst", sv(getDst()), dstBytes)) ||
      failed(checkRange(*this, "a", sv(getA()), aBytes)))
    return failure();
  auto partial = [&](int64_t x, int64_t xBytes) {
    return overlaps(sv(getDst()), dstBytes, x, xBytes) && !(x == sv(getDst()) && xBytes == dstBytes);
  };
  if (partial(sv(getA()), aBytes))
    return emitOpError() << "dst partially overlaps a";
  if (!isBinaryVectorOp(getOp()))
    return success();
  StringRef mode = getBroadcast();
  int64_t bElements = llvm::StringSwitch<int64_t>(mode)
                          .Case("full", elements)
                          .Case("row", sv(getCols()))
                          .Case("column", sv(getRows()))
                          .Case("scalar", 0)
                          .Default(-1);
  if (bElements < 0)
    return emitOpError() << "unknown broadcast '" << mode << "'";
  if (bElements == 0)
    return success();
  if (failed(checkRange(*this, "b", sv(getB()), bElements * src)))
    return failure();
  if (partial(sv(getB()), bElements * src))
    return emitOpError() << "dst partially overlaps b";
  return success();
}

LogicalResult ReduceOp::verify() {
  if (failed(checkSync(*this, getWaits(), sv(getSignal()))))
    return failure();
  if (getOp() != "sum" && getOp() != "max")
    return emitOpError() << "unknown reduction '" << getOp() << "'";
  if (getSrcType() != "f32" && getSrcType() != "bf16")
    return emitOpError() << "reduce element type must be f32 or bf16";
  if (failed(checkSizes(*this, {sv(getRows()), sv(getCols())})))
    return failure();
  int64_t srcBytes = sv(getRows()) * sv(getCols()) * typeBytes(getSrcType());
  if (failed(checkRange(*this, "src", sv(getSrc()), srcBytes)) ||
      failed(checkRange(*this, "dst", sv(getDst()), sv(getRows()) * 4)))
    return failure();
  if (overlaps(sv(getDst()), sv(getRows()) * 4, sv(getSrc()), srcBytes))
    return emitOpError() << "dst overlaps src";
  return success();
}
