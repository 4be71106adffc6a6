// The reference NPU simulator: every instruction against a plain scalar
// reference on random data (bit-exact), malformed programs rejected with a
// message naming the instruction, and the cycle model.
#include "drivers/npu-sim/simulator.h"

#include "nuri/schemas/npu_isa_generated.h"
#include "targets/npu/description/TargetTable.h"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <optional>
#include <random>

namespace nuri::npu {
namespace {

namespace isa = nuri::npu::isa;
using isa::DType;
using Builder = flatbuffers::FlatBufferBuilder;

// ---- Assembling programs.

struct Desc {
  uint64_t offset = 0;
  std::array<uint32_t, 4> sizes{1, 1, 1, 1};
  std::array<int64_t, 4> strides{0, 0, 0, 1};
};

Desc dense(uint32_t n, uint64_t offset = 0) { return {offset, {1, 1, 1, n}, {0, 0, 0, 1}}; }

/// One instruction: its core, queue, operation, waits and signal.
struct TI {
  uint32_t core = 0;
  uint32_t queue = 0;
  isa::Op type = isa::Op::NONE;
  std::function<flatbuffers::Offset<void>(Builder &)> make;
  std::vector<isa::Wait> waits;
  int signal = -1;
  TI &on(uint32_t c) { core = c; return *this; }
  TI &in(uint32_t q) { queue = q; return *this; }
  TI &wait(uint16_t id, uint32_t count) { waits.emplace_back(id, count); return *this; }
  TI &sig(int id) { signal = id; return *this; }
};

isa::Descriptor toDesc(const Desc &d) {
  return isa::Descriptor(d.offset, flatbuffers::span<const uint32_t, 4>(d.sizes),
                         flatbuffers::span<const int64_t, 4>(d.strides));
}

TI load(uint32_t binding, Desc d, DType dramType, uint32_t sram, DType sramType) {
  TI t;
  t.queue = 0;
  t.type = isa::Op::DmaLoad;
  t.make = [=](Builder &b) {
    isa::Descriptor desc = toDesc(d);
    return isa::CreateDmaLoad(b, binding, &desc, dramType, sram, sramType).Union();
  };
  return t;
}

TI store(uint32_t binding, Desc d, DType dramType, uint32_t sram, DType sramType) {
  TI t;
  t.queue = 0;
  t.type = isa::Op::DmaStore;
  t.make = [=](Builder &b) {
    isa::Descriptor desc = toDesc(d);
    return isa::CreateDmaStore(b, binding, &desc, dramType, sram, sramType).Union();
  };
  return t;
}

/// A multicast DmaLoad to cores first, first + stride, ... (count).
TI loadM(uint32_t binding, Desc d, uint32_t sram, isa::Multicast group) {
  TI t;
  t.queue = 0;
  t.type = isa::Op::DmaLoad;
  t.make = [=](Builder &b) {
    isa::Descriptor desc = toDesc(d);
    return isa::CreateDmaLoad(b, binding, &desc, DType::F32, sram, DType::F32, nullptr, &group)
        .Union();
  };
  return t;
}

using SStr = std::array<uint32_t, 4>;

/// A DmaLoad / DmaStore with sram_strides.
TI loadS(uint32_t binding, Desc d, DType dramType, uint32_t sram, DType sramType, SStr ss) {
  TI t;
  t.queue = 0;
  t.type = isa::Op::DmaLoad;
  t.make = [=](Builder &b) {
    isa::Descriptor desc = toDesc(d);
    isa::SramStrides st{flatbuffers::span<const uint32_t, 4>(ss)};
    return isa::CreateDmaLoad(b, binding, &desc, dramType, sram, sramType, &st).Union();
  };
  return t;
}

TI storeS(uint32_t binding, Desc d, DType dramType, uint32_t sram, DType sramType, SStr ss) {
  TI t;
  t.queue = 0;
  t.type = isa::Op::DmaStore;
  t.make = [=](Builder &b) {
    isa::Descriptor desc = toDesc(d);
    isa::SramStrides st{flatbuffers::span<const uint32_t, 4>(ss)};
    return isa::CreateDmaStore(b, binding, &desc, dramType, sram, sramType, &st).Union();
  };
  return t;
}

TI matmul(uint32_t a, uint32_t b, uint32_t c, uint32_t m, uint32_t k, uint32_t n,
          DType in = DType::BF16, bool accumulate = false, uint32_t aStride = 0) {
  TI t;
  t.queue = 1;
  t.type = isa::Op::MatMul;
  t.make = [=](Builder &fb) {
    return isa::CreateMatMul(fb, a, b, c, m, k, n, in, accumulate, aStride).Union();
  };
  return t;
}

TI vec(isa::VectorOp op, DType src, DType dst, uint32_t d, uint32_t a, uint32_t b, uint32_t rows,
       uint32_t cols, isa::Broadcast bc = isa::Broadcast::Full, float imm = 0) {
  TI t;
  t.queue = 2;
  t.type = isa::Op::Vector;
  t.make = [=](Builder &fb) {
    return isa::CreateVector(fb, op, src, dst, d, a, b, rows, cols, bc, imm).Union();
  };
  return t;
}

TI reduce(isa::ReduceOp op, DType src, uint32_t dst, uint32_t s, uint32_t rows, uint32_t cols) {
  TI t;
  t.queue = 2;
  t.type = isa::Op::Reduce;
  t.make = [=](Builder &fb) { return isa::CreateReduce(fb, op, src, dst, s, rows, cols).Union(); };
  return t;
}

struct KSpec {
  std::string name = "k";
  uint16_t semaphores = 0;
  uint32_t cores = 1;
  std::vector<TI> insts;
  uint64_t macs = 0, minDramBytes = 0;
  uint32_t queues = 3;
};

std::vector<uint8_t> assemble(const TargetDescription &target, const std::vector<KSpec> &kernels,
                              uint32_t version = 1) {
  Builder b;
  std::vector<flatbuffers::Offset<isa::Kernel>> ks;
  for (const KSpec &k : kernels) {
    std::vector<flatbuffers::Offset<isa::Core>> cores;
    for (uint32_t c = 0; c < k.cores; ++c) {
      std::vector<flatbuffers::Offset<isa::Queue>> queues;
      for (uint32_t q = 0; q < k.queues; ++q) {
        std::vector<flatbuffers::Offset<isa::Instruction>> list;
        for (const TI &t : k.insts)
          if (t.core == c && t.queue == q) {
            auto op = t.make(b);
            auto waits = b.CreateVectorOfStructs(t.waits);
            list.push_back(isa::CreateInstruction(b, t.type, op, waits, t.signal));
          }
        queues.push_back(isa::CreateQueue(b, b.CreateVector(list)));
      }
      cores.push_back(isa::CreateCore(b, b.CreateVector(queues)));
    }
    ks.push_back(isa::CreateKernel(b, b.CreateString(k.name), k.semaphores, b.CreateVector(cores),
                                   k.macs, k.minDramBytes));
  }
  auto t = buildTarget(b, target);
  b.Finish(isa::CreateProgram(b, version, t, b.CreateVector(ks)), isa::ProgramIdentifier());
  return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

/// A small machine: 2 cores, a 4 x 8 matrix engine, 16 lanes, 64 KB of SRAM,
/// DMA 8 B/cycle per core, DRAM 12 B/cycle for all.
TargetDescription smallTarget() {
  TargetDescription t;
  t.name = "small";
  t.clockHz = 1000000000;
  t.cores = 2;
  t.matrixRows = 4;
  t.matrixCols = 8;
  t.int8Factor = 2;
  t.vectorLanes = 16;
  t.specialCycles = 4;
  t.scratchpadBytes = 65536;
  t.scratchpadBanks = 4;
  t.dmaBytesPerCycle = 8;
  t.descriptorCycles = 32;
  t.dramBytes = 1 << 30;
  t.dramBandwidth = 12000000000ull;
  return t;
}

std::unique_ptr<Program> mustLoad(const std::vector<uint8_t> &bytes) {
  std::string error;
  auto p = Program::load(bytes.data(), bytes.size(), error);
  EXPECT_TRUE(p) << error;
  return p;
}

std::string loadError(const std::vector<uint8_t> &bytes) {
  std::string error;
  auto p = Program::load(bytes.data(), bytes.size(), error);
  EXPECT_FALSE(p);
  return error;
}

bool runKernel(const Program &p, std::vector<std::vector<float>> &buffers, KernelStats *stats = nullptr,
               std::vector<TraceEvent> *trace = nullptr, std::string *errorOut = nullptr) {
  std::vector<DramBinding> bindings;
  for (auto &b : buffers)
    bindings.push_back({b.data(), b.size() * sizeof(float)});
  KernelStats s;
  std::string error;
  bool ok = p.run(0, bindings, stats ? *stats : s, trace, error);
  if (errorOut)
    *errorOut = error;
  else
    EXPECT_TRUE(ok) << error;
  return ok;
}

std::vector<float> randomFloats(size_t n, std::mt19937 &rng, float lo = -2, float hi = 2) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

float fromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

float roundTo(DType t, float f) { return t == DType::BF16 ? bf16ToFloat(floatToBf16(f)) : f; }

void expectSameFloats(const std::vector<float> &want, const std::vector<float> &got,
                      const std::string &what) {
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << what << " [" << i << "]";
      EXPECT_EQ(std::signbit(want[i]), std::signbit(got[i])) << what << " [" << i << "]";
    } else {
      EXPECT_EQ(bits(want[i]), bits(got[i]))
          << what << " [" << i << "]: " << want[i] << " vs " << got[i];
    }
    if (::testing::Test::HasFailure())
      return;
  }
}

// ---- bf16.

TEST(NpuSimTest, Bf16RoundsToNearestEven) {
  EXPECT_EQ(0x3f80, floatToBf16(1.0f));
  // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to even (1).
  EXPECT_EQ(0x3f80, floatToBf16(1.0f + 0x1p-8f));
  // 1 + 3 * 2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6: ties to even (0x3f82).
  EXPECT_EQ(0x3f82, floatToBf16(1.0f + 3 * 0x1p-8f));
  EXPECT_EQ(0x3f81, floatToBf16(1.0f + 0x1p-8f + 0x1p-20f)); // above the tie
  EXPECT_EQ(0xbf82, floatToBf16(-(1.0f + 3 * 0x1p-8f)));
  EXPECT_EQ(0x7f80, floatToBf16(INFINITY));
  EXPECT_EQ(0xff80, floatToBf16(-INFINITY));
  EXPECT_EQ(0x7f80, floatToBf16(3.4028235e38f)); // the largest float rounds up to inf
  EXPECT_EQ(0x8000, floatToBf16(-0.0f));
  // NaN stays NaN, quiet, with its sign, even one whose payload is in the low bits.
  EXPECT_EQ(0x7fc0, floatToBf16(fromBits(0x7f800001)));
  EXPECT_EQ(0xffc0, floatToBf16(fromBits(0xff800001)));
  EXPECT_EQ(0x7fc0, floatToBf16(std::nanf("")));
  EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBf16(fromBits(0x7fbfffff)))));
  EXPECT_EQ(0x3f808000u, bits(bf16ToFloat(0x3f80) + 0x1p-8f)); // bf16 -> f32 is exact
  EXPECT_EQ(0x40490000u, bits(bf16ToFloat(0x4049)));
  // Subnormals round too.
  EXPECT_EQ(0x0001, floatToBf16(fromBits(0x00008000 + 1)));
  EXPECT_EQ(0x0000, floatToBf16(fromBits(0x00008000)));
}

