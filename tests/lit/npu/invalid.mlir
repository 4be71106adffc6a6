// RUN: nuri-opt %s -split-input-file -verify-diagnostics

npu.kernel @d attributes {sram_bytes = 1024, semaphores = 1, macs = 0, min_dram_bytes = 0, nodes = []} {
  // expected-error @+1 {{SRAM buffer 'big' [0, 2048) does not fit the 1024-byte scratchpad}}
  npu.sram_buffer "big" at 0 size 2048
}

// -----

npu.kernel @d attributes {sram_bytes = 4096, semaphores = 1, macs = 0, min_dram_bytes = 0, nodes = []} {
  npu.sram_buffer "a" at 0 size 1024
  // expected-error @+1 {{SRAM buffer 'b' overlaps live buffer 'a'}}
  npu.sram_buffer "b" at 512 size 1024
}

// -----

npu.kernel @d attributes {sram_bytes = 4096, semaphores = 1, macs = 0, min_dram_bytes = 0, nodes = []} {
  npu.sram_buffer "a" at 0 size 1024
  npu.core 0 {
    // 16x32 f32 = 2048 bytes: past the end of buffer a.
    // expected-error @+1 {{SRAM side [0, 2048) is not inside one SRAM buffer of the kernel}}
    npu.dma_load {binding = 0, offset = 0, sizes = array<i64: 1, 1, 16, 32>, strides = array<i64: 0, 0, 32, 1>, dram_type = "f32", sram = 0, sram_type = "f32"}
  }
}

// -----

npu.kernel @d attributes {sram_bytes = 4096, semaphores = 1, macs = 0, min_dram_bytes = 0, nodes = []} {
  npu.sram_buffer "a" at 0 size 1024
  npu.core 0 {
    // expected-error @+1 {{cannot convert f32 to i8 (only f32 <-> bf16)}}
    npu.dma_load {binding = 0, offset = 0, sizes = array<i64: 1, 1, 1, 16>, strides = array<i64: 0, 0, 0, 1>, dram_type = "f32", sram = 0, sram_type = "i8"}
  }
}

// -----

npu.kernel @d attributes {sram_bytes = 4096, semaphores = 2, macs = 0, min_dram_bytes = 0, nodes = []} {
  npu.sram_buffer "a" at 0 size 1024
  npu.core 0 {
    // expected-error @+1 {{waits for semaphore 2 count 1 (the kernel has 2)}}
    npu.dma_load {binding = 0, offset = 0, sizes = array<i64: 1, 1, 1, 16>, strides = array<i64: 0, 0, 0, 1>, dram_type = "f32", sram = 0, sram_type = "f32", waits = array<i64: 2, 1>}
  }
}

// -----

npu.kernel @d attributes {sram_bytes = 65536, semaphores = 1, macs = 0, min_dram_bytes = 0, nodes = []} {
  npu.sram_buffer "all" at 0 size 65536
  npu.core 0 {
    // A 16x16 bf16 (512 bytes) at 0, B at 512, C 16x16 f32 at 256: on top of A.
    // expected-error @+1 {{accumulator C overlaps an input}}
    npu.matmul {a = 0, b = 512, c = 256, m = 16, k = 16, n = 16, in_type = "bf16", accumulate = false}
  }
}

// -----

npu.kernel @d attributes {sram_bytes = 65536, semaphores = 1, macs = 0, min_dram_bytes = 0, nodes = []} {
  npu.sram_buffer "all" at 0 size 65536
  npu.core 0 {
    // With a_stride 64, A spans 15 * 64 + 16 bf16 (1952 bytes) from 0: C at 1024 is on it.
    // expected-error @+1 {{accumulator C overlaps an input}}
    npu.matmul {a = 0, a_stride = 64, b = 8192, c = 1024, m = 16, k = 16, n = 16, in_type = "bf16", accumulate = false}
  }
}

// -----

