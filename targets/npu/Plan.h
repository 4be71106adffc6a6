//===- Plan.h - what the npu target runs, before scheduling -----*- C++ -*-===//
//
// LowerToNpu.cpp matches a dispatch function and describes it as a
// KernelPlan: an optional matrix multiplication and an elementwise program
// over 2-D output tiles. Schedule.cpp turns a plan into an npu.kernel: tile
// sizes, SRAM allocation, per-core queues and semaphores.
//
//===----------------------------------------------------------------------===//
#ifndef NURI_TARGETS_NPU_PLAN_H
#define NURI_TARGETS_NPU_PLAN_H

#include "dialects/npu/IR/NpuDialect.h"
#include "targets/npu/description/NpuTarget.h"

#include "mlir/IR/Builders.h"

#include <optional>
#include <string>
#include <vector>

namespace nuri::npu_target {

/// How an elementwise operand covers the [rows, cols] output.
enum class Broadcast { Full, Row, Column, Scalar };

/// A value of the elementwise program.
struct EValue {
  enum Kind { Acc, Input, Scalar, Temp } kind = Acc;
  int index = 0;    // Input: index into ElementwiseProgram::inputs; Temp: temp id
  float imm = 0.0f; // Scalar
  Broadcast shape = Broadcast::Full; // Temp: a full tile, one row or one column
};

/// One vector instruction per tile: dst = op(a, b), over the full tile, or
/// over one row or one column of it (a value broadcast along the other
/// axis, e.g. a row statistic times a constant).
struct EStep {
  std::string op;
  int dst; // temp id
  EValue a, b;
  Broadcast shape = Broadcast::Full;
};

/// Operands loaded from DRAM for each tile.
struct EInput {
  int64_t binding;
  Broadcast mode; // Full, Row or Column
};

struct ElementwiseProgram {
  std::vector<EInput> inputs;
  std::vector<EStep> steps;
  int temps = 0;
  EValue result;
};

/// A convolution as an implicit GEMM: out[p, f] = sum over k = (c, r, s) of
/// X[c, oh*sh + r*dh, ow*sw + s*dw] * W[k, f], p = oh*ow_size + ow. X is
/// the padded [1, C, Hp, Wp] input, W the [C, KH, KW, F] weights (a [K, F]
/// matrix). A's K chunks are whole channels: each is gathered from X by one
/// DMA per (r, s) into an im2col tile.
///
/// A stride-1 convolution is "wide" instead: a tile's input rows are loaded
/// once, channels innermost, as a [rows * Wp, channels] matrix. Read with
/// rows a_stride = channels apart (overlapping), it is the [rows * Wp, kw *
/// channels] matrix whose column block s is the input shifted s pixels;
/// moved down r*Wp rows it is row r of the window. So each row of the
/// window is one matmul with K = kw * channels. (Dilated: kw shifted copies
/// side by side instead.) The output is computed over the padded width Wp
/// (the extra columns are never stored).
///
/// A stride-s convolution (s = sh = sw > 1, no dilation, kh, kw >= s) is
/// made stride 1 by splitting the input into its s x s phases: phase (a, b)
/// of channel c is X[c][s*y + a][s*x + b], an input of C*s*s channels of
/// ceil(Hp/s) x ceil(Wp/s) pixels, convolved with a ceil(kh/s) x
/// ceil(kw/s) window whose taps past the original window have weight 0.
/// Then it is wide like any stride-1 convolution; `phase` = s and the
/// original shape (`*0`) say how to load the phases and the weights.
struct ConvShape {
  int64_t channels, hp, wp, kh, kw, ow;
  int64_t sh, sw, dh, dw;
  int64_t phase = 1, hp0 = 0, wp0 = 0, kh0 = 0, kw0 = 0;
  bool wide() const { return sh == 1 && sw == 1; }
  /// Channels of the wide input per original channel.
  int64_t phases() const { return phase * phase; }
  int64_t window() const { return kh * kw; }
  /// Rows of the wide layout that hold `outRows` output rows' valid pixels.
  int64_t wideRows(int64_t outRows) const { return (outRows - 1) * wp + ow; }
  /// Input rows a tile of `outRows` output rows reads.
  int64_t inputRows(int64_t outRows) const { return outRows + (kh - 1) * dh; }
};

/// C[b][m, n] (+)= A[b][m, k] * B[b][k, n] for b < batch (B shared when
/// batch is 1); C is the [batch * m, n] output view.
struct MatmulPlan {
  int64_t m, k, n;
  int64_t aBinding, bBinding;
  std::optional<ConvShape> conv;
  int64_t batch = 1;
};

/// A row reduction: out[i] = sum or max over j of in[i, j], the input viewed
/// as [rows, cols] (the reduced dims are its trailing ones).
struct ReducePlan {
  bool max;
  int64_t input;
};

/// A permutation of up to four dims: output dim j walks input dim perm[j],
/// so its input stride is `inputStrides[j]` (elements).
struct TransposePlan {
  int64_t input;
  std::vector<int64_t> outShape, inputStrides;
};

/// Zero padding (an argument inserted into zeros): blocks of the outermost
/// dim, which is not padded; the interior is written through SRAM strides
/// and the border of the block's SRAM slot stays zero.
struct PadPlan {
  int64_t input;
  float value = 0.0f; // what the border holds (0, or -inf before a max pool)
  std::vector<int64_t> inShape, outShape, offsets; // at most 4 dims
};

/// A per-channel window on the vector engine: a depthwise convolution
/// (each tap's input times that tap's per-channel weight, summed) or a max
/// pool, over the padded [1, C, Hp, Wp] input. The output is the
/// row-major [C, OH * OW] view; each tap's shifted input is gathered by DMA.
struct WindowPlan {
  bool max;
  int64_t input, weights; // weights: [C, KH, KW], -1 for a pool
  int64_t channels, hp, wp, kh, kw, sh, sw, dh, dw, oh, ow;
  int64_t taps() const { return kh * kw; }
  /// "Planar" (stride s = sh = sw, no dilation): the input is loaded once,
  /// as its s x s phase planes ([channel][ceil(Hp/s)][ceil(Wp/s)] each), and
  /// tap (r, q) is phase (r % s, q % s) read (r / s) rows and (q / s)
  /// columns further on; the result is computed over the whole plane (the
  /// rows and columns past the output are never stored).
  bool planar() const { return sh == sw && dh == 1 && dw == 1; }
  int64_t planeRows() const { return (hp + sh - 1) / sh; }
  int64_t planeCols() const { return (wp + sw - 1) / sw; }
  int64_t plane() const { return planeRows() * planeCols(); }
  /// Elements a tap reads past its plane's block (the largest shift).
  int64_t overhang() const { return (kh - 1) / sh * planeCols() + (kw - 1) / sw; }
};

struct KernelPlan {
  std::string name;
  std::vector<std::string> nodes;
  std::optional<MatmulPlan> matmul;
  std::optional<ReducePlan> reduce;
  std::optional<TransposePlan> transpose;
  std::optional<PadPlan> pad;
  std::optional<WindowPlan> window;
  int64_t rows = 0, cols = 0; // the output as a [rows, cols] matrix
  // Where element (r, c) of that matrix is in DRAM: r*cols + c, or, for a
  // convolution's [pixels, filters] view of an NCHW output, c*rows + r.
  bool columnMajor = false;
  int64_t outBinding = 0;
  ElementwiseProgram epilogue; // result kind Acc and no steps: the matmul alone
  int64_t macs = 0, minDramBytes = 0;
};

/// Builds the npu.kernel for `plan` at the builder's insertion point, or
/// returns null with `reason` set (e.g. no tiling fits the scratchpad).
/// Reductions and transposes go to scheduleMovement (Movement.cpp).
mlir::npu::KernelOp scheduleKernel(mlir::OpBuilder &builder, mlir::Location loc,
                                   const KernelPlan &plan, const nuri::npu::TargetDescription &target,
                                   std::string &reason);

/// Row reductions, transposes and padding: DMA and the vector engine only.
mlir::npu::KernelOp scheduleMovement(mlir::OpBuilder &builder, mlir::Location loc,
                                     const KernelPlan &plan,
                                     const nuri::npu::TargetDescription &target,
                                     std::string &reason);

/// One DMA instruction: a load (DRAM -> SRAM) or a store, f32 in DRAM;
/// `sramStrides` empty for the dense SRAM side; `multicast` empty for a
/// load to this core alone, else [first, count, stride] (loads only).
void createDma(mlir::OpBuilder &b, mlir::Location loc, bool load, int64_t binding,
               int64_t offset, llvm::ArrayRef<int64_t> sizes, llvm::ArrayRef<int64_t> strides,
               int64_t sram, llvm::StringRef sramType, llvm::ArrayRef<int64_t> waits,
               int64_t signal, llvm::ArrayRef<int64_t> sramStrides = {},
               llvm::ArrayRef<int64_t> multicast = {});

/// A kernel's static scratchpad: npu.sram_buffers one after another, 64-byte
/// aligned (all live for the whole kernel).
class SramAllocator {
public:
  SramAllocator(mlir::OpBuilder &b, mlir::Location loc) : b(b), loc(loc) {}
  /// Declares a buffer and returns its address.
  int64_t operator()(llvm::StringRef name, int64_t bytes);

private:
  mlir::OpBuilder &b;
  mlir::Location loc;
  int64_t next = 0;
};

/// The kernel op with the plan's name, nodes and counters, its block ready.
mlir::npu::KernelOp createKernel(mlir::OpBuilder &builder, mlir::Location loc,
                                 const KernelPlan &plan,
                                 const nuri::npu::TargetDescription &target, int64_t semaphores);

} // namespace nuri::npu_target

#endif
