//===- ConvertSequence.cpp - ONNX sequences inside a graph ----------------===//
//
// A sequence whose length is known at import time (built by SequenceConstruct,
// SequenceInsert, SplitToSequence, ...) is a list of tensor values: the
// importer tracks it as a value of tuple type, made by an
// unrealized_conversion_cast of its elements, and each sequence op picks,
// adds or removes elements. Nothing of it survives import: the ops that read
// a sequence (SequenceAt, ConcatFromSequence, SequenceLength) produce
// ordinary tensors, and the unused tuple values are dead. Positions must be
// constants, except SequenceAt over elements of one type, which gathers.
// Sequences as graph inputs or outputs are not supported.
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/ImporterContext.h"

using namespace mlir;
using namespace mlir::nuri;

namespace nuri {

Value makeSequenceValue(OpBuilder &b, Location loc, ValueRange elements) {
  auto type = TupleType::get(b.getContext(), TypeRange(elements));
  return UnrealizedConversionCastOp::create(b, loc, TypeRange{type}, elements).getResult(0);
}

FailureOr<SmallVector<Value>> sequenceElements(Value v) {
  auto cast = v ? v.getDefiningOp<UnrealizedConversionCastOp>() : nullptr;
  if (!cast || !isa<TupleType>(v.getType()))
    return failure();
  return SmallVector<Value>(cast.getInputs());
}

namespace {

Value makeSequence(NodeContext &c, ValueRange elements) {
  return makeSequenceValue(c.b, c.loc(), elements);
}

/// The elements of sequence input i, or failure naming it.
FailureOr<SmallVector<Value>> elementsOf(NodeContext &c, int i) {
  auto elements = sequenceElements(c.input(i));
  if (failed(elements))
    (void)c.fail("input " + std::to_string(i) + " is not a sequence of known elements");
  return elements;
}

/// Constant position input i in [-n, n + extra) normalized, or `dflt` when
/// the input is absent.
FailureOr<int64_t> position(NodeContext &c, int i, int64_t n, int64_t extra, int64_t dflt) {
  if (!c.input(i))
    return dflt;
  auto p = c.intsInput(i);
  if (failed(p))
    return failure();
  if (p->size() != 1) {
    (void)c.fail("position must be a scalar");
    return failure();
  }
  int64_t pos = (*p)[0] < 0 ? (*p)[0] + n : (*p)[0];
  if (pos < 0 || pos >= n + extra) {
    (void)c.fail("position " + std::to_string((*p)[0]) + " is out of range for a sequence of " +
                 std::to_string(n));
    return failure();
  }
  return pos;
}

LogicalResult sequenceEmpty(NodeContext &c) {
  c.setOutput(0, makeSequence(c, {}));
  return success();
}

LogicalResult sequenceConstruct(NodeContext &c) {
  SmallVector<Value> elements;
  for (int i = 0; i < c.numInputs(); ++i)
    elements.push_back(c.input(i));
  c.setOutput(0, makeSequence(c, elements));
  return success();
}

LogicalResult sequenceInsert(NodeContext &c) {
  auto elements = elementsOf(c, 0);
  if (failed(elements))
    return failure();
  int64_t n = elements->size();
  Value inserted = c.input(1);
  if (c.input(2) && !c.constantInput(2)) {
    // A run-time position: element k of the result is old[k] before it, the
    // new tensor at it, old[k - 1] after it (all of one type).
    if (llvm::any_of(*elements, [&](Value e) { return e.getType() != inserted.getType(); }))
      return c.fail("a run-time position needs elements of one type and shape");
    Value p = c.reshape(c.input(2), {});
    Type it = typeOf(p).getElementType();
    p = c.make<WhereOp>(c.make<LessOp>(p, c.scalar(it, 0.0)), c.make<AddOp>(p, c.scalar(it, (double)n)), p);
    SmallVector<Value> result;
    for (int64_t k = 0; k <= n; ++k) {
      Value at = c.scalar(it, (double)k);
      Value v = inserted;
      if (k > 0)
        v = c.make<WhereOp>(c.make<GreaterOp>(at, p), (*elements)[k - 1], v);
      if (k < n)
        v = c.make<WhereOp>(c.make<LessOp>(at, p), (*elements)[k], v);
      result.push_back(v);
    }
    c.setOutput(0, makeSequence(c, result));
    return success();
  }
  auto pos = position(c, 2, n, 1, n);
  if (failed(pos))
    return failure();
  elements->insert(elements->begin() + *pos, inserted);
  c.setOutput(0, makeSequence(c, *elements));
  return success();
}

LogicalResult sequenceErase(NodeContext &c) {
  auto elements = elementsOf(c, 0);
  if (failed(elements))
    return failure();
  int64_t n = elements->size();
  if (n == 0)
    return c.fail("cannot erase from an empty sequence");
  auto pos = position(c, 1, n, 0, n - 1);
  if (failed(pos))
    return failure();
  elements->erase(elements->begin() + *pos);
  c.setOutput(0, makeSequence(c, *elements));
  return success();
}

LogicalResult sequenceLength(NodeContext &c) {
  auto elements = elementsOf(c, 0);
  if (failed(elements))
    return failure();
  c.setOutput(0, c.constant(DenseElementsAttr::get(RankedTensorType::get({}, c.b.getI64Type()),
                                                   (int64_t)elements->size())));
  return success();
}

LogicalResult sequenceAt(NodeContext &c) {
  auto elements = elementsOf(c, 0);
  if (failed(elements))
    return failure();
  int64_t n = elements->size();
  if (n == 0)
    return c.fail("the sequence is empty");
  if (c.constantInput(1)) {
    auto pos = position(c, 1, n, 0, 0);
    if (failed(pos))
      return failure();
    Value e = (*elements)[*pos];
    // Keep run-time shapes (a SplitToSequence part) attached to the output.
    if (c.runtimeShapes && c.runtimeShapes->count(e))
      c.setRuntimeShapedOutput(0, e, (*c.runtimeShapes)[e].dims, (*c.runtimeShapes)[e].shape);
    else
      c.setOutput(0, e);
    return success();
  }
  // A run-time position: gather from the elements stacked on a new axis.
  Type type = (*elements)[0].getType();
  if (llvm::any_of(*elements, [&](Value e) { return e.getType() != type; }))
    return c.fail("a run-time position needs elements of one type and shape");
  SmallVector<Value> stacked;
  SmallVector<int64_t> shape{1};
  llvm::append_range(shape, typeOf((*elements)[0]).getShape());
  for (Value e : *elements)
    stacked.push_back(c.reshape(e, shape));
  Value all = n == 1 ? stacked[0] : c.make<ConcatOp>(stacked, 0);
  Value p = c.reshape(c.input(1), {});
  Type it = typeOf(p).getElementType();
  Value wrapped = c.make<WhereOp>(c.make<LessOp>(p, c.scalar(it, 0.0)),
                                  c.make<AddOp>(p, c.scalar(it, (double)n)), p);
  c.setOutput(0, c.make<GatherOp>(all, wrapped, 0));
  return success();
}

LogicalResult concatFromSequence(NodeContext &c) {
  auto elements = elementsOf(c, 0);
  if (failed(elements))
    return failure();
  if (elements->empty())
    return c.fail("cannot concatenate an empty sequence");
  for (Value e : *elements)
    if (c.runtimeShapes && c.runtimeShapes->count(e))
      return c.fail("an element has a shape known only at run time");
  int64_t rank = typeOf((*elements)[0]).getRank();
  bool newAxis = c.attrInt("new_axis", 0);
  int64_t outRank = rank + newAxis;
  int64_t axis = c.attrInt("axis", 0);
  axis = axis < 0 ? axis + outRank : axis;
  if (failed(checkAxis(c, axis, outRank)))
    return failure();
  SmallVector<Value> parts;
  for (Value e : *elements) {
    if (newAxis) {
      SmallVector<int64_t> shape(typeOf(e).getShape());
      shape.insert(shape.begin() + axis, 1);
      e = c.reshape(e, shape);
    }
    parts.push_back(e);
  }
  c.setOutput(0, parts.size() == 1 ? parts[0] : c.make<ConcatOp>(parts, axis));
  return success();
}

LogicalResult splitToSequence(NodeContext &c) {
  Value x = c.input(0);
  int64_t rank = typeOf(x).getRank();
  int64_t axis = normAxis(c.attrInt("axis", 0), rank);
  if (failed(checkAxis(c, axis, rank)))
    return failure();
  int64_t dim = typeOf(x).getDimSize(axis);
  Value split = c.input(1);
  SmallVector<Value> elements;
  if (split && !c.constantInput(1)) {
    // Run-time sizes: as many parts as entries, each of run-time shape.
    auto st = typeOf(split);
    if (st.getRank() != 1 || !st.getElementType().isInteger(64))
      return c.fail("a run-time split must be a 1-D int64 tensor");
    for (auto [data, dims] : splitParts(c, x, split, axis)) {
      (*c.runtimeShapes)[data] = RuntimeShape{dims, SmallVector<int64_t>(rank, -1)};
      elements.push_back(data);
    }
    c.setOutput(0, makeSequence(c, elements));
    return success();
  }
  SmallVector<int64_t> sizes;
  bool squeeze = false;
  if (!split) {
    sizes.assign(dim, 1);
    squeeze = !c.attrInt("keepdims", 1);
  } else {
    auto given = c.intsInput(1);
    if (failed(given))
      return failure();
    if (typeOf(split).getRank() == 0) {
      int64_t chunk = (*given)[0];
      if (chunk <= 0)
        return c.fail("split must be positive");
      for (int64_t at = 0; at < dim; at += chunk)
        sizes.push_back(std::min(chunk, dim - at));
    } else {
      sizes = *given;
    }
  }
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0)
      return c.fail("split sizes must not be negative");
    total += s;
  }
  if (total != dim)
    return c.fail("split sizes sum to " + std::to_string(total) + ", not the axis size " +
                  std::to_string(dim));
  SmallVector<int64_t> starts(rank, 0), ends(typeOf(x).getShape()), steps(rank, 1);
  for (int64_t s : sizes) {
    ends[axis] = starts[axis] + s;
    Value part = c.make<SliceOp>(x, starts, ends, steps);
    if (squeeze) {
      SmallVector<int64_t> shape(typeOf(part).getShape());
      shape.erase(shape.begin() + axis);
      part = c.reshape(part, shape);
    }
    elements.push_back(part);
    starts[axis] = ends[axis];
  }
  c.setOutput(0, makeSequence(c, elements));
  return success();
}

