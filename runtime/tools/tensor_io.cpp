#include "tensor_io.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <type_traits>

namespace nuri {

namespace {

constexpr uint64_t kMaxElements = uint64_t(1) << 40;

// Product of dims with overflow and sign checks; false if invalid.
bool countElements(const std::vector<int64_t> &shape, uint64_t &count) {
  count = 1;
  for (int64_t dim : shape) {
    if (dim < 0 || static_cast<uint64_t>(dim) > kMaxElements)
      return false;
    count *= static_cast<uint64_t>(dim);
    if (count > kMaxElements)
      return false;
  }
  return true;
}

float halfToFloat(uint16_t half) {
  uint32_t sign = uint32_t(half & 0x8000) << 16;
  uint32_t exponent = (half >> 10) & 0x1f;
  uint32_t mantissa = half & 0x3ff;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000 | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else { // subnormal: renormalize
    exponent = 113;
    while (!(mantissa & 0x400)) {
      mantissa <<= 1;
      --exponent;
    }
    bits = sign | (exponent << 23) | ((mantissa & 0x3ff) << 13);
  }
  float value;
  std::memcpy(&value, &bits, 4);
  return value;
}

template <typename T> T load(const uint8_t *p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

//===-- npy ---------------------------------------------------------------===//

struct NpyType {
  const char *code;
  nuri_dtype_t dtype;
};
const NpyType kNpyTypes[] = {
    {"f4", NURI_DTYPE_F32}, {"f8", NURI_DTYPE_F64}, {"f2", NURI_DTYPE_F16},
    {"i1", NURI_DTYPE_I8},  {"i2", NURI_DTYPE_I16}, {"i4", NURI_DTYPE_I32},
    {"i8", NURI_DTYPE_I64}, {"u1", NURI_DTYPE_U8},  {"u2", NURI_DTYPE_U16},
    {"u4", NURI_DTYPE_U32}, {"u8", NURI_DTYPE_U64}, {"b1", NURI_DTYPE_I1},
};

// Finds `'key':` (either quote style) in the header dict and returns the
// position just after the colon, or npos.
size_t findKey(const std::string &header, const char *key) {
  for (char quote : {'\'', '"'}) {
    std::string needle = std::string(1, quote) + key + quote;
    size_t at = header.find(needle);
    if (at == std::string::npos)
      continue;
    at += needle.size();
    while (at < header.size() && header[at] == ' ')
      ++at;
    if (at < header.size() && header[at] == ':')
      return at + 1;
  }
  return std::string::npos;
}

size_t skipSpaces(const std::string &s, size_t at) {
  while (at < s.size() && (s[at] == ' ' || s[at] == '\t'))
    ++at;
  return at;
}

std::string parseNpyHeader(const std::string &header, nuri_dtype_t &dtype,
                           std::vector<int64_t> &shape) {
  size_t at = findKey(header, "descr");
  if (at == std::string::npos)
    return "npy header has no 'descr'";
  at = skipSpaces(header, at);
  if (at >= header.size() || (header[at] != '\'' && header[at] != '"'))
    return "npy 'descr' is not a simple type string";
  size_t end = header.find(header[at], at + 1);
  if (end == std::string::npos)
    return "npy header is malformed";
  std::string descr = header.substr(at + 1, end - at - 1);
  if (descr.size() != 3)
    return "unsupported npy dtype '" + descr + "'";
  char order = descr[0];
  std::string code = descr.substr(1);
  const NpyType *type = nullptr;
  for (const NpyType &candidate : kNpyTypes)
    if (code == candidate.code)
      type = &candidate;
  if (!type)
    return "unsupported npy dtype '" + descr + "'";
  bool singleByte = nuri_dtype_size(type->dtype) == 1;
  if (order == '>' && !singleByte)
    return "big-endian npy data ('" + descr + "') is not supported";
  if (order != '<' && order != '=' && order != '|' && order != '>')
    return "unsupported npy dtype '" + descr + "'";
  dtype = type->dtype;

  at = findKey(header, "fortran_order");
  if (at == std::string::npos)
    return "npy header has no 'fortran_order'";
  at = skipSpaces(header, at);
  bool fortran = header.compare(at, 4, "True") == 0;
  if (!fortran && header.compare(at, 5, "False") != 0)
    return "npy 'fortran_order' is malformed";

  at = findKey(header, "shape");
  if (at == std::string::npos)
    return "npy header has no 'shape'";
  at = skipSpaces(header, at);
  if (at >= header.size() || header[at] != '(')
    return "npy 'shape' is malformed";
  ++at;
  shape.clear();
  while (true) {
    at = skipSpaces(header, at);
    if (at < header.size() && header[at] == ')')
      break;
    int64_t dim = 0;
    size_t digits = 0;
    while (at < header.size() && header[at] >= '0' && header[at] <= '9') {
      if (dim > (std::numeric_limits<int64_t>::max() - 9) / 10)
        return "npy shape dimension is too large";
      dim = dim * 10 + (header[at] - '0');
      ++at;
      ++digits;
    }
    if (digits == 0 || shape.size() >= 32)
      return "npy 'shape' is malformed";
    // numpy writes Python ints, sometimes with an 'L' suffix (Python 2).
    if (at < header.size() && header[at] == 'L')
      ++at;
    shape.push_back(dim);
    at = skipSpaces(header, at);
    if (at < header.size() && header[at] == ',')
      ++at;
    else if (at >= header.size() || header[at] != ')')
      return "npy 'shape' is malformed";
  }
  size_t nonUnit = 0;
  for (int64_t dim : shape)
    nonUnit += dim != 1;
  if (fortran && nonUnit > 1)
    return "Fortran-order npy arrays are not supported; save with C order";
  return "";
}

//===-- protobuf wire format ---------------------------------------------===//

class WireReader {
public:
  WireReader(const uint8_t *data, size_t size) : p_(data), end_(data + size) {}
  bool done() const { return p_ >= end_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }

  bool varint(uint64_t &value) {
    value = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (p_ >= end_)
        return false;
      uint8_t byte = *p_++;
      if (shift == 63 && byte > 1)
        return false;
      value |= uint64_t(byte & 0x7f) << shift;
      if (!(byte & 0x80))
        return true;
    }
    return false;
  }
  bool bytes(size_t n, const uint8_t *&out) {
    if (n > remaining())
      return false;
    out = p_;
    p_ += n;
    return true;
  }
  bool lengthDelimited(const uint8_t *&out, size_t &n) {
    uint64_t length;
    if (!varint(length) || length > remaining())
      return false;
    n = static_cast<size_t>(length);
    return bytes(n, out);
  }
  bool skip(unsigned wireType) {
    uint64_t ignored;
    const uint8_t *data;
    size_t n;
    switch (wireType) {
    case 0:
      return varint(ignored);
    case 1:
      return bytes(8, data);
    case 2:
      return lengthDelimited(data, n);
    case 5:
      return bytes(4, data);
    default:
      return false; // groups are not used by ONNX
    }
  }

private:
  const uint8_t *p_;
  const uint8_t *end_;
};

// Reads one repeated scalar field occurrence, packed or not.
template <typename T>
bool readRepeated(WireReader &reader, unsigned wireType, std::vector<T> &out) {
  auto one = [&](WireReader &r, unsigned type) -> bool {
    const uint8_t *data;
    if (type == 0) {
      uint64_t value;
      if (!r.varint(value))
        return false;
      out.push_back(static_cast<T>(value));
      return true;
    }
    if (type == 5 && sizeof(T) == 4) {
      if (!r.bytes(4, data))
        return false;
      out.push_back(load<T>(data));
      return true;
    }
    if (type == 1 && sizeof(T) == 8) {
      if (!r.bytes(8, data))
        return false;
      out.push_back(load<T>(data));
      return true;
    }
    return false;
  };
  if (wireType != 2)
    return one(reader, wireType);
  const uint8_t *data;
  size_t n;
  if (!reader.lengthDelimited(data, n))
    return false;
  WireReader packed(data, n);
  unsigned elementType =
      std::is_floating_point<T>::value ? (sizeof(T) == 4 ? 5u : 1u) : 0u;
  while (!packed.done())
    if (!one(packed, elementType))
      return false;
  return true;
}

bool onnxToDtype(uint64_t onnxType, nuri_dtype_t &dtype) {
  switch (onnxType) {
  case 1:
    dtype = NURI_DTYPE_F32;
    return true;
  case 2:
    dtype = NURI_DTYPE_U8;
    return true;
  case 3:
    dtype = NURI_DTYPE_I8;
    return true;
  case 4:
    dtype = NURI_DTYPE_U16;
    return true;
  case 5:
    dtype = NURI_DTYPE_I16;
    return true;
  case 6:
    dtype = NURI_DTYPE_I32;
    return true;
  case 7:
    dtype = NURI_DTYPE_I64;
    return true;
  case 9:
    dtype = NURI_DTYPE_I1;
    return true;
  case 10:
    dtype = NURI_DTYPE_F16;
    return true;
  case 11:
    dtype = NURI_DTYPE_F64;
    return true;
  case 12:
    dtype = NURI_DTYPE_U32;
    return true;
  case 13:
    dtype = NURI_DTYPE_U64;
    return true;
  case 16:
    dtype = NURI_DTYPE_BF16;
    return true;
  default:
    return false;
  }
}

uint64_t dtypeToOnnx(nuri_dtype_t dtype) {
  for (uint64_t onnxType = 1; onnxType <= 16; ++onnxType) {
    nuri_dtype_t candidate;
    if (onnxToDtype(onnxType, candidate) && candidate == dtype)
      return onnxType;
  }
  return 0;
}

template <typename T, typename Source>
void storeAll(const std::vector<Source> &values, std::vector<uint8_t> &out) {
  out.resize(values.size() * sizeof(T));
  for (size_t i = 0; i < values.size(); ++i) {
    T value = static_cast<T>(values[i]);
    std::memcpy(out.data() + i * sizeof(T), &value, sizeof(T));
  }
}

void putVarint(std::vector<uint8_t> &out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<uint8_t>(value));
}

} // namespace

