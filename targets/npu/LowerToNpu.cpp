//===- LowerToNpu.cpp - match dispatches the NPU runs natively ------------===//
//
// A dispatch function is NPU-native when it is
//   (a) linalg.fill(0) + linalg.matmul of 2-D f32 function arguments,
//       followed by elementwise linalg.generics on its result, or
//   (b) a chain of elementwise linalg.generics,
// and every elementwise operand is the chain's value, a function argument
// read in full or broadcast along rows or columns, or a scalar constant, and
// every body op is one the vector engine has. Anything else is left to the
// next target, with the reason in `nuri.npu_fallback`.
//
//===----------------------------------------------------------------------===//
#include "targets/npu/Passes.h"
#include "targets/npu/Plan.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/TypeSwitch.h"

#include <limits>

namespace mlir::nuri::npu {
#define GEN_PASS_DEF_NURINPULOWER
#include "targets/npu/Passes.h.inc"
} // namespace mlir::nuri::npu

using namespace mlir;
using ::nuri::npu_target::Broadcast;
using ::nuri::npu_target::EInput;
using ::nuri::npu_target::EStep;
using ::nuri::npu_target::EValue;
using ::nuri::npu_target::ConvShape;
using ::nuri::npu_target::KernelPlan;
using ::nuri::npu_target::MatmulPlan;

namespace {

/// Builds the elementwise program of a chain of generics; each failure says
/// why in `reason`.
class ProgramBuilder {
public:
  ProgramBuilder(KernelPlan &plan, func::FuncOp func) : plan(plan), func(func) {}
  std::string reason;
  /// The output dims that make the columns of the [rows, cols] view (the
  /// last one, or a convolution's filters); the others make the rows.
  SmallVector<int64_t> colDims;

  /// Adds the generic's body; `chain` is the value the previous op
  /// produced (null for the first generic of an elementwise kernel).
  bool addGeneric(linalg::GenericOp generic, Value chain, EValue chainValue, EValue &result) {
    if (generic.getNumDpsInits() != 1 || generic.getNumResults() != 1)
      return fail("a generic with several results");
    if (generic.getNumReductionLoops() != 0)
      return fail("a reduction");
    auto outType = dyn_cast<RankedTensorType>(generic.getResult(0).getType());
    if (!outType || !outType.getElementType().isF32())
      return fail("element type is not f32");
    Block &body = generic.getRegion().front();
    if (!body.getArgument(generic.getNumDpsInputs()).use_empty())
      return fail("the body reads its output");
    if (!generic.getIndexingMapsArray().back().isIdentity())
      return fail("the output is permuted");
    DenseMap<Value, EValue> values;
    for (auto [i, input] : llvm::enumerate(generic.getDpsInputs())) {
      EValue v;
      if (!operand(input, generic.getIndexingMapsArray()[i], outType, chain, chainValue, v))
        return false;
      values[body.getArgument(i)] = v;
    }
    for (Operation &op : body.without_terminator()) {
      EValue v;
      if (!bodyOp(op, values, v))
        return false;
      values[op.getResult(0)] = v;
    }
    Value yielded = body.getTerminator()->getOperand(0);
    if (!lookup(yielded, values, result))
      return fail("the body yields a value defined outside it");
    if (modeOf(result) != Broadcast::Full)
      return fail("the body yields a broadcast value");
    return true;
  }

  /// Makes the last step produce `result` (the schedule stores the last
  /// step's destination), then counts temps.
  void finish(EValue result) {
    auto &p = plan.epilogue;
    bool lastMakesIt = !p.steps.empty() && result.kind == EValue::Temp &&
                       p.steps.back().dst == result.index;
    if (!lastMakesIt && !(result.kind == EValue::Acc && p.steps.empty()))
      p.steps.push_back({"copy", nextTemp++, result, {}, Broadcast::Full});
    p.result = {EValue::Temp, p.steps.empty() ? 0 : p.steps.back().dst, 0.0f};
    if (result.kind == EValue::Acc && p.steps.empty())
      p.result = result;
    // The last step has the highest temp id and writes the result slot
    // instead, so its temp never needs SRAM.
    p.temps = std::max(0, nextTemp - 1);
  }

private:
  KernelPlan &plan;
  func::FuncOp func;
  int nextTemp = 0;

