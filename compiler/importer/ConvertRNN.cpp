//===- ConvertRNN.cpp - ONNX RNN, GRU, LSTM -------------------------------===//
//
// Input projections (X W^T + Wb) are computed for all time steps in one
// matmul; each step then adds the recurrent projection. Short sequences are
// unrolled into nuri matmuls, elementwise ops and activations; longer ones
// stay a nuri.loop whose body is one step. Constant sequence_lens shorter
// than the sequence become constant 0/1 masks that hold the state and zero
// the output past each batch item's end.
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/ImporterContext.h"

#include "mlir/IR/BuiltinAttributes.h"

#include <cctype>

using namespace mlir;
using namespace mlir::nuri;

namespace nuri {
namespace {

enum class Cell { RNN, GRU, LSTM };

struct Activation {
  std::string name;
  float alpha = 0, beta = 0;
};

/// x[.., start:start+len, ..] along `axis`.
Value sliceAxis(NodeContext &c, Value x, int64_t axis, int64_t start, int64_t len) {
  auto shape = typeOf(x).getShape();
  SmallVector<int64_t> s(shape.size(), 0), e(shape), st(shape.size(), 1);
  s[axis] = start;
  e[axis] = start + len;
  return c.make<SliceOp>(x, s, e, st);
}

/// x[i] with the leading dimension dropped.
Value takeFirst(NodeContext &c, Value x, int64_t i) {
  auto shape = typeOf(x).getShape();
  return c.reshape(sliceAxis(c, x, 0, i, 1), shape.drop_front());
}

Value stackFirst(NodeContext &c, ArrayRef<Value> parts) {
  SmallVector<Value> expanded;
  for (Value v : parts) {
    SmallVector<int64_t> shape{1};
    llvm::append_range(shape, typeOf(v).getShape());
    expanded.push_back(c.reshape(v, shape));
  }
  return expanded.size() == 1 ? expanded[0] : c.make<ConcatOp>(expanded, int64_t(0));
}

Value transpose(NodeContext &c, Value v, ArrayRef<int64_t> perm) {
  return c.make<TransposeOp>(v, perm);
}

FailureOr<Value> activate(NodeContext &c, const Activation &a, Value x) {
  Type et = typeOf(x).getElementType();
  std::string n = a.name;
  if (n == "sigmoid")
    return c.make<SigmoidOp>(x);
  if (n == "tanh")
    return c.make<TanhOp>(x);
  if (n == "relu")
    return c.make<ReluOp>(x);
  if (n == "leakyrelu")
    return c.make<LeakyReluOp>(x, c.b.getF32FloatAttr(a.alpha));
  if (n == "hardsigmoid")
    return c.make<HardSigmoidOp>(x, c.b.getF32FloatAttr(a.alpha), c.b.getF32FloatAttr(a.beta));
  if (n == "affine")
    return c.make<AddOp>(c.make<MulOp>(x, c.scalar(et, a.alpha)), c.scalar(et, a.beta));
  if (n == "scaledtanh")
    return c.make<MulOp>(c.make<TanhOp>(c.make<MulOp>(x, c.scalar(et, a.beta))),
                         c.scalar(et, a.alpha));
  if (n == "softsign")
    return c.make<DivOp>(x, c.make<AddOp>(c.make<AbsOp>(x), c.scalar(et, 1.0)));
  if (n == "softplus")
    return c.make<LogOp>(c.make<AddOp>(c.make<ExpOp>(x), c.scalar(et, 1.0)));
  if (n == "elu") {
    // max(x, 0) + alpha * (exp(min(x, 0)) - 1)
    Value zero = c.scalar(et, 0.0);
    Value neg = c.make<SubOp>(c.make<ExpOp>(c.make<MinOp>(x, zero)), c.scalar(et, 1.0));
    return c.make<AddOp>(c.make<MaxOp>(x, zero), c.make<MulOp>(neg, c.scalar(et, a.alpha)));
  }
  (void)c.fail("activation '" + a.name + "' is not supported");
  return failure();
}

/// Activations per direction with their alpha/beta, ONNX defaults filled in.
FailureOr<SmallVector<Activation>> activations(NodeContext &c, Cell cell, int numDir) {
  SmallVector<std::string> dflt;
  switch (cell) {
  case Cell::RNN: dflt = {"Tanh"}; break;
  case Cell::GRU: dflt = {"Sigmoid", "Tanh"}; break;
  case Cell::LSTM: dflt = {"Sigmoid", "Tanh", "Tanh"}; break;
  }
  size_t per = dflt.size();
  SmallVector<std::string> names;
  if (auto *a = c.attr("activations"))
    for (const auto &s : a->strings())
      names.push_back(s);
  if (names.empty())
    for (int d = 0; d < numDir; ++d)
      names.append(dflt.begin(), dflt.end());
  if (names.size() == per && numDir == 2)
    names.append(SmallVector<std::string>(names));
  if (names.size() != per * numDir) {
    (void)c.fail("activations needs " + std::to_string(per * numDir) + " entries");
    return failure();
  }
  SmallVector<float> alphas, betas;
  if (auto *a = c.attr("activation_alpha"))
    alphas.assign(a->floats().begin(), a->floats().end());
  if (auto *a = c.attr("activation_beta"))
    betas.assign(a->floats().begin(), a->floats().end());
  size_t ai = 0, bi = 0;
  SmallVector<Activation> out;
  for (auto &raw : names) {
    Activation act;
    for (char ch : raw)
      act.name.push_back(std::tolower((unsigned char)ch));
    // Only the functions that take alpha/beta consume entries of the lists.
    float da = 0, db = 0;
    bool usesAlpha = true, usesBeta = false;
    if (act.name == "leakyrelu")
      da = 0.01f;
    else if (act.name == "hardsigmoid")
      da = 0.2f, db = 0.5f, usesBeta = true;
    else if (act.name == "elu")
      da = 1.0f;
    else if (act.name == "affine" || act.name == "scaledtanh")
      da = 1.0f, db = 0.0f, usesBeta = true;
    else
      usesAlpha = false;
    act.alpha = usesAlpha && ai < alphas.size() ? alphas[ai++] : da;
    act.beta = usesBeta && bi < betas.size() ? betas[bi++] : db;
    out.push_back(act);
  }
  return out;
}

/// A recurrence's state after a step, and the step's output.
struct StepState {
  Value h, c, y;
};
using CellStep = llvm::function_ref<FailureOr<StepState>(Value xt, Value h, Value c, Value mask)>;

/// Longer sequences stay a loop: unrolled, every step is its own kernels and
/// compile time grows with the sequence (a 2-layer bidirectional LSTM over
/// 100 steps took 67 s to compile unrolled).
constexpr int64_t kUnrolledSteps = 16;

/// The recurrence as a nuri.loop over `seq` steps (one kernel, scf.while
/// after lowering): it carries the state and Y [seq, batch, H], reads
/// step t's input projection from xw [seq, batch, G*H] with a gather and
/// writes its output into Y with a scatter. `maskAt(t)`, when given, is the
/// constant [batch, 1] mask of step t (constant sequence_lens); the masks are
/// stacked into one table gathered the same way. Returns Y and the final
/// state.
FailureOr<StepState> recurrenceLoop(NodeContext &c, int64_t seq, bool reverse, Value xw, Value h0,
                                    Value c0, llvm::function_ref<DenseElementsAttr(int64_t)> maskAt,
                                    CellStep step) {
  MLIRContext *ctx = c.b.getContext();
  auto stateType = typeOf(h0);
  int64_t batch = stateType.getDimSize(0), hidden = stateType.getDimSize(1);
  Type et = stateType.getElementType(), i64 = IntegerType::get(ctx, 64);
  auto scalarType = [](Type t) { return RankedTensorType::get({}, t); };
  Value masks;
  if (maskAt) {
    SmallVector<Attribute> all;
    for (int64_t t = 0; t < seq; ++t)
      llvm::append_range(all, maskAt(t).getValues<Attribute>());
    masks = c.constant(DenseElementsAttr::get(RankedTensorType::get({seq, batch, 1}, et), all));
  }
  auto yType = RankedTensorType::get({seq, batch, hidden}, et);
  Value y0 = c.constant(DenseElementsAttr::get(yType, FloatAttr::get(et, 0.0)));
  Value maxTrip = c.constant(DenseElementsAttr::get(scalarType(i64), seq));
  Value cond = c.constant(DenseElementsAttr::get(scalarType(IntegerType::get(ctx, 1)), true));
  SmallVector<Value> carried{h0};
  if (c0)
    carried.push_back(c0);
  carried.push_back(y0);

  auto loop = LoopOp::create(c.b, c.loc(), ValueRange(carried).getTypes(), maxTrip, cond, carried);
  Block *body = new Block();
  loop.getBody().push_back(body);
  Value iter = body->addArgument(scalarType(i64), c.loc());
  body->addArgument(scalarType(IntegerType::get(ctx, 1)), c.loc());
  SmallVector<Value> state;
  for (Value v : carried)
    state.push_back(body->addArgument(v.getType(), c.loc()));
  OpBuilder::InsertionGuard guard(c.b);
  c.b.setInsertionPointToStart(body);
  Value t = reverse ? c.make<SubOp>(c.constant(DenseElementsAttr::get(scalarType(i64), seq - 1)), iter)
                    : iter;
  IntegerAttr axis0 = c.b.getI64IntegerAttr(0);
  Value xt = c.make<GatherOp>(xw, t, axis0);
  Value mask = masks ? c.make<GatherOp>(masks, t, axis0) : Value();
  auto next = step(xt, state[0], c0 ? state[1] : Value(), mask);
  if (failed(next))
    return failure();
  Value at = c.reshape(t, {1, 1});
  Value yNew = c.make<ScatterNDOp>(state.back(), at, c.reshape(next->y, {1, batch, hidden}),
                                   c.b.getStringAttr("none"));
  SmallVector<Value> yielded{cond, next->h};
  if (c0)
    yielded.push_back(next->c);
  yielded.push_back(yNew);
  LoopYieldOp::create(c.b, c.loc(), yielded);
  return StepState{loop.getResult(0), c0 ? loop.getResult(1) : Value(), loop.getResults().back()};
}

LogicalResult convertRecurrent(NodeContext &c, Cell cell) {
  const int gates = cell == Cell::RNN ? 1 : cell == Cell::GRU ? 3 : 4;
  Value x = c.input(0), w = c.input(1), r = c.input(2), bias = c.input(3);
  Value seqLens = c.input(4), h0 = c.input(5);
  Value c0 = cell == Cell::LSTM ? c.input(6) : Value();
  Value peep = cell == Cell::LSTM ? c.input(7) : Value();
  if (!x || !w || !r)
    return c.fail("needs X, W and R");
  std::string direction = c.attrString("direction", "forward");
  int numDir = direction == "bidirectional" ? 2 : 1;
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
    return c.fail("unknown direction '" + direction + "'");
  int64_t layout = c.attrInt("layout", 0);
  if (layout != 0 && layout != 1)
    return c.fail("layout must be 0 or 1");
  if (cell == Cell::LSTM && c.attrInt("input_forget", 0))
    return c.fail("input_forget=1 is not supported");
  bool linearBeforeReset = cell == Cell::GRU && c.attrInt("linear_before_reset", 0);
  auto acts = activations(c, cell, numDir);
  if (failed(acts))
    return failure();

  auto xt = typeOf(x);
  Type et = xt.getElementType();
  if (!isa<FloatType>(et))
    return c.fail("X must be a float tensor");
  if (xt.getRank() != 3)
    return c.fail("X must be 3-D");
  if (layout == 1)
    x = transpose(c, x, {1, 0, 2});
  int64_t seq = typeOf(x).getDimSize(0), batch = typeOf(x).getDimSize(1),
          inSize = typeOf(x).getDimSize(2);
  int64_t hidden = typeOf(r).getRank() == 3 ? typeOf(r).getDimSize(2) : -1;
  if (c.hasAttr("hidden_size") && c.attrInt("hidden_size", 0) != hidden)
    return c.fail("hidden_size differs from R's last dimension");
  auto expect = [&](Value v, ArrayRef<int64_t> shape, const char *name) -> LogicalResult {
    if (v && (typeOf(v).getShape() != shape || typeOf(v).getElementType() != et))
      return c.fail(std::string(name) + " has the wrong shape or element type");
    return success();
  };
  SmallVector<int64_t> stateShape = layout == 0 ? SmallVector<int64_t>{numDir, batch, hidden}
                                                : SmallVector<int64_t>{batch, numDir, hidden};
  if (hidden < 1 || failed(expect(w, {numDir, gates * hidden, inSize}, "W")) ||
      failed(expect(r, {numDir, gates * hidden, hidden}, "R")) ||
      failed(expect(bias, {numDir, 2 * gates * hidden}, "B")) ||
      failed(expect(h0, stateShape, "initial_h")) ||
      failed(expect(c0, stateShape, "initial_c")) ||
      failed(expect(peep, {numDir, 3 * hidden}, "P")))
    return failure();
  if (seq < 1)
    return c.fail("the sequence length must be at least 1");

  // Per batch item, the number of valid steps (constant), or none when all
  // run the full sequence.
  SmallVector<int64_t> lens;
  if (seqLens) {
    if (typeOf(seqLens).getShape() != ArrayRef<int64_t>{batch})
      return c.fail("sequence_lens must have one entry per batch item");
    if (auto cst = c.constantInput(4)) {
      for (APInt v : cst.getValues<APInt>()) {
        int64_t n = v.getSExtValue();
        if (n < 0 || n > seq)
          return c.fail("sequence_lens entry " + std::to_string(n) + " is outside 0.." +
                        std::to_string(seq));
        lens.push_back(n);
      }
      if (llvm::all_of(lens, [&](int64_t n) { return n == seq; }))
        lens.clear();
    } else if (seq != 1) {
      // With one step, every valid length is the full sequence.
      return c.fail("sequence_lens is computed at run time; only constant lengths are "
                    "supported");
    }
  }
  if (layout == 1) {
    if (h0)
      h0 = transpose(c, h0, {1, 0, 2});
    if (c0)
      c0 = transpose(c, c0, {1, 0, 2});
  }
  Value zeroState = c.constant(DenseElementsAttr::get(
      RankedTensorType::get({batch, hidden}, et), FloatAttr::get(et, 0.0)));

  SmallVector<Value> ys, hs, cs;
  for (int d = 0; d < numDir; ++d) {
    bool reverse = direction == "reverse" || d == 1;
    ArrayRef<Activation> act = ArrayRef<Activation>(*acts).slice(d * (acts->size() / numDir),
                                                                 acts->size() / numDir);
    Value wd = transpose(c, takeFirst(c, w, d), {1, 0}); // [in, G*H]
    Value rd = transpose(c, takeFirst(c, r, d), {1, 0}); // [H, G*H]
    Value wb, rb;
    if (bias) {
      Value bd = takeFirst(c, bias, d);
      wb = sliceAxis(c, bd, 0, 0, gates * hidden);
      rb = sliceAxis(c, bd, 0, gates * hidden, gates * hidden);
    }
    // All input projections at once: [seq, batch, G*H].
    Value xw = c.make<MatMulOp>(c.reshape(x, {seq * batch, inSize}), wd);
    if (wb)
      xw = c.make<AddOp>(xw, wb);
    xw = c.reshape(xw, {seq, batch, gates * hidden});
    Value rGate, rbGate, rRest, rbRest; // GRU: the h gate apart from z, r
    if (cell == Cell::GRU) {
      rRest = sliceAxis(c, rd, 1, 0, 2 * hidden);
      rGate = sliceAxis(c, rd, 1, 2 * hidden, hidden);
      if (rb) {
        rbRest = sliceAxis(c, rb, 0, 0, 2 * hidden);
        rbGate = sliceAxis(c, rb, 0, 2 * hidden, hidden);
      }
    }
    Value pI, pO, pF;
    if (peep) {
      Value pd = takeFirst(c, peep, d);
      pI = sliceAxis(c, pd, 0, 0, hidden);
      pO = sliceAxis(c, pd, 0, hidden, hidden);
      pF = sliceAxis(c, pd, 0, 2 * hidden, hidden);
    }
    Value h = h0 ? takeFirst(c, h0, d) : zeroState;
    Value cst = c0 ? takeFirst(c, c0, d) : zeroState;
    float clip = c.attrFloat("clip", 0.0f);
    bool clipped = c.hasAttr("clip");
    if (clipped && !(clip > 0))
      return c.fail("clip must be positive");
    auto f = [&](int i, Value v) -> FailureOr<Value> {
      if (clipped)
        v = c.make<ClipOp>(v, c.scalar(et, -clip), c.scalar(et, clip));
      return activate(c, act[i], v);
    };
    auto gate = [&](Value v, int g) { return sliceAxis(c, v, 1, g * hidden, hidden); };

    // One step: the new state and the step's output from x_t's projection,
    // the state, and the 0/1 mask of items still running (null: all are).
    auto cellStep = [&](Value xt, Value h, Value cst, Value mask) -> FailureOr<StepState> {
      Value hNew, cNew;
      if (cell == Cell::RNN) {
        Value pre = c.make<AddOp>(xt, c.make<MatMulOp>(h, rd));
        if (rb)
          pre = c.make<AddOp>(pre, rb);
        auto v = f(0, pre);
        if (failed(v))
          return failure();
        hNew = *v;
      } else if (cell == Cell::GRU) {
        Value hr = c.make<MatMulOp>(h, rRest);
        if (rbRest)
          hr = c.make<AddOp>(hr, rbRest);
        auto z = f(0, c.make<AddOp>(gate(xt, 0), gate(hr, 0)));
        auto rg = f(0, c.make<AddOp>(gate(xt, 1), gate(hr, 1)));
        if (failed(z) || failed(rg))
          return failure();
        Value rec;
        if (linearBeforeReset) {
          rec = c.make<MatMulOp>(h, rGate);
          if (rbGate)
            rec = c.make<AddOp>(rec, rbGate);
          rec = c.make<MulOp>(*rg, rec);
        } else {
          rec = c.make<MatMulOp>(c.make<MulOp>(*rg, h), rGate);
          if (rbGate)
            rec = c.make<AddOp>(rec, rbGate);
        }
        auto hh = f(1, c.make<AddOp>(gate(xt, 2), rec));
        if (failed(hh))
          return failure();
        // (1 - z) * hh + z * h
        hNew = c.make<AddOp>(c.make<MulOp>(c.make<SubOp>(c.scalar(et, 1.0), *z), *hh),
                             c.make<MulOp>(*z, h));
      } else {
        Value pre = c.make<AddOp>(xt, c.make<MatMulOp>(h, rd));
        if (rb)
          pre = c.make<AddOp>(pre, rb);
        Value iPre = gate(pre, 0), oPre = gate(pre, 1), fPre = gate(pre, 2),
              cPre = gate(pre, 3);
        if (peep) {
          iPre = c.make<AddOp>(iPre, c.make<MulOp>(pI, cst));
          fPre = c.make<AddOp>(fPre, c.make<MulOp>(pF, cst));
        }
        auto ig = f(0, iPre), fg = f(0, fPre), cg = f(1, cPre);
        if (failed(ig) || failed(fg) || failed(cg))
          return failure();
        cNew = c.make<AddOp>(c.make<MulOp>(*fg, cst), c.make<MulOp>(*ig, *cg));
        if (peep)
          oPre = c.make<AddOp>(oPre, c.make<MulOp>(pO, cNew));
        auto og = f(0, oPre);
        // clip bounds the gates' inputs, not the cell state (as ONNX Runtime).
        auto hc = activate(c, act[2], cNew);
        if (failed(og) || failed(hc))
          return failure();
        hNew = c.make<MulOp>(*og, *hc);
      }
      if (!mask)
        return StepState{hNew, cNew, hNew};
      // Items past their length keep their state and output zeros.
      Value keep = c.make<SubOp>(c.scalar(et, 1.0), mask);
      Value y = c.make<MulOp>(hNew, mask);
      hNew = c.make<AddOp>(y, c.make<MulOp>(h, keep));
      if (cNew)
        cNew = c.make<AddOp>(c.make<MulOp>(cNew, mask), c.make<MulOp>(cst, keep));
      return StepState{hNew, cNew, y};
    };
    // masks[t]: 1 for the items still running at step t.
    auto maskAt = [&](int64_t t) {
      SmallVector<Attribute> m;
      for (int64_t n : lens)
        m.push_back(FloatAttr::get(et, t < n ? 1.0 : 0.0));
      return DenseElementsAttr::get(RankedTensorType::get({batch, 1}, et), m);
    };

    if (seq > kUnrolledSteps) {
      llvm::function_ref<DenseElementsAttr(int64_t)> masks;
      if (!lens.empty())
        masks = maskAt;
      auto out = recurrenceLoop(c, seq, reverse, xw, h, cell == Cell::LSTM ? cst : Value(), masks,
                                cellStep);
      if (failed(out))
        return failure();
      ys.push_back(out->y);
      hs.push_back(out->h);
      cs.push_back(out->c ? out->c : cst); // RNN, GRU: no cell state (Y_c unused)
      continue;
    }
    SmallVector<Value> yd(seq);
    for (int64_t step = 0; step < seq; ++step) {
      int64_t t = reverse ? seq - 1 - step : step;
      Value xt = takeFirst(c, xw, t); // [batch, G*H]
      auto next = cellStep(xt, h, cst, lens.empty() ? Value() : c.constant(maskAt(t)));
      if (failed(next))
        return failure();
      yd[t] = next->y;
      h = next->h;
      if (next->c)
        cst = next->c;
    }
    ys.push_back(stackFirst(c, yd)); // [seq, batch, H]
    hs.push_back(h);
    cs.push_back(cst);
  }
  // Y: [seq, dir, batch, H]; Y_h, Y_c: [dir, batch, H] (layout 0).
  SmallVector<Value> ys4;
  for (Value y : ys)
    ys4.push_back(c.reshape(y, {seq, 1, batch, hidden}));
  Value y = ys4.size() == 1 ? ys4[0] : c.make<ConcatOp>(ys4, int64_t(1));
  Value yh = stackFirst(c, hs), yc = stackFirst(c, cs);
  if (layout == 1) {
    y = transpose(c, y, {2, 0, 1, 3});
    yh = transpose(c, yh, {1, 0, 2});
    yc = transpose(c, yc, {1, 0, 2});
  }
  c.setOutput(0, y);
  c.setOutput(1, yh);
  if (cell == Cell::LSTM)
    c.setOutput(2, yc);
  return success();
}

} // namespace

void registerRNNConverters(ConverterMap &table) {
  table["RNN"] = [](NodeContext &c) { return convertRecurrent(c, Cell::RNN); };
  table["GRU"] = [](NodeContext &c) { return convertRecurrent(c, Cell::GRU); };
  table["LSTM"] = [](NodeContext &c) { return convertRecurrent(c, Cell::LSTM); };
}

} // namespace nuri
