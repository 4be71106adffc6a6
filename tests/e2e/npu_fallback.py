#!/usr/bin/python3
"""A model with an op the reference NPU lacks runs with cpu fallback on npu-sim and matches.

    tests/e2e/npu_fallback.py BUILD_DIR WORKDIR

The model is Pad (an ONNX Pad node: index arithmetic, which the NPU does not run) -> Conv 3x3 with a
bias -> Relu -> MatMul. The test checks that `nuri-compile --target npu,cpu --report` puts the Pad on the
cpu with its reason and the Conv and MatMul on the npu, then that `nuri-run --device npu-sim` (NPU
kernels in the simulator, the Pad as host code on the same buffers) matches a numpy reference of the
model within bf16 tolerance (cosine >= 0.999, relative L2 <= 1e-2), and that the same artifact run with
`--device cpu` matches it at rtol 1e-4.
"""
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def build_model(path, rng):
    w = rng.standard_normal((16, 8, 3, 3)).astype(np.float32) * 0.2
    b = rng.standard_normal(16).astype(np.float32) * 0.1
    m = rng.standard_normal((16 * 20 * 22, 10)).astype(np.float32) * 0.02
    inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b"),
             numpy_helper.from_array(m, "m"),
             numpy_helper.from_array(np.array([0, 0, 2, 1, 0, 0, 1, 2], np.int64), "pads"),
             numpy_helper.from_array(np.array([1, -1], np.int64), "shape")]
    nodes = [helper.make_node("Pad", ["x", "pads"], ["xp"], name="pad", mode="constant"),
             helper.make_node("Conv", ["xp", "w", "b"], ["c"], name="conv", kernel_shape=[3, 3]),
             helper.make_node("Relu", ["c"], ["r"], name="relu"),
             helper.make_node("Reshape", ["r", "shape"], ["f"], name="flatten"),
             helper.make_node("MatMul", ["f", "m"], ["y"], name="fc")]
    graph = helper.make_graph(nodes, "npu_fallback",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 19, 21])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return w, b, m


def reference(x, w, b, m):
    xp = np.pad(x, ((0, 0), (0, 0), (2, 1), (1, 2)))
    windows = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(2, 3))  # 1,8,20,22,3,3
    c = np.einsum("ncHWij,fcij->nfHW", windows.astype(np.float64), w.astype(np.float64))
    r = np.maximum(c + b[None, :, None, None], 0.0)
    return (r.reshape(1, -1) @ m.astype(np.float64)).astype(np.float32)


def run(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"npu_fallback.py: error: {' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr}")
    return proc.stdout + proc.stderr


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: npu_fallback.py BUILD_DIR WORKDIR")
    build, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(7)
    onnx_path, nuri_path = os.path.join(work, "model.onnx"), os.path.join(work, "model.nuri")
    w, b, m = build_model(onnx_path, rng)
    x = rng.standard_normal((1, 8, 19, 21)).astype(np.float32)
    np.save(os.path.join(work, "x.npy"), x)
    want = reference(x, w, b, m)

    report = run([os.path.join(build, "bin", "nuri-compile"), onnx_path, "-o", nuri_path,
                  "--target", "npu,cpu", "--report"])
    rows = [line.split() for line in report.splitlines() if line.startswith("dispatch_")]
    devices = {node.rstrip(","): row[1] for row in rows for node in row[3:] if not node.startswith("[")}
    failures = []
    if devices.get("pad") != "cpu" or "[npu:" not in report:
        failures.append(f"the Pad node is not on the cpu with a reason:\n{report}")
    for node in ("conv", "fc"):
        if devices.get(node) != "npu":
            failures.append(f"node {node} is not on the npu:\n{report}")

    for device in ("npu-sim", "cpu"):
        out = os.path.join(work, device)
        run([os.path.join(build, "bin", "nuri-run"), nuri_path, "--device", device,
             "--input", os.path.join(work, "x.npy"), "--output-dir", out])
        got = np.load(os.path.join(out, "y.npy")).astype(np.float64)
        ref = want.astype(np.float64)
        cosine = float(got.ravel() @ ref.ravel() / (np.linalg.norm(got) * np.linalg.norm(ref)))
        rel_l2 = float(np.linalg.norm(got - ref) / np.linalg.norm(ref))
        ok = (cosine >= 0.999 and rel_l2 <= 1e-2) if device == "npu-sim" else \
            bool(np.allclose(got, ref, rtol=1e-4, atol=1e-5))
        print(f"{'ok  ' if ok else 'FAIL'} {device}: cosine={cosine:.6f} rel_l2={rel_l2:.2e}")
        if not ok:
            failures.append(f"{device} does not match the reference")
    for f in failures:
        print(f"npu_fallback.py: error: {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