  bool fail(const std::string &why) {
    reason = why;
    return false;
  }

  bool lookup(Value v, DenseMap<Value, EValue> &values, EValue &out) {
    auto it = values.find(v);
    if (it != values.end()) {
      out = it->second;
      return true;
    }
    FloatAttr constant;
    if (matchPattern(v, m_Constant(&constant))) {
      out = {EValue::Scalar, 0, (float)constant.getValueAsDouble()};
      return true;
    }
    return false;
  }

  bool operand(Value input, AffineMap map, RankedTensorType outType, Value chain,
               EValue chainValue, EValue &out) {
    if (input == chain) {
      if (!map.isIdentity())
        return fail("the chained value is read through a non-identity map");
      out = chainValue;
      return true;
    }
    DenseElementsAttr dense;
    if (matchPattern(input, m_Constant(&dense)) && dense.isSplat() &&
        dense.getElementType().isF32()) {
      out = {EValue::Scalar, 0, dense.getSplatValue<float>()};
      return true;
    }
    auto arg = dyn_cast<BlockArgument>(input);
    if (!arg || arg.getOwner()->getParentOp() != func.getOperation())
      return fail("an operand is computed inside the dispatch");
    if (!cast<RankedTensorType>(arg.getType()).getElementType().isF32())
      return fail("element type is not f32");
    // The output viewed as [rows, cols] = [prod(leading dims), last dim].
    Broadcast mode;
    if (colDims.empty())
      colDims.push_back(outType.getRank() - 1);
    if (!classify(map, outType.getShape(), mode))
      return fail("an operand broadcasts in a way the vector engine cannot read");
    auto &inputs = plan.epilogue.inputs;
    for (size_t i = 0; i < inputs.size(); ++i)
      if (inputs[i].binding == arg.getArgNumber() && inputs[i].mode == mode) {
        out = {EValue::Input, (int)i, 0.0f};
        return true;
      }
    inputs.push_back({(int64_t)arg.getArgNumber(), mode});
    out = {EValue::Input, (int)inputs.size() - 1, 0.0f};
    return true;
  }

  /// Full, Row (only the column dims) or Column (only the row dims) reads of
  /// the view; dims of size 1 and constant-0 results do not matter.
  bool classify(AffineMap map, ArrayRef<int64_t> shape, Broadcast &mode) const {
    int64_t rank = shape.size();
    SmallVector<int64_t> used;
    for (AffineExpr e : map.getResults()) {
      if (auto d = dyn_cast<AffineDimExpr>(e)) {
        if (shape[d.getPosition()] != 1)
          used.push_back(d.getPosition());
        continue;
      }
      auto c = dyn_cast<AffineConstantExpr>(e);
      if (!c || c.getValue() != 0)
        return false;
    }
    SmallVector<int64_t> all, rowPart, colPart;
    for (int64_t d = 0; d < rank; ++d)
      if (shape[d] != 1) {
        all.push_back(d);
        (llvm::is_contained(colDims, d) ? colPart : rowPart).push_back(d);
      }
    if (used == all)
      mode = Broadcast::Full;
    else if (!colPart.empty() && used == colPart)
      mode = Broadcast::Row;
    else if (!rowPart.empty() && used == rowPart)
      mode = Broadcast::Column;
    else
      return false;
    return true;
  }

  Broadcast modeOf(const EValue &v) const {
    switch (v.kind) {
    case EValue::Acc:
      return Broadcast::Full;
    case EValue::Temp:
      return v.shape;
    case EValue::Input:
      return plan.epilogue.inputs[v.index].mode;
    case EValue::Scalar:
      return Broadcast::Scalar;
    }
    return Broadcast::Full;
  }

  EValue step(StringRef op, Broadcast shape, EValue a, EValue b = {}) {
    plan.epilogue.steps.push_back({op.str(), nextTemp, a, b, shape});
    EValue result{EValue::Temp, nextTemp++, 0.0f};
    result.shape = shape;
    return result;
  }

  static std::optional<float> fold(StringRef op, float a, float b) {
    if (op == "add") return a + b;
    if (op == "sub") return a - b;
    if (op == "mul") return a * b;
    if (op == "div") return a / b;
    if (op == "max") return std::max(a, b);
    if (op == "min") return std::min(a, b);
    return std::nullopt;
  }

