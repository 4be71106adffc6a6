//===- NuriQuantOps.cpp - verifiers and type inference: quantization ------===//
//
// Linear (de)quantization, integer matmul and convolution, determinant.
//
//===----------------------------------------------------------------------===//
#include "dialects/nuri/IR/NuriDialect.h"

using namespace mlir;
using namespace mlir::nuri;

static RankedTensorType rankedType(Value v) { return cast<RankedTensorType>(v.getType()); }

static LogicalResult optError(std::optional<Location> loc, const Twine &msg) {
  if (loc)
    return emitError(*loc, msg);
  return failure();
}

//===----------------------------------------------------------------------===//
// QuantizeLinear / DequantizeLinear
//===----------------------------------------------------------------------===//

/// Per-tensor (rank 0) or per-axis (1-D, one value per index of `axis`)
/// quantization parameters.
template <typename Op> static LogicalResult verifyQuantParams(Op op) {
  auto in = op.getInput().getType();
  auto scale = op.getScale().getType(), zp = op.getZeroPoint().getType();
  if (scale.getShape() != zp.getShape())
    return op.emitOpError("scale and zero_point must have the same shape");
  if (scale.getRank() > 1)
    return op.emitOpError("scale must be rank 0 (per tensor) or 1-D (per axis)");
  if (scale.getRank() == 1) {
    int64_t axis = op.getAxis();
    if (axis < 0 || axis >= in.getRank())
      return op.emitOpError("axis ") << axis << " is outside [0, " << in.getRank() << ")";
    if (scale.getDimSize(0) != in.getDimSize(axis))
      return op.emitOpError("per-axis scale has ")
             << scale.getDimSize(0) << " values, dimension " << axis << " has "
             << in.getDimSize(axis);
  }
  unsigned width = zp.getElementType().getIntOrFloatBitWidth();
  if (width < 2 || width > 32)
    return op.emitOpError("zero_point must be an integer of 2 to 32 bits");
  return success();
}

LogicalResult QuantizeLinearOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                                 Adaptor a, SmallVectorImpl<Type> &t) {
  t.push_back(rankedType(a.getInput()).clone(rankedType(a.getZeroPoint()).getElementType()));
  return success();
}

LogicalResult QuantizeLinearOp::verify() {
  if (getInput().getType().getElementType() != getScale().getType().getElementType())
    return emitOpError("input and scale must have the same element type");
  return verifyQuantParams(*this);
}

LogicalResult DequantizeLinearOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                                   Adaptor a, SmallVectorImpl<Type> &t) {
  t.push_back(rankedType(a.getInput()).clone(rankedType(a.getScale()).getElementType()));
  return success();
}

LogicalResult DequantizeLinearOp::verify() {
  if (getInput().getType().getElementType() != getZeroPoint().getType().getElementType())
    return emitOpError("input and zero_point must have the same element type");
  return verifyQuantParams(*this);
}

//===----------------------------------------------------------------------===//
// MatMulInteger
//===----------------------------------------------------------------------===//

LogicalResult MatMulIntegerOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> l,
                                                Adaptor a, SmallVectorImpl<Type> &t) {
  SmallVector<Type> types;
  if (failed(MatMulOp::inferReturnTypes(ctx, std::nullopt,
                                        MatMulOp::Adaptor({a.getLhs(), a.getRhs()}), types)))
    return optError(l, "matmul_integer: operand shapes do not multiply");
  t.push_back(cast<RankedTensorType>(types[0]).clone(IntegerType::get(ctx, 32)));
  return success();
}

