// RUN: nuri-opt %s -nuri-npu-lower | FileCheck %s
// RUN: nuri-opt %s -nuri-npu-lower=preset=edge | FileCheck %s --check-prefix=EDGE

#map = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func private @dispatch_0(%a: tensor<256x512xf32>, %b: tensor<512x384xf32>, %bias: tensor<384xf32>) -> tensor<256x384xf32> attributes {nuri.nodes = ["mm", "relu"]} {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<256x384xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<256x384xf32>) -> tensor<256x384xf32>
  %m = linalg.matmul ins(%a, %b : tensor<256x512xf32>, tensor<512x384xf32>) outs(%f : tensor<256x384xf32>) -> tensor<256x384xf32>
  %r = linalg.generic {indexing_maps = [#map, #row, #map], iterator_types = ["parallel", "parallel"]} ins(%m, %bias : tensor<256x384xf32>, tensor<384xf32>) outs(%e : tensor<256x384xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    %t = arith.maximumf %s, %zero : f32
    linalg.yield %t : f32
  } -> tensor<256x384xf32>
  return %r : tensor<256x384xf32>
}

// The host program still calls the function: the cpu keeps it as fallback.
// CHECK-LABEL: func.func private @dispatch_0
// The kernel keeps the dispatch's name and its MACs (256*512*384) and
// minimum DRAM traffic (A, B, bias and C once, in f32).
// CHECK-LABEL: npu.kernel @dispatch_0 attributes {macs = 50331648 : i64, min_dram_bytes = 1705472 : i64, nodes = ["mm", "relu"], semaphores = 5 : i64, sram_bytes = 33554432 : i64}
// Eight datacenter cores split the 256x384 output 2x4: tiles of 128x96, K
// in chunks of 128. Core (i, j) = 4i + j multicasts its A chunks to the
// four cores of its grid row ([4i, 4, 1]) and its B chunks to the two of
// its grid column ([j, 2, 4]): DRAM is read once per chunk.
// Operand slots are double-buffered in bf16; the accumulator is f32.
// CHECK: npu.sram_buffer "a0" at 0 size 32768
// CHECK: npu.sram_buffer "b0" at 32768 size 24576
// CHECK: npu.sram_buffer "acc0" at 57344 size 49152
// CHECK: npu.sram_buffer "a1"
// CHECK: npu.sram_buffer "b1"
// CHECK: npu.sram_buffer "acc1"
// CHECK: npu.sram_buffer "in0_0" at {{[0-9]+}} size 384
// CHECK: npu.sram_buffer "tmp0"
// The relu writes the accumulator itself: one temporary.
// CHECK-NOT: npu.sram_buffer "tmp1"
// CHECK: npu.core 0 {
// The bias slice, then A and B chunks; B's load signals LOAD (0).
// CHECK-NEXT: npu.dma_load {binding = 2 : i64, dram_type = "f32", offset = 0 : i64, signal = 2 : i64, sizes = array<i64: 1, 1, 1, 96>
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, dram_type = "f32", multicast = array<i64: 0, 4, 1>, offset = 0 : i64, sizes = array<i64: 1, 1, 128, 128>, sram = 0 : i64, sram_type = "bf16", strides = array<i64: 0, 0, 512, 1>}
// CHECK-NEXT: npu.dma_load {binding = 1 : i64, dram_type = "f32", multicast = array<i64: 0, 2, 4>, offset = 0 : i64, signal = 0 : i64, sizes = array<i64: 1, 1, 128, 96>, sram = 32768 : i64, sram_type = "bf16", strides = array<i64: 0, 0, 384, 1>}
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, {{.*}} offset = 128 : i64, sizes = array<i64: 1, 1, 128, 128>
// The third chunk reuses slot 0 once the first matmul signalled MM (1).
// CHECK: npu.dma_load {binding = 0 : i64, {{.*}} offset = 256 : i64, {{.*}} waits = array<i64: 1, 1>}
// The result goes back as f32 after the vector engine signalled VEC (3).
// CHECK: npu.dma_store {binding = 3 : i64, dram_type = "f32", offset = 0 : i64, signal = 4 : i64, sizes = array<i64: 1, 1, 128, 96>, sram = 57344 : i64, sram_type = "f32", strides = array<i64: 0, 0, 384, 1>, waits = array<i64: 3, 1>}
// Four matmul steps; the first overwrites the accumulator.
// CHECK-NEXT: npu.matmul {a = 0 : i64, accumulate = false, b = 32768 : i64, c = 57344 : i64, in_type = "bf16", k = 128 : i64, m = 128 : i64, n = 96 : i64, signal = 1 : i64, waits = array<i64: 0, 1>}
// CHECK-NEXT: npu.matmul {{{.*}}accumulate = true{{.*}}waits = array<i64: 0, 2>}
// CHECK-NEXT: npu.matmul {{{.*}}accumulate = true{{.*}}waits = array<i64: 0, 3>}
// CHECK-NEXT: npu.matmul {{{.*}}accumulate = true{{.*}}waits = array<i64: 0, 4>}
// The epilogue waits for all four steps and the bias (EPI, 2): bias add
// broadcast along rows, relu as max with 0 written back into the accumulator.
// CHECK-NEXT: npu.vector {a = 57344 : i64, b = {{[0-9]+}} : i64, broadcast = "row", cols = 96 : i64, {{.*}} op = "add", rows = 128 : i64, {{.*}} waits = array<i64: 1, 4, 2, 1>}
// CHECK-NEXT: npu.vector {{{.*}}broadcast = "scalar", {{.*}} dst = 57344 : i64, {{.*}} op = "max", {{.*}} signal = 3 : i64
// Core 6 = (1, 2): rows 128.. with the grid row 4..7, columns 192.. with
// the grid column 2, 6.
// CHECK: npu.core 6 {
// CHECK-NEXT: npu.dma_load {binding = 2 : i64
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, dram_type = "f32", multicast = array<i64: 4, 4, 1>, offset = 65536 : i64
// CHECK-NEXT: npu.dma_load {binding = 1 : i64, dram_type = "f32", multicast = array<i64: 2, 2, 4>, offset = 192 : i64
// CHECK: npu.core 7 {
// CHECK-NOT: npu.core 8

// The edge preset has two cores with 64x128 matrix engines: a 1x2 grid of
// 256x192 tiles (A read twice) and K chunks of 64.
// EDGE: npu.kernel @dispatch_0
// EDGE: npu.sram_buffer "a0" at 0 size 32768
// EDGE: npu.core 0 {
// EDGE-NEXT: npu.dma_load {binding = 2 : i64, {{.*}} sizes = array<i64: 1, 1, 1, 192>
// EDGE: npu.matmul {{{.*}}k = 64 : i64, m = 256 : i64, n = 192 : i64
// EDGE: npu.core 1 {
// EDGE-NOT: npu.core 2
