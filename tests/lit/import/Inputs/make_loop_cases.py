"""Writes long Loop and Scan cases (past the 16 iterations that unroll, so they stay a nuri.loop) with outputs
from numpy, in the backend-test layout, under argv[1]/node."""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

rng = np.random.default_rng(0)
F = TensorProto.FLOAT
node = helper.make_node


def write(name, nodes, inputs, outputs, opset=17, inits=()):
    d = f"{sys.argv[1]}/node/{name}"
    os.makedirs(d + "/test_data_set_0", exist_ok=True)
    ins = [helper.make_tensor_value_info(k, F, v.shape) for k, v in inputs]
    outs = [helper.make_tensor_value_info(k, F, v.shape) for k, v in outputs]
    g = helper.make_graph(nodes, name, ins, outs, initializer=list(inits))
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)]), d + "/model.onnx")
    for i, (k, v) in enumerate(inputs):
        open(f"{d}/test_data_set_0/input_{i}.pb", "wb").write(numpy_helper.from_array(v, k).SerializeToString())
    for i, (k, v) in enumerate(outputs):
        open(f"{d}/test_data_set_0/output_{i}.pb", "wb").write(numpy_helper.from_array(v, k).SerializeToString())


# Loop, 40 iterations, the condition passed through: acc = acc * 0.9 + x * i; scan output acc each iteration.
x = rng.standard_normal(3).astype(np.float32)
acc = np.zeros(3, np.float32)
scan = []
for i in range(40):
    acc = (acc * np.float32(0.9) + x * np.float32(i)).astype(np.float32)
    scan.append(acc)
body = helper.make_graph(
    [node("Cast", ["i"], ["fi"], to=F),
     node("Mul", ["acc_in", "decay"], ["a"]),
     node("Mul", ["x", "fi"], ["b"]),
     node("Add", ["a", "b"], ["acc_out"]),
     node("Identity", ["cond_in"], ["cond_out"]),
     node("Identity", ["acc_out"], ["scan_out"])],
    "body",
    [helper.make_tensor_value_info("i", TensorProto.INT64, []),
     helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
     helper.make_tensor_value_info("acc_in", F, [3])],
    [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
     helper.make_tensor_value_info("acc_out", F, [3]),
     helper.make_tensor_value_info("scan_out", F, [3])],
    [numpy_helper.from_array(np.array(0.9, np.float32), "decay")])
write("test_x_loop_kept", [node("Loop", ["trip", "cond", "acc0"], ["acc", "accs"], body=body)],
      [("x", x)], [("acc", acc), ("accs", np.stack(scan))],
      inits=[numpy_helper.from_array(np.array(40, np.int64), "trip"),
             numpy_helper.from_array(np.array(True), "cond"),
             numpy_helper.from_array(np.zeros(3, np.float32), "acc0")])

# Scan (opset 17), 30 steps: input a scanned forward along axis 0, input b backward along axis 1; a running
# sum as state; outputs: s * b_t stacked along axis 1, and the state stacked in reverse.
a = rng.standard_normal((30, 4)).astype(np.float32)
b = rng.standard_normal((4, 30)).astype(np.float32)
s = np.zeros(4, np.float32)
y1, y2 = [], []
for t in range(30):
    s = (s + a[t]).astype(np.float32)
    y1.append(s * b[:, 29 - t])
    y2.append(s)
y1 = np.stack(y1, 1)
y2 = np.stack(y2[::-1], 0)
sbody = helper.make_graph(
    [node("Add", ["s_in", "a_t"], ["s_out"]), node("Mul", ["s_out", "b_t"], ["y1_t"]),
     node("Identity", ["s_out"], ["y2_t"])],
    "scan_body",
    [helper.make_tensor_value_info("s_in", F, [4]), helper.make_tensor_value_info("a_t", F, [4]),
     helper.make_tensor_value_info("b_t", F, [4])],
    [helper.make_tensor_value_info("s_out", F, [4]), helper.make_tensor_value_info("y1_t", F, [4]),
     helper.make_tensor_value_info("y2_t", F, [4])])
write("test_x_scan_kept", [node("Scan", ["s0", "a", "b"], ["s", "y1", "y2"], body=sbody, num_scan_inputs=2,
                                scan_input_axes=[0, 1], scan_input_directions=[0, 1],
                                scan_output_axes=[1, 0], scan_output_directions=[0, 1])],
      [("s0", np.zeros(4, np.float32)), ("a", a), ("b", b)], [("s", s), ("y1", y1), ("y2", y2)])

# A Loop whose body computes its condition (stop after 5 of 40 iterations): not kept, it unrolls and folds.
body2 = helper.make_graph(
    [node("Less", ["i", "four"], ["cond_out"]), node("Add", ["acc_in", "one"], ["acc_out"])],
    "body2",
    [helper.make_tensor_value_info("i", TensorProto.INT64, []),
     helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
     helper.make_tensor_value_info("acc_in", F, [2])],
    [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
     helper.make_tensor_value_info("acc_out", F, [2])],
    [numpy_helper.from_array(np.array(4, np.int64), "four"), numpy_helper.from_array(np.ones(2, np.float32), "one")])
xx = rng.standard_normal(2).astype(np.float32)
write("test_x_loop_early_exit", [node("Loop", ["trip", "cond", "x"], ["y"], body=body2)],
      [("x", xx)], [("y", xx + 5)],
      inits=[numpy_helper.from_array(np.array(40, np.int64), "trip"), numpy_helper.from_array(np.array(True), "cond")])