LogicalResult MatMulIntegerOp::verify() {
  auto lhs = getLhs().getType(), rhs = getRhs().getType();
  auto lzp = getLhsZeroPoint().getType(), rzp = getRhsZeroPoint().getType();
  for (auto [v, zp, name] : {std::make_tuple(lhs, lzp, "lhs"), std::make_tuple(rhs, rzp, "rhs")}) {
    if (v.getElementType().getIntOrFloatBitWidth() > 16)
      return emitOpError(name) << " must have integers of at most 16 bits";
    if (zp.getElementType() != v.getElementType())
      return emitOpError(name) << "_zero_point must have " << name << "'s element type";
    if (zp.getRank() > 1)
      return emitOpError(name) << "_zero_point must be rank 0 or 1-D";
  }
  int64_t rows = lhs.getRank() == 1 ? 1 : lhs.getDimSize(lhs.getRank() - 2);
  int64_t cols = rhs.getRank() == 1 ? 1 : rhs.getDimSize(rhs.getRank() - 1);
  if (lzp.getRank() == 1 && lzp.getDimSize(0) != rows)
    return emitOpError("1-D lhs_zero_point needs one value per row of lhs (")
           << rows << "), has " << lzp.getDimSize(0);
  if (rzp.getRank() == 1 && rzp.getDimSize(0) != cols)
    return emitOpError("1-D rhs_zero_point needs one value per column of rhs (")
           << cols << "), has " << rzp.getDimSize(0);
  return success();
}

//===----------------------------------------------------------------------===//
// ConvInteger
//===----------------------------------------------------------------------===//

LogicalResult ConvIntegerOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> l,
                                              Adaptor a, SmallVectorImpl<Type> &t) {
  auto in = rankedType(a.getInput()), w = rankedType(a.getWeight());
  int64_t spatial = in.getRank() - 2;
  if (spatial < 1 || w.getRank() != in.getRank() ||
      (int64_t)a.getStrides().size() != spatial ||
      (int64_t)a.getDilations().size() != spatial ||
      (int64_t)a.getPads().size() != 2 * spatial)
    return optError(l, "conv_integer: inconsistent ranks of input, weight and attributes");
  SmallVector<int64_t> out{in.getDimSize(0), w.getDimSize(0)};
  for (int64_t i = 0; i < spatial; ++i) {
    if (a.getStrides()[i] < 1 || a.getDilations()[i] < 1)
      return optError(l, "conv_integer: strides and dilations must be positive");
    int64_t size = windowOutputSize(in.getDimSize(2 + i), w.getDimSize(2 + i),
                                    a.getStrides()[i], a.getPads()[i],
                                    a.getPads()[spatial + i], a.getDilations()[i], false);
    if (size < 1)
      return optError(l, "conv_integer: output dimension " + Twine(2 + i) + " would be " +
                             Twine(size));
    out.push_back(size);
  }
  t.push_back(RankedTensorType::get(out, IntegerType::get(ctx, 32)));
  return success();
}

LogicalResult ConvIntegerOp::verify() {
  auto in = getInput().getType(), w = getWeight().getType();
  auto xzp = getInputZeroPoint().getType(), wzp = getWeightZeroPoint().getType();
  int64_t g = getGroup();
  if (g < 1 || in.getDimSize(1) != w.getDimSize(1) * g || w.getDimSize(0) % g)
    return emitOpError("channels (input ")
           << in.getDimSize(1) << ", weight " << w.getDimSize(0) << "x" << w.getDimSize(1)
           << ") do not match group " << g;
  if (in.getElementType().getIntOrFloatBitWidth() > 16 ||
      w.getElementType().getIntOrFloatBitWidth() > 16)
    return emitOpError("input and weight must have integers of at most 16 bits");
  if (xzp.getElementType() != in.getElementType() || xzp.getRank() != 0)
    return emitOpError("input_zero_point must be a rank-0 tensor of the input's element type");
  if (wzp.getElementType() != w.getElementType() || wzp.getRank() > 1 ||
      (wzp.getRank() == 1 && wzp.getDimSize(0) != w.getDimSize(0)))
    return emitOpError("weight_zero_point must be rank 0 or hold one value per output "
                       "channel, of the weight's element type");
  for (int64_t p : getPads())
    if (p < 0)
      return emitOpError("pads must not be negative");
  return success();
}

//===----------------------------------------------------------------------===//
// Det
//===----------------------------------------------------------------------===//

LogicalResult DetOp::inferReturnTypes(MLIRContext *, std::optional<Location> l, Adaptor a,
                                      SmallVectorImpl<Type> &t) {
  auto in = rankedType(a.getInput());
  int64_t r = in.getRank();
  if (r < 2 || in.getDimSize(r - 1) != in.getDimSize(r - 2))
    return optError(l, "det: the input must end in square matrices [..., n, n]");
  t.push_back(in.clone(in.getShape().drop_back(2)));
  return success();
}
