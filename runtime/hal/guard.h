// Keeps C++ exceptions (std::bad_alloc, ...) from crossing the C API.
#ifndef NURI_HAL_GUARD_H
#define NURI_HAL_GUARD_H

#include "hal/driver.h"

#include <exception>
#include <new>

namespace nuri {

template <typename Body> nuri_status_t guard(Body body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc &) {
    return nuri_make_status(NURI_RESOURCE_EXHAUSTED, "out of memory");
  } catch (const std::exception &error) {
    return nuri_make_status(NURI_INTERNAL, "internal error: %s", error.what());
  } catch (...) {
    return nuri_make_status(NURI_INTERNAL, "internal error");
  }
}

} // namespace nuri

#define NURI_RETURN_IF_ERROR(expr)                                             \
  do {                                                                         \
    nuri_status_t nuri_status_ = (expr);                                       \
    if (nuri_status_)                                                          \
      return nuri_status_;                                                     \
  } while (0)

#define NURI_CHECK_ARG(cond, ...)                                              \
  do {                                                                         \
    if (!(cond))                                                               \
      return nuri_make_status(NURI_INVALID_ARGUMENT, __VA_ARGS__);             \
  } while (0)

#endif // NURI_HAL_GUARD_H
