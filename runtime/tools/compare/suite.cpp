// Kernel-suite mode of nuri-compare: a JSON file of single-op cases, each
// built into a one-node ONNX model (protobuf encoded by hand, no library),
// compiled, and compared across the devices like a model. One report per
// case; the file format is in docs/ci.md.
#include "compare/report.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace nuri::compare;

namespace {

// ---------------------------------------------------------------------------
// A small strict JSON parser (RFC 8259): objects, arrays, strings, numbers,
// true, false, null. Every value remembers its byte offset for errors.

struct Json {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  size_t offset = 0;
  bool boolean = false;
  double number = 0;
  bool integral = false; // a number written without '.', 'e' or 'E'
  std::string text;      // String: the value; Number: the literal
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> members;

  const Json *get(const std::string &key) const {
    for (const auto &m : members)
      if (m.first == key)
        return &m.second;
    return nullptr;
  }
};

const char *kindName(Json::Kind k) {
  switch (k) {
  case Json::Null: return "null";
  case Json::Bool: return "a boolean";
  case Json::Number: return "a number";
  case Json::String: return "a string";
  case Json::Array: return "an array";
  case Json::Object: return "an object";
  }
  return "?";
}

class Parser {
public:
  explicit Parser(const std::string &s) : s_(s) {}

  /// Parses the whole text as one value; returns false with `error`
  /// ("byte N: ...").
  bool parse(Json &out, std::string &error) {
    skip();
    if (!value(out, 0))
      return report(error);
    skip();
    if (at_ != s_.size()) {
      fail("unexpected '" + std::string(1, s_[at_]) + "' after the top-level value");
      return report(error);
    }
    return true;
  }

private:
  const std::string &s_;
  size_t at_ = 0;
  size_t errorAt_ = 0;
  std::string message_;

  bool report(std::string &error) {
    error = "byte " + std::to_string(errorAt_) + ": " + message_;
    return false;
  }
  bool fail(const std::string &message) {
    if (message_.empty()) {
      message_ = message;
      errorAt_ = at_;
    }
    return false;
  }
  void skip() {
    while (at_ < s_.size() &&
           (s_[at_] == ' ' || s_[at_] == '\t' || s_[at_] == '\n' || s_[at_] == '\r'))
      ++at_;
  }
  bool literal(const char *word) {
    size_t n = std::strlen(word);
    if (s_.compare(at_, n, word) != 0)
      return fail("invalid literal");
    at_ += n;
    return true;
  }

  bool value(Json &out, int depth) {
    if (depth > 64)
      return fail("nested too deeply");
    out.offset = at_;
    if (at_ >= s_.size())
      return fail("unexpected end of file");
    char c = s_[at_];
    switch (c) {
    case '{': return object(out, depth);
    case '[': return array(out, depth);
    case '"': out.kind = Json::String; return string(out.text);
    case 't': out.kind = Json::Bool; out.boolean = true; return literal("true");
    case 'f': out.kind = Json::Bool; out.boolean = false; return literal("false");
    case 'n': out.kind = Json::Null; return literal("null");
    default:
      if (c == '-' || (c >= '0' && c <= '9'))
        return number(out);
      return fail("unexpected '" + std::string(1, c) + "'");
    }
  }

  bool object(Json &out, int depth) {
    out.kind = Json::Object;
    ++at_;
    skip();
    if (at_ < s_.size() && s_[at_] == '}') {
      ++at_;
      return true;
    }
    std::set<std::string> seen;
    while (true) {
      skip();
      if (at_ >= s_.size() || s_[at_] != '"')
        return fail("expected a string key");
      size_t keyAt = at_;
      std::string key;
      if (!string(key))
        return false;
      if (!seen.insert(key).second) {
        at_ = keyAt;
        return fail("duplicate key \"" + key + "\"");
      }
      skip();
      if (at_ >= s_.size() || s_[at_] != ':')
        return fail("expected ':'");
      ++at_;
      skip();
      out.members.emplace_back(key, Json());
      if (!value(out.members.back().second, depth + 1))
        return false;
      skip();
      if (at_ < s_.size() && s_[at_] == ',') {
        ++at_;
        continue;
      }
      if (at_ < s_.size() && s_[at_] == '}') {
        ++at_;
        return true;
      }
      return fail("expected ',' or '}'");
    }
  }

