"""Small models with symbolic (dim_param) input dimensions for symbolic-shapes.test."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def save(name, nodes, inputs, outputs, inits=()):
    g = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + ".onnx"))


def c(name, v):
    return numpy_helper.from_array(np.array(v, np.int64), name)


# x.view(b, s, 2, 4) from Shape/Gather/Unsqueeze/Concat, then a transpose.
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", 8])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 2, "seq", 4])
save("view_heads", [
    helper.make_node("Shape", ["x"], ["shape"]),
    helper.make_node("Gather", ["shape", "i0"], ["b"]),
    helper.make_node("Gather", ["shape", "i1"], ["s"]),
    helper.make_node("Unsqueeze", ["b", "ax"], ["b1"]),
    helper.make_node("Unsqueeze", ["s", "ax"], ["s1"]),
    helper.make_node("Concat", ["b1", "s1", "heads"], ["target"], axis=0),
    helper.make_node("Reshape", ["x", "target"], ["v"]),
    helper.make_node("Transpose", ["v"], ["y"], perm=[0, 2, 1, 3]),
], [x], [y], [c("i0", 0), c("i1", 1), c("ax", [0]), c("heads", [2, 4])])

# Slicing a symbolic dimension is not supported: a clear error.
x2 = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["seq", 4])
y2 = helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 4])
save("slice_symbolic", [helper.make_node("Slice", ["x", "st", "en"], ["y"])], [x2], [y2],
     [c("st", [1]), c("en", [3])])

# Inputs for nuri-run at two sequence lengths.
rng = np.random.default_rng(0)
np.save(os.path.join(out, "x_2x3.npy"), rng.standard_normal((2, 3, 8)).astype(np.float32))
np.save(os.path.join(out, "x_2x70.npy"), rng.standard_normal((2, 70, 8)).astype(np.float32))
