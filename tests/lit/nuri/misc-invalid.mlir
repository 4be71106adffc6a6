// RUN: nuri-opt %s -split-input-file -verify-diagnostics

func.func @grid_sample_mode(%x: tensor<1x1x3x2xf32>, %g: tensor<1x2x4x2xf32>) -> tensor<1x1x2x4xf32> {
  // expected-error @+1 {{unknown mode 'bilinear'}}
  %0 = nuri.grid_sample %x, %g {mode = "bilinear", padding_mode = "zeros", align_corners = false} : tensor<1x1x3x2xf32>, tensor<1x2x4x2xf32> -> tensor<1x1x2x4xf32>
  return %0 : tensor<1x1x2x4xf32>
}

// -----

func.func @grid_sample_components(%x: tensor<1x1x3x2xf32>, %g: tensor<1x2x4x3xf32>) -> tensor<1x1x2x4xf32> {
  // expected-error @+1 {{grid's last dimension must be 2}}
  %0 = nuri.grid_sample %x, %g {mode = "linear", padding_mode = "zeros", align_corners = false} : tensor<1x1x3x2xf32>, tensor<1x2x4x3xf32> -> tensor<1x1x2x4xf32>
  return %0 : tensor<1x1x2x4xf32>
}

// -----

func.func @grid_sample_cubic_3d(%x: tensor<1x1x3x2x2xf32>, %g: tensor<1x2x2x2x3xf32>) -> tensor<1x1x2x2x2xf32> {
  // expected-error @+1 {{cubic mode needs 2 spatial dimensions}}
  %0 = nuri.grid_sample %x, %g {mode = "cubic", padding_mode = "border", align_corners = false} : tensor<1x1x3x2x2xf32>, tensor<1x2x2x2x3xf32> -> tensor<1x1x2x2x2xf32>
  return %0 : tensor<1x1x2x2x2xf32>
}

// -----

func.func @roi_align_rois(%x: tensor<1x1x4x4xf32>, %r: tensor<2x5xf32>, %i: tensor<2xi64>) -> tensor<2x1x2x2xf32> {
  // expected-error @+1 {{rois must be [R, 4]}}
  %0 = nuri.roi_align %x, %r, %i {mode = "avg", output_height = 2 : i64, output_width = 2 : i64, sampling_ratio = 1 : i64, spatial_scale = 1.0 : f32, half_pixel = true} : (tensor<1x1x4x4xf32>, tensor<2x5xf32>, tensor<2xi64>) -> tensor<2x1x2x2xf32>
  return %0 : tensor<2x1x2x2xf32>
}

// -----

func.func @roi_align_mode(%x: tensor<1x1x4x4xf32>, %r: tensor<2x4xf32>, %i: tensor<2xi64>) -> tensor<2x1x2x2xf32> {
  // expected-error @+1 {{unknown mode 'mean'}}
  %0 = nuri.roi_align %x, %r, %i {mode = "mean", output_height = 2 : i64, output_width = 2 : i64, sampling_ratio = 1 : i64, spatial_scale = 1.0 : f32, half_pixel = true} : (tensor<1x1x4x4xf32>, tensor<2x4xf32>, tensor<2xi64>) -> tensor<2x1x2x2xf32>
  return %0 : tensor<2x1x2x2xf32>
}

// -----

func.func @dft_channels(%x: tensor<1x8x3xf32>) -> tensor<1x8x2xf32> {
  // expected-error @+1 {{the last dimension must be 1 (real) or 2 (complex), not 3}}
  %0 = nuri.dft %x {axis = 1 : i64, length = 8 : i64, inverse = false, onesided = false} : tensor<1x8x3xf32> -> tensor<1x8x2xf32>
  return %0 : tensor<1x8x2xf32>
}

// -----

func.func @stft_window(%s: tensor<1x32x1xf32>, %w: tensor<8xf32>) -> tensor<1x3x9x2xf32> {
  // expected-error @+1 {{window must be [frame_length] = [16]}}
  %0 = nuri.stft %s, %w {frame_step = 8 : i64, frame_length = 16 : i64, onesided = true} : (tensor<1x32x1xf32>, tensor<8xf32>) -> tensor<1x3x9x2xf32>
  return %0 : tensor<1x3x9x2xf32>
}

// -----

func.func @tfidf_indexes(%x: tensor<6xi32>) -> tensor<3xf32> {
  // expected-error @+1 {{ngram_indexes has 2 entries for 3 n-grams in the pool}}
  %0 = nuri.tfidf_vectorizer %x {min_gram_length = 1 : i64, max_gram_length = 2 : i64, max_skip_count = 0 : i64, mode = "TF", ngram_counts = array<i64: 0, 1>, ngram_indexes = array<i64: 0, 2>, pool = array<i64: 4, 5, 6, 7, 8>, weights = array<f32>} : tensor<6xi32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @tfidf_pool(%x: tensor<6xi32>) -> tensor<3xf32> {
  // expected-error @+1 {{the pool's 2-grams do not fill a whole number of 2-grams}}
  %0 = nuri.tfidf_vectorizer %x {min_gram_length = 1 : i64, max_gram_length = 2 : i64, max_skip_count = 0 : i64, mode = "TF", ngram_counts = array<i64: 0, 1>, ngram_indexes = array<i64: 0, 1, 2>, pool = array<i64: 4, 5, 6, 7>, weights = array<f32>} : tensor<6xi32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @adagrad_types(%r: tensor<f32>, %t: tensor<i64>, %x: tensor<2xf32>, %g: tensor<2xf32>, %h: tensor<3xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{every tensor operand must have x's type}}
  %0:2 = nuri.adagrad %r, %t, %x, %g, %h {decay_factor = 0.1 : f32, epsilon = 1.0e-5 : f32, norm_coefficient = 0.0 : f32} : (tensor<f32>, tensor<i64>, tensor<2xf32>, tensor<2xf32>, tensor<3xf32>) -> (tensor<2xf32>, tensor<2xf32>)
  return %0#0 : tensor<2xf32>
}

// -----

func.func @momentum_rate(%r: tensor<1xf32>, %t: tensor<i64>, %x: tensor<2xf32>, %g: tensor<2xf32>, %v: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{rate and step must be scalars (rank 0)}}
  %0:2 = nuri.momentum %r, %t, %x, %g, %v {alpha = 0.9 : f32, beta = 0.1 : f32, norm_coefficient = 0.0 : f32, nesterov = false} : (tensor<1xf32>, tensor<i64>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>)
  return %0#0 : tensor<2xf32>
}
