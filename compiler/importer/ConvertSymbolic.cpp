//===- ConvertSymbolic.cpp - shape arithmetic on symbolic dimensions ------===//
//
// A graph input whose dimension is named but not fixed (a batch, a sequence
// length) is imported with `?` there, and the model is compiled once for
// every size. Exporters compute shapes from such dimensions with ops
// (Shape -> Gather -> Unsqueeze -> Concat -> Reshape); ONNX Runtime
// evaluates them on the fly. Here they are evaluated at import time on
// *symbolic values*: small integer tensors whose elements are each a
// constant or an `index` value (tensor.dim of a graph input and arith on
// it). `x.view(b, s, h, d)` then becomes a reshape to [?, ?, h, d] whose
// two `?` are those index values, and what is constant stays constant.
//
// The wrappers below run before the static converters: they take a node
// when one of its inputs is symbolic (or, for Shape, Flatten, Reshape and
// Expand, has a symbolic dimension) and hand every other node on.
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/ImporterContext.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::nuri;

namespace nuri {
namespace {

using Elems = SmallVector<SymDim>;

bool isSymbolicTensor(NodeContext &c, Value v) {
  return v && c.symbolic && c.symbolic->count(v);
}

/// Elements of input i when it is symbolic or a small integer constant.
std::optional<Elems> elemsOf(NodeContext &c, int i) {
  Value v = c.input(i);
  if (!v)
    return std::nullopt;
  if (isSymbolicTensor(c, v))
    return c.symbolic->lookup(v);
  auto attr = c.constantInput(i);
  if (!attr || !isa<IntegerType>(attr.getElementType()) || attr.getNumElements() > 64)
    return std::nullopt;
  Elems e;
  for (APInt x : attr.getValues<APInt>())
    e.push_back({x.getSExtValue(), Value()});
  return e;
}

Value indexValue(NodeContext &c, const SymDim &d) {
  if (d.dim)
    return d.dim;
  return arith::ConstantIndexOp::create(c.b, c.loc(), d.value);
}

/// The symbolic value of a binary integer op on two elements.
SymDim combine(NodeContext &c, StringRef op, const SymDim &x, const SymDim &y) {
  if (!x.dim && !y.dim) {
    int64_t a = x.value, b = y.value;
    if (op == "Add")
      return {a + b, Value()};
    if (op == "Sub")
      return {a - b, Value()};
    if (op == "Mul")
      return {a * b, Value()};
    return {b ? a / b : 0, Value()}; // Div by zero is rejected by the caller
  }
  if (op == "Mul" && ((!x.dim && x.value == 1) || (!y.dim && y.value == 1)))
    return x.dim ? x : y;
  Value a = indexValue(c, x), b = indexValue(c, y);
  Value r;
  if (op == "Add")
    r = c.b.createOrFold<arith::AddIOp>(c.loc(), a, b);
  else if (op == "Sub")
    r = c.b.createOrFold<arith::SubIOp>(c.loc(), a, b);
  else if (op == "Mul")
    r = c.b.createOrFold<arith::MulIOp>(c.loc(), a, b);
  else
    r = c.b.createOrFold<arith::DivSIOp>(c.loc(), a, b);
  if (auto k = getConstantIntValue(r))
    return {*k, Value()};
  return {0, r};
}

/// A tensor of type `type` holding `elems`, and its symbolic value.
void setSymbolicOutput(NodeContext &c, int i, const Elems &elems, RankedTensorType type) {
  if (llvm::all_of(elems, [](const SymDim &d) { return !d.dim; })) {
    SmallVector<APInt> v;
    unsigned bits = type.getElementType().getIntOrFloatBitWidth();
    for (const SymDim &d : elems)
      v.push_back(APInt(bits, d.value, /*isSigned=*/true));
    c.setOutput(i, c.constant(DenseElementsAttr::get(type, v)));
    return;
  }
  SmallVector<Value> scalars;
  for (const SymDim &d : elems)
    scalars.push_back(
        arith::IndexCastOp::create(c.b, c.loc(), type.getElementType(), indexValue(c, d)));
  Value t = tensor::FromElementsOp::create(c.b, c.loc(), type, scalars);
  c.setOutput(i, t);
  (*c.symbolic)[t] = elems;
}

SymDim dimOf(NodeContext &c, Value v, int64_t d) {
  auto t = typeOf(v);
  if (!t.isDynamicDim(d))
    return {t.getDimSize(d), Value()};
  Value dim = c.b.createOrFold<tensor::DimOp>(c.loc(), v, d);
  return {0, dim};
}

/// Splits `dims` into a type's shape and the values of its `?` entries.
std::pair<SmallVector<int64_t>, SmallVector<Value>> splitDims(const Elems &dims) {
  SmallVector<int64_t> shape;
  SmallVector<Value> dyn;
  for (const SymDim &d : dims) {
    shape.push_back(d.dim ? ShapedType::kDynamic : d.value);
    if (d.dim)
      dyn.push_back(d.dim);
  }
  return {shape, dyn};
}

bool isSymbolicShaped(Value v) {
  auto t = dyn_cast_or_null<RankedTensorType>(v ? v.getType() : Type());
  return t && !t.hasStaticShape();
}

Value reshapeToDims(NodeContext &c, Value x, const Elems &dims) {
  auto [shape, dyn] = splitDims(dims);
  auto type = typeOf(x).clone(shape);
  if (dyn.empty())
    return c.reshape(x, shape);
  return ReshapeOp::create(c.b, c.loc(), type, x, dyn);
}

/// Reshape (and Flatten) of data with symbolic dimensions, or to a shape
/// holding them.
LogicalResult reshapeSymbolic(NodeContext &c, Value x, const Elems &spec, bool allowZero) {
  auto in = typeOf(x);
  Elems out;
  int64_t inferAt = -1;
  SymDim known{1, Value()}, total{1, Value()};
  for (int64_t d = 0; d < in.getRank(); ++d)
    total = combine(c, "Mul", total, dimOf(c, x, d));
  for (size_t i = 0; i < spec.size(); ++i) {
    SymDim d = spec[i];
    if (!d.dim && d.value == 0 && !allowZero) {
      if ((int64_t)i >= in.getRank())
        return c.fail("shape entry 0 copies a dimension the input lacks");
      d = dimOf(c, x, i);
    }
    if (!d.dim && d.value == -1) {
      if (inferAt >= 0)
        return c.fail("shape has more than one -1");
      inferAt = i;
      out.push_back({1, Value()});
      continue;
    }
    if (!d.dim && d.value < 0)
      return c.fail("negative shape entry " + std::to_string(d.value));
    known = combine(c, "Mul", known, d);
    out.push_back(d);
  }
  if (inferAt >= 0) {
    if (!known.dim && known.value == 0)
      return c.fail("cannot infer the -1 dimension");
    out[inferAt] = combine(c, "Div", total, known);
  }
  c.setOutput(0, reshapeToDims(c, x, out));
  return success();
}

/// The broadcast of x to `shape` (ONNX Expand; ConstantOfShape of a scalar).
Value expandTo(NodeContext &c, Value x, const Elems &shape) {
  auto t = typeOf(x);
  int64_t rank = std::max<int64_t>(t.getRank(), shape.size());
  Elems out;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t k = d - (rank - t.getRank()), s = d - (rank - (int64_t)shape.size());
    SymDim xd = k >= 0 ? dimOf(c, x, k) : SymDim{1, Value()};
    SymDim sd = s >= 0 ? shape[s] : SymDim{1, Value()};
    if (!sd.dim && sd.value == 1)
      out.push_back(xd);
    else if (!xd.dim && xd.value == 1)
      out.push_back(sd);
    else
      out.push_back(xd.dim && !sd.dim ? sd : xd); // equal, or ONNX rejects the model
  }
  auto [dims, dyn] = splitDims(out);
  if (ArrayRef<int64_t>(dims) == t.getShape() && dyn.size() <= 1)
    return x;
  return BroadcastToOp::create(c.b, c.loc(), t.clone(dims), x, dyn);
}

/// Symbolic Shape, Gather, Concat, Slice, arithmetic and the ops that only
/// move a symbolic tensor's elements. Returns true when it took the node.
FailureOr<bool> convertSymbolicValue(NodeContext &c, StringRef op, const Converter &base) {
  auto outTypeLike = [&](Value v, ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, typeOf(v).getElementType());
  };
  if (op == "Shape") {
    Value x = c.input(0);
    if (!isSymbolicShaped(x))
      return false;
    int64_t rank = typeOf(x).getRank();
    int64_t start = c.attrInt("start", 0), end = c.attrInt("end", rank);
    start = std::clamp<int64_t>(normAxis(start, rank), 0, rank);
    end = std::clamp<int64_t>(normAxis(end, rank), 0, rank);
    Elems e;
    for (int64_t d = start; d < end; ++d)
      e.push_back(dimOf(c, x, d));
    setSymbolicOutput(c, 0, e,
                      RankedTensorType::get({(int64_t)e.size()}, c.b.getIntegerType(64)));
    return true;
  }
  if (op == "Size") {
    Value x = c.input(0);
    if (!isSymbolicShaped(x))
      return false;
    SymDim n{1, Value()};
    for (int64_t d = 0; d < typeOf(x).getRank(); ++d)
      n = combine(c, "Mul", n, dimOf(c, x, d));
    setSymbolicOutput(c, 0, {n}, RankedTensorType::get({}, c.b.getIntegerType(64)));
    return true;
  }
  bool anySymbolic = false;
  for (int i = 0; i < c.numInputs(); ++i)
    anySymbolic |= isSymbolicTensor(c, c.input(i));
  if (!anySymbolic)
    return false;
  Value x = c.input(0);
  if (op == "Gather") {
    auto data = elemsOf(c, 0), idx = elemsOf(c, 1);
    auto idxConst = c.constantInput(1);
    if (!data || !idxConst || typeOf(x).getRank() != 1)
      return false;
    Elems e;
    for (const SymDim &i : *idx) {
      int64_t k = i.value < 0 ? i.value + (int64_t)data->size() : i.value;
      if (k < 0 || k >= (int64_t)data->size())
        return c.fail("index " + std::to_string(i.value) + " out of range");
      e.push_back((*data)[k]);
    }
    setSymbolicOutput(c, 0, e, outTypeLike(x, typeOf(c.input(1)).getShape()));
    return true;
  }
  if (op == "Concat") {
    Elems e;
    for (int i = 0; i < c.numInputs(); ++i) {
      auto part = elemsOf(c, i);
      if (!part || typeOf(c.input(i)).getRank() != 1)
        return false;
      e.append(*part);
    }
    setSymbolicOutput(c, 0, e, outTypeLike(x, {(int64_t)e.size()}));
    return true;
  }
  if (op == "Slice" && c.opset >= 10) {
    auto data = elemsOf(c, 0);
    auto starts = c.intsInput(1), ends = c.intsInput(2);
    if (!data || typeOf(x).getRank() != 1 || failed(starts) || failed(ends) ||
        starts->size() != 1 || ends->size() != 1)
      return false;
    int64_t step = 1;
    if (c.input(4)) {
      auto s = c.intsInput(4);
      if (failed(s) || s->size() != 1)
        return false;
      step = (*s)[0];
    }
    if (step < 1)
      return false;
    int64_t n = data->size(), s = (*starts)[0], e = (*ends)[0];
    s = std::clamp<int64_t>(s < 0 ? s + n : s, 0, n);
    e = std::clamp<int64_t>(e < 0 ? e + n : e, 0, n);
    Elems out;
    for (int64_t k = s; k < e; k += step)
      out.push_back((*data)[k]);
    setSymbolicOutput(c, 0, out, outTypeLike(x, {(int64_t)out.size()}));
    return true;
  }
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    auto a = elemsOf(c, 0), b = elemsOf(c, 1);
    if (!a || !b || !isa<IntegerType>(typeOf(x).getElementType()))
      return false;
    size_t n = std::max(a->size(), b->size());
    if ((a->size() != n && a->size() != 1) || (b->size() != n && b->size() != 1))
      return false;
    Elems e;
    for (size_t k = 0; k < n; ++k) {
      const SymDim &p = (*a)[a->size() == 1 ? 0 : k], &q = (*b)[b->size() == 1 ? 0 : k];
      if (op == "Div" && !q.dim && q.value == 0)
        return c.fail("integer division by zero in a shape computation");
      e.push_back(combine(c, op, p, q));
    }
    auto shape = broadcastShapes(typeOf(x).getShape(), typeOf(c.input(1)).getShape());
    if (failed(shape))
      return false;
    setSymbolicOutput(c, 0, e, outTypeLike(x, *shape));
    return true;
  }
  if (op == "Equal") {
    auto a = elemsOf(c, 0), b = elemsOf(c, 1);
    if (!a || !b || a->size() != b->size())
      return false;
    // A dimension is never negative: comparing one with -1 (torch's
    // "keep this dimension" in expand) is false.
    SmallVector<bool> v;
    for (size_t k = 0; k < a->size(); ++k) {
      const SymDim &p = (*a)[k], &q = (*b)[k];
      if (!p.dim && !q.dim)
        v.push_back(p.value == q.value);
      else if (p.dim && q.dim && p.dim == q.dim)
        v.push_back(true);
      else if ((p.dim && !q.dim && q.value < 0) || (q.dim && !p.dim && p.value < 0))
        v.push_back(false);
      else
        return false;
    }
    auto shape = broadcastShapes(typeOf(x).getShape(), typeOf(c.input(1)).getShape());
    if (failed(shape))
      return false;
    c.setOutput(0, c.constant(DenseElementsAttr::get(
                       RankedTensorType::get(*shape, c.b.getI1Type()), ArrayRef<bool>(v))));
    return true;
  }
  if (op == "Where") {
    auto cond = c.constantInput(0);
    auto a = elemsOf(c, 1), b = elemsOf(c, 2);
    if (!cond || !a || !b)
      return false;
    SmallVector<bool> pick(cond.getValues<bool>());
    size_t n = std::max({pick.size(), a->size(), b->size()});
    Elems e;
    for (size_t k = 0; k < n; ++k) {
      bool p = pick[pick.size() == 1 ? 0 : k];
      const Elems &src = p ? *a : *b;
      if (src.size() != n && src.size() != 1)
        return false;
      e.push_back(src[src.size() == 1 ? 0 : k]);
    }
    setSymbolicOutput(c, 0, e, outTypeLike(c.input(1), {(int64_t)n}));
    return true;
  }
  // Ops that keep the elements in order: the static converter computes the
  // result's type (its op on the materialized tensor is left dead).
  if (op == "Unsqueeze" || op == "Squeeze" || op == "Reshape" || op == "Flatten" ||
      op == "Identity" || op == "Cast") {
    auto e = elemsOf(c, 0);
    if (!e || !isSymbolicTensor(c, x))
      return false;
    if (op == "Cast") {
      auto to = onnxElementType(*c.b.getContext(), c.attrInt("to", 0));
      if (!to || !isa<IntegerType>(to) || to.isInteger(1))
        return false;
      setSymbolicOutput(c, 0, *e, RankedTensorType::get(typeOf(x).getShape(), to));
      return true;
    }
    // The converter this one wraps sees the tensor only.
    if (failed(base(c)))
      return failure();
    Value out = c.scope()[c.node.output(0)];
    setSymbolicOutput(c, 0, *e, typeOf(out));
    return true;
  }
  return false;
}