uint64_t HostTensor::elementCount() const {
  uint64_t count;
  return countElements(shape, count) ? count : 0;
}

std::string describe(nuri_dtype_t dtype, const std::vector<int64_t> &shape) {
  std::string text = std::string(nuri_dtype_name(dtype)) + "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? "," : "") + std::to_string(shape[i]);
  return text + "]";
}

std::string parseNpy(const uint8_t *data, size_t size, HostTensor &out) {
  static const uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (size < 10 || std::memcmp(data, kMagic, 6) != 0)
    return "not a .npy file";
  uint8_t major = data[6];
  size_t headerStart, headerLength;
  if (major == 1) {
    headerStart = 10;
    headerLength = load<uint16_t>(data + 8);
  } else if (major == 2 || major == 3) {
    if (size < 12)
      return "truncated .npy header";
    headerStart = 12;
    headerLength = load<uint32_t>(data + 8);
  } else {
    return "unsupported .npy format version " + std::to_string(major);
  }
  if (headerLength > size - headerStart)
    return "truncated .npy header";
  std::string header(reinterpret_cast<const char *>(data + headerStart),
                     headerLength);
  HostTensor tensor;
  std::string error = parseNpyHeader(header, tensor.dtype, tensor.shape);
  if (!error.empty())
    return error;
  uint64_t count;
  if (!countElements(tensor.shape, count))
    return "npy shape is too large";
  uint64_t bytes = count * nuri_dtype_size(tensor.dtype);
  size_t payload = size - headerStart - headerLength;
  if (payload != bytes)
    return "npy data has " + std::to_string(payload) + " bytes, " +
           describe(tensor.dtype, tensor.shape) + " needs " +
           std::to_string(bytes);
  const uint8_t *begin = data + headerStart + headerLength;
  tensor.data.assign(begin, begin + payload);
  out = std::move(tensor);
  return "";
}