// ---- DMA.

int64_t element(const Desc &d, uint32_t i0, uint32_t i1, uint32_t i2, uint32_t i3) {
  return int64_t(d.offset) + i0 * d.strides[0] + i1 * d.strides[1] + i2 * d.strides[2] +
         i3 * d.strides[3];
}

TEST(NpuSimTest, DmaStridedWithConversions) {
  std::mt19937 rng(1);
  TargetDescription t = smallTarget();
  // A 4-D gather with a negative and a non-unit inner stride, converting
  // F32 -> BF16; stored back dense BF16 -> F32. Then a dense F32 load and a
  // scatter with a negative inner stride (F32 -> F32), and a broadcast
  // (stride 0) of BF16 data.
  Desc gather{300, {2, 3, 4, 5}, {150, -40, 7, 2}};
  Desc scatter{119, {1, 1, 1, 120}, {0, 0, 0, -1}};
  Desc bcast{5, {1, 3, 1, 4}, {0, 0, 0, 0}};
  KSpec k;
  k.insts = {load(0, gather, DType::F32, 0, DType::BF16),
             store(1, dense(120), DType::F32, 0, DType::BF16),
             load(0, dense(120, 7), DType::F32, 1024, DType::F32),
             store(2, scatter, DType::F32, 1024, DType::F32),
             load(3, bcast, DType::BF16, 2048, DType::BF16),
             store(3, dense(12, 100), DType::BF16, 2048, DType::BF16)};
  auto p = mustLoad(assemble(t, {k}));
  ASSERT_TRUE(p);
  std::vector<std::vector<float>> buf = {randomFloats(700, rng), std::vector<float>(120),
                                         std::vector<float>(120), randomFloats(64, rng)};
  std::vector<float> in3 = buf[3];
  ASSERT_TRUE(runKernel(*p, buf));

  std::vector<float> want1;
  for (uint32_t i0 = 0; i0 < 2; ++i0)
    for (uint32_t i1 = 0; i1 < 3; ++i1)
      for (uint32_t i2 = 0; i2 < 4; ++i2)
        for (uint32_t i3 = 0; i3 < 5; ++i3)
          want1.push_back(roundTo(DType::BF16, buf[0][element(gather, i0, i1, i2, i3)]));
  expectSameFloats(want1, buf[1], "gather");
  std::vector<float> want2(120);
  for (int i = 0; i < 120; ++i)
    want2[119 - i] = buf[0][7 + i];
  expectSameFloats(want2, buf[2], "scatter");
  // Binding 3 as bf16 halves: element 5 (bytes 10..11) copied to elements 100..111.
  uint16_t src;
  std::memcpy(&src, reinterpret_cast<uint8_t *>(in3.data()) + 10, 2);
  for (int i = 0; i < 12; ++i) {
    uint16_t got;
    std::memcpy(&got, reinterpret_cast<uint8_t *>(buf[3].data()) + 2 * (100 + i), 2);
    EXPECT_EQ(src, got) << i;
  }
}

// ---- DMA with SRAM strides, against a scalar model of SRAM and DRAM bytes.

/// One DMA: the instruction and its scalar reference.
struct RefDma {
  bool load;
  uint32_t binding;
  Desc d;
  DType dramType;
  uint32_t sram;
  DType sramType;
  std::optional<SStr> ss; // none: dense

  TI inst() const {
    if (ss)
      return load ? loadS(binding, d, dramType, sram, sramType, *ss)
                  : storeS(binding, d, dramType, sram, sramType, *ss);
    return load ? ::nuri::npu::load(binding, d, dramType, sram, sramType)
                : store(binding, d, dramType, sram, sramType);
  }
};

float readAs(const uint8_t *p, DType t) {
  if (t == DType::F32) {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  }
  uint16_t v;
  std::memcpy(&v, p, 2);
  return bf16ToFloat(v);
}

void writeAs(uint8_t *p, DType t, float f) {
  if (t == DType::F32) {
    std::memcpy(p, &f, 4);
    return;
  }
  uint16_t v = floatToBf16(f);
  std::memcpy(p, &v, 2);
}

/// Element by element, in iteration order (i3 fastest), as the ISA defines it.
void refDma(const RefDma &r, std::vector<uint8_t> &sram, std::vector<std::vector<float>> &dram) {
  size_t de = r.dramType == DType::F32 ? 4 : 2, se = r.sramType == DType::F32 ? 4 : 2;
  const auto &z = r.d.sizes;
  SStr st = r.ss ? *r.ss : SStr{z[1] * z[2] * z[3], z[2] * z[3], z[3], 1};
  uint8_t *base = reinterpret_cast<uint8_t *>(dram[r.binding].data());
  for (uint32_t i0 = 0; i0 < z[0]; ++i0)
    for (uint32_t i1 = 0; i1 < z[1]; ++i1)
      for (uint32_t i2 = 0; i2 < z[2]; ++i2)
        for (uint32_t i3 = 0; i3 < z[3]; ++i3) {
          uint8_t *dp = base + element(r.d, i0, i1, i2, i3) * de;
          uint64_t a = r.sram + (uint64_t(i0) * st[0] + uint64_t(i1) * st[1] +
                                 uint64_t(i2) * st[2] + uint64_t(i3) * st[3]) * se;
          ASSERT_LE(a + se, sram.size());
          uint8_t *sp = sram.data() + a;
          const uint8_t *from = r.load ? dp : sp;
          uint8_t *to = r.load ? sp : dp;
          if (r.dramType == r.sramType)
            std::memcpy(to, from, de);
          else
            writeAs(to, r.load ? r.sramType : r.dramType,
                    readAs(from, r.load ? r.dramType : r.sramType));
        }
}

/// Runs the DMAs as one kernel and against the reference (SRAM zeroed at
/// the start); every binding must come out bit-identical.
void checkDmas(const std::vector<RefDma> &dmas, std::vector<std::vector<float>> buffers,
               const std::string &what) {
  TargetDescription t = smallTarget();
  KSpec k;
  for (const RefDma &r : dmas)
    k.insts.push_back(r.inst());
  auto p = mustLoad(assemble(t, {k}));
  ASSERT_TRUE(p);
  std::vector<std::vector<float>> want = buffers;
  std::vector<uint8_t> sram(t.scratchpadBytes, 0);
  for (const RefDma &r : dmas) {
    refDma(r, sram, want);
    ASSERT_FALSE(::testing::Test::HasFailure());
  }
  ASSERT_TRUE(runKernel(*p, buffers));
  for (size_t b = 0; b < want.size(); ++b)
    expectSameFloats(want[b], buffers[b], what + ", binding " + std::to_string(b));
}