  bool array(Json &out, int depth) {
    out.kind = Json::Array;
    ++at_;
    skip();
    if (at_ < s_.size() && s_[at_] == ']') {
      ++at_;
      return true;
    }
    while (true) {
      skip();
      out.items.emplace_back();
      if (!value(out.items.back(), depth + 1))
        return false;
      skip();
      if (at_ < s_.size() && s_[at_] == ',') {
        ++at_;
        continue;
      }
      if (at_ < s_.size() && s_[at_] == ']') {
        ++at_;
        return true;
      }
      return fail("expected ',' or ']'");
    }
  }

  bool hex4(uint32_t &v) {
    v = 0;
    for (int i = 0; i < 4; ++i, ++at_) {
      if (at_ >= s_.size())
        return fail("unexpected end of file in \\u escape");
      char c = s_[at_];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= uint32_t(c - '0');
      else if (c >= 'a' && c <= 'f') v |= uint32_t(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= uint32_t(c - 'A' + 10);
      else return fail("invalid \\u escape");
    }
    return true;
  }

  static void utf8(uint32_t c, std::string &out) {
    if (c < 0x80) {
      out += char(c);
    } else if (c < 0x800) {
      out += char(0xc0 | (c >> 6));
      out += char(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      out += char(0xe0 | (c >> 12));
      out += char(0x80 | ((c >> 6) & 0x3f));
      out += char(0x80 | (c & 0x3f));
    } else {
      out += char(0xf0 | (c >> 18));
      out += char(0x80 | ((c >> 12) & 0x3f));
      out += char(0x80 | ((c >> 6) & 0x3f));
      out += char(0x80 | (c & 0x3f));
    }
  }

  bool string(std::string &out) {
    ++at_; // '"'
    while (true) {
      if (at_ >= s_.size())
        return fail("unterminated string");
      unsigned char c = static_cast<unsigned char>(s_[at_]);
      if (c == '"') {
        ++at_;
        return true;
      }
      if (c < 0x20)
        return fail("control character in a string");
      if (c != '\\') {
        out += char(c);
        ++at_;
        continue;
      }
      if (++at_ >= s_.size())
        return fail("unterminated string");
      char e = s_[at_++];
      switch (e) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        uint32_t v;
        if (!hex4(v))
          return false;
        if (v >= 0xd800 && v < 0xdc00) {
          uint32_t low;
          if (s_.compare(at_, 2, "\\u") != 0)
            return fail("unpaired surrogate in \\u escape");
          at_ += 2;
          if (!hex4(low))
            return false;
          if (low < 0xdc00 || low >= 0xe000)
            return fail("unpaired surrogate in \\u escape");
          v = 0x10000 + ((v - 0xd800) << 10) + (low - 0xdc00);
        } else if (v >= 0xdc00 && v < 0xe000) {
          return fail("unpaired surrogate in \\u escape");
        }
        utf8(v, out);
        break;
      }
      default:
        --at_;
        return fail("invalid escape '\\" + std::string(1, e) + "'");
      }
    }
  }

  bool digits() {
    size_t start = at_;
    while (at_ < s_.size() && s_[at_] >= '0' && s_[at_] <= '9')
      ++at_;
    return at_ > start || fail("expected a digit");
  }

