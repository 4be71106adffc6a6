"""Writes into DIR one small model per shape-arithmetic pattern that exporters emit (torch.onnx.export's
spellings, written by hand so the lit test needs no torch), plus graphs with nodes out of order."""
import os
import sys

import onnx
from onnx import TensorProto, helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
f = lambda n, s: helper.make_tensor_value_info(n, TensorProto.FLOAT, s)
i64 = lambda name, v: helper.make_tensor(name, TensorProto.INT64, [len(v)], v)
scalar = lambda name, v: helper.make_tensor(name, TensorProto.INT64, [], [v])
node = helper.make_node


def save(name, nodes, inputs, outputs, inits=(), check=False):
    g = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    if check:
        onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + ".onnx"))


# ViT's class token: cls.expand(x.shape[0], -1, -1) is Shape -> Gather -> Unsqueeze -> Concat, then
# ConstantOfShape/Mul/Equal/Where to replace -1 by 1, then Expand; Concat with the patch tokens.
save("vit_class_token", [
    node("Shape", ["x"], ["s"], name="shape"),
    node("Gather", ["s", "zero"], ["n"], name="batch", axis=0),
    node("Unsqueeze", ["n", "axes0"], ["n1"], name="unsq"),
    node("Concat", ["n1", "minus1", "minus1"], ["target"], name="target", axis=0),
    node("ConstantOfShape", ["three"], ["ones"], name="ones",
         value=helper.make_tensor("v", TensorProto.INT64, [1], [1])),
    node("Mul", ["ones", "minus1"], ["neg"], name="neg"),
    node("Equal", ["target", "neg"], ["is_neg"], name="is_neg"),
    node("Where", ["is_neg", "ones", "target"], ["shape"], name="where"),
    node("Expand", ["cls", "shape"], ["tok"], name="expand"),
    node("Concat", ["tok", "x"], ["y"], name="cat", axis=1)],
    [f("x", [2, 16, 8])], [f("y", None)],
    [scalar("zero", 0), i64("axes0", [0]), i64("minus1", [-1]), i64("three", [3]),
     helper.make_tensor("cls", TensorProto.FLOAT, [1, 1, 8], [0.5] * 8)])

# Swin's window padding: pad_r = (ws - W % ws) % ws from the shape, F.pad's list reversed into ONNX order
# (Concat -> Reshape -> Slice with step -1 -> Transpose -> Reshape -> Cast), then Pad.
save("swin_window_pad", [
    node("Shape", ["x"], ["s"], name="shape"),
    node("Gather", ["s", "two"], ["w"], name="width", axis=0),
    node("Mod", ["w", "ws"], ["wm"], name="mod"),
    node("Sub", ["ws", "wm"], ["d"], name="sub"),
    node("Mod", ["d", "ws"], ["pad_r"], name="mod2"),
    node("Unsqueeze", ["pad_r", "axes0"], ["pr"], name="unsq"),
    node("Concat", ["zeros2", "zero1", "pr", "zeros4"], ["torch_pads"], name="cat", axis=0),
    node("Reshape", ["torch_pads", "pairs"], ["p2"], name="pairs"),
    node("Slice", ["p2", "start", "end", "axis0", "step"], ["rev"], name="reverse"),
    node("Transpose", ["rev"], ["t"], name="transpose", perm=[1, 0]),
    node("Reshape", ["t", "flat"], ["pads64"], name="flat"),
    node("Cast", ["pads64"], ["pads"], name="cast", to=TensorProto.INT64),
    node("Pad", ["x", "pads"], ["y"], name="pad", mode="constant")],
    [f("x", [1, 10, 10, 32])], [f("y", None)],
    [scalar("two", 2), scalar("ws", 4), i64("axes0", [0]), i64("zeros2", [0, 0]), i64("zero1", [0]),
     i64("zeros4", [0, 0, 0, 0]), i64("pairs", [-1, 2]), i64("start", [-1]), i64("end", [-9223372036854775807]),
     i64("axis0", [0]), i64("step", [-1]), i64("flat", [-1])])

# Positions: Range(0, x.shape[1]) -> Unsqueeze -> Expand to the batch, then Gather of an embedding.
save("range_positions", [
    node("Shape", ["x"], ["s"], name="shape"),
    node("Gather", ["s", "one"], ["len"], name="seq", axis=0),
    node("Range", ["zero", "len", "one"], ["pos"], name="range"),
    node("Unsqueeze", ["pos", "axes0"], ["pos1"], name="unsq"),
    node("Expand", ["pos1", "s"], ["posb"], name="expand"),
    node("Gather", ["table", "posb"], ["y"], name="embed", axis=0)],
    [helper.make_tensor_value_info("x", TensorProto.INT64, [2, 5])], [f("y", None)],
    [scalar("zero", 0), scalar("one", 1), i64("axes0", [0]),
     helper.make_tensor("table", TensorProto.FLOAT, [8, 4], [float(i) for i in range(32)])])

# Size and comparisons driving a Slice: keep the first half, ends = Size / 2 along a flattened view.
save("size_slice", [
    node("Size", ["x"], ["n"], name="size"),
    node("Div", ["n", "two"], ["half"], name="half"),
    node("Less", ["half", "cap"], ["small"], name="less"),
    node("Where", ["small", "half", "cap"], ["end"], name="min"),
    node("Unsqueeze", ["end", "axes0"], ["ends"], name="unsq"),
    node("Reshape", ["x", "flat"], ["xf"], name="flatten"),
    node("Slice", ["xf", "zero1", "ends"], ["y"], name="slice")],
    [f("x", [4, 6])], [f("y", None)],
    [scalar("two", 2), scalar("cap", 100), i64("axes0", [0]), i64("flat", [-1]), i64("zero1", [0])])

