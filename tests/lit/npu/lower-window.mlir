// RUN: nuri-opt %s -nuri-npu-lower | FileCheck %s

// Zero padding is DMA alone: each block of channels is written into the
// interior of its slot through SRAM strides (those of the padded planes);
// the border is never written and stays zero.
func.func private @pad(%x: tensor<1x4x6x6xf32>) -> tensor<1x4x8x8xf32> attributes {nuri.nodes = ["pad"]} {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x8x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %p = tensor.insert_slice %x into %f[0, 0, 1, 1] [1, 4, 6, 6] [1, 1, 1, 1] : tensor<1x4x6x6xf32> into tensor<1x4x8x8xf32>
  return %p : tensor<1x4x8x8xf32>
}
// CHECK-LABEL: npu.kernel @pad
// CHECK: npu.core 0 {
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, dram_type = "f32", offset = 0 : i64, sizes = array<i64: 1, 6, 6, 1>, sram = 36 : i64, sram_strides = array<i64: 64, 8, 1, 1>, sram_type = "f32", strides = array<i64: 36, 6, 1, 1>}
// CHECK-NEXT: npu.dma_store {binding = 1 : i64, dram_type = "f32", offset = 0 : i64, sizes = array<i64: 1, 1, 1, 64>
// CHECK-NOT: npu.vector

// Before a max pool the border is -inf: the vector engine adds it to both
// zeroed slots once (semaphore 0) and the first load waits for both.
func.func private @pad_ninf(%x: tensor<1x4x6x6xf32>) -> tensor<1x4x8x8xf32> attributes {nuri.nodes = ["pad"]} {
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<1x4x8x8xf32>
  %f = linalg.fill ins(%ninf : f32) outs(%e : tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %p = tensor.insert_slice %x into %f[0, 0, 1, 1] [1, 4, 6, 6] [1, 1, 1, 1] : tensor<1x4x6x6xf32> into tensor<1x4x8x8xf32>
  return %p : tensor<1x4x8x8xf32>
}
// CHECK-LABEL: npu.kernel @pad_ninf
// CHECK: npu.core 0 {
// CHECK-NEXT: npu.vector {a = 0 : i64, b = 0 : i64, broadcast = "scalar", cols = 64 : i64, dst = 0 : i64, {{.*}} imm = 0xFF800000 : f32, op = "add", rows = 1 : i64, signal = 0 : i64
// CHECK-NEXT: npu.vector {{{.*}}signal = 0 : i64
// CHECK-NEXT: npu.dma_load {{{.*}}waits = array<i64: 0, 2>}

// A 3x3 stride-2 depthwise convolution with a per-channel bias and ReLU6,
// on the input's 2x2 phase planes (5x5 each): the input is loaded once, and
// tap (r, q) is phase (r%2, q%2) read r/2 rows and q/2 columns further on,
// times that tap's column of weights, summed; the epilogue runs on the
// [channels, plane] view and the store keeps the 4x4 outputs.
func.func private @depthwise(%x: tensor<1x16x9x9xf32>, %w: tensor<16x3x3xf32>, %b: tensor<1x16x1x1xf32>) -> tensor<1x16x4x4xf32> attributes {nuri.nodes = ["dw"]} {
  %zero = arith.constant 0.0 : f32
  %six = arith.constant 6.0 : f32
  %e = tensor.empty() : tensor<1x16x4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32>
  %c = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %w : tensor<1x16x9x9xf32>, tensor<16x3x3xf32>) outs(%f : tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c, %b : tensor<1x16x4x4xf32>, tensor<1x16x1x1xf32>) outs(%e : tensor<1x16x4x4xf32>) {
  ^bb0(%a: f32, %y: f32, %o: f32):
    %s = arith.addf %a, %y : f32
    %t = arith.maximumf %s, %zero : f32
    %u = arith.minimumf %t, %six : f32
    linalg.yield %u : f32
  } -> tensor<1x16x4x4xf32>
  return %r : tensor<1x16x4x4xf32>
}
// CHECK-LABEL: npu.kernel @depthwise attributes {macs = 2304 : i64
// 16 channels in blocks of one, two per core (so loads overlap compute).
// CHECK: npu.sram_buffer "plane0_0" at 384 size 124
// CHECK: npu.core 0 {
// Phases (0, 0) and (0, 1): rows and columns of stride 2 into 5x5 planes
// (phase (0, 1) has 4 columns).
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, dram_type = "f32", offset = 0 : i64, sizes = array<i64: 1, 5, 5, 1>, sram = 384 : i64, sram_strides = array<i64: 25, 5, 1, 0>, sram_type = "f32", strides = array<i64: 81, 18, 2, 0>}
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, dram_type = "f32", offset = 1 : i64, sizes = array<i64: 1, 5, 4, 1>, sram = 640 : i64
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, dram_type = "f32", offset = 9 : i64, sizes = array<i64: 1, 4, 5, 1>
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, dram_type = "f32", offset = 10 : i64, sizes = array<i64: 1, 4, 4, 1>
// The weights as [tap][channel], then the bias (a column) signals LOAD.
// CHECK-NEXT: npu.dma_load {binding = 1 : i64, dram_type = "f32", offset = 0 : i64, sizes = array<i64: 1, 1, 9, 1>, {{.*}} strides = array<i64: 0, 0, 1, 9>}
// CHECK-NEXT: npu.dma_load {binding = 2 : i64, {{.*}} signal = 0 : i64, sizes = array<i64: 1, 1, 1, 1>
// The 4x4 outputs of the 5x5 plane, back to NCHW.
// CHECK: npu.dma_store {binding = 3 : i64, dram_type = "f32", offset = 0 : i64, signal = 4 : i64, sizes = array<i64: 1, 4, 4, 1>, sram = 0 : i64, sram_strides = array<i64: 25, 5, 1, 0>, sram_type = "f32", strides = array<i64: 16, 4, 1, 0>, waits = array<i64: 3, 1>}
// Tap (0, 0) is phase (0, 0) itself; tap (0, 1) phase (0, 1); tap (0, 2)
// phase (0, 0) one column on (+4 bytes), into the product, then summed.
// CHECK: npu.vector {a = 384 : i64, b = 1408 : i64, broadcast = "column", cols = 25 : i64, dst = 0 : i64, {{.*}} op = "mul", rows = 1 : i64, src_type = "f32", waits = array<i64: 0, 1>}
// CHECK-NEXT: npu.vector {a = 640 : i64, b = 1412 : i64, broadcast = "column", cols = 25 : i64, dst = 1536 : i64, {{.*}} op = "mul"
// CHECK-NEXT: npu.vector {a = 0 : i64, b = 1536 : i64, broadcast = "full", {{.*}} op = "add"
// CHECK-NEXT: npu.vector {a = 388 : i64, b = 1416 : i64, broadcast = "column", {{.*}} op = "mul"
// CHECK: npu.vector {{{.*}}broadcast = "column", {{.*}} op = "add"
// CHECK-NEXT: npu.vector {{{.*}}imm = 0.000000e+00 : f32, op = "max"
// CHECK-NEXT: npu.vector {{{.*}}imm = 6.000000e+00 : f32, op = "min", rows = 1 : i64, signal = 3 : i64