  bool number(Json &out) {
    out.kind = Json::Number;
    size_t start = at_;
    out.integral = true;
    if (s_[at_] == '-')
      ++at_;
    if (at_ < s_.size() && s_[at_] == '0') {
      ++at_;
      if (at_ < s_.size() && s_[at_] >= '0' && s_[at_] <= '9')
        return fail("leading zero in a number");
    } else if (!digits()) {
      return false;
    }
    if (at_ < s_.size() && s_[at_] == '.') {
      ++at_;
      out.integral = false;
      if (!digits())
        return false;
    }
    if (at_ < s_.size() && (s_[at_] == 'e' || s_[at_] == 'E')) {
      ++at_;
      out.integral = false;
      if (at_ < s_.size() && (s_[at_] == '+' || s_[at_] == '-'))
        ++at_;
      if (!digits())
        return false;
    }
    out.text = s_.substr(start, at_ - start);
    out.number = std::strtod(out.text.c_str(), nullptr);
    return true;
  }
};

// ---------------------------------------------------------------------------
// The suite, as read from the file.

struct InputSpec {
  std::vector<int64_t> shape;
  std::string dtype = "float32";
  bool constant = false;
  bool hasValues = false;
  std::vector<double> values; // a constant's explicit values (else random)
};

struct Attribute {
  std::string name;
  enum Type { Float = 1, Int = 2, String = 3, Floats = 6, Ints = 7 } type = Int;
  double f = 0;
  int64_t i = 0;
  std::string s;
  std::vector<double> floats;
  std::vector<int64_t> ints;
};

struct Case {
  std::string name, op, dtype = "float32";
  std::vector<InputSpec> inputs;
  std::vector<Attribute> attributes;
  int64_t outputs = 1;
};

struct Suite {
  std::string name;
  int64_t opset = 17;
  std::vector<Case> cases;
};

/// ONNX TensorProto.DataType and element size of the dtypes a case may use.
bool onnxType(const std::string &dtype, uint64_t &type, size_t &size) {
  static const std::map<std::string, std::pair<uint64_t, size_t>> kTypes = {
      {"float32", {1, 4}}, {"int32", {6, 4}}, {"int64", {7, 8}}, {"bool", {9, 1}}};
  auto it = kTypes.find(dtype);
  if (it == kTypes.end())
    return false;
  type = it->second.first;
  size = it->second.second;
  return true;
}

class SuiteReader {
public:
  SuiteReader(const std::string &file) : file_(file) {}

  bool read(const Json &root, Suite &suite, std::string &error) {
    if (!expect(root, Json::Object, "the suite"))
      return report(error);
    if (!keys(root, {"suite", "opset", "cases", "description"}, "the suite"))
      return report(error);
    const Json *name = root.get("suite"), *opset = root.get("opset"), *cases = root.get("cases");
    if (!name)
      return failAt(root, "the suite has no \"suite\" name"), report(error);
    if (!expect(*name, Json::String, "\"suite\""))
      return report(error);
    suite.name = name->text;
    if (opset && !integer(*opset, "\"opset\"", 1, 1000, suite.opset))
      return report(error);
    if (!cases)
      return failAt(root, "the suite has no \"cases\""), report(error);
    if (!expect(*cases, Json::Array, "\"cases\""))
      return report(error);
    if (cases->items.empty())
      return failAt(*cases, "\"cases\" is empty"), report(error);
    std::set<std::string> names;
    for (const Json &c : cases->items) {
      suite.cases.emplace_back();
      if (!readCase(c, suite.cases.back()))
        return report(error);
      if (!names.insert(suite.cases.back().name).second)
        return failAt(c, "duplicate case name \"" + suite.cases.back().name + "\""),
               report(error);
    }
    return true;
  }

private:
  std::string file_, message_;
  size_t at_ = 0;

  bool report(std::string &error) {
    error = file_ + ": byte " + std::to_string(at_) + ": " + message_;
    return false;
  }
  bool failAt(const Json &v, const std::string &message) {
    at_ = v.offset;
    message_ = message;
    return false;
  }
  bool expect(const Json &v, Json::Kind kind, const std::string &what) {
    if (v.kind == kind)
      return true;
    return failAt(v, what + " must be " + kindName(kind) + ", not " + kindName(v.kind));
  }
  bool keys(const Json &v, std::initializer_list<const char *> allowed, const std::string &what) {
    for (const auto &m : v.members) {
      bool ok = false;
      for (const char *a : allowed)
        ok = ok || m.first == a;
      if (!ok) {
        std::string list;
        for (const char *a : allowed)
          list += std::string(list.empty() ? "" : ", ") + a;
        return failAt(m.second, "unknown key \"" + m.first + "\" in " + what + " (expected " +
                                    list + ")");
      }
    }
    return true;
  }
  bool integer(const Json &v, const std::string &what, int64_t lo, int64_t hi, int64_t &out) {
    if (v.kind != Json::Number || !v.integral)
      return failAt(v, what + " must be an integer");
    if (!(v.number >= double(lo) && v.number <= double(hi)))
      return failAt(v, what + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                           "], not " + v.text);
    out = int64_t(std::strtoll(v.text.c_str(), nullptr, 10));
    return true;
  }