TEST(NpuSimTest, DmaLoadWithSramStridesMatchesScalarReference) {
  std::mt19937 rng(11);
  // im2col of a 3 x 7 x 7 padded image (3 x 3 kernel, stride 2, 3 x 3
  // outputs) into a [9, 27] BF16 tile: one load per kernel tap (kh, kw),
  // sizes [OH, OW, C, 1], DRAM strides [2*Wp, 2, Hp*Wp, 0], SRAM strides
  // [OW*K, K, 9, 0]; then the tile stored dense (BF16 -> F32).
  const uint32_t C = 3, Hp = 7, Wp = 7, OH = 3, OW = 3, K = C * 9;
  std::vector<RefDma> im2col;
  for (uint32_t kh = 0; kh < 3; ++kh)
    for (uint32_t kw = 0; kw < 3; ++kw)
      im2col.push_back({true, 0, Desc{kh * Wp + kw, {OH, OW, C, 1}, {2 * Wp, 2, Hp * Wp, 0}},
                        DType::F32, 2 * (kh * 3 + kw), DType::BF16, SStr{OW * K, K, 9, 0}});
  im2col.push_back({false, 1, dense(OH * OW * K), DType::F32, 0, DType::BF16, std::nullopt});
  checkDmas(im2col, {randomFloats(C * Hp * Wp, rng), std::vector<float>(OH * OW * K)}, "im2col");

  // Zero strides: rows written over each other (the last row stays), one
  // element written 5 times (the last stays, BF16 -> F32), and a non-unit
  // inner stride on both sides with a negative DRAM stride (F32 -> BF16).
  std::vector<RefDma> zero = {
      {true, 0, Desc{50, {1, 1, 3, 4}, {0, 0, 4, 1}}, DType::F32, 4096, DType::F32,
       SStr{0, 0, 0, 1}},
      {true, 0, Desc{70, {1, 1, 1, 5}, {0, 0, 0, 1}}, DType::BF16, 4096 + 64, DType::F32,
       SStr{0, 0, 0, 0}},
      {false, 1, dense(20), DType::F32, 4096, DType::F32, std::nullopt},
      {true, 0, Desc{120, {1, 2, 3, 4}, {0, 30, -5, 2}}, DType::F32, 8192, DType::BF16,
       SStr{0, 40, 1, 3}},
      {false, 2, dense(52), DType::F32, 8192, DType::BF16, std::nullopt},
      // Both inner strides 1 (the contiguous path) inside strided outer loops.
      {true, 0, Desc{3, {2, 1, 3, 6}, {60, 0, 7, 1}}, DType::F32, 12288, DType::F32,
       SStr{40, 0, 10, 1}},
      {false, 3, dense(70), DType::F32, 12288, DType::F32, std::nullopt}};
  checkDmas(zero,
            {randomFloats(200, rng), std::vector<float>(20), std::vector<float>(52),
             std::vector<float>(70)},
            "zero strides");
}

TEST(NpuSimTest, DmaStoreWithSramStridesMatchesScalarReference) {
  std::mt19937 rng(12);
  std::vector<RefDma> dmas = {
      {true, 0, dense(60), DType::F32, 0, DType::F32, std::nullopt},
      // A transpose: the [12, 5] tile read column by column.
      {false, 1, Desc{0, {1, 1, 5, 12}, {0, 0, 12, 1}}, DType::F32, 0, DType::F32,
       SStr{0, 0, 1, 5}},
      // Zero strides: one SRAM row to three DRAM rows, F32 -> BF16.
      {false, 2, Desc{3, {1, 2, 3, 4}, {0, 12, 4, 1}}, DType::BF16, 0, DType::F32,
       SStr{0, 7, 0, 1}},
      // One SRAM element to 6 DRAM positions.
      {false, 2, Desc{40, {1, 1, 2, 3}, {0, 0, 3, 1}}, DType::F32, 4 * 17, DType::F32,
       SStr{0, 0, 0, 0}},
      // BF16 -> F32 with every stride set.
      {true, 0, dense(60), DType::F32, 1024, DType::BF16, std::nullopt},
      {false, 3, Desc{0, {2, 3, 1, 5}, {15, 5, 0, 1}}, DType::F32, 1024, DType::BF16,
       SStr{30, 2, 0, 6}},
      // Contiguous rows (both inner strides 1), rows 12 elements apart.
      {false, 4, Desc{0, {1, 1, 4, 5}, {0, 0, 5, 1}}, DType::F32, 8, DType::F32,
       SStr{0, 0, 12, 1}}};
  checkDmas(dmas,
            {randomFloats(60, rng), std::vector<float>(60), std::vector<float>(50),
             std::vector<float>(30), std::vector<float>(20)},
            "strided store");
}

TEST(NpuSimTest, DmaSramStridesWritePaddedPlaneInterior) {
  std::mt19937 rng(13);
  TargetDescription t = smallTarget();
  const uint32_t C = 3, H = 4, W = 5, Hp = 6, Wp = 7, plane = Hp * Wp;
  for (DType st : {DType::F32, DType::BF16}) {
    const uint32_t se = st == DType::F32 ? 4 : 2;
    // SRAM planes filled with 7.5, the interiors overwritten from [C, H, W]
    // DRAM with sizes [1, C, H, W], DRAM strides [0, H*W, W, 1] and SRAM
    // strides [0, Hp*Wp, Wp, 1]; then the planes stored dense.
    KSpec k;
    k.insts = {load(0, dense(C * plane), DType::F32, 0, st),
               loadS(1, Desc{0, {1, C, H, W}, {0, H * W, W, 1}}, DType::F32, (Wp + 1) * se, st,
                     SStr{0, plane, Wp, 1}),
               store(2, dense(C * plane), DType::F32, 0, st)};
    auto p = mustLoad(assemble(t, {k}));
    ASSERT_TRUE(p);
    std::vector<std::vector<float>> buf = {std::vector<float>(C * plane, 7.5f),
                                           randomFloats(C * H * W, rng),
                                           std::vector<float>(C * plane)};
    ASSERT_TRUE(runKernel(*p, buf));
    for (uint32_t c = 0; c < C; ++c)
      for (uint32_t y = 0; y < Hp; ++y)
        for (uint32_t x = 0; x < Wp; ++x) {
          bool inside = y >= 1 && y <= H && x >= 1 && x <= W;
          float want = inside ? roundTo(st, buf[1][(c * H + y - 1) * W + x - 1]) : 7.5f;
          EXPECT_EQ(bits(want), bits(buf[2][c * plane + y * Wp + x]))
              << isa::EnumNameDType(st) << " c " << c << " y " << y << " x " << x;
        }
  }
}

TEST(NpuSimTest, SramStridesRangeIsZeroedAtKernelStart) {
  // Kernel "dirty" fills SRAM bytes [0, 16384) of the scratchpad (reused
  // across runs); kernel "read" only stores three elements 2000 apart (with
  // sram_strides, bytes [0, 16004)): never written in that kernel, they read 0.
  TargetDescription t = smallTarget();
  KSpec dirty, read;
  dirty.name = "dirty";
  dirty.insts = {load(0, dense(4096), DType::F32, 0, DType::F32)};
  read.name = "read";
  read.insts = {storeS(1, dense(3), DType::F32, 0, DType::F32, SStr{0, 0, 0, 2000})};
  auto p = mustLoad(assemble(t, {dirty, read}));
  ASSERT_TRUE(p);
  std::vector<float> in(4096, 1.5f), out(3, -1.0f);
  std::vector<DramBinding> b = {{in.data(), in.size() * 4}, {out.data(), out.size() * 4}};
  KernelStats stats;
  std::string error;
  ASSERT_TRUE(p->run(0, b, stats, nullptr, error)) << error;
  ASSERT_TRUE(p->run(1, b, stats, nullptr, error)) << error;
  EXPECT_EQ(std::vector<float>(3, 0.0f), out);
}