/// Nodes that take a shape: Reshape, Expand, ConstantOfShape, Range,
/// Flatten, when the shape (or the data) is symbolic.
FailureOr<bool> convertSymbolicShaped(NodeContext &c, StringRef op) {
  if (op == "Reshape" && c.opset >= 5) {
    auto spec = elemsOf(c, 1);
    if (!spec || !(isSymbolicTensor(c, c.input(1)) || isSymbolicShaped(c.input(0))))
      return false;
    if (failed(reshapeSymbolic(c, c.input(0), *spec, c.attrInt("allowzero", 0))))
      return failure();
    return true;
  }
  if (op == "Flatten") {
    Value x = c.input(0);
    if (!isSymbolicShaped(x))
      return false;
    int64_t rank = typeOf(x).getRank();
    int64_t axis = normAxis(c.attrInt("axis", 1), rank);
    if (axis < 0 || axis > rank)
      return c.fail("axis out of range");
    SymDim outer{1, Value()}, inner{1, Value()};
    for (int64_t d = 0; d < rank; ++d)
      (d < axis ? outer : inner) = combine(c, "Mul", d < axis ? outer : inner, dimOf(c, x, d));
    c.setOutput(0, reshapeToDims(c, x, {outer, inner}));
    return true;
  }
  if (op == "Expand") {
    auto shape = elemsOf(c, 1);
    if (!shape || !(isSymbolicTensor(c, c.input(1)) || isSymbolicShaped(c.input(0))))
      return false;
    c.setOutput(0, expandTo(c, c.input(0), *shape));
    return true;
  }
  if (op == "ConstantOfShape") {
    auto shape = elemsOf(c, 0);
    if (!shape || !isSymbolicTensor(c, c.input(0)))
      return false;
    auto value = constantOfShapeValue(c);
    if (failed(value))
      return failure();
    auto scalarType = RankedTensorType::get({}, value->getElementType());
    Value scalar = c.constant(value->isSplat() ? value->resizeSplat(scalarType)
                                               : DenseElementsAttr::get(scalarType, value->getValues<Attribute>()[0]));
    c.setOutput(0, expandTo(c, scalar, *shape));
    return true;
  }
  if (op == "Range") {
    auto start = elemsOf(c, 0), limit = elemsOf(c, 1), delta = elemsOf(c, 2);
    if (!start || !limit || !delta || start->size() != 1 || limit->size() != 1 ||
        delta->size() != 1)
      return false;
    if (!isSymbolicTensor(c, c.input(0)) && !isSymbolicTensor(c, c.input(1)) &&
        !isSymbolicTensor(c, c.input(2)))
      return false;
    SymDim s = (*start)[0], l = (*limit)[0], d = (*delta)[0];
    if (s.dim || d.dim || d.value == 0)
      return c.fail("Range on a symbolic dimension needs a constant start and a non-zero "
                    "constant delta");
    // max(ceil((limit - start) / delta), 0)
    Value span = indexValue(c, combine(c, "Sub", l, s));
    Value n = arith::CeilDivSIOp::create(c.b, c.loc(), span,
                                         arith::ConstantIndexOp::create(c.b, c.loc(), d.value));
    n = arith::MaxSIOp::create(c.b, c.loc(), n, arith::ConstantIndexOp::create(c.b, c.loc(), 0));
    auto type = RankedTensorType::get({ShapedType::kDynamic}, typeOf(c.input(1)).getElementType());
    c.setOutput(0, IotaOp::create(c.b, c.loc(), type, n, s.value, d.value));
    return true;
  }
  return false;
}

} // namespace

