//===- ConvertControlFlow.cpp - ONNX If/Loop/Scan, Size, Dropout ----------===//
//
// Shapes are static, so control flow is resolved at import time: If with a
// constant condition imports the taken branch; Loop with a constant trip
// count (and conditions that fold) and Scan over a static sequence unroll
// into the enclosing graph when short, and stay one nuri.loop with the body
// imported once when long; subgraphs see the outer scope through the graph
// walk.
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/ImporterContext.h"

#include <limits>

#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace mlir::nuri;

namespace nuri {
namespace {

/// Iterations a Loop or Scan may unroll into: beyond this the graph grows
/// unreasonably.
constexpr int64_t kMaxUnroll = 4096;

/// Longer Loops and Scans stay a nuri.loop: unrolled, the graph and the
/// compile time grow with the trip count.
constexpr int64_t kUnrolledIterations = 16;

/// The subgraph attribute `name`, or null (also when no graph walk is at
/// hand to import it).
const onnx::GraphProto *graphAttr(NodeContext &c, const std::string &name) {
  auto *a = c.attr(name);
  return a && a->has_g() && c.walker ? &a->g() : nullptr;
}

/// The boolean value of a constant single-element tensor.
std::optional<bool> constantBool(Value v) {
  if (!v)
    return std::nullopt;
  auto cst = v.getDefiningOp<ConstantOp>();
  if (!cst)
    return std::nullopt;
  auto attr = dyn_cast<DenseElementsAttr>(cst.getValue());
  if (!attr || attr.getNumElements() != 1)
    return std::nullopt;
  if (auto it = dyn_cast<IntegerType>(attr.getElementType()))
    return !(*attr.getValues<APInt>().begin()).isZero();
  if (isa<FloatType>(attr.getElementType()))
    return !(*attr.getValues<APFloat>().begin()).isZero();
  return std::nullopt;
}

/// x[..., t, ...] along `axis`, with that dimension dropped.
Value takeAlong(NodeContext &c, Value x, int64_t axis, int64_t t) {
  auto shape = typeOf(x).getShape();
  SmallVector<int64_t> starts(shape.size(), 0), ends(shape), steps(shape.size(), 1);
  starts[axis] = t;
  ends[axis] = t + 1;
  Value s = c.make<SliceOp>(x, starts, ends, steps);
  SmallVector<int64_t> out(shape);
  out.erase(out.begin() + axis);
  return c.reshape(s, out);
}

/// Stacks same-shaped values along a new dimension `axis`.
Value stack(NodeContext &c, ArrayRef<Value> parts, int64_t axis) {
  SmallVector<Value> expanded;
  for (Value v : parts) {
    SmallVector<int64_t> shape(typeOf(v).getShape());
    shape.insert(shape.begin() + axis, 1);
    expanded.push_back(c.reshape(v, shape));
  }
  if (expanded.size() == 1)
    return expanded[0];
  return c.make<ConcatOp>(expanded, axis);
}

LogicalResult convertSize(NodeContext &c) {
  MLIRContext *ctx = c.b.getContext();
  auto type = RankedTensorType::get({}, IntegerType::get(ctx, 64));
  c.setOutput(0, c.constant(DenseElementsAttr::get(type, typeOf(c.input(0)).getNumElements())));
  return success();
}

LogicalResult convertDropout(NodeContext &c) {
  Value x = c.input(0);
  // Dropout only drops in training mode with a non-zero ratio, and then at
  // random; every deterministic form is the identity with an all-true mask.
  bool training = false;
  double ratio = 0.5;
  if (c.opset >= 12) {
    if (Value t = c.input(2)) {
      auto known = constantBool(t);
      // A training_mode fed at run time compiles as inference: the training
      // form with a non-zero ratio is random and has no single result.
      training = known.value_or(false);
    }
    if (c.input(1)) {
      auto r = c.constantInput(1);
      if (r && r.getNumElements() == 1 && isa<FloatType>(r.getElementType()))
        ratio = (*r.getValues<APFloat>().begin()).convertToDouble();
      else if (training)
        return c.fail("training-mode Dropout needs a constant ratio");
    }
  } else if (c.opset < 7) {
    training = c.attrInt("is_test", 0) == 0 && c.hasAttr("is_test");
    ratio = c.attrFloat("ratio", 0.5f);
  }
  if (training && ratio != 0.0)
    return c.fail("training-mode Dropout with ratio " + std::to_string(ratio) +
                  " is random; only inference (or ratio 0) is supported");
  c.setOutput(0, x);
  if (c.outputUsed(1)) {
    auto xt = typeOf(x);
    Type maskType = c.opset >= 10 ? Type(c.b.getI1Type()) : xt.getElementType();
    auto type = RankedTensorType::get(xt.getShape(), maskType);
    DenseElementsAttr mask =
        isa<FloatType>(maskType)
            ? DenseElementsAttr::get(type, FloatAttr::get(maskType, 1.0))
            : DenseElementsAttr::get(type, IntegerAttr::get(maskType, 1));
    c.setOutput(1, c.constant(mask));
  }
  return success();
}

LogicalResult selectShapes(NodeContext &c, int k, Value cond, Value a, Value b);

/// Whether an If's branches give some output different static shapes: the
/// walk then imports what depends on it once per branch (BranchFork).
bool shapesDiffer(NodeContext &c, ArrayRef<Value> a, ArrayRef<Value> b) {
  for (int k = 0; k < c.node.output_size(); ++k) {
    if (!c.outputUsed(k) || !a[k] || !b[k])
      continue;
    auto ta = dyn_cast<RankedTensorType>(a[k].getType());
    auto tb = dyn_cast<RankedTensorType>(b[k].getType());
    if (ta && tb && ta != tb && ta.hasStaticShape() && tb.hasStaticShape() &&
        !(c.runtimeShapes && (c.runtimeShapes->count(a[k]) || c.runtimeShapes->count(b[k]))))
      return true;
  }
  return false;
}

/// If on a run-time condition: both branches are computed and each output
/// selected (selectValues; ONNX ops have no side effects). Where the branches
/// give an output different shapes and the walk can version the rest of the
/// graph, it is asked to (c.fork) instead.
LogicalResult selectBranches(NodeContext &c, const onnx::GraphProto &thenG,
                             const onnx::GraphProto &elseG) {
  Value cond = c.input(0);
  if (typeOf(cond).getNumElements() != 1 || !typeOf(cond).getElementType().isInteger(1))
    return c.fail("the condition must be one bool");
  cond = c.reshape(cond, {});
  auto thenOuts = c.walker->importSubgraph(c, thenG, {});
  if (failed(thenOuts))
    return failure();
  auto elseOuts = c.walker->importSubgraph(c, elseG, {});
  if (failed(elseOuts))
    return failure();
  if (c.fork && shapesDiffer(c, *thenOuts, *elseOuts)) {
    *c.fork = BranchFork{cond, *thenOuts, *elseOuts};
    return success();
  }
  return selectValues(c, cond, *thenOuts, *elseOuts);
}

} // namespace

LogicalResult selectValues(NodeContext &c, Value cond, ArrayRef<Value> thenOuts,
                           ArrayRef<Value> elseOuts) {
  auto differ = [&](int k) {
    return c.fail("output " + std::to_string(k) +
                  ": the branches give sequences of different types, which a condition "
                  "computed at run time cannot select between");
  };
  for (int k = 0; k < c.node.output_size(); ++k) {
    Value a = thenOuts[k], b = elseOuts[k];
    if (!a || !b) {
      if (a || b)
        return c.fail("output " + std::to_string(k) + ": one branch gives no value, which a "
                      "condition computed at run time cannot select");
      c.setOutput(k, Value());
      continue;
    }
    auto as = sequenceElements(a), bs = sequenceElements(b);
    if (succeeded(as) && a.getType() != b.getType())
      return differ(k);
    if (failed(as) != failed(bs))
      return differ(k);
    if (succeeded(as)) {
      SmallVector<Value> picked;
      for (auto [x, y] : llvm::zip(*as, *bs))
        picked.push_back(c.make<WhereOp>(cond, x, y));
      c.setOutput(k, makeSequenceValue(c.b, c.loc(), picked));
      continue;
    }
    if (a.getType() != b.getType() ||
        (c.runtimeShapes && (c.runtimeShapes->count(a) || c.runtimeShapes->count(b)))) {
      if (failed(selectShapes(c, k, cond, a, b)))
        return failure();
      continue;
    }
    c.setOutput(k, c.make<WhereOp>(cond, a, b));
  }
  return success();
}

namespace {

/// One output of an If on a run-time condition whose branches give it
/// different shapes (or shapes known only at run time): a bounded tensor of
/// run-time shape (see RuntimeShape) holding the chosen branch's elements,
/// with the chosen branch's dims. Both need the same rank and element type
/// and a compile-time bound.
LogicalResult selectShapes(NodeContext &c, int k, Value cond, Value a, Value b) {
  auto ta = typeOf(a), tb = typeOf(b);
  if (ta.getRank() != tb.getRank() || ta.getElementType() != tb.getElementType())
    return c.fail("output " + std::to_string(k) +
                  ": the branches give different ranks or element types, which a condition "
                  "computed at run time cannot select between");
  MLIRContext *ctx = c.b.getContext();
  // Each branch as (data in a static 1-D buffer, dims, compile-time dims).
  auto layout = [&](Value v, Value &data, Value &dims, SmallVector<int64_t> &known) -> LogicalResult {
    auto it = c.runtimeShapes ? c.runtimeShapes->find(v) : RuntimeShapeMap::iterator();
    if (c.runtimeShapes && it != c.runtimeShapes->end()) {
      if (typeOf(v).getRank() != 1 || !typeOf(v).hasStaticShape())
        return c.fail("output " + std::to_string(k) +
                      ": a branch gives a tensor of run-time shape with no compile-time bound");
      data = v;
      dims = it->second.dims;
      known = it->second.shape;
      return success();
    }
    data = c.reshape(v, {typeOf(v).getNumElements()});
    dims = c.constant(i64Tensor(ctx, typeOf(v).getShape()));
    known.assign(typeOf(v).getShape().begin(), typeOf(v).getShape().end());
    return success();
  };
  Value da, db, dimsA, dimsB;
  SmallVector<int64_t> ka, kb;
  if (failed(layout(a, da, dimsA, ka)) || failed(layout(b, db, dimsB, kb)))
    return failure();
  int64_t cap = std::max(typeOf(da).getDimSize(0), typeOf(db).getDimSize(0));
  auto widen = [&](Value data) {
    int64_t n = typeOf(data).getDimSize(0);
    if (n == cap)
      return data;
    auto padType = RankedTensorType::get({cap - n}, typeOf(data).getElementType());
    Value zeros = c.constant(DenseElementsAttr::get(padType, c.b.getZeroAttr(padType.getElementType())));
    return c.make<ConcatOp>(ValueRange{data, zeros}, int64_t(0));
  };
  Value data = c.make<WhereOp>(cond, widen(da), widen(db));
  Value dims = c.make<WhereOp>(cond, dimsA, dimsB);
  SmallVector<int64_t> known;
  for (auto [x, y] : llvm::zip(ka, kb))
    known.push_back(x == y ? x : -1);
  c.setRuntimeShapedOutput(k, data, dims, known);
  return success();
}

LogicalResult convertIf(NodeContext &c) {
  const onnx::GraphProto *thenG = graphAttr(c, "then_branch");
  const onnx::GraphProto *elseG = graphAttr(c, "else_branch");
  if (!thenG || !elseG)
    return c.fail("needs then_branch and else_branch graphs");
  if (thenG->output_size() != elseG->output_size() ||
      c.node.output_size() > thenG->output_size())
    return c.fail("the branches must produce one value per output");
  auto cond = constantBool(c.input(0));
  if (!cond)
    return selectBranches(c, *thenG, *elseG);
  auto outs = c.walker->importSubgraph(c, *cond ? *thenG : *elseG, {});
  if (failed(outs))
    return failure();
  for (int k = 0; k < c.node.output_size(); ++k)
    c.setOutput(k, (*outs)[k]);
  return success();
}

/// The result of a loop kept as a loop: its final carried values, then each
/// scan output stacked along a new leading dimension.
struct KeptLoop {
  SmallVector<Value> carried, scans;
};

/// A Loop or Scan of `trip` iterations known at compile time as one
/// nuri.loop (scf.while in one kernel after lowering) instead of unrolled:
/// the body is imported once, with the inputs `bodyInputs(iteration,
/// state)` builds from the iteration (tensor<i64>) and the carried values.
/// The body's outputs are (a condition when `condOutput`), the next carried
/// values, then one element per scan output; each scan output is carried as
/// a static [trip, element...] tensor the element is scattered into, at
/// trip-1-iteration when `reversed[j]`. Returns failure without an error when
/// the body's condition does not fold to true (the caller unrolls instead).
FailureOr<KeptLoop>
keepLoop(NodeContext &c, const onnx::GraphProto &body, int64_t trip, ArrayRef<Value> init,
         function_ref<SmallVector<Value>(Value iteration, ArrayRef<Value> state)> bodyInputs,
         bool condOutput, ArrayRef<bool> reversed, bool &errored) {
  errored = true;
  MLIRContext *ctx = c.b.getContext();
  auto scalarType = [](Type t) { return RankedTensorType::get({}, t); };
  Type i64 = IntegerType::get(ctx, 64), i1 = IntegerType::get(ctx, 1);
  Region region;
  Block *block = new Block();
  region.push_back(block);
  Value iteration = block->addArgument(scalarType(i64), c.loc());
  block->addArgument(scalarType(i1), c.loc());
  SmallVector<Value> state;
  for (Value v : init)
    state.push_back(block->addArgument(v.getType(), c.loc()));
  SmallVector<RankedTensorType> accTypes;
  {
    OpBuilder::InsertionGuard guard(c.b);
    c.b.setInsertionPointToStart(block);
    auto outs = c.walker->importSubgraph(c, body, bodyInputs(iteration, state));
    if (failed(outs))
      return failure();
    ArrayRef<Value> results(*outs);
    if (condOutput) {
      auto cond = constantBool(results.front());
      if (!cond || !*cond) {
        errored = false;
        return failure();
      }
      results = results.drop_front();
    }
    SmallVector<Value> yielded{c.constant(DenseElementsAttr::get(scalarType(i1), true))};
    for (auto [i, v] : llvm::enumerate(results.take_front(init.size()))) {
      if (v.getType() != init[i].getType())
        return c.fail("loop-carried value " + std::to_string(i) + " changes type in the body");
      yielded.push_back(v);
    }
    Value last = c.constant(DenseElementsAttr::get(scalarType(i64), trip - 1));
    for (auto [j, v] : llvm::enumerate(results.drop_front(init.size()))) {
      if (isa<TupleType>(v.getType()) || !typeOf(v).hasStaticShape() ||
          (c.runtimeShapes && c.runtimeShapes->count(v)))
        return c.fail("scan output " + std::to_string(j) + " must be a tensor of static shape");
      auto elem = typeOf(v);
      SmallVector<int64_t> stacked{trip}, one{1};
      llvm::append_range(stacked, elem.getShape());
      llvm::append_range(one, elem.getShape());
      auto accType = RankedTensorType::get(stacked, elem.getElementType());
      accTypes.push_back(accType);
      Value acc = block->addArgument(accType, c.loc());
      Value at = reversed[j] ? c.make<SubOp>(last, iteration) : iteration;
      yielded.push_back(c.make<ScatterNDOp>(acc, c.reshape(at, {1, 1}), c.reshape(v, one),
                                            c.b.getStringAttr("none")));
    }
    LoopYieldOp::create(c.b, c.loc(), yielded);
  }
  SmallVector<Value> carried(init.begin(), init.end());
  for (RankedTensorType t : accTypes)
    carried.push_back(c.constant(DenseElementsAttr::get(t, c.b.getZeroAttr(t.getElementType()))));
  Value maxTrip = c.constant(DenseElementsAttr::get(scalarType(i64), trip));
  Value cond = c.constant(DenseElementsAttr::get(scalarType(i1), true));
  auto loop = LoopOp::create(c.b, c.loc(), ValueRange(carried).getTypes(), maxTrip, cond, carried);
  loop.getBody().takeBody(region);
  KeptLoop out;
  for (auto [i, r] : llvm::enumerate(loop.getResults()))
    (i < init.size() ? out.carried : out.scans).push_back(r);
  errored = false;
  return out;
}

/// Loop with a trip count or condition known only at run time: a nuri.loop
/// (scf.while after lowering). The body is imported once into its region;
/// scan outputs are stacked into buffers of max_trip elements whose actual
/// length the loop reports (see RuntimeShape::capacity).
LogicalResult runtimeLoop(NodeContext &c, const onnx::GraphProto &body, int numCarried,
                          int numScan) {
  MLIRContext *ctx = c.b.getContext();
  Type i64 = IntegerType::get(ctx, 64), i1 = IntegerType::get(ctx, 1);
  auto scalarType = [](Type t) { return RankedTensorType::get({}, t); };
  Value maxTrip = c.input(0), cond = c.input(1);
  if (maxTrip) {
    if (typeOf(maxTrip).getNumElements() != 1 || !typeOf(maxTrip).getElementType().isInteger(64))
      return c.fail("the trip count must be one int64");
    maxTrip = c.reshape(maxTrip, {});
  } else {
    maxTrip = c.constant(DenseElementsAttr::get(scalarType(i64), std::numeric_limits<int64_t>::max()));
  }
  if (cond) {
    if (typeOf(cond).getNumElements() != 1 || !typeOf(cond).getElementType().isInteger(1))
      return c.fail("the condition must be one bool");
    cond = c.reshape(cond, {});
  } else {
    cond = c.constant(DenseElementsAttr::get(scalarType(i1), true));
  }
  SmallVector<Value> carried;
  for (int i = 0; i < numCarried; ++i) {
    Value v = c.input(2 + i);
    if (!v)
      return c.fail("loop-carried input " + std::to_string(i) + " is absent");
    if (isa<TupleType>(v.getType()) || (c.runtimeShapes && c.runtimeShapes->count(v)))
      return c.fail("loop-carried input " + std::to_string(i) +
                    " is a sequence or has a run-time shape; a run-time loop carries tensors");
    carried.push_back(v);
  }
  // The body goes into a detached block first: the loop's result types
  // depend on the scan elements it yields.
  Region region;
  Block *block = new Block();
  region.push_back(block);
  SmallVector<Value> args{block->addArgument(scalarType(i64), c.loc()),
                          block->addArgument(scalarType(i1), c.loc())};
  for (Value v : carried)
    args.push_back(block->addArgument(v.getType(), c.loc()));
  SmallVector<Type> resultTypes;
  SmallVector<RankedTensorType> elems;
  {
    OpBuilder::InsertionGuard guard(c.b);
    c.b.setInsertionPointToStart(block);
    auto outs = c.walker->importSubgraph(c, body, args);
    if (failed(outs))
      return failure();
    SmallVector<Value> yielded{c.reshape((*outs)[0], {})};
    if (!typeOf(yielded[0]).getElementType().isInteger(1))
      return c.fail("the body's condition must be a bool");
    for (int i = 0; i < numCarried; ++i) {
      Value v = (*outs)[1 + i];
      if (v.getType() != carried[i].getType())
        return c.fail("loop-carried value " + std::to_string(i) +
                      " changes type in the body; a run-time loop keeps shapes fixed");
      yielded.push_back(v);
      resultTypes.push_back(v.getType());
    }
    for (int j = 0; j < numScan; ++j) {
      Value v = (*outs)[1 + numCarried + j];
      if (isa<TupleType>(v.getType()) || !typeOf(v).hasStaticShape() ||
          (c.runtimeShapes && c.runtimeShapes->count(v)))
        return c.fail("scan output " + std::to_string(j) + " must be a tensor of static shape");
      elems.push_back(typeOf(v));
      yielded.push_back(v);
    }
    for (Value v : yielded)
      if (c.runtimeShapes && c.runtimeShapes->count(v))
        return c.fail("the body yields a tensor of run-time shape");
    LoopYieldOp::create(c.b, c.loc(), yielded);
  }
  for (RankedTensorType e : elems)
    resultTypes.push_back(RankedTensorType::get({ShapedType::kDynamic}, e.getElementType()));
  for (RankedTensorType e : elems)
    resultTypes.push_back(RankedTensorType::get({e.getRank() + 1}, i64));
  // Each scan buffer holds max_trip elements: the host sizes it from these
  // dims, so they are computed before the loop.
  SmallVector<Value> capacities;
  for (int j = 0; j < numScan; ++j) {
    SmallVector<int64_t> elemDims(elems[j].getShape());
    Value capacity = c.reshape(maxTrip, {1});
    if (!elemDims.empty())
      capacity = c.make<ConcatOp>(
          ValueRange{capacity, c.constant(i64Tensor(ctx, elemDims))}, 0);
    capacities.push_back(capacity);
  }
  auto loop = LoopOp::create(c.b, c.loc(), resultTypes, maxTrip, cond, carried);
  loop.getBody().takeBody(region);
  for (int i = 0; i < numCarried; ++i)
    c.setOutput(i, loop.getResult(i));
  for (int j = 0; j < numScan; ++j) {
    SmallVector<int64_t> elemDims(elems[j].getShape());
    Value capacity = capacities[j];
    SmallVector<int64_t> known{-1};
    known.append(elemDims);
    c.setRuntimeShapedOutput(numCarried + j, loop.getResult(numCarried + j),
                             loop.getResult(numCarried + numScan + j), known);
    if (c.runtimeShapes)
      (*c.runtimeShapes)[loop.getResult(numCarried + j)].capacity = capacity;
  }
  return success();
}

LogicalResult convertLoop(NodeContext &c) {
  const onnx::GraphProto *body = graphAttr(c, "body");
  if (!body)
    return c.fail("needs a body graph");
  int numCarried = c.numInputs() - 2;
  if (numCarried < 0)
    return c.fail("needs the trip count and condition inputs (possibly empty)");
  if (body->input_size() != numCarried + 2 || body->output_size() < numCarried + 1)
    return c.fail("the body must take 2 + " + std::to_string(numCarried) +
                  " inputs and produce 1 + " + std::to_string(numCarried) + " outputs or more");
  int numScan = body->output_size() - 1 - numCarried;
  if ((c.input(0) && !c.constantInput(0)) || (c.input(1) && !c.constantInput(1)))
    return runtimeLoop(c, *body, numCarried, numScan);
  int64_t trip = -1;
  if (c.input(0)) {
    auto m = c.constantInput(0);
    if (!m || m.getNumElements() != 1 || !isa<IntegerType>(m.getElementType()))
      return c.fail("the trip count must be one integer");
    trip = (*m.getValues<APInt>().begin()).getSExtValue();
    if (trip < 0)
      trip = 0;
  }
  bool cond = true;
  if (c.input(1)) {
    auto known = constantBool(c.input(1));
    if (!known)
      return c.fail("the loop condition is computed at run time; only constant conditions "
                    "unroll");
    cond = *known;
  }
  if (trip < 0 && !cond)
    trip = 0;
  MLIRContext *ctx = c.b.getContext();
  auto i64Scalar = RankedTensorType::get({}, IntegerType::get(ctx, 64));
  auto boolScalar = RankedTensorType::get({}, IntegerType::get(ctx, 1));
  SmallVector<Value> carried;
  for (int i = 0; i < numCarried; ++i) {
    Value v = c.input(2 + i);
    if (!v)
      return c.fail("loop-carried input " + std::to_string(i) + " is absent");
    carried.push_back(v);
  }
  if (cond && trip > kUnrolledIterations) {
    SmallVector<bool> forward(numScan, false);
    bool errored;
    auto kept = keepLoop(
        c, *body, trip, carried,
        [&](Value iteration, ArrayRef<Value> state) {
          // The condition is true in every iteration the loop runs.
          SmallVector<Value> ins{iteration, c.constant(DenseElementsAttr::get(boolScalar, true))};
          llvm::append_range(ins, state);
          return ins;
        },
        /*condOutput=*/true, forward, errored);
    if (succeeded(kept)) {
      for (auto [i, v] : llvm::enumerate(llvm::concat<Value>(kept->carried, kept->scans)))
        c.setOutput(i, v);
      return success();
    }
    if (errored)
      return failure();
    // The body computes its condition: unrolling may still fold it.
  }
  SmallVector<SmallVector<Value>> scans(numScan);
  int64_t iter = 0;
  for (; cond && (trip < 0 || iter < trip); ++iter) {
    if (iter >= kMaxUnroll)
      return c.fail("the loop runs more than " + std::to_string(kMaxUnroll) +
                    " iterations, too many to unroll");
    SmallVector<Value> ins{c.constant(DenseElementsAttr::get(i64Scalar, iter)),
                           c.constant(DenseElementsAttr::get(boolScalar, true))};
    ins.append(carried);
    auto outs = c.walker->importSubgraph(c, *body, ins);
    if (failed(outs))
      return failure();
    auto next = constantBool((*outs)[0]);
    if (!next)
      return c.fail("the body computes its condition at run time; only conditions that "
                    "fold to constants unroll");
    cond = *next;
    for (int i = 0; i < numCarried; ++i)
      carried[i] = (*outs)[1 + i];
    for (int j = 0; j < numScan; ++j)
      scans[j].push_back((*outs)[1 + numCarried + j]);
  }
  for (int i = 0; i < numCarried; ++i)
    c.setOutput(i, carried[i]);
  for (int j = 0; j < numScan; ++j) {
    if (!c.outputUsed(numCarried + j))
      continue;
    if (scans[j].empty())
      return c.fail("the loop runs no iteration, so scan output " + std::to_string(j) +
                    " has no known shape");
    for (Value v : scans[j])
      if (typeOf(v) != typeOf(scans[j][0]))
        return c.fail("scan output " + std::to_string(j) + " changes shape between iterations");
    c.setOutput(numCarried + j, stack(c, scans[j], 0));
  }
  return success();
}

/// One Scan (opset 9 form) over static sequences: returns the final states
/// followed by the scan outputs.
FailureOr<SmallVector<Value>> runScan(NodeContext &c, const onnx::GraphProto &body,
                                      ArrayRef<Value> states, ArrayRef<Value> inputs,
                                      ArrayRef<int64_t> inAxes, ArrayRef<int64_t> inDirs,
                                      ArrayRef<int64_t> outAxes, ArrayRef<int64_t> outDirs,
                                      int numScanOutputs) {
  int64_t length = -1;
  for (auto [x, axis] : llvm::zip(inputs, inAxes)) {
    int64_t n = typeOf(x).getDimSize(axis);
    if (length >= 0 && n != length) {
      (void)c.fail("scan inputs differ in sequence length");
      return failure();
    }
    length = n;
  }
  if (length < 0) {
    (void)c.fail("needs at least one scan input");
    return failure();
  }
  if (length > kUnrolledIterations) {
    SmallVector<bool> reversed;
    for (int64_t d : outDirs)
      reversed.push_back(d != 0);
    bool errored;
    auto kept = keepLoop(
        c, body, length, states,
        [&](Value iteration, ArrayRef<Value> state) {
          SmallVector<Value> ins(state.begin(), state.end());
          Value last = c.constant(DenseElementsAttr::get(typeOf(iteration), length - 1));
          for (auto [i, x] : llvm::enumerate(inputs)) {
            Value t = inDirs[i] ? c.make<SubOp>(last, iteration) : iteration;
            ins.push_back(c.make<GatherOp>(x, t, inAxes[i]));
          }
          return ins;
        },
        /*condOutput=*/false, reversed, errored);
    if (failed(kept))
      return failure();
    SmallVector<Value> result(kept->carried);
    for (auto [j, v] : llvm::enumerate(kept->scans)) {
      int64_t rank = typeOf(v).getRank();
      int64_t axis = normAxis(outAxes[j], rank);
      if (axis < 0 || axis >= rank) {
        (void)c.fail("scan_output_axes entry out of range");
        return failure();
      }
      // Stacked along dimension 0; move it to `axis`.
      SmallVector<int64_t> perm;
      for (int64_t d = 1; d < rank; ++d)
        perm.push_back(d);
      perm.insert(perm.begin() + axis, 0);
      result.push_back(c.make<TransposeOp>(v, perm));
    }
    return result;
  }
  SmallVector<Value> cur(states.begin(), states.end());
  SmallVector<SmallVector<Value>> scans(numScanOutputs);
  for (int64_t t = 0; t < length; ++t) {
    SmallVector<Value> ins(cur);
    for (auto [i, x] : llvm::enumerate(inputs))
      ins.push_back(takeAlong(c, x, inAxes[i], inDirs[i] ? length - 1 - t : t));
    auto outs = c.walker->importSubgraph(c, body, ins);
    if (failed(outs))
      return failure();
    for (size_t i = 0; i < cur.size(); ++i)
      cur[i] = (*outs)[i];
    for (int j = 0; j < numScanOutputs; ++j)
      scans[j].push_back((*outs)[cur.size() + j]);
  }
  SmallVector<Value> result(cur);
  for (int j = 0; j < numScanOutputs; ++j) {
    if (scans[j].empty()) {
      (void)c.fail("the sequence is empty, so scan output " + std::to_string(j) +
                   " has no known shape");
      return failure();
    }
    if (outDirs[j])
      std::reverse(scans[j].begin(), scans[j].end());
    int64_t rank = typeOf(scans[j][0]).getRank() + 1;
    int64_t axis = normAxis(outAxes[j], rank);
    if (axis < 0 || axis >= rank) {
      (void)c.fail("scan_output_axes entry out of range");
      return failure();
    }
    for (Value v : scans[j])
      if (typeOf(v) != typeOf(scans[j][0])) {
        (void)c.fail("scan output " + std::to_string(j) + " changes shape between iterations");
        return failure();
      }
    result.push_back(stack(c, scans[j], axis));
  }
  return result;
}

LogicalResult convertScan(NodeContext &c) {
  const onnx::GraphProto *body = graphAttr(c, "body");
  if (!body)
    return c.fail("needs a body graph");
  int64_t numScanInputs = c.attrInt("num_scan_inputs", 0);
  // Opset 8 has a leading sequence_lens input and a batch dimension.
  int first = c.opset < 9 ? 1 : 0;
  int numStates = c.numInputs() - first - numScanInputs;
  if (numScanInputs < 1 || numStates < 0)
    return c.fail("num_scan_inputs does not match the inputs");
  int numScanOutputs = body->output_size() - numStates;
  if (body->input_size() != numStates + numScanInputs || numScanOutputs < 0)
    return c.fail("the body's inputs/outputs do not match the states and scan inputs");
  SmallVector<Value> states, inputs;
  for (int i = 0; i < numStates + numScanInputs; ++i) {
    Value v = c.input(first + i);
    if (!v)
      return c.fail("input " + std::to_string(first + i) + " is absent");
    (i < numStates ? states : inputs).push_back(v);
  }
  auto attrList = [&](const char *name, int n, int64_t dflt) {
    auto v = c.attrInts(name);
    if (v.empty())
      v.assign(n, dflt);
    return v;
  };
  SmallVector<int64_t> outAxes = attrList("scan_output_axes", numScanOutputs, 0);
  SmallVector<int64_t> outDirs = attrList("scan_output_directions", numScanOutputs, 0);
  if ((int)outAxes.size() != numScanOutputs || (int)outDirs.size() != numScanOutputs)
    return c.fail("scan_output_axes/directions need one entry per scan output");

  if (c.opset >= 9) {
    SmallVector<int64_t> inAxes = attrList("scan_input_axes", numScanInputs, 0);
    SmallVector<int64_t> inDirs = attrList("scan_input_directions", numScanInputs, 0);
    if ((int64_t)inAxes.size() != numScanInputs || (int64_t)inDirs.size() != numScanInputs)
      return c.fail("scan_input_axes/directions need one entry per scan input");
    for (auto [i, x] : llvm::enumerate(inputs)) {
      inAxes[i] = normAxis(inAxes[i], typeOf(x).getRank());
      if (failed(checkAxis(c, inAxes[i], typeOf(x).getRank())))
        return failure();
    }
    auto outs = runScan(c, *body, states, inputs, inAxes, inDirs, outAxes, outDirs,
                        numScanOutputs);
    if (failed(outs))
      return failure();
    for (auto [k, v] : llvm::enumerate(*outs))
      c.setOutput(k, v);
    return success();
  }

  // Opset 8: every input has a leading batch dimension; run each batch item.
  if (c.input(0)) {
    auto lens = c.constantInput(0);
    if (!lens)
      return c.fail("sequence_lens is computed at run time; only full-length sequences "
                    "are supported");
    for (Value x : inputs)
      for (APInt n : lens.getValues<APInt>())
        if (n.getSExtValue() != typeOf(x).getDimSize(1))
          return c.fail("sequence_lens shorter than the sequence is not supported");
  }
  SmallVector<int64_t> dirs = attrList("directions", numScanInputs, 0);
  if ((int64_t)dirs.size() != numScanInputs)
    return c.fail("directions needs one entry per scan input");
  int64_t batch = -1;
  for (Value v : llvm::concat<Value>(states, inputs)) {
    if (typeOf(v).getRank() < (llvm::is_contained(inputs, v) ? 2 : 1))
      return c.fail("inputs must have a batch dimension (and scan inputs a sequence one)");
    if (batch >= 0 && typeOf(v).getDimSize(0) != batch)
      return c.fail("inputs differ in batch size");
    batch = typeOf(v).getDimSize(0);
  }
  SmallVector<SmallVector<Value>> perBatch;
  for (int64_t n = 0; n < batch; ++n) {
    SmallVector<Value> s, x;
    for (Value v : states)
      s.push_back(takeAlong(c, v, 0, n));
    for (Value v : inputs)
      x.push_back(takeAlong(c, v, 0, n));
    SmallVector<int64_t> inAxes(numScanInputs, 0);
    auto outs = runScan(c, *body, s, x, inAxes, dirs, outAxes, outDirs, numScanOutputs);
    if (failed(outs))
      return failure();
    perBatch.push_back(*outs);
  }
  if (batch <= 0)
    return c.fail("the batch is empty");
  for (size_t k = 0; k < perBatch[0].size(); ++k) {
    SmallVector<Value> parts;
    for (auto &outs : perBatch)
      parts.push_back(outs[k]);
    c.setOutput(k, stack(c, parts, 0));
  }
  return success();
}

} // namespace

void registerControlFlowConverters(ConverterMap &table) {
  table["Size"] = convertSize;
  table["Dropout"] = convertDropout;
  table["If"] = convertIf;
  table["Loop"] = convertLoop;
  table["Scan"] = convertScan;
}

} // namespace nuri
