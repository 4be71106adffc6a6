// RUN: nuri-opt %s -nuri-npu-lower | FileCheck %s

// A 3x3 stride-1 convolution of a padded 1x8x10x10 input into 16 filters,
// with a per-filter bias: "wide" (each tap a dense matmul on shifted rows).
#x = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d4, d2 + d5, d3 + d6)>
#w = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d5, d6, d1)>
#o = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#bias = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>
func.func private @conv(%x: tensor<1x8x10x10xf32>, %w: tensor<8x3x3x16xf32>, %b: tensor<16x1x1xf32>) -> tensor<1x16x8x8xf32> attributes {nuri.nodes = ["c"]} {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x16x8x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32>
  %c = linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : tensor<1x8x10x10xf32>, tensor<8x3x3x16xf32>) outs(%f : tensor<1x16x8x8xf32>) attrs = {nuri.conv} {
  ^bb0(%a: f32, %k: f32, %o: f32):
    %m = arith.mulf %a, %k : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x16x8x8xf32>
  %r = linalg.generic {indexing_maps = [#id, #bias, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c, %b : tensor<1x16x8x8xf32>, tensor<16x1x1xf32>) outs(%e : tensor<1x16x8x8xf32>) {
  ^bb0(%a: f32, %y: f32, %o: f32):
    %s = arith.addf %a, %y : f32
    linalg.yield %s : f32
  } -> tensor<1x16x8x8xf32>
  return %r : tensor<1x16x8x8xf32>
}
// CHECK-LABEL: npu.kernel @conv attributes {macs = 73728 : i64
// Eight cores, one output row each (the fastest grid for 64 pixels x 16
// filters). With 8 channels the whole 3x3 window is one matmul, K = 72:
// the A slot holds 3 copies of the input side by side (bf16, channels
// innermost), copy r starting r rows down, and A's rows are a_stride =
// 3 x 8 elements apart, so that row p's 72 elements are pixels p, p+1,
// p+2 of the three copies.
// CHECK: npu.sram_buffer "a0" at 0 size 480
// CHECK: npu.core 0 {
// The bias (a row of the [pixels, filters] view) signals EPI (2).
// CHECK-NEXT: npu.dma_load {binding = 2 : i64, {{.*}} signal = 2 : i64
// Copy r: one row of 10 pixels from input row r, at column block 8r.
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, dram_type = "f32", offset = 0 : i64, sizes = array<i64: 8, 1, 10, 1>, sram = 0 : i64, sram_strides = array<i64: 1, 0, 24, 0>, sram_type = "bf16", strides = array<i64: 100, 0, 1, 0>}
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, dram_type = "f32", offset = 10 : i64, sizes = array<i64: 8, 1, 10, 1>, sram = 16 : i64
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, dram_type = "f32", offset = 20 : i64, sizes = array<i64: 8, 1, 10, 1>, sram = 32 : i64
// The weights as [s][r][c][f] (K index (s*3 + r)*8 + c), read once for all
// eight cores (multicast [0, 8, 1]); the load signals LOAD (0).
// CHECK-NEXT: npu.dma_load {binding = 1 : i64, dram_type = "f32", multicast = array<i64: 0, 8, 1>, offset = 0 : i64, signal = 0 : i64, sizes = array<i64: 3, 3, 8, 16>, sram = 512 : i64, sram_strides = array<i64: 384, 128, 16, 1>, sram_type = "bf16", strides = array<i64: 16, 48, 144, 1>}
// The row of results, back to NCHW.
// CHECK-NEXT: npu.dma_store {binding = 3 : i64, dram_type = "f32", offset = 0 : i64, signal = 4 : i64, sizes = array<i64: 16, 1, 8, 1>, {{.*}} sram_strides = array<i64: 1, 160, 16, 0>, sram_type = "f32", strides = array<i64: 64, 8, 1, 0>
// CHECK-NEXT: npu.matmul {a = 0 : i64, a_stride = 24 : i64, accumulate = false, b = 512 : i64, {{.*}} k = 72 : i64, m = 8 : i64, n = 16 : i64, signal = 1 : i64, waits = array<i64: 0, 1>}
// CHECK-NEXT: npu.vector {{{.*}}broadcast = "row", cols = 16 : i64, {{.*}} op = "add", rows = 8 : i64
// CHECK: npu.core 1 {
// CHECK-NEXT: npu.dma_load {binding = 2 : i64
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, dram_type = "f32", offset = 10 : i64