TEST(NpuSimTest, AbsentSramStridesIsTheDenseLayout) {
  std::mt19937 rng(14);
  TargetDescription t = smallTarget();
  // The same gather, without sram_strides and with the dense strides
  // spelled out: the same SRAM tile, the same cycles and DRAM bytes.
  Desc gather{300, {2, 3, 4, 5}, {150, -40, 7, 2}};
  std::vector<float> src = randomFloats(700, rng);
  std::vector<std::vector<float>> outs;
  std::vector<KernelStats> stats;
  for (bool explicitStrides : {false, true}) {
    KSpec k;
    k.insts = {explicitStrides
                   ? loadS(0, gather, DType::F32, 64, DType::BF16, SStr{60, 20, 5, 1})
                   : load(0, gather, DType::F32, 64, DType::BF16),
               store(1, dense(120), DType::F32, 64, DType::BF16)};
    auto p = mustLoad(assemble(t, {k}));
    ASSERT_TRUE(p);
    std::vector<std::vector<float>> buf = {src, std::vector<float>(120)};
    KernelStats s;
    ASSERT_TRUE(runKernel(*p, buf, &s));
    outs.push_back(buf[1]);
    stats.push_back(s);
  }
  expectSameFloats(outs[0], outs[1], "dense vs explicit strides");
  EXPECT_EQ(stats[0].cycles, stats[1].cycles);
  EXPECT_EQ(stats[0].dramBytes, stats[1].dramBytes);
  EXPECT_EQ(stats[0].busyCycles[0], stats[1].busyCycles[0]);
  // A strided SRAM side moves the same DRAM bytes at the same cost.
  KSpec a, b;
  a.insts = {load(0, dense(64), DType::F32, 0, DType::F32)};
  b.insts = {loadS(0, dense(64), DType::F32, 0, DType::F32, SStr{0, 0, 0, 9})};
  std::vector<std::vector<float>> buf = {src};
  KernelStats sa, sb;
  auto pa = mustLoad(assemble(t, {a})), pb = mustLoad(assemble(t, {b}));
  ASSERT_TRUE(pa && pb);
  ASSERT_TRUE(runKernel(*pa, buf, &sa));
  ASSERT_TRUE(runKernel(*pb, buf, &sb));
  EXPECT_EQ(sa.cycles, sb.cycles);
  EXPECT_EQ(256u, sb.dramBytes);
}

TEST(NpuSimTest, RejectsSramStridesOutsideTheScratchpad) {
  TargetDescription t = smallTarget();
  auto one = [&](TI ins) {
    KSpec ks;
    ks.insts = {load(0, dense(4), DType::F32, 0, DType::F32), std::move(ins)};
    return loadError(assemble(t, {ks}));
  };
  auto has = [](const std::string &error, const std::string &part) {
    return error.find(part) != std::string::npos;
  };
  std::string e;
  // 8 elements, but reaching element 8192 + 3: bytes [32768, 65552).
  e = one(loadS(0, Desc{0, {1, 1, 2, 4}, {0, 0, 4, 1}}, DType::F32, 32768, DType::F32,
                SStr{0, 0, 8192, 1}));
  EXPECT_TRUE(has(e, "kernel k core 0 queue 0 instruction 1: sram [32768, 65552) (with "
                     "sram_strides) is outside the scratchpad of 65536 bytes")) << e;
  // Huge strides: no overflow, 2 * (2^32 - 1) * 3 + 1 elements of 4 bytes.
  e = one(loadS(0, Desc{0, {1, 2, 2, 2}, {0, 0, 0, 1}}, DType::F32, 0, DType::F32,
                SStr{0, 0xffffffffu, 0xffffffffu, 0xffffffffu}));
  EXPECT_TRUE(has(e, "queue 0 instruction 1: sram [0, 51539607544) (with sram_strides) is "
                     "outside the scratchpad")) << e;
  e = one(storeS(0, Desc{0, {0xffffu, 1, 1, 1}, {1, 0, 0, 0}}, DType::F32, 8, DType::F32,
                 SStr{0xffffffffu, 0, 0, 0}));
  EXPECT_TRUE(has(e, "queue 0 instruction 1: sram [8, 1125865546842132) (with sram_strides) is "
                     "outside the scratchpad of 65536 bytes")) << e;
  // The range, not the element count, is what must fit: 8 BF16 elements
  // (16 bytes dense) all stored from the scratchpad's last 2 bytes.
  KSpec ok;
  ok.insts = {storeS(0, Desc{0, {1, 1, 2, 4}, {0, 0, 4, 1}}, DType::F32, 65534, DType::BF16,
                     SStr{0, 0, 0, 0})};
  EXPECT_TRUE(mustLoad(assemble(t, {ok})));
  ok.insts = {store(0, Desc{0, {1, 1, 2, 4}, {0, 0, 4, 1}}, DType::F32, 65534, DType::BF16)};
  EXPECT_TRUE(has(loadError(assemble(t, {ok})), "sram [65534, 65550) is outside")) ;
}

// ---- Matrix engine.

struct MatMulCase {
  uint32_t m, k, n;
  bool accumulate;
};

TEST(NpuSimTest, MatMulBf16MatchesScalarReference) {
  std::mt19937 rng(2);
  TargetDescription t = smallTarget();
  for (MatMulCase mc : {MatMulCase{5, 7, 9, false}, MatMulCase{5, 7, 9, true},
                        MatMulCase{16, 300, 20, true}, MatMulCase{1, 1, 1, false}}) {
    uint32_t m = mc.m, k = mc.k, n = mc.n;
    uint32_t a = 0, b = 16384, c = 32768;
    KSpec ks;
    ks.semaphores = 2;
    ks.insts = {load(0, dense(m * k), DType::F32, a, DType::BF16).sig(0),
                load(1, dense(k * n), DType::F32, b, DType::BF16).sig(0),
                load(2, dense(m * n), DType::F32, c, DType::F32).sig(0),
                matmul(a, b, c, m, k, n, DType::BF16, mc.accumulate).wait(0, 3).sig(1),
                store(2, dense(m * n), DType::F32, c, DType::F32).wait(1, 1)};
    auto p = mustLoad(assemble(t, {ks}));
    ASSERT_TRUE(p);
    std::vector<std::vector<float>> buf = {randomFloats(m * k, rng), randomFloats(k * n, rng),
                                           randomFloats(m * n, rng, -100, 100)};
    std::vector<float> want(m * n);
    for (uint32_t i = 0; i < m; ++i)
      for (uint32_t j = 0; j < n; ++j) {
        float acc = mc.accumulate ? buf[2][i * n + j] : 0.0f;
        for (uint32_t kk = 0; kk < k; ++kk) {
          float prod = roundTo(DType::BF16, buf[0][i * k + kk]) *
                       roundTo(DType::BF16, buf[1][kk * n + j]);
          acc = acc + prod;
        }
        want[i * n + j] = acc;
      }
    ASSERT_TRUE(runKernel(*p, buf));
    expectSameFloats(want, buf[2], "matmul " + std::to_string(m) + "x" + std::to_string(k) +
                                       "x" + std::to_string(n));
  }
}

// a_stride < k: row i of A starts i * a_stride elements in, so rows
// overlap (a stride-1 convolution's shifted windows); bf16 and int8.
TEST(NpuSimTest, MatMulWithOverlappingRowsMatchesScalarReference) {
  std::mt19937 rng(4);
  TargetDescription t = smallTarget();
  const uint32_t m = 6, k = 12, n = 5, lda = 4, span = (m - 1) * lda + k;
  for (DType in : {DType::BF16, DType::I8}) {
    uint32_t a = 0, b = 16384, c = 32768;
    KSpec ks;
    ks.semaphores = 2;
    DType dram = in == DType::I8 ? DType::I8 : DType::F32;
    DType acc = in == DType::I8 ? DType::I32 : DType::F32;
    ks.insts = {load(0, dense(span), dram, a, in).sig(0),
                load(1, dense(k * n), dram, b, in).sig(0),
                matmul(a, b, c, m, k, n, in, false, lda).wait(0, 2).sig(1),
                store(2, dense(m * n), acc, c, acc).wait(1, 1)};
    auto p = mustLoad(assemble(t, {ks}));
    ASSERT_TRUE(p);
    std::vector<std::vector<float>> buf = {randomFloats(span, rng), randomFloats(k * n, rng),
                                           std::vector<float>(m * n)};
    if (in == DType::I8) {
      // Small integers in the int8 bytes of the buffers.
      std::vector<std::vector<float>> bytes(3);
      for (int i = 0; i < 2; ++i) {
        bytes[i].assign(buf[i].size(), 0.0f);
        auto *q = reinterpret_cast<int8_t *>(bytes[i].data());
        for (size_t j = 0; j < buf[i].size(); ++j)
          q[j] = int8_t(int(buf[i][j] * 100) % 100);
      }
      bytes[2] = buf[2];
      buf = bytes;
    }
    std::vector<float> want(m * n);
    for (uint32_t i = 0; i < m; ++i)
      for (uint32_t j = 0; j < n; ++j) {
        if (in == DType::I8) {
          const auto *qa = reinterpret_cast<const int8_t *>(buf[0].data());
          const auto *qb = reinterpret_cast<const int8_t *>(buf[1].data());
          int32_t sum = 0;
          for (uint32_t kk = 0; kk < k; ++kk)
            sum += int32_t(qa[i * lda + kk]) * int32_t(qb[kk * n + j]);
          std::memcpy(&want[i * n + j], &sum, 4);
          continue;
        }
        float sum = 0.0f;
        for (uint32_t kk = 0; kk < k; ++kk)
          sum = sum + roundTo(DType::BF16, buf[0][i * lda + kk]) *
                          roundTo(DType::BF16, buf[1][kk * n + j]);
        want[i * n + j] = sum;
      }
    ASSERT_TRUE(runKernel(*p, buf));
    if (in == DType::I8)
      EXPECT_EQ(0, std::memcmp(want.data(), buf[2].data(), want.size() * 4));
    else
      expectSameFloats(want, buf[2], "matmul with a_stride 4");
  }
}