// A 2x2 stride-2 max pool: the max of the four phase planes.
func.func private @maxpool(%x: tensor<1x8x8x8xf32>) -> tensor<1x8x4x4xf32> attributes {nuri.nodes = ["mp"]} {
  %ninf = arith.constant 0xFF800000 : f32
  %w = tensor.empty() : tensor<2x2xf32>
  %e = tensor.empty() : tensor<1x8x4x4xf32>
  %f = linalg.fill ins(%ninf : f32) outs(%e : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %p = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %w : tensor<1x8x8x8xf32>, tensor<2x2xf32>) outs(%f : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %p : tensor<1x8x4x4xf32>
}
// CHECK-LABEL: npu.kernel @maxpool attributes {macs = 0 : i64
// CHECK: npu.core 0 {
// CHECK: npu.dma_load {binding = 0 : i64, dram_type = "f32", offset = 9 : i64, signal = 0 : i64, sizes = array<i64: 1, 4, 4, 1>, sram = 512 : i64
// CHECK: npu.vector {{{.*}}op = "max", {{.*}} waits = array<i64: 0, 1>}
// CHECK-NEXT: npu.vector {{{.*}}op = "max"
// CHECK-NEXT: npu.vector {{{.*}}op = "max", {{.*}} signal = 3 : i64

// A dilated pool has no phase planes: each tap's pixels are gathered by DMA.
func.func private @maxpool_dilated(%x: tensor<1x2x8x8xf32>) -> tensor<1x2x6x6xf32> attributes {nuri.nodes = ["mpd"]} {
  %ninf = arith.constant 0xFF800000 : f32
  %w = tensor.empty() : tensor<2x2xf32>
  %e = tensor.empty() : tensor<1x2x6x6xf32>
  %f = linalg.fill ins(%ninf : f32) outs(%e : tensor<1x2x6x6xf32>) -> tensor<1x2x6x6xf32>
  %p = linalg.pooling_nchw_max {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x2x8x8xf32>, tensor<2x2xf32>) outs(%f : tensor<1x2x6x6xf32>) -> tensor<1x2x6x6xf32>
  return %p : tensor<1x2x6x6xf32>
}
// CHECK-LABEL: npu.kernel @maxpool_dilated
// CHECK: npu.core 0 {
// Tap (1, 1): 2 rows and 2 columns on.
// CHECK: npu.dma_load {binding = 0 : i64, dram_type = "f32", offset = 18 : i64, signal = 0 : i64, sizes = array<i64: 1, 6, 6, 1>, {{.*}} strides = array<i64: 64, 8, 1, 0>}
// CHECK: npu.vector {{{.*}}cols = 36 : i64, {{.*}} op = "max"
