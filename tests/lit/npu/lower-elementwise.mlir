// RUN: nuri-opt %s -nuri-npu-lower | FileCheck %s

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#col = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
// LayerNorm-style centering: x - mean * (1/256), the mean one value per row
// ([1,128,1] read as a column), then 1 - y: a scalar minus a tensor.
func.func private @dispatch_1(%x: tensor<1x128x256xf32>, %sum: tensor<1x128x1xf32>) -> tensor<1x128x256xf32> attributes {nuri.nodes = ["ln"]} {
  %e = tensor.empty() : tensor<1x128x256xf32>
  %scale = arith.constant 3.906250e-03 : f32
  %one = arith.constant 1.0 : f32
  %r = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %sum : tensor<1x128x256xf32>, tensor<1x128x1xf32>) outs(%e : tensor<1x128x256xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %m = arith.mulf %s, %scale : f32
    %d = arith.subf %a, %m : f32
    %n = arith.subf %one, %d : f32
    linalg.yield %n : f32
  } -> tensor<1x128x256xf32>
  return %r : tensor<1x128x256xf32>
}
// CHECK-LABEL: npu.kernel @dispatch_1 attributes {macs = 0 : i64, min_dram_bytes = 262656 : i64
// The output as [128, 256]: 32 tiles of 4 rows, four per core; the input
// tile and the column of sums double-buffered; three temporaries.
// CHECK: npu.sram_buffer "result0" at 0 size 4096
// CHECK: npu.sram_buffer "in0_0" {{.*}} size 4096
// CHECK: npu.sram_buffer "in1_0" {{.*}} size 16
// CHECK: npu.sram_buffer "tmp2"
// CHECK-NOT: npu.sram_buffer "tmp3"
// CHECK: npu.core 0 {
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, dram_type = "f32", offset = 0 : i64, sizes = array<i64: 1, 1, 4, 256>
// CHECK-NEXT: npu.dma_load {binding = 1 : i64, dram_type = "f32", offset = 0 : i64, signal = 0 : i64, sizes = array<i64: 1, 1, 1, 4>
// Core 0's second tile is tile 8 of the kernel: rows 32..35.
// CHECK-NEXT: npu.dma_load {binding = 0 : i64, dram_type = "f32", offset = 8192 : i64
// CHECK-NEXT: npu.dma_load {binding = 1 : i64, dram_type = "f32", offset = 32 : i64, signal = 0 : i64
// CHECK-NEXT: npu.dma_store {binding = 2 : i64, dram_type = "f32", offset = 0 : i64, signal = 4 : i64, sizes = array<i64: 1, 1, 4, 256>, sram = 0 : i64, sram_type = "f32", strides = array<i64: 0, 0, 256, 1>, waits = array<i64: 3, 1>}
// The third tile reuses slot 0 once the vector engine is done with the first.
// CHECK-NEXT: npu.dma_load {{{.*}}offset = 16384 : i64{{.*}}waits = array<i64: 3, 1>}
// The vector program of a tile: the column of sums times 1/256 on one
// column (rows 4, cols 1), subtracted broadcast along rows; 1 - d becomes
// -d + 1; the last step writes the result slot and signals VEC (3).
// CHECK: npu.vector {a = {{[0-9]+}} : i64, b = 0 : i64, broadcast = "scalar", cols = 1 : i64, dst = [[S:[0-9]+]] : i64, {{.*}} op = "mul", rows = 4 : i64, src_type = "f32", waits = array<i64: 0, 1>}
// CHECK-NEXT: npu.vector {a = {{[0-9]+}} : i64, b = [[S]] : i64, broadcast = "column", cols = 256 : i64, dst = [[D:[0-9]+]] : i64, {{.*}} op = "sub", rows = 4 : i64
// CHECK-NEXT: npu.vector {a = [[D]] : i64, {{.*}} op = "neg"
// CHECK-NEXT: npu.vector {{{.*}}broadcast = "scalar", cols = 256 : i64, dst = 0 : i64, {{.*}} imm = 1.000000e+00 : f32, op = "add", rows = 4 : i64, signal = 3 : i64
// From the third tile on, the program also waits for the store of the tile
// two before it (STORE, 4), whose result slot it reuses.
// CHECK: waits = array<i64: 0, 3, 4, 1>