TEST(NpuSimTest, MatMulInt8AccumulatesInWrappingInt32) {
  std::mt19937 rng(3);
  TargetDescription t = smallTarget();
  uint32_t m = 6, k = 40, n = 10;
  KSpec ks;
  ks.semaphores = 2;
  // Bindings as raw bytes: A and B int8, C int32.
  ks.insts = {load(0, dense(m * k), DType::I8, 0, DType::I8).sig(0),
              load(1, dense(k * n), DType::I8, 1024, DType::I8).sig(0),
              load(2, dense(m * n), DType::I32, 4096, DType::I32).sig(0),
              matmul(0, 1024, 4096, m, k, n, DType::I8, true).wait(0, 3).sig(1),
              store(2, dense(m * n), DType::I32, 4096, DType::I32).wait(1, 1)};
  auto p = mustLoad(assemble(t, {ks}));
  ASSERT_TRUE(p);
  std::vector<int8_t> A(m * k), B(k * n);
  std::vector<int32_t> C(m * n);
  std::uniform_int_distribution<int> d8(-128, 127);
  for (auto &x : A)
    x = int8_t(d8(rng));
  for (auto &x : B)
    x = int8_t(d8(rng));
  for (size_t i = 0; i < C.size(); ++i) // near the ends, so the sums wrap
    C[i] = i % 2 ? INT32_MAX - 1000 : INT32_MIN + 1000;
  A[0] = -128;
  B[0] = -128;
  std::vector<int32_t> want(m * n);
  for (uint32_t i = 0; i < m; ++i)
    for (uint32_t j = 0; j < n; ++j) {
      uint32_t acc = uint32_t(C[i * n + j]);
      for (uint32_t kk = 0; kk < k; ++kk)
        acc += uint32_t(int32_t(A[i * k + kk]) * int32_t(B[kk * n + j]));
      want[i * n + j] = int32_t(acc);
    }
  std::vector<DramBinding> bindings = {
      {A.data(), A.size()}, {B.data(), B.size()}, {C.data(), C.size() * 4}};
  KernelStats stats;
  std::string error;
  ASSERT_TRUE(p->run(0, bindings, stats, nullptr, error)) << error;
  EXPECT_EQ(want, C);
  bool wrapped = false;
  for (size_t i = 0; i < C.size(); ++i)
    wrapped |= (i % 2 == 1 && C[i] < 0) || (i % 2 == 0 && C[i] > 0);
  EXPECT_TRUE(wrapped);
}

// ---- Vector engine.

float refUnary(isa::VectorOp op, float a) {
  using Op = isa::VectorOp;
  switch (op) {
  case Op::Copy: return a;
  case Op::Relu: return a < 0 ? 0.0f : a;
  case Op::Neg: return -a;
  case Op::Abs: return std::fabs(a);
  case Op::Exp: return expf(a);
  case Op::Tanh: return tanhf(a);
  case Op::Rsqrt: return 1.0f / sqrtf(a);
  case Op::Sqrt: return sqrtf(a);
  case Op::Erf: return erff(a);
  case Op::Sigmoid: return 1.0f / (1.0f + expf(-a));
  case Op::Recip: return 1.0f / a;
  default: return NAN;
  }
}

float refBinary(isa::VectorOp op, float a, float b) {
  using Op = isa::VectorOp;
  switch (op) {
  case Op::Add: return a + b;
  case Op::Sub: return a - b;
  case Op::Mul: return a * b;
  case Op::Div: return a / b;
  case Op::Max: return std::isnan(a) ? a : std::isnan(b) ? b : (a < b ? b : a);
  case Op::Min: return std::isnan(a) ? a : std::isnan(b) ? b : (b < a ? b : a);
  default: return NAN;
  }
}

TEST(NpuSimTest, EveryVectorOpWithEveryBroadcast) {
  std::mt19937 rng(4);
  TargetDescription t = smallTarget();
  const uint32_t rows = 5, cols = 13, n = rows * cols;
  int cases = 0;
  for (int opi = 0; opi <= int(isa::VectorOp::Recip); ++opi) {
    auto op = isa::VectorOp(opi);
    bool binary = op >= isa::VectorOp::Add && op <= isa::VectorOp::Min;
    for (int bci = 0; bci < (binary ? 4 : 1); ++bci) {
      auto bc = isa::Broadcast(bci);
      for (DType src : {DType::F32, DType::BF16})
        for (DType dst : {DType::F32, DType::BF16}) {
          uint32_t bn = bc == isa::Broadcast::Full ? n : bc == isa::Broadcast::Row ? cols : rows;
          float imm = 0.75f;
          KSpec ks;
          ks.semaphores = 2;
          ks.insts = {load(0, dense(n), DType::F32, 0, src).sig(0),
                      load(1, dense(bn), DType::F32, 4096, src).sig(0),
                      vec(op, src, dst, 8192, 0, 4096, rows, cols, bc, imm).wait(0, 2).sig(1),
                      store(2, dense(n), DType::F32, 8192, dst).wait(1, 1)};
          auto p = mustLoad(assemble(t, {ks}));
          ASSERT_TRUE(p);
          std::vector<std::vector<float>> buf = {randomFloats(n, rng, -4, 4),
                                                 randomFloats(bn, rng, -4, 4),
                                                 std::vector<float>(n)};
          // Specials: NaN on either side, infinities, zeros of both signs.
          buf[0][0] = NAN;
          buf[0][1] = -INFINITY;
          buf[0][2] = -0.0f;
          buf[0][3] = 0.0f;
          buf[1][bn - 1] = -NAN;
          std::vector<float> want(n);
          for (uint32_t i = 0; i < rows; ++i)
            for (uint32_t j = 0; j < cols; ++j) {
              float a = roundTo(src, buf[0][i * cols + j]);
              float r;
              if (!binary) {
                r = refUnary(op, a);
              } else {
                float b = bc == isa::Broadcast::Full     ? buf[1][i * cols + j]
                          : bc == isa::Broadcast::Row    ? buf[1][j]
                          : bc == isa::Broadcast::Column ? buf[1][i]
                                                         : imm;
                if (bc != isa::Broadcast::Scalar)
                  b = roundTo(src, b);
                r = refBinary(op, a, b);
              }
              want[i * cols + j] = roundTo(dst, r);
            }
          ASSERT_TRUE(runKernel(*p, buf));
          expectSameFloats(want, buf[2],
                           std::string(isa::EnumNameVectorOp(op)) + " " +
                               isa::EnumNameBroadcast(bc) + " " + isa::EnumNameDType(src) +
                               "->" + isa::EnumNameDType(dst));
          if (HasFailure())
            return;
          ++cases;
        }
    }
  }
  EXPECT_EQ((11 + 6 * 4) * 4, cases);
}

TEST(NpuSimTest, VectorInPlace) {
  TargetDescription t = smallTarget();
  KSpec ks;
  ks.semaphores = 2;
  ks.insts = {load(0, dense(32), DType::F32, 0, DType::F32).sig(0),
              vec(isa::VectorOp::Mul, DType::F32, DType::F32, 0, 0, 0, 4, 8).wait(0, 1).sig(1),
              store(0, dense(32), DType::F32, 0, DType::F32).wait(1, 1)};
  auto p = mustLoad(assemble(t, {ks}));
  ASSERT_TRUE(p);
  std::mt19937 rng(5);
  std::vector<std::vector<float>> buf = {randomFloats(32, rng)};
  std::vector<float> want = buf[0];
  for (float &x : want)
    x = x * x;
  ASSERT_TRUE(runKernel(*p, buf));
  expectSameFloats(want, buf[0], "in place");
}

TEST(NpuSimTest, ReduceSumAndMax) {
  std::mt19937 rng(6);
  TargetDescription t = smallTarget();
  const uint32_t rows = 7, cols = 33;
  for (auto op : {isa::ReduceOp::Sum, isa::ReduceOp::Max})
    for (DType src : {DType::F32, DType::BF16}) {
      KSpec ks;
      ks.semaphores = 2;
      ks.insts = {load(0, dense(rows * cols), DType::F32, 0, src).sig(0),
                  reduce(op, src, 4096, 0, rows, cols).wait(0, 1).sig(1),
                  store(1, dense(rows), DType::F32, 4096, DType::F32).wait(1, 1)};
      auto p = mustLoad(assemble(t, {ks}));
      ASSERT_TRUE(p);
      std::vector<std::vector<float>> buf = {randomFloats(rows * cols, rng, -50, 50),
                                             std::vector<float>(rows)};
      buf[0][cols * 2 + 5] = NAN; // row 2 is NaN either way
      std::vector<float> want(rows);
      for (uint32_t i = 0; i < rows; ++i) {
        float acc = roundTo(src, buf[0][i * cols]);
        for (uint32_t j = 1; j < cols; ++j) {
          float x = roundTo(src, buf[0][i * cols + j]);
          acc = op == isa::ReduceOp::Sum ? acc + x : refBinary(isa::VectorOp::Max, acc, x);
        }
        want[i] = acc;
      }
      ASSERT_TRUE(runKernel(*p, buf));
      expectSameFloats(want, buf[1], std::string("reduce ") + isa::EnumNameReduceOp(op));
      EXPECT_TRUE(std::isnan(buf[1][2]));
    }
}

