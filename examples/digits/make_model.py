#!/usr/bin/python3
"""Train a small digit classifier and export it as ONNX for the Nuri demo.

    /usr/bin/python3 make_model.py [OUTDIR]      (default: this folder)

Data: scikit-learn's bundled 8x8 handwritten digits (load_digits; 1797 images,
pixel values 0..16, no download). Model: 64 -> 64 (ReLU) -> 10 (Softmax), trained
with plain numpy mini-batch SGD + momentum on cross-entropy, fixed seeds, so the
outputs are reproducible. Inputs are scaled to [0, 1] by dividing by 16; the test
images are stored already scaled.

Writes (small enough to commit):
  digits.onnx       opset 17, ops Gemm / Relu / Softmax, input "image" [N,64] (N symbolic "batch"),
                    output "probabilities" [N,10]
  test_images.npy   float32 [100,64] held-out images (never used in training)
  test_labels.npy   int64  [100]     their labels

Needs Debian's python3-onnx, python3-numpy, python3-sklearn (run /usr/bin/python3).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_digits

SEED = 2024
N_TEST = 100
HIDDEN = 64
OPSET = 17
IR_VERSION = 8  # onnx 1.12's native IR version


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def forward(params, x):
    w1, b1, w2, b2 = params
    h = np.maximum(x @ w1 + b1, 0.0)
    return h, softmax(h @ w2 + b2)


def train(x, y, epochs=60, batch=32, lr=0.1, momentum=0.9, weight_decay=1e-4):
    rng = np.random.default_rng(SEED)
    n_in, n_out = x.shape[1], 10
    params = [
        rng.standard_normal((n_in, HIDDEN)) * np.sqrt(2.0 / n_in),
        np.zeros(HIDDEN),
        rng.standard_normal((HIDDEN, n_out)) * np.sqrt(2.0 / HIDDEN),
        np.zeros(n_out),
    ]
    vel = [np.zeros_like(p) for p in params]
    onehot = np.eye(n_out)[y]
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for s in range(0, len(x), batch):
            idx = order[s:s + batch]
            xb, tb = x[idx], onehot[idx]
            h, p = forward(params, xb)
            d_logits = (p - tb) / len(idx)
            d_h = (d_logits @ params[2].T) * (h > 0)
            grads = [xb.T @ d_h, d_h.sum(0), h.T @ d_logits, d_logits.sum(0)]
            for i in range(4):
                g = grads[i] + (weight_decay * params[i] if i % 2 == 0 else 0.0)
                vel[i] = momentum * vel[i] - lr * g
                params[i] = params[i] + vel[i]
    return [p.astype(np.float32) for p in params]


def export(params, path):
    w1, b1, w2, b2 = params
    inits = [numpy_helper.from_array(a, n) for a, n in ((w1, "fc1.weight"), (b1, "fc1.bias"),
                                                         (w2, "fc2.weight"), (b2, "fc2.bias"))]
    nodes = [
        helper.make_node("Gemm", ["image", "fc1.weight", "fc1.bias"], ["fc1"], name="fc1"),
        helper.make_node("Relu", ["fc1"], ["relu1"], name="relu1"),
        helper.make_node("Gemm", ["relu1", "fc2.weight", "fc2.bias"], ["logits"], name="fc2"),
        helper.make_node("Softmax", ["logits"], ["probabilities"], name="softmax", axis=1),
    ]
    graph = helper.make_graph(
        nodes, "digits_mlp",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 64])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 10])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="nuri-examples-digits", doc_string="8x8 digits MLP 64-64-10")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)
    return model


def run_onnx_with_numpy(model, x):
    """Independent check of the exported file: evaluate its graph with numpy, node by node."""
    env = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    env[model.graph.input[0].name] = x
    for n in model.graph.node:
        a = [env[i] for i in n.input]
        attrs = {at.name: helper.get_attribute_value(at) for at in n.attribute}
        if n.op_type == "Gemm":
            assert not attrs.get("transA") and not attrs.get("transB")
            r = a[0] @ a[1] + a[2]
        elif n.op_type == "Relu":
            r = np.maximum(a[0], 0)
        elif n.op_type == "Softmax":
            r = softmax(a[0])
        else:
            raise RuntimeError(n.op_type)
        env[n.output[0]] = r.astype(np.float32)
    return env[model.graph.output[0].name]


def main():
    if len(sys.argv) > 2 or (len(sys.argv) == 2 and sys.argv[1].startswith("-")):
        print("usage: make_model.py [OUTDIR]  (default: this folder)")
        sys.exit(0 if sys.argv[1] in ("-h", "--help") else 2)
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(out, exist_ok=True)
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float64)
    y = digits.target.astype(np.int64)
    perm = np.random.default_rng(SEED).permutation(len(x))
    test_idx, train_idx = perm[:N_TEST], perm[N_TEST:]

    params = train(x[train_idx], y[train_idx])
    model = export(params, os.path.join(out, "digits.onnx"))

    x_test = x[test_idx].astype(np.float32)
    y_test = y[test_idx]
    np.save(os.path.join(out, "test_images.npy"), x_test)
    np.save(os.path.join(out, "test_labels.npy"), y_test)

    train_acc = float((forward(params, x[train_idx].astype(np.float32))[1].argmax(1) == y[train_idx]).mean())
    probs = run_onnx_with_numpy(onnx.load(os.path.join(out, "digits.onnx")), x_test)
    test_acc = float((probs.argmax(1) == y_test).mean())
    print(f"train accuracy {train_acc:.4f}  held-out accuracy (exported graph, numpy) {test_acc:.4f}  -> {out}")
    if test_acc < 0.9:
        sys.exit("accuracy below 0.9: training went wrong")


if __name__ == "__main__":
    main()
