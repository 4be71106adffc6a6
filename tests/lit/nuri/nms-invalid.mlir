// RUN: nuri-opt %s -split-input-file -verify-diagnostics

func.func @nms_box_width(%b: tensor<1x6x3xf32>, %s: tensor<1x2x6xf32>, %m: tensor<1xi64>,
                         %i: tensor<1xf32>, %t: tensor<1xf32>) -> (tensor<36xi64>, tensor<2xi64>) {
  // expected-error @+1 {{boxes must be [batches, boxes, 4]}}
  %d, %n = nuri.non_max_suppression %b, %s, %m, %i, %t {center_point_box = 0 : i64}
    : (tensor<1x6x3xf32>, tensor<1x2x6xf32>, tensor<1xi64>, tensor<1xf32>, tensor<1xf32>) -> (tensor<36xi64>, tensor<2xi64>)
  return %d, %n : tensor<36xi64>, tensor<2xi64>
}

// -----

func.func @nms_center(%b: tensor<1x6x4xf32>, %s: tensor<1x2x6xf32>, %m: tensor<1xi64>,
                      %i: tensor<1xf32>, %t: tensor<1xf32>) -> (tensor<36xi64>, tensor<2xi64>) {
  // expected-error @+1 {{center_point_box must be 0 or 1, got 2}}
  %d, %n = nuri.non_max_suppression %b, %s, %m, %i, %t {center_point_box = 2 : i64}
    : (tensor<1x6x4xf32>, tensor<1x2x6xf32>, tensor<1xi64>, tensor<1xf32>, tensor<1xf32>) -> (tensor<36xi64>, tensor<2xi64>)
  return %d, %n : tensor<36xi64>, tensor<2xi64>
}

// -----

func.func @nms_scores(%b: tensor<1x6x4xf32>, %s: tensor<1x2x5xf32>, %m: tensor<1xi64>,
                      %i: tensor<1xf32>, %t: tensor<1xf32>) -> (tensor<30xi64>, tensor<2xi64>) {
  // expected-error @+1 {{scores must be [batches, classes, boxes] matching boxes}}
  %d, %n = nuri.non_max_suppression %b, %s, %m, %i, %t {center_point_box = 0 : i64}
    : (tensor<1x6x4xf32>, tensor<1x2x5xf32>, tensor<1xi64>, tensor<1xf32>, tensor<1xf32>) -> (tensor<30xi64>, tensor<2xi64>)
  return %d, %n : tensor<30xi64>, tensor<2xi64>
}
