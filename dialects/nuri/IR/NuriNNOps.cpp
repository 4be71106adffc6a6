//===- NuriNNOps.cpp - verifiers and type inference: neural-network ops ---===//
//
// Resize, transposed convolution, the pooling variants beyond max/avg,
// normalizations and einsum.
//
//===----------------------------------------------------------------------===//
#include "dialects/nuri/IR/NuriDialect.h"

#include "llvm/ADT/StringExtras.h"

#include <map>

using namespace mlir;
using namespace mlir::nuri;

static RankedTensorType rankedType(Value v) { return cast<RankedTensorType>(v.getType()); }

static LogicalResult optError(std::optional<Location> loc, const Twine &msg) {
  if (loc)
    return emitError(*loc, msg);
  return failure();
}

//===----------------------------------------------------------------------===//
// Resize
//===----------------------------------------------------------------------===//

LogicalResult ResizeOp::inferReturnTypes(MLIRContext *, std::optional<Location> l,
                                         Adaptor a, SmallVectorImpl<Type> &t) {
  auto in = rankedType(a.getInput());
  if ((int64_t)a.getSizes().size() != in.getRank())
    return optError(l, "resize: sizes must have one value per dimension");
  t.push_back(RankedTensorType::get(a.getSizes(), in.getElementType()));
  return success();
}

LogicalResult ResizeOp::verify() {
  int64_t rank = getInput().getType().getRank();
  if ((int64_t)getScales().size() != rank)
    return emitOpError("scales must have one value per dimension");
  for (double s : getScales())
    if (!(s > 0))
      return emitOpError("scales must be positive");
  for (int64_t s : getSizes())
    if (s < 1)
      return emitOpError("sizes must be positive");
  StringRef mode = getMode(), ctm = getCoordinateTransformationMode(),
            nearest = getNearestMode();
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    return emitOpError("unknown mode '") << mode << "'";
  if (!llvm::is_contained({"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel",
                           "align_corners", "asymmetric", "tf_half_pixel_for_nn",
                           "tf_crop_and_resize"},
                          ctm))
    return emitOpError("unknown coordinate_transformation_mode '") << ctm << "'";
  if (!llvm::is_contained({"round_prefer_floor", "round_prefer_ceil", "floor", "ceil", "simple"},
                          nearest))
    return emitOpError("unknown nearest_mode '") << nearest << "'";
  if (ctm == "tf_crop_and_resize" ? (int64_t)getRoi().size() != 2 * rank : !getRoi().empty())
    return emitOpError("roi must hold 2 * rank values with tf_crop_and_resize and be empty "
                       "otherwise");
  if (mode != "nearest" && !isa<FloatType>(getInput().getType().getElementType()))
    return emitOpError("linear and cubic modes need a float element type");
  return success();
}

//===----------------------------------------------------------------------===//
// ConvTranspose
//===----------------------------------------------------------------------===//

LogicalResult ConvTransposeOp::inferReturnTypes(MLIRContext *, std::optional<Location> l,
                                                Adaptor a, SmallVectorImpl<Type> &t) {
  auto in = rankedType(a.getInput()), w = rankedType(a.getWeight());
  int64_t spatial = in.getRank() - 2;
  if (spatial < 1 || w.getRank() != in.getRank() ||
      (int64_t)a.getStrides().size() != spatial ||
      (int64_t)a.getDilations().size() != spatial ||
      (int64_t)a.getOutputPadding().size() != spatial ||
      (int64_t)a.getPads().size() != 2 * spatial)
    return optError(l, "conv_transpose: inconsistent ranks of input, weight and attributes");
  SmallVector<int64_t> out{in.getDimSize(0), w.getDimSize(1) * a.getGroup()};
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t size = a.getStrides()[i] * (in.getDimSize(2 + i) - 1) + a.getOutputPadding()[i] +
                   (w.getDimSize(2 + i) - 1) * a.getDilations()[i] + 1 - a.getPads()[i] -
                   a.getPads()[spatial + i];
    if (size < 1)
      return optError(l, "conv_transpose: output dimension " + Twine(2 + i) + " would be " +
                             Twine(size));
    out.push_back(size);
  }
  t.push_back(RankedTensorType::get(out, in.getElementType()));
  return success();
}