std::string parseTensorProto(const uint8_t *data, size_t size,
                             HostTensor &out) {
  WireReader reader(data, size);
  std::vector<int64_t> dims;
  uint64_t onnxType = 0;
  const uint8_t *raw = nullptr;
  size_t rawSize = 0;
  bool hasRaw = false, external = false, hasStrings = false;
  std::vector<float> floats;
  std::vector<int32_t> int32s;
  std::vector<int64_t> int64s;
  std::vector<double> doubles;
  std::vector<uint64_t> uint64s;
  std::string name;
  while (!reader.done()) {
    uint64_t key;
    if (!reader.varint(key))
      return "malformed TensorProto (bad field key)";
    unsigned field = static_cast<unsigned>(key >> 3);
    unsigned wireType = static_cast<unsigned>(key & 7);
    bool ok = true;
    const uint8_t *bytes;
    size_t n;
    switch (field) {
    case 1:
      ok = readRepeated(reader, wireType, dims);
      break;
    case 2:
      ok = wireType == 0 && reader.varint(onnxType);
      break;
    case 4:
      ok = readRepeated(reader, wireType, floats);
      break;
    case 5:
      ok = readRepeated(reader, wireType, int32s);
      break;
    case 6:
      hasStrings = true;
      ok = reader.skip(wireType);
      break;
    case 7:
      ok = readRepeated(reader, wireType, int64s);
      break;
    case 8:
      ok = wireType == 2 && reader.lengthDelimited(bytes, n);
      if (ok)
        name.assign(reinterpret_cast<const char *>(bytes), n);
      break;
    case 9:
      ok = wireType == 2 && reader.lengthDelimited(raw, rawSize);
      hasRaw = true;
      break;
    case 10:
      ok = readRepeated(reader, wireType, doubles);
      break;
    case 11:
      ok = readRepeated(reader, wireType, uint64s);
      break;
    case 13:
      external = true;
      ok = reader.skip(wireType);
      break;
    case 14: {
      uint64_t location = 0;
      ok = wireType == 0 && reader.varint(location);
      external |= location == 1;
      break;
    }
    default:
      ok = reader.skip(wireType);
      break;
    }
    if (!ok)
      return "malformed TensorProto (field " + std::to_string(field) + ")";
  }
  if (onnxType == 8 || hasStrings)
    return "string tensors are not supported";
  if (external)
    return "TensorProto with external data is not supported";
  HostTensor tensor;
  tensor.name = name;
  tensor.shape = dims;
  if (!onnxToDtype(onnxType, tensor.dtype))
    return "unsupported ONNX data_type " + std::to_string(onnxType);
  uint64_t count;
  if (!countElements(tensor.shape, count))
    return "TensorProto has an invalid shape";
  size_t elementSize = nuri_dtype_size(tensor.dtype);
  if (hasRaw) {
    if (rawSize != count * elementSize)
      return "TensorProto raw_data has " + std::to_string(rawSize) +
             " bytes, " + describe(tensor.dtype, tensor.shape) + " needs " +
             std::to_string(count * elementSize);
    tensor.data.assign(raw, raw + rawSize);
    out = std::move(tensor);
    return "";
  }
  size_t given = 0;
  switch (tensor.dtype) {
  case NURI_DTYPE_F32:
    given = floats.size();
    storeAll<float>(floats, tensor.data);
    break;
  case NURI_DTYPE_F64:
    given = doubles.size();
    storeAll<double>(doubles, tensor.data);
    break;
  case NURI_DTYPE_I64:
    given = int64s.size();
    storeAll<int64_t>(int64s, tensor.data);
    break;
  case NURI_DTYPE_U32:
    given = uint64s.size();
    storeAll<uint32_t>(uint64s, tensor.data);
    break;
  case NURI_DTYPE_U64:
    given = uint64s.size();
    storeAll<uint64_t>(uint64s, tensor.data);
    break;
  case NURI_DTYPE_I32:
    given = int32s.size();
    storeAll<int32_t>(int32s, tensor.data);
    break;
  // Narrow types and 16-bit floats (as bit patterns) live in int32_data.
  case NURI_DTYPE_I16:
    given = int32s.size();
    storeAll<int16_t>(int32s, tensor.data);
    break;
  case NURI_DTYPE_U16:
  case NURI_DTYPE_F16:
  case NURI_DTYPE_BF16:
    given = int32s.size();
    storeAll<uint16_t>(int32s, tensor.data);
    break;
  case NURI_DTYPE_I8:
    given = int32s.size();
    storeAll<int8_t>(int32s, tensor.data);
    break;
  case NURI_DTYPE_U8:
    given = int32s.size();
    storeAll<uint8_t>(int32s, tensor.data);
    break;
  case NURI_DTYPE_I1:
    given = int32s.size();
    for (int32_t &v : int32s)
      v = v != 0;
    storeAll<uint8_t>(int32s, tensor.data);
    break;
  }
  if (given != count)
    return "TensorProto has " + std::to_string(given) + " values, " +
           describe(tensor.dtype, tensor.shape) + " needs " +
           std::to_string(count);
  out = std::move(tensor);
  return "";
}

