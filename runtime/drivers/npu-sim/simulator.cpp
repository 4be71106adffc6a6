//===- simulator.cpp - functional and timed model of the reference NPU ----===//
//
// Program::load decodes and checks every instruction once and schedules each
// kernel (the timing depends on no data, so the schedule, the stats and any
// deadlock are known before a run); run() checks the bindings and then
// replays the instructions' effects in the order of their start cycles.
// docs/npu.md, "Instruction set and cycle model", is the specification.
//
//===----------------------------------------------------------------------===//
#include "drivers/npu-sim/simulator.h"

#include "nuri/schemas/npu_isa_generated.h"
#include "targets/npu/description/TargetTable.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <unordered_map>

namespace nuri::npu {

namespace isa = nuri::npu::isa;
using isa::DType;

uint16_t floatToBf16(float value) {
  uint32_t u;
  std::memcpy(&u, &value, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) // NaN: keep the sign and top payload, make it quiet
    return uint16_t((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u); // round to nearest even (infinities stay)
  return uint16_t(u >> 16);
}

float bf16ToFloat(uint16_t bits) {
  uint32_t u = uint32_t(bits) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

namespace {

enum class Kind : uint8_t { Load, Store, MatMul, Vector, Reduce };

struct WaitOn {
  uint16_t id;
  uint32_t count;
};

/// One decoded, checked instruction and its place in the schedule.
struct Inst {
  Kind kind;
  uint8_t queue;
  uint32_t core, index;
  std::vector<WaitOn> waits;
  int32_t signal = -1;
  uint64_t cost = 0, start = 0, end = 0;
  const char *name = "";
  // DmaLoad / DmaStore. DRAM element (i0..i3) is at offset + sum(i_d *
  // strides[d]); every such index lies in [0, maxElem]. Its SRAM element
  // (of sramType, from byte `sram`) is sum(i_d * sramStrides[d]): the
  // dense row-major strides when the instruction gives none.
  uint32_t binding = 0;
  int64_t offset = 0, maxElem = 0;
  uint32_t sizes[4] = {1, 1, 1, 1};
  int64_t strides[4] = {0, 0, 0, 0};
  uint64_t sramStrides[4] = {0, 0, 0, 0};
  // A multicast load: the group's cores (count 0: this core alone).
  uint32_t mcFirst = 0, mcCount = 0, mcStride = 0;
  // The same copy as the loops the run executes: size-1 dimensions dropped
  // and neighbours contiguous on both sides merged (the same elements in the
  // same order), right-aligned (loop 3 innermost, unused outer loops of
  // size 1).
  uint64_t loopSizes[4] = {1, 1, 1, 1};
  int64_t loopDram[4] = {0, 0, 0, 0};
  uint64_t loopSram[4] = {0, 0, 0, 0};
  DType dramType = DType::F32, sramType = DType::F32;
  uint64_t sram = 0, dramBytes = 0;
  // MatMul.
  uint64_t a = 0, b = 0, c = 0;
  uint32_t m = 0, k = 0, n = 0, lda = 0;
  bool int8 = false, accumulate = false;
  // Vector / Reduce (dst, a, b, src in a).
  isa::VectorOp vop = isa::VectorOp::Copy;
  isa::ReduceOp rop = isa::ReduceOp::Sum;
  isa::Broadcast broadcast = isa::Broadcast::Full;
  DType srcType = DType::F32, dstType = DType::F32;
  uint64_t dst = 0;
  uint32_t rows = 0, cols = 0;
  float imm = 0;
};

struct KernelData {
  std::string name;
  uint32_t cores = 0;
  std::vector<Inst> insts;         // in order of (start, core, queue)
  std::vector<uint64_t> highWater; // per core: the end of the highest SRAM range used
  uint64_t cycles = 0, roofline = 0, macs = 0, dramBytes = 0, minDramBytes = 0;
  uint64_t busy[3] = {0, 0, 0};
};

size_t typeBytes(DType t) {
  switch (t) {
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::BF16:
    return 2;
  case DType::I8:
    return 1;
  }
  return 0;
}

bool isFloat(DType t) { return t == DType::F32 || t == DType::BF16; }

const char *vectorName(isa::VectorOp op) {
  static const char *const names[] = {"copy", "add",  "sub",  "mul",   "div",  "max",
                                      "min",  "relu", "neg",  "abs",   "exp",  "tanh",
                                      "rsqrt", "sqrt", "erf", "sigmoid", "recip"};
  return names[size_t(op)];
}

bool isBinary(isa::VectorOp op) { return op >= isa::VectorOp::Add && op <= isa::VectorOp::Min; }

uint64_t ceilDiv(uint64_t a, uint64_t b) { return a / b + (a % b != 0); }

std::string u128ToString(unsigned __int128 v) {
  std::string s;
  do {
    s.insert(s.begin(), char('0' + int(v % 10)));
    v /= 10;
  } while (v);
  return s;
}

/// a * b * ..., false on overflow.
bool product(std::initializer_list<uint64_t> factors, uint64_t &out) {
  uint64_t p = 1;
  for (uint64_t f : factors)
    if (__builtin_mul_overflow(p, f, &p))
      return false;
  out = p;
  return true;
}

// ---- Arithmetic. Everything in f32; no contraction into FMAs (the
// library is compiled with -ffp-contract=off).

inline float maxNaN(float a, float b) {
  if (a != a)
    return a;
  if (b != b)
    return b;
  return a < b ? b : a;
}

inline float minNaN(float a, float b) {
  if (a != a)
    return a;
  if (b != b)
    return b;
  return b < a ? b : a;
}

/// Reads n elements of type t (F32 or BF16) at p (any alignment) as f32.
void toF32(const uint8_t *p, DType t, size_t n, float *__restrict out) {
  if (t == DType::F32) {
    std::memcpy(out, p, n * 4);
    return;
  }
  for (size_t i = 0; i < n; ++i) {
    uint16_t v;
    std::memcpy(&v, p + 2 * i, 2);
    out[i] = bf16ToFloat(v);
  }
}

/// Writes n f32 values as type t (F32 or BF16, rounding to nearest even).
void fromF32(const float *__restrict in, DType t, size_t n, uint8_t *p) {
  if (t == DType::F32) {
    std::memcpy(p, in, n * 4);
    return;
  }
  for (size_t i = 0; i < n; ++i) {
    uint16_t v = floatToBf16(in[i]);
    std::memcpy(p + 2 * i, &v, 2);
  }
}

// The matrix engine's inner loops: C[m,n] += A[m,k] * B[k,n], each C[i,j]
// accumulated in order of k. Blocked over k and n for the cache; the k blocks
// run in increasing order, so the order of the additions is unchanged.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define NURI_SIM_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define NURI_SIM_CLONES
#endif

constexpr uint32_t kBlockK = 128, kBlockN = 512;

/// C[m,n] += A[m,k] * B[k,n], each product added to C in order of k (no
/// contraction into FMA: the library is built with -ffp-contract=off), in
/// blocks the compiler vectorizes. Inlined into each CPU clone below.
template <typename T>
[[gnu::always_inline]] inline void matmulBlocked(T *__restrict c, const T *__restrict a,
                                                 const T *__restrict b, uint32_t m, uint32_t k,
                                                 uint32_t n) {
  for (uint32_t j0 = 0; j0 < n; j0 += kBlockN) {
    uint32_t j1 = std::min(n, j0 + kBlockN);
    for (uint32_t k0 = 0; k0 < k; k0 += kBlockK) {
      uint32_t k1 = std::min(k, k0 + kBlockK);
      for (uint32_t i = 0; i < m; ++i) {
        T *__restrict crow = c + size_t(i) * n;
        for (uint32_t kk = k0; kk < k1; ++kk) {
          const T av = a[size_t(i) * k + kk];
          const T *__restrict brow = b + size_t(kk) * n;
          for (uint32_t j = j0; j < j1; ++j)
            crow[j] = crow[j] + av * brow[j];
        }
      }
    }
  }
}

NURI_SIM_CLONES
void matmulF32(float *__restrict c, const float *__restrict a, const float *__restrict b,
               uint32_t m, uint32_t k, uint32_t n) {
  matmulBlocked(c, a, b, m, k, n);
}

// int32 accumulation that wraps: uint32 arithmetic.
NURI_SIM_CLONES
void matmulI32(uint32_t *__restrict c, const uint32_t *__restrict a, const uint32_t *__restrict b,
               uint32_t m, uint32_t k, uint32_t n) {
  matmulBlocked(c, a, b, m, k, n);
}

/// Buffers reused across the instructions of a run.
struct Scratch {
  std::vector<float> fa, fb, fc;
  std::vector<uint32_t> ia, ib, ic;
};

// ---- DMA: one row (the innermost loop) at a time.

enum class Conv { Same, F32ToBf16, Bf16ToF32 };

/// Converts one element from `src` to `dst` (any alignment).
template <Conv C, size_t E> inline void convertElem(uint8_t *dst, const uint8_t *src) {
  if (C == Conv::Same) {
    std::memcpy(dst, src, E);
  } else if (C == Conv::F32ToBf16) {
    float f;
    std::memcpy(&f, src, 4);
    uint16_t v = floatToBf16(f);
    std::memcpy(dst, &v, 2);
  } else {
    uint16_t v;
    std::memcpy(&v, src, 2);
    float f = bf16ToFloat(v);
    std::memcpy(dst, &f, 4);
  }
}

/// Copies n elements between DRAM (element stride ds) and SRAM (element
/// stride ss), DRAM -> SRAM when Load. E is the element size for Conv::Same.
/// Elements go in order, so with a 0 stride on the destination side the last
/// one stays.
template <bool Load, Conv C, size_t E>
void dmaRow(uint8_t *dram, int64_t ds, uint8_t *sram, uint64_t ss, uint64_t n) {
  constexpr size_t fromB = C == Conv::Same ? E : C == Conv::F32ToBf16 ? 4 : 2;
  constexpr size_t toB = C == Conv::Same ? E : C == Conv::F32ToBf16 ? 2 : 4;
  constexpr size_t de = Load ? fromB : toB, se = Load ? toB : fromB;
  if (ds == 1 && ss == 1) {
    if (C == Conv::Same) {
      if (Load)
        std::memcpy(sram, dram, size_t(n) * E);
      else
        std::memcpy(dram, sram, size_t(n) * E);
      return;
    }
    for (uint64_t i = 0; i < n; ++i) {
      uint8_t *d = dram + i * de, *s = sram + i * se;
      convertElem<C, E>(Load ? s : d, Load ? d : s);
    }
    return;
  }
  const int64_t dstep = ds * int64_t(de);
  const size_t sstep = size_t(ss) * se;
  for (uint64_t i = 0; i < n; ++i, dram += dstep, sram += sstep)
    convertElem<C, E>(Load ? sram : dram, Load ? dram : sram);
}

template <bool Load, Conv C, size_t E> void dmaRun(const Inst &in, uint8_t *dram, uint8_t *sram) {
  constexpr size_t fromB = C == Conv::Same ? E : C == Conv::F32ToBf16 ? 4 : 2;
  constexpr size_t toB = C == Conv::Same ? E : C == Conv::F32ToBf16 ? 2 : 4;
  constexpr size_t de = Load ? fromB : toB, se = Load ? toB : fromB;
  const uint64_t *n = in.loopSizes, *st = in.loopSram;
  const int64_t *ds = in.loopDram;
  uint8_t *s0 = sram + in.sram;
  for (uint64_t i0 = 0; i0 < n[0]; ++i0)
    for (uint64_t i1 = 0; i1 < n[1]; ++i1)
      for (uint64_t i2 = 0; i2 < n[2]; ++i2) {
        int64_t e = in.offset + int64_t(i0) * ds[0] + int64_t(i1) * ds[1] + int64_t(i2) * ds[2];
        uint64_t s = i0 * st[0] + i1 * st[1] + i2 * st[2];
        dmaRow<Load, C, E>(dram + e * int64_t(de), ds[3], s0 + s * se, st[3], n[3]);
      }
}

template <bool Load> void dma(const Inst &in, uint8_t *dram, uint8_t *sram) {
  // The conversion in the direction of the copy.
  DType from = Load ? in.dramType : in.sramType, to = Load ? in.sramType : in.dramType;
  if (from == to) {
    switch (typeBytes(from)) {
    case 1:
      return dmaRun<Load, Conv::Same, 1>(in, dram, sram);
    case 2:
      return dmaRun<Load, Conv::Same, 2>(in, dram, sram);
    default:
      return dmaRun<Load, Conv::Same, 4>(in, dram, sram);
    }
  }
  if (from == DType::F32)
    dmaRun<Load, Conv::F32ToBf16, 0>(in, dram, sram);
  else
    dmaRun<Load, Conv::Bf16ToF32, 0>(in, dram, sram);
}

void matmul(const Inst &in, uint8_t *sram, Scratch &s) {
  size_t mk = size_t(in.m) * in.k, kn = size_t(in.k) * in.n, mn = size_t(in.m) * in.n;
  if (!in.int8) {
    s.fa.resize(mk);
    s.fb.resize(kn);
    s.fc.resize(mn);
    for (uint32_t i = 0; i < in.m; ++i)
      toF32(sram + in.a + uint64_t(i) * in.lda * 2, DType::BF16, in.k, s.fa.data() + size_t(i) * in.k);
    toF32(sram + in.b, DType::BF16, kn, s.fb.data());
    if (in.accumulate)
      std::memcpy(s.fc.data(), sram + in.c, mn * 4);
    else
      std::fill(s.fc.begin(), s.fc.end(), 0.0f);
    matmulF32(s.fc.data(), s.fa.data(), s.fb.data(), in.m, in.k, in.n);
    std::memcpy(sram + in.c, s.fc.data(), mn * 4);
    return;
  }
  s.ia.resize(mk);
  s.ib.resize(kn);
  s.ic.resize(mn);
  const int8_t *a = reinterpret_cast<const int8_t *>(sram + in.a);
  const int8_t *b = reinterpret_cast<const int8_t *>(sram + in.b);
  for (uint32_t i = 0; i < in.m; ++i)
    for (uint32_t j = 0; j < in.k; ++j)
      s.ia[size_t(i) * in.k + j] = uint32_t(int32_t(a[uint64_t(i) * in.lda + j]));
  for (size_t i = 0; i < kn; ++i)
    s.ib[i] = uint32_t(int32_t(b[i]));
  if (in.accumulate)
    std::memcpy(s.ic.data(), sram + in.c, mn * 4);
  else
    std::fill(s.ic.begin(), s.ic.end(), 0u);
  matmulI32(s.ic.data(), s.ia.data(), s.ib.data(), in.m, in.k, in.n);
  std::memcpy(sram + in.c, s.ic.data(), mn * 4);
}

template <class F> void unary(F f, const float *__restrict a, float *__restrict out, size_t n) {
  for (size_t i = 0; i < n; ++i)
    out[i] = f(a[i]);
}

template <class F>
void binary(F f, const Inst &in, const float *__restrict a, const float *__restrict b,
            float *__restrict out) {
  size_t rows = in.rows, cols = in.cols;
  switch (in.broadcast) {
  case isa::Broadcast::Full:
    for (size_t i = 0; i < rows * cols; ++i)
      out[i] = f(a[i], b[i]);
    break;
  case isa::Broadcast::Row:
    for (size_t i = 0; i < rows; ++i)
      for (size_t j = 0; j < cols; ++j)
        out[i * cols + j] = f(a[i * cols + j], b[j]);
    break;
  case isa::Broadcast::Column:
    for (size_t i = 0; i < rows; ++i)
      for (size_t j = 0; j < cols; ++j)
        out[i * cols + j] = f(a[i * cols + j], b[i]);
    break;
  case isa::Broadcast::Scalar: {
    const float imm = in.imm;
    for (size_t i = 0; i < rows * cols; ++i)
      out[i] = f(a[i], imm);
    break;
  }
  }
}

void vector(const Inst &in, uint8_t *sram, Scratch &s) {
  using Op = isa::VectorOp;
  size_t n = size_t(in.rows) * in.cols;
  s.fa.resize(n);
  s.fc.resize(n);
  toF32(sram + in.a, in.srcType, n, s.fa.data());
  const float *a = s.fa.data();
  float *out = s.fc.data();
  if (isBinary(in.vop) && in.broadcast != isa::Broadcast::Scalar) {
    size_t bn = in.broadcast == isa::Broadcast::Full ? n
                : in.broadcast == isa::Broadcast::Row ? in.cols
                                                      : in.rows;
    s.fb.resize(bn);
    toF32(sram + in.b, in.srcType, bn, s.fb.data());
  }
  const float *b = s.fb.data();
  switch (in.vop) {
  case Op::Copy: unary([](float x) { return x; }, a, out, n); break;
  case Op::Add: binary([](float x, float y) { return x + y; }, in, a, b, out); break;
  case Op::Sub: binary([](float x, float y) { return x - y; }, in, a, b, out); break;
  case Op::Mul: binary([](float x, float y) { return x * y; }, in, a, b, out); break;
  case Op::Div: binary([](float x, float y) { return x / y; }, in, a, b, out); break;
  case Op::Max: binary(maxNaN, in, a, b, out); break;
  case Op::Min: binary(minNaN, in, a, b, out); break;
  case Op::Relu: unary([](float x) { return x < 0.0f ? 0.0f : x; }, a, out, n); break;
  case Op::Neg: unary([](float x) { return -x; }, a, out, n); break;
  case Op::Abs: unary([](float x) { return std::fabs(x); }, a, out, n); break;
  case Op::Exp: unary([](float x) { return std::exp(x); }, a, out, n); break;
  case Op::Tanh: unary([](float x) { return std::tanh(x); }, a, out, n); break;
  case Op::Rsqrt: unary([](float x) { return 1.0f / std::sqrt(x); }, a, out, n); break;
  case Op::Sqrt: unary([](float x) { return std::sqrt(x); }, a, out, n); break;
  case Op::Erf: unary([](float x) { return std::erf(x); }, a, out, n); break;
  case Op::Sigmoid:
    unary([](float x) { return 1.0f / (1.0f + std::exp(-x)); }, a, out, n);
    break;
  case Op::Recip: unary([](float x) { return 1.0f / x; }, a, out, n); break;
  }
  fromF32(out, in.dstType, n, sram + in.dst);
}

void reduce(const Inst &in, uint8_t *sram, Scratch &s) {
  size_t rows = in.rows, cols = in.cols;
  s.fa.resize(rows * cols);
  s.fc.resize(rows);
  toF32(sram + in.a, in.srcType, rows * cols, s.fa.data());
  for (size_t i = 0; i < rows; ++i) {
    const float *x = s.fa.data() + i * cols;
    float acc = x[0];
    if (in.rop == isa::ReduceOp::Sum)
      for (size_t j = 1; j < cols; ++j)
        acc = acc + x[j];
    else
      for (size_t j = 1; j < cols; ++j)
        acc = maxNaN(acc, x[j]);
    s.fc[i] = acc;
  }
  std::memcpy(sram + in.dst, s.fc.data(), rows * 4);
}

} // namespace

struct Program::Impl {
  TargetDescription target;
  std::vector<KernelData> kernels;
  // Scratchpads (one vector per core) reused by runs; a run takes a set.
  mutable std::mutex mutex;
  mutable std::vector<std::unique_ptr<std::vector<std::vector<uint8_t>>>> pool;

  bool loadKernel(const isa::Kernel *kernel, std::string &error);
  uint64_t dmaCycles(uint64_t bytes, uint32_t activeCores, uint32_t group) const;
};

uint64_t Program::Impl::dmaCycles(uint64_t bytes, uint32_t activeCores, uint32_t group) const {
  // rate = min(bytes_per_cycle, group * (bandwidth / clock) / activeCores),
  // exactly: a multicast to `group` cores pools their shares of DRAM.
  using u128 = unsigned __int128;
  const TargetDescription &t = target;
  u128 scaled = u128(t.clockHz) * activeCores, bandwidth = u128(t.dramBandwidth) * group;
  if (bandwidth >= u128(t.dmaBytesPerCycle) * scaled)
    return t.descriptorCycles + ceilDiv(bytes, t.dmaBytesPerCycle);
  u128 num = u128(bytes) * scaled;
  return t.descriptorCycles + uint64_t((num + bandwidth - 1) / bandwidth);
}

/// Whether two DMA loads move the same data to the same SRAM address (the
/// members of one multicast).
bool sameTransfer(const Inst &a, const Inst &b) {
  return a.kind == Kind::Load && b.kind == Kind::Load && a.binding == b.binding &&
         a.offset == b.offset && a.dramType == b.dramType && a.sramType == b.sramType &&
         a.sram == b.sram && a.mcFirst == b.mcFirst && a.mcCount == b.mcCount &&
         a.mcStride == b.mcStride && std::equal(a.sizes, a.sizes + 4, b.sizes) &&
         std::equal(a.strides, a.strides + 4, b.strides) &&
         std::equal(a.sramStrides, a.sramStrides + 4, b.sramStrides);
}

bool Program::Impl::loadKernel(const isa::Kernel *kernel, std::string &error) {
  KernelData kd;
  kd.name = kernel->name()->str();
  for (const KernelData &other : kernels)
    if (other.name == kd.name) {
      error = "kernel " + kd.name + ": two kernels have this name";
      return false;
    }
  const std::string kname = "kernel " + kd.name;
  const auto *cores = kernel->cores();
  uint32_t ncores = cores ? cores->size() : 0;
  if (ncores < 1 || ncores > target.cores) {
    error = kname + ": " + std::to_string(ncores) + " cores, expected 1.." +
            std::to_string(target.cores) + " (the target's cores)";
    return false;
  }
  kd.cores = ncores;
  kd.macs = kernel->macs();
  kd.minDramBytes = kernel->min_dram_bytes();
  const uint16_t semaphores = kernel->semaphores();
  const uint64_t spad = target.scratchpadBytes;
  kd.highWater.assign(ncores, 0);

  // Decode and check; queues[core][queue].
  std::vector<std::vector<std::vector<Inst>>> queues(ncores, std::vector<std::vector<Inst>>(3));
  uint32_t activeDmaCores = 0;
  for (uint32_t c = 0; c < ncores; ++c) {
    const isa::Core *core = cores->Get(c);
    const auto *qs = core->queues();
    if (!qs || qs->size() != 3) {
      error = kname + " core " + std::to_string(c) + ": " +
              std::to_string(qs ? qs->size() : 0) + " queues, expected 3 (dma, matrix, vector)";
      return false;
    }
    for (uint32_t q = 0; q < 3; ++q) {
      const auto *list = qs->Get(q)->instructions();
      if (!list)
        continue;
      for (uint32_t i = 0; i < list->size(); ++i) {
        const isa::Instruction *ins = list->Get(i);
        const std::string where = kname + " core " + std::to_string(c) + " queue " +
                                  std::to_string(q) + " instruction " + std::to_string(i);
        auto fail = [&](const std::string &msg) {
          error = where + ": " + msg;
          return false;
        };
        Inst in;
        in.core = c;
        in.queue = uint8_t(q);
        in.index = i;
        // A range of SRAM bytes, inside the scratchpad.
        auto sramRange = [&](const char *what, uint64_t addr, uint64_t bytes) {
          if (bytes > spad || addr > spad - bytes)
            return fail(std::string(what) + " [" + std::to_string(addr) + ", " +
                        std::to_string(addr + bytes) + ") is outside the scratchpad of " +
                        std::to_string(spad) + " bytes");
          kd.highWater[c] = std::max(kd.highWater[c], addr + bytes);
          return true;
        };
        auto bytesOf = [&](std::initializer_list<uint64_t> factors, const char *what,
                           uint64_t &out) {
          if (!product(factors, out) || out > spad)
            return fail(std::string(what) + " is larger than the scratchpad");
          return true;
        };
        auto typeOk = [&](DType t, const char *what) {
          if (t > DType::I32)
            return fail(std::string(what) + " is not a DType (" + std::to_string(int(t)) + ")");
          return true;
        };
        auto disjoint = [&](const char *what1, uint64_t a1, uint64_t n1, const char *what2,
                            uint64_t a2, uint64_t n2, bool exactOk) {
          bool overlap = a1 < a2 + n2 && a2 < a1 + n1;
          if (!overlap || (exactOk && a1 == a2 && n1 == n2))
            return true;
          return fail(std::string(what1) + " [" + std::to_string(a1) + ", " +
                      std::to_string(a1 + n1) + ") " +
                      (exactOk ? "partially overlaps " : "overlaps ") + what2 + " [" +
                      std::to_string(a2) + ", " + std::to_string(a2 + n2) + ")");
        };

        isa::Op type = ins->op_type();
        if (type == isa::Op::DmaLoad || type == isa::Op::DmaStore) {
          bool load = type == isa::Op::DmaLoad;
          in.kind = load ? Kind::Load : Kind::Store;
          in.name = load ? "dma_load" : "dma_store";
          const isa::Descriptor *d;
          const isa::SramStrides *ss;
          if (load) {
            const isa::DmaLoad *op = ins->op_as_DmaLoad();
            in.binding = op->binding();
            d = op->dram();
            in.dramType = op->dram_type();
            in.sramType = op->sram_type();
            in.sram = op->sram();
            ss = op->sram_strides();
            if (const isa::Multicast *mc = op->multicast()) {
              uint64_t last = uint64_t(mc->first()) + uint64_t(mc->stride()) * (mc->count() - 1);
              if (mc->count() < 1 || (mc->count() > 1 && mc->stride() < 1))
                return fail("multicast with count " + std::to_string(mc->count()) +
                            " and stride " + std::to_string(mc->stride()) +
                            " (count >= 1, stride >= 1)");
              if (last >= ncores)
                return fail("multicast reaches core " + std::to_string(last) +
                            ", but the kernel has " + std::to_string(ncores));
              if (c < mc->first() ||
                  (mc->count() > 1 && ((c - mc->first()) % mc->stride() ||
                                       (c - mc->first()) / mc->stride() >= mc->count())) ||
                  (mc->count() == 1 && c != mc->first()))
                return fail("multicast group (first " + std::to_string(mc->first()) + ", count " +
                            std::to_string(mc->count()) + ", stride " +
                            std::to_string(mc->stride()) + ") does not hold this core");
              if (mc->count() > 1) {
                in.mcFirst = mc->first();
                in.mcCount = mc->count();
                in.mcStride = mc->stride();
              }
            }
          } else {
            const isa::DmaStore *op = ins->op_as_DmaStore();
            in.binding = op->binding();
            d = op->dram();
            in.dramType = op->dram_type();
            in.sramType = op->sram_type();
            in.sram = op->sram();
            ss = op->sram_strides();
          }
          if (q != uint32_t(isa::QueueKind::Dma))
            return fail(std::string(load ? "DmaLoad" : "DmaStore") +
                        " outside the dma queue (0)");
          if (!typeOk(in.dramType, "dram_type") || !typeOk(in.sramType, "sram_type"))
            return false;
          bool conv = (in.dramType == DType::F32 && in.sramType == DType::BF16) ||
                      (in.dramType == DType::BF16 && in.sramType == DType::F32);
          if (in.dramType != in.sramType && !conv)
            return fail(std::string("cannot convert ") + isa::EnumNameDType(in.dramType) +
                        " to " + isa::EnumNameDType(in.sramType) +
                        " (only the same type or F32 <-> BF16)");
          __int128 lo = __int128(d->offset()), hi = lo;
          uint64_t elems = 1;
          for (int j = 0; j < 4; ++j) {
            in.sizes[j] = d->sizes()->Get(j);
            in.strides[j] = d->strides()->Get(j);
            if (in.sizes[j] == 0)
              return fail("descriptor size " + std::to_string(j) + " is 0");
            __int128 extent = __int128(in.sizes[j] - 1) * in.strides[j];
            (extent < 0 ? lo : hi) += extent;
            if (!product({elems, in.sizes[j]}, elems) || elems > spad)
              return fail("the descriptor has more elements than the scratchpad has bytes");
          }
          if (lo < 0)
            return fail("the descriptor reaches element " +
                        std::to_string(int64_t(std::max<__int128>(lo, INT64_MIN))) +
                        ", before the binding's start");
          if (hi >= (__int128(1) << 60))
            return fail("the descriptor reaches past element 2^60");
          in.offset = int64_t(d->offset());
          in.maxElem = int64_t(hi);
          in.dramBytes = elems * typeBytes(in.dramType);
          const uint64_t se = typeBytes(in.sramType);
          if (!ss) {
            // Dense: element (i0..i3) is the (((i0*s1+i1)*s2+i2)*s3+i3)-th.
            uint64_t stride = 1;
            for (int j = 3; j >= 0; --j) {
              in.sramStrides[j] = stride;
              stride *= in.sizes[j]; // <= elems
            }
            if (!sramRange("sram", in.sram, elems * se))
              return false;
          } else {
            // Strided: [sram, sram + (sum (sizes[d]-1) * strides[d] + 1) * se);
            // at most 4 * 2^32 * 2^32 * 4 bytes, exact in 128 bits.
            unsigned __int128 last = 0;
            for (int j = 0; j < 4; ++j) {
              in.sramStrides[j] = ss->strides()->Get(j);
              last += (unsigned __int128)(in.sizes[j] - 1) * in.sramStrides[j];
            }
            unsigned __int128 bytes = (last + 1) * se;
            if (bytes > spad || in.sram > spad - uint64_t(bytes))
              return fail("sram [" + std::to_string(in.sram) + ", " +
                          u128ToString(in.sram + bytes) +
                          ") (with sram_strides) is outside the scratchpad of " +
                          std::to_string(spad) + " bytes");
            if (!sramRange("sram", in.sram, uint64_t(bytes)))
              return false;
          }
          // The loops: drop size-1 dimensions; merge a dimension into the
          // next inner one where it steps by the inner one's whole extent on
          // both sides.
          int nl = 0;
          uint64_t ls[4];
          int64_t ld[4];
          uint64_t lsr[4];
          for (int j = 0; j < 4; ++j) {
            uint64_t n = in.sizes[j];
            if (n == 1)
              continue;
            if (nl > 0 &&
                __int128(ld[nl - 1]) == __int128(n) * in.strides[j] &&
                (unsigned __int128)lsr[nl - 1] == (unsigned __int128)n * in.sramStrides[j]) {
              ls[nl - 1] *= n; // <= elems
              ld[nl - 1] = in.strides[j];
              lsr[nl - 1] = in.sramStrides[j];
              continue;
            }
            ls[nl] = n;
            ld[nl] = in.strides[j];
            lsr[nl] = in.sramStrides[j];
            ++nl;
          }
          for (int j = 0; j < nl; ++j) {
            in.loopSizes[4 - nl + j] = ls[j];
            in.loopDram[4 - nl + j] = ld[j];
            in.loopSram[4 - nl + j] = lsr[j];
          }
          // The cost once the kernel's active DMA cores are known.
        } else if (type == isa::Op::MatMul) {
          const isa::MatMul *op = ins->op_as_MatMul();
          in.kind = Kind::MatMul;
          in.name = "matmul";
          if (q != uint32_t(isa::QueueKind::Matrix))
            return fail("MatMul outside the matrix queue (1)");
          DType t = op->in_type();
          if (t != DType::BF16 && t != DType::I8)
            return fail(std::string("MatMul in_type ") +
                        (t <= DType::I32 ? isa::EnumNameDType(t) : "?") +
                        ", expected BF16 or I8");
          in.int8 = t == DType::I8;
          in.accumulate = op->accumulate();
          in.a = op->a();
          in.b = op->b();
          in.c = op->c();
          in.m = op->m();
          in.k = op->k();
          in.n = op->n();
          in.lda = op->a_stride() ? op->a_stride() : in.k;
          if (!in.m || !in.k || !in.n)
            return fail("MatMul with a zero size (m " + std::to_string(in.m) + ", k " +
                        std::to_string(in.k) + ", n " + std::to_string(in.n) + ")");
          uint64_t es = typeBytes(t), ab, bb, cb, span;
          // A spans (m - 1) rows of a_stride elements and one of k.
          if (!bytesOf({uint64_t(in.m) - 1, in.lda}, "A", span) ||
              !bytesOf({span + in.k, es}, "A", ab) || !bytesOf({in.k, in.n, es}, "B", bb) ||
              !bytesOf({in.m, in.n, 4}, "C", cb) || !sramRange("A", in.a, ab) ||
              !sramRange("B", in.b, bb) || !sramRange("C", in.c, cb) ||
              !disjoint("C", in.c, cb, "A", in.a, ab, false) ||
              !disjoint("C", in.c, cb, "B", in.b, bb, false))
            return false;
          uint64_t f = in.int8 ? target.int8Factor : 1;
          in.cost = ceilDiv(in.k, target.matrixRows) * ceilDiv(in.n, target.matrixCols * f) *
                        in.m +
                    target.matrixRows + target.matrixCols;
        } else if (type == isa::Op::Vector) {
          const isa::Vector *op = ins->op_as_Vector();
          in.kind = Kind::Vector;
          if (q != uint32_t(isa::QueueKind::Vector))
            return fail("Vector outside the vector queue (2)");
          in.vop = op->op();
          if (in.vop > isa::VectorOp::Recip)
            return fail("not a VectorOp (" + std::to_string(int(in.vop)) + ")");
          in.name = vectorName(in.vop);
          in.broadcast = op->broadcast();
          if (in.broadcast > isa::Broadcast::Scalar)
            return fail("not a Broadcast (" + std::to_string(int(in.broadcast)) + ")");
          in.srcType = op->src_type();
          in.dstType = op->dst_type();
          if (!isFloat(in.srcType) || !isFloat(in.dstType))
            return fail("Vector src_type and dst_type must be F32 or BF16");
          in.dst = op->dst();
          in.a = op->a();
          in.b = op->b();
          in.rows = op->rows();
          in.cols = op->cols();
          in.imm = op->imm();
          if (!in.rows || !in.cols)
            return fail("Vector with a zero size (rows " + std::to_string(in.rows) +
                        ", cols " + std::to_string(in.cols) + ")");
          uint64_t n, ab, db;
          if (!bytesOf({in.rows, in.cols}, "the vector", n) ||
              !bytesOf({n, typeBytes(in.srcType)}, "a", ab) ||
              !bytesOf({n, typeBytes(in.dstType)}, "dst", db) || !sramRange("a", in.a, ab) ||
              !sramRange("dst", in.dst, db) || !disjoint("dst", in.dst, db, "a", in.a, ab, true))
            return false;
          if (isBinary(in.vop) && in.broadcast != isa::Broadcast::Scalar) {
            uint64_t bn = in.broadcast == isa::Broadcast::Full ? n
                          : in.broadcast == isa::Broadcast::Row ? in.cols
                                                                : in.rows;
            uint64_t bb = bn * typeBytes(in.srcType);
            if (!sramRange("b", in.b, bb) || !disjoint("dst", in.dst, db, "b", in.b, bb, true))
              return false;
          }
          bool special = in.vop >= isa::VectorOp::Exp;
          in.cost = ceilDiv(n, target.vectorLanes) * (special ? target.specialCycles : 1) + 8;
        } else if (type == isa::Op::Reduce) {
          const isa::Reduce *op = ins->op_as_Reduce();
          in.kind = Kind::Reduce;
          if (q != uint32_t(isa::QueueKind::Vector))
            return fail("Reduce outside the vector queue (2)");
          in.rop = op->op();
          if (in.rop > isa::ReduceOp::Max)
            return fail("not a ReduceOp (" + std::to_string(int(in.rop)) + ")");
          in.name = in.rop == isa::ReduceOp::Sum ? "reduce_sum" : "reduce_max";
          in.srcType = op->src_type();
          if (!isFloat(in.srcType))
            return fail("Reduce src_type must be F32 or BF16");
          in.dst = op->dst();
          in.a = op->src();
          in.rows = op->rows();
          in.cols = op->cols();
          if (!in.rows || !in.cols)
            return fail("Reduce with a zero size (rows " + std::to_string(in.rows) +
                        ", cols " + std::to_string(in.cols) + ")");
          uint64_t n, sb, db;
          if (!bytesOf({in.rows, in.cols}, "the source", n) ||
              !bytesOf({n, typeBytes(in.srcType)}, "src", sb) ||
              !bytesOf({in.rows, 4}, "dst", db) || !sramRange("src", in.a, sb) ||
              !sramRange("dst", in.dst, db))
            return false;
          in.cost = ceilDiv(n, target.vectorLanes) + 8;
        } else {
          return fail("not an instruction (op type " + std::to_string(int(type)) + ")");
        }

        if (const auto *waits = ins->waits())
          for (const isa::Wait *w : *waits) {
            if (w->id() >= semaphores)
              return fail("waits for semaphore " + std::to_string(w->id()) + ", but the kernel has " +
                          std::to_string(semaphores));
            in.waits.push_back({w->id(), w->count()});
          }
        in.signal = ins->signal();
        if (in.signal < -1 || in.signal >= int32_t(semaphores))
          return fail("signals semaphore " + std::to_string(in.signal) + ", but the kernel has " +
                      std::to_string(semaphores));
        queues[c][q].push_back(std::move(in));
      }
    }
    if (!queues[c][0].empty())
      ++activeDmaCores;
  }
  for (auto &core : queues)
    for (Inst &in : core[0])
      in.cost = dmaCycles(in.dramBytes, activeDmaCores, std::max<uint32_t>(1, in.mcCount));

  // Schedule: the queue head that can start first goes next (ties: lower
  // core, then lower queue). Costs are at least 1 cycle, so a head's start
  // from the signals known so far is exact once it is the earliest (as in
  // Dijkstra's algorithm).
  std::vector<size_t> head(size_t(ncores) * 3, 0);
  std::vector<uint64_t> freeAt(size_t(ncores) * 3, 0);
  // The cycles of the signals so far of each (core, semaphore), sorted; only
  // semaphores that were signalled have an entry (a kernel may declare 65535
  // on each of 1024 cores).
  std::unordered_map<uint64_t, std::vector<uint64_t>> signals;
  const std::vector<uint64_t> none;
  auto signalsOf = [&](uint32_t c, uint16_t id) -> const std::vector<uint64_t> & {
    auto it = signals.find(uint64_t(c) << 16 | id);
    return it == signals.end() ? none : it->second;
  };
  size_t total = 0, done = 0;
  for (auto &core : queues)
    for (auto &q : core)
      total += q.size();
  kd.insts.reserve(total);
  // When core c's queue q can start its head, from its queue and its waits;
  // false if a wait is not yet reachable.
  auto readyAt = [&](uint32_t c, uint32_t q, uint64_t &start) {
    const Inst &in = queues[c][q][head[c * 3 + q]];
    start = std::max(start, freeAt[c * 3 + q]);
    for (const WaitOn &w : in.waits) {
      if (w.count == 0)
        continue;
      const auto &s = signalsOf(c, w.id);
      if (s.size() < w.count)
        return false;
      start = std::max(start, s[w.count - 1]);
    }
    return true;
  };
  // A multicast head starts when every member's DMA queue is at the same
  // load and ready; a member at a different load of the same group is a
  // malformed program.
  std::string mismatch;
  auto groupReady = [&](const Inst &in, uint64_t &start) {
    for (uint32_t i = 0; i < in.mcCount; ++i) {
      uint32_t d = in.mcFirst + i * in.mcStride;
      size_t h = head[d * 3];
      if (h >= queues[d][0].size())
        return false;
      const Inst &other = queues[d][0][h];
      if (!sameTransfer(in, other)) {
        if (other.kind == Kind::Load && other.mcCount == in.mcCount &&
            other.mcFirst == in.mcFirst && other.mcStride == in.mcStride && mismatch.empty())
          mismatch = kname + " core " + std::to_string(in.core) + " queue 0 instruction " +
                     std::to_string(in.index) + ": multicast load differs from core " +
                     std::to_string(d) + "'s (queue 0 instruction " +
                     std::to_string(other.index) + ") in the same group";
        return false;
      }
      if (!readyAt(d, 0, start))
        return false;
    }
    return true;
  };
  while (done < total) {
    bool found = false;
    uint64_t bestStart = 0;
    uint32_t bc = 0, bq = 0;
    for (uint32_t c = 0; c < ncores; ++c)
      for (uint32_t q = 0; q < 3; ++q) {
        size_t h = head[c * 3 + q];
        if (h >= queues[c][q].size())
          continue;
        const Inst &in = queues[c][q][h];
        uint64_t start = 0;
        bool ready = in.mcCount ? groupReady(in, start) : readyAt(c, q, start);
        if (!mismatch.empty()) {
          error = mismatch;
          return false;
        }
        if (ready && (!found || start < bestStart)) {
          found = true;
          bestStart = start;
          bc = c;
          bq = q;
        }
      }
    if (!found) {
      for (uint32_t c = 0; c < ncores; ++c)
        for (uint32_t q = 0; q < 3; ++q) {
          size_t h = head[c * 3 + q];
          if (h >= queues[c][q].size())
            continue;
          const Inst &in = queues[c][q][h];
          if (in.mcCount)
            for (uint32_t i = 0; i < in.mcCount; ++i) {
              uint32_t d = in.mcFirst + i * in.mcStride;
              size_t dh = head[d * 3];
              if (dh < queues[d][0].size() && sameTransfer(in, queues[d][0][dh]))
                continue;
              error = kname + " core " + std::to_string(c) + " queue 0 instruction " +
                      std::to_string(in.index) + ": multicast load waits for core " +
                      std::to_string(d) + ", whose dma queue " +
                      (dh < queues[d][0].size()
                           ? "is at instruction " + std::to_string(queues[d][0][dh].index) +
                                 ", which never reaches it"
                           : std::string("has no such load"));
              return false;
            }
          for (const WaitOn &w : in.waits)
            if (signalsOf(c, w.id).size() < w.count) {
              error = kname + " core " + std::to_string(c) + " queue " + std::to_string(q) +
                      " instruction " + std::to_string(in.index) + " waits for semaphore " +
                      std::to_string(w.id) + " count " + std::to_string(w.count) +
                      ", which is never reached";
              return false;
            }
        }
      error = kname + ": internal: no instruction can start";
      return false;
    }
    // A multicast starts on every member at once and reads DRAM once.
    const Inst &chosen = queues[bc][bq][head[bc * 3 + bq]];
    uint32_t members = chosen.mcCount ? chosen.mcCount : 1;
    uint32_t first = chosen.mcCount ? chosen.mcFirst : bc, stride = chosen.mcStride;
    if (chosen.kind == Kind::Load || chosen.kind == Kind::Store)
      kd.dramBytes += chosen.dramBytes;
    for (uint32_t i = 0; i < members; ++i) {
      uint32_t c = first + i * stride;
      Inst &in = queues[c][bq][head[c * 3 + bq]++];
      in.start = bestStart;
      in.end = bestStart + in.cost;
      freeAt[c * 3 + bq] = in.end;
      if (in.signal >= 0) {
        auto &s = signals[uint64_t(c) << 16 | uint32_t(in.signal)];
        s.insert(std::upper_bound(s.begin(), s.end(), in.end), in.end);
      }
      kd.cycles = std::max(kd.cycles, in.end);
      kd.busy[bq] += in.cost;
      kd.insts.push_back(std::move(in));
      ++done;
    }
  }
  using u128 = unsigned __int128;
  uint64_t computeCycles = ceilDiv(kd.macs, target.peakMacsPerCycle());
  uint64_t memoryCycles = uint64_t((u128(kd.minDramBytes) * target.clockHz +
                                    target.dramBandwidth - 1) /
                                   target.dramBandwidth);
  kd.roofline = std::max(computeCycles, memoryCycles);
  kernels.push_back(std::move(kd));
  return true;
}

Program::Program() : impl(std::make_unique<Impl>()) {}
Program::~Program() = default;

std::unique_ptr<Program> Program::load(const void *data, size_t size, std::string &error) {
  if (!data || size < 8) {
    error = "npu program: " + std::to_string(size) + " bytes, too short for a FlatBuffer";
    return nullptr;
  }
  if (!flatbuffers::BufferHasIdentifier(data, isa::ProgramIdentifier())) {
    std::string id(static_cast<const char *>(data) + 4, 4);
    for (char &ch : id)
      if (ch < 32 || ch > 126)
        ch = '?';
    error = "npu program: file identifier '" + id + "', expected '" +
            isa::ProgramIdentifier() + "'";
    return nullptr;
  }
  // The verifier needs aligned scalars; copy a misaligned buffer.
  std::vector<uint64_t> aligned;
  const uint8_t *buf = static_cast<const uint8_t *>(data);
  if (reinterpret_cast<uintptr_t>(buf) % 8) {
    aligned.resize((size + 7) / 8);
    std::memcpy(aligned.data(), buf, size);
    buf = reinterpret_cast<const uint8_t *>(aligned.data());
  }
  flatbuffers::Verifier verifier(buf, size, 64, std::max<size_t>(1000000, size / 4));
  if (!isa::VerifyProgramBuffer(verifier)) {
    error = "npu program: the FlatBuffer is truncated or malformed (" + std::to_string(size) +
            " bytes)";
    return nullptr;
  }
  const isa::Program *program = isa::GetProgram(buf);
  if (program->version() != uint32_t(isa::IsaVersion::Current)) {
    error = "npu program: isa version " + std::to_string(program->version()) +
            ", this simulator runs version " + std::to_string(uint32_t(isa::IsaVersion::Current));
    return nullptr;
  }
  std::unique_ptr<Program> p(new Program());
  if (!fromTable(program->target(), "npu program's target description", p->impl->target, error))
    return nullptr;
  if (const auto *kernels = program->kernels())
    for (uint32_t k = 0; k < kernels->size(); ++k)
      if (!p->impl->loadKernel(kernels->Get(k), error))
        return nullptr;
  return p;
}

const TargetDescription &Program::target() const { return impl->target; }
size_t Program::kernelCount() const { return impl->kernels.size(); }

int Program::findKernel(const std::string &name) const {
  for (size_t i = 0; i < impl->kernels.size(); ++i)
    if (impl->kernels[i].name == name)
      return int(i);
  return -1;
}

const std::string &Program::kernelName(size_t kernel) const { return impl->kernels.at(kernel).name; }

bool Program::run(size_t kernel, const std::vector<DramBinding> &bindings, KernelStats &stats,
                  std::vector<TraceEvent> *trace, std::string &error) const {
  if (kernel >= impl->kernels.size()) {
    error = "npu program: no kernel " + std::to_string(kernel) + " (it has " +
            std::to_string(impl->kernels.size()) + ")";
    return false;
  }
  const KernelData &kd = impl->kernels[kernel];
  // Every DMA against its binding, before anything runs.
  for (const Inst &in : kd.insts) {
    if (in.kind != Kind::Load && in.kind != Kind::Store)
      continue;
    std::string where = "kernel " + kd.name + " core " + std::to_string(in.core) + " queue " +
                        std::to_string(in.queue) + " instruction " + std::to_string(in.index);
    if (in.binding >= bindings.size()) {
      error = where + ": binding " + std::to_string(in.binding) + " is missing (the dispatch has " +
              std::to_string(bindings.size()) + ")";
      return false;
    }
    const DramBinding &b = bindings[in.binding];
    uint64_t es = typeBytes(in.dramType);
    if (uint64_t(in.maxElem) >= b.size / es || !b.data) {
      error = where + ": the descriptor reaches bytes [" + std::to_string(uint64_t(in.maxElem) * es) +
              ", " + std::to_string(uint64_t(in.maxElem + 1) * es) + ") of binding " +
              std::to_string(in.binding) + ", which has " + std::to_string(b.size) + " bytes";
      return false;
    }
  }

  // Scratchpads: from the pool, zeroed up to what the kernel uses.
  std::unique_ptr<std::vector<std::vector<uint8_t>>> sram;
  {
    std::lock_guard<std::mutex> lock(impl->mutex);
    if (!impl->pool.empty()) {
      sram = std::move(impl->pool.back());
      impl->pool.pop_back();
    }
  }
  if (!sram)
    sram = std::make_unique<std::vector<std::vector<uint8_t>>>();
  if (sram->size() < kd.cores)
    sram->resize(kd.cores);
  for (uint32_t c = 0; c < kd.cores; ++c) {
    auto &s = (*sram)[c];
    uint64_t hw = kd.highWater[c];
    if (s.size() < hw)
      s.resize(hw);
    if (hw)
      std::memset(s.data(), 0, hw);
  }

  Scratch scratch;
  for (const Inst &in : kd.insts) {
    uint8_t *spad = (*sram)[in.core].data();
    switch (in.kind) {
    case Kind::Load:
      dma<true>(in, static_cast<uint8_t *>(bindings[in.binding].data), spad);
      break;
    case Kind::Store:
      dma<false>(in, static_cast<uint8_t *>(bindings[in.binding].data), spad);
      break;
    case Kind::MatMul:
      matmul(in, spad, scratch);
      break;
    case Kind::Vector:
      vector(in, spad, scratch);
      break;
    case Kind::Reduce:
      reduce(in, spad, scratch);
      break;
    }
    if (trace)
      trace->push_back({in.core, in.queue, in.start, in.end, in.name});
  }
  {
    std::lock_guard<std::mutex> lock(impl->mutex);
    impl->pool.push_back(std::move(sram));
  }

  KernelStats run;
  run.cycles = kd.cycles;
  run.rooflineCycles = kd.roofline;
  run.macs = kd.macs;
  run.dramBytes = kd.dramBytes;
  run.minDramBytes = kd.minDramBytes;
  for (int q = 0; q < 3; ++q)
    run.busyCycles[q] = kd.busy[q];
  run.instructions = kd.insts.size();
  stats.add(run);
  return true;
}

} // namespace nuri::npu