LogicalResult ConvTransposeOp::verify() {
  auto in = getInput().getType(), w = getWeight().getType();
  int64_t g = getGroup();
  if (g < 1 || in.getDimSize(1) != w.getDimSize(0) || w.getDimSize(0) % g)
    return emitOpError("channels (") << in.getDimSize(1) << " in, weight " << w.getDimSize(0)
                                     << "x" << w.getDimSize(1) << ") do not match group " << g;
  if (w.getElementType() != in.getElementType())
    return emitOpError("input and weight element types differ");
  if (Value bias = getBias()) {
    auto bt = rankedType(bias);
    if (bt.getRank() != 1 || bt.getDimSize(0) != w.getDimSize(1) * g ||
        bt.getElementType() != in.getElementType())
      return emitOpError("bias must be 1-D with one value per output channel");
  }
  for (int64_t v : getStrides())
    if (v < 1)
      return emitOpError("strides must be positive");
  for (int64_t v : getDilations())
    if (v < 1)
      return emitOpError("dilations must be positive");
  for (int64_t v : getOutputPadding())
    if (v < 0)
      return emitOpError("output_padding must not be negative");
  return success();
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

template <typename Adaptor>
static FailureOr<SmallVector<int64_t>> poolShape(std::optional<Location> l, Adaptor a) {
  auto in = rankedType(a.getInput());
  int64_t spatial = in.getRank() - 2;
  if (spatial < 1 || (int64_t)a.getKernelShape().size() != spatial ||
      (int64_t)a.getStrides().size() != spatial ||
      (int64_t)a.getDilations().size() != spatial ||
      (int64_t)a.getPads().size() != 2 * spatial) {
    (void)optError(l, "pool: inconsistent ranks of input and attributes");
    return failure();
  }
  SmallVector<int64_t> out{in.getDimSize(0), in.getDimSize(1)};
  for (int64_t i = 0; i < spatial; ++i)
    out.push_back(windowOutputSize(in.getDimSize(2 + i), a.getKernelShape()[i],
                                   a.getStrides()[i], a.getPads()[i], a.getPads()[spatial + i],
                                   a.getDilations()[i], a.getCeilMode()));
  return out;
}

template <typename Op> static LogicalResult verifyWindow(Op op) {
  for (int64_t v : op.getStrides())
    if (v < 1)
      return op.emitOpError("strides must be positive");
  for (int64_t v : op.getKernelShape())
    if (v < 1)
      return op.emitOpError("kernel_shape must be positive");
  for (int64_t v : op.getDilations())
    if (v < 1)
      return op.emitOpError("dilations must be positive");
  for (int64_t v : op.getPads())
    if (v < 0)
      return op.emitOpError("pads must not be negative");
  for (int64_t d : op.getOutput().getType().getShape())
    if (d < 1)
      return op.emitOpError("the window does not fit the padded input");
  return success();
}

LogicalResult MaxPoolIndexedOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> l,
                                                 Adaptor a, SmallVectorImpl<Type> &t) {
  auto shape = poolShape(l, a);
  if (failed(shape))
    return failure();
  t.push_back(RankedTensorType::get(*shape, rankedType(a.getInput()).getElementType()));
  t.push_back(RankedTensorType::get(*shape, IntegerType::get(ctx, 64)));
  return success();
}

LogicalResult MaxPoolIndexedOp::verify() {
  Type et = getInput().getType().getElementType();
  if (!isa<FloatType>(et) && !(isa<IntegerType>(et) && !et.isInteger(1)))
    return emitOpError("needs a float or integer element type");
  if (getStorageOrder() != 0 && getStorageOrder() != 1)
    return emitOpError("storage_order must be 0 or 1");
  return verifyWindow(*this);
}

LogicalResult LpPoolOp::inferReturnTypes(MLIRContext *, std::optional<Location> l, Adaptor a,
                                         SmallVectorImpl<Type> &t) {
  auto shape = poolShape(l, a);
  if (failed(shape))
    return failure();
  t.push_back(RankedTensorType::get(*shape, rankedType(a.getInput()).getElementType()));
  return success();
}

LogicalResult LpPoolOp::verify() {
  if (getP() < 1)
    return emitOpError("p must be positive");
  return verifyWindow(*this);
}

LogicalResult MaxUnpoolOp::verify() {
  auto in = getInput().getType(), out = getOutput().getType();
  if (getIndices().getType().getShape() != in.getShape())
    return emitOpError("indices must have the input's shape");
  if (in.getElementType() != out.getElementType())
    return emitOpError("element type changes");
  if (in.getRank() != out.getRank() || in.getRank() < 3 ||
      in.getDimSize(0) != out.getDimSize(0) || in.getDimSize(1) != out.getDimSize(1))
    return emitOpError("output must keep the input's rank (>= 3), batch and channels");
  if ((int64_t)getIndexShape().size() != in.getRank() ||
      llvm::any_of(getIndexShape(), [](int64_t d) { return d < 1; }))
    return emitOpError("index_shape must be positive, one value per dimension");
  return success();
}

//===----------------------------------------------------------------------===//
// Normalizations
//===----------------------------------------------------------------------===//