  bool bodyOp(Operation &op, DenseMap<Value, EValue> &values, EValue &out) {
    std::string name = op.getName().getStringRef().str();
    if (op.getNumResults() != 1 || !op.getResult(0).getType().isF32())
      return fail("body op '" + name + "' is not f32");
    SmallVector<EValue> args;
    for (Value v : op.getOperands()) {
      EValue e;
      if (!lookup(v, values, e))
        return fail("body op '" + name + "' reads a value defined outside the body");
      args.push_back(e);
    }
    StringRef unary = llvm::TypeSwitch<Operation *, StringRef>(&op)
                          .Case<arith::NegFOp>([](auto) { return "neg"; })
                          .Case<math::AbsFOp>([](auto) { return "abs"; })
                          .Case<math::ExpOp>([](auto) { return "exp"; })
                          .Case<math::TanhOp>([](auto) { return "tanh"; })
                          .Case<math::RsqrtOp>([](auto) { return "rsqrt"; })
                          .Case<math::SqrtOp>([](auto) { return "sqrt"; })
                          .Case<math::ErfOp>([](auto) { return "erf"; })
                          .Default([](auto) { return ""; });
    if (!unary.empty()) {
      Broadcast shape = modeOf(args[0]);
      if (shape == Broadcast::Scalar)
        return fail("'" + unary.str() + "' of a constant");
      out = step(unary, shape, args[0]);
      return true;
    }
    StringRef binary = llvm::TypeSwitch<Operation *, StringRef>(&op)
                           .Case<arith::AddFOp>([](auto) { return "add"; })
                           .Case<arith::SubFOp>([](auto) { return "sub"; })
                           .Case<arith::MulFOp>([](auto) { return "mul"; })
                           .Case<arith::DivFOp>([](auto) { return "div"; })
                           .Case<arith::MaximumFOp, arith::MaxNumFOp>([](auto) { return "max"; })
                           .Case<arith::MinimumFOp, arith::MinNumFOp>([](auto) { return "min"; })
                           .Default([](auto) { return ""; });
    if (binary.empty())
      return fail("the vector engine has no '" + name + "'");
    EValue a = args[0], b = args[1];
    Broadcast ma = modeOf(a), mb = modeOf(b);
    if (ma == Broadcast::Scalar && mb == Broadcast::Scalar) {
      out = {EValue::Scalar, 0, *fold(binary, a.imm, b.imm)};
      return true;
    }
    // The step runs over the widest operand: the full tile, else one row or
    // one column; the vector engine reads operand b broadcast, never a.
    Broadcast shape = ma == Broadcast::Full || mb == Broadcast::Full ? Broadcast::Full
                      : ma == Broadcast::Scalar                      ? mb
                                                                     : ma;
    if (shape != Broadcast::Full && ma != Broadcast::Scalar && mb != Broadcast::Scalar &&
        ma != mb)
      return fail("'" + binary.str() + "' of a row by a column");
    if (ma != shape) {
      if (binary == "sub") { // a - b = (-b) + a
        out = step("add", shape, step("neg", shape, b), a);
        return true;
      }
      if (binary == "div") { // a / b = (1/b) * a
        out = step("mul", shape, step("recip", shape, b), a);
        return true;
      }
      std::swap(a, b); // the rest commute
    }
    out = step(binary, shape, a, b);
    return true;
  }
};

int64_t bytesOf(Type type) {
  auto t = cast<RankedTensorType>(type);
  return t.getNumElements() * 4;
}

/// Whether `init` is a linalg.fill of the constant `value`.
bool isFillOf(Value init, double value) {
  auto fill = init.getDefiningOp<linalg::FillOp>();
  FloatAttr constant;
  return fill && matchPattern(fill.value(), m_Constant(&constant)) &&
         constant.getValueAsDouble() == value;
}

/// sum or max over the trailing dims of an f32 argument, from 0 or -inf.
bool matchReduce(linalg::ReduceOp reduce, KernelPlan &plan, std::string &reason) {
  reason = "a reduction other than a sum or max over trailing dims of an argument";
  if (reduce.getInputs().size() != 1)
    return false;
  auto input = dyn_cast<BlockArgument>(reduce.getInputs()[0]);
  if (!input)
    return false;
  auto type = cast<RankedTensorType>(input.getType());
  ArrayRef<int64_t> dims = reduce.getDimensions();
  int64_t rank = type.getRank(), reduced = dims.size();
  for (int64_t i = 0; i < reduced; ++i)
    if (dims[i] != rank - reduced + i)
      return false;
  Block &body = reduce.getRegion().front();
  if (body.getOperations().size() != 2)
    return false;
  Operation &combine = body.front();
  bool max = isa<arith::MaximumFOp>(combine);
  if (!max && !isa<arith::AddFOp>(combine))
    return false;
  if (!isFillOf(reduce.getInits()[0], max ? -std::numeric_limits<double>::infinity() : 0.0))
    return false;
  int64_t cols = 1;
  for (int64_t d = rank - reduced; d < rank; ++d)
    cols *= type.getDimSize(d);
  plan.reduce = ::nuri::npu_target::ReducePlan{max, input.getArgNumber()};
  plan.rows = type.getNumElements() / std::max<int64_t>(1, cols);
  plan.cols = cols;
  return true;
}

/// A permutation of an f32 argument with at most four dims of size > 1.
bool matchTranspose(linalg::TransposeOp transpose, KernelPlan &plan, std::string &reason) {
  reason = "a transpose of more than four non-unit dims";
  auto input = dyn_cast<BlockArgument>(transpose.getInput());
  if (!input) {
    reason = "a transpose of a value computed inside the dispatch";
    return false;
  }
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> inStride(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d)
    inStride[d] = inStride[d + 1] * type.getDimSize(d + 1);
  ::nuri::npu_target::TransposePlan tp{input.getArgNumber(), {}, {}};
  ArrayRef<int64_t> perm = transpose.getPermutation();
  for (int64_t j = 0; j < rank; ++j) {
    int64_t size = type.getDimSize(perm[j]);
    if (size == 1)
      continue; // unit dims move nothing
    tp.outShape.push_back(size);
    tp.inputStrides.push_back(inStride[perm[j]]);
  }
  if (tp.outShape.size() > 4)
    return false;
  plan.transpose = tp;
  return true;
}

/// A depthwise convolution or max pool of one image on its padded input.
bool matchWindow(linalg::LinalgOp op, KernelPlan &plan, std::string &reason) {
  bool max = isa<linalg::PoolingNchwMaxOp>(op);
  reason = "a window op on computed values or of several images";
  auto x = dyn_cast<BlockArgument>(op.getDpsInputs()[0]);
  auto w = dyn_cast<BlockArgument>(op.getDpsInputs()[1]);
  if (!x || (!max && !w) ||
      !isFillOf(op.getDpsInits()[0], max ? -std::numeric_limits<double>::infinity() : 0.0))
    return false;
  auto xt = cast<RankedTensorType>(x.getType());
  auto ot = cast<RankedTensorType>(op->getResult(0).getType());
  if (xt.getDimSize(0) != 1)
    return false;
  auto strides = op->getAttrOfType<DenseIntElementsAttr>("strides");
  auto dilations = op->getAttrOfType<DenseIntElementsAttr>("dilations");
  if (!strides || !dilations)
    return false;
  auto st = llvm::to_vector(strides.getValues<int64_t>());
  auto dl = llvm::to_vector(dilations.getValues<int64_t>());
  // The window's size: the weights' [C, KH, KW], or the pool's window operand.
  auto window = cast<RankedTensorType>(op.getDpsInputs()[1].getType());
  int64_t kh = window.getDimSize(window.getRank() - 2), kw = window.getDimSize(window.getRank() - 1);
  plan.window = ::nuri::npu_target::WindowPlan{
      max,          x.getArgNumber(),     max ? -1 : (int64_t)w.getArgNumber(),
      xt.getDimSize(1), xt.getDimSize(2), xt.getDimSize(3), kh, kw, st[0], st[1], dl[0], dl[1],
      ot.getDimSize(2), ot.getDimSize(3)};
  plan.macs = max ? 0 : ot.getNumElements() * kh * kw;
  plan.rows = ot.getDimSize(1);
  plan.cols = ot.getDimSize(2) * ot.getDimSize(3);
  return true;
}

/// An argument inserted at static offsets into a constant, with the outermost
/// dim that is not 1 unpadded and at most four dims from it on.
bool matchPad(tensor::InsertSliceOp insert, KernelPlan &plan, std::string &reason) {
  reason = "an insert_slice other than padding of an argument";
  auto input = dyn_cast<BlockArgument>(insert.getSource());
  auto fill = insert.getDest().getDefiningOp<linalg::FillOp>();
  FloatAttr value;
  if (!input || !fill || !matchPattern(fill.value(), m_Constant(&value)) ||
      !insert.hasUnitStride() ||
      ShapedType::isDynamicShape(insert.getStaticOffsets()))
    return false;
  auto in = cast<RankedTensorType>(input.getType());
  auto out = cast<RankedTensorType>(insert.getResult().getType());
  if (in.getRank() != out.getRank())
    return false;
  ArrayRef<int64_t> offsets = insert.getStaticOffsets();
  int64_t lead = 0;
  while (lead + 1 < out.getRank() && out.getDimSize(lead) == 1)
    ++lead;
  if (out.getRank() - lead > 4 || offsets[lead] != 0 || in.getDimSize(lead) != out.getDimSize(lead))
    return false;
  ::nuri::npu_target::PadPlan pp{input.getArgNumber(), (float)value.getValueAsDouble(), {}, {},
                                 {}};
  for (int64_t d = lead; d < out.getRank(); ++d) {
    pp.inShape.push_back(in.getDimSize(d));
    pp.outShape.push_back(out.getDimSize(d));
    pp.offsets.push_back(offsets[d]);
  }
  plan.pad = pp;
  return true;
}

/// A contraction C[m..., n] += A[m..., k] * B[k, n] written as a generic
/// (MatMul of a 3-D activation by a 2-D weight): rows are the m dims.
bool matchContraction(linalg::GenericOp generic, KernelPlan &plan, std::string &reason) {
  reason = "a reduction other than a matmul of arguments by a [K, N] weight";
  if (!linalg::isaContractionOpInterface(generic) || generic.getNumDpsInputs() != 2 ||
      !isFillOf(generic.getDpsInits()[0], 0.0))
    return false;
  auto dims = linalg::inferContractionDims(generic);
  if (failed(dims) || dims->k.size() != 1 || dims->n.size() != 1 || dims->m.empty())
    return false;
  auto a = dyn_cast<BlockArgument>(generic.getDpsInputs()[0]);
  auto b = dyn_cast<BlockArgument>(generic.getDpsInputs()[1]);
  if (!a || !b)
    return false;
  SmallVector<int64_t> ranges = generic.getStaticLoopRanges();
  auto maps = generic.getIndexingMapsArray();
  MLIRContext *ctx = generic.getContext();
  auto dim = [&](unsigned d) { return getAffineDimExpr(d, ctx); };
  // The output is [batch..., m..., n] in loop order (its row-major layout
  // is then [batch * M, N]); A is [batch..., m..., k]; B is [batch..., k, n],
  // or [k, n] when every batch dim is 1.
  SmallVector<AffineExpr> aExpected, bExpected;
  bool inBatch = true, unitBatch = true;
  int64_t batch = 1;
  for (AffineExpr e : maps[2].getResults()) {
    auto d = dyn_cast<AffineDimExpr>(e);
    if (!d)
      return false;
    bool isBatch = llvm::is_contained(dims->batch, d.getPosition());
    if (isBatch && !inBatch)
      return false;
    inBatch = isBatch;
    if (isBatch) {
      bExpected.push_back(e);
      batch *= ranges[d.getPosition()];
      unitBatch &= ranges[d.getPosition()] == 1;
    }
    if (d.getPosition() != dims->n[0])
      aExpected.push_back(e);
  }
  aExpected.push_back(dim(dims->k[0]));
  bExpected.append({dim(dims->k[0]), dim(dims->n[0])});
  for (size_t i = 1; i < maps[2].getNumResults(); ++i)
    if (cast<AffineDimExpr>(maps[2].getResult(i)).getPosition() <=
        cast<AffineDimExpr>(maps[2].getResult(i - 1)).getPosition())
      return false;
  bool bMatches = maps[1].getResults() == ArrayRef<AffineExpr>(bExpected) ||
                  (unitBatch && maps[1].getResults() ==
                                    ArrayRef<AffineExpr>{dim(dims->k[0]), dim(dims->n[0])});
  if (maps[0].getResults() != ArrayRef<AffineExpr>(aExpected) || !bMatches ||
      maps[2].getResults().back() != dim(dims->n[0]))
    return false;
  int64_t m = 1;
  for (unsigned d : dims->m)
    m *= ranges[d];
  int64_t k = ranges[dims->k[0]], n = ranges[dims->n[0]];
  plan.matmul = MatmulPlan{m, k, n, a.getArgNumber(), b.getArgNumber(), std::nullopt, batch};
  plan.macs = batch * m * k * n;
  return true;
}

/// The coefficient of dim `d` in `e` (e linear in the dims).
int64_t coefficient(AffineExpr e, unsigned d, unsigned dims) {
  SmallVector<AffineExpr> values;
  for (unsigned i = 0; i < dims; ++i)
    values.push_back(getAffineConstantExpr(i == d ? 1 : 0, e.getContext()));
  auto c = dyn_cast<AffineConstantExpr>(e.replaceDims(values));
  return c ? c.getValue() : -1;
}

/// A 2-D convolution (a `nuri.conv` generic) of one image, groups 1, on its
/// padded input X[1, C, Hp, Wp] and weights W[C, KH, KW, F]:
///   (n, f, oh, ow, c, r, s) -> X[n, c, oh*sh + r*dh, ow*sw + s*dw], W[c, r, s, f]
bool matchConv(linalg::GenericOp generic, KernelPlan &plan, std::string &reason) {
  reason = "a convolution other than 2-D, one image, groups 1";
  auto maps = generic.getIndexingMapsArray();
  if (generic.getNumLoops() != 7 || generic.getNumReductionLoops() != 3 ||
      generic.getNumDpsInputs() != 2 || !isFillOf(generic.getDpsInits()[0], 0.0))
    return false;
  auto x = dyn_cast<BlockArgument>(generic.getDpsInputs()[0]);
  auto w = dyn_cast<BlockArgument>(generic.getDpsInputs()[1]);
  if (!x || !w)
    return false;
  MLIRContext *ctx = generic.getContext();
  auto dim = [&](unsigned d) { return getAffineDimExpr(d, ctx); };
  auto xt = cast<RankedTensorType>(x.getType()), wt = cast<RankedTensorType>(w.getType());
  auto ot = cast<RankedTensorType>(generic.getResult(0).getType());
  if (xt.getRank() != 4 || wt.getRank() != 4 || ot.getRank() != 4 || xt.getDimSize(0) != 1 ||
      maps[1].getResults() != ArrayRef<AffineExpr>{dim(4), dim(5), dim(6), dim(1)} ||
      maps[2].getResults() != ArrayRef<AffineExpr>{dim(0), dim(1), dim(2), dim(3)} ||
      maps[0].getNumResults() != 4 || maps[0].getResult(0) != dim(0) ||
      maps[0].getResult(1) != dim(4))
    return false;
  AffineExpr h = maps[0].getResult(2), wExpr = maps[0].getResult(3);
  ConvShape cv;
  cv.sh = coefficient(h, 2, 7);
  cv.dh = coefficient(h, 5, 7);
  cv.sw = coefficient(wExpr, 3, 7);
  cv.dw = coefficient(wExpr, 6, 7);
  for (unsigned d : {0u, 1u, 3u, 4u, 6u})
    if (coefficient(h, d, 7) != 0)
      return false;
  for (unsigned d : {0u, 1u, 2u, 4u, 5u})
    if (coefficient(wExpr, d, 7) != 0)
      return false;
  if (cv.sh < 1 || cv.dh < 1 || cv.sw < 1 || cv.dw < 1)
    return false;
  cv.channels = xt.getDimSize(1);
  cv.hp = xt.getDimSize(2);
  cv.wp = xt.getDimSize(3);
  cv.kh = wt.getDimSize(1);
  cv.kw = wt.getDimSize(2);
  cv.ow = ot.getDimSize(3);
  int64_t pixels = ot.getDimSize(2) * ot.getDimSize(3), filters = ot.getDimSize(1);
  plan.macs = pixels * cv.channels * cv.kh * cv.kw * filters;
  // Strided: the stride-1 convolution of the input's phases (ConvShape).
  int64_t s = cv.sh;
  if (s > 1 && cv.sw == s && cv.dh == 1 && cv.dw == 1 && cv.kh >= s && cv.kw >= s) {
    cv.phase = s;
    cv.hp0 = cv.hp;
    cv.wp0 = cv.wp;
    cv.kh0 = cv.kh;
    cv.kw0 = cv.kw;
    cv.channels *= s * s;
    cv.hp = (cv.hp + s - 1) / s;
    cv.wp = (cv.wp + s - 1) / s;
    cv.kh = (cv.kh + s - 1) / s;
    cv.kw = (cv.kw + s - 1) / s;
    cv.sh = cv.sw = 1;
  }
  int64_t k = cv.channels * cv.kh * cv.kw;
  plan.matmul = MatmulPlan{pixels, k, filters, x.getArgNumber(), w.getArgNumber(), cv};
  // The [pixels, filters] view of the NCHW output.
  plan.rows = pixels;
  plan.cols = filters;
  plan.columnMajor = true;
  return true;
}

/// Describes `func` as a kernel plan, or says why the NPU cannot run it.
bool planDispatch(func::FuncOp func, KernelPlan &plan, std::string &reason) {
  plan.name = func.getSymName().str();
  if (auto nodes = func->getAttrOfType<ArrayAttr>("nuri.nodes"))
    for (Attribute a : nodes)
      plan.nodes.push_back(cast<StringAttr>(a).str());
  if (func.getNumResults() != 1) {
    reason = "several results";
    return false;
  }
  for (Type t : func.getArgumentTypes()) {
    auto tt = dyn_cast<RankedTensorType>(t);
    if (tt && !tt.hasStaticShape()) {
      reason = "an operand of symbolic or run-time shape (the NPU runs static shapes)";
      return false;
    }
    if (!tt || !tt.hasStaticShape() || !tt.getElementType().isF32()) {
      reason = "an operand that is not a static f32 tensor";
      return false;
    }
    plan.minDramBytes += bytesOf(t);
  }
  auto resultType = dyn_cast<RankedTensorType>(func.getResultTypes()[0]);
  if (resultType && !resultType.hasStaticShape()) {
    reason = "a result of symbolic or run-time shape (the NPU runs static shapes)";
    return false;
  }
  if (!resultType || !resultType.hasStaticShape() || !resultType.getElementType().isF32() ||
      resultType.getRank() == 0) {
    reason = "the result is not a static f32 tensor";
    return false;
  }
  plan.minDramBytes += bytesOf(resultType);
  plan.outBinding = func.getNumArguments();
  plan.cols = resultType.getShape().back();
  plan.rows = resultType.getNumElements() / std::max<int64_t>(1, plan.cols);

  ProgramBuilder program(plan, func);
  Value chain;
  EValue chainValue;
  bool first = true;
  for (Operation &op : func.getBody().front()) {
    if (isa<tensor::EmptyOp, arith::ConstantOp, func::ReturnOp>(op))
      continue;
    if (isa<linalg::FillOp>(op))
      continue; // the initial value of the op that uses it, which checks it
    if (auto reduce = dyn_cast<linalg::ReduceOp>(op)) {
      if (!first || !matchReduce(reduce, plan, reason))
        return false;
      chain = reduce->getResult(0);
      first = false;
      continue;
    }
    if (auto transpose = dyn_cast<linalg::TransposeOp>(op)) {
      if (!first || !matchTranspose(transpose, plan, reason))
        return false;
      chain = transpose->getResult(0);
      first = false;
      continue;
    }
    if (isa<linalg::DepthwiseConv2DNchwChwOp, linalg::PoolingNchwMaxOp>(op)) {
      if (!first || !matchWindow(cast<linalg::LinalgOp>(op), plan, reason))
        return false;
      program.colDims = {2, 3};
      chain = op.getResult(0);
      chainValue = {EValue::Acc, 0, 0.0f};
      first = false;
      continue;
    }
    if (auto insert = dyn_cast<tensor::InsertSliceOp>(op)) {
      if (!first || !matchPad(insert, plan, reason))
        return false;
      chain = insert.getResult();
      first = false;
      continue;
    }
    if ((plan.reduce || plan.transpose || plan.pad) && !first) {
      reason = "an op after a reduction, transpose or padding";
      return false;
    }
    if (auto mm = dyn_cast<linalg::MatmulOp>(op)) {
      if (!first) {
        reason = "a matmul after other ops";
        return false;
      }
      auto a = dyn_cast<BlockArgument>(mm.getInputs()[0]);
      auto b = dyn_cast<BlockArgument>(mm.getInputs()[1]);
      if (!a || !b || mm.hasUserDefinedMaps() || !isFillOf(mm.getOutputs()[0], 0.0)) {
        reason = "a matmul of computed, transposed or non-zero-initialized operands";
        return false;
      }
      auto at = cast<RankedTensorType>(a.getType()), bt = cast<RankedTensorType>(b.getType());
      plan.matmul = ::nuri::npu_target::MatmulPlan{at.getDimSize(0), at.getDimSize(1),
                                                 bt.getDimSize(1), a.getArgNumber(),
                                                 b.getArgNumber()};
      plan.macs = at.getDimSize(0) * at.getDimSize(1) * bt.getDimSize(1);
      chain = mm.getResult(0);
      chainValue = {EValue::Acc, 0, 0.0f};
      first = false;
      continue;
    }
    if (auto generic = dyn_cast<linalg::GenericOp>(op);
        generic && generic.getNumReductionLoops() > 0) {
      if (!first) {
        reason = "a reduction after other ops";
        return false;
      }
      if (generic->hasAttr("nuri.conv")) {
        if (!matchConv(generic, plan, reason))
          return false;
        program.colDims = {1};
      } else if (!matchContraction(generic, plan, reason)) {
        return false;
      }
      chain = generic.getResult(0);
      chainValue = {EValue::Acc, 0, 0.0f};
      first = false;
      continue;
    }
    if (auto generic = dyn_cast<linalg::GenericOp>(op)) {
      EValue result;
      if (!program.addGeneric(generic, chain, chainValue, result)) {
        reason = program.reason;
        return false;
      }
      chain = generic.getResult(0);
      chainValue = result;
      first = false;
      continue;
    }
    reason = "the NPU has no lowering for '" + op.getName().getStringRef().str() + "'";
    return false;
  }
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  if (!chain || ret.getOperand(0) != chain) {
    reason = "the result is not the last op's";
    return false;
  }
  if (plan.reduce || plan.transpose || plan.pad)
    return true;
  if (plan.matmul && !plan.matmul->conv &&
      (plan.rows != plan.matmul->batch * plan.matmul->m || plan.cols != plan.matmul->n)) {
    reason = "the epilogue changes the matmul's shape";
    return false;
  }
  if (!plan.matmul && !plan.window && plan.epilogue.inputs.empty()) {
    reason = "no operand comes from DRAM";
    return false;
  }
  if (plan.matmul && plan.matmul->conv && plan.matmul->conv->wide())
    for (const auto &in : plan.epilogue.inputs)
      if (in.mode == Broadcast::Column) {
        reason = "a per-pixel operand of a stride-1 convolution";
        return false;
      }
  program.finish(chainValue);
  return true;
}

struct NuriNpuLowerPass
    : public mlir::nuri::npu::impl::NuriNpuLowerBase<NuriNpuLowerPass> {
  using NuriNpuLowerBase::NuriNpuLowerBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    ::nuri::npu::TargetDescription target;
    std::string error;
    if (!::nuri::npu::loadTarget(preset, target, error)) {
      module.emitError() << error;
      return signalPassFailure();
    }
    OpBuilder builder(module.getContext());
    SmallVector<func::FuncOp> dispatches;
    for (auto func : module.getOps<func::FuncOp>())
      if (func.isPrivate() && func->hasAttr("nuri.nodes"))
        dispatches.push_back(func);
    for (func::FuncOp func : dispatches) {
      KernelPlan plan;
      std::string reason;
      builder.setInsertionPointAfter(func);
      if (planDispatch(func, plan, reason) &&
          ::nuri::npu_target::scheduleKernel(builder, func.getLoc(), plan, target, reason))
        continue;
      func->setAttr("nuri.npu_fallback", builder.getStringAttr(reason));
    }
  }
};

} // namespace
