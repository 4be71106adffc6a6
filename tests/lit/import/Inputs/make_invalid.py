"""Writes malformed-but-parseable models into DIR, one per case."""
import os
import sys

import onnx
from onnx import TensorProto, helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
f = lambda n, s: helper.make_tensor_value_info(n, TensorProto.FLOAT, s)


def save(name, nodes, inputs, outputs, inits=(), opset=17):
    g = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    onnx.save(m, os.path.join(out, name + ".onnx"))


save("zero_stride", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv0", strides=[0, 0])],
     [f("x", [1, 1, 4, 4]), f("w", [1, 1, 3, 3])], [f("y", None)])
save("missing_input", [helper.make_node("Add", ["x", ""], ["y"], name="add0")],
     [f("x", [2])], [f("y", None)])
big = TensorProto()
big.name, big.data_type = "w", TensorProto.FLOAT
big.dims.extend([1000000, 1000000])
big.raw_data = b"\0\0\0\0"
save("huge_dims", [helper.make_node("Add", ["x", "w"], ["y"], name="add1")],
     [f("x", [1])], [f("y", None)], [big])
save("dup_axes", [helper.make_node("Unsqueeze", ["x", "axes"], ["y"], name="unsq")],
     [f("x", [2])], [f("y", None)],
     [helper.make_tensor("axes", TensorProto.INT64, [2], [0, 0])])
# A sequence fed to an op that takes tensors.
save("sequence_to_add", [helper.make_node("SequenceConstruct", ["x", "x"], ["s"], name="seq"),
                         helper.make_node("Add", ["s", "x"], ["y"], name="add2")],
     [f("x", [2])], [f("y", None)])
# A string tensor fed to an op that takes numbers.
save("string_to_abs", [helper.make_node("Abs", ["t"], ["y"], name="abs0")],
     [helper.make_tensor_value_info("t", TensorProto.STRING, [2])], [f("y", None)])
# A run-time Tile result consumed by an op that is not elementwise.
save("runtime_tile_consumed", [helper.make_node("Tile", ["x", "r"], ["t"], name="tile0"),
                               helper.make_node("Transpose", ["t"], ["y"], name="relu0")],
     [f("x", [2]), helper.make_tensor_value_info("r", TensorProto.INT64, [1])], [f("y", None)])
