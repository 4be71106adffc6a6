#include "hal/driver.h"

#include <cstdio>
#include <new>
#include <string>

struct nuri_status_s {
  nuri_status_code_t code;
  std::string message;
};

// Returned when a status itself cannot be allocated; never freed.
static nuri_status_s gOutOfMemory{NURI_RESOURCE_EXHAUSTED, "out of memory"};

extern "C" {

nuri_status_t nuri_make_status(nuri_status_code_t code, const char *format,
                               ...) {
  if (code == NURI_OK)
    return nullptr;
  va_list args;
  va_start(args, format);
  char small[512];
  va_list copy;
  va_copy(copy, args);
  int length = std::vsnprintf(small, sizeof(small), format, copy);
  va_end(copy);
  std::string message;
  if (length < 0) {
    message = format;
  } else if (static_cast<size_t>(length) < sizeof(small)) {
    message.assign(small, length);
  } else {
    message.resize(length + 1);
    std::vsnprintf(&message[0], message.size(), format, args);
    message.resize(length);
  }
  va_end(args);
  auto *status = new (std::nothrow) nuri_status_s{code, std::move(message)};
  return status ? status : &gOutOfMemory;
}

nuri_status_code_t nuri_status_code(nuri_status_t status) {
  return status ? status->code : NURI_OK;
}

const char *nuri_status_message(nuri_status_t status) {
  return status ? status->message.c_str() : "OK";
}

void nuri_status_free(nuri_status_t status) {
  if (status != &gOutOfMemory)
    delete status;
}

const char *nuri_status_code_name(nuri_status_code_t code) {
  switch (code) {
  case NURI_OK:
    return "OK";
  case NURI_INVALID_ARGUMENT:
    return "INVALID_ARGUMENT";
  case NURI_NOT_FOUND:
    return "NOT_FOUND";
  case NURI_DATA_LOSS:
    return "DATA_LOSS";
  case NURI_UNAVAILABLE:
    return "UNAVAILABLE";
  case NURI_INTERNAL:
    return "INTERNAL";
  case NURI_OUT_OF_RANGE:
    return "OUT_OF_RANGE";
  case NURI_RESOURCE_EXHAUSTED:
    return "RESOURCE_EXHAUSTED";
  case NURI_DEADLINE_EXCEEDED:
    return "DEADLINE_EXCEEDED";
  case NURI_UNIMPLEMENTED:
    return "UNIMPLEMENTED";
  case NURI_FAILED_PRECONDITION:
    return "FAILED_PRECONDITION";
  case NURI_ALREADY_EXISTS:
    return "ALREADY_EXISTS";
  }
  return "UNKNOWN";
}

size_t nuri_dtype_size(nuri_dtype_t dtype) {
  switch (dtype) {
  case NURI_DTYPE_F64:
  case NURI_DTYPE_I64:
  case NURI_DTYPE_U64:
    return 8;
  case NURI_DTYPE_F32:
  case NURI_DTYPE_I32:
  case NURI_DTYPE_U32:
    return 4;
  case NURI_DTYPE_F16:
  case NURI_DTYPE_BF16:
  case NURI_DTYPE_I16:
  case NURI_DTYPE_U16:
    return 2;
  case NURI_DTYPE_I8:
  case NURI_DTYPE_U8:
  case NURI_DTYPE_I1:
    return 1;
  case NURI_DTYPE_STRING: // width is per tensor (nuri_tensor_info_t)
    return 0;
  }
  return 0;
}

const char *nuri_dtype_name(nuri_dtype_t dtype) {
  static const char *const names[] = {"f32", "f16", "bf16", "f64", "i8",
                                      "u8",  "i16", "u16",  "i32", "u32",
                                      "i64", "u64", "i1",   "string"};
  unsigned index = static_cast<unsigned>(dtype);
  return index < sizeof(names) / sizeof(names[0]) ? names[index] : "?";
}

} // extern "C"
