//===- NpuOps.td - the reference NPU's dialect -------------*- tablegen -*-===//
//
// The reference NPU at the level of its instruction stream: a kernel owns
// static scratchpad buffers and, per core, instructions for three queues
// (DMA, matrix, vector) that run in parallel and are ordered only by the
// semaphores each instruction waits on and signals. Every op maps to one
// instruction of schemas/npu_isa.fbs; the npu target serializes them.
// Addresses are bytes in the core's SRAM, DRAM is a binding of the dispatch.
//
//===----------------------------------------------------------------------===//
#ifndef NURI_NPU_OPS_TD
#define NURI_NPU_OPS_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/SymbolInterfaces.td"

def Npu_Dialect : Dialect {
  let name = "npu";
  let cppNamespace = "::mlir::npu";
  let summary = "The reference NPU: scratchpad buffers, DMA, matrix and vector engines, queues";
  let description = [{
    Produced by `nuri-npu-lower` from dispatch functions; one `npu.kernel`
    per dispatch the NPU runs. Verifiers check that every SRAM range lies in
    one of the kernel's `npu.sram_buffer`s, that buffers fit the scratchpad
    and do not overlap, and that semaphores exist.
  }];
}

class Npu_Op<string mnemonic, list<Trait> traits = []>
    : Op<Npu_Dialect, mnemonic, traits>;

def Npu_KernelOp : Npu_Op<"kernel", [NoTerminator, SingleBlock, IsolatedFromAbove]> {
  let summary = "One dispatch compiled for the NPU";
  let description = [{
    Implements dispatch function `dispatch`. Holds the kernel's `npu.sram_buffer`s (the same addresses on every core)
    and one `npu.core` per core used. `macs` and `min_dram_bytes` (each
    input read once, each output written once) feed the simulator's
    roofline.
  }];
  let arguments = (ins FlatSymbolRefAttr:$dispatch,
                       I64Attr:$sram_bytes,
                       I64Attr:$semaphores,
                       I64Attr:$macs,
                       I64Attr:$min_dram_bytes,
                       StrArrayAttr:$nodes);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$dispatch attr-dict-with-keyword $body";
  let hasVerifier = 1;
}

def Npu_SramBufferOp : Npu_Op<"sram_buffer", [HasParent<"KernelOp">]> {
  let summary = "A static scratchpad allocation of a kernel";
  let arguments = (ins StrAttr:$name, I64Attr:$address, I64Attr:$bytes);
  let assemblyFormat = "$name `at` $address `size` $bytes attr-dict";
}

def Npu_CoreOp : Npu_Op<"core", [HasParent<"KernelOp">, NoTerminator, SingleBlock]> {
  let summary = "The instructions of one core, in program order per queue";
  let arguments = (ins I64Attr:$id);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$id attr-dict-with-keyword $body";
}

// Every instruction: semaphores to wait for (pairs id, count) and one to
// signal when done (-1: none).
class Npu_Instruction<string mnemonic, list<Trait> traits = []>
    : Npu_Op<mnemonic, !listconcat(traits, [HasParent<"CoreOp">])> {
  let hasVerifier = 1;
  let assemblyFormat = "attr-dict";
  let extraClassDeclaration = [{
    /// The queue (isa::QueueKind: 0 DMA, 1 matrix, 2 vector) it runs on.
    static unsigned queue();
  }];
}

defvar Npu_Sync = (ins DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$waits,
                       DefaultValuedAttr<I64Attr, "-1">:$signal);
// The SRAM side of a DMA: dense, or element strides (of the SRAM type).
defvar Npu_SramStrides = (ins OptionalAttr<DenseI64ArrayAttr>:$sram_strides);

def Npu_DmaLoadOp : Npu_Instruction<"dma_load"> {
  let summary = "DRAM -> SRAM through a 4-D strided descriptor";
  let description = [{
    Element (i0..i3) of binding `binding` at `offset + sum(i_d * strides[d])`
    (elements of `dram_type`) goes to `sram`, densely or, with
    `sram_strides`, to element `sum(i_d * sram_strides[d])` of the SRAM side
    (an im2col gather, the interior of padded planes), converted to
    `sram_type` ("f32" to "bf16" rounds to nearest even).

    With `multicast` = [first, count, stride], one read of DRAM goes to the
    same SRAM address of cores first, first + stride, ... (count cores, this
    one among them); each of them holds the same load, in the same order
    among the group's multicasts, and it starts when all have reached it.
  }];
  let arguments = !con((ins I64Attr:$binding, I64Attr:$offset,
                            DenseI64ArrayAttr:$sizes, DenseI64ArrayAttr:$strides,
                            StrAttr:$dram_type, I64Attr:$sram, StrAttr:$sram_type), Npu_Sync,
                       Npu_SramStrides, (ins OptionalAttr<DenseI64ArrayAttr>:$multicast));
}

def Npu_DmaStoreOp : Npu_Instruction<"dma_store"> {
  let summary = "SRAM -> DRAM through a 4-D strided descriptor";
  let arguments = !con((ins I64Attr:$binding, I64Attr:$offset,
                            DenseI64ArrayAttr:$sizes, DenseI64ArrayAttr:$strides,
                            StrAttr:$dram_type, I64Attr:$sram, StrAttr:$sram_type), Npu_Sync,
                       Npu_SramStrides);
}

def Npu_MatMulOp : Npu_Instruction<"matmul"> {
  let summary = "Matrix engine: C[m,n] (+)= A[m,k] * B[k,n]";
  let description = [{
    A and B are `in_type` ("bf16" with an f32 accumulator, "i8" with i32);
    B and C are dense row-major tiles in SRAM, A's rows are `a_stride`
    elements apart (absent: k, dense; less than k: overlapping rows, the
    shifted windows of a convolution's input).
  }];
  let arguments = !con((ins I64Attr:$a, I64Attr:$b, I64Attr:$c,
                            I64Attr:$m, I64Attr:$k, I64Attr:$n,
                            StrAttr:$in_type, BoolAttr:$accumulate), Npu_Sync,
                       (ins OptionalAttr<I64Attr>:$a_stride));
}

def Npu_VectorOp : Npu_Instruction<"vector"> {
  let summary = "Vector engine: dst[i,j] = op(a[i,j], b)";
  let description = [{
    `op` is one of copy add sub mul div max min relu neg abs exp tanh rsqrt
    sqrt erf sigmoid recip; `broadcast` says how b is read: "full" b[i,j],
    "row" b[j], "column" b[i], "scalar" the immediate `imm`. Computed in
    f32, operands read as `src_type`, the result rounded to `dst_type`.
  }];
  let arguments = !con((ins StrAttr:$op, StrAttr:$src_type, StrAttr:$dst_type,
                            I64Attr:$dst, I64Attr:$a, I64Attr:$b,
                            I64Attr:$rows, I64Attr:$cols, StrAttr:$broadcast,
                            F32Attr:$imm), Npu_Sync);
}

def Npu_ReduceOp : Npu_Instruction<"reduce"> {
  let summary = "Vector engine: dst[i] = sum or max over j of src[i,j] (f32)";
  let arguments = !con((ins StrAttr:$op, StrAttr:$src_type, I64Attr:$dst, I64Attr:$src,
                            I64Attr:$rows, I64Attr:$cols), Npu_Sync);
}

#endif