// A dilated convolution (dilation 2) cannot overlap rows: its A slot holds
// kw = 3 copies of the input side by side, copy s shifted 2s pixels.
#xd = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d4, d2 + d5 * 2, d3 + d6 * 2)>
func.func private @dilated(%x: tensor<1x4x7x7xf32>, %w: tensor<4x3x3x8xf32>) -> tensor<1x8x3x3xf32> attributes {nuri.nodes = ["cd"]} {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x3x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x3x3xf32>) -> tensor<1x8x3x3xf32>
  %c = linalg.generic {indexing_maps = [#xd, #w, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : tensor<1x4x7x7xf32>, tensor<4x3x3x8xf32>) outs(%f : tensor<1x8x3x3xf32>) attrs = {nuri.conv} {
  ^bb0(%a: f32, %k: f32, %o: f32):
    %m = arith.mulf %a, %k : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x8x3x3xf32>
  return %c : tensor<1x8x3x3xf32>
}
// CHECK-LABEL: npu.kernel @dilated
// CHECK: npu.core 0 {
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, dram_type = "f32", {{.*}}offset = 0 : i64, {{.*}} sram = 0 : i64, sram_strides = array<i64: 1, 0, 12, 0>
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, dram_type = "f32", {{.*}}offset = 2 : i64, {{.*}} sram = 8 : i64, sram_strides = array<i64: 1, 0, 12, 0>
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, dram_type = "f32", {{.*}}offset = 4 : i64, {{.*}} sram = 16 : i64, sram_strides = array<i64: 1, 0, 12, 0>
// CHECK-NOT: a_stride
// CHECK: npu.matmul {{{.*}}k = 12 : i64
// CHECK: npu.core 1 {

// With 512 channels on a 7x7 image the weights dominate DRAM traffic: each
// core computes 64 filters over all pixels, in two chunks of 256 channels
// (double buffered), one matmul per row of the window: the input read once,
// its rows a_stride = 256 apart (overlapping), K = 3 x 256. The input chunk
// is the same for all eight cores: a multicast.
func.func private @deep(%x: tensor<1x512x9x9xf32>, %w: tensor<512x3x3x512xf32>) -> tensor<1x512x7x7xf32> attributes {nuri.nodes = ["c"]} {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x512x7x7xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x512x7x7xf32>) -> tensor<1x512x7x7xf32>
  %c = linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : tensor<1x512x9x9xf32>, tensor<512x3x3x512xf32>) outs(%f : tensor<1x512x7x7xf32>) attrs = {nuri.conv} {
  ^bb0(%a: f32, %k: f32, %o: f32):
    %m = arith.mulf %a, %k : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x512x7x7xf32>
  return %c : tensor<1x512x7x7xf32>
}
// CHECK-LABEL: npu.kernel @deep
// CHECK: npu.sram_buffer "a0" at 0 size 41472
// CHECK: npu.core 0 {
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, dram_type = "f32", multicast = array<i64: 0, 8, 1>, offset = 0 : i64, sizes = array<i64: 256, 1, 81, 1>, sram = 0 : i64, sram_strides = array<i64: 1, 0, 256, 0>
// Each row of the window's weights signals LOAD: row 0's matmul starts
// while rows 1 and 2 stream in.
// CHECK-NEXT: npu.dma_load {binding = 1 : i64, dram_type = "f32", offset = 0 : i64, signal = 0 : i64, sizes = array<i64: 1, 3, 256, 64>
// CHECK-NEXT: npu.dma_load {binding = 1 : i64, dram_type = "f32", offset = 1536 : i64, signal = 0 : i64
// CHECK-NEXT: npu.dma_load {binding = 1 : i64, dram_type = "f32", offset = 3072 : i64, signal = 0 : i64
// CHECK: npu.matmul {a = 0 : i64, a_stride = 256 : i64, accumulate = false, {{.*}} k = 768 : i64, m = 61 : i64, n = 64 : i64, waits = array<i64: 0, 1>}
// CHECK-NEXT: npu.matmul {a = 4608 : i64, a_stride = 256 : i64, accumulate = true, {{.*}} waits = array<i64: 0, 2>}
// CHECK-COUNT-4: npu.matmul {{{.*}}a_stride = 256 : i64{{.*}}k = 768 : i64, m = 61 : i64, n = 64 : i64
// CHECK-NOT: npu.matmul
// CHECK: npu.core 1 {

