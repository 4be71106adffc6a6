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
  std::vector<uint8_t> data; // little-endian, C order

  uint64_t elementCount() const;
};

// "f32[1,3,224,224]"
std::string describe(nuri_dtype_t dtype, const std::vector<int64_t> &shape);

// Each returns an empty string on success, else a message without a file
// prefix.
std::string parseNpy(const uint8_t *data, size_t size, HostTensor &out);
std::string parseTensorProto(const uint8_t *data, size_t size, HostTensor &out);
// .npy or .pb: chosen by the NumPy magic, not by the extension. Messages
// start with the path.
std::string readTensorFile(const std::string &path, HostTensor &out);

// NumPy has no bfloat16, so bf16 tensors are written as their uint16 bit
// patterns (dtype '<u2'), as ONNX's test data stores them.
std::vector<uint8_t> encodeNpy(const HostTensor &tensor);
std::string writeNpy(const std::string &path, const HostTensor &tensor);
// raw_data encoding, as onnx.numpy_helper.from_array writes it.
std::vector<uint8_t> encodeTensorProto(const HostTensor &tensor);

// Value of element i as a double, for printing.
double elementAsDouble(const HostTensor &tensor, uint64_t index);

} // namespace nuri

#endif // NURI_TOOLS_TENSOR_IO_H
