#include "tensor_io.h"

#include <algorithm>
#include <cstdio>
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

//===-- text --------------------------------------------------------------===//

constexpr uint32_t kReplacementCharacter = 0xfffd;

// A Unicode scalar value: in range and not a UTF-16 surrogate.
bool isScalarValue(uint32_t c) {
  return c <= 0x10ffff && (c < 0xd800 || c > 0xdfff);
}

void appendUtf8(uint32_t c, std::string &out) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xc0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xe0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (c & 0x3f));
  }
}

// Code points of UTF-8 text. A model may emit bytes that are not UTF-8 (a
// string cut inside a character, say); each bad byte becomes U+FFFD so the
// output can still be written, as Python's errors="replace" does.
std::vector<uint32_t> decodeUtf8(const std::string &text) {
  std::vector<uint32_t> codePoints;
  size_t i = 0;
  while (i < text.size()) {
    uint8_t lead = static_cast<uint8_t>(text[i]);
    size_t length = lead < 0x80                   ? 1
                    : lead >= 0xc2 && lead < 0xe0 ? 2
                    : lead >= 0xe0 && lead < 0xf0 ? 3
                    : lead >= 0xf0 && lead < 0xf5 ? 4
                                                  : 0;
    uint32_t c = length == 1 ? lead : lead & (0x7f >> length);
    bool ok = length != 0 && i + length <= text.size();
    for (size_t k = 1; ok && k < length; ++k) {
      uint8_t next = static_cast<uint8_t>(text[i + k]);
      ok = (next & 0xc0) == 0x80;
      c = (c << 6) | (next & 0x3f);
    }
    // Overlong forms decode to a value the shorter form could hold.
    static const uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (ok && c >= kMinimum[length] && isScalarValue(c)) {
      codePoints.push_back(c);
      i += length;
    } else {
      codePoints.push_back(kReplacementCharacter);
      ++i;
    }
  }
  return codePoints;
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

// One element of an npy array.
struct NpyItem {
  nuri_dtype_t dtype = NURI_DTYPE_F32;
  uint64_t bytes = 0; // per element
  char text = 0;      // STRING: 'U' (UTF-32LE code points) or 'S' (bytes)
};

// Widest string element accepted, in characters: far above any model's
// string_bytes, and keeps count * width * 4 from overflowing.
constexpr uint64_t kMaxNpyChars = uint64_t(1) << 20;

// '<U7' (what np.array(["monday"]) gives) or '|S7' (np.bytes_).
std::string parseNpyStringDescr(const std::string &descr, NpyItem &item) {
  char order = descr[0], kind = descr[1];
  std::string digits = descr.substr(2);
  if (digits.empty() || digits.size() > 7 ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    return "unsupported npy dtype '" + descr + "'";
  uint64_t chars = std::stoull(digits);
  if (chars == 0 || chars > kMaxNpyChars)
    return "npy string dtype '" + descr + "' must be 1.." +
           std::to_string(kMaxNpyChars) + " characters wide";
  if (kind == 'U' && order == '>')
    return "big-endian npy data ('" + descr + "') is not supported";
  if (kind == 'U' ? order != '<' && order != '='
                  : order != '|' && order != '<' && order != '=' && order != '>')
    return "unsupported npy dtype '" + descr + "'";
  item.dtype = NURI_DTYPE_STRING;
  item.text = kind;
  item.bytes = kind == 'U' ? chars * 4 : chars;
  return "";
}

std::string parseNpyDescr(const std::string &descr, NpyItem &item) {
  if (descr.size() >= 3 && (descr[1] == 'U' || descr[1] == 'S'))
    return parseNpyStringDescr(descr, item);
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
  item.dtype = type->dtype;
  item.bytes = nuri_dtype_size(type->dtype);
  return "";
}

std::string parseNpyHeader(const std::string &header, NpyItem &item,
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
  std::string error = parseNpyDescr(descr, item);
  if (!error.empty())
    return error;

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

// Reads `count` fixed-width npy string elements. NumPy pads with NULs and
// drops trailing NULs when reading, and so does this.
std::string decodeNpyStrings(const uint8_t *data, uint64_t count,
                             const NpyItem &item,
                             std::vector<std::string> &out) {
  out.assign(count, std::string());
  for (uint64_t i = 0; i < count; ++i) {
    const uint8_t *element = data + i * item.bytes;
    std::string &text = out[i];
    if (item.text == 'S') {
      uint64_t length = item.bytes;
      while (length > 0 && element[length - 1] == 0)
        --length;
      text.assign(reinterpret_cast<const char *>(element), length);
      continue;
    }
    uint64_t chars = item.bytes / 4;
    while (chars > 0 && load<uint32_t>(element + (chars - 1) * 4) == 0)
      --chars;
    for (uint64_t k = 0; k < chars; ++k) {
      uint32_t c = load<uint32_t>(element + k * 4);
      if (!isScalarValue(c)) {
        char hex[16];
        std::snprintf(hex, sizeof(hex), "0x%X", c);
        return "npy string element " + std::to_string(i) +
               " has invalid UTF-32 code point " + hex + " at character " +
               std::to_string(k);
      }
      appendUtf8(c, text);
    }
  }
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
  case 8:
    dtype = NURI_DTYPE_STRING;
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

void putBytes(std::vector<uint8_t> &out, unsigned field, const void *data,
              size_t size) {
  putVarint(out, (field << 3) | 2);
  putVarint(out, size);
  const uint8_t *bytes = static_cast<const uint8_t *>(data);
  out.insert(out.end(), bytes, bytes + size);
}

// The string of element i; a tensor with too few strings reads as empty
// strings rather than out of bounds.
const std::string &stringAt(const HostTensor &tensor, uint64_t i) {
  static const std::string kEmpty;
  return i < tensor.strings.size() ? tensor.strings[i] : kEmpty;
}

// NumPy's str arrays: UTF-32LE code points, each element NUL-padded to the
// longest (at least 1 wide: NumPy has no '<U0' arrays). Returns the descr.
std::string encodeNpyStrings(const HostTensor &tensor,
                             std::vector<uint8_t> &payload) {
  uint64_t count = tensor.elementCount();
  std::vector<std::vector<uint32_t>> decoded(count);
  uint64_t width = 1;
  for (uint64_t i = 0; i < count; ++i) {
    decoded[i] = decodeUtf8(stringAt(tensor, i));
    width = std::max<uint64_t>(width, decoded[i].size());
  }
  payload.assign(count * width * 4, 0);
  for (uint64_t i = 0; i < count; ++i)
    for (size_t k = 0; k < decoded[i].size(); ++k) {
      uint32_t c = decoded[i][k];
      uint8_t *p = payload.data() + (i * width + k) * 4;
      for (int b = 0; b < 4; ++b)
        p[b] = static_cast<uint8_t>(c >> (8 * b));
    }
  return "<U" + std::to_string(width);
}

std::string npyNumericDescr(nuri_dtype_t dtype) {
  // NumPy has no bfloat16: bf16 goes out as its uint16 bit patterns, the
  // convention of ONNX's test data.
  if (dtype == NURI_DTYPE_BF16)
    dtype = NURI_DTYPE_U16;
  const char *code = "f4";
  for (const NpyType &type : kNpyTypes)
    if (type.dtype == dtype)
      code = type.code;
  char order = nuri_dtype_size(dtype) == 1 ? '|' : '<';
  return order + std::string(code);
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
  NpyItem item;
  std::string error = parseNpyHeader(header, item, tensor.shape);
  if (!error.empty())
    return error;
  tensor.dtype = item.dtype;
  uint64_t count;
  if (!countElements(tensor.shape, count))
    return "npy shape is too large";
  uint64_t bytes = count * item.bytes;
  size_t payload = size - headerStart - headerLength;
  if (payload != bytes)
    return "npy data has " + std::to_string(payload) + " bytes, " +
           describe(tensor.dtype, tensor.shape) + " needs " +
           std::to_string(bytes);
  const uint8_t *begin = data + headerStart + headerLength;
  if (item.text) {
    error = decodeNpyStrings(begin, count, item, tensor.strings);
    if (!error.empty())
      return error;
  } else {
    tensor.data.assign(begin, begin + payload);
  }
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
  bool hasRaw = false, external = false;
  std::vector<std::string> strings;
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
    case 6: // string_data: repeated bytes, never packed
      ok = wireType == 2 && reader.lengthDelimited(bytes, n);
      if (ok)
        strings.emplace_back(reinterpret_cast<const char *>(bytes), n);
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
  if (tensor.dtype == NURI_DTYPE_STRING) {
    // ONNX forbids raw_data for strings: elements have no fixed size.
    if (hasRaw)
      return "string TensorProto has raw_data; strings belong in string_data";
    if (strings.size() != count)
      return "TensorProto has " + std::to_string(strings.size()) +
             " strings, " + describe(tensor.dtype, tensor.shape) + " needs " +
             std::to_string(count);
    tensor.strings = std::move(strings);
    out = std::move(tensor);
    return "";
  }
  if (!strings.empty())
    return "TensorProto has string_data but its data_type is " +
           std::string(nuri_dtype_name(tensor.dtype));
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
  case NURI_DTYPE_STRING: // returned above
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
  std::vector<uint8_t> strings;
  bool text = tensor.dtype == NURI_DTYPE_STRING;
  std::string descr = text ? encodeNpyStrings(tensor, strings)
                           : npyNumericDescr(tensor.dtype);
  const std::vector<uint8_t> &payload = text ? strings : tensor.data;
  std::string shape = "(";
  for (size_t i = 0; i < tensor.shape.size(); ++i)
    shape += std::to_string(tensor.shape[i]) + ", ";
  if (tensor.shape.size() > 1)
    shape.resize(shape.size() - 2);
  else if (tensor.shape.size() == 1)
    shape.resize(shape.size() - 1);
  shape += ")";
  std::string header = "{'descr': '" + descr +
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
  out.insert(out.end(), payload.begin(), payload.end());
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
  if (!tensor.name.empty())
    putBytes(out, 8, tensor.name.data(), tensor.name.size());
  if (tensor.dtype == NURI_DTYPE_STRING) {
    for (uint64_t i = 0; i < tensor.elementCount(); ++i)
      putBytes(out, 6, stringAt(tensor, i).data(), stringAt(tensor, i).size());
    return out;
  }
  putBytes(out, 9, tensor.data.data(), tensor.data.size());
  return out;
}

std::string packStrings(const HostTensor &tensor, uint64_t width,
                        std::vector<uint8_t> &out) {
  if (tensor.dtype != NURI_DTYPE_STRING)
    return "expected a string tensor, got " +
           describe(tensor.dtype, tensor.shape);
  uint64_t count = tensor.elementCount();
  if (tensor.strings.size() != count)
    return "string tensor has " + std::to_string(tensor.strings.size()) +
           " strings, " + describe(tensor.dtype, tensor.shape) + " needs " +
           std::to_string(count);
  if (count && width > (kMaxElements << 4) / count)
    return describe(tensor.dtype, tensor.shape) + " with " +
           std::to_string(width) + " bytes per string is too large";
  out.assign(count * width, 0);
  for (uint64_t i = 0; i < count; ++i) {
    const std::string &text = tensor.strings[i];
    if (text.size() > width)
      return "string element " + std::to_string(i) + " is " +
             std::to_string(text.size()) +
             " bytes long (UTF-8), but the model was compiled for at most " +
             std::to_string(width) +
             " bytes per string; recompile it with a larger --string-bytes";
    // A NUL would end the string early when the model reads it back.
    if (text.find('\0') != std::string::npos)
      return "string element " + std::to_string(i) +
             " contains a NUL byte, which fixed-width NUL-padded strings "
             "cannot hold";
    std::memcpy(out.data() + i * width, text.data(), text.size());
  }
  return "";
}

void unpackStrings(const uint8_t *data, uint64_t count, uint64_t width,
                   std::vector<std::string> &out) {
  out.assign(count, std::string());
  if (width == 0)
    return;
  for (uint64_t i = 0; i < count; ++i) {
    const char *element = reinterpret_cast<const char *>(data + i * width);
    const void *nul = std::memchr(element, 0, width);
    size_t length = nul ? static_cast<const char *>(nul) - element : width;
    out[i].assign(element, length);
  }
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
  case NURI_DTYPE_STRING: // no numeric value; printed as text instead
    return 0;
  }
  return 0;
}

} // namespace nuri
