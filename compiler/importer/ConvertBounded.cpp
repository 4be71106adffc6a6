//===- ConvertBounded.cpp - data movement on tensors of run-time shape ----===//
//
// A detector's post-processing chains ops on tensors whose shape is known
// only at run time: NonZero -> Transpose -> GatherND (boolean indexing),
// NonMaxSuppression on the boxes kept, Gather of a column, Slice to the top k,
// Gather of the boxes by the result, scaling and Concat into one table.
// Those tensors are bounded: their data
// sits compactly at the start of a static 1-D buffer (see RuntimeShape) whose
// capacity is known at compile time. Each converter here computes, for every
// position of its result's buffer, which element of its inputs it takes: the
// coordinates come from the run-time dims (int64 arithmetic on [1] tensors),
// and one nuri.gather reads the element. Everything stays static-shaped, so
// these are ordinary kernels that may pass such tensors from one to the
// next; positions past the run-time size read a clamped, valid index and
// hold values nobody reads.
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/ImporterContext.h"

#include <limits>
#include <set>

using namespace mlir;
using namespace mlir::nuri;

namespace nuri {
namespace {

Value i64Const(NodeContext &c, ArrayRef<int64_t> values) {
  return c.constant(i64Tensor(c.b.getContext(), values));
}
Value one64(NodeContext &c, int64_t v) { return i64Const(c, {v}); }

/// A tensor as compact data in a static 1-D buffer with its dims: a
/// run-time-shaped tensor as recorded, a static one flattened.
struct Bounded {
  Value data;                 // tensor<CAPxT>
  SmallVector<Value> dims;    // int64[1] each
  SmallVector<int64_t> known; // compile-time dims, -1 where run-time
  int64_t cap() const { return typeOf(data).getDimSize(0); }
  int64_t rank() const { return known.size(); }
};

bool isBounded(NodeContext &c, Value v) {
  auto it = c.runtimeShapes->find(v);
  return it != c.runtimeShapes->end() && typeOf(v).getRank() == 1 && typeOf(v).hasStaticShape();
}

Bounded bounded(NodeContext &c, Value v) {
  Bounded b;
  auto it = c.runtimeShapes->find(v);
  if (it == c.runtimeShapes->end()) {
    auto t = typeOf(v);
    b.data = c.reshape(v, {t.getNumElements()});
    b.known.assign(t.getShape().begin(), t.getShape().end());
    for (int64_t d : t.getShape())
      b.dims.push_back(one64(c, d));
    return b;
  }
  b.data = v;
  b.known = it->second.shape;
  for (int64_t k = 0; k < b.rank(); ++k)
    b.dims.push_back(b.known[k] >= 0 ? one64(c, b.known[k])
                                     : c.make<GatherOp>(it->second.dims, one64(c, k), int64_t(0)));
  return b;
}

Value iota(NodeContext &c, int64_t n) { return iotaConstant(c, n); }

Value product(NodeContext &c, ArrayRef<Value> dims) {
  Value p = one64(c, 1);
  for (Value d : dims)
    p = c.make<MulOp>(p, d);
  return p;
}

/// Row-major coordinates of positions `linear` (int64[n]) in a tensor of
/// `dims`; a zero dimension divides as one so that no kernel divides by zero.
SmallVector<Value> coordsOf(NodeContext &c, Value linear, ArrayRef<Value> dims) {
  SmallVector<Value> coords(dims.size());
  Value rest = linear;
  for (int64_t d = (int64_t)dims.size() - 1; d >= 0; --d) {
    Value size = c.make<MaxOp>(dims[d], one64(c, 1));
    coords[d] = c.make<ModOp>(rest, size, c.b.getBoolAttr(false));
    rest = c.make<DivOp>(rest, size);
  }
  return coords;
}

Value linearOf(NodeContext &c, ArrayRef<Value> coords, ArrayRef<Value> dims) {
  Value linear = one64(c, 0);
  for (auto [x, d] : llvm::zip(coords, dims))
    linear = c.make<AddOp>(c.make<MulOp>(linear, d), x);
  return linear;
}

/// The elements of `in` at positions `linear`, clamped into its buffer.
Value take(NodeContext &c, const Bounded &in, Value linear) {
  if (in.cap() == 0) {
    // An empty operand: nothing valid reads it; the positions get zeros.
    auto t = RankedTensorType::get(typeOf(linear).getShape(), typeOf(in.data).getElementType());
    return c.constant(DenseElementsAttr::get(t, c.b.getZeroAttr(t.getElementType())));
  }
  Value safe = c.make<MinOp>(c.make<MaxOp>(linear, one64(c, 0)), one64(c, in.cap() - 1));
  return c.make<GatherOp>(in.data, safe, int64_t(0));
}

/// Output i: static when every dimension is known, else bounded.
void setResult(NodeContext &c, int i, Value data, ArrayRef<Value> dims, ArrayRef<int64_t> known) {
  if (llvm::all_of(known, [](int64_t d) { return d >= 0; })) {
    int64_t n = 1;
    for (int64_t d : known)
      n *= d;
    Value prefix = n == typeOf(data).getDimSize(0)
                       ? data
                       : c.make<SliceOp>(data, ArrayRef<int64_t>{0}, ArrayRef<int64_t>{n},
                                         ArrayRef<int64_t>{1});
    c.setOutput(i, c.reshape(prefix, known));
    return;
  }
  Value all = dims.empty()       ? i64Const(c, {})
              : dims.size() == 1 ? dims[0]
                                 : c.make<ConcatOp>(dims, int64_t(0));
  // Shapes are recorded per value: a reshape of the same data needs a value
  // of its own (an identity reshape, folded away after import).
  if (c.runtimeShapes->count(data))
    data = ReshapeOp::create(c.b, c.loc(), data.getType(), data);
  c.setRuntimeShapedOutput(i, data, all, known);
}

FailureOr<SmallVector<int64_t>> constInts(NodeContext &c, int i, const char *what) {
  if (!c.input(i))
    return SmallVector<int64_t>();
  auto v = c.intsInput(i);
  if (failed(v))
    return c.fail(std::string(what) + " must be constant on a tensor of run-time shape");
  return v;
}

LogicalResult transposeBounded(NodeContext &c) {
  Bounded x = bounded(c, c.input(0));
  SmallVector<int64_t> perm = c.attrInts("perm");
  if (perm.empty())
    for (int64_t d = x.rank() - 1; d >= 0; --d)
      perm.push_back(d);
  if ((int64_t)perm.size() != x.rank())
    return c.fail("perm must have one entry per dimension");
  SmallVector<Value> dims;
  SmallVector<int64_t> known;
  for (int64_t p : perm) {
    if (p < 0 || p >= x.rank())
      return c.fail("perm entry " + std::to_string(p) + " is out of range");
    dims.push_back(x.dims[p]);
    known.push_back(x.known[p]);
  }
  SmallVector<Value> out = coordsOf(c, iota(c, x.cap()), dims);
  SmallVector<Value> in(x.rank());
  for (auto [k, p] : llvm::enumerate(perm))
    in[p] = out[k];
  setResult(c, 0, take(c, x, linearOf(c, in, x.dims)), dims, known);
  return success();
}

/// Unsqueeze, Squeeze, Reshape, Flatten: the data stays, the dims change.
LogicalResult reshapeBounded(NodeContext &c) {
  Bounded x = bounded(c, c.input(0));
  const std::string &op = c.node.op_type();
  SmallVector<Value> dims;
  SmallVector<int64_t> known;
  if (op == "Unsqueeze" || op == "Squeeze") {
    auto axesOr = c.opset >= 13 ? constInts(c, 1, "axes")
                                : FailureOr<SmallVector<int64_t>>(c.attrInts("axes"));
    if (failed(axesOr))
      return failure();
    int64_t rank = op == "Unsqueeze" ? x.rank() + axesOr->size() : x.rank();
    SmallVector<bool> hit(rank, false);
    for (int64_t a : *axesOr) {
      a = normAxis(a, rank);
      if (a < 0 || a >= rank || hit[a])
        return c.fail("axis " + std::to_string(a) + " is out of range or repeated");
      hit[a] = true;
    }
    if (op == "Squeeze" && axesOr->empty())
      for (int64_t d = 0; d < rank; ++d) {
        if (x.known[d] < 0)
          return c.fail("Squeeze without axes on a tensor of run-time shape");
        hit[d] = x.known[d] == 1;
      }
    for (int64_t d = 0, next = 0; d < rank; ++d) {
      if (op == "Unsqueeze") {
        dims.push_back(hit[d] ? one64(c, 1) : x.dims[next]);
        known.push_back(hit[d] ? 1 : x.known[next]);
        next += !hit[d];
      } else if (!hit[d]) {
        dims.push_back(x.dims[d]);
        known.push_back(x.known[d]);
      } else if (x.known[d] > 1) {
        return c.fail("cannot squeeze dimension " + std::to_string(d) + " of size " +
                      std::to_string(x.known[d]));
      }
    }
  } else if (op == "Flatten") {
    int64_t axis = normAxis(c.attrInt("axis", 1), x.rank());
    if (axis < 0 || axis > x.rank())
      return c.fail("axis is out of range");
    dims = {product(c, ArrayRef<Value>(x.dims).take_front(axis)),
            product(c, ArrayRef<Value>(x.dims).drop_front(axis))};
    known = {-1, -1};
  } else { // Reshape
    auto shape = constInts(c, 1, "the shape");
    if (failed(shape))
      return failure();
    int64_t inferred = -1;
    for (auto [d, s] : llvm::enumerate(*shape)) {
      if (s == 0 && !c.attrInt("allowzero", 0)) {
        if ((int64_t)d >= x.rank())
          return c.fail("shape entry 0 has no input dimension to copy");
        dims.push_back(x.dims[d]);
        known.push_back(x.known[d]);
      } else if (s == -1) {
        if (inferred >= 0)
          return c.fail("more than one -1 in the shape");
        inferred = d;
        dims.push_back(Value());
        known.push_back(-1);
      } else if (s < 0) {
        return c.fail("negative shape entry " + std::to_string(s));
      } else {
        dims.push_back(one64(c, s));
        known.push_back(s);
      }
    }
    if (inferred >= 0) {
      SmallVector<Value> others;
      for (Value d : dims)
        if (d)
          others.push_back(d);
      dims[inferred] =
          c.make<DivOp>(product(c, x.dims), c.make<MaxOp>(product(c, others), one64(c, 1)));
    }
  }
  setResult(c, 0, x.data, dims, known);
  return success();
}

/// Slice with constant starts/ends/axes/steps; clamped against the run-time
/// dims as ONNX defines.
LogicalResult sliceBounded(NodeContext &c) {
  Bounded x = bounded(c, c.input(0));
  auto starts = constInts(c, 1, "starts"), ends = constInts(c, 2, "ends"),
       axes = constInts(c, 3, "axes"), steps = constInts(c, 4, "steps");
  if (failed(starts) || failed(ends) || failed(axes) || failed(steps))
    return failure();
  if (starts->size() != ends->size())
    return c.fail("starts and ends differ in length");
  if (axes->empty())
    for (size_t i = 0; i < starts->size(); ++i)
      axes->push_back(i);
  if (steps->empty())
    steps->assign(starts->size(), 1);
  SmallVector<Value> dims(x.dims), first(x.rank(), one64(c, 0)), stride(x.rank(), one64(c, 1));
  SmallVector<int64_t> known(x.known);
  auto clamp = [&](Value v, Value lo, Value hi) { return c.make<MinOp>(c.make<MaxOp>(v, lo), hi); };
  for (size_t i = 0; i < axes->size(); ++i) {
    int64_t a = normAxis((*axes)[i], x.rank()), step = (*steps)[i];
    if (a < 0 || a >= x.rank() || step == 0)
      return c.fail("bad axis or zero step");
    Value d = x.dims[a];
    auto norm = [&](int64_t v) {
      Value s = one64(c, std::clamp<int64_t>(v, -(int64_t(1) << 62), int64_t(1) << 62));
      return v < 0 ? c.make<AddOp>(s, d) : s;
    };
    Value s = norm((*starts)[i]), e = norm((*ends)[i]);
    Value count;
    if (step > 0) {
      s = clamp(s, one64(c, 0), d);
      e = clamp(e, one64(c, 0), d);
      count = c.make<DivOp>(c.make<AddOp>(c.make<SubOp>(e, s), one64(c, step - 1)), one64(c, step));
    } else {
      s = clamp(s, one64(c, 0), c.make<SubOp>(d, one64(c, 1)));
      e = clamp(e, one64(c, -1), c.make<SubOp>(d, one64(c, 1)));
      count =
          c.make<DivOp>(c.make<AddOp>(c.make<SubOp>(s, e), one64(c, -step - 1)), one64(c, -step));
    }
    dims[a] = c.make<MaxOp>(count, one64(c, 0));
    first[a] = s;
    stride[a] = one64(c, step);
    known[a] = -1;
  }
  SmallVector<Value> out = coordsOf(c, iota(c, x.cap()), dims);
  for (int64_t d = 0; d < x.rank(); ++d)
    out[d] = c.make<AddOp>(first[d], c.make<MulOp>(out[d], stride[d]));
  setResult(c, 0, take(c, x, linearOf(c, out, x.dims)), dims, known);
  return success();
}

/// The index values of `idx` at `linear`, made non-negative against `dim`.
Value indexValues(NodeContext &c, const Bounded &idx, Value linear, Value dim) {
  Value v = take(c, idx, linear);
  if (!typeOf(v).getElementType().isInteger(64))
    v = c.make<CastOp>(v, TypeAttr::get(c.b.getI64Type()), c.b.getBoolAttr(true));
  return c.make<WhereOp>(c.make<LessOp>(v, one64(c, 0)), c.make<AddOp>(v, dim), v);
}

LogicalResult gatherBounded(NodeContext &c) {
  Bounded data = bounded(c, c.input(0)), idx = bounded(c, c.input(1));
  int64_t axis = normAxis(c.attrInt("axis", 0), data.rank());
  if (axis < 0 || axis >= data.rank())
    return c.fail("axis is out of range");
  SmallVector<Value> dims(ArrayRef<Value>(data.dims).take_front(axis));
  SmallVector<int64_t> known(ArrayRef<int64_t>(data.known).take_front(axis));
  llvm::append_range(dims, idx.dims);
  llvm::append_range(known, idx.known);
  llvm::append_range(dims, ArrayRef<Value>(data.dims).drop_front(axis + 1));
  llvm::append_range(known, ArrayRef<int64_t>(data.known).drop_front(axis + 1));
  // Each index takes a slice of data / dim(axis) elements.
  int64_t slice = data.known[axis] > 0 ? data.cap() / data.known[axis] : data.cap();
  int64_t cap = std::max<int64_t>(slice * idx.cap(), 1);
  SmallVector<Value> out = coordsOf(c, iota(c, cap), dims);
  ArrayRef<Value> outs(out);
  Value at =
      indexValues(c, idx, linearOf(c, outs.slice(axis, idx.rank()), idx.dims), data.dims[axis]);
  SmallVector<Value> in(outs.take_front(axis));
  in.push_back(at);
  llvm::append_range(in, outs.drop_front(axis + idx.rank()));
  setResult(c, 0, take(c, data, linearOf(c, in, data.dims)), dims, known);
  return success();
}

LogicalResult gatherNDBounded(NodeContext &c) {
  Bounded data = bounded(c, c.input(0)), idx = bounded(c, c.input(1));
  if (c.attrInt("batch_dims", 0) != 0)
    return c.fail("batch_dims must be 0 on tensors of run-time shape");
  int64_t k = idx.rank() ? idx.known.back() : -1;
  if (k < 1 || k > data.rank())
    return c.fail("the indices' last dimension must be known and at most the data's rank");
  SmallVector<Value> dims(ArrayRef<Value>(idx.dims).drop_back());
  SmallVector<int64_t> known(ArrayRef<int64_t>(idx.known).drop_back());
  llvm::append_range(dims, ArrayRef<Value>(data.dims).drop_front(k));
  llvm::append_range(known, ArrayRef<int64_t>(data.known).drop_front(k));
  int64_t slice = 1;
  for (int64_t d : ArrayRef<int64_t>(data.known).drop_front(k))
    slice = d >= 0 && slice >= 0 ? slice * d : -1;
  int64_t cap = std::max<int64_t>((idx.cap() / k) * (slice >= 0 ? slice : data.cap()), 1);
  SmallVector<Value> out = coordsOf(c, iota(c, cap), dims);
  ArrayRef<Value> outs(out);
  int64_t lead = idx.rank() - 1;
  Value tuple = c.make<MulOp>(
      linearOf(c, outs.take_front(lead), ArrayRef<Value>(idx.dims).drop_back()), one64(c, k));
  SmallVector<Value> in;
  for (int64_t j = 0; j < k; ++j)
    in.push_back(indexValues(c, idx, c.make<AddOp>(tuple, one64(c, j)), data.dims[j]));
  llvm::append_range(in, outs.drop_front(lead));
  setResult(c, 0, take(c, data, linearOf(c, in, data.dims)), dims, known);
  return success();
}

/// Runs the static converter `convert` on c's node with inputs `replaced`
/// (input index -> value) instead of its own; returns its outputs. Its
/// results are not bound in c's scope: the caller binds what it makes of them.
FailureOr<SmallVector<Value>> runStatic(NodeContext &c, const Converter &convert,
                                        const std::map<int, Value> &replaced) {
  onnx::NodeProto node = c.node;
  std::map<std::string, Value> scope = c.scope();
  for (auto [i, v] : replaced) {
    while (node.input_size() <= i)
      node.add_input("");
    std::string name = "__bounded_input_" + std::to_string(i);
    node.set_input(i, name);
    scope[name] = v;
  }
  std::string error;
  NodeContext inner(c.b, c.loc(), node, c.opset, scope, error);
  inner.runtimeShapes = c.runtimeShapes;
  if (failed(convert(inner))) {
    (void)c.fail(error);
    return failure();
  }
  SmallVector<Value> outs;
  for (int k = 0; k < node.output_size(); ++k)
    outs.push_back(inner.outputUsed(k) && scope.count(node.output(k)) ? scope[node.output(k)]
                                                                      : Value());
  return outs;
}

/// NonMaxSuppression on boxes whose count is known at run time: the boxes
/// and scores are laid out at their capacity, the padding scored -inf, and
/// the score threshold raised to the lowest float so that padding is never
/// selected (a real box scored -inf is not selected either; ONNX Runtime
/// would consider it).
LogicalResult nmsBounded(NodeContext &c, const Converter &staticNMS) {
  Bounded boxes = bounded(c, c.input(0)), scores = bounded(c, c.input(1));
  if (boxes.rank() != 3 || scores.rank() != 3 || boxes.known[0] < 0 || boxes.known[2] != 4 ||
      scores.known[0] < 0 || scores.known[1] < 0)
    return c.fail("boxes [B, n, 4] and scores [B, C, n] need known B, C on tensors of run-time "
                  "shape");
  int64_t B = boxes.known[0], C = scores.known[1];
  if (B < 1 || C < 1)
    return c.fail("boxes and scores need at least one batch and one class");
  int64_t n = std::min(boxes.cap() / (4 * B), scores.cap() / (B * C));
  auto padded = [&](const Bounded &in, ArrayRef<int64_t> shape, int countAxis, double pad) {
    int64_t total = 1;
    for (int64_t d : shape)
      total *= d;
    SmallVector<Value> staticDims;
    for (int64_t d : shape)
      staticDims.push_back(one64(c, d));
    SmallVector<Value> at = coordsOf(c, iota(c, total), staticDims);
    Value valid = c.make<LessOp>(at[countAxis], in.dims[countAxis]);
    Value v = take(c, in, linearOf(c, at, in.dims));
    Type et = typeOf(v).getElementType();
    return c.reshape(c.make<WhereOp>(valid, v, c.scalar(et, pad)), shape);
  };
  Value boxesIn = padded(boxes, {B, n, 4}, 1, 0.0);
  Value scoresIn = padded(scores, {B, C, n}, 2, -std::numeric_limits<double>::infinity());
  Type f32 = c.b.getF32Type();
  Value lowest = c.reshape(c.scalar(f32, std::numeric_limits<float>::lowest()), {1});
  Value threshold = c.input(4) ? c.make<MaxOp>(c.reshape(c.input(4), {1}), lowest) : lowest;
  auto outs = runStatic(c, staticNMS, {{0, boxesIn}, {1, scoresIn}, {4, threshold}});
  if (failed(outs))
    return failure();
  auto it = c.runtimeShapes->find((*outs)[0]);
  c.setRuntimeShapedOutput(0, it->first, it->second.dims, it->second.shape);
  return success();
}

/// Elementwise ops (numpy broadcasting) on bounded operands: each operand is
/// read at the broadcast position of every result position (a coordinate
/// modulo the operand's dimension, 1 or equal), then the op's own converter
/// runs on the aligned 1-D operands. A result dimension is the largest of
/// the operands' (broadcasting allows only equal ones and 1).
LogicalResult elementwiseBounded(NodeContext &c, const Converter &staticOp) {
  SmallVector<int> present;
  SmallVector<Bounded> ins;
  int64_t rank = 0;
  for (int i = 0; i < c.numInputs(); ++i)
    if (c.input(i)) {
      present.push_back(i);
      ins.push_back(bounded(c, c.input(i)));
      rank = std::max(rank, ins.back().rank());
    }
  SmallVector<Value> dims(rank);
  SmallVector<int64_t> known(rank);
  for (int64_t d = 0; d < rank; ++d) {
    Value dim;
    int64_t size = 1;
    bool allKnown = true;
    for (const Bounded &in : ins) {
      int64_t k = d - (rank - in.rank());
      if (k < 0)
        continue;
      dim = dim ? c.make<MaxOp>(dim, in.dims[k]) : in.dims[k];
      allKnown &= in.known[k] >= 0;
      size = std::max(size, in.known[k]);
    }
    known[d] = allKnown ? size : -1;
    dims[d] = allKnown ? one64(c, size) : dim;
  }
  // Each operand bounds the result by its capacity times the (known)
  // dimensions it is broadcast along.
  int64_t cap = std::numeric_limits<int64_t>::max();
  for (const Bounded &in : ins) {
    int64_t factor = 1;
    bool bounds = true;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t k = d - (rank - in.rank());
      if (k >= 0 && in.known[k] != 1)
        continue;
      if (known[d] < 0)
        bounds = false;
      else
        factor *= known[d];
    }
    if (bounds)
      cap = std::min(cap, std::max<int64_t>(in.cap() * factor, 1));
  }
  if (cap == std::numeric_limits<int64_t>::max())
    return c.fail("no operand bounds the result's size (a run-time dimension broadcast against 1)");
  SmallVector<Value> at = coordsOf(c, iota(c, cap), dims);
  std::map<int, Value> aligned;
  for (auto [i, in] : llvm::zip(present, ins)) {
    SmallVector<Value> own;
    for (int64_t k = 0; k < in.rank(); ++k)
      own.push_back(c.make<ModOp>(at[k + rank - in.rank()], c.make<MaxOp>(in.dims[k], one64(c, 1)),
                                  c.b.getBoolAttr(false)));
    aligned[i] = take(c, in, linearOf(c, own, in.dims));
  }
  auto outs = runStatic(c, staticOp, aligned);
  if (failed(outs))
    return failure();
  setResult(c, 0, (*outs)[0], dims, known);
  return success();
}

/// Concat of bounded operands: each result position takes the operand whose
/// run of the axis it falls in.
LogicalResult concatBounded(NodeContext &c) {
  SmallVector<Bounded> ins;
  for (int i = 0; i < c.numInputs(); ++i)
    if (c.input(i))
      ins.push_back(bounded(c, c.input(i)));
  int64_t rank = ins[0].rank();
  int64_t axis = normAxis(c.attrInt("axis", 0), rank);
  if (axis < 0 || axis >= rank)
    return c.fail("axis is out of range");
  SmallVector<Value> dims(ins[0].dims);
  SmallVector<int64_t> known(ins[0].known);
  int64_t cap = 0, axisKnown = 0;
  Value axisDim = one64(c, 0);
  for (const Bounded &in : ins) {
    if (in.rank() != rank ||
        typeOf(in.data).getElementType() != typeOf(ins[0].data).getElementType())
      return c.fail("inputs differ in rank or element type");
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && known[d] < 0 && in.known[d] >= 0) {
        known[d] = in.known[d];
        dims[d] = in.dims[d];
      }
    axisDim = c.make<AddOp>(axisDim, in.dims[axis]);
    axisKnown = axisKnown >= 0 && in.known[axis] >= 0 ? axisKnown + in.known[axis] : -1;
    cap += in.cap();
  }
  dims[axis] = axisKnown >= 0 ? one64(c, axisKnown) : axisDim;
  known[axis] = axisKnown;
  SmallVector<Value> at = coordsOf(c, iota(c, std::max<int64_t>(cap, 1)), dims);
  Value offset = one64(c, 0), result;
  for (const Bounded &in : ins) {
    SmallVector<Value> local(at);
    local[axis] = c.make<SubOp>(at[axis], offset);
    Value v = take(c, in, linearOf(c, local, in.dims));
    result = result ? c.make<WhereOp>(c.make<GreaterEqualOp>(at[axis], offset), v, result) : v;
    offset = c.make<AddOp>(offset, in.dims[axis]);
  }
  setResult(c, 0, result, dims, known);
  return success();
}

} // namespace

