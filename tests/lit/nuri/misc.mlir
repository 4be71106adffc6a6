// RUN: nuri-opt %s -pass-pipeline='builtin.module(func.func(nuri-to-linalg))' | FileCheck %s

// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d4)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d3, d4, d1, d2)>
// CHECK-DAG: #[[FRAME:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 * 2 + d4, d5)>
// CHECK-DAG: #[[WINDOW:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d4)>
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0) -> ()>

// GridSample, bilinear: per output point two grid reads (y then x), and
// four reads of the input at the floor/ceil taps, each masked by zeros
// padding.
// CHECK-LABEL: func @grid_sample
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<1x1x2x4xf32>)
// CHECK: tensor.extract %arg1[%{{.*}}, %{{.*}}, %{{.*}}, %c1] : tensor<1x2x4x2xf32>
// CHECK: tensor.extract %arg1[%{{.*}}, %{{.*}}, %{{.*}}, %c0] : tensor<1x2x4x2xf32>
// CHECK: math.floor
// CHECK-COUNT-4: tensor.extract %arg0
// CHECK: linalg.yield
func.func @grid_sample(%x: tensor<1x1x3x2xf32>, %g: tensor<1x2x4x2xf32>) -> tensor<1x1x2x4xf32> {
  %0 = nuri.grid_sample %x, %g {mode = "linear", padding_mode = "zeros", align_corners = false} : tensor<1x1x3x2xf32>, tensor<1x2x4x2xf32> -> tensor<1x1x2x4xf32>
  return %0 : tensor<1x1x2x4xf32>
}

// Nearest rounds half to even and reads once.
// CHECK-LABEL: func @grid_sample_nearest
// CHECK: math.roundeven
// CHECK: math.roundeven
// CHECK-COUNT-1: tensor.extract %arg0
// CHECK-NOT: tensor.extract %arg0
// CHECK: linalg.yield
func.func @grid_sample_nearest(%x: tensor<1x1x3x2xf32>, %g: tensor<1x2x4x2xf32>) -> tensor<1x1x2x4xf32> {
  %0 = nuri.grid_sample %x, %g {mode = "nearest", padding_mode = "reflection", align_corners = true} : tensor<1x1x3x2xf32>, tensor<1x2x4x2xf32> -> tensor<1x1x2x4xf32>
  return %0 : tensor<1x1x2x4xf32>
}

// RoiAlign: the samples of a bin are an scf.for nest inside the output's
// generic (their count may depend on the roi); four taps per sample.
// CHECK-LABEL: func @roi_align
// CHECK: linalg.generic
// CHECK: tensor.extract %arg2
// CHECK: scf.for
// CHECK: scf.for
// CHECK-COUNT-4: tensor.extract %arg0
// CHECK: linalg.yield
func.func @roi_align(%x: tensor<1x1x4x4xf32>, %r: tensor<2x4xf32>, %i: tensor<2xi64>) -> tensor<2x1x2x2xf32> {
  %0 = nuri.roi_align %x, %r, %i {mode = "avg", output_height = 2 : i64, output_width = 2 : i64, sampling_ratio = 2 : i64, spatial_scale = 1.0 : f32, half_pixel = true} : (tensor<1x1x4x4xf32>, tensor<2x4xf32>, tensor<2xi64>) -> tensor<2x1x2x2xf32>
  return %0 : tensor<2x1x2x2xf32>
}

// DFT: a contraction with a constant [n, c, k, re/im] table of cos/-sin.
// CHECK-LABEL: func @dft
// CHECK: %[[T:.*]] = arith.constant dense<{{\[\[\[\[}}1.000000e+00, 0.000000e+00], [1.000000e+00, 0.000000e+00]
// CHECK-SAME: [0.000000e+00, -1.000000e+00]
// CHECK-SAME: tensor<4x1x4x2xf32>
// CHECK: linalg.generic {indexing_maps = [#[[X]], #[[W]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]}
// CHECK-SAME: ins(%arg0, %[[T]] : tensor<1x4x1xf32>, tensor<4x1x4x2xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @dft(%x: tensor<1x4x1xf32>) -> tensor<1x4x2xf32> {
  %0 = nuri.dft %x {axis = 1 : i64, length = 4 : i64, inverse = false, onesided = false} : tensor<1x4x1xf32> -> tensor<1x4x2xf32>
  return %0 : tensor<1x4x2xf32>
}

// STFT: frames read the signal at t * step + n, times the window and the
// (onesided: 3 bins) table.
// CHECK-LABEL: func @stft
// CHECK: linalg.generic {indexing_maps = [#[[FRAME]], #[[WINDOW]], #{{.*}}, #{{.*}}]
// CHECK-SAME: ins(%arg0, %arg1, %{{.*}} : tensor<1x8x1xf32>, tensor<4xf32>, tensor<4x1x3x2xf32>)
func.func @stft(%s: tensor<1x8x1xf32>, %w: tensor<4xf32>) -> tensor<1x3x3x2xf32> {
  %0 = nuri.stft %s, %w {frame_step = 2 : i64, frame_length = 4 : i64, onesided = true} : (tensor<1x8x1xf32>, tensor<4xf32>) -> tensor<1x3x3x2xf32>
  return %0 : tensor<1x3x3x2xf32>
}

// TfIdfVectorizer: n-gram tables (tokens padded to the longest n-gram,
// lengths, output columns, weights per column), counts over (skip, start),
// then counts gathered into columns and weighted.
// CHECK-LABEL: func @tfidf
// CHECK-DAG: arith.constant dense<[1.000000e+00, 3.000000e+00, 2.000000e+00]> : tensor<3xf32>
// CHECK-DAG: arith.constant dense<[0, 2, 1]> : tensor<3xi32>
// CHECK-DAG: arith.constant dense<[1, 2, 2]> : tensor<3xi32>
// CHECK-DAG: arith.constant dense<{{\[\[}}4, 0], [5, 6], [7, 8]]> : tensor<3x2xi32>
// CHECK: tensor.empty() : tensor<2x6xi1>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction"]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: linalg.generic
// CHECK: arith.mulf
// CHECK: tensor.collapse_shape {{.*}} into tensor<3xf32>
func.func @tfidf(%x: tensor<6xi32>) -> tensor<3xf32> {
  %0 = nuri.tfidf_vectorizer %x {min_gram_length = 1 : i64, max_gram_length = 2 : i64, max_skip_count = 1 : i64, mode = "TFIDF", ngram_counts = array<i64: 0, 1>, ngram_indexes = array<i64: 0, 2, 1>, pool = array<i64: 4, 5, 6, 7, 8>, weights = array<f32: 1.0, 2.0, 3.0>} : tensor<6xi32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// Optimizers: one elementwise generic per result; R and T broadcast.
// CHECK-LABEL: func @adam
// CHECK: linalg.generic {indexing_maps = [#[[SCALAR]], #[[SCALAR]]
// CHECK: arith.sitofp
// CHECK: math.powf
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @adam(%r: tensor<f32>, %t: tensor<i64>, %x: tensor<2xf32>, %g: tensor<2xf32>, %v: tensor<2xf32>, %h: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) {
  %0:3 = nuri.adam %r, %t, %x, %g, %v, %h {alpha = 0.9 : f32, beta = 0.999 : f32, epsilon = 1.0e-6 : f32, norm_coefficient = 0.0 : f32, norm_coefficient_post = 0.0 : f32} : (tensor<f32>, tensor<i64>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>)
  return %0#0, %0#1, %0#2 : tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
}
