/* A driver plugin with deliberate faults, to prove nuri-cts catches them
 * (tests/cts/check_kit.py lists what each must fail):
 *   - buffers are not zero-filled (buffer.allocate, buffer.device_local);
 *   - an impossible allocation writes through a NULL pointer instead of
 *     returning RESOURCE_EXHAUSTED (buffer.out_of_memory: a crash);
 *   - copies ignore the target offset (copy.offsets);
 *   - it claims npu-isa-v1 and "loads" any bytes as one (executable.load_errors);
 *   - a copy of exactly 64 bytes never returns (semaphore.signal and
 *     semaphore.submit_waits: hangs).
 * Everything else is a correct host-memory device. Plain C99 against
 * nuri/driver_plugin.h, as a vendor would write it. */
#define _POSIX_C_SOURCE 200809L
#include "nuri/driver_plugin.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
  void *data;
  uint64_t size;
} buffer_t;

static void destroy(void *device) { (void)device; }

static nuri_status_t allocate(void *device, uint64_t size, void **out) {
  (void)device;
  buffer_t *b = malloc(sizeof *b);
  if (!b)
    return nuri_make_status(NURI_RESOURCE_EXHAUSTED, "faulty: out of memory");
  b->size = size;
  b->data = NULL;
  if (size > (1ull << 40)) {
    *(volatile char *)b->data = 0; /* fault: crash instead of a status */
  }
  if (posix_memalign(&b->data, 64, size ? size : 64) != 0) {
    free(b);
    return nuri_make_status(NURI_RESOURCE_EXHAUSTED, "faulty: out of memory");
  }
  memset(b->data, 0xab, size ? size : 64); /* fault: not zero-filled */
  *out = b;
  return NULL;
}

static void release(void *device, void *buffer) {
  (void)device;
  buffer_t *b = buffer;
  free(b->data);
  free(b);
}

static void *map(void *device, void *buffer) {
  (void)device;
  return ((buffer_t *)buffer)->data;
}

static int supports(void *device, const char *format) {
  (void)device;
  return strcmp(format, "npu-isa-v1") == 0;
}

static nuri_status_t load(void *device, const char *format, const void *data, size_t size,
                          const char *const *entries, size_t count, void **out) {
  (void)device, (void)format, (void)data, (void)size, (void)entries, (void)count;
  static int token;
  *out = &token; /* fault: anything loads */
  return NULL;
}

static void unload(void *device, void *executable) { (void)device, (void)executable; }

static nuri_status_t execute(void *device, const nuri_hal_command_t *commands, size_t count) {
  (void)device;
  for (size_t i = 0; i < count; ++i) {
    const nuri_hal_command_t *c = &commands[i];
    if (c->kind == NURI_HAL_COMMAND_COPY) {
      if (c->size == 64)
        for (;;)
          pause(); /* fault: hangs */
      buffer_t *s = c->source, *t = c->target;
      memcpy(t->data, (char *)s->data + c->source_offset, c->size); /* fault: no target offset */
    } else if (c->kind == NURI_HAL_COMMAND_DISPATCH) {
      return nuri_make_status(NURI_UNIMPLEMENTED, "faulty: no dispatches");
    }
  }
  return NULL;
}

static const nuri_device_vtable_t device_vtable = {
    destroy, allocate, release, map, NULL, NULL, supports, load, unload, execute, NULL, NULL, NULL,
};

static nuri_status_t create_device(const nuri_device_options_t *options,
                                   const nuri_device_vtable_t **out_vtable, void **out_device) {
  (void)options;
  static int device;
  *out_vtable = &device_vtable;
  *out_device = &device;
  return NULL;
}

static const nuri_driver_vtable_t driver = {"faulty", create_device};

NURI_DRIVER_PLUGIN_EXPORT const nuri_driver_plugin_t *nuri_driver_plugin(void) {
  static const nuri_driver_plugin_t plugin = {NURI_DRIVER_PLUGIN_ABI_VERSION,
                                              sizeof(nuri_driver_plugin_t), &driver};
  return &plugin;
}
