//===- NuriMiscOps.cpp - verifiers and type inference: signal, sampling, training ---===//
#include "dialects/nuri/IR/NuriDialect.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::nuri;

static RankedTensorType rankedOf(Value v) { return cast<RankedTensorType>(v.getType()); }

static LogicalResult failAt(std::optional<Location> loc, const Twine &msg) {
  if (loc)
    return emitError(*loc, msg);
  return failure();
}

//===----------------------------------------------------------------------===//
// GridSample
//===----------------------------------------------------------------------===//

LogicalResult GridSampleOp::inferReturnTypes(MLIRContext *, std::optional<Location> l, Adaptor a,
                                             SmallVectorImpl<Type> &t) {
  auto in = rankedOf(a.getInput()), grid = rankedOf(a.getGrid());
  int64_t rank = in.getRank();
  if (rank < 3 || grid.getRank() != rank)
    return failAt(l, "grid_sample: input must be [N, C, spatial...] and grid [N, out..., r] of "
                     "the same rank");
  SmallVector<int64_t> shape{in.getDimSize(0), in.getDimSize(1)};
  for (int64_t d = 1; d + 1 < rank; ++d)
    shape.push_back(grid.getDimSize(d));
  t.push_back(RankedTensorType::get(shape, in.getElementType()));
  return success();
}

LogicalResult GridSampleOp::verify() {
  auto in = getInput().getType(), grid = getGrid().getType();
  int64_t spatial = in.getRank() - 2;
  if (in.getElementType() != grid.getElementType())
    return emitOpError("input and grid must have the same element type");
  if (grid.getDimSize(0) != in.getDimSize(0))
    return emitOpError("grid batch ") << grid.getDimSize(0) << " differs from input batch "
                                      << in.getDimSize(0);
  if (grid.getDimSize(grid.getRank() - 1) != spatial)
    return emitOpError("grid's last dimension must be ") << spatial << " (one coordinate per "
                                                         << "spatial dimension)";
  StringRef mode = getMode(), pad = getPaddingMode();
  if (mode != "linear" && mode != "nearest" && mode != "cubic")
    return emitOpError("unknown mode '") << mode << "' (linear, nearest or cubic)";
  if (mode == "cubic" && spatial != 2)
    return emitOpError("cubic mode needs 2 spatial dimensions");
  if (pad != "zeros" && pad != "border" && pad != "reflection")
    return emitOpError("unknown padding_mode '") << pad << "' (zeros, border or reflection)";
  for (int64_t d : in.getShape().drop_front(2))
    if (d < 1)
      return emitOpError("spatial dimensions must not be empty");
  return success();
}

//===----------------------------------------------------------------------===//
// RoiAlign
//===----------------------------------------------------------------------===//

LogicalResult RoiAlignOp::inferReturnTypes(MLIRContext *, std::optional<Location> l, Adaptor a,
                                           SmallVectorImpl<Type> &t) {
  auto in = rankedOf(a.getInput()), rois = rankedOf(a.getRois());
  if (in.getRank() != 4 || rois.getRank() != 2)
    return failAt(l, "roi_align: input must be [N, C, H, W] and rois [R, 4]");
  t.push_back(RankedTensorType::get(
      {rois.getDimSize(0), in.getDimSize(1), a.getOutputHeight(), a.getOutputWidth()},
      in.getElementType()));
  return success();
}

LogicalResult RoiAlignOp::verify() {
  auto rois = getRois().getType(), idx = getBatchIndices().getType();
  if (rois.getElementType() != getInput().getType().getElementType())
    return emitOpError("rois must have the input's element type");
  if (rois.getDimSize(1) != 4)
    return emitOpError("rois must be [R, 4]");
  if (idx.getRank() != 1 || idx.getDimSize(0) != rois.getDimSize(0))
    return emitOpError("batch_indices must be [R] with R = ") << rois.getDimSize(0);
  if (getMode() != "avg" && getMode() != "max")
    return emitOpError("unknown mode '") << getMode() << "' (avg or max)";
  if (getOutputHeight() < 1 || getOutputWidth() < 1)
    return emitOpError("output_height and output_width must be positive");
  if (getSamplingRatio() < 0)
    return emitOpError("sampling_ratio must not be negative");
  return success();
}

//===----------------------------------------------------------------------===//
// DFT, STFT
//===----------------------------------------------------------------------===//

static int64_t bins(int64_t length, bool onesided) { return onesided ? length / 2 + 1 : length; }

LogicalResult DFTOp::inferReturnTypes(MLIRContext *, std::optional<Location> l, Adaptor a,
                                      SmallVectorImpl<Type> &t) {
  auto in = rankedOf(a.getInput());
  int64_t axis = a.getAxis(), rank = in.getRank();
  if (rank < 2 || axis < 0 || axis >= rank - 1)
    return failAt(l, "dft: axis must name a dimension other than the last");
  SmallVector<int64_t> shape(in.getShape());
  shape[axis] = bins(a.getLength(), a.getOnesided());
  shape.back() = 2;
  t.push_back(RankedTensorType::get(shape, in.getElementType()));
  return success();
}

LogicalResult DFTOp::verify() {
  int64_t c = getInput().getType().getShape().back();
  if (c != 1 && c != 2)
    return emitOpError("the last dimension must be 1 (real) or 2 (complex), not ") << c;
  if (getLength() < 1)
    return emitOpError("length must be positive");
  return success();
}

