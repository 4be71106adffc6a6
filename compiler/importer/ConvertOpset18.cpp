//===- ConvertOpset18.cpp - ONNX converters for ops new in opsets 18-23 ---===//
//
// Debian's libonnx (1.12) knows opsets up to 17 only, so the function ops
// added later (CenterCropPad, AffineGrid, RMSNormalization, RotaryEmbedding,
// Attention, ...) cannot be expanded from its schema registry. Each one is
// decomposed here into existing nuri ops, with static shapes: index maps that
// depend only on shapes (Col2Im's scatter targets, DeformConv's sampling
// grid, AffineGrid's base grid) become constants.
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/ImporterContext.h"

#include "mlir/IR/BuiltinAttributes.h"

#include <cmath>
#include <limits>
#include <numeric>

using namespace mlir;
using namespace mlir::nuri;

namespace nuri {
namespace {

int64_t product(ArrayRef<int64_t> v) {
  return std::accumulate(v.begin(), v.end(), int64_t(1), std::multiplies<int64_t>());
}

/// x[start:end:step] along one axis.
Value sliceAxis(NodeContext &c, Value x, int64_t axis, int64_t start, int64_t end,
                int64_t step = 1) {
  auto shape = typeOf(x).getShape();
  SmallVector<int64_t> s(shape.size(), 0), e(shape), st(shape.size(), 1);
  s[axis] = start;
  e[axis] = end;
  st[axis] = step;
  return c.make<SliceOp>(x, ArrayRef<int64_t>(s), ArrayRef<int64_t>(e), ArrayRef<int64_t>(st));
}

Value transpose(NodeContext &c, Value x, ArrayRef<int64_t> perm) {
  return c.make<TransposeOp>(x, perm);
}

Value concat(NodeContext &c, ValueRange values, int64_t axis) {
  return c.make<ConcatOp>(values, axis);
}

/// A constant of element type `et` (float) holding `values` with `shape`.
Value floatConstant(NodeContext &c, Type et, ArrayRef<int64_t> shape, ArrayRef<double> values) {
  auto f32 = Float32Type::get(c.b.getContext());
  SmallVector<float> v(values.begin(), values.end());
  Value k = c.constant(DenseElementsAttr::get(RankedTensorType::get(shape, f32), ArrayRef<float>(v)));
  if (et != f32)
    k = c.make<CastOp>(k, TypeAttr::get(et));
  return k;
}

Value i64Constant(NodeContext &c, ArrayRef<int64_t> shape, ArrayRef<int64_t> values) {
  auto i64 = IntegerType::get(c.b.getContext(), 64);
  return c.constant(DenseElementsAttr::get(RankedTensorType::get(shape, i64), values));
}

/// Row-major multi-index of `flat` in `shape`.
SmallVector<int64_t> unflatten(int64_t flat, ArrayRef<int64_t> shape) {
  SmallVector<int64_t> idx(shape.size());
  for (int64_t d = shape.size() - 1; d >= 0; --d) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  return idx;
}

LogicalResult requireFloat(NodeContext &c, Value v, const char *what) {
  if (!isa<FloatType>(typeOf(v).getElementType()))
    return c.fail(std::string(what) + " must be floating-point");
  return success();
}

//===----------------------------------------------------------------------===//
// RMSNormalization (23): x / sqrt(mean(x^2 over axis..last) + epsilon) * scale

LogicalResult convertRMSNorm(NodeContext &c) {
  if (failed(c.requireInputs(2)))
    return failure();
  Value x = c.input(0), scale = c.input(1);
  if (failed(requireFloat(c, x, "X")))
    return failure();
  auto xt = typeOf(x);
  int64_t rank = xt.getRank();
  int64_t axis = normAxis(c.attrInt("axis", -1), rank);
  if (failed(checkAxis(c, axis, rank)))
    return failure();
  auto norm = xt.getShape().drop_front(axis);
  if (typeOf(scale).getRank() > (int64_t)norm.size() ||
      failed(broadcastShapes(norm, typeOf(scale).getShape())) ||
      *broadcastShapes(norm, typeOf(scale).getShape()) != SmallVector<int64_t>(norm))
    return c.fail("scale does not broadcast to the normalized shape");
  if (typeOf(scale).getElementType() != xt.getElementType())
    return c.fail("scale and X have different element types");
  Type et = xt.getElementType();
  Type stash = et;
  if (c.attrInt("stash_type", 1) == 1 && et.getIntOrFloatBitWidth() < 32)
    stash = Float32Type::get(c.b.getContext());
  Value xs = stash != et ? c.make<CastOp>(x, TypeAttr::get(stash)) : x;
  SmallVector<int64_t> axes;
  for (int64_t d = axis; d < rank; ++d)
    axes.push_back(d);
  Value ms = c.make<ReduceMeanOp>(c.make<MulOp>(xs, xs), c.b.getDenseI64ArrayAttr(axes),
                                  c.b.getBoolAttr(true));
  Value rms = c.make<SqrtOp>(c.make<AddOp>(ms, c.scalar(stash, c.attrFloat("epsilon", 1e-5f))));
  Value y = c.make<DivOp>(xs, rms);
  if (stash != et)
    y = c.make<CastOp>(y, TypeAttr::get(et));
  c.setOutput(0, c.make<MulOp>(y, scale));
  return success();
}

//===----------------------------------------------------------------------===//
// RotaryEmbedding (23)

LogicalResult convertRotaryEmbedding(NodeContext &c) {
  if (failed(c.requireInputs(3)))
    return failure();
  Value x = c.input(0), cosC = c.input(1), sinC = c.input(2), pos = c.input(3);
  if (failed(requireFloat(c, x, "X")))
    return failure();
  auto xt = typeOf(x);
  Type et = xt.getElementType();
  if (typeOf(cosC).getElementType() != et || typeOf(sinC).getElementType() != et)
    return c.fail("cos_cache and sin_cache must have X's element type");
  int64_t rank = xt.getRank();
  Value x4; // [batch, seq, heads, head_size]
  if (rank == 4) {
    x4 = transpose(c, x, {0, 2, 1, 3});
  } else if (rank == 3) {
    int64_t heads = c.attrInt("num_heads", 0);
    if (heads <= 0 || xt.getDimSize(2) % heads)
      return c.fail("a 3-D input needs num_heads dividing the hidden size");
    x4 = c.reshape(x, {xt.getDimSize(0), xt.getDimSize(1), heads, xt.getDimSize(2) / heads});
  } else {
    return c.fail("X must be 3-D or 4-D");
  }
  auto s4 = typeOf(x4).getShape();
  int64_t batch = s4[0], seq = s4[1], head = s4[3];
  int64_t rot = c.attrInt("rotary_embedding_dim", 0);
  if (rot == 0)
    rot = head;
  if (rot < 0 || rot > head || rot % 2)
    return c.fail("rotary_embedding_dim must be even and at most the head size");
  int64_t half = rot / 2;
  if (pos) {
    if (!isa<IntegerType>(typeOf(pos).getElementType()) || typeOf(pos).getRank() != 2)
      return c.fail("position_ids must be a 2-D integer tensor");
    if (typeOf(cosC).getRank() != 2 || typeOf(sinC).getRank() != 2)
      return c.fail("with position_ids, cos_cache and sin_cache must be 2-D");
    auto gather = [&](Value cache) {
      auto ct = typeOf(cache);
      auto out = ct.clone({typeOf(pos).getDimSize(0), typeOf(pos).getDimSize(1), ct.getDimSize(1)});
      return c.make<GatherOp>(out, cache, pos, 0);
    };
    cosC = gather(cosC);
    sinC = gather(sinC);
  }
  for (Value v : {cosC, sinC})
    if (typeOf(v).getShape() != ArrayRef<int64_t>{batch, seq, half})
      return c.fail("cos/sin caches must give [batch, sequence, rotary_embedding_dim/2] = [" +
                    std::to_string(batch) + ", " + std::to_string(seq) + ", " +
                    std::to_string(half) + "]");
  cosC = c.reshape(cosC, {batch, seq, 1, half});
  sinC = c.reshape(sinC, {batch, seq, 1, half});
  Value xr = rot < head ? sliceAxis(c, x4, 3, 0, rot) : x4;
  bool interleaved = c.attrInt("interleaved", 0);
  Value x1 = interleaved ? sliceAxis(c, xr, 3, 0, rot, 2) : sliceAxis(c, xr, 3, 0, half);
  Value x2 = interleaved ? sliceAxis(c, xr, 3, 1, rot, 2) : sliceAxis(c, xr, 3, half, rot);
  Value real = c.make<SubOp>(c.make<MulOp>(cosC, x1), c.make<MulOp>(sinC, x2));
  Value imag = c.make<AddOp>(c.make<MulOp>(sinC, x1), c.make<MulOp>(cosC, x2));
  Value y;
  if (interleaved) {
    SmallVector<int64_t> s5{batch, seq, s4[2], half, 1};
    y = concat(c, {c.reshape(real, s5), c.reshape(imag, s5)}, 4);
    y = c.reshape(y, {batch, seq, s4[2], rot});
  } else {
    y = concat(c, {real, imag}, 3);
  }
  if (rot < head)
    y = concat(c, {y, sliceAxis(c, x4, 3, rot, head)}, 3);
  c.setOutput(0, rank == 3 ? c.reshape(y, xt.getShape()) : transpose(c, y, {0, 2, 1, 3}));
  return success();
}

//===----------------------------------------------------------------------===//
// Attention (23): softmax(Q K^T * scale + bias) V, with heads, GQA, causal mask

LogicalResult convertAttention(NodeContext &c) {
  if (failed(c.requireInputs(3)))
    return failure();
  Value q = c.input(0), k = c.input(1), v = c.input(2);
  Value mask = c.input(3), pastK = c.input(4), pastV = c.input(5);
  if (c.input(6))
    return c.fail("nonpad_kv_seqlen is not supported");
  if (c.outputUsed(3))
    return c.fail("the qk_matmul_output output is not supported");
  if (failed(requireFloat(c, q, "Q")))
    return failure();
  Type et = typeOf(q).getElementType();
  if (typeOf(k).getElementType() != et || typeOf(v).getElementType() != et)
    return c.fail("Q, K and V must have the same element type");
  int64_t rank = typeOf(q).getRank();
  if (typeOf(k).getRank() != rank || typeOf(v).getRank() != rank || (rank != 3 && rank != 4))
    return c.fail("Q, K and V must all be 3-D or all 4-D");
  // To [batch, heads, seq, head_size].
  auto toHeads = [&](Value t, const char *attr) -> Value {
    if (rank == 4)
      return t;
    int64_t heads = c.attrInt(attr, 0);
    auto s = typeOf(t).getShape();
    if (heads <= 0 || s[2] % heads)
      return Value();
    return transpose(c, c.reshape(t, {s[0], s[1], heads, s[2] / heads}), {0, 2, 1, 3});
  };
  q = toHeads(q, "q_num_heads");
  k = toHeads(k, "kv_num_heads");
  v = toHeads(v, "kv_num_heads");
  if (!q || !k || !v)
    return c.fail("3-D inputs need q_num_heads/kv_num_heads dividing their hidden sizes");
  if (pastK && pastV) {
    if (typeOf(pastK).getRank() != 4 || typeOf(pastV).getRank() != 4)
      return c.fail("past_key/past_value must be 4-D");
    k = concat(c, {pastK, k}, 2);
    v = concat(c, {pastV, v}, 2);
  } else if (pastK || pastV) {
    return c.fail("past_key and past_value must be given together");
  }
  auto qs = typeOf(q).getShape(), ks = typeOf(k).getShape(), vs = typeOf(v).getShape();
  if (ks[0] != qs[0] || vs[0] != qs[0] || ks[3] != qs[3] || vs[1] != ks[1] || vs[2] != ks[2])
    return c.fail("Q, K and V shapes do not match");
  c.setOutput(1, k);
  c.setOutput(2, v);
  int64_t batch = qs[0], hq = qs[1], sq = qs[2], hkv = ks[1], skv = ks[2];
  if (hq % hkv)
    return c.fail("the query heads must be a multiple of the key/value heads");
  if (hq != hkv) { // grouped-query attention: query head h uses key/value head h / (hq/hkv)
    auto repeat = [&](Value t) {
      auto s = typeOf(t).getShape();
      Value r = c.reshape(t, {s[0], s[1], 1, s[2], s[3]});
      r = c.make<BroadcastToOp>(typeOf(t).clone({s[0], s[1], hq / hkv, s[2], s[3]}), r);
      return c.reshape(r, {s[0], hq, s[2], s[3]});
    };
    k = repeat(k);
    v = repeat(v);
  }
  double scale = c.hasAttr("scale") ? c.attrFloat("scale", 1.0f) : 1.0 / std::sqrt((double)qs[3]);
  Value scores = c.make<MatMulOp>(c.make<MulOp>(q, c.scalar(et, scale)),
                                  transpose(c, k, {0, 1, 3, 2}));
  double ninf = -std::numeric_limits<double>::infinity();
  if (c.attrInt("is_causal", 0)) {
    SmallVector<double> bias(sq * skv);
    for (int64_t i = 0; i < sq; ++i)
      for (int64_t j = 0; j < skv; ++j)
        bias[i * skv + j] = j > i ? ninf : 0.0;
    scores = c.make<AddOp>(scores, floatConstant(c, et, {sq, skv}, bias));
  }
  if (mask) {
    auto mt = typeOf(mask);
    if (mt.getRank() > 4 ||
        failed(broadcastShapes(typeOf(scores).getShape(), mt.getShape())) ||
        *broadcastShapes(typeOf(scores).getShape(), mt.getShape()) !=
            SmallVector<int64_t>(typeOf(scores).getShape()))
      return c.fail("attn_mask does not broadcast to [batch, heads, q_seq, kv_seq]");
    if (mt.getElementType().isInteger(1))
      mask = c.make<WhereOp>(mask, c.scalar(et, 0.0), c.scalar(et, ninf));
    else if (mt.getElementType() != et)
      return c.fail("attn_mask must be bool or Q's element type");
    scores = c.make<AddOp>(scores, mask);
  }
  if (float cap = c.attrFloat("softcap", 0.0f); cap > 0.0f)
    scores = c.make<MulOp>(c.make<TanhOp>(c.make<DivOp>(scores, c.scalar(et, cap))),
                           c.scalar(et, cap));
  Value y = c.make<MatMulOp>(c.make<SoftmaxOp>(scores, 3), v);
  if (rank == 3)
    y = c.reshape(transpose(c, y, {0, 2, 1, 3}), {batch, sq, hq * vs[3]});
  c.setOutput(0, y);
  return success();
}

//===----------------------------------------------------------------------===//
// CenterCropPad (18): crop or zero-pad each listed axis around its center

LogicalResult convertCenterCropPad(NodeContext &c) {
  if (failed(c.requireInputs(2)))
    return failure();
  Value x = c.input(0);
  auto shape = typeOf(x).getShape();
  int64_t rank = shape.size();
  auto target = c.intsInput(1);
  if (failed(target))
    return failure();
  SmallVector<int64_t> axes = c.attrInts("axes");
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  if (axes.size() != target->size())
    return c.fail("shape must hold one size per axis (" + std::to_string(axes.size()) + ")");
  SmallVector<int64_t> starts(rank, 0), ends(shape), steps(rank, 1), pads(2 * rank, 0);
  bool crop = false, pad = false;
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t a = normAxis(axes[i], rank), t = (*target)[i];
    if (failed(checkAxis(c, a, rank)))
      return failure();
    if (t < 0)
      return c.fail("negative target size " + std::to_string(t));
    if (t < shape[a]) {
      starts[a] = (shape[a] - t) / 2;
      ends[a] = starts[a] + t;
      crop = true;
    } else if (t > shape[a]) {
      pads[a] = (t - shape[a]) / 2;
      pads[rank + a] = t - shape[a] - pads[a];
      pad = true;
    }
  }
  if (crop)
    x = c.make<SliceOp>(x, ArrayRef<int64_t>(starts), ArrayRef<int64_t>(ends),
                        ArrayRef<int64_t>(steps));
  if (pad)
    x = c.make<PadOp>(x, c.scalar(typeOf(x).getElementType(), 0.0), ArrayRef<int64_t>(pads),
                      StringRef("constant"));
  c.setOutput(0, x);
  return success();
}

//===----------------------------------------------------------------------===//
// AffineGrid (20): base grid [(x, y[, z], 1)] times theta^T

LogicalResult convertAffineGrid(NodeContext &c) {
  if (failed(c.requireInputs(2)))
    return failure();
  Value theta = c.input(0);
  if (failed(requireFloat(c, theta, "theta")))
    return failure();
  auto size = c.intsInput(1);
  if (failed(size))
    return failure();
  auto tt = typeOf(theta);
  int64_t nd = (int64_t)size->size() - 2; // spatial dims
  if ((nd != 2 && nd != 3) || tt.getRank() != 3 || tt.getDimSize(1) != nd ||
      tt.getDimSize(2) != nd + 1 || tt.getDimSize(0) != (*size)[0])
    return c.fail("theta must be [N, 2, 3] with size [N, C, H, W] or [N, 3, 4] with size "
                  "[N, C, D, H, W]");
  SmallVector<int64_t> spatial(size->begin() + 2, size->end());
  if (llvm::any_of(spatial, [](int64_t d) { return d <= 0; }))
    return c.fail("size must be positive");
  bool align = c.attrInt("align_corners", 0);
  auto coord = [&](int64_t i, int64_t n) -> double {
    if (align)
      return n == 1 ? -1.0 : -1.0 + 2.0 * i / (n - 1);
    return (2.0 * i + 1.0) / n - 1.0;
  };
  int64_t points = product(spatial);
  SmallVector<double> base;
  for (int64_t p = 0; p < points; ++p) {
    auto idx = unflatten(p, spatial); // (d,) h, w
    for (int64_t j = nd - 1; j >= 0; --j) // x (fastest), y, z
      base.push_back(coord(idx[j], spatial[j]));
    base.push_back(1.0);
  }
  Value grid = c.make<MatMulOp>(floatConstant(c, tt.getElementType(), {points, nd + 1}, base),
                                transpose(c, theta, {0, 2, 1}));
  SmallVector<int64_t> out{(*size)[0]};
  out.append(spatial);
  out.push_back(nd);
  c.setOutput(0, c.reshape(grid, out));
  return success();
}

//===----------------------------------------------------------------------===//
// Col2Im (18): scatter-add each column entry into its image position

LogicalResult convertCol2Im(NodeContext &c) {
  if (failed(c.requireInputs(3)))
    return failure();
  Value x = c.input(0);
  auto image = c.intsInput(1), block = c.intsInput(2);
  if (failed(image) || failed(block))
    return failure();
  int64_t n = image->size();
  if (n < 1 || (int64_t)block->size() != n)
    return c.fail("image_shape and block_shape must have the same, non-zero length");
  auto dil = c.attrInts("dilations", SmallVector<int64_t>(n, 1));
  auto str = c.attrInts("strides", SmallVector<int64_t>(n, 1));
  auto pads = c.attrInts("pads", SmallVector<int64_t>(2 * n, 0));
  if ((int64_t)dil.size() != n || (int64_t)str.size() != n || (int64_t)pads.size() != 2 * n)
    return c.fail("dilations/strides/pads must have one value per spatial dimension");
  SmallVector<int64_t> blocks(n);
  for (int64_t d = 0; d < n; ++d) {
    if ((*image)[d] <= 0 || (*block)[d] <= 0 || dil[d] <= 0 || str[d] <= 0 || pads[d] < 0 ||
        pads[n + d] < 0)
      return c.fail("image_shape, block_shape, dilations and strides must be positive, pads "
                    "non-negative");
    int64_t span = dil[d] * ((*block)[d] - 1) + 1;
    blocks[d] = ((*image)[d] + pads[d] + pads[n + d] - span) / str[d] + 1;
    if (blocks[d] <= 0)
      return c.fail("the block does not fit the padded image");
  }
  auto xt = typeOf(x);
  int64_t kernel = product(*block), l = product(blocks), pixels = product(*image);
  if (xt.getRank() != 3 || xt.getDimSize(1) % kernel || xt.getDimSize(2) != l)
    return c.fail("input must be [N, C*" + std::to_string(kernel) + ", " + std::to_string(l) + "]");
  int64_t batch = xt.getDimSize(0), ch = xt.getDimSize(1) / kernel;
  // Target of every (kernel position, block) pair in the flattened image; the
  // ones that land in the padding go to one extra slot that is sliced off.
  SmallVector<int64_t> target;
  for (int64_t k = 0; k < kernel; ++k) {
    auto kp = unflatten(k, *block);
    for (int64_t b = 0; b < l; ++b) {
      auto bp = unflatten(b, blocks);
      int64_t flat = 0;
      bool inside = true;
      for (int64_t d = 0; d < n; ++d) {
        int64_t p = bp[d] * str[d] - pads[d] + kp[d] * dil[d];
        inside &= p >= 0 && p < (*image)[d];
        flat = flat * (*image)[d] + p;
      }
      target.push_back(inside ? flat : pixels);
    }
  }
  Value idx = i64Constant(c, {1, 1, kernel * l}, target);
  idx = c.make<BroadcastToOp>(typeOf(idx).clone({batch, ch, kernel * l}), idx);
  Value zeros = c.constant(DenseElementsAttr::get(
      RankedTensorType::get({batch, ch, pixels + 1}, xt.getElementType()),
      cast<TypedAttr>(c.b.getZeroAttr(xt.getElementType()))));
  Value y = c.make<ScatterElementsOp>(zeros, idx, c.reshape(x, {batch, ch, kernel * l}), 2,
                                      StringRef("add"));
  y = sliceAxis(c, y, 2, 0, pixels);
  SmallVector<int64_t> out{batch, ch};
  out.append(image->begin(), image->end());
  c.setOutput(0, c.reshape(y, out));
  return success();
}

//===----------------------------------------------------------------------===//
// DeformConv (19): bilinear samples at offset kernel taps, then a grouped
// matmul with the weights (im2col form).

LogicalResult convertDeformConv(NodeContext &c) {
  if (failed(c.requireInputs(3)))
    return failure();
  Value x = c.input(0), w = c.input(1), offset = c.input(2), bias = c.input(3),
        mask = c.input(4);
  if (failed(requireFloat(c, x, "X")))
    return failure();
  auto xt = typeOf(x), wt = typeOf(w), ot = typeOf(offset);
  Type et = xt.getElementType();
  if (xt.getRank() != 4 || wt.getRank() != 4 || ot.getRank() != 4)
    return c.fail("only 2-D deformable convolution (4-D X, W and offset) is supported");
  for (Value v : {w, offset, bias, mask})
    if (v && typeOf(v).getElementType() != et)
      return c.fail("W, offset, B and mask must have X's element type");
  int64_t batch = xt.getDimSize(0), ch = xt.getDimSize(1), h = xt.getDimSize(2),
          wd = xt.getDimSize(3), oc = wt.getDimSize(0);
  auto kernel = c.attrInts("kernel_shape", wt.getShape().drop_front(2));
  auto str = c.attrInts("strides", {1, 1});
  auto dil = c.attrInts("dilations", {1, 1});
  auto pads = c.attrInts("pads", {0, 0, 0, 0});
  int64_t group = c.attrInt("group", 1), og = c.attrInt("offset_group", 1);
  if (kernel.size() != 2 || str.size() != 2 || dil.size() != 2 || pads.size() != 4)
    return c.fail("kernel_shape/strides/dilations need 2 values, pads 4");
  if (ArrayRef<int64_t>(kernel) != wt.getShape().drop_front(2))
    return c.fail("kernel_shape differs from the weight's shape");
  if (group < 1 || ch % group || oc % group || wt.getDimSize(1) != ch / group)
    return c.fail("channels do not match group " + std::to_string(group));
  if (og < 1 || ch % og)
    return c.fail("offset_group must divide the input channels");
  int64_t oh = (h + pads[0] + pads[2] - (dil[0] * (kernel[0] - 1) + 1)) / str[0] + 1;
  int64_t ow = (wd + pads[1] + pads[3] - (dil[1] * (kernel[1] - 1) + 1)) / str[1] + 1;
  if (oh <= 0 || ow <= 0 || llvm::any_of(str, [](int64_t s) { return s <= 0; }) ||
      llvm::any_of(dil, [](int64_t s) { return s <= 0; }))
    return c.fail("the kernel does not fit the padded input");
  int64_t kk = kernel[0] * kernel[1], p = oh * ow, cg = ch / og;
  if (ot.getShape() != ArrayRef<int64_t>{batch, og * 2 * kk, oh, ow})
    return c.fail("offset must be [N, offset_group*2*kH*kW, oH, oW] = [" + std::to_string(batch) +
                  ", " + std::to_string(og * 2 * kk) + ", " + std::to_string(oh) + ", " +
                  std::to_string(ow) + "]");
  if (mask && typeOf(mask).getShape() != ArrayRef<int64_t>{batch, og * kk, oh, ow})
    return c.fail("mask must be [N, offset_group*kH*kW, oH, oW]");
  if (bias && typeOf(bias).getShape() != ArrayRef<int64_t>{oc})
    return c.fail("B must hold one value per output channel");

  // Sampling positions [N, og, kk, p]: the regular tap position plus the offset.
  Value off = c.reshape(offset, {batch, og, kk, 2, p});
  SmallVector<int64_t> taps{batch, og, kk, p};
  Value offY = c.reshape(sliceAxis(c, off, 3, 0, 1), taps);
  Value offX = c.reshape(sliceAxis(c, off, 3, 1, 2), taps);
  SmallVector<double> baseY, baseX;
  for (int64_t k = 0; k < kk; ++k)
    for (int64_t q = 0; q < p; ++q) {
      baseY.push_back((q / ow) * str[0] - pads[0] + (k / kernel[1]) * dil[0]);
      baseX.push_back((q % ow) * str[1] - pads[1] + (k % kernel[1]) * dil[1]);
    }
  Value py = c.make<AddOp>(offY, floatConstant(c, et, {kk, p}, baseY));
  Value px = c.make<AddOp>(offX, floatConstant(c, et, {kk, p}, baseX));
  Value y0 = c.make<FloorOp>(py), x0 = c.make<FloorOp>(px);
  Value ly = c.make<SubOp>(py, y0), lx = c.make<SubOp>(px, x0);
  Value one = c.scalar(et, 1.0), zero = c.scalar(et, 0.0);
  Value hy = c.make<SubOp>(one, ly), hx = c.make<SubOp>(one, lx);
  Value maskT = mask ? c.reshape(mask, taps) : Value();

  auto i64 = IntegerType::get(c.b.getContext(), 64);
  Value data = c.reshape(x, {batch, og, cg, h * wd});
  auto gatherType = RankedTensorType::get({batch, og, cg, kk * p}, i64);
  Value acc;
  for (int dy = 0; dy < 2; ++dy)
    for (int dx = 0; dx < 2; ++dx) {
      Value yy = dy ? c.make<AddOp>(y0, one) : y0;
      Value xx = dx ? c.make<AddOp>(x0, one) : x0;
      Value hiY = c.scalar(et, h - 1), hiX = c.scalar(et, wd - 1);
      Value valid = c.make<AndOp>(
          c.make<AndOp>(c.make<GreaterEqualOp>(yy, zero), c.make<LessEqualOp>(yy, hiY)),
          c.make<AndOp>(c.make<GreaterEqualOp>(xx, zero), c.make<LessEqualOp>(xx, hiX)));
      Value weight = c.make<MulOp>(dy ? ly : hy, dx ? lx : hx);
      if (maskT)
        weight = c.make<MulOp>(weight, maskT);
      weight = c.make<WhereOp>(valid, weight, zero);
      Value flat = c.make<AddOp>(c.make<MulOp>(c.make<ClipOp>(yy, zero, hiY), c.scalar(et, wd)),
                                 c.make<ClipOp>(xx, zero, hiX));
      Value idx = c.reshape(c.make<CastOp>(flat, TypeAttr::get(i64)), {batch, og, 1, kk * p});
      idx = c.make<BroadcastToOp>(gatherType, idx);
      Value sample = c.make<GatherElementsOp>(data, idx, 3);
      Value term = c.make<MulOp>(sample, c.reshape(weight, {batch, og, 1, kk * p}));
      acc = acc ? c.make<AddOp>(acc, term) : term;
    }
  // Columns [N, group, C/group*kk, p] times weights [group, oc/group, C/group*kk].
  Value cols = c.reshape(acc, {batch, group, ch / group * kk, p});
  Value wm = c.reshape(w, {group, oc / group, ch / group * kk});
  Value y = c.reshape(c.make<MatMulOp>(wm, cols), {batch, oc, oh, ow});
  if (bias)
    y = c.make<AddOp>(y, c.reshape(bias, {oc, 1, 1}));
  c.setOutput(0, y);
  return success();
}

} // namespace

void registerOpset18Converters(ConverterMap &table) {
  // emplace: a family's own converter, if it has one, stays.
  table.emplace("RMSNormalization", convertRMSNorm);
  table.emplace("RotaryEmbedding", convertRotaryEmbedding);
  table.emplace("Attention", convertAttention);
  table.emplace("CenterCropPad", convertCenterCropPad);
  table.emplace("AffineGrid", convertAffineGrid);
  table.emplace("Col2Im", convertCol2Im);
  table.emplace("DeformConv", convertDeformConv);
}

} // namespace nuri
