/* Driver plugins the loader must refuse, built as C (the plugin header is
 * plain C): BAD_ABI claims another ABI version, NULL_DRIVER returns no
 * driver vtable. */
#include "nuri/driver_plugin.h"

#include <stddef.h>

static nuri_status_t create_device(const nuri_device_options_t *options,
                                   const nuri_device_vtable_t **out_vtable, void **out_device) {
  (void)options;
  (void)out_vtable;
  (void)out_device;
  return nuri_make_status(NURI_UNAVAILABLE, "bad plugin: no device");
}

static const nuri_driver_vtable_t driver = {"bad-plugin", create_device};

NURI_DRIVER_PLUGIN_EXPORT const nuri_driver_plugin_t *nuri_driver_plugin(void) {
#if defined(BAD_ABI)
  static const nuri_driver_plugin_t plugin = {999u, sizeof(nuri_driver_plugin_t), &driver};
#elif defined(NULL_DRIVER)
  static const nuri_driver_plugin_t plugin = {NURI_DRIVER_PLUGIN_ABI_VERSION,
                                              sizeof(nuri_driver_plugin_t), NULL};
  (void)driver;
#else
  static const nuri_driver_plugin_t plugin = {NURI_DRIVER_PLUGIN_ABI_VERSION,
                                              sizeof(nuri_driver_plugin_t), &driver};
#endif
  return &plugin;
}