  bool readCase(const Json &c, Case &out) {
    std::string what = "a case";
    if (!expect(c, Json::Object, "a case"))
      return false;
    const Json *name = c.get("name");
    if (!name)
      return failAt(c, "a case has no \"name\"");
    if (!expect(*name, Json::String, "a case's \"name\""))
      return false;
    out.name = name->text;
    bool ok = !out.name.empty() && out.name[0] != '.' && out.name.size() <= 100;
    for (char ch : out.name)
      ok = ok && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' ||
                  ch == '.');
    if (!ok)
      return failAt(*name, "case name \"" + out.name +
                               "\" must be 1-100 of [A-Za-z0-9_.-], not starting with '.' "
                               "(it names the model file)");
    what = "case \"" + out.name + "\"";
    if (!keys(c, {"name", "op", "inputs", "attributes", "outputs", "dtype", "description"}, what))
      return false;
    const Json *op = c.get("op"), *inputs = c.get("inputs"), *attrs = c.get("attributes"),
               *outputs = c.get("outputs"), *dtype = c.get("dtype");
    if (!op)
      return failAt(c, what + " has no \"op\"");
    if (!expect(*op, Json::String, what + ": \"op\""))
      return false;
    out.op = op->text;
    if (out.op.empty())
      return failAt(*op, what + ": \"op\" is empty");
    uint64_t type;
    size_t size;
    if (dtype) {
      if (!expect(*dtype, Json::String, what + ": \"dtype\""))
        return false;
      out.dtype = dtype->text;
      if (!onnxType(out.dtype, type, size))
        return failAt(*dtype, what + ": unknown dtype \"" + out.dtype +
                                  "\" (float32, int32, int64, bool)");
    }
    if (outputs && !integer(*outputs, what + ": \"outputs\"", 1, 16, out.outputs))
      return false;
    if (!inputs)
      return failAt(c, what + " has no \"inputs\"");
    if (!expect(*inputs, Json::Array, what + ": \"inputs\""))
      return false;
    for (size_t k = 0; k < inputs->items.size(); ++k) {
      const Json &in = inputs->items[k];
      std::string iw = what + ", input " + std::to_string(k);
      if (!expect(in, Json::Object, iw) ||
          !keys(in, {"shape", "dtype", "constant", "values"}, iw))
        return false;
      InputSpec spec;
      spec.dtype = out.dtype;
      const Json *shape = in.get("shape"), *d = in.get("dtype"), *constant = in.get("constant"),
                 *values = in.get("values");
      if (!shape)
        return failAt(in, iw + " has no \"shape\"");
      if (!expect(*shape, Json::Array, iw + ": \"shape\""))
        return false;
      uint64_t count = 1;
      for (const Json &dim : shape->items) {
        int64_t n;
        if (!integer(dim, iw + ": a dimension", 1, int64_t(1) << 24, n))
          return false;
        spec.shape.push_back(n);
        count *= uint64_t(n);
        if (count > (uint64_t(1) << 28))
          return failAt(*shape, iw + ": more than 2^28 elements");
      }
      if (d) {
        if (!expect(*d, Json::String, iw + ": \"dtype\""))
          return false;
        spec.dtype = d->text;
      }
      if (!onnxType(spec.dtype, type, size))
        return failAt(d ? *d : in, iw + ": unknown dtype \"" + spec.dtype +
                                       "\" (float32, int32, int64, bool)");
      if (constant) {
        if (!expect(*constant, Json::Bool, iw + ": \"constant\""))
          return false;
        spec.constant = constant->boolean;
      }
      if (values) {
        if (!expect(*values, Json::Array, iw + ": \"values\""))
          return false;
        if (!spec.constant)
          return failAt(*values, iw + ": \"values\" needs \"constant\": true");
        if (values->items.size() != count)
          return failAt(*values, iw + ": " + std::to_string(values->items.size()) +
                                     " values for a shape of " + std::to_string(count) +
                                     " elements");
        for (const Json &v : values->items) {
          if (!expect(v, Json::Number, iw + ": a value"))
            return false;
          if (spec.dtype != "float32" && !v.integral)
            return failAt(v, iw + ": " + v.text + " is not an integer (" + spec.dtype + ")");
          spec.values.push_back(v.number);
        }
        spec.hasValues = true;
      }
      out.inputs.push_back(std::move(spec));
    }
    if (attrs) {
      if (!expect(*attrs, Json::Object, what + ": \"attributes\""))
        return false;
      for (const auto &m : attrs->members) {
        Attribute a;
        a.name = m.first;
        std::string aw = what + ": attribute \"" + a.name + "\"";
        if (a.name.empty())
          return failAt(m.second, what + ": an attribute has an empty name");
        const Json &v = m.second;
        if (v.kind == Json::Number) {
          if (v.integral) {
            if (!integer(v, aw, INT64_MIN / 2, INT64_MAX / 2, a.i))
              return false;
            a.type = Attribute::Int;
          } else {
            a.type = Attribute::Float;
            a.f = v.number;
          }
        } else if (v.kind == Json::String) {
          a.type = Attribute::String;
          a.s = v.text;
        } else if (v.kind == Json::Array) {
          bool floats = false;
          for (const Json &e : v.items) {
            if (!expect(e, Json::Number, aw + ": an element"))
              return false;
            floats = floats || !e.integral;
          }
          a.type = floats ? Attribute::Floats : Attribute::Ints;
          for (const Json &e : v.items) {
            if (floats) {
              a.floats.push_back(e.number);
            } else {
              int64_t n;
              if (!integer(e, aw + ": an element", INT64_MIN / 2, INT64_MAX / 2, n))
                return false;
              a.ints.push_back(n);
            }
          }
        } else {
          return failAt(v, aw + " must be a number, a string or an array of numbers, not " +
                               kindName(v.kind));
        }
        out.attributes.push_back(std::move(a));
      }
    }
    return true;
  }
};

