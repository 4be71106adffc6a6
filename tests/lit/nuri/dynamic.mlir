// RUN: nuri-opt %s -pass-pipeline='builtin.module(func.func(nuri-to-linalg))' | FileCheck %s

// NonZero: one loop counts into dims[1] (init [rank, 0]), a second writes the
// coordinates of each non-zero element at [d, k] = d * count + k, reading the
// count inside the loop.
// CHECK-LABEL: func @nonzero
// CHECK: %[[INIT:.*]] = arith.constant dense<[2, 0]> : tensor<2xi64>
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %arg0 {{\[\[}}0, 1]] : tensor<2x2xi1> into tensor<4xi1>
// CHECK: %[[DIMS:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[INIT]]) -> (tensor<2xi64>)
// CHECK:   arith.cmpi ne
// CHECK:   arith.extui
// CHECK:   tensor.insert
// CHECK: %[[Z:.*]] = linalg.fill {{.*}} -> tensor<8xi64>
// CHECK: %[[DATA:.*]]:2 = scf.for {{.*}} iter_args(%{{.*}} = %[[Z]], %{{.*}} = %{{.*}}) -> (tensor<8xi64>, index)
// CHECK:   tensor.extract %[[DIMS]]
// CHECK:   scf.if
// CHECK:     tensor.insert
// CHECK:     tensor.insert
// CHECK: return %[[DATA]]#0, %[[DIMS]] : tensor<8xi64>, tensor<2xi64>
func.func @nonzero(%x: tensor<2x2xi1>) -> (tensor<8xi64>, tensor<2xi64>) {
  %d, %n = nuri.nonzero %x : (tensor<2x2xi1>) -> (tensor<8xi64>, tensor<2xi64>)
  return %d, %n : tensor<8xi64>, tensor<2xi64>
}

// Compress: the kept count goes into dims[axis]; the input is walked
// row-major and kept elements are appended at a running position.
// CHECK-LABEL: func @compress
// CHECK: %[[INIT:.*]] = arith.constant dense<[3, 0]> : tensor<2xi64>
// CHECK: %[[DIMS:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[INIT]]) -> (tensor<2xi64>)
// CHECK:   tensor.extract %arg1
// CHECK: %[[OUT:.*]]:2 = scf.for {{.*}} -> (tensor<6xf32>, index)
// CHECK:   arith.cmpi ult
// CHECK:   tensor.extract %arg1
// CHECK:   scf.if {{.*}} -> (tensor<6xf32>)
// CHECK: return %[[OUT]]#0, %[[DIMS]] : tensor<6xf32>, tensor<2xi64>
func.func @compress(%x: tensor<3x2xf32>, %c: tensor<2xi1>) -> (tensor<6xf32>, tensor<2xi64>) {
  %d, %n = nuri.compress %x, %c {axis = 1 : i64} : (tensor<3x2xf32>, tensor<2xi1>) -> (tensor<6xf32>, tensor<2xi64>)
  return %d, %n : tensor<6xf32>, tensor<2xi64>
}

// Unsigned data is compared as signless values through a bitcast and back.
// CHECK-LABEL: func @compress_unsigned
// CHECK: tensor.bitcast %arg0 : tensor<4xui8> to tensor<4xi8>
// CHECK: tensor.bitcast %{{.*}} : tensor<4xi8> to tensor<4xui8>
func.func @compress_unsigned(%x: tensor<4xui8>, %c: tensor<3xi1>) -> (tensor<4xui8>, tensor<1xi64>) {
  %d, %n = nuri.compress %x, %c {axis = 0 : i64} : (tensor<4xui8>, tensor<3xi1>) -> (tensor<4xui8>, tensor<1xi64>)
  return %d, %n : tensor<4xui8>, tensor<1xi64>
}

// Unique: three passes over the slices (first occurrence and count, rank,
// writes); with `sorted` the rank compares slices lexicographically.
// CHECK-LABEL: func @unique
// CHECK: %[[P1:.*]]:3 = scf.for {{.*}} -> (tensor<3xi64>, tensor<1xi64>, tensor<2xi64>)
// CHECK:   scf.for
// CHECK:     arith.cmpf oeq
// CHECK: %[[RANK:.*]] = scf.for {{.*}} -> (tensor<3xi64>)
// CHECK:   tensor.extract %[[P1]]#0
// CHECK:   arith.cmpf olt
// CHECK: %[[W:.*]]:4 = scf.for {{.*}} -> (tensor<9xf32>, tensor<3xi64>, tensor<3xi64>, tensor<3xi64>)
// CHECK:   tensor.extract %[[RANK]]
// CHECK:   tensor.extract %[[P1]]#1
// CHECK: return %[[W]]#0, %[[W]]#1, %[[W]]#2, %[[W]]#3, %[[P1]]#2, %[[P1]]#1
func.func @unique(%x: tensor<3x3xf32>) -> (tensor<9xf32>, tensor<3xi64>, tensor<3xi64>, tensor<3xi64>, tensor<2xi64>, tensor<1xi64>) {
  %y, %i, %v, %c, %yd, %cd = nuri.unique %x {axis = 0 : i64, sorted = true} : (tensor<3x3xf32>) -> (tensor<9xf32>, tensor<3xi64>, tensor<3xi64>, tensor<3xi64>, tensor<2xi64>, tensor<1xi64>)
  return %y, %i, %v, %c, %yd, %cd : tensor<9xf32>, tensor<3xi64>, tensor<3xi64>, tensor<3xi64>, tensor<2xi64>, tensor<1xi64>
}

// Not sorted: the rank is the number of first occurrences before this one's.
// CHECK-LABEL: func @unique_unsorted
// CHECK-NOT: arith.cmpi slt
// CHECK: arith.cmpi eq
// CHECK: return
func.func @unique_unsorted(%x: tensor<6xi32>) -> (tensor<6xi32>, tensor<6xi64>, tensor<6xi64>, tensor<6xi64>, tensor<1xi64>, tensor<1xi64>) {
  %y, %i, %v, %c, %yd, %cd = nuri.unique %x {axis = 0 : i64, sorted = false} : (tensor<6xi32>) -> (tensor<6xi32>, tensor<6xi64>, tensor<6xi64>, tensor<6xi64>, tensor<1xi64>, tensor<1xi64>)
  return %y, %i, %v, %c, %yd, %cd : tensor<6xi32>, tensor<6xi64>, tensor<6xi64>, tensor<6xi64>, tensor<1xi64>, tensor<1xi64>
}