bool takesSymbolicInputs(const std::string &op) {
  static const std::set<std::string> ops = {
      "MatMul", "Gemm", "Conv", "MaxPool", "AveragePool", "GlobalAveragePool",
      "GlobalMaxPool", "BatchNormalization", "Flatten", "Reshape", "Transpose", "Softmax",
      "LayerNormalization", "Split", "Slice", "Gather", "Concat", "Unsqueeze", "Squeeze",
      "Shape", "Size", "Expand", "Dropout", "ReduceMean", "ReduceSum", "ReduceMax", "Gelu"};
  return ops.count(op) || elementwiseOps().count(op);
}

void registerSymbolicConverters(ConverterMap &table) {
  for (const char *op : {"Shape", "Size", "Gather", "Concat", "Slice", "Add", "Sub", "Mul", "Div",
                         "Equal", "Where", "Unsqueeze", "Squeeze", "Reshape", "Flatten",
                         "Identity", "Cast", "Expand", "ConstantOfShape", "Range"}) {
    auto it = table.find(op);
    if (it == table.end())
      continue;
    Converter base = it->second;
    std::string name = op;
    it->second = [base, name](NodeContext &c) -> LogicalResult {
      if (c.symbolic) {
        FailureOr<bool> took = convertSymbolicValue(c, name, base);
        if (failed(took))
          return failure();
        if (!*took)
          took = convertSymbolicShaped(c, name);
        if (failed(took))
          return failure();
        if (*took)
          return success();
        for (int i = 0; i < c.numInputs(); ++i)
          if (isSymbolicTensor(c, c.input(i)) && name != "Shape" && name != "Size")
            return c.fail("input '" + c.node.input(i) +
                          "' is computed from a symbolic dimension in a way this op cannot "
                          "take yet; give --input-shape to fix the dimension");
      }
      return base(c);
    };
  }
}

} // namespace nuri