LogicalResult STFTOp::inferReturnTypes(MLIRContext *, std::optional<Location> l, Adaptor a,
                                       SmallVectorImpl<Type> &t) {
  auto sig = rankedOf(a.getSignal());
  if (sig.getRank() != 3)
    return failAt(l, "stft: signal must be [batch, length, 1 or 2]");
  int64_t step = a.getFrameStep(), len = a.getFrameLength();
  if (step < 1 || len < 1 || len > sig.getDimSize(1))
    return failAt(l, "stft: frame_step and frame_length must be positive, frame_length at "
                     "most the signal length");
  int64_t frames = (sig.getDimSize(1) - len) / step + 1;
  t.push_back(RankedTensorType::get({sig.getDimSize(0), frames, bins(len, a.getOnesided()), 2},
                                    sig.getElementType()));
  return success();
}

LogicalResult STFTOp::verify() {
  auto sig = getSignal().getType();
  int64_t c = sig.getDimSize(2);
  if (c != 1 && c != 2)
    return emitOpError("the signal's last dimension must be 1 (real) or 2 (complex), not ") << c;
  if (Value w = getWindow()) {
    auto wt = rankedOf(w);
    if (wt.getRank() != 1 || wt.getDimSize(0) != getFrameLength())
      return emitOpError("window must be [frame_length] = [") << getFrameLength() << "]";
    if (wt.getElementType() != sig.getElementType())
      return emitOpError("window must have the signal's element type");
  }
  return success();
}

//===----------------------------------------------------------------------===//
// TfIdfVectorizer
//===----------------------------------------------------------------------===//

LogicalResult TfIdfVectorizerOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> l,
                                                  Adaptor a, SmallVectorImpl<Type> &t) {
  auto in = rankedOf(a.getInput());
  if (in.getRank() != 1 && in.getRank() != 2)
    return failAt(l, "tfidf_vectorizer: input must be [C] or [B, C]");
  int64_t width = 0;
  for (int64_t i : a.getNgramIndexes())
    width = std::max(width, i + 1);
  SmallVector<int64_t> shape;
  if (in.getRank() == 2)
    shape.push_back(in.getDimSize(0));
  shape.push_back(width);
  t.push_back(RankedTensorType::get(shape, Float32Type::get(ctx)));
  return success();
}

LogicalResult TfIdfVectorizerOp::verify() {
  int64_t minN = getMinGramLength(), maxN = getMaxGramLength();
  if (minN < 1 || maxN < minN)
    return emitOpError("needs 1 <= min_gram_length <= max_gram_length");
  if (getMaxSkipCount() < 0)
    return emitOpError("max_skip_count must not be negative");
  if (getMode() != "TF" && getMode() != "IDF" && getMode() != "TFIDF")
    return emitOpError("unknown mode '") << getMode() << "' (TF, IDF or TFIDF)";
  ArrayRef<int64_t> counts = getNgramCounts(), pool = getPool();
  int64_t poolSize = pool.size();
  // Start offsets per length must be non-decreasing and each group a whole
  // number of n-grams.
  int64_t grams = 0;
  for (size_t n = 0; n < counts.size(); ++n) {
    int64_t begin = counts[n], end = n + 1 < counts.size() ? counts[n + 1] : poolSize;
    if (begin < 0 || end < begin || end > poolSize)
      return emitOpError("ngram_counts must be non-decreasing offsets into the pool");
    if ((end - begin) % (int64_t)(n + 1))
      return emitOpError("the pool's ") << n + 1 << "-grams do not fill a whole number of "
                                        << n + 1 << "-grams";
    grams += (end - begin) / (n + 1);
  }
  if (counts.empty() || counts[0] != 0)
    return emitOpError("ngram_counts must start at 0");
  if ((int64_t)getNgramIndexes().size() != grams)
    return emitOpError("ngram_indexes has ") << getNgramIndexes().size() << " entries for "
                                             << grams << " n-grams in the pool";
  for (int64_t i : getNgramIndexes())
    if (i < 0)
      return emitOpError("ngram_indexes must not be negative");
  if (!getWeights().empty() && (int64_t)getWeights().size() != grams)
    return emitOpError("weights must be empty or one per n-gram of the pool");
  return success();
}

//===----------------------------------------------------------------------===//
// Optimizers
//===----------------------------------------------------------------------===//

template <typename Adaptor>
static LogicalResult inferOptimizer(Adaptor a, int results, SmallVectorImpl<Type> &t) {
  t.append(results, a.getX().getType());
  return success();
}

template <typename Op> static LogicalResult verifyOptimizer(Op op) {
  auto x = op.getX().getType();
  if (op.getRate().getType().getRank() != 0 || op.getStep().getType().getRank() != 0)
    return op.emitOpError("rate and step must be scalars (rank 0)");
  if (op.getRate().getType().getElementType() != x.getElementType())
    return op.emitOpError("rate must have the element type of x");
  for (Value v : op->getOperands().drop_front(3))
    if (v.getType() != x)
      return op.emitOpError("every tensor operand must have x's type ") << x;
  return success();
}

LogicalResult AdagradOp::inferReturnTypes(MLIRContext *, std::optional<Location>, Adaptor a,
                                          SmallVectorImpl<Type> &t) {
  return inferOptimizer(a, 2, t);
}
LogicalResult MomentumOp::inferReturnTypes(MLIRContext *, std::optional<Location>, Adaptor a,
                                           SmallVectorImpl<Type> &t) {
  return inferOptimizer(a, 2, t);
}
LogicalResult AdamOp::inferReturnTypes(MLIRContext *, std::optional<Location>, Adaptor a,
                                       SmallVectorImpl<Type> &t) {
  return inferOptimizer(a, 3, t);
}
LogicalResult AdagradOp::verify() { return verifyOptimizer(*this); }
LogicalResult MomentumOp::verify() { return verifyOptimizer(*this); }
LogicalResult AdamOp::verify() { return verifyOptimizer(*this); }