// ---- Rejections.

TEST(NpuSimTest, RejectsBadInstructions) {
  TargetDescription t = smallTarget();
  auto one = [&](TI ins, uint16_t semaphores = 1) {
    KSpec ks;
    ks.semaphores = semaphores;
    ks.insts = {load(0, dense(4), DType::F32, 0, DType::F32), std::move(ins)};
    return loadError(assemble(t, {ks}));
  };
  auto has = [](const std::string &error, const std::string &part) {
    return error.find(part) != std::string::npos;
  };
  std::string e;
  // An SRAM range past the end of the 64 KB scratchpad.
  e = one(vec(isa::VectorOp::Exp, DType::F32, DType::F32, 0, 65536 - 16, 0, 2, 4));
  EXPECT_TRUE(has(e, "kernel k core 0 queue 2 instruction 0: a [65520, 65552) is outside the "
                     "scratchpad of 65536 bytes")) << e;
  e = one(matmul(0, 0, 65500, 4, 4, 4));
  EXPECT_TRUE(has(e, "kernel k core 0 queue 1 instruction 0: C [65500, 65564) is outside")) << e;
  // Partial overlaps.
  e = one(vec(isa::VectorOp::Add, DType::F32, DType::F32, 4, 0, 1024, 2, 4));
  EXPECT_TRUE(has(e, "queue 2 instruction 0: dst [4, 36) partially overlaps a [0, 32)")) << e;
  e = one(vec(isa::VectorOp::Add, DType::F32, DType::BF16, 0, 0, 1024, 2, 4));
  EXPECT_TRUE(has(e, "dst [0, 16) partially overlaps a [0, 32)")) << e;
  e = one(vec(isa::VectorOp::Add, DType::F32, DType::F32, 0, 1024, 0, 2, 4,
              isa::Broadcast::Row));
  EXPECT_TRUE(has(e, "dst [0, 32) partially overlaps b [0, 16)")) << e;
  e = one(matmul(0, 1024, 16, 4, 4, 4));
  EXPECT_TRUE(has(e, "queue 1 instruction 0: C [16, 80) overlaps A [0, 32)")) << e;
  // A's span is (m - 1) * a_stride + k elements: 3 * 10000 + 4 bf16.
  e = one(matmul(8192, 0, 2048, 4, 4, 4, DType::BF16, false, 10000));
  EXPECT_TRUE(has(e, "queue 1 instruction 0: A [8192, 68200) is outside")) << e;
  // Wrong queues.
  e = one(matmul(0, 1024, 2048, 4, 4, 4).in(2));
  EXPECT_TRUE(has(e, "kernel k core 0 queue 2 instruction 0: MatMul outside the matrix queue")) << e;
  e = one(load(0, dense(4), DType::F32, 0, DType::F32).in(1));
  EXPECT_TRUE(has(e, "queue 1 instruction 0: DmaLoad outside the dma queue")) << e;
  e = one(reduce(isa::ReduceOp::Sum, DType::F32, 0, 64, 1, 4).in(0));
  EXPECT_TRUE(has(e, "queue 0 instruction 1: Reduce outside the vector queue")) << e;
  // Types, sizes.
  e = one(load(0, dense(4), DType::F32, 0, DType::I8));
  EXPECT_TRUE(has(e, "queue 0 instruction 1: cannot convert F32 to I8")) << e;
  e = one(matmul(0, 1024, 2048, 4, 4, 4, DType::F32));
  EXPECT_TRUE(has(e, "MatMul in_type F32, expected BF16 or I8")) << e;
  e = one(vec(isa::VectorOp::Add, DType::I32, DType::F32, 0, 64, 128, 1, 4));
  EXPECT_TRUE(has(e, "must be F32 or BF16")) << e;
  e = one(matmul(0, 1024, 2048, 4, 0, 4));
  EXPECT_TRUE(has(e, "queue 1 instruction 0: MatMul with a zero size")) << e;
  e = one(load(0, {0, {1, 0, 1, 4}, {0, 0, 0, 1}}, DType::F32, 0, DType::F32));
  EXPECT_TRUE(has(e, "queue 0 instruction 1: descriptor size 1 is 0")) << e;
  e = one(vec(isa::VectorOp::Add, DType::F32, DType::F32, 0, 64, 128, 0xffffffffu, 0xffffffffu));
  EXPECT_TRUE(has(e, "larger than the scratchpad")) << e;
  e = one(load(0, {3, {1, 1, 1, 4}, {0, 0, 0, -2}}, DType::F32, 0, DType::F32));
  EXPECT_TRUE(has(e, "queue 0 instruction 1: the descriptor reaches element -3")) << e;
  // Semaphores.
  e = one(vec(isa::VectorOp::Exp, DType::F32, DType::F32, 0, 64, 0, 1, 4).wait(1, 1));
  EXPECT_TRUE(has(e, "queue 2 instruction 0: waits for semaphore 1, but the kernel has 1")) << e;
  e = one(vec(isa::VectorOp::Exp, DType::F32, DType::F32, 0, 64, 0, 1, 4).sig(3));
  EXPECT_TRUE(has(e, "queue 2 instruction 0: signals semaphore 3, but the kernel has 1")) << e;
}

