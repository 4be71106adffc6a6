// Signal processing (DFT, STFT), sampling (GridSample, RoiAlign), text
// features (TfIdfVectorizer) and the training-domain optimizers. Included by
// NuriOps.td.
#ifndef NURI_MISC_OPS_TD
#define NURI_MISC_OPS_TD

def Nuri_I64Tensor : RankedTensorOf<[I64]>;

//===----------------------------------------------------------------------===//
// Sampling
//===----------------------------------------------------------------------===//

def Nuri_GridSampleOp : Nuri_Op<"grid_sample", [Pure, InferTypeOpAdaptor]> {
  let summary = "sample [N, C, D1..Dr] at the normalized points of a grid [N, O1..Or, r]";
  let description = [{
    The grid's last dimension holds (x, y, ...): component 0 addresses the
    innermost spatial dimension. Coordinates in [-1, 1] span the input:
    its corner pixels' centers with `align_corners`, else their outer edges.
    `mode`: linear | nearest (half to even) | cubic (A = -0.75, 2-D only).
    `padding_mode`: zeros | border | reflection, for reads outside the input.
    The output is [N, C, O1..Or].
  }];
  let arguments = (ins Nuri_FloatTensor:$input, Nuri_FloatTensor:$grid, StrAttr:$mode,
                   StrAttr:$padding_mode, BoolAttr:$align_corners);
  let results = (outs Nuri_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $grid attr-dict `:` type($input) `,` type($grid) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Nuri_RoiAlignOp : Nuri_Op<"roi_align", [Pure, InferTypeOpAdaptor]> {
  let summary = "average or max of bilinear samples over each region of interest";
  let description = [{
    input [N, C, H, W], rois [R, 4] as (x1, y1, x2, y2) in input coordinates
    times `spatial_scale`, batch_indices [R]; output [R, C, output_height,
    output_width]. Each output bin takes sampling_ratio x sampling_ratio
    samples, or ceil(roi size / bins) per axis when sampling_ratio is 0.
    `half_pixel` shifts the roi by -0.5 (ONNX coordinate_transformation_mode
    half_pixel); without it rois are at least 1 pixel wide and high.
    `mode`: avg | max (max of the four weighted taps of each sample, as
    ONNX Runtime does).
  }];
  let arguments = (ins Nuri_FloatTensor:$input, Nuri_FloatTensor:$rois,
                   Nuri_I64Tensor:$batch_indices, StrAttr:$mode, I64Attr:$output_height,
                   I64Attr:$output_width, I64Attr:$sampling_ratio, F32Attr:$spatial_scale,
                   BoolAttr:$half_pixel);
  let results = (outs Nuri_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $rois `,` $batch_indices attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Signal processing
//===----------------------------------------------------------------------===//

def Nuri_DFTOp : Nuri_Op<"dft", [Pure, InferTypeOpAdaptor]> {
  let summary = "discrete Fourier transform along one axis, complex numbers as a last dimension";
  let description = [{
    input [..., n, ..., c] with c = 1 (real) or 2 (real, imaginary); output
    [..., k, ..., 2] where the transform runs along `axis` (not the last
    dimension) with `length` points: the signal is truncated or zero-padded
    to `length`; k = length, or length / 2 + 1 with `onesided`. `inverse`
    uses e^{+i...} and scales by 1 / length.
  }];
  let arguments = (ins Nuri_FloatTensor:$input, I64Attr:$axis, I64Attr:$length,
                   BoolAttr:$inverse, BoolAttr:$onesided);
  let results = (outs Nuri_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def Nuri_STFTOp : Nuri_Op<"stft", [Pure, InferTypeOpAdaptor]> {
  let summary = "short-time Fourier transform of [batch, length, c] signals";
  let description = [{
    Frames of `frame_length` samples every `frame_step` samples, each
    multiplied by the window (when given, [frame_length]) and transformed
    by a DFT of frame_length points. Output [batch, frames, bins, 2] with
    frames = (length - frame_length) / frame_step + 1 and bins =
    frame_length, or frame_length / 2 + 1 with `onesided`.
  }];
  let arguments = (ins Nuri_FloatTensor:$signal, Optional<Nuri_FloatTensor>:$window,
                   I64Attr:$frame_step, I64Attr:$frame_length, BoolAttr:$onesided);
  let results = (outs Nuri_FloatTensor:$output);
  let assemblyFormat = [{
    $signal (`,` $window^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Text features
//===----------------------------------------------------------------------===//

def Nuri_TfIdfVectorizerOp : Nuri_Op<"tfidf_vectorizer", [Pure, InferTypeOpAdaptor]> {
  let summary = "n-gram counts of integer token sequences ([C] or [B, C]) against a pool";
  let description = [{
    `pool` holds the n-grams, grouped by length: those of length n start at
    ngram_counts[n - 1]. ngram_indexes[i] is the output column of the i-th
    n-gram of the pool. An n-gram of length n with skip s reads tokens
    t, t + s + 1, ..., t + (n - 1)(s + 1) of a row; lengths
    min_gram_length..max_gram_length and skips 0..max_skip_count count
    (unigrams once). `mode`: TF (counts), IDF (min(count, 1) * weight) or
    TFIDF (count * weight); weights, per pool n-gram, default to 1.
    Output f32 [max(ngram_indexes) + 1] or [B, that].
  }];
  let arguments = (ins RankedTensorOf<[I32, I64]>:$input, I64Attr:$min_gram_length,
                   I64Attr:$max_gram_length, I64Attr:$max_skip_count, StrAttr:$mode,
                   DenseI64ArrayAttr:$ngram_counts, DenseI64ArrayAttr:$ngram_indexes,
                   DenseI64ArrayAttr:$pool, DenseF32ArrayAttr:$weights);
  let results = (outs RankedTensorOf<[F32]>:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Training (ai.onnx.preview.training): one parameter tensor per op
//===----------------------------------------------------------------------===//

// `rate` is a rank-0 float tensor (R), `step` a rank-0 i64 tensor (T); every
// other operand and each result has the type of `x`.
class Nuri_OptimizerOp<string mnemonic, dag operands, dag attrs, dag outs>
    : Nuri_Op<mnemonic, [Pure, InferTypeOpAdaptor]> {
  let arguments = !con((ins Nuri_FloatTensor:$rate, Nuri_I64Tensor:$step,
                        Nuri_FloatTensor:$x, Nuri_FloatTensor:$grad), operands, attrs);
  let results = outs;
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Nuri_AdagradOp : Nuri_OptimizerOp<"adagrad", (ins Nuri_FloatTensor:$accumulated),
    (ins F32Attr:$decay_factor, F32Attr:$epsilon, F32Attr:$norm_coefficient),
    (outs Nuri_FloatTensor:$x_new, Nuri_FloatTensor:$accumulated_new)> {
  let summary = "one Adagrad step";
  let description = [{
    r = rate / (1 + step * decay_factor); g = norm_coefficient * x + grad;
    accumulated_new = accumulated + g^2;
    x_new = x - r * g / (sqrt(accumulated_new) + epsilon).
  }];
}

def Nuri_MomentumOp : Nuri_OptimizerOp<"momentum", (ins Nuri_FloatTensor:$velocity),
    (ins F32Attr:$alpha, F32Attr:$beta, F32Attr:$norm_coefficient, BoolAttr:$nesterov),
    (outs Nuri_FloatTensor:$x_new, Nuri_FloatTensor:$velocity_new)> {
  let summary = "one (standard or Nesterov) momentum step";
  let description = [{
    g = norm_coefficient * x + grad; b = step > 0 ? beta : 1;
    velocity_new = alpha * velocity + b * g;
    x_new = x - rate * velocity_new, or with `nesterov`
    x_new = x - rate * (g + alpha * velocity_new).
  }];
}

def Nuri_AdamOp : Nuri_OptimizerOp<"adam",
    (ins Nuri_FloatTensor:$velocity, Nuri_FloatTensor:$accumulated),
    (ins F32Attr:$alpha, F32Attr:$beta, F32Attr:$epsilon, F32Attr:$norm_coefficient,
         F32Attr:$norm_coefficient_post),
    (outs Nuri_FloatTensor:$x_new, Nuri_FloatTensor:$velocity_new,
          Nuri_FloatTensor:$accumulated_new)> {
  let summary = "one Adam step";
  let description = [{
    g = norm_coefficient * x + grad;
    velocity_new = alpha * velocity + (1 - alpha) * g;
    accumulated_new = beta * accumulated + (1 - beta) * g^2;
    r = step > 0 ? rate * sqrt(1 - beta^step) / (1 - alpha^step) : rate;
    x_new = (1 - norm_coefficient_post) *
            (x - r * velocity_new / (sqrt(accumulated_new) + epsilon)).
  }];
}

#endif
