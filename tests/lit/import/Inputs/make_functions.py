"""Writes small models for the function-expansion and control-flow lit tests
into the folder given as argv[1]."""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def model(name, nodes, inputs, outputs, opset=17, functions=(), extra_opsets=()):
    graph = helper.make_graph(nodes, name, inputs, outputs)
    opsets = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
    m = helper.make_model(graph, opset_imports=opsets, functions=list(functions))
    save(m, os.path.join(out, name + ".onnx"))


def vi(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def attr_ref(name, ref, attr_type):
    a = helper.AttributeProto()
    a.name = name
    a.ref_attr_name = ref
    a.type = attr_type
    return a


# A model-local function with attribute references and a nested local call:
# ScaleAdd(x, b, scale=3) = Scale(x, scale) + b, Scale(x, scale) = x * scale.
k = helper.make_node("Constant", [], ["k"])
k.attribute.append(attr_ref("value_float", "scale", helper.AttributeProto.FLOAT))
scale = helper.make_function(
    "local", "Scale", ["x"], ["y"], [k, helper.make_node("Mul", ["x", "k"], ["y"])],
    [helper.make_opsetid("", 17)], attributes=["scale"])
call = helper.make_node("Scale", ["x"], ["t"], domain="local")
call.attribute.append(attr_ref("scale", "scale", helper.AttributeProto.FLOAT))
scale_add = helper.make_function(
    "local", "ScaleAdd", ["x", "b"], ["y"], [call, helper.make_node("Add", ["t", "b"], ["y"])],
    [helper.make_opsetid("", 17), helper.make_opsetid("local", 1)], attributes=["scale"])
node = helper.make_node("ScaleAdd", ["x", "b"], ["y"], domain="local", name="sa", scale=3.0)
model("local_function", [node], [vi("x", [2, 3]), vi("b", [3])], [vi("y", [2, 3])],
      functions=[scale_add, scale], extra_opsets=[("local", 1)])

# A local function that calls itself never ends: rejected, not a stack overflow.
rec = helper.make_function("local", "Forever", ["x"], ["y"],
                           [helper.make_node("Forever", ["x"], ["y"], domain="local")],
                           [helper.make_opsetid("", 17), helper.make_opsetid("local", 1)])
model("recursive_function", [helper.make_node("Forever", ["x"], ["y"], domain="local", name="f")],
      [vi("x", [2])], [vi("y", [2])], functions=[rec], extra_opsets=[("local", 1)])

# If on a constant condition imports the taken branch only.
then_g = helper.make_graph([helper.make_node("Add", ["x", "x"], ["t"])], "then", [], [vi("t", [2])])
else_g = helper.make_graph([helper.make_node("Mul", ["x", "x"], ["e"])], "else", [], [vi("e", [2])])
model("if_const", [
    helper.make_node("Constant", [], ["c"], value=numpy_helper.from_array(np.array(False))),
    helper.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g, name="if0")],
    [vi("x", [2])], [vi("y", [2])])

# If on a run-time condition whose branches give different shapes.
wide_g = helper.make_graph([helper.make_node("Concat", ["x", "x"], ["w"], axis=0)], "wide", [],
                           [vi("w", [4])])
model("if_shapes", [helper.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=wide_g,
                                     name="if1")],
      [vi("c", [], TensorProto.BOOL), vi("x", [2])], [vi("y", None)])
# ... consumed by a reduction, which takes static shapes only: the rest of the
# graph is imported once per branch and only the graph's outputs are selected;
# `d` does not depend on the If and is computed once.
model("if_rest", [
    helper.make_node("Constant", [], ["axes"], value=numpy_helper.from_array(np.array([0]))),
    helper.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=wide_g, name="if3"),
    helper.make_node("ReduceSum", ["y", "axes"], ["s"], name="sum"),
    helper.make_node("Mul", ["s", "s"], ["z"], name="square"),
    helper.make_node("Neg", ["x"], ["d"], name="neg")],
    [vi("c", [], TensorProto.BOOL), vi("x", [2])], [vi("z", [1]), vi("d", [2])])
# ... and of different ranks.
square_g = helper.make_graph([helper.make_node("Unsqueeze", ["x", "axis0"], ["s"])], "square", [],
                             [vi("s", [1, 2])])
model("if_ranks", [helper.make_node("Constant", [], ["axis0"], value=numpy_helper.from_array(np.array([0]))),
                   helper.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=square_g, name="if2")],
      [vi("c", [], TensorProto.BOOL), vi("x", [2])], [vi("y", None)])

# Loop with a constant trip count: carried sum plus a scan output, unrolled.
body = helper.make_graph(
    [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
     helper.make_node("Cast", ["i"], ["fi"], to=TensorProto.FLOAT),
     helper.make_node("Add", ["acc_in", "fi"], ["acc_out"]),
     helper.make_node("Mul", ["acc_out", "x"], ["scan"])],
    "body", [vi("i", [], TensorProto.INT64), vi("cond_in", [], TensorProto.BOOL), vi("acc_in", [2])],
    [vi("cond_out", [], TensorProto.BOOL), vi("acc_out", [2]), vi("scan", [2])])
model("loop_const", [
    helper.make_node("Constant", [], ["n"], value=numpy_helper.from_array(np.array(3, np.int64))),
    helper.make_node("Loop", ["n", "", "x"], ["acc", "scans"], body=body, name="loop0")],
    [vi("x", [2])], [vi("acc", [2]), vi("scans", [3, 2])])