std::string readTensorFile(const std::string &path, HostTensor &out) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    return path + ": cannot open";
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)),
                             std::istreambuf_iterator<char>());
  if (file.bad())
    return path + ": read error";
  bool npy = bytes.size() >= 6 && bytes[0] == 0x93 &&
             std::memcmp(bytes.data() + 1, "NUMPY", 5) == 0;
  std::string error = npy ? parseNpy(bytes.data(), bytes.size(), out)
                          : parseTensorProto(bytes.data(), bytes.size(), out);
  return error.empty() ? error : path + ": " + error;
}

std::vector<uint8_t> encodeNpy(const HostTensor &tensor) {
  // NumPy has no bfloat16: bf16 goes out as its uint16 bit patterns, the
  // convention of ONNX's test data.
  nuri_dtype_t dtype =
      tensor.dtype == NURI_DTYPE_BF16 ? NURI_DTYPE_U16 : tensor.dtype;
  const char *code = "f4";
  for (const NpyType &type : kNpyTypes)
    if (type.dtype == dtype)
      code = type.code;
  char order = nuri_dtype_size(dtype) == 1 ? '|' : '<';
  std::string shape = "(";
  for (size_t i = 0; i < tensor.shape.size(); ++i)
    shape += std::to_string(tensor.shape[i]) + ", ";
  if (tensor.shape.size() > 1)
    shape.resize(shape.size() - 2);
  else if (tensor.shape.size() == 1)
    shape.resize(shape.size() - 1);
  shape += ")";
  std::string header = std::string("{'descr': '") + order + code +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // numpy pads the header so the data starts 64-byte aligned.
  bool v2 = header.size() + 11 > 65535;
  size_t prefix = v2 ? 12 : 10;
  size_t total = (prefix + header.size() + 1 + 63) / 64 * 64;
  header.append(total - prefix - header.size() - 1, ' ');
  header += '\n';
  std::vector<uint8_t> out = {
      0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(v2 ? 2 : 1), 0};
  uint32_t length = static_cast<uint32_t>(header.size());
  out.push_back(length & 0xff);
  out.push_back((length >> 8) & 0xff);
  if (v2) {
    out.push_back((length >> 16) & 0xff);
    out.push_back((length >> 24) & 0xff);
  }
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), tensor.data.begin(), tensor.data.end());
  return out;
}

