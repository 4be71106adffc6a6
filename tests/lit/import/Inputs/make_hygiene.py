"""Writes graphs that real exporters and editors produce and ONNX Runtime accepts: an IR 3 model whose
initializer is also listed as a graph input, unused initializers and node outputs, a bf16 model with Casts at
its edges, and a graph with its nodes in reverse order."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
node = helper.make_node
f32 = lambda n, s: helper.make_tensor_value_info(n, TensorProto.FLOAT, s)


def save(name, nodes, inputs, outputs, inits, ir=8, opset=17):
    g = helper.make_graph(nodes, name, inputs, outputs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = ir
    onnx.save(m, os.path.join(out, name + ".onnx"))


# IR 3: every initializer is listed among the graph inputs too; it is the input's value.
save("ir3_initializer_input", [node("Add", ["x", "w"], ["y"], name="add")],
     [f32("x", [3]), f32("w", [3])], [f32("y", [3])],
     [numpy_helper.from_array(np.array([1, 2, 3], np.float32), "w")], ir=3, opset=8)

# An initializer nobody reads, a node whose result nobody reads, a Split output left unnamed.
save("unused", [node("Relu", ["x"], ["dead"], name="dead_relu"),
                node("Split", ["x", "halves"], ["a", ""], name="split", axis=0),
                node("Mul", ["a", "two"], ["y"], name="double")],
     [f32("x", [4])], [f32("y", [2])],
     [numpy_helper.from_array(np.zeros((1000,), np.float32), "junk"),
      numpy_helper.from_array(np.array([2, 2], np.int64), "halves"),
      numpy_helper.from_array(np.array(2, np.float32), "two")])

# bf16 inside, f32 at the edges: Cast -> MatMul in bf16 -> Cast (values exact in bf16).
w = helper.make_tensor("w", TensorProto.BFLOAT16, [2, 2], [1.0, 0.5, 0.25, 2.0])
save("bf16_cast", [node("Cast", ["x"], ["xb"], name="to_bf16", to=TensorProto.BFLOAT16),
                   node("MatMul", ["xb", "w"], ["yb"], name="matmul"),
                   node("Cast", ["yb"], ["y"], name="to_f32", to=TensorProto.FLOAT)][::-1],
     [f32("x", [2, 2])], [f32("y", [2, 2])], [w])
np.save(os.path.join(out, "x3.npy"), np.ones(3, np.float32))
np.save(os.path.join(out, "x4.npy"), np.array([1, 2, 3, 4], np.float32))
np.save(os.path.join(out, "x22.npy"), np.array([[1, 2], [3, 4]], np.float32))
