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
// filters). The input slot holds 3 rows x 10 columns of the 8 channels
// (bf16), channels innermost; each row of the window is one matmul, K = 24,
// whose A rows overlap: pixel p's row starts a_stride = 8 elements after
// pixel p-1's, so its 24 elements are pixels p, p+1, p+2.
// CHECK: npu.sram_buffer "a0" at 0 size 480
// CHECK: npu.core 0 {
// The bias (a row of the [pixels, filters] view) signals EPI (2).
// CHECK-NEXT: npu.dma_load {binding = 2 : i64, {{.*}} signal = 2 : i64
// The input rows, read once (SRAM strides 1 per channel, 8 per pixel).
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, dram_type = "f32", offset = 0 : i64, sizes = array<i64: 8, 1, 30, 1>, sram = 0 : i64, sram_strides = array<i64: 1, 0, 8, 0>, sram_type = "bf16", strides = array<i64: 100, 0, 1, 0>}
// The weights of each row of the window as [s][c][f], each load
// signalling LOAD (0): row 0's matmul starts while rows 1 and 2 stream in.
// All eight cores use them: one multicast [0, 8, 1] reads them once.
// CHECK-NEXT: npu.dma_load {binding = 1 : i64, dram_type = "f32", multicast = array<i64: 0, 8, 1>, offset = 0 : i64, signal = 0 : i64, sizes = array<i64: 1, 3, 8, 16>, sram = 512 : i64, sram_type = "bf16", strides = array<i64: 0, 16, 144, 1>}
// CHECK-NEXT: npu.dma_load {binding = 1 : i64, dram_type = "f32", multicast = array<i64: 0, 8, 1>, offset = 48 : i64, signal = 0 : i64
// CHECK-NEXT: npu.dma_load {binding = 1 : i64, dram_type = "f32", multicast = array<i64: 0, 8, 1>, offset = 96 : i64, signal = 0 : i64
// The row of results, back to NCHW.
// CHECK-NEXT: npu.dma_store {binding = 3 : i64, dram_type = "f32", offset = 0 : i64, signal = 4 : i64, sizes = array<i64: 16, 1, 8, 1>, {{.*}} sram_strides = array<i64: 1, 160, 16, 0>, sram_type = "f32", strides = array<i64: 64, 8, 1, 0>
// Row r of the window starts r*Wp = 10r pixels down (x 8 x 2 bytes): 8
// wide pixels, K = 24; the last signals MM (1).
// CHECK-NEXT: npu.matmul {a = 0 : i64, a_stride = 8 : i64, accumulate = false, b = 512 : i64, {{.*}} k = 24 : i64, m = 8 : i64, n = 16 : i64, waits = array<i64: 0, 1>}
// CHECK-NEXT: npu.matmul {a = 160 : i64, a_stride = 8 : i64, accumulate = true, b = 1280 : i64, {{.*}} waits = array<i64: 0, 2>}
// CHECK-NEXT: npu.matmul {a = 320 : i64, a_stride = 8 : i64, accumulate = true, b = 2048 : i64, {{.*}} signal = 1 : i64, waits = array<i64: 0, 3>}
// CHECK-NEXT: npu.vector {{{.*}}broadcast = "row", cols = 16 : i64, {{.*}} op = "add", rows = 8 : i64

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
// core computes 64 filters over all pixels, in four chunks of 128 channels
// (double buffered) of one matmul per row of the window (K = 3 x 128).
// The input chunk is the same for all eight: a multicast.
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
// CHECK: npu.sram_buffer "a0" at 0 size 20736
// CHECK: npu.core 0 {
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, dram_type = "f32", multicast = array<i64: 0, 8, 1>, offset = 0 : i64, sizes = array<i64: 128, 1, 81, 1>, sram = 0 : i64, sram_strides = array<i64: 1, 0, 128, 0>
// CHECK-COUNT-12: npu.matmul {{{.*}}a_stride = 128 : i64{{.*}}k = 384 : i64, m = 61 : i64, n = 64 : i64
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
// Core 0 (a 4x2 grid: one output row, two filters) loads its 2 phase rows
// once per phase (a, b): X[c][2y + a][2x + b] strided by 2 in DRAM, to
// element 4c + 2a + b of each pixel; phase (0, 1) has 4 columns, not 5.
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, dram_type = "f32", multicast = array<i64: 0, 2, 1>, offset = 0 : i64, sizes = array<i64: 3, 2, 5, 1>, sram = 0 : i64, sram_strides = array<i64: 4, 60, 12, 0>, sram_type = "bf16", strides = array<i64: 81, 18, 2, 0>}
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, {{.*}}offset = 1 : i64, sizes = array<i64: 3, 2, 4, 1>, sram = 2 : i64
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, {{.*}}offset = 9 : i64, sizes = array<i64: 3, 2, 5, 1>, sram = 4 : i64
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, {{.*}}offset = 10 : i64, sizes = array<i64: 3, 2, 4, 1>, sram = 6 : i64
// Window row 0 holds original rows 0 and 1: taps (0, 0), (0, 2) of phase
// (0, 0), tap (0, 1) of phase (0, 1), ...; row 1 only original row 2
// (row 3 is past the window: its weights stay 0).
// CHECK-NEXT: npu.dma_load {binding = 1 : i64, {{.*}}offset = 0 : i64, sizes = array<i64: 2, 3, 2, 1>, sram = 256 : i64, sram_strides = array<i64: 24, 8, 1, 0>, sram_type = "bf16", strides = array<i64: 8, 36, 1, 0>}
// CHECK-NEXT: npu.dma_load {binding = 1 : i64, {{.*}}offset = 4 : i64, sizes = array<i64: 1, 3, 2, 1>, sram = 260 : i64
// CHECK-NEXT: npu.dma_load {binding = 1 : i64, {{.*}}offset = 12 : i64, sizes = array<i64: 2, 3, 2, 1>, sram = 264 : i64
// CHECK-NEXT: npu.dma_load {binding = 1 : i64, {{.*}}offset = 16 : i64, signal = 0 : i64, sizes = array<i64: 1, 3, 2, 1>, sram = 268 : i64
// CHECK-NEXT: npu.dma_load {binding = 1 : i64, {{.*}}offset = 24 : i64, sizes = array<i64: 2, 3, 2, 1>, sram = 352 : i64
// CHECK-NEXT: npu.dma_load {binding = 1 : i64, {{.*}}offset = 28 : i64, signal = 0 : i64, sizes = array<i64: 1, 3, 2, 1>, sram = 356 : i64
// CHECK-NEXT: npu.dma_store
// Two matmuls (rows of the 2 x 2 window), K = 2 x 12, over overlapping rows.
// CHECK-NEXT: npu.matmul {a = 0 : i64, a_stride = 12 : i64, accumulate = false, b = 256 : i64, {{.*}} k = 24 : i64, m = 4 : i64, n = 2 : i64
// CHECK-NEXT: npu.matmul {a = 120 : i64, a_stride = 12 : i64, accumulate = true, b = 352 : i64, {{.*}} k = 24 : i64, m = 4 : i64, n = 2 : i64

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
