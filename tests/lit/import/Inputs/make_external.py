"""Writes DIR/model.onnx whose weight lives in DIR/weights/w.bin (external
data inside the model's folder), an input DIR/x.npy and the expected
output DIR/expected.npy (computed with numpy)."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

out = sys.argv[1]
os.makedirs(os.path.join(out, "weights"), exist_ok=True)
rng = np.random.default_rng(7)
w = rng.standard_normal((4, 3)).astype(np.float32)
x = rng.standard_normal((2, 4)).astype(np.float32)
w.tofile(os.path.join(out, "weights", "w.bin"))
init = TensorProto()
init.name = "w"
init.data_type = TensorProto.FLOAT
init.dims.extend(w.shape)
init.data_location = TensorProto.EXTERNAL
for k, v in (("location", "weights/w.bin"), ("offset", "0"), ("length", str(w.nbytes))):
    e = init.external_data.add()
    e.key, e.value = k, v
graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], "ext",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])], [init])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.save(model, os.path.join(out, "model.onnx"))
np.save(os.path.join(out, "x.npy"), x)
np.save(os.path.join(out, "expected.npy"), x @ w)
