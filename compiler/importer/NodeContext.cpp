//===- NodeContext.cpp - helpers for op converters, tensor decoding -------===//
#include "compiler/importer/ImporterContext.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/MathExtras.h"

#include <cstring>

using namespace mlir;
using namespace mlir::nuri;

namespace nuri {

Type onnxElementType(MLIRContext &ctx, int dataType) {
  switch (dataType) {
  case onnx::TensorProto::FLOAT: return Float32Type::get(&ctx);
  case onnx::TensorProto::FLOAT16: return Float16Type::get(&ctx);
  case onnx::TensorProto::BFLOAT16: return BFloat16Type::get(&ctx);
  case onnx::TensorProto::DOUBLE: return Float64Type::get(&ctx);
  case onnx::TensorProto::INT8: return IntegerType::get(&ctx, 8);
  case onnx::TensorProto::INT16: return IntegerType::get(&ctx, 16);
  case onnx::TensorProto::INT32: return IntegerType::get(&ctx, 32);
  case onnx::TensorProto::INT64: return IntegerType::get(&ctx, 64);
  case onnx::TensorProto::UINT8: return IntegerType::get(&ctx, 8, IntegerType::Unsigned);
  case onnx::TensorProto::UINT16: return IntegerType::get(&ctx, 16, IntegerType::Unsigned);
  case onnx::TensorProto::UINT32: return IntegerType::get(&ctx, 32, IntegerType::Unsigned);
  case onnx::TensorProto::UINT64: return IntegerType::get(&ctx, 64, IntegerType::Unsigned);
  case onnx::TensorProto::BOOL: return IntegerType::get(&ctx, 1);
  // FLOAT8E4M3FN..FLOAT8E5M2FNUZ (onnx 1.14; numbered here for older headers)
  case 17: return Float8E4M3FNType::get(&ctx);
  case 18: return Float8E4M3FNUZType::get(&ctx);
  case 19: return Float8E5M2Type::get(&ctx);
  case 20: return Float8E5M2FNUZType::get(&ctx);
  default: return nullptr;
  }
}

FailureOr<DenseElementsAttr> tensorToAttr(MLIRContext &ctx, const onnx::TensorProto &t,
                                          const std::string *externalData,
                                          std::string &error) {
  Type et = onnxElementType(ctx, t.data_type());
  if (!et) {
    error = "unsupported element type " + std::to_string(t.data_type());
    return failure();
  }
  SmallVector<int64_t> shape(t.dims().begin(), t.dims().end());
  unsigned bits = et.getIntOrFloatBitWidth();
  size_t bytes = elementByteSize(et);
  // The element count is checked against the data before anything is
  // allocated: dims are untrusted.
  int64_t n = 1;
  for (int64_t d : shape)
    if (d < 0 || llvm::MulOverflow(n, d, n) || n > (int64_t(1) << 40)) {
      error = "dimensions are negative or too large";
      return failure();
    }
  auto type = RankedTensorType::get(shape, et);
  const std::string *raw = externalData ? externalData : (t.has_raw_data() ? &t.raw_data() : nullptr);
  size_t available = raw ? raw->size()
                         : (size_t)std::max({t.float_data_size(), t.int32_data_size(),
                                             t.int64_data_size(), t.double_data_size(),
                                             t.uint64_data_size()}) * 8;
  if ((uint64_t)n * bytes > available && n != 0) {
    error = "holds less data than its " + std::to_string(n) + " elements need";
    return failure();
  }
  std::vector<char> data(n * bytes);
  if (raw) {
    if ((int64_t)raw->size() != n * (int64_t)bytes) {
      error = "holds " + std::to_string(raw->size()) + " bytes, expected " +
              std::to_string(n * bytes);
      return failure();
    }
    std::memcpy(data.data(), raw->data(), data.size());
  } else {
    auto fill = [&](auto &field, auto convert) -> LogicalResult {
      if (field.size() != n) {
        error = "holds " + std::to_string(field.size()) + " values, expected " +
                std::to_string(n);
        return failure();
      }
      for (int64_t i = 0; i < n; ++i)
        convert(field.Get(i), &data[i * bytes]);
      return success();
    };
    auto narrow = [&](auto v, char *dst) {
      int64_t x = v;
      std::memcpy(dst, &x, bytes); // little-endian: low bytes first
    };
    LogicalResult ok = success();
    switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      ok = fill(t.float_data(), [](float v, char *d) { std::memcpy(d, &v, 4); });
      break;
    case onnx::TensorProto::DOUBLE:
      ok = fill(t.double_data(), [](double v, char *d) { std::memcpy(d, &v, 8); });
      break;
    case onnx::TensorProto::INT64:
      ok = fill(t.int64_data(), narrow);
      break;
    case onnx::TensorProto::UINT32:
    case onnx::TensorProto::UINT64:
      ok = fill(t.uint64_data(), [&](uint64_t v, char *d) { std::memcpy(d, &v, bytes); });
      break;
    default: // int8/16/32, uint8/16, bool, float16, bfloat16 live in int32_data
      ok = fill(t.int32_data(), narrow);
    }
    if (failed(ok))
      return failure();
  }
  if (bits == 1) {
    SmallVector<bool> bools;
    for (char c : data)
      bools.push_back(c != 0);
    return DenseElementsAttr::get(type, ArrayRef<bool>(bools));
  }
  bool splat = false;
  if (!DenseElementsAttr::isValidRawBuffer(type, ArrayRef<char>(data), splat)) {
    error = "malformed tensor data";
    return failure();
  }
  return DenseElementsAttr::getFromRawBuffer(type, ArrayRef<char>(data));
}

