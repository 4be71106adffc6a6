// Reading and writing tensors as NumPy .npy files and ONNX TensorProto .pb
// files, without numpy or protobuf: both formats are small enough to parse
// directly, and the runtime must not depend on libprotobuf.
#ifndef NURI_TOOLS_TENSOR_IO_H
#define NURI_TOOLS_TENSOR_IO_H

#include "nuri/runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nuri {

struct HostTensor {
  std::string name; // from a TensorProto; empty for .npy
  nuri_dtype_t dtype = NURI_DTYPE_F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data; // little-endian, C order; empty for STRING
  // NURI_DTYPE_STRING only: one UTF-8 string per element, C order, without
  // padding. The device layout (fixed width) depends on the model, so it is
  // made by packStrings when binding, not stored here.
  std::vector<std::string> strings;

  uint64_t elementCount() const;
};

// "f32[1,3,224,224]", "string[3]"
std::string describe(nuri_dtype_t dtype, const std::vector<int64_t> &shape);

// Lays out a STRING tensor as the runtime expects it: each element's UTF-8
// bytes NUL-padded to exactly `width` bytes (no NUL when a string fills it).
// Returns an empty string on success, else a message (an element longer
// than `width` bytes, an element with a NUL byte, a non-string tensor).
std::string packStrings(const HostTensor &tensor, uint64_t width,
                        std::vector<uint8_t> &out);
// The inverse: `count` elements of `width` bytes each, every one cut at its
// first NUL. Never fails; `data` must hold count * width bytes.
void unpackStrings(const uint8_t *data, uint64_t count, uint64_t width,
                   std::vector<std::string> &out);

// Each returns an empty string on success, else a message without a file
// prefix.
std::string parseNpy(const uint8_t *data, size_t size, HostTensor &out);
std::string parseTensorProto(const uint8_t *data, size_t size, HostTensor &out);
// .npy or .pb: chosen by the NumPy magic, not by the extension. Messages
// start with the path.
std::string readTensorFile(const std::string &path, HostTensor &out);

// NumPy has no bfloat16, so bf16 tensors are written as their uint16 bit
// patterns (dtype '<u2'), as ONNX's test data stores them. STRING tensors
// are written as '<U<n>' (UTF-32, n = the longest element in code points,
// at least 1), what np.array(list_of_str) gives; invalid UTF-8 is written as
// U+FFFD. parseNpy reads '<U<n>' and '|S<n>' (bytes) as STRING.
std::vector<uint8_t> encodeNpy(const HostTensor &tensor);
std::string writeNpy(const std::string &path, const HostTensor &tensor);
// raw_data encoding, as onnx.numpy_helper.from_array writes it; string_data
// for STRING tensors (ONNX forbids raw_data for them).
std::vector<uint8_t> encodeTensorProto(const HostTensor &tensor);

// Value of element i as a double, for printing (0 for STRING).
double elementAsDouble(const HostTensor &tensor, uint64_t index);

} // namespace nuri

#endif // NURI_TOOLS_TENSOR_IO_H
