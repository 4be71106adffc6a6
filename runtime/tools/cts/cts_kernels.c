/* Kernels with the cpu executable ABI, for nuri-cts and the runtime tests. Tensors are
   kTestElements f32 values; each workgroup handles one contiguous chunk. */
#include <stdint.h>

enum { kTestElements = 1024 };

static void chunk(int64_t id, int64_t count, int64_t *begin, int64_t *end) {
  int64_t size = (kTestElements + count - 1) / count;
  *begin = id * size < kTestElements ? id * size : kTestElements;
  *end = *begin + size < kTestElements ? *begin + size : kTestElements;
}

/* bindings: a, b, out */
void add_f32(void **bindings, int64_t id, int64_t count) {
  const float *a = bindings[0], *b = bindings[1];
  float *out = bindings[2];
  int64_t begin, end;
  chunk(id, count, &begin, &end);
  for (int64_t i = begin; i < end; ++i)
    out[i] = a[i] + b[i];
}

/* bindings: a, out */
void scale2_f32(void **bindings, int64_t id, int64_t count) {
  const float *a = bindings[0];
  float *out = bindings[1];
  int64_t begin, end;
  chunk(id, count, &begin, &end);
  for (int64_t i = begin; i < end; ++i)
    out[i] = 2.0f * a[i];
}