const std::set<std::string> &elementwiseOps() {
  static const std::set<std::string> ops = {"Add",         "Sub",
                                            "Mul",         "Div",
                                            "Pow",         "Neg",
                                            "Abs",         "Cos",
                                            "Sin",         "Tan",
                                            "Exp",         "Log",
                                            "Sqrt",        "Reciprocal",
                                            "Floor",       "Ceil",
                                            "Round",       "Relu",
                                            "Sigmoid",     "Tanh",
                                            "Erf",         "Cast",
                                            "Max",         "Min",
                                            "Sign",        "Not",
                                            "And",         "Or",
                                            "Xor",         "Equal",
                                            "Less",        "Greater",
                                            "LessOrEqual", "GreaterOrEqual",
                                            "Where",       "Identity"};
  return ops;
}

bool takesBoundedInputs(const std::string &op) {
  static const std::set<std::string> ops = {
      "Transpose", "Unsqueeze", "Squeeze",  "Reshape", "Flatten",
      "Slice",     "Gather",    "GatherND", "Concat",  "NonMaxSuppression"};
  return ops.count(op) || elementwiseOps().count(op);
}

LogicalResult convertBounded(NodeContext &c) {
  for (int i = 0; i < c.numInputs(); ++i)
    if (Value v = c.input(i); v && c.runtimeShapes->count(v) && !isBounded(c, v))
      return c.fail("input '" + c.node.input(i) +
                    "' has a shape known only at run time with no bound at compile time; " +
                    c.node.op_type() + " needs one");
  const std::string &op = c.node.op_type();
  if (op == "Transpose")
    return transposeBounded(c);
  if (op == "Slice") {
    if (c.opset < 10)
      return c.fail("Slice before opset 10 on a tensor of run-time shape");
    return sliceBounded(c);
  }
  if (op == "Gather")
    return gatherBounded(c);
  if (op == "GatherND")
    return gatherNDBounded(c);
  if (op == "NonMaxSuppression")
    return nmsBounded(c, onnxConverters().at("NonMaxSuppression"));
  if (op == "Concat")
    return concatBounded(c);
  if (elementwiseOps().count(op))
    return elementwiseBounded(c, onnxConverters().at(op));
  return reshapeBounded(c);
}

} // namespace nuri