# Tile with repeats from the shape (And/Not/Or on the way) and ConstantOfShape from a computed shape.
save("tile_repeats", [
    node("Shape", ["x"], ["s"], name="shape"),
    node("Greater", ["s", "two"], ["big"], name="greater"),
    node("Not", ["big"], ["small"], name="not"),
    node("Cast", ["small"], ["reps"], name="cast", to=TensorProto.INT64),
    node("Add", ["reps", "one"], ["r2"], name="add"),
    node("Tile", ["x", "r2"], ["y"], name="tile"),
    node("ConstantOfShape", ["r2"], ["z"], name="fill",
         value=helper.make_tensor("v", TensorProto.FLOAT, [1], [3.0]))],
    [f("x", [2, 3])], [f("y", None), f("z", None)],
    [helper.make_tensor("two", TensorProto.INT64, [1], [2]), helper.make_tensor("one", TensorProto.INT64, [1], [1])])

# Nodes listed consumers first; the importer sorts them. Then a real cycle, which it rejects by name.
save("out_of_order", [
    node("Relu", ["a"], ["y"], name="last"),
    node("Mul", ["b", "b"], ["a"], name="middle"),
    node("Add", ["x", "x"], ["b"], name="first")],
    [f("x", [3])], [f("y", None)], check=False)
save("cycle", [
    node("Add", ["x", "c"], ["a"], name="add_a"),
    node("Relu", ["a"], ["b"], name="relu_b"),
    node("Neg", ["b"], ["c"], name="neg_c"),
    node("Abs", ["b"], ["y"], name="abs_y")],
    [f("x", [3])], [f("y", None)], check=False)

# A detector's post-processing on tensors of run-time shape: boolean indexing (NonZero -> Transpose ->
# GatherND), the first two rows (Slice), a column (Gather + Squeeze), a Reshape of the kept rows, and the
# rows scaled by a [2] constant (broadcasting) and concatenated with themselves.
save("bounded_chain", [
    node("Greater", ["x", "zero_f"], ["keep"], name="keep"),
    node("NonZero", ["keep"], ["nz"], name="nonzero"),
    node("Transpose", ["nz"], ["idx"], name="transpose", perm=[1, 0]),
    node("GatherND", ["table", "idx"], ["rows"], name="rows"),
    node("Slice", ["rows", "zero1", "two1", "zero1"], ["top"], name="top2"),
    node("Gather", ["top", "one1"], ["col"], name="column", axis=1),
    node("Squeeze", ["col", "one1"], ["y"], name="squeeze"),
    node("Reshape", ["rows", "flat"], ["z"], name="flatten"),
    node("Mul", ["rows", "scale"], ["scaled"], name="scale"),
    node("Concat", ["scaled", "rows"], ["joined"], name="join", axis=1)],
    [f("x", [6])], [f("y", None), f("z", None), f("joined", None)],
    [helper.make_tensor("scale", TensorProto.FLOAT, [2], [10.0, 100.0]),
     helper.make_tensor("zero_f", TensorProto.FLOAT, [], [0.0]), i64("zero1", [0]), i64("two1", [2]),
     i64("one1", [1]), i64("flat", [-1]),
     helper.make_tensor("table", TensorProto.FLOAT, [6, 2], [float(i) for i in range(12)])])

# An If on a sample-rate input whose branches give different shapes: 16 kHz keeps the frame, otherwise every
# second sample; then a Mul (broadcast against a [1] constant) on the result of run-time shape.
then_g = helper.make_graph([node("Identity", ["x"], ["frame_then"], name="keep")], "then", [],
                           [f("frame_then", [1, 8])])
else_g = helper.make_graph([node("Slice", ["x", "zero1", "big", "one1", "two1"], ["frame_else"], name="decimate")],
                           "else", [], [f("frame_else", [1, 4])])
save("if_shapes", [
    node("Equal", ["sr", "sr16k"], ["is16k"], name="is16k"),
    node("If", ["is16k"], ["frame"], name="by_rate", then_branch=then_g, else_branch=else_g),
    node("Mul", ["frame", "half"], ["y"], name="scale")],
    [f("x", [1, 8]), helper.make_tensor_value_info("sr", TensorProto.INT64, [])], [f("y", None)],
    [helper.make_tensor("sr16k", TensorProto.INT64, [], [16000]), i64("zero1", [0]), i64("one1", [1]),
     i64("two1", [2]), i64("big", [100]), helper.make_tensor("half", TensorProto.FLOAT, [1], [0.5])])

# TopK with a run-time k: its indices (bounded by the axis) feed a Gather and a broadcasting Mul.
save("topk_runtime_k", [
    node("TopK", ["x", "k"], ["v", "i"], name="topk", axis=0),
    node("Gather", ["table", "i"], ["rows"], name="rows", axis=0),
    node("Mul", ["rows", "scale"], ["y"], name="scale")],
    [f("x", [6]), helper.make_tensor_value_info("k", TensorProto.INT64, [1])], [f("y", None), f("v", None)],
    [helper.make_tensor("table", TensorProto.FLOAT, [6, 2], [float(i) for i in range(12)]),
     helper.make_tensor("scale", TensorProto.FLOAT, [2], [1.0, 10.0])])