/// SequenceMap: the body graph once per element; sequence inputs give it
/// their i-th element, tensor inputs themselves.
LogicalResult sequenceMap(NodeContext &c) {
  const onnx::AttributeProto *body = c.attr("body");
  if (!body || !body->has_g() || !c.walker)
    return c.fail("attribute 'body' (a graph) is required");
  SmallVector<std::optional<SmallVector<Value>>> inputs;
  std::optional<size_t> n;
  for (int i = 0; i < c.numInputs(); ++i) {
    auto elements = sequenceElements(c.input(i));
    if (succeeded(elements)) {
      if (n && *n != elements->size())
        return c.fail("input sequences have different lengths");
      n = elements->size();
      inputs.push_back(*elements);
    } else {
      if (i == 0)
        return c.fail("input 0 is not a sequence of known elements");
      inputs.push_back(std::nullopt);
    }
  }
  int outputs = c.node.output_size();
  if (body->g().output_size() != outputs)
    return c.fail("the body has " + std::to_string(body->g().output_size()) + " outputs for " +
                  std::to_string(outputs) + " output sequences");
  SmallVector<SmallVector<Value>> results(outputs);
  for (size_t k = 0; k < *n; ++k) {
    SmallVector<Value> args;
    for (int i = 0; i < c.numInputs(); ++i)
      args.push_back(inputs[i] ? (*inputs[i])[k] : c.input(i));
    auto outs = c.walker->importSubgraph(c, body->g(), args);
    if (failed(outs))
      return failure();
    for (int o = 0; o < outputs; ++o)
      results[o].push_back((*outs)[o]);
  }
  for (int o = 0; o < outputs; ++o)
    c.setOutput(o, makeSequence(c, results[o]));
  return success();
}