Value NodeContext::input(int i) const {
  if (i >= node.input_size() || node.input(i).empty())
    return nullptr;
  auto it = values.find(node.input(i));
  return it == values.end() ? nullptr : it->second;
}

void NodeContext::setOutput(int i, Value v) {
  if (i < node.output_size() && !node.output(i).empty())
    values[node.output(i)] = v;
}

void NodeContext::setRuntimeShapedOutput(int i, Value data, Value dims,
                                         ArrayRef<int64_t> shape) {
  setOutput(i, data);
  if (runtimeShapes)
    (*runtimeShapes)[data] = RuntimeShape{dims, SmallVector<int64_t>(shape)};
}

DenseElementsAttr NodeContext::constantInput(int i) const {
  Value v = input(i);
  if (!v)
    return nullptr;
  if (auto c = v.getDefiningOp<ConstantOp>())
    return dyn_cast<DenseElementsAttr>(c.getValue());
  return nullptr;
}

FailureOr<SmallVector<int64_t>> NodeContext::intsInput(int i) {
  // An empty integer tensor has no values to wait for, constant or not.
  if (Value v = input(i)) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (t && t.hasStaticShape() && t.getNumElements() == 0 && isa<IntegerType>(t.getElementType()))
      return SmallVector<int64_t>();
  }
  auto attr = constantInput(i);
  if (!attr || !isa<IntegerType>(attr.getElementType())) {
    (void)fail("input " + std::to_string(i) + " ('" +
               (i < node.input_size() ? node.input(i) : std::string()) +
               "') must be a constant integer tensor");
    return failure();
  }
  SmallVector<int64_t> out;
  for (APInt v : attr.getValues<APInt>())
    out.push_back(v.getSExtValue());
  return out;
}

const onnx::AttributeProto *NodeContext::attr(const std::string &name) const {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t NodeContext::attrInt(const std::string &name, int64_t dflt) const {
  auto *a = attr(name);
  return a ? a->i() : dflt;
}

float NodeContext::attrFloat(const std::string &name, float dflt) const {
  auto *a = attr(name);
  return a ? a->f() : dflt;
}

std::string NodeContext::attrString(const std::string &name,
                                    const std::string &dflt) const {
  auto *a = attr(name);
  return a ? a->s() : dflt;
}

SmallVector<int64_t> NodeContext::attrInts(const std::string &name,
                                           ArrayRef<int64_t> dflt) const {
  auto *a = attr(name);
  if (!a)
    return SmallVector<int64_t>(dflt);
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

LogicalResult NodeContext::fail(const Twine &msg) {
  std::string name = node.name().empty() ? "(unnamed)" : node.name();
  error = "node '" + name + "' (" + node.op_type() + ", opset " +
          std::to_string(opset) + "): " + msg.str();
  return failure();
}

Value NodeContext::constant(DenseElementsAttr value) {
  return ConstantOp::create(b, loc(), value);
}

Value NodeContext::scalar(Type elementType, double value) {
  auto type = RankedTensorType::get({}, elementType);
  if (isa<FloatType>(elementType))
    return constant(DenseElementsAttr::get(type, FloatAttr::get(elementType, value)));
  return scalar(elementType, APInt(elementType.getIntOrFloatBitWidth(), (int64_t)value, true));
}

Value NodeContext::scalar(Type elementType, const APInt &value) {
  auto type = RankedTensorType::get({}, elementType);
  return constant(DenseElementsAttr::get(type, IntegerAttr::get(elementType, value)));
}

LogicalResult NodeContext::requireInputs(int count) {
  for (int i = 0; i < count; ++i)
    if (!input(i))
      return fail("input " + std::to_string(i) + " is required");
  return success();
}

Value NodeContext::reshape(Value v, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getShape() == shape)
    return v;
  // Symbolic dimensions kept in order (Unsqueeze, Squeeze of unit dims):
  // the result's are the input's.
  auto out = type.clone(shape);
  if (!type.hasStaticShape() || !out.hasStaticShape()) {
    SmallVector<Value> dims;
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.isDynamicDim(d))
        dims.push_back(b.createOrFold<tensor::DimOp>(loc(), v, d));
    return ReshapeOp::create(b, loc(), out, v, dims);
  }
  return make<ReshapeOp>(out, v);
}

} // namespace nuri
