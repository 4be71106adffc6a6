/* "vendor-npu": the example chip's runtime half, a driver plugin in plain C
 * against nuri/driver_plugin.h. The example chip is the reference NPU, so
 * its device is the simulator's under the vendor's name; a real vendor's
 * create_device opens its kernel driver here and fills its own vtable
 * (docs/runtime.md, "Writing a driver"). */
#include "nuri/driver_plugin.h"

#include <stddef.h>

static nuri_status_t create_device(const nuri_device_options_t *options,
                                   const nuri_device_vtable_t **out_vtable, void **out_device) {
  const nuri_driver_vtable_t *simulator = nuri_builtin_driver("npu-sim");
  if (!simulator)
    return nuri_make_status(NURI_UNAVAILABLE,
                            "vendor-npu: this runtime has no npu-sim to stand in for the chip");
  return simulator->create_device(options, out_vtable, out_device);
}

static const nuri_driver_vtable_t driver = {"vendor-npu", create_device};

NURI_DRIVER_PLUGIN_EXPORT const nuri_driver_plugin_t *nuri_driver_plugin(void) {
  static const nuri_driver_plugin_t plugin = {NURI_DRIVER_PLUGIN_ABI_VERSION,
                                              sizeof(nuri_driver_plugin_t), &driver};
  return &plugin;
}