LogicalResult GroupNormOp::inferReturnTypes(MLIRContext *, std::optional<Location>, Adaptor a,
                                            SmallVectorImpl<Type> &t) {
  t.push_back(a.getInput().getType());
  return success();
}

LogicalResult GroupNormOp::verify() {
  auto in = getInput().getType();
  if (in.getRank() < 2)
    return emitOpError("input must have rank >= 2");
  int64_t c = in.getDimSize(1), g = getNumGroups();
  if (g < 1 || c % g)
    return emitOpError("num_groups ") << g << " does not divide the " << c << " channels";
  for (Value v : {getScale(), getBias()}) {
    auto t = rankedType(v);
    if (t.getRank() != 1 || t.getDimSize(0) != c || t.getElementType() != in.getElementType())
      return emitOpError("scale and bias must be 1-D with one value per channel");
  }
  return success();
}

LogicalResult LRNOp::verify() {
  if (getInput().getType().getRank() < 2)
    return emitOpError("input must have rank >= 2");
  if (getSize() < 1)
    return emitOpError("size must be positive");
  return success();
}

//===----------------------------------------------------------------------===//
// Einsum
//===----------------------------------------------------------------------===//

namespace {
struct Equation {
  SmallVector<std::string> inputs;
  std::string output;
};
} // namespace

static FailureOr<Equation> parseEquation(StringRef eq) {
  auto [lhs, rhs] = eq.split("->");
  if (!eq.contains("->"))
    return failure();
  Equation e;
  SmallVector<StringRef> parts;
  lhs.split(parts, ',');
  for (StringRef p : parts)
    e.inputs.push_back(p.str());
  e.output = rhs.str();
  auto letters = [](StringRef s) { return llvm::all_of(s, llvm::isAlpha); };
  if (!letters(e.output) || !llvm::all_of(e.inputs, letters))
    return failure();
  return e;
}

/// Size of each label: the largest over its uses (size-1 dimensions broadcast).
static FailureOr<std::map<char, int64_t>> labelSizes(const Equation &e, TypeRange types,
                                                     std::string &why) {
  std::map<char, int64_t> sizes;
  if (e.inputs.size() != types.size()) {
    why = "equation has " + std::to_string(e.inputs.size()) + " operands, op " +
          std::to_string(types.size());
    return failure();
  }
  for (auto [labels, type] : llvm::zip(e.inputs, types)) {
    auto t = cast<RankedTensorType>(type);
    if ((int64_t)labels.size() != t.getRank()) {
      why = "operand '" + labels + "' has rank " + std::to_string(t.getRank());
      return failure();
    }
    std::map<char, int64_t> own;
    for (auto [i, c] : llvm::enumerate(labels)) {
      int64_t d = t.getDimSize(i);
      if (own.count(c) && own[c] != d) {
        why = "diagonal '" + std::string(1, c) + "' of a non-square operand";
        return failure();
      }
      own[c] = d;
      auto it = sizes.find(c);
      if (it == sizes.end() || it->second == 1)
        sizes[c] = d;
      else if (d != 1 && d != it->second) {
        why = "label '" + std::string(1, c) + "' has sizes " + std::to_string(it->second) +
              " and " + std::to_string(d);
        return failure();
      }
    }
  }
  for (char c : e.output)
    if (!sizes.count(c)) {
      why = "output label '" + std::string(1, c) + "' is in no operand";
      return failure();
    }
  return sizes;
}

LogicalResult EinsumOp::inferReturnTypes(MLIRContext *, std::optional<Location> l, Adaptor a,
                                         SmallVectorImpl<Type> &t) {
  auto e = parseEquation(a.getEquation());
  if (failed(e))
    return optError(l, "einsum: equation must be letters, commas and '->'");
  std::string why;
  auto sizes = labelSizes(*e, a.getInputs().getTypes(), why);
  if (failed(sizes))
    return optError(l, "einsum: " + why);
  if (a.getInputs().empty())
    return optError(l, "einsum needs at least one operand");
  SmallVector<int64_t> shape;
  for (char c : e->output)
    shape.push_back((*sizes)[c]);
  t.push_back(RankedTensorType::get(shape, rankedType(a.getInputs()[0]).getElementType()));
  return success();
}

LogicalResult EinsumOp::verify() {
  auto e = parseEquation(getEquation());
  if (failed(e))
    return emitOpError("equation must be letters, commas and '->'");
  for (size_t i = 0; i < e->output.size(); ++i)
    if (e->output.find(e->output[i], i + 1) != std::string::npos)
      return emitOpError("output label '") << e->output[i] << "' repeats";
  for (Value v : getInputs())
    if (rankedType(v).getElementType() != getType().getElementType())
      return emitOpError("operands differ in element type");
  return success();
}