npu.kernel @d attributes {sram_bytes = 65536, semaphores = 1, macs = 0, min_dram_bytes = 0, nodes = []} {
  npu.sram_buffer "all" at 0 size 65536
  npu.core 0 {
    // expected-error @+1 {{a_stride must be at least 1, not 0}}
    npu.matmul {a = 0, a_stride = 0, b = 8192, c = 16384, m = 16, k = 16, n = 16, in_type = "bf16", accumulate = false}
  }
}

// -----

npu.kernel @d attributes {sram_bytes = 65536, semaphores = 1, macs = 0, min_dram_bytes = 0, nodes = []} {
  npu.sram_buffer "all" at 0 size 65536
  npu.core 0 {
    // expected-error @+1 {{input type must be bf16 or i8, not f32}}
    npu.matmul {a = 0, b = 1024, c = 4096, m = 16, k = 16, n = 16, in_type = "f32", accumulate = false}
  }
}

// -----

npu.kernel @d attributes {sram_bytes = 65536, semaphores = 1, macs = 0, min_dram_bytes = 0, nodes = []} {
  npu.sram_buffer "all" at 0 size 65536
  npu.core 0 {
    // dst [64, 1088) partially overlaps a [0, 1024); in place (dst = a) is fine.
    npu.vector {op = "exp", src_type = "f32", dst_type = "f32", dst = 0, a = 0, b = 0, rows = 16, cols = 16, broadcast = "full", imm = 0.0 : f32}
    // expected-error @+1 {{dst partially overlaps a}}
    npu.vector {op = "exp", src_type = "f32", dst_type = "f32", dst = 64, a = 0, b = 0, rows = 16, cols = 16, broadcast = "full", imm = 0.0 : f32}
  }
}

// -----

npu.kernel @d attributes {sram_bytes = 65536, semaphores = 1, macs = 0, min_dram_bytes = 0, nodes = []} {
  npu.sram_buffer "all" at 0 size 65536
  npu.core 0 {
    // expected-error @+1 {{unknown vector op 'gelu'}}
    npu.vector {op = "gelu", src_type = "f32", dst_type = "f32", dst = 0, a = 0, b = 0, rows = 16, cols = 16, broadcast = "full", imm = 0.0 : f32}
  }
}

// -----

npu.kernel @d attributes {sram_bytes = 65536, semaphores = 1, macs = 0, min_dram_bytes = 0, nodes = []} {
  npu.sram_buffer "all" at 0 size 65536
  npu.core 0 {
    // expected-error @+1 {{dst overlaps src}}
    npu.reduce {op = "sum", src_type = "f32", dst = 0, src = 0, rows = 4, cols = 16}
  }
}

// -----

npu.kernel @d attributes {sram_bytes = 4096, semaphores = 1, macs = 0, min_dram_bytes = 0, nodes = []} {
  npu.core 0 {
  }
  // expected-error @+1 {{core id 0 is negative or repeated}}
  npu.core 0 {
  }
}

// -----

npu.kernel @d attributes {sram_bytes = 65536, semaphores = 1, macs = 0, min_dram_bytes = 0, nodes = []} {
  npu.sram_buffer "all" at 0 size 65536
  npu.core 1 {
    // Cores 0, 2, 4, 6: not this one.
    // expected-error @+1 {{multicast group [0, 4, 2] does not hold core 1}}
    npu.dma_load {binding = 0, offset = 0, sizes = array<i64: 1, 1, 1, 16>, strides = array<i64: 0, 0, 0, 1>, dram_type = "f32", sram = 0, sram_type = "f32", multicast = array<i64: 0, 4, 2>}
  }
}

// -----

npu.kernel @d attributes {sram_bytes = 65536, semaphores = 1, macs = 0, min_dram_bytes = 0, nodes = []} {
  npu.sram_buffer "all" at 0 size 65536
  npu.core 0 {
    // expected-error @+1 {{multicast must be [first, count, stride], not 2 numbers}}
    npu.dma_load {binding = 0, offset = 0, sizes = array<i64: 1, 1, 1, 16>, strides = array<i64: 0, 0, 0, 1>, dram_type = "f32", sram = 0, sram_type = "f32", multicast = array<i64: 0, 4>}
  }
}