std::string writeNpy(const std::string &path, const HostTensor &tensor) {
  std::vector<uint8_t> bytes = encodeNpy(tensor);
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file)
    return path + ": cannot create";
  file.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  file.close();
  if (!file)
    return path + ": write error";
  return "";
}

std::vector<uint8_t> encodeTensorProto(const HostTensor &tensor) {
  std::vector<uint8_t> out;
  for (int64_t dim : tensor.shape) {
    putVarint(out, (1 << 3) | 0);
    putVarint(out, static_cast<uint64_t>(dim));
  }
  putVarint(out, (2 << 3) | 0);
  putVarint(out, dtypeToOnnx(tensor.dtype));
  if (!tensor.name.empty()) {
    putVarint(out, (8 << 3) | 2);
    putVarint(out, tensor.name.size());
    out.insert(out.end(), tensor.name.begin(), tensor.name.end());
  }
  putVarint(out, (9 << 3) | 2);
  putVarint(out, tensor.data.size());
  out.insert(out.end(), tensor.data.begin(), tensor.data.end());
  return out;
}

double elementAsDouble(const HostTensor &tensor, uint64_t index) {
  size_t size = nuri_dtype_size(tensor.dtype);
  if ((index + 1) * size > tensor.data.size())
    return 0;
  const uint8_t *p = tensor.data.data() + index * size;
  switch (tensor.dtype) {
  case NURI_DTYPE_F32:
    return load<float>(p);
  case NURI_DTYPE_F64:
    return load<double>(p);
  case NURI_DTYPE_F16:
    return halfToFloat(load<uint16_t>(p));
  case NURI_DTYPE_BF16: {
    uint32_t bits = uint32_t(load<uint16_t>(p)) << 16;
    float value;
    std::memcpy(&value, &bits, 4);
    return value;
  }
  case NURI_DTYPE_I8:
    return load<int8_t>(p);
  case NURI_DTYPE_U8:
  case NURI_DTYPE_I1:
    return load<uint8_t>(p);
  case NURI_DTYPE_I16:
    return load<int16_t>(p);
  case NURI_DTYPE_U16:
    return load<uint16_t>(p);
  case NURI_DTYPE_I32:
    return load<int32_t>(p);
  case NURI_DTYPE_U32:
    return load<uint32_t>(p);
  case NURI_DTYPE_I64:
    return static_cast<double>(load<int64_t>(p));
  case NURI_DTYPE_U64:
    return static_cast<double>(load<uint64_t>(p));
  }
  return 0;
}

} // namespace nuri