// ---------------------------------------------------------------------------
// Protobuf encoding (proto2 wire format, the way onnx.proto is declared:
// repeated scalars unpacked).

using Bytes = std::vector<uint8_t>;

void putVarint(Bytes &out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<uint8_t>(value));
}

void putInt(Bytes &out, unsigned field, int64_t value) {
  putVarint(out, (field << 3) | 0);
  putVarint(out, static_cast<uint64_t>(value)); // negative: ten bytes, as int64
}

void putFloat(Bytes &out, unsigned field, float value) {
  putVarint(out, (field << 3) | 5);
  uint8_t b[4];
  std::memcpy(b, &value, 4); // little-endian hosts
  out.insert(out.end(), b, b + 4);
}

void putBytes(Bytes &out, unsigned field, const void *data, size_t size) {
  putVarint(out, (field << 3) | 2);
  putVarint(out, size);
  const uint8_t *bytes = static_cast<const uint8_t *>(data);
  out.insert(out.end(), bytes, bytes + size);
}

void putString(Bytes &out, unsigned field, const std::string &s) {
  putBytes(out, field, s.data(), s.size());
}

void putMessage(Bytes &out, unsigned field, const Bytes &message) {
  putBytes(out, field, message.data(), message.size());
}

/// ValueInfoProto: name, type.tensor_type {elem_type, shape}. A dimension
/// below 0 is symbolic (dim_param NAME_dK): outputs declare only their rank,
/// the importer infers their shapes.
Bytes valueInfo(const std::string &name, uint64_t elemType, const std::vector<int64_t> *shape) {
  Bytes tensor;
  putInt(tensor, 1, int64_t(elemType));
  if (shape) {
    Bytes shapeProto;
    for (size_t k = 0; k < shape->size(); ++k) {
      Bytes dim;
      if ((*shape)[k] >= 0)
        putInt(dim, 1, (*shape)[k]); // dim_value
      else
        putString(dim, 2, name + "_d" + std::to_string(k)); // dim_param
      putMessage(shapeProto, 1, dim);
    }
    putMessage(tensor, 2, shapeProto);
  }
  Bytes type;
  putMessage(type, 1, tensor); // tensor_type
  Bytes info;
  putString(info, 1, name);
  putMessage(info, 2, type);
  return info;
}

/// splitmix64: the same values on every host.
struct Random {
  uint64_t state;
  explicit Random(uint64_t seed) : state(seed) {}
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return double(next() >> 11) * (1.0 / 9007199254740992.0); } // [0, 1)
};

