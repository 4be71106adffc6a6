#include "tensor_io.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

namespace nuri {
namespace {

HostTensor patterned(nuri_dtype_t dtype, std::vector<int64_t> shape) {
  HostTensor tensor;
  tensor.dtype = dtype;
  tensor.shape = std::move(shape);
  tensor.data.resize(tensor.elementCount() * nuri_dtype_size(dtype));
  for (size_t i = 0; i < tensor.data.size(); ++i)
    tensor.data[i] = static_cast<uint8_t>(i * 37 + 11);
  if (dtype == NURI_DTYPE_I1)
    for (uint8_t &byte : tensor.data)
      byte &= 1;
  return tensor;
}

const nuri_dtype_t kNpyTypes[] = {
    NURI_DTYPE_F32, NURI_DTYPE_F64, NURI_DTYPE_F16, NURI_DTYPE_I8,
    NURI_DTYPE_I16, NURI_DTYPE_I32, NURI_DTYPE_I64, NURI_DTYPE_U8,
    NURI_DTYPE_U16, NURI_DTYPE_U32, NURI_DTYPE_U64, NURI_DTYPE_I1};

const std::vector<std::vector<int64_t>> kShapes = {
    {}, {0}, {5}, {2, 3, 4}, {1, 1, 3, 1}};

TEST(TensorIoTest, NpyRoundTripsEveryDtype) {
  for (nuri_dtype_t dtype : kNpyTypes)
    for (const auto &shape : kShapes) {
      SCOPED_TRACE(describe(dtype, shape));
      HostTensor tensor = patterned(dtype, shape);
      std::vector<uint8_t> bytes = encodeNpy(tensor);
      HostTensor back;
      ASSERT_EQ("", parseNpy(bytes.data(), bytes.size(), back));
      EXPECT_EQ(tensor.dtype, back.dtype);
      EXPECT_EQ(tensor.shape, back.shape);
      EXPECT_EQ(tensor.data, back.data);
      // numpy's layout: data starts 64-byte aligned.
      EXPECT_EQ(0u, (bytes.size() - tensor.data.size()) % 64);
    }
}

TEST(TensorIoTest, NpyWritesBf16AsUint16Bits) {
  HostTensor tensor;
  tensor.dtype = NURI_DTYPE_BF16;
  tensor.shape = {2};
  tensor.data = {0x80, 0x3f, 0x00, 0xc0}; // 1.0, -2.0
  std::vector<uint8_t> bytes = encodeNpy(tensor);
  HostTensor back;
  ASSERT_EQ("", parseNpy(bytes.data(), bytes.size(), back));
  EXPECT_EQ(NURI_DTYPE_U16, back.dtype);
  EXPECT_EQ(tensor.data, back.data);
  EXPECT_EQ(0x3f80, elementAsDouble(back, 0));
  EXPECT_EQ(-2.0, elementAsDouble(tensor, 1));
}

std::vector<uint8_t> npyWithHeader(int version, const std::string &dict,
                                   size_t payload) {
  std::vector<uint8_t> out = {
      0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(version), 0};
  std::string header = dict + "\n";
  uint32_t length = static_cast<uint32_t>(header.size());
  for (int i = 0; i < (version == 1 ? 2 : 4); ++i)
    out.push_back((length >> (8 * i)) & 0xff);
  out.insert(out.end(), header.begin(), header.end());
  out.resize(out.size() + payload, 0);
  return out;
}

TEST(TensorIoTest, NpyReadsVersion2AndRejectsBadFiles) {
  HostTensor tensor;
  auto v2 = npyWithHeader(
      2, "{\"descr\": \"<i8\", \"fortran_order\": False, \"shape\": (3,)}", 24);
  ASSERT_EQ("", parseNpy(v2.data(), v2.size(), tensor));
  EXPECT_EQ(NURI_DTYPE_I64, tensor.dtype);
  EXPECT_EQ(std::vector<int64_t>{3}, tensor.shape);

  struct Bad {
    std::vector<uint8_t> bytes;
    const char *message;
  };
  const Bad cases[] = {
      {npyWithHeader(
           1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8),
       "big-endian"},
      {npyWithHeader(
           1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24),
       "Fortran"},
      {npyWithHeader(
           1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
           20),
       "needs 24"},
      {npyWithHeader(
           1, "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", 8),
       "unsupported npy dtype"},
      {npyWithHeader(
           1, "{'descr': '<f4', 'fortran_order': False, 'shape': (a,), }", 8),
       "malformed"},
      {npyWithHeader(7, "{}", 0), "version"},
      {{1, 2, 3}, "not a .npy"},
  };
  for (const Bad &bad : cases) {
    std::string error = parseNpy(bad.bytes.data(), bad.bytes.size(), tensor);
    EXPECT_NE(std::string::npos, error.find(bad.message)) << error;
  }
}

TEST(TensorIoTest, TensorProtoRoundTripsRawData) {
  for (nuri_dtype_t dtype : kNpyTypes)
    for (const auto &shape : kShapes) {
      HostTensor tensor = patterned(dtype, shape);
      tensor.name = "input:0";
      std::vector<uint8_t> bytes = encodeTensorProto(tensor);
      HostTensor back;
      ASSERT_EQ("", parseTensorProto(bytes.data(), bytes.size(), back));
      EXPECT_EQ("input:0", back.name);
      EXPECT_EQ(tensor.dtype, back.dtype);
      EXPECT_EQ(tensor.shape, back.shape);
      EXPECT_EQ(tensor.data, back.data);
    }
  HostTensor bf16 = patterned(NURI_DTYPE_BF16, {4});
  std::vector<uint8_t> bytes = encodeTensorProto(bf16);
  HostTensor back;
  ASSERT_EQ("", parseTensorProto(bytes.data(), bytes.size(), back));
  EXPECT_EQ(NURI_DTYPE_BF16, back.dtype);
  EXPECT_EQ(bf16.data, back.data);
}

void varint(std::vector<uint8_t> &out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<uint8_t>(value));
}

TEST(TensorIoTest, TensorProtoReadsTypedFields) {
  // dims packed [2, 2], data_type float, float_data packed.
  std::vector<uint8_t> proto = {0x0a, 2, 2, 2, 0x10, 1, 0x22, 16};
  for (float value : {1.5f, -2.0f, 0.0f, 8.0f}) {
    uint8_t raw[4];
    std::memcpy(raw, &value, 4);
    proto.insert(proto.end(), raw, raw + 4);
  }
  HostTensor tensor;
  ASSERT_EQ("", parseTensorProto(proto.data(), proto.size(), tensor));
  EXPECT_EQ((std::vector<int64_t>{2, 2}), tensor.shape);
  EXPECT_EQ(-2.0, elementAsDouble(tensor, 1));

  // dims unpacked [3], data_type int64, int64_data unpacked incl. -1.
  std::vector<uint8_t> ints = {0x08, 3, 0x10, 7};
  for (int64_t value : {int64_t(5), int64_t(-1), int64_t(1) << 40}) {
    ints.push_back(0x38);
    varint(ints, static_cast<uint64_t>(value));
  }
  ASSERT_EQ("", parseTensorProto(ints.data(), ints.size(), tensor));
  EXPECT_EQ(NURI_DTYPE_I64, tensor.dtype);
  EXPECT_EQ(-1.0, elementAsDouble(tensor, 1));
  EXPECT_EQ(double(int64_t(1) << 40), elementAsDouble(tensor, 2));

  // float16 through int32_data (bit patterns), unknown field 20 skipped.
  std::vector<uint8_t> half = {0x08, 2, 0x10, 10, 0x2a, 0};
  std::vector<uint8_t> packed;
  varint(packed, 0x3c00); // 1.0
  varint(packed, 0xc000); // -2.0
  half.back() = static_cast<uint8_t>(packed.size());
  half.insert(half.end(), packed.begin(), packed.end());
  half.insert(half.end(), {0xa0, 0x01, 0x05});
  ASSERT_EQ("", parseTensorProto(half.data(), half.size(), tensor));
  EXPECT_EQ(NURI_DTYPE_F16, tensor.dtype);
  EXPECT_EQ(1.0, elementAsDouble(tensor, 0));
  EXPECT_EQ(-2.0, elementAsDouble(tensor, 1));

  std::vector<uint8_t> wrongCount = {0x08, 3, 0x10, 1, 0x25, 0, 0, 0, 0};
  EXPECT_NE(std::string::npos,
            parseTensorProto(wrongCount.data(), wrongCount.size(), tensor)
                .find("has 1 values"));
  // A scalar string; then string_data on a float tensor, which is refused.
  std::vector<uint8_t> strings = {0x10, 8, 0x32, 1, 'a'};
  ASSERT_EQ("", parseTensorProto(strings.data(), strings.size(), tensor));
  EXPECT_EQ(NURI_DTYPE_STRING, tensor.dtype);
  EXPECT_EQ(std::vector<std::string>{"a"}, tensor.strings);
  strings[1] = 1;
  EXPECT_NE(std::string::npos,
            parseTensorProto(strings.data(), strings.size(), tensor)
                .find("string_data but its data_type is f32"));
}

HostTensor stringTensor(std::vector<int64_t> shape,
                        std::vector<std::string> strings) {
  HostTensor tensor;
  tensor.dtype = NURI_DTYPE_STRING;
  tensor.shape = std::move(shape);
  tensor.strings = std::move(strings);
  return tensor;
}

// "월요일" is 3 characters, 9 bytes of UTF-8; the emoji is 4 bytes, outside
// the BMP (one UTF-32 code point).
const std::vector<std::string> kDays = {"월요일", "tuesday", "",
                                        "\xF0\x9F\x93\x85 wed", "a\"b\\c"};

TEST(TensorIoTest, NpyRoundTripsStrings) {
  HostTensor tensor = stringTensor({5}, kDays);
  std::vector<uint8_t> bytes = encodeNpy(tensor);
  std::string text(bytes.begin(), bytes.end());
  // The widest element is "tuesday": 7 characters.
  EXPECT_NE(std::string::npos, text.find("'descr': '<U7'")) << text;
  EXPECT_EQ(0u, (bytes.size() - 5 * 7 * 4) % 64);
  HostTensor back;
  ASSERT_EQ("", parseNpy(bytes.data(), bytes.size(), back));
  EXPECT_EQ(NURI_DTYPE_STRING, back.dtype);
  EXPECT_EQ(tensor.shape, back.shape);
  EXPECT_EQ(kDays, back.strings);
  EXPECT_TRUE(back.data.empty());
  EXPECT_EQ("string[5]", describe(back.dtype, back.shape));

  // All empty (and zero elements) still gives NumPy's minimum width, '<U1'.
  for (const auto &shape : kShapes) {
    SCOPED_TRACE(describe(NURI_DTYPE_STRING, shape));
    HostTensor empty = stringTensor(shape, {});
    empty.strings.resize(empty.elementCount());
    bytes = encodeNpy(empty);
    text.assign(bytes.begin(), bytes.end());
    EXPECT_NE(std::string::npos, text.find("'descr': '<U1'")) << text;
    ASSERT_EQ("", parseNpy(bytes.data(), bytes.size(), back));
    EXPECT_EQ(empty.shape, back.shape);
    EXPECT_EQ(empty.strings, back.strings);
  }
}

TEST(TensorIoTest, NpyReadsBytesStringsAndRejectsBadCodePoints) {
  // '|S4': bytes, NUL-padded; trailing NULs dropped as NumPy does.
  auto bytes = npyWithHeader(
      1, "{'descr': '|S4', 'fortran_order': False, 'shape': (2,), }", 8);
  std::memcpy(&bytes[bytes.size() - 8], "abcdxy\0\0", 8);
  HostTensor tensor;
  ASSERT_EQ("", parseNpy(bytes.data(), bytes.size(), tensor));
  EXPECT_EQ(NURI_DTYPE_STRING, tensor.dtype);
  EXPECT_EQ((std::vector<std::string>{"abcd", "xy"}), tensor.strings);

  struct Bad {
    uint32_t codePoint;
    const char *message;
  };
  const Bad cases[] = {{0x110000, "invalid UTF-32 code point 0x110000"},
                       {0xD800, "invalid UTF-32 code point 0xD800"},
                       {0xFFFFFFFF, "invalid UTF-32 code point 0xFFFFFFFF"}};
  for (const Bad &bad : cases) {
    bytes = npyWithHeader(
        1, "{'descr': '<U2', 'fortran_order': False, 'shape': (2,), }", 16);
    uint32_t units[4] = {'o', 'k', 'x', bad.codePoint};
    std::memcpy(&bytes[bytes.size() - 16], units, 16);
    std::string error = parseNpy(bytes.data(), bytes.size(), tensor);
    EXPECT_NE(std::string::npos, error.find(bad.message)) << error;
    EXPECT_NE(std::string::npos, error.find("element 1")) << error;
  }
  const std::pair<const char *, const char *> descrs[] = {
      {">U2", "big-endian"},   {"<U0", "must be 1.."},
      {"<Ux", "unsupported"},  {"|U2", "unsupported"},
      {"<U99999999", "unsupported"}};
  for (const auto &descr : descrs) {
    bytes = npyWithHeader(1,
                          std::string("{'descr': '") + descr.first +
                              "', 'fortran_order': False, 'shape': (1,), }",
                          8);
    std::string error = parseNpy(bytes.data(), bytes.size(), tensor);
    EXPECT_NE(std::string::npos, error.find(descr.second))
        << descr.first << ": " << error;
  }
}

TEST(TensorIoTest, NpyWritesInvalidUtf8AsReplacementCharacters) {
  // A model may cut a string inside a character: "월" is EC 9B 94.
  HostTensor tensor = stringTensor({2}, {"\xEC\x9B", "ok\xFF"});
  std::vector<uint8_t> bytes = encodeNpy(tensor);
  HostTensor back;
  ASSERT_EQ("", parseNpy(bytes.data(), bytes.size(), back));
  EXPECT_EQ((std::vector<std::string>{"\uFFFD\uFFFD", "ok\uFFFD"}),
            back.strings);
}

TEST(TensorIoTest, TensorProtoRoundTripsStringData) {
  HostTensor tensor = stringTensor({1, 5}, kDays);
  tensor.name = "days";
  std::vector<uint8_t> bytes = encodeTensorProto(tensor);
  HostTensor back;
  ASSERT_EQ("", parseTensorProto(bytes.data(), bytes.size(), back));
  EXPECT_EQ("days", back.name);
  EXPECT_EQ(NURI_DTYPE_STRING, back.dtype);
  EXPECT_EQ(tensor.shape, back.shape);
  EXPECT_EQ(kDays, back.strings);

  tensor.shape = {6};
  bytes = encodeTensorProto(tensor); // writes a sixth, empty string
  ASSERT_EQ("", parseTensorProto(bytes.data(), bytes.size(), back));
  EXPECT_EQ("", back.strings.back());
  // One string short of the shape; raw_data for strings.
  std::vector<uint8_t> shortOne = {0x08, 2, 0x10, 8, 0x32, 1, 'a'};
  EXPECT_NE(std::string::npos,
            parseTensorProto(shortOne.data(), shortOne.size(), back)
                .find("has 1 strings, string[2] needs 2"));
  std::vector<uint8_t> raw = {0x10, 8, 0x4a, 1, 'a'};
  EXPECT_NE(std::string::npos,
            parseTensorProto(raw.data(), raw.size(), back).find("raw_data"));
}

TEST(TensorIoTest, PacksStringsToFixedWidth) {
  HostTensor tensor = stringTensor({2, 2}, {"월요일", "", "sixteen bytes!!!", "x"});
  std::vector<uint8_t> packed;
  ASSERT_EQ("", packStrings(tensor, 16, packed));
  ASSERT_EQ(64u, packed.size());
  EXPECT_EQ(0, std::memcmp(packed.data(), "월요일\0\0\0\0\0\0\0", 16));
  EXPECT_EQ(0, std::memcmp(&packed[32], "sixteen bytes!!!", 16)); // no NUL
  std::vector<std::string> back;
  unpackStrings(packed.data(), 4, 16, back);
  EXPECT_EQ(tensor.strings, back);

  // 9 bytes of UTF-8 do not fit 8, though "월요일" is only 3 characters.
  std::string error = packStrings(tensor, 8, packed);
  EXPECT_NE(std::string::npos,
            error.find("string element 0 is 9 bytes long (UTF-8), but the "
                       "model was compiled for at most 8 bytes per string; "
                       "recompile it with a larger --string-bytes"))
      << error;
  error = packStrings(tensor, 15, packed);
  EXPECT_NE(std::string::npos, error.find("element 2 is 16 bytes")) << error;

  tensor.strings[3] = std::string("a\0b", 3);
  EXPECT_NE(std::string::npos,
            packStrings(tensor, 16, packed).find("element 3 contains a NUL"));
  tensor.strings.pop_back();
  EXPECT_NE(std::string::npos,
            packStrings(tensor, 16, packed).find("has 3 strings"));
  EXPECT_NE(std::string::npos,
            packStrings(patterned(NURI_DTYPE_F32, {2}), 16, packed)
                .find("expected a string tensor, got f32[2]"));
}

void checkMalformed(HostTensor tensor) {
  SCOPED_TRACE(describe(tensor.dtype, tensor.shape));
  tensor.name = "x";
  std::vector<uint8_t> proto = encodeTensorProto(tensor);
  std::vector<uint8_t> npy = encodeNpy(tensor);
  for (size_t length = 0; length < proto.size(); ++length) {
    HostTensor out;
    EXPECT_NE("", parseTensorProto(proto.data(), length, out)) << length;
  }
  for (size_t length = 0; length < npy.size(); ++length) {
    HostTensor out;
    EXPECT_NE("", parseNpy(npy.data(), length, out)) << length;
  }
  std::mt19937 random(7);
  for (int i = 0; i < 5000; ++i) {
    std::vector<uint8_t> bytes = (i % 2) ? proto : npy;
    for (int f = 0; f < 3; ++f)
      bytes[random() % bytes.size()] = static_cast<uint8_t>(random());
    HostTensor out;
    std::string error = (i % 2)
                            ? parseTensorProto(bytes.data(), bytes.size(), out)
                            : parseNpy(bytes.data(), bytes.size(), out);
    if (error.empty() && out.dtype == NURI_DTYPE_STRING)
      EXPECT_EQ(out.strings.size(), out.elementCount());
    else if (error.empty())
      EXPECT_EQ(out.data.size(),
                out.elementCount() * nuri_dtype_size(out.dtype));
  }
}

TEST(TensorIoTest, MalformedInputsNeverCrash) {
  checkMalformed(patterned(NURI_DTYPE_F32, {3, 5}));
  checkMalformed(stringTensor({5}, kDays));
}

} // namespace
} // namespace nuri