// A stride-2 convolution is the stride-1 convolution of the input's 2 x 2
// phases: 12 channels of 5 x 5 pixels, a 2 x 2 window (taps past the
// original 3 x 3 have weight 0).
#x2 = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d4, d2 * 2 + d5, d3 * 2 + d6)>
func.func private @conv_s2(%x: tensor<1x3x9x9xf32>, %w: tensor<3x3x3x4xf32>) -> tensor<1x4x4x4xf32> attributes {nuri.nodes = ["c2"]} {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %c = linalg.generic {indexing_maps = [#x2, #w, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : tensor<1x3x9x9xf32>, tensor<3x3x3x4xf32>) outs(%f : tensor<1x4x4x4xf32>) attrs = {nuri.conv} {
  ^bb0(%a: f32, %k: f32, %o: f32):
    %m = arith.mulf %a, %k : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x4x4x4xf32>
  return %c : tensor<1x4x4x4xf32>
}
// CHECK-LABEL: npu.kernel @conv_s2
// CHECK: npu.core 0 {
// Core 0 (a 4x2 grid: one output row, two filters) holds the whole 2x2
// window: 2 copies (phase rows 0 and 1) of each phase (a, b) of the
// input, X[c][2y + a][2x + b] strided by 2 in DRAM, to element 4c + 2a + b
// of a pixel's block; phase (0, 1) has 4 columns, not 5.
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, dram_type = "f32", multicast = array<i64: 0, 2, 1>, offset = 0 : i64, sizes = array<i64: 3, 1, 5, 1>, sram = 0 : i64, sram_strides = array<i64: 4, 120, 24, 0>, sram_type = "bf16", strides = array<i64: 81, 18, 2, 0>}
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, {{.*}}offset = 1 : i64, sizes = array<i64: 3, 1, 4, 1>, sram = 2 : i64
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, {{.*}}offset = 9 : i64, sizes = array<i64: 3, 1, 5, 1>, sram = 4 : i64
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, {{.*}}offset = 10 : i64, sizes = array<i64: 3, 1, 4, 1>, sram = 6 : i64
// Copy 1 (phase row 1 = input rows 2 and 3) at column block 12.
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, {{.*}}offset = 18 : i64, sizes = array<i64: 3, 1, 5, 1>, sram = 24 : i64
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, {{.*}}offset = 19 : i64
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, {{.*}}offset = 27 : i64
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, {{.*}}offset = 28 : i64
// The weights of phase (a, b) as [s'][r'][c][f]: taps (2r' + a, 2s' + b);
// phase (0, 0) has 2 x 2 of them, (0, 1) 1 x 2 (rows 0, 2; column 1), ...
// Taps past the 3x3 window are never loaded and stay 0.
// CHECK-NEXT: npu.dma_load {binding = 1 : i64, {{.*}}offset = 0 : i64, sizes = array<i64: 2, 2, 3, 2>, sram = 256 : i64, sram_strides = array<i64: 48, 24, 8, 1>, sram_type = "bf16", strides = array<i64: 8, 24, 36, 1>}
// CHECK-NEXT: npu.dma_load {binding = 1 : i64, {{.*}}offset = 4 : i64, sizes = array<i64: 1, 2, 3, 2>, sram = 260 : i64
// CHECK-NEXT: npu.dma_load {binding = 1 : i64, {{.*}}offset = 12 : i64, sizes = array<i64: 2, 1, 3, 2>, sram = 264 : i64
// CHECK-NEXT: npu.dma_load {binding = 1 : i64, {{.*}}offset = 16 : i64, signal = 0 : i64, sizes = array<i64: 1, 1, 3, 2>, sram = 268 : i64
// CHECK-NEXT: npu.dma_store
// One matmul, K = 2 x 2 x 12, over rows a_stride = 24 apart.
// CHECK-NEXT: npu.matmul {a = 0 : i64, a_stride = 24 : i64, accumulate = false, b = 256 : i64, {{.*}} k = 48 : i64, m = 4 : i64, n = 2 : i64

// Row statistics: a max over the last dim (from -inf) is a Reduce.
func.func private @rowmax(%x: tensor<1x4x8x32xf32>) -> tensor<1x4x8xf32> attributes {nuri.nodes = ["softmax"]} {
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<1x4x8xf32>
  %f = linalg.fill ins(%ninf : f32) outs(%e : tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %r = linalg.reduce ins(%x : tensor<1x4x8x32xf32>) outs(%f : tensor<1x4x8xf32>) dimensions = [3]
    (%a: f32, %o: f32) {
      %m = arith.maximumf %a, %o : f32
      linalg.yield %m : f32
    }
  return %r : tensor<1x4x8xf32>
}
// CHECK-LABEL: npu.kernel @rowmax
// 32 rows of 32: one row per tile, four tiles per core.
// CHECK: npu.core 0 {
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, dram_type = "f32", offset = 0 : i64, signal = 0 : i64, sizes = array<i64: 1, 1, 1, 32>
// CHECK: npu.reduce {cols = 32 : i64, dst = {{[0-9]+}} : i64, op = "max", rows = 1 : i64, signal = 1 : i64, src = 0 : i64, src_type = "f32", waits = array<i64: 0, 1>}

// A transpose [1, 8, 4, 16] -> [1, 4, 8, 16] is DMA alone: the permuted
// strides gather each block of the outermost output dim.
func.func private @heads(%x: tensor<1x8x4x16xf32>) -> tensor<1x4x8x16xf32> attributes {nuri.nodes = ["t"]} {
  %e = tensor.empty() : tensor<1x4x8x16xf32>
  %t = linalg.transpose ins(%x : tensor<1x8x4x16xf32>) outs(%e : tensor<1x4x8x16xf32>) permutation = [0, 2, 1, 3]
  return %t : tensor<1x4x8x16xf32>
}
// CHECK-LABEL: npu.kernel @heads attributes {macs = 0 : i64, min_dram_bytes = 4096 : i64, nodes = ["t"], semaphores = 1 : i64
// CHECK: npu.core 0 {
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, dram_type = "f32", offset = 0 : i64, sizes = array<i64: 1, 8, 16, 1>, sram = 0 : i64, sram_type = "f32", strides = array<i64: 16, 64, 1, 0>}
// CHECK-NEXT: npu.dma_store {binding = 1 : i64, dram_type = "f32", offset = 0 : i64, sizes = array<i64: 1, 1, 1, 128>
// CHECK: npu.core 3 {
// CHECK-NOT: npu.core 4

// Attention scores: a batch of 4 matmuls [8, 16] x [16, 8]; each matrix gets
// two cores, and B moves with the batch.
#qa = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
#kb = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>
#sc = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
func.func private @scores(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x16x8xf32>) -> tensor<1x4x8x8xf32> attributes {nuri.nodes = ["qk"]} {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x8x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %s = linalg.generic {indexing_maps = [#qa, #kb, #sc], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32>) outs(%f : tensor<1x4x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %t = arith.addf %o, %m : f32
    linalg.yield %t : f32
  } -> tensor<1x4x8x8xf32>
  return %s : tensor<1x4x8x8xf32>
}
// CHECK-LABEL: npu.kernel @scores attributes {macs = 4096 : i64
// CHECK: npu.core 2 {
// Core 2 has matrix 1's first rows: A from row 8, B from matrix 1 (offset 128).
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, dram_type = "f32", offset = 128 : i64
// CHECK-NEXT: npu.dma_load {binding = 1 : i64, dram_type = "f32", offset = 128 : i64

// ONNX's basic convolution: one channel, one filter, a 3x3 output (9 rows of
// 3 pixels, 1 column). No 8-core grid of whole output rows fits, so fewer
// cores take it (it used to get no geometry at all, and a zero-byte A slot
// the kernel verifier refused; found by nuri-cts --node-suite).
func.func private @single(%x: tensor<1x1x5x5xf32>, %w: tensor<1x3x3x1xf32>) -> tensor<1x1x3x3xf32> attributes {nuri.nodes = ["basic"]} {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x1x3x3xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  %c = linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%x, %w : tensor<1x1x5x5xf32>, tensor<1x3x3x1xf32>) outs(%f : tensor<1x1x3x3xf32>) attrs = {nuri.conv} {
  ^bb0(%a: f32, %k: f32, %o: f32):
    %m = arith.mulf %a, %k : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x1x3x3xf32>
  return %c : tensor<1x1x3x3xf32>
}
// CHECK-LABEL: npu.kernel @single
// CHECK-NOT: size 0
// CHECK: npu.sram_buffer "a0" at 0 size {{[1-9][0-9]*}}
// CHECK: npu.core 0 {
// CHECK: npu.matmul