TEST(NpuSimTest, DeadlockIsAnErrorNotAHang) {
  TargetDescription t = smallTarget();
  KSpec ks;
  ks.semaphores = 2;
  // The matmul needs two signals, the load gives one.
  ks.insts = {load(0, dense(16), DType::F32, 0, DType::BF16).sig(0),
              matmul(0, 64, 128, 4, 4, 4).wait(0, 2).sig(1),
              store(0, dense(16), DType::F32, 128, DType::F32).wait(1, 1)};
  auto start = std::chrono::steady_clock::now();
  std::string e = loadError(assemble(t, {ks}));
  EXPECT_EQ("kernel k core 0 queue 0 instruction 1 waits for semaphore 1 count 1, which is never "
            "reached",
            e);
  // Two queues waiting on each other.
  ks.insts = {load(0, dense(16), DType::F32, 0, DType::BF16).wait(1, 1).sig(0),
              matmul(0, 64, 128, 4, 4, 4).wait(0, 1).sig(1)};
  e = loadError(assemble(t, {ks}));
  EXPECT_EQ("kernel k core 0 queue 0 instruction 0 waits for semaphore 1 count 1, which is never "
            "reached",
            e);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(NpuSimTest, RejectsBadPrograms) {
  TargetDescription t = smallTarget();
  KSpec ks;
  ks.insts = {load(0, dense(4), DType::F32, 0, DType::F32)};
  std::vector<uint8_t> good = assemble(t, {ks});
  ASSERT_TRUE(mustLoad(good));
  std::string e;

  std::vector<uint8_t> bad = good;
  std::memcpy(bad.data() + 4, "NPUT", 4);
  EXPECT_EQ("npu program: file identifier 'NPUT', expected 'NPUI'", loadError(bad));
  e = loadError(assemble(t, {ks}, 2));
  EXPECT_EQ("npu program: isa version 2, this simulator runs version 1", e);
  for (size_t cut : {size_t(3), size_t(12), good.size() / 2, good.size() - 1}) {
    bad.assign(good.begin(), good.begin() + cut);
    e = loadError(bad);
    EXPECT_NE(std::string::npos, e.find("npu program: ")) << cut << ": " << e;
  }
  // Corrupt every byte in turn: never a crash, sometimes an error.
  for (size_t i = 0; i < good.size(); ++i) {
    bad = good;
    bad[i] ^= 0xa5;
    std::string error;
    auto p = Program::load(bad.data(), bad.size(), error);
    if (p) {
      std::vector<float> mem(64);
      KernelStats stats;
      for (size_t k = 0; k < p->kernelCount(); ++k)
        p->run(k, {{mem.data(), mem.size() * 4}}, stats, nullptr, error);
    }
  }
  // A misaligned copy loads too.
  std::vector<uint8_t> shifted(good.size() + 1);
  std::memcpy(shifted.data() + 1, good.data(), good.size());
  e.clear();
  EXPECT_TRUE(Program::load(shifted.data() + 1, good.size(), e)) << e;

  TargetDescription badTarget = t;
  badTarget.matrixRows = 0;
  e = loadError(assemble(badTarget, {ks}));
  EXPECT_EQ("npu program's target description: core.matrix.rows is 0, expected 1..4096", e);
  KSpec three = ks;
  three.cores = 3;
  e = loadError(assemble(t, {three}));
  EXPECT_EQ("kernel k: 3 cores, expected 1..2 (the target's cores)", e);
  KSpec two = ks;
  two.queues = 2;
  e = loadError(assemble(t, {two}));
  EXPECT_EQ("kernel k core 0: 2 queues, expected 3 (dma, matrix, vector)", e);
  e = loadError(assemble(t, {ks, ks}));
  EXPECT_EQ("kernel k: two kernels have this name", e);
}

TEST(NpuSimTest, RejectsBadBindingsAtRunTime) {
  TargetDescription t = smallTarget();
  KSpec ks;
  ks.insts = {load(0, dense(4), DType::F32, 0, DType::F32),
              store(1, {2, {1, 1, 2, 4}, {0, 0, 10, 1}}, DType::BF16, 0, DType::F32)};
  auto p = mustLoad(assemble(t, {ks}));
  ASSERT_TRUE(p);
  std::vector<float> a(4, 1.0f), b(8, 2.0f);
  KernelStats stats;
  std::string e;
  // Binding 1 (bf16 elements 2..15) needs 32 bytes.
  EXPECT_FALSE(p->run(0, {{a.data(), 16}}, stats, nullptr, e));
  EXPECT_EQ("kernel k core 0 queue 0 instruction 1: binding 1 is missing (the dispatch has 1)", e);
  EXPECT_FALSE(p->run(0, {{a.data(), 16}, {b.data(), 30}}, stats, nullptr, e));
  EXPECT_EQ("kernel k core 0 queue 0 instruction 1: the descriptor reaches bytes [30, 32) of "
            "binding 1, which has 30 bytes",
            e);
  EXPECT_FALSE(p->run(0, {{a.data(), 15}, {b.data(), 32}}, stats, nullptr, e));
  EXPECT_NE(std::string::npos, e.find("queue 0 instruction 0: the descriptor reaches bytes [12, 16) of binding 0")) << e;
  // Nothing ran: b is untouched.
  EXPECT_EQ(std::vector<float>(8, 2.0f), b);
  EXPECT_EQ(0u, stats.instructions);
  EXPECT_TRUE(p->run(0, {{a.data(), 16}, {b.data(), 32}}, stats, nullptr, e)) << e;
  EXPECT_FALSE(p->run(1, {{a.data(), 16}, {b.data(), 32}}, stats, nullptr, e));
}

// ---- The cycle model.

uint64_t dmaCost(const TargetDescription &t, uint64_t bytes, double rate) {
  return t.descriptorCycles + uint64_t(std::ceil(double(bytes) / rate));
}

uint64_t matmulCost(const TargetDescription &t, uint64_t m, uint64_t k, uint64_t n) {
  return ((k + t.matrixRows - 1) / t.matrixRows) * ((n + t.matrixCols - 1) / t.matrixCols) * m +
         t.matrixRows + t.matrixCols;
}

TEST(NpuSimTest, ChainCyclesAreTheSumOfCosts) {
  TargetDescription t = smallTarget();
  const uint32_t m = 16, k = 24, n = 32;
  KSpec ks;
  ks.semaphores = 2;
  ks.macs = uint64_t(m) * k * n;
  ks.minDramBytes = (m * k + k * n + m * n) * 4;
  ks.insts = {load(0, dense(m * k), DType::F32, 0, DType::BF16).sig(0),
              load(1, dense(k * n), DType::F32, 4096, DType::BF16).sig(0),
              matmul(0, 4096, 8192, m, k, n).wait(0, 2).sig(1),
              store(2, dense(m * n), DType::F32, 8192, DType::F32).wait(1, 1),
              vec(isa::VectorOp::Exp, DType::F32, DType::BF16, 16384, 8192, 0, m, n).wait(1, 1)};
  auto p = mustLoad(assemble(t, {ks}));
  ASSERT_TRUE(p);
  std::vector<std::vector<float>> buf = {std::vector<float>(m * k), std::vector<float>(k * n),
                                         std::vector<float>(m * n)};
  KernelStats stats;
  std::vector<TraceEvent> trace;
  ASSERT_TRUE(runKernel(*p, buf, &stats, &trace));
  uint64_t la = dmaCost(t, m * k * 4, 8), lb = dmaCost(t, k * n * 4, 8);
  uint64_t mm = matmulCost(t, m, k, n), st = dmaCost(t, m * n * 4, 8);
  uint64_t ex = (m * n + 15) / 16 * 4 + 8;
  EXPECT_EQ(la + lb + mm + st, stats.cycles);
  EXPECT_EQ(la + lb + st, stats.busyCycles[0]);
  EXPECT_EQ(mm, stats.busyCycles[1]);
  EXPECT_EQ(ex, stats.busyCycles[2]);
  EXPECT_EQ(5u, stats.instructions);
  EXPECT_EQ(uint64_t(m * k + k * n + m * n) * 4, stats.dramBytes);
  EXPECT_EQ(ks.macs, stats.macs);
  EXPECT_EQ(ks.minDramBytes, stats.minDramBytes);
  // max(12288 MACs / 64 per cycle, 6656 bytes / 12 per cycle)
  EXPECT_EQ(std::max<uint64_t>(12288 / 64, (6656 + 11) / 12), stats.rooflineCycles);
  ASSERT_EQ(5u, trace.size());
  EXPECT_STREQ("dma_load", trace[0].name);
  EXPECT_STREQ("dma_load", trace[1].name);
  EXPECT_STREQ("matmul", trace[2].name);
  EXPECT_EQ(la + lb, trace[2].start);
  EXPECT_EQ(1u, trace[2].queue);
  // The store and the exp start together (same cycle): queue 0 before queue 2.
  EXPECT_STREQ("dma_store", trace[3].name);
  EXPECT_STREQ("exp", trace[4].name);
  EXPECT_EQ(trace[2].end, trace[4].start);
  EXPECT_EQ(trace[4].start + ex, trace[4].end);
  // Stats add up over runs.
  ASSERT_TRUE(runKernel(*p, buf, &stats));
  EXPECT_EQ(2 * (la + lb + mm + st), stats.cycles);
}

TEST(NpuSimTest, DoubleBufferingOverlapsDmaAndCompute) {
  TargetDescription t = smallTarget();
  const uint32_t m = 32, k = 32, n = 32, tile = m * k * 2; // bf16 A tiles, B shared
  auto kernel = [&](bool overlap) {
    KSpec ks;
    ks.semaphores = 2;
    uint32_t b = 0, a0 = 4096, a1 = a0 + tile, c0 = 16384, c1 = c0 + m * n * 4;
    if (overlap) {
      // Both loads run ahead; each matmul waits for its own tile.
      ks.insts = {load(0, dense(k * n), DType::F32, b, DType::BF16),
                  load(1, dense(m * k), DType::F32, a0, DType::BF16).sig(0),
                  load(1, dense(m * k, m * k), DType::F32, a1, DType::BF16).sig(0),
                  matmul(a0, b, c0, m, k, n).wait(0, 1).sig(1),
                  matmul(a1, b, c1, m, k, n).wait(0, 2).sig(1),
                  store(2, dense(m * n), DType::F32, c0, DType::F32).wait(1, 1),
                  store(2, dense(m * n, m * n), DType::F32, c1, DType::F32).wait(1, 2)};
    } else {
      // One tile at a time: the second load waits for the first matmul.
      ks.insts = {load(0, dense(k * n), DType::F32, b, DType::BF16),
                  load(1, dense(m * k), DType::F32, a0, DType::BF16).sig(0),
                  matmul(a0, b, c0, m, k, n).wait(0, 1).sig(1),
                  store(2, dense(m * n), DType::F32, c0, DType::F32).wait(1, 1),
                  load(1, dense(m * k, m * k), DType::F32, a1, DType::BF16).sig(0),
                  matmul(a1, b, c1, m, k, n).wait(0, 2).sig(1),
                  store(2, dense(m * n, m * n), DType::F32, c1, DType::F32).wait(1, 2)};
    }
    return assemble(t, {ks});
  };
  std::mt19937 rng(7);
  std::vector<std::vector<float>> in = {randomFloats(k * n, rng), randomFloats(2 * m * k, rng),
                                        std::vector<float>(2 * m * n)};
  auto serial = mustLoad(kernel(false)), overlapped = mustLoad(kernel(true));
  ASSERT_TRUE(serial && overlapped);
  std::vector<std::vector<float>> out1 = in, out2 = in;
  KernelStats s1, s2;
  ASSERT_TRUE(runKernel(*serial, out1, &s1));
  ASSERT_TRUE(runKernel(*overlapped, out2, &s2));
  EXPECT_EQ(out1[2], out2[2]); // the same results
  uint64_t lb = dmaCost(t, k * n * 4, 8), la = dmaCost(t, m * k * 4, 8);
  uint64_t mm = matmulCost(t, m, k, n), st = dmaCost(t, m * n * 4, 8);
  EXPECT_EQ(lb + la + mm + st + la + mm + st, s1.cycles);
  EXPECT_LT(s2.cycles, s1.cycles);
  EXPECT_EQ(s1.busyCycles[0], s2.busyCycles[0]);
  EXPECT_EQ(s1.busyCycles[1], s2.busyCycles[1]);
}

TEST(NpuSimTest, DramBandwidthIsSharedByActiveCores) {
  TargetDescription t = smallTarget(); // DMA 8 B/cycle per core, DRAM 12 B/cycle
  const uint32_t n = 1000;             // 4000 bytes per load
  auto kernel = [&](uint32_t cores, bool secondDma) {
    KSpec ks;
    ks.cores = cores;
    ks.insts = {load(0, dense(n), DType::F32, 0, DType::F32).on(0)};
    if (cores > 1)
      ks.insts.push_back(secondDma ? load(0, dense(n), DType::F32, 0, DType::F32).on(1)
                                   : vec(isa::VectorOp::Exp, DType::F32, DType::F32, 0, 0, 0, 1,
                                         16)
                                         .on(1));
    return assemble(t, {ks});
  };
  std::vector<std::vector<float>> buf = {std::vector<float>(n)};
  KernelStats one, two, idle;
  auto p1 = mustLoad(kernel(1, false)), p2 = mustLoad(kernel(2, true)),
       p3 = mustLoad(kernel(2, false));
  ASSERT_TRUE(p1 && p2 && p3);
  ASSERT_TRUE(runKernel(*p1, buf, &one));
  ASSERT_TRUE(runKernel(*p2, buf, &two));
  ASSERT_TRUE(runKernel(*p3, buf, &idle));
  EXPECT_EQ(32u + 4000 / 8, one.cycles);        // the DMA engine's own rate
  EXPECT_EQ(32u + (4000 + 5) / 6, two.cycles);  // 12 B/cycle shared by two
  EXPECT_EQ(2 * two.cycles, two.busyCycles[0]);
  EXPECT_EQ(32u + 4000 / 8, idle.cycles);       // a core without DMA takes no share
  // A datacenter preset: 1500 B/cycle of DRAM, 256 per core: 8 active cores get 187.5.
  TargetDescription dc;
  std::string error;
  ASSERT_TRUE(loadTarget("datacenter", dc, error)) << error;
  KSpec ks;
  ks.cores = 8;
  for (uint32_t c = 0; c < 8; ++c)
    ks.insts.push_back(load(0, dense(n), DType::F32, 0, DType::F32).on(c));
  auto p = mustLoad(assemble(dc, {ks}));
  ASSERT_TRUE(p);
  KernelStats s;
  ASSERT_TRUE(runKernel(*p, buf, &s));
  EXPECT_EQ(32u + 22, s.cycles); // ceil(4000 / 187.5) = 22 (21.33)
}

// One multicast load fills the same SRAM address of both cores from one
// read of DRAM, at the pooled rate of the two cores' shares.
TEST(NpuSimTest, MulticastLoadReachesEveryMemberAndReadsDramOnce) {
  TargetDescription t = smallTarget(); // DMA 8 B/cycle per core, DRAM 12 B/cycle
  const uint32_t n = 1000;             // 4000 bytes
  std::mt19937 rng(5);
  auto kernel = [&](bool multicast) {
    KSpec ks;
    ks.cores = 2;
    ks.semaphores = 1;
    for (uint32_t c = 0; c < 2; ++c) {
      ks.insts.push_back(multicast ? loadM(0, dense(n), 0, isa::Multicast(0, 2, 1)).on(c).sig(0)
                                   : load(0, dense(n), DType::F32, 0, DType::F32).on(c).sig(0));
      ks.insts.push_back(store(1, dense(n, c * n), DType::F32, 0, DType::F32).on(c).wait(0, 1));
    }
    return assemble(t, {ks});
  };
  auto shared = mustLoad(kernel(true)), own = mustLoad(kernel(false));
  ASSERT_TRUE(shared && own);
  std::vector<std::vector<float>> buf = {randomFloats(n, rng), std::vector<float>(2 * n)};
  KernelStats s, o;
  ASSERT_TRUE(runKernel(*shared, buf, &s));
  for (uint32_t c = 0; c < 2; ++c)
    EXPECT_EQ(0, std::memcmp(buf[0].data(), buf[1].data() + c * n, n * 4)) << "core " << c;
  ASSERT_TRUE(runKernel(*own, buf, &o));
  EXPECT_EQ(3u * 4000, s.dramBytes); // read once, stored twice
  EXPECT_EQ(4u * 4000, o.dramBytes);
  // Multicast: 2 x 6 B/cycle pooled, capped at the engine's 8; then the
  // stores at 6 each. Private: both loads at 6.
  EXPECT_EQ(32u + 4000 / 8 + 32 + (4000 + 5) / 6, s.cycles);
  EXPECT_EQ(2 * (32u + (4000 + 5) / 6), o.cycles);
  EXPECT_EQ(2 * s.cycles, s.busyCycles[0]);
}

TEST(NpuSimTest, RejectsBadMulticasts) {
  TargetDescription t = smallTarget();
  auto program = [&](std::vector<TI> insts) {
    KSpec ks;
    ks.cores = 2;
    ks.insts = std::move(insts);
    return loadError(assemble(t, {ks}));
  };
  auto has = [](const std::string &error, const std::string &part) {
    return error.find(part) != std::string::npos;
  };
  std::string e;
  e = program({loadM(0, dense(4), 0, isa::Multicast(1, 1, 1))});
  EXPECT_TRUE(has(e, "kernel k core 0 queue 0 instruction 0: multicast group (first 1, count 1, "
                     "stride 1) does not hold this core")) << e;
  e = program({loadM(0, dense(4), 0, isa::Multicast(0, 3, 1))});
  EXPECT_TRUE(has(e, "multicast reaches core 2, but the kernel has 2")) << e;
  e = program({loadM(0, dense(4), 0, isa::Multicast(0, 2, 0))});
  EXPECT_TRUE(has(e, "multicast with count 2 and stride 0")) << e;
  // Core 1 loads to another address: the group's loads must be the same.
  e = program({loadM(0, dense(4), 0, isa::Multicast(0, 2, 1)).on(0),
               loadM(0, dense(4), 64, isa::Multicast(0, 2, 1)).on(1)});
  EXPECT_TRUE(has(e, "core 0 queue 0 instruction 0: multicast load differs from core 1's "
                     "(queue 0 instruction 0) in the same group")) << e;
  // Core 1 never reaches the load: an error at load time, not a hang.
  e = program({loadM(0, dense(4), 0, isa::Multicast(0, 2, 1)).on(0),
               load(0, dense(4), DType::F32, 0, DType::F32).on(1)});
  EXPECT_TRUE(has(e, "core 0 queue 0 instruction 0: multicast load waits for core 1, whose dma "
                     "queue has no such load")) << e;
}

TEST(NpuSimTest, LargeMatMulSimulatesQuickly) {
  TargetDescription dc;
  std::string error;
  ASSERT_TRUE(loadTarget("datacenter", dc, error)) << error;
  const uint32_t s = 1024;
  KSpec ks;
  ks.semaphores = 2;
  ks.macs = uint64_t(s) * s * s;
  ks.minDramBytes = 3ull * s * s * 4;
  uint32_t a = 0, b = s * s * 2, c = s * s * 4;
  ks.insts = {load(0, dense(s * s), DType::F32, a, DType::BF16).sig(0),
              load(1, dense(s * s), DType::F32, b, DType::BF16).sig(0),
              matmul(a, b, c, s, s, s).wait(0, 2).sig(1),
              store(2, dense(s * s), DType::F32, c, DType::F32).wait(1, 1)};
  auto p = mustLoad(assemble(dc, {ks}));
  ASSERT_TRUE(p);
  std::mt19937 rng(8);
  std::vector<std::vector<float>> buf = {randomFloats(s * s, rng), randomFloats(s * s, rng),
                                         std::vector<float>(s * s)};
  KernelStats stats;
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(runKernel(*p, buf, &stats));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("1024^3 bf16 matmul: %.3f s simulated time, %llu cycles\n", seconds,
              (unsigned long long)stats.cycles);
  EXPECT_LT(seconds, 5.0); // well under a second on an idle machine; slack for shared CI
  // Spot-check a few results against the reference.
  for (uint32_t probe : {0u, 517u * s + 3, s * s - 1}) {
    uint32_t i = probe / s, j = probe % s;
    float acc = 0;
    for (uint32_t kk = 0; kk < s; ++kk)
      acc = acc + roundTo(DType::BF16, buf[0][i * s + kk]) * roundTo(DType::BF16, buf[1][kk * s + j]);
    EXPECT_EQ(bits(acc), bits(buf[2][probe])) << probe;
  }
  EXPECT_EQ(stats.rooflineCycles, std::max<uint64_t>(ks.macs / dc.peakMacsPerCycle(), 8389));
}

} // namespace
} // namespace nuri::npu