/// TensorProto of a constant input: explicit values, or seeded random ones
/// (floats uniform in [-1, 1), integers in [0, 4), booleans).
Bytes initializer(const std::string &name, const InputSpec &spec, uint64_t seed) {
  uint64_t type = 0;
  size_t size = 0;
  onnxType(spec.dtype, type, size);
  uint64_t count = 1;
  for (int64_t d : spec.shape)
    count *= uint64_t(d);
  Random random(seed);
  Bytes raw(count * size);
  for (uint64_t i = 0; i < count; ++i) {
    uint8_t *p = raw.data() + i * size;
    if (spec.dtype == "float32") {
      float v = spec.hasValues ? float(spec.values[i]) : float(random.uniform() * 2 - 1);
      std::memcpy(p, &v, 4);
    } else if (spec.dtype == "int64") {
      int64_t v = spec.hasValues ? int64_t(spec.values[i]) : int64_t(random.next() % 4);
      std::memcpy(p, &v, 8);
    } else if (spec.dtype == "int32") {
      int32_t v = spec.hasValues ? int32_t(spec.values[i]) : int32_t(random.next() % 4);
      std::memcpy(p, &v, 4);
    } else {
      *p = spec.hasValues ? spec.values[i] != 0 : (random.next() & 1);
    }
  }
  Bytes tensor;
  for (int64_t d : spec.shape)
    putInt(tensor, 1, d);
  putInt(tensor, 2, int64_t(type));
  putString(tensor, 8, name);
  putBytes(tensor, 9, raw.data(), raw.size());
  return tensor;
}

Bytes attribute(const Attribute &a) {
  Bytes out;
  putString(out, 1, a.name);
  switch (a.type) {
  case Attribute::Float: putFloat(out, 2, float(a.f)); break;
  case Attribute::Int: putInt(out, 3, a.i); break;
  case Attribute::String: putString(out, 4, a.s); break;
  case Attribute::Floats:
    for (double f : a.floats)
      putFloat(out, 7, float(f));
    break;
  case Attribute::Ints:
    for (int64_t i : a.ints)
      putInt(out, 8, i);
    break;
  }
  putInt(out, 20, int64_t(a.type));
  return out;
}

const Attribute *findAttribute(const Case &c, const std::string &name) {
  for (const Attribute &a : c.attributes)
    if (a.name == name)
      return &a;
  return nullptr;
}

/// The rank of a case's outputs, for ops whose rank follows from their
/// inputs' (ONNX's checker wants a shape on every graph output); -1 where
/// this does not know the op (the output then has no shape, which the
/// importer accepts but onnx.checker does not).
int64_t outputRank(const Case &c) {
  static const std::set<std::string> kSameAsInputs = {
      "Abs", "Add", "AveragePool", "BatchNormalization", "Cast", "Clip", "Conv", "Div",
      "Elu", "Erf", "Exp", "Gelu", "GlobalAveragePool", "HardSigmoid", "HardSwish",
      "Identity", "LayerNormalization", "LeakyRelu", "Log", "LogSoftmax", "Max", "MaxPool",
      "Min", "Mul", "Neg", "Pad", "Pow", "Reciprocal", "Relu", "Sigmoid", "Softmax", "Sqrt",
      "Sub", "Tanh", "Transpose", "Where"};
  int64_t rank = c.inputs.empty() ? -1 : 0;
  for (const InputSpec &in : c.inputs)
    rank = std::max(rank, int64_t(in.shape.size()));
  if (kSameAsInputs.count(c.op))
    return rank;
  if (c.op == "Gemm" || c.op == "Flatten")
    return 2;
  if (c.op == "MatMul" && c.inputs.size() == 2) {
    size_t a = c.inputs[0].shape.size(), b = c.inputs[1].shape.size();
    return rank - (a == 1) - (b == 1);
  }
  if (c.op.rfind("Reduce", 0) == 0 && !c.inputs.empty()) {
    const Attribute *keep = findAttribute(c, "keepdims");
    int64_t in = int64_t(c.inputs[0].shape.size());
    if (!keep || keep->i != 0)
      return in;
    const Attribute *axes = findAttribute(c, "axes");
    if (axes)
      return in - int64_t(axes->ints.size());
    if (c.inputs.size() > 1 && c.inputs[1].hasValues)
      return in - int64_t(c.inputs[1].values.size());
    const Attribute *noop = findAttribute(c, "noop_with_empty_axes");
    return noop && noop->i ? in : 0;
  }
  return -1;
}

