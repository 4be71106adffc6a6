//===- ConvertNN.cpp - ONNX converters: neural-network ops ----------------===//
//
// Resize/Upsample, ConvTranspose, the pooling variants (MaxPool's Indices
// output and integer MaxPool, GlobalMaxPool, LpPool, GlobalLpPool,
// MaxUnpool), InstanceNormalization, GroupNormalization, LRN,
// MeanVarianceNormalization and Einsum.
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/ImporterContext.h"

#include "mlir/IR/BuiltinAttributes.h"

#include <cmath>
#include <set>

using namespace mlir;
using namespace mlir::nuri;

namespace nuri {
namespace {

/// Python's floor division (ONNX's reference pads use it).
int64_t floorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

/// Values of constant input i as doubles; an absent or empty input gives an
/// empty vector; failure (with the node named) if it is not a constant.
FailureOr<SmallVector<double>> constantDoubles(NodeContext &c, int i, StringRef what) {
  SmallVector<double> out;
  if (!c.input(i))
    return out;
  auto attr = c.constantInput(i);
  if (!attr) {
    (void)c.fail(what + " come from the graph at run time; only constant " + what +
                 " are supported");
    return failure();
  }
  if (isa<FloatType>(attr.getElementType())) {
    for (APFloat v : attr.getValues<APFloat>())
      out.push_back(v.convertToDouble());
  } else if (isa<IntegerType>(attr.getElementType())) {
    for (APInt v : attr.getValues<APInt>())
      out.push_back((double)v.getSExtValue());
  } else {
    (void)c.fail(what + " must be numbers");
    return failure();
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Resize, Upsample
//===----------------------------------------------------------------------===//

struct ResizeSpec {
  std::string mode = "nearest", ctm = "half_pixel", nearest = "round_prefer_floor";
  float cubicA = -0.75f, extrapolation = 0.0f;
  bool excludeOutside = false, antialias = false;
};

LogicalResult buildResize(NodeContext &c, Value x, SmallVector<double> scalesIn,
                          SmallVector<double> sizesIn, SmallVector<double> roiIn,
                          const ResizeSpec &spec) {
  auto xt = typeOf(x);
  int64_t rank = xt.getRank();
  if (spec.mode != "nearest" && spec.mode != "linear" && spec.mode != "cubic")
    return c.fail("unknown mode '" + spec.mode + "'");
  if (!llvm::is_contained({"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel",
                           "align_corners", "asymmetric", "tf_half_pixel_for_nn",
                           "tf_crop_and_resize"},
                          spec.ctm))
    return c.fail("unknown coordinate_transformation_mode '" + spec.ctm + "'");
  if (!llvm::is_contained({"round_prefer_floor", "round_prefer_ceil", "floor", "ceil", "simple"},
                          spec.nearest))
    return c.fail("unknown nearest_mode '" + spec.nearest + "'");
  SmallVector<int64_t> axes = c.attrInts("axes");
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  for (int64_t &a : axes) {
    a = normAxis(a, rank);
    if (failed(checkAxis(c, a, rank)))
      return failure();
  }
  size_t na = axes.size();
  SmallVector<double> scales(rank, 1.0);
  SmallVector<int64_t> sizes(xt.getShape());
  if (!sizesIn.empty()) {
    if (!scalesIn.empty())
      return c.fail("only one of scales and sizes may be given");
    if (sizesIn.size() != na)
      return c.fail("sizes must have " + std::to_string(na) + " values");
    std::string policy = c.attrString("keep_aspect_ratio_policy", "stretch");
    if (policy == "stretch") {
      for (size_t i = 0; i < na; ++i) {
        sizes[axes[i]] = (int64_t)sizesIn[i];
        scales[axes[i]] = sizesIn[i] / xt.getDimSize(axes[i]);
      }
    } else if (policy == "not_larger" || policy == "not_smaller") {
      double s = policy == "not_larger" ? INFINITY : 0.0;
      for (size_t i = 0; i < na; ++i) {
        double r = sizesIn[i] / xt.getDimSize(axes[i]);
        s = policy == "not_larger" ? std::min(s, r) : std::max(s, r);
      }
      for (int64_t a : axes) {
        scales[a] = s;
        sizes[a] = (int64_t)std::round(s * xt.getDimSize(a));
      }
    } else {
      return c.fail("unknown keep_aspect_ratio_policy '" + policy + "'");
    }
  } else if (!scalesIn.empty()) {
    if (scalesIn.size() != na)
      return c.fail("scales must have " + std::to_string(na) + " values");
    for (size_t i = 0; i < na; ++i) {
      if (!(scalesIn[i] > 0))
        return c.fail("scales must be positive");
      scales[axes[i]] = scalesIn[i];
      sizes[axes[i]] = (int64_t)std::floor(scalesIn[i] * xt.getDimSize(axes[i]));
    }
  } else {
    return c.fail("needs scales or sizes");
  }
  for (int64_t d = 0; d < rank; ++d)
    if (sizes[d] < 1)
      return c.fail("output dimension " + std::to_string(d) + " would be " +
                    std::to_string(sizes[d]));
  SmallVector<double> roi;
  if (spec.ctm == "tf_crop_and_resize") {
    if (roiIn.size() != 2 * na)
      return c.fail("tf_crop_and_resize needs a constant roi of " + std::to_string(2 * na) +
                    " values");
    roi.assign(rank, 0.0);
    roi.append(rank, 1.0);
    for (size_t i = 0; i < na; ++i) {
      roi[axes[i]] = roiIn[i];
      roi[rank + axes[i]] = roiIn[na + i];
    }
  }
  if (spec.mode != "nearest" && !isa<FloatType>(xt.getElementType()))
    return c.fail(spec.mode + " interpolation needs a float input");
  c.setOutput(0, c.make<ResizeOp>(
                     x, c.b.getDenseI64ArrayAttr(sizes), c.b.getDenseF64ArrayAttr(scales),
                     c.b.getDenseF64ArrayAttr(roi), c.b.getStringAttr(spec.mode),
                     c.b.getStringAttr(spec.ctm), c.b.getStringAttr(spec.nearest),
                     c.b.getF32FloatAttr(spec.cubicA), c.b.getBoolAttr(spec.excludeOutside),
                     c.b.getF32FloatAttr(spec.extrapolation), c.b.getBoolAttr(spec.antialias)));
  return success();
}

LogicalResult convertResize(NodeContext &c) {
  Value x = c.input(0);
  if (!x)
    return c.fail("input X is required");
  ResizeSpec spec;
  spec.mode = c.attrString("mode", "nearest");
  spec.antialias = c.attrInt("antialias", 0);
  if (spec.antialias && spec.mode != "linear" && spec.mode != "nearest")
    return c.fail("antialias=1 is supported in linear mode only");
  if (spec.mode == "nearest") // antialias does not apply to nearest
    spec.antialias = false;
  if (c.opset < 11) {
    // Resize-10: asymmetric coordinates, nearest like Upsample.
    spec.ctm = "asymmetric";
    spec.nearest = "simple";
    auto scales = constantDoubles(c, 1, "scales");
    if (failed(scales))
      return failure();
    return buildResize(c, x, *scales, {}, {}, spec);
  }
  spec.ctm = c.attrString("coordinate_transformation_mode", "half_pixel");
  spec.nearest = c.attrString("nearest_mode", "round_prefer_floor");
  spec.cubicA = c.attrFloat("cubic_coeff_a", -0.75f);
  spec.excludeOutside = c.attrInt("exclude_outside", 0);
  spec.extrapolation = c.attrFloat("extrapolation_value", 0.0f);
  auto roi = constantDoubles(c, 1, "roi");
  auto scales = constantDoubles(c, 2, "scales");
  auto sizes = constantDoubles(c, 3, "sizes");
  if (failed(roi) || failed(scales) || failed(sizes))
    return failure();
  if (spec.ctm != "tf_crop_and_resize")
    roi->clear(); // ignored in the other modes
  return buildResize(c, x, *scales, *sizes, *roi, spec);
}

LogicalResult convertUpsample(NodeContext &c) {
  Value x = c.input(0);
  if (!x)
    return c.fail("input X is required");
  ResizeSpec spec;
  spec.mode = c.attrString("mode", "nearest");
  spec.ctm = "asymmetric";
  spec.nearest = "simple";
  SmallVector<double> scales;
  if (c.opset < 9) {
    if (auto *a = c.attr("scales"))
      for (float f : a->floats())
        scales.push_back(f);
  } else {
    auto s = constantDoubles(c, 1, "scales");
    if (failed(s))
      return failure();
    scales = *s;
  }
  if (spec.mode == "bilinear")
    spec.mode = "linear";
  return buildResize(c, x, scales, {}, {}, spec);
}

//===----------------------------------------------------------------------===//
// ConvTranspose
//===----------------------------------------------------------------------===//

LogicalResult convertConvTranspose(NodeContext &c) {
  if (failed(c.requireInputs(2)))
    return failure();
  Value x = c.input(0), w = c.input(1), bias = c.input(2);
  auto xt = typeOf(x), wt = typeOf(w);
  if (xt.getRank() < 3 || wt.getRank() != xt.getRank())
    return c.fail("input and weight must have the same rank >= 3");
  if (!isa<FloatType>(xt.getElementType()) || wt.getElementType() != xt.getElementType())
    return c.fail("input and weight must have the same float element type");
  size_t n = xt.getRank() - 2;
  auto kernel = c.attrInts("kernel_shape", wt.getShape().drop_front(2));
  auto strides = c.attrInts("strides", SmallVector<int64_t>(n, 1));
  auto dilations = c.attrInts("dilations", SmallVector<int64_t>(n, 1));
  auto outPad = c.attrInts("output_padding", SmallVector<int64_t>(n, 0));
  auto outShape = c.attrInts("output_shape");
  if (kernel.size() != n || strides.size() != n || dilations.size() != n || outPad.size() != n)
    return c.fail("kernel_shape/strides/dilations/output_padding must have one value per "
                  "spatial dimension");
  if (ArrayRef<int64_t>(kernel) != wt.getShape().drop_front(2))
    return c.fail("kernel_shape differs from the weight's shape");
  for (size_t i = 0; i < n; ++i)
    if (strides[i] < 1 || dilations[i] < 1 || outPad[i] < 0)
      return c.fail("strides and dilations must be positive, output_padding not negative");
  int64_t group = c.attrInt("group", 1);
  if (group < 1 || xt.getDimSize(1) != wt.getDimSize(0) || wt.getDimSize(0) % group)
    return c.fail("channels do not match group " + std::to_string(group));
  if (outShape.size() == n + 2)
    outShape.erase(outShape.begin(), outShape.begin() + 2);
  std::string autoPad = c.attrString("auto_pad", "NOTSET");
  if (autoPad != "NOTSET" && autoPad != "VALID" && autoPad != "SAME_UPPER" &&
      autoPad != "SAME_LOWER")
    return c.fail("unknown auto_pad '" + autoPad + "'");
  SmallVector<int64_t> pads = c.attrInts("pads", SmallVector<int64_t>(2 * n, 0));
  if (pads.size() != 2 * n)
    return c.fail("pads must have " + std::to_string(2 * n) + " values");
  if (outShape.empty() && (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER"))
    for (size_t i = 0; i < n; ++i)
      outShape.push_back(xt.getDimSize(2 + i) * strides[i]);
  if (!outShape.empty()) {
    if (outShape.size() != n)
      return c.fail("output_shape must have one value per spatial dimension");
    // As ONNX's reference: the total padding is split with floor division
    // and may be negative (more outputs than the natural size).
    for (size_t i = 0; i < n; ++i) {
      int64_t total = strides[i] * (xt.getDimSize(2 + i) - 1) + outPad[i] +
                      (kernel[i] - 1) * dilations[i] + 1 - outShape[i];
      int64_t half = floorDiv(total, 2);
      pads[i] = autoPad == "SAME_UPPER" ? half : total - half;
      pads[n + i] = total - pads[i];
    }
  } else if (autoPad == "VALID") {
    pads.assign(2 * n, 0);
  } else if (llvm::any_of(pads, [](int64_t p) { return p < 0; })) {
    return c.fail("negative pads are not supported");
  }
  if (bias && (typeOf(bias).getRank() != 1 ||
               typeOf(bias).getDimSize(0) != wt.getDimSize(1) * group))
    return c.fail("B must hold one value per output channel");
  for (size_t i = 0; i < n; ++i) {
    int64_t size = strides[i] * (xt.getDimSize(2 + i) - 1) + outPad[i] +
                   (kernel[i] - 1) * dilations[i] + 1 - pads[i] - pads[n + i];
    if (size < 1)
      return c.fail("output dimension " + std::to_string(2 + i) + " would be " +
                    std::to_string(size));
  }
  c.setOutput(0, c.make<ConvTransposeOp>(x, w, bias, c.b.getDenseI64ArrayAttr(strides),
                                         c.b.getDenseI64ArrayAttr(pads),
                                         c.b.getDenseI64ArrayAttr(dilations),
                                         c.b.getDenseI64ArrayAttr(outPad),
                                         c.b.getI64IntegerAttr(group)));
  return success();
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

struct Window {
  SmallVector<int64_t> kernel, strides, pads, dilations;
  bool ceil = false;
};

/// kernel_shape/strides/pads/dilations/ceil_mode of a pooling node.
FailureOr<Window> poolWindow(NodeContext &c, Value x) {
  auto xt = typeOf(x);
  if (xt.getRank() < 3) {
    (void)c.fail("input must have rank >= 3");
    return failure();
  }
  size_t n = xt.getRank() - 2;
  Window w;
  w.kernel = c.attrInts("kernel_shape");
  w.strides = c.attrInts("strides", SmallVector<int64_t>(n, 1));
  w.dilations = c.attrInts("dilations", SmallVector<int64_t>(n, 1));
  if (w.kernel.size() != n || w.strides.size() != n || w.dilations.size() != n) {
    (void)c.fail("kernel_shape/strides/dilations must have one value per spatial dimension");
    return failure();
  }
  auto pads = windowPads(c, xt.getShape().drop_front(2), w.kernel, w.strides, w.dilations);
  if (failed(pads))
    return failure();
  w.pads = *pads;
  w.ceil = c.attrInt("ceil_mode", 0);
  return w;
}

/// The whole spatial extent as one window.
Window globalWindow(Value x) {
  Window w;
  auto shape = typeOf(x).getShape();
  w.kernel.assign(shape.begin() + 2, shape.end());
  w.strides.assign(w.kernel.size(), 1);
  w.dilations.assign(w.kernel.size(), 1);
  w.pads.assign(2 * w.kernel.size(), 0);
  return w;
}

LogicalResult emitMaxPool(NodeContext &c, Value x, const Window &w, int64_t storageOrder,
                          bool withIndices) {
  Type et = typeOf(x).getElementType();
  if (!withIndices && isa<FloatType>(et)) {
    c.setOutput(0, c.make<MaxPoolOp>(x, c.b.getDenseI64ArrayAttr(w.kernel),
                                     c.b.getDenseI64ArrayAttr(w.strides),
                                     c.b.getDenseI64ArrayAttr(w.pads),
                                     c.b.getDenseI64ArrayAttr(w.dilations),
                                     c.b.getBoolAttr(w.ceil), c.b.getBoolAttr(false)));
    return success();
  }
  if (!isa<FloatType>(et) && !(isa<IntegerType>(et) && !et.isInteger(1)))
    return c.fail("unsupported element type");
  auto op = MaxPoolIndexedOp::create(
      c.b, c.loc(), x, c.b.getDenseI64ArrayAttr(w.kernel), c.b.getDenseI64ArrayAttr(w.strides),
      c.b.getDenseI64ArrayAttr(w.pads), c.b.getDenseI64ArrayAttr(w.dilations),
      c.b.getBoolAttr(w.ceil), c.b.getI64IntegerAttr(storageOrder));
  c.setOutput(0, op.getOutput());
  c.setOutput(1, op.getIndices());
  return success();
}

/// MaxPool with the Indices output or an integer input; the float form
/// without indices stays with the generic converter (`base`).
Converter maxPoolConverter(Converter base) {
  return [base](NodeContext &c) -> LogicalResult {
    Value x = c.input(0);
    if (!x)
      return c.fail("input X is required");
    bool indices = c.outputUsed(1);
    if (!indices && isa<FloatType>(typeOf(x).getElementType()) && base)
      return base(c);
    auto w = poolWindow(c, x);
    if (failed(w))
      return failure();
    int64_t order = c.attrInt("storage_order", 0);
    if (order != 0 && order != 1)
      return c.fail("storage_order must be 0 or 1");
    return emitMaxPool(c, x, *w, order, indices);
  };
}

LogicalResult convertGlobalMaxPool(NodeContext &c) {
  Value x = c.input(0);
  if (!x || typeOf(x).getRank() < 3)
    return c.fail("input must have rank >= 3");
  return emitMaxPool(c, x, globalWindow(x), 0, false);
}

LogicalResult emitLpPool(NodeContext &c, Value x, const Window &w) {
  if (!isa<FloatType>(typeOf(x).getElementType()))
    return c.fail("input must be float");
  int64_t p = c.attrInt("p", 2);
  if (p < 1)
    return c.fail("p must be positive");
  c.setOutput(0, c.make<LpPoolOp>(x, c.b.getDenseI64ArrayAttr(w.kernel),
                                  c.b.getDenseI64ArrayAttr(w.strides),
                                  c.b.getDenseI64ArrayAttr(w.pads),
                                  c.b.getDenseI64ArrayAttr(w.dilations), c.b.getBoolAttr(w.ceil),
                                  c.b.getI64IntegerAttr(p)));
  return success();
}

LogicalResult convertLpPool(NodeContext &c) {
  Value x = c.input(0);
  if (!x)
    return c.fail("input X is required");
  auto w = poolWindow(c, x);
  if (failed(w))
    return failure();
  return emitLpPool(c, x, *w);
}

LogicalResult convertGlobalLpPool(NodeContext &c) {
  Value x = c.input(0);
  if (!x || typeOf(x).getRank() < 3)
    return c.fail("input must have rank >= 3");
  return emitLpPool(c, x, globalWindow(x));
}

LogicalResult convertMaxUnpool(NodeContext &c) {
  if (failed(c.requireInputs(2)))
    return failure();
  Value x = c.input(0), idx = c.input(1);
  auto xt = typeOf(x);
  if (xt.getRank() < 3)
    return c.fail("input must have rank >= 3");
  if (typeOf(idx).getShape() != xt.getShape() ||
      !typeOf(idx).getElementType().isSignlessInteger(64))
    return c.fail("I must be int64 with X's shape");
  size_t n = xt.getRank() - 2;
  auto kernel = c.attrInts("kernel_shape");
  auto strides = c.attrInts("strides", SmallVector<int64_t>(n, 1));
  auto pads = c.attrInts("pads", SmallVector<int64_t>(2 * n, 0));
  if (kernel.size() != n || strides.size() != n || pads.size() != 2 * n)
    return c.fail("kernel_shape/strides/pads do not match the spatial rank");
  SmallVector<int64_t> inferred{xt.getDimSize(0), xt.getDimSize(1)};
  for (size_t i = 0; i < n; ++i)
    inferred.push_back((xt.getDimSize(2 + i) - 1) * strides[i] - pads[i] - pads[n + i] +
                       kernel[i]);
  SmallVector<int64_t> shape = inferred;
  if (c.input(2)) {
    auto given = c.intsInput(2);
    if (failed(given))
      return c.fail("output_shape comes from the graph at run time; only a constant "
                    "output_shape is supported");
    if (given->size() != (size_t)xt.getRank() || (*given)[0] != shape[0] ||
        (*given)[1] != shape[1])
      return c.fail("output_shape must keep X's rank, batch and channels");
    shape = *given;
  }
  for (auto [d, e] : llvm::zip(shape, inferred))
    if (d < 1 || e < 1)
      return c.fail("output shape has a non-positive dimension");
  // Indices address the shape MaxPool's input had (`inferred`); a larger
  // output_shape only adds zeros after it.
  c.setOutput(0, MaxUnpoolOp::create(c.b, c.loc(), xt.clone(shape), x, idx,
                                     c.b.getDenseI64ArrayAttr(inferred))
                     .getResult());
  return success();
}

//===----------------------------------------------------------------------===//
// Normalizations
//===----------------------------------------------------------------------===//

LogicalResult convertInstanceNorm(NodeContext &c) {
  if (failed(c.requireInputs(3)))
    return failure();
  Value x = c.input(0), scale = c.input(1), bias = c.input(2);
  auto xt = typeOf(x);
  if (xt.getRank() < 3 || !isa<FloatType>(xt.getElementType()))
    return c.fail("input must be float with rank >= 3");
  int64_t ch = xt.getDimSize(1);
  for (Value v : {scale, bias})
    if (typeOf(v).getRank() != 1 || typeOf(v).getDimSize(0) != ch ||
        typeOf(v).getElementType() != xt.getElementType())
      return c.fail("scale and B must hold one value per channel");
  c.setOutput(0, c.make<GroupNormOp>(x, scale, bias, c.b.getI64IntegerAttr(ch),
                                     c.b.getF32FloatAttr(c.attrFloat("epsilon", 1e-5f))));
  return success();
}

LogicalResult convertGroupNorm(NodeContext &c) {
  if (failed(c.requireInputs(3)))
    return failure();
  Value x = c.input(0), scale = c.input(1), bias = c.input(2);
  auto xt = typeOf(x);
  if (xt.getRank() < 2 || !isa<FloatType>(xt.getElementType()))
    return c.fail("input must be float with rank >= 2");
  int64_t ch = xt.getDimSize(1), g = c.attrInt("num_groups", 0);
  if (g < 1 || ch % g)
    return c.fail("num_groups " + std::to_string(g) + " does not divide the " +
                  std::to_string(ch) + " channels");
  Type et = xt.getElementType();
  for (Value *v : {&scale, &bias}) {
    auto t = typeOf(*v);
    if (t.getRank() != 1 || t.getElementType() != et ||
        (t.getDimSize(0) != ch && t.getDimSize(0) != g))
      return c.fail("scale and bias must hold one value per channel (or per group before "
                    "opset 21)");
    if (t.getDimSize(0) != ch) {
      // Opset 18: one value per group, repeated over the group's channels.
      auto onesType = RankedTensorType::get({1, ch / g}, et);
      Value ones = c.constant(DenseElementsAttr::get(onesType, c.b.getFloatAttr(et, 1.0)));
      *v = c.reshape(c.make<MulOp>(c.reshape(*v, {g, 1}), ones), {ch});
    }
  }
  c.setOutput(0, c.make<GroupNormOp>(x, scale, bias, c.b.getI64IntegerAttr(g),
                                     c.b.getF32FloatAttr(c.attrFloat("epsilon", 1e-5f))));
  return success();
}

LogicalResult convertLRN(NodeContext &c) {
  Value x = c.input(0);
  if (!x || typeOf(x).getRank() < 2 || !isa<FloatType>(typeOf(x).getElementType()))
    return c.fail("input must be float with rank >= 2");
  int64_t size = c.attrInt("size", 0);
  if (size < 1)
    return c.fail("size must be positive");
  c.setOutput(0, c.make<LRNOp>(x, c.b.getI64IntegerAttr(size),
                               c.b.getF32FloatAttr(c.attrFloat("alpha", 1e-4f)),
                               c.b.getF32FloatAttr(c.attrFloat("beta", 0.75f)),
                               c.b.getF32FloatAttr(c.attrFloat("bias", 1.0f))));
  return success();
}

/// (x - E[x]) / (sqrt(E[x^2] - E[x]^2) + 1e-9), ONNX's function body.
LogicalResult convertMVN(NodeContext &c) {
  Value x = c.input(0);
  if (!x || !isa<FloatType>(typeOf(x).getElementType()))
    return c.fail("input must be float");
  int64_t rank = typeOf(x).getRank();
  SmallVector<int64_t> axes = c.attrInts("axes", {0, 2, 3});
  for (int64_t &a : axes) {
    a = normAxis(a, rank);
    if (failed(checkAxis(c, a, rank)))
      return failure();
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  Type et = typeOf(x).getElementType();
  auto axesAttr = c.b.getDenseI64ArrayAttr(axes);
  Value mean = c.make<ReduceMeanOp>(x, axesAttr, c.b.getBoolAttr(true));
  Value meanSq = c.make<ReduceMeanOp>(c.make<MulOp>(x, x), axesAttr, c.b.getBoolAttr(true));
  Value var = c.make<SubOp>(meanSq, c.make<MulOp>(mean, mean));
  Value std = c.make<AddOp>(c.make<SqrtOp>(var), c.scalar(et, 1e-9));
  c.setOutput(0, c.make<DivOp>(c.make<SubOp>(x, mean), std));
  return success();
}

//===----------------------------------------------------------------------===//
// Einsum
//===----------------------------------------------------------------------===//

/// Expands ellipses into unused letters and makes the output explicit.
FailureOr<std::string> normalizeEinsum(NodeContext &c, StringRef raw, ValueRange inputs) {
  std::string eq;
  for (char ch : raw)
    if (!isspace((unsigned char)ch))
      eq.push_back(ch);
  StringRef s(eq);
  bool explicitOut = s.contains("->");
  auto [lhs, rhs] = s.split("->");
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  if (terms.size() != inputs.size()) {
    (void)c.fail("equation has " + std::to_string(terms.size()) + " operands, node " +
                 std::to_string(inputs.size()));
    return failure();
  }
  std::set<char> used;
  for (char ch : eq)
    if (isalpha((unsigned char)ch))
      used.insert(ch);
    else if (ch != ',' && ch != '.' && ch != '-' && ch != '>') {
      (void)c.fail("unexpected character '" + std::string(1, ch) + "' in the equation");
      return failure();
    }
  // Letters for the broadcast (ellipsis) dimensions: the most any operand has.
  int64_t ellipsisDims = 0;
  for (auto [term, v] : llvm::zip(terms, inputs)) {
    int64_t letters = llvm::count_if(term, [](char ch) { return isalpha((unsigned char)ch); });
    if (term.contains("...")) {
      ellipsisDims = std::max(ellipsisDims, typeOf(v).getRank() - letters);
      if (typeOf(v).getRank() < letters) {
        (void)c.fail("operand '" + term.str() + "' has too few dimensions");
        return failure();
      }
    }
  }
  std::string fresh;
  for (char ch : StringRef("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
    if ((int64_t)fresh.size() < ellipsisDims && !used.count(ch))
      fresh.push_back(ch);
  if ((int64_t)fresh.size() < ellipsisDims) {
    (void)c.fail("too many dimensions for the equation's letters");
    return failure();
  }
  auto expand = [&](StringRef term, int64_t dims) -> FailureOr<std::string> {
    size_t at = term.find("...");
    std::string out;
    if (at == StringRef::npos) {
      out = term.str();
    } else {
      if (term.find("...", at + 3) != StringRef::npos) {
        (void)c.fail("more than one ellipsis in '" + term.str() + "'");
        return failure();
      }
      out = term.take_front(at).str() + fresh.substr(fresh.size() - dims) +
            term.drop_front(at + 3).str();
    }
    if (!llvm::all_of(out, [](char ch) { return isalpha((unsigned char)ch); })) {
      (void)c.fail("malformed term '" + term.str() + "'");
      return failure();
    }
    return out;
  };
  std::string result;
  for (auto [i, term] : llvm::enumerate(terms)) {
    int64_t letters = llvm::count_if(term, [](char ch) { return isalpha((unsigned char)ch); });
    auto t = expand(term, typeOf(inputs[i]).getRank() - letters);
    if (failed(t))
      return failure();
    result += (i ? "," : "") + *t;
  }
  std::string out;
  if (explicitOut) {
    auto t = expand(rhs, ellipsisDims);
    if (failed(t))
      return failure();
    out = *t;
  } else {
    // Implicit output: the broadcast dimensions, then the letters used
    // exactly once, in alphabetical (ASCII) order.
    out = fresh;
    std::map<char, int> count;
    for (StringRef term : terms)
      for (char ch : term)
        if (isalpha((unsigned char)ch))
          ++count[ch];
    for (auto [ch, n] : count)
      if (n == 1)
        out.push_back(ch);
  }
  return result + "->" + out;
}

LogicalResult convertEinsum(NodeContext &c) {
  SmallVector<Value> inputs;
  for (int i = 0; i < c.numInputs(); ++i) {
    if (!c.input(i))
      return c.fail("input " + std::to_string(i) + " is missing");
    inputs.push_back(c.input(i));
  }
  if (inputs.empty())
    return c.fail("needs at least one input");
  Type et = typeOf(inputs[0]).getElementType();
  for (Value v : inputs)
    if (typeOf(v).getElementType() != et)
      return c.fail("inputs have different element types");
  if (!c.hasAttr("equation"))
    return c.fail("equation is required");
  auto eq = normalizeEinsum(c, c.attrString("equation", ""), inputs);
  if (failed(eq))
    return failure();
  SmallVector<Type> types;
  EinsumOp::Properties props;
  props.equation = c.b.getStringAttr(*eq);
  if (failed(EinsumOp::inferReturnTypes(c.b.getContext(), std::nullopt,
                                        EinsumOp::Adaptor(inputs, nullptr, props), types)))
    return c.fail("equation '" + *eq + "' does not fit the operand shapes");
  c.setOutput(0, c.make<EinsumOp>(inputs, c.b.getStringAttr(*eq)));
  return success();
}

} // namespace

void registerNNConverters(ConverterMap &table) {
  Converter baseMaxPool = table.count("MaxPool") ? table["MaxPool"] : Converter();
  table["MaxPool"] = maxPoolConverter(baseMaxPool);
  table["GlobalMaxPool"] = convertGlobalMaxPool;
  table["LpPool"] = convertLpPool;
  table["GlobalLpPool"] = convertGlobalLpPool;
  table["MaxUnpool"] = convertMaxUnpool;
  table["Resize"] = convertResize;
  table["Upsample"] = convertUpsample;
  table["ConvTranspose"] = convertConvTranspose;
  table["InstanceNormalization"] = convertInstanceNorm;
  table["GroupNormalization"] = convertGroupNorm;
  table["LRN"] = convertLRN;
  table["MeanVarianceNormalization"] = convertMVN;
  table["Einsum"] = convertEinsum;
}

} // namespace nuri
