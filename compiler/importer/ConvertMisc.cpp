//===- ConvertMisc.cpp - ONNX converters: signal processing, sampling, training ---===//
//
// DFT/STFT, GridSample, RoiAlign, TfIdfVectorizer and the optimizers of
// ai.onnx.preview.training (one nuri op per parameter tensor). Window
// functions and MelWeightMatrix whose inputs are constants become constants
// here; with sizes from the graph their output shapes are not static, which
// Nuri does not support.
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/ImporterContext.h"

#include <cmath>

using namespace mlir;
using namespace mlir::nuri;

namespace nuri {
namespace {

/// A constant scalar input as a double, failing with a message naming it.
FailureOr<double> scalarInput(NodeContext &c, int i, const char *what) {
  DenseElementsAttr a = c.constantInput(i);
  if (!a || a.getNumElements() != 1)
    return c.fail(Twine(what) + " (input " + Twine(i) +
                  ") must be a constant scalar; sizes from the graph give runtime shapes, "
                  "which are not supported");
  if (isa<FloatType>(a.getElementType()))
    return (*a.getValues<APFloat>().begin()).convertToDouble();
  return (double)(*a.getValues<APInt>().begin()).getSExtValue();
}

/// ONNX output_datatype attribute -> a float element type.
FailureOr<Type> outputFloatType(NodeContext &c) {
  int64_t dt = c.attrInt("output_datatype", onnx::TensorProto::FLOAT);
  Type t = onnxElementType(*c.b.getContext(), dt);
  if (!t || !isa<FloatType>(t))
    return c.fail("output_datatype " + std::to_string(dt) + " is not a supported float type");
  return t;
}

Value floatConstant(NodeContext &c, Type t, ArrayRef<int64_t> shape, ArrayRef<double> values) {
  SmallVector<Attribute> attrs;
  for (double v : values)
    attrs.push_back(FloatAttr::get(t, v));
  return c.constant(DenseElementsAttr::get(RankedTensorType::get(shape, t), attrs));
}

bool isFloat(Value v) { return isa<FloatType>(typeOf(v).getElementType()); }

//===----------------------------------------------------------------------===//
// Sampling
//===----------------------------------------------------------------------===//

LogicalResult convertGridSample(NodeContext &c) {
  if (failed(c.requireInputs(2)))
    return failure();
  Value x = c.input(0), grid = c.input(1);
  if (!isFloat(x) || typeOf(x).getElementType() != typeOf(grid).getElementType())
    return c.fail("X and grid must be floats of the same type");
  auto xt = typeOf(x), gt = typeOf(grid);
  int64_t rank = xt.getRank();
  if (rank < 3 || gt.getRank() != rank)
    return c.fail("X must be [N, C, spatial...] and grid [N, out..., r] of the same rank");
  if (c.opset < 20 && rank != 4)
    return c.fail("GridSample before opset 20 takes 4-D inputs");
  if (gt.getDimSize(0) != xt.getDimSize(0) || gt.getShape().back() != rank - 2)
    return c.fail("grid must be [N, out..., " + std::to_string(rank - 2) + "] with X's batch");
  std::string mode = c.attrString("mode", c.opset >= 20 ? "linear" : "bilinear");
  if (mode == "bilinear")
    mode = "linear";
  else if (mode == "bicubic")
    mode = "cubic";
  if (mode != "linear" && mode != "nearest" && mode != "cubic")
    return c.fail("unknown mode '" + c.attrString("mode", "") + "'");
  if (mode == "cubic" && rank != 4)
    return c.fail("cubic mode needs 2 spatial dimensions");
  std::string pad = c.attrString("padding_mode", "zeros");
  if (pad != "zeros" && pad != "border" && pad != "reflection")
    return c.fail("unknown padding_mode '" + pad + "'");
  for (int64_t d : xt.getShape().drop_front(2))
    if (d < 1)
      return c.fail("X's spatial dimensions must not be empty");
  c.setOutput(0, c.make<GridSampleOp>(x, grid, c.b.getStringAttr(mode), c.b.getStringAttr(pad),
                                      c.b.getBoolAttr(c.attrInt("align_corners", 0) != 0)));
  return success();
}

LogicalResult convertRoiAlign(NodeContext &c) {
  if (failed(c.requireInputs(3)))
    return failure();
  Value x = c.input(0), rois = c.input(1), idx = c.input(2);
  if (!isFloat(x) || typeOf(rois).getElementType() != typeOf(x).getElementType())
    return c.fail("X and rois must be floats of the same type");
  if (typeOf(x).getRank() != 4)
    return c.fail("X must be [N, C, H, W]");
  if (typeOf(rois).getRank() != 2 || typeOf(rois).getDimSize(1) != 4)
    return c.fail("rois must be [num_rois, 4]");
  if (!typeOf(idx).getElementType().isInteger(64) || typeOf(idx).getRank() != 1 ||
      typeOf(idx).getDimSize(0) != typeOf(rois).getDimSize(0))
    return c.fail("batch_indices must be int64 [num_rois]");
  std::string mode = c.attrString("mode", "avg");
  if (mode != "avg" && mode != "max")
    return c.fail("unknown mode '" + mode + "'");
  std::string ctm =
      c.attrString("coordinate_transformation_mode", c.opset >= 16 ? "half_pixel" : "output_half_pixel");
  if (ctm != "half_pixel" && ctm != "output_half_pixel")
    return c.fail("unknown coordinate_transformation_mode '" + ctm + "'");
  int64_t oh = c.attrInt("output_height", 1), ow = c.attrInt("output_width", 1),
          ratio = c.attrInt("sampling_ratio", 0);
  if (oh < 1 || ow < 1)
    return c.fail("output_height and output_width must be positive");
  if (ratio < 0)
    return c.fail("sampling_ratio must not be negative");
  c.setOutput(0, c.make<RoiAlignOp>(x, rois, idx, c.b.getStringAttr(mode),
                                    c.b.getI64IntegerAttr(oh), c.b.getI64IntegerAttr(ow),
                                    c.b.getI64IntegerAttr(ratio),
                                    c.b.getF32FloatAttr(c.attrFloat("spatial_scale", 1.0f)),
                                    c.b.getBoolAttr(ctm == "half_pixel")));
  return success();
}

//===----------------------------------------------------------------------===//
// Signal processing
//===----------------------------------------------------------------------===//

LogicalResult convertDFT(NodeContext &c) {
  if (failed(c.requireInputs(1)))
    return failure();
  Value x = c.input(0);
  if (!isFloat(x))
    return c.fail("input must be a float tensor");
  auto xt = typeOf(x);
  int64_t rank = xt.getRank();
  if (rank < 2 || (xt.getShape().back() != 1 && xt.getShape().back() != 2))
    return c.fail("input must be [..., signal..., 1 or 2] (real or complex)");
  int64_t axis = c.opset >= 20 ? -2 : c.attrInt("axis", 1);
  if (c.opset >= 20 && c.input(2)) {
    auto a = c.intsInput(2);
    if (failed(a))
      return failure();
    if (a->size() != 1)
      return c.fail("axis must be a scalar");
    axis = (*a)[0];
  }
  axis = normAxis(axis, rank);
  if (axis < 0 || axis >= rank - 1)
    return c.fail("axis " + std::to_string(axis) + " must name a signal dimension, not the "
                  "last (complex) one");
  int64_t length = xt.getDimSize(axis);
  if (c.input(1)) {
    auto l = c.intsInput(1);
    if (failed(l))
      return failure();
    if (l->size() != 1 || (*l)[0] < 1)
      return c.fail("dft_length must be a positive scalar");
    length = (*l)[0];
  }
  if (length < 1)
    return c.fail("the signal is empty");
  bool inverse = c.attrInt("inverse", 0), onesided = c.attrInt("onesided", 0);
  c.setOutput(0, c.make<DFTOp>(x, c.b.getI64IntegerAttr(axis), c.b.getI64IntegerAttr(length),
                               c.b.getBoolAttr(inverse), c.b.getBoolAttr(onesided)));
  return success();
}

LogicalResult convertSTFT(NodeContext &c) {
  if (failed(c.requireInputs(2)))
    return failure();
  Value sig = c.input(0), window = c.input(2);
  if (!isFloat(sig))
    return c.fail("signal must be a float tensor");
  auto st = typeOf(sig);
  if (st.getRank() != 3 || (st.getDimSize(2) != 1 && st.getDimSize(2) != 2))
    return c.fail("signal must be [batch, length, 1 or 2]");
  auto step = scalarInput(c, 1, "frame_step");
  if (failed(step))
    return failure();
  int64_t length = -1;
  if (c.input(3)) {
    auto l = scalarInput(c, 3, "frame_length");
    if (failed(l))
      return failure();
    length = (int64_t)*l;
  }
  if (window) {
    auto wt = typeOf(window);
    if (wt.getRank() != 1 || wt.getElementType() != st.getElementType())
      return c.fail("window must be 1-D with the signal's element type");
    if (length >= 0 && wt.getDimSize(0) != length)
      return c.fail("window has " + std::to_string(wt.getDimSize(0)) + " samples, frame_length is " +
                    std::to_string(length));
    length = wt.getDimSize(0);
  }
  if (length < 0)
    return c.fail("needs a window or a frame_length");
  if (*step < 1 || length < 1 || length > st.getDimSize(1))
    return c.fail("frame_step and frame_length must be positive and frame_length at most the "
                  "signal length " + std::to_string(st.getDimSize(1)));
  bool onesided = c.attrInt("onesided", 1);
  if (onesided && st.getDimSize(2) == 2)
    return c.fail("onesided needs a real signal");
  c.setOutput(0, c.make<STFTOp>(sig, window, c.b.getI64IntegerAttr((int64_t)*step),
                                c.b.getI64IntegerAttr(length), c.b.getBoolAttr(onesided)));
  return success();
}

/// Hann, Hamming and Blackman windows of a constant size.
LogicalResult convertWindow(NodeContext &c) {
  auto size = scalarInput(c, 0, "size");
  if (failed(size))
    return failure();
  auto t = outputFloatType(c);
  if (failed(t))
    return failure();
  int64_t n = (int64_t)*size;
  if (n < 0)
    return c.fail("size must not be negative");
  bool periodic = c.attrInt("periodic", 1);
  double denom = periodic ? n : n - 1;
  const std::string &op = c.node.op_type();
  SmallVector<double> w;
  for (int64_t i = 0; i < n; ++i) {
    double a = denom > 0 ? 2 * M_PI * i / denom : 0;
    if (op == "HannWindow")
      w.push_back(0.5 - 0.5 * std::cos(a));
    else if (op == "HammingWindow")
      w.push_back(25.0 / 46.0 - 21.0 / 46.0 * std::cos(a));
    else
      w.push_back(0.42 - 0.5 * std::cos(a) + 0.08 * std::cos(2 * a));
  }
  c.setOutput(0, floatConstant(c, *t, {n}, w));
  return success();
}

LogicalResult convertMelWeightMatrix(NodeContext &c) {
  if (failed(c.requireInputs(5)))
    return failure();
  auto bins = scalarInput(c, 0, "num_mel_bins"), dft = scalarInput(c, 1, "dft_length");
  auto rate = scalarInput(c, 2, "sample_rate"), lo = scalarInput(c, 3, "lower_edge_hertz");
  auto hi = scalarInput(c, 4, "upper_edge_hertz");
  if (failed(bins) || failed(dft) || failed(rate) || failed(lo) || failed(hi))
    return failure();
  auto t = outputFloatType(c);
  if (failed(t))
    return failure();
  int64_t melBins = (int64_t)*bins, dftLength = (int64_t)*dft, sampleRate = (int64_t)*rate;
  if (melBins < 1 || dftLength < 1 || sampleRate < 1)
    return c.fail("num_mel_bins, dft_length and sample_rate must be positive");
  int64_t spectrum = dftLength / 2 + 1;
  // The reference computes the mel edges in float32.
  float lowMel = 2595.0f * std::log10(1.0f + (float)*lo / 700.0f);
  float highMel = 2595.0f * std::log10(1.0f + (float)*hi / 700.0f);
  float step = (highMel - lowMel) / (float)(melBins + 2);
  SmallVector<int64_t> edge;
  for (int64_t i = 0; i < melBins + 2; ++i) {
    double mel = i * (double)step + (double)lowMel;
    double hz = 700 * (std::pow(10.0, mel / 2595) - 1);
    edge.push_back((int64_t)std::floor((dftLength + 1) * hz / sampleRate));
  }
  SmallVector<double> w(spectrum * melBins, 0.0);
  auto set = [&](int64_t j, int64_t i, double v) -> LogicalResult {
    if (j < 0 || j >= spectrum)
      return c.fail("a mel band edge falls outside the spectrum (upper_edge_hertz above the "
                    "Nyquist frequency?)");
    w[j * melBins + i] = v;
    return success();
  };
  for (int64_t i = 0; i < melBins; ++i) {
    int64_t left = edge[i], center = edge[i + 1], right = edge[i + 2];
    if (center == left) {
      if (failed(set(center, i, 1)))
        return failure();
    } else {
      for (int64_t j = left; j <= center; ++j)
        if (failed(set(j, i, double(j - left) / double(center - left))))
          return failure();
    }
    for (int64_t j = center; j < right; ++j)
      if (failed(set(j, i, double(right - j) / double(right - center))))
        return failure();
  }
  c.setOutput(0, floatConstant(c, *t, {spectrum, melBins}, w));
  return success();
}

//===----------------------------------------------------------------------===//
// Text features
//===----------------------------------------------------------------------===//

LogicalResult convertTfIdf(NodeContext &c) {
  if (failed(c.requireInputs(1)))
    return failure();
  Value x = c.input(0);
  Type et = typeOf(x).getElementType();
  if (!et.isSignlessInteger(32) && !et.isSignlessInteger(64))
    return c.fail("needs int32 or int64 tokens (string tokens are not supported)");
  if (c.hasAttr("pool_strings"))
    return c.fail("pool_strings is not supported (string tokens)");
  if (typeOf(x).getRank() != 1 && typeOf(x).getRank() != 2)
    return c.fail("input must be [C] or [N, C]");
  std::string mode = c.attrString("mode", "");
  if (mode != "TF" && mode != "IDF" && mode != "TFIDF")
    return c.fail("mode must be TF, IDF or TFIDF, not '" + mode + "'");
  int64_t minN = c.attrInt("min_gram_length", 0), maxN = c.attrInt("max_gram_length", 0),
          skip = c.attrInt("max_skip_count", 0);
  if (minN < 1 || maxN < minN)
    return c.fail("needs 1 <= min_gram_length <= max_gram_length");
  if (skip < 0)
    return c.fail("max_skip_count must not be negative");
  SmallVector<int64_t> counts = c.attrInts("ngram_counts"), indexes = c.attrInts("ngram_indexes"),
                       pool = c.attrInts("pool_int64s");
  SmallVector<float> weights;
  if (const onnx::AttributeProto *a = c.attr("weights"))
    weights.assign(a->floats().begin(), a->floats().end());
  // The checks of the op's verifier, reported on the node.
  if (counts.empty() || counts[0] != 0)
    return c.fail("ngram_counts must start at 0");
  int64_t grams = 0;
  for (size_t n = 0; n < counts.size(); ++n) {
    int64_t begin = counts[n], end = n + 1 < counts.size() ? counts[n + 1] : (int64_t)pool.size();
    if (end < begin || end > (int64_t)pool.size() || (end - begin) % (int64_t)(n + 1))
      return c.fail("ngram_counts do not split pool_int64s into whole n-grams");
    grams += (end - begin) / (n + 1);
  }
  if ((int64_t)indexes.size() != grams)
    return c.fail("ngram_indexes has " + std::to_string(indexes.size()) + " entries for " +
                  std::to_string(grams) + " n-grams");
  if (llvm::any_of(indexes, [](int64_t i) { return i < 0; }))
    return c.fail("ngram_indexes must not be negative");
  if (!weights.empty() && (int64_t)weights.size() != grams)
    return c.fail("weights must have one value per n-gram");
  c.setOutput(0, c.make<TfIdfVectorizerOp>(
                     x, c.b.getI64IntegerAttr(minN), c.b.getI64IntegerAttr(maxN),
                     c.b.getI64IntegerAttr(skip), c.b.getStringAttr(mode),
                     c.b.getDenseI64ArrayAttr(counts), c.b.getDenseI64ArrayAttr(indexes),
                     c.b.getDenseI64ArrayAttr(pool), c.b.getDenseF32ArrayAttr(weights)));
  return success();
}

//===----------------------------------------------------------------------===//
// Training
//===----------------------------------------------------------------------===//

/// R, T and `groups` lists of n tensors (X..., G..., ...): checks them and
/// returns n.
FailureOr<int> optimizerInputs(NodeContext &c, int groups) {
  int tensors = c.numInputs() - 2;
  if (tensors < groups || tensors % groups)
    return c.fail("needs R, T and " + std::to_string(groups) + " tensors per optimized input");
  Value r = c.input(0), t = c.input(1);
  if (!r || !t)
    return c.fail("needs R and T");
  if (typeOf(r).getRank() != 0 || !isFloat(r))
    return c.fail("R must be a float scalar");
  if (typeOf(t).getRank() != 0 || !typeOf(t).getElementType().isInteger(64))
    return c.fail("T must be an int64 scalar");
  int n = tensors / groups;
  if (c.node.output_size() > (groups == 4 ? 3 * n : 2 * n))
    return c.fail("has more outputs than its inputs allow");
  for (int i = 0; i < n; ++i) {
    Value x = c.input(2 + i);
    if (!x)
      return c.fail("input " + std::to_string(2 + i) + " is missing");
    if (!isFloat(x) || typeOf(x).getElementType() != typeOf(r).getElementType())
      return c.fail("optimized tensors must be floats of R's type");
    for (int g = 1; g < groups; ++g) {
      Value v = c.input(2 + g * n + i);
      if (!v || v.getType() != x.getType())
        return c.fail("input " + std::to_string(2 + g * n + i) + " must have the type of input " +
                      std::to_string(2 + i));
    }
  }
  return n;
}

LogicalResult convertAdagrad(NodeContext &c) {
  auto n = optimizerInputs(c, 3);
  if (failed(n))
    return failure();
  for (int i = 0; i < *n; ++i) {
    auto op = AdagradOp::create(c.b, c.loc(), c.input(0), c.input(1), c.input(2 + i),
                                c.input(2 + *n + i), c.input(2 + 2 * *n + i),
                                c.b.getF32FloatAttr(c.attrFloat("decay_factor", 0)),
                                c.b.getF32FloatAttr(c.attrFloat("epsilon", 1e-6f)),
                                c.b.getF32FloatAttr(c.attrFloat("norm_coefficient", 0)));
    c.setOutput(i, op.getXNew());
    c.setOutput(*n + i, op.getAccumulatedNew());
  }
  return success();
}

LogicalResult convertMomentum(NodeContext &c) {
  auto n = optimizerInputs(c, 3);
  if (failed(n))
    return failure();
  for (const char *name : {"alpha", "beta", "norm_coefficient", "mode"})
    if (!c.hasAttr(name))
      return c.fail(std::string(name) + " is required");
  std::string mode = c.attrString("mode", "");
  if (mode != "standard" && mode != "nesterov")
    return c.fail("mode must be standard or nesterov, not '" + mode + "'");
  for (int i = 0; i < *n; ++i) {
    auto op = MomentumOp::create(c.b, c.loc(), c.input(0), c.input(1), c.input(2 + i),
                                 c.input(2 + *n + i), c.input(2 + 2 * *n + i),
                                 c.b.getF32FloatAttr(c.attrFloat("alpha", 0)),
                                 c.b.getF32FloatAttr(c.attrFloat("beta", 0)),
                                 c.b.getF32FloatAttr(c.attrFloat("norm_coefficient", 0)),
                                 c.b.getBoolAttr(mode == "nesterov"));
    c.setOutput(i, op.getXNew());
    c.setOutput(*n + i, op.getVelocityNew());
  }
  return success();
}

LogicalResult convertAdam(NodeContext &c) {
  auto n = optimizerInputs(c, 4);
  if (failed(n))
    return failure();
  for (int i = 0; i < *n; ++i) {
    auto op = AdamOp::create(c.b, c.loc(), c.input(0), c.input(1), c.input(2 + i),
                             c.input(2 + *n + i), c.input(2 + 2 * *n + i),
                             c.input(2 + 3 * *n + i),
                             c.b.getF32FloatAttr(c.attrFloat("alpha", 0.9f)),
                             c.b.getF32FloatAttr(c.attrFloat("beta", 0.999f)),
                             c.b.getF32FloatAttr(c.attrFloat("epsilon", 1e-6f)),
                             c.b.getF32FloatAttr(c.attrFloat("norm_coefficient", 0)),
                             c.b.getF32FloatAttr(c.attrFloat("norm_coefficient_post", 0)));
    c.setOutput(i, op.getXNew());
    c.setOutput(*n + i, op.getVelocityNew());
    c.setOutput(2 * *n + i, op.getAccumulatedNew());
  }
  return success();
}

} // namespace

void registerMiscConverters(ConverterMap &table) {
  table["GridSample"] = convertGridSample;
  table["RoiAlign"] = convertRoiAlign;
  table["DFT"] = convertDFT;
  table["STFT"] = convertSTFT;
  table["HannWindow"] = convertWindow;
  table["HammingWindow"] = convertWindow;
  table["BlackmanWindow"] = convertWindow;
  table["MelWeightMatrix"] = convertMelWeightMatrix;
  table["TfIdfVectorizer"] = convertTfIdf;
  // Ops of other domains are keyed "domain::op_type".
  table["ai.onnx.preview.training::Adagrad"] = convertAdagrad;
  table["ai.onnx.preview.training::Momentum"] = convertMomentum;
  table["ai.onnx.preview.training::Adam"] = convertAdam;
}

} // namespace nuri