/// The one-node ModelProto of a case; `index` seeds its constants.
Bytes buildModel(const Suite &suite, const Case &c, size_t index) {
  Bytes graph;
  Bytes node;
  for (size_t k = 0; k < c.inputs.size(); ++k)
    putString(node, 1, "x" + std::to_string(k));
  std::vector<std::string> outputs;
  for (int64_t k = 0; k < c.outputs; ++k)
    outputs.push_back(c.outputs == 1 ? "y" : "y" + std::to_string(k));
  for (const std::string &o : outputs)
    putString(node, 2, o);
  putString(node, 3, c.name);
  putString(node, 4, c.op);
  for (const Attribute &a : c.attributes)
    putMessage(node, 5, attribute(a));
  putMessage(graph, 1, node);
  putString(graph, 2, suite.name + "." + c.name);
  for (size_t k = 0; k < c.inputs.size(); ++k)
    if (c.inputs[k].constant)
      putMessage(graph, 5,
                 initializer("x" + std::to_string(k), c.inputs[k],
                             (uint64_t(index) + 1) * 1000003ull + k));
  for (size_t k = 0; k < c.inputs.size(); ++k)
    if (!c.inputs[k].constant) {
      uint64_t type = 0;
      size_t size = 0;
      onnxType(c.inputs[k].dtype, type, size);
      putMessage(graph, 11, valueInfo("x" + std::to_string(k), type, &c.inputs[k].shape));
    }
  uint64_t outType = 0;
  size_t outSize = 0;
  onnxType(c.dtype, outType, outSize);
  int64_t rank = outputRank(c);
  std::vector<int64_t> symbolic(size_t(std::max<int64_t>(rank, 0)), -1);
  for (const std::string &o : outputs)
    putMessage(graph, 12, valueInfo(o, outType, rank >= 0 ? &symbolic : nullptr));

  Bytes model;
  putInt(model, 1, 8); // ir_version
  putString(model, 2, "nuri-compare");
  Bytes opset;
  putString(opset, 1, "");
  putInt(opset, 2, suite.opset);
  putMessage(model, 8, opset);
  putMessage(model, 7, graph);
  return model;
}

/// Reads and checks a suite file.
bool readSuiteFile(const std::string &file, Suite &suite, std::string &error) {
  std::ifstream f(file, std::ios::binary);
  if (!f) {
    error = file + ": cannot read";
    return false;
  }
  std::stringstream text;
  text << f.rdbuf();
  std::string s = text.str();
  Json root;
  Parser parser(s);
  if (!parser.parse(root, error)) {
    error = file + ": " + error;
    return false;
  }
  return SuiteReader(file).read(root, suite, error);
}

} // namespace

bool runSuite(const std::string &suiteFile, const fs::path &workDir,
              const std::function<std::string(const std::string &, const fs::path &,
                                              std::string &)> &compile,
              const std::function<ModelReport(const std::string &, const std::string &)> &compare,
              std::vector<ModelReport> &reports, std::string &error) {
  Suite suite;
  if (!readSuiteFile(suiteFile, suite, error))
    return false;
  fs::path dir = workDir / "suite";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    error = "cannot create " + dir.string() + ": " + ec.message();
    return false;
  }
  for (size_t i = 0; i < suite.cases.size(); ++i) {
    const Case &c = suite.cases[i];
    fs::path model = dir / (c.name + ".onnx");
    Bytes bytes = buildModel(suite, c, i);
    {
      std::ofstream f(model, std::ios::binary);
      if (!f || !f.write(reinterpret_cast<const char *>(bytes.data()), bytes.size())) {
        error = "cannot write " + model.string();
        return false;
      }
    }
    std::string compileError;
    std::string artifact = compile(model.string(), dir, compileError);
    if (artifact.empty()) {
      ModelReport r;
      r.name = c.name;
      r.error = compileError.empty() ? "compile failed" : compileError;
      reports.push_back(std::move(r));
      continue;
    }
    reports.push_back(compare(c.name, artifact));
    reports.back().name = c.name;
  }
  return true;
}