// Optionals: a present optional is its element, an empty one no value (an
// absent input to the converters).

LogicalResult optional(NodeContext &c) {
  c.setOutput(0, c.input(0));
  return success();
}

LogicalResult optionalHasElement(NodeContext &c) {
  bool has = (bool)c.input(0);
  c.setOutput(0, c.constant(DenseElementsAttr::get(RankedTensorType::get({}, c.b.getI1Type()), has)));
  return success();
}

LogicalResult optionalGetElement(NodeContext &c) {
  Value v = c.input(0);
  if (!v)
    return c.fail("the optional is empty");
  if (c.runtimeShapes && c.runtimeShapes->count(v))
    c.setRuntimeShapedOutput(0, v, (*c.runtimeShapes)[v].dims, (*c.runtimeShapes)[v].shape);
  else
    c.setOutput(0, v);
  if (c.isString(v))
    c.markString(v);
  return success();
}

} // namespace

void registerSequenceConverters(ConverterMap &table) {
  table["Optional"] = optional;
  table["OptionalHasElement"] = optionalHasElement;
  table["OptionalGetElement"] = optionalGetElement;
  table["SequenceMap"] = sequenceMap;
  table["SequenceEmpty"] = sequenceEmpty;
  table["SequenceConstruct"] = sequenceConstruct;
  table["SequenceInsert"] = sequenceInsert;
  table["SequenceErase"] = sequenceErase;
  table["SequenceLength"] = sequenceLength;
  table["SequenceAt"] = sequenceAt;
  table["ConcatFromSequence"] = concatFromSequence;
  table["SplitToSequence"] = splitToSequence;
}

} // namespace nuri
