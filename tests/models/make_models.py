#!/usr/bin/python3
# Copied unchanged from the peer-baseline harness (shared/peers/make_models.py) so that a clean clone
# carries its own copy; tests/e2e/peer_models.sh and benchmarks/run_peers.sh use it.
"""Generate fp32 opset-17 benchmark models for the peer-baseline harness.

Run with the Debian python (has onnx 1.12 + numpy):  /usr/bin/python3 make_models.py [outdir]
Writes <outdir>/{mlp,resnet18,mobilenetv2,bert4,matmul1024,conv3x3_64}.onnx (default outdir: ./models)
All weights come from numpy.random.default_rng(SEED) so the files are reproducible byte-for-byte.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, shape_inference

SEED = 1234
OPSET = 17
IR_VERSION = 8  # onnx 1.12 native IR; ORT 1.30 accepts it


class G:
    """Tiny graph builder: unique names, initializers, nodes."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.n = [], [], 0

    def name(self, p):
        self.n += 1
        return f"{p}_{self.n}"

    def const(self, arr, p="c"):
        nm = self.name(p)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), nm))
        return nm

    def w(self, shape, fan_in, p="w"):
        # He-style init keeps activations O(1) through deep nets (numerically friendly for comparisons)
        a = self.rng.standard_normal(shape, dtype=np.float32) * np.float32(np.sqrt(2.0 / fan_in))
        return self.const(a.astype(np.float32), p)

    def vec(self, n, scale=0.1, p="b"):
        return self.const((self.rng.standard_normal(n, dtype=np.float32) * np.float32(scale)).astype(np.float32), p)

    def op(self, op_type, inputs, n_out=1, **attrs):
        outs = [self.name(op_type.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=self.name("n_" + op_type), **attrs))
        return outs[0] if n_out == 1 else outs

    def model(self, name, inputs, outputs):
        g = helper.make_graph(self.nodes, name, inputs, outputs, initializer=self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="peer-make_models")
        m.ir_version = IR_VERSION
        return m


def vi(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


# ---------------------------------------------------------------- (a) MLP
def mlp():
    g = G(SEED + 1)
    x = "input"
    h = x
    dims = [1024, 4096, 4096, 1000]
    for i in range(3):
        h = g.op("MatMul", [h, g.w((dims[i], dims[i + 1]), dims[i])])
        h = g.op("Add", [h, g.vec(dims[i + 1])])
        h = g.op("Relu", [h])
    g.nodes[-1].output[0] = "output"
    return g.model("mlp", [vi("input", [8, 1024])], [vi("output", [8, 1000])])


# ---------------------------------------------------------------- (b) ResNet-18
def conv_bn(g, x, cin, cout, k, s, p, relu=True):
    w = g.w((cout, cin, k, k), cin * k * k)
    y = g.op("Conv", [x, w], kernel_shape=[k, k], strides=[s, s], pads=[p, p, p, p])
    scale = g.const((1.0 + 0.1 * g.rng.standard_normal(cout)).astype(np.float32), "bn_s")
    bias = g.vec(cout, 0.1, "bn_b")
    mean = g.vec(cout, 0.1, "bn_m")
    var = g.const((1.0 + 0.1 * np.abs(g.rng.standard_normal(cout))).astype(np.float32), "bn_v")
    y = g.op("BatchNormalization", [y, scale, bias, mean, var], epsilon=1e-5)
    return g.op("Relu", [y]) if relu else y


def resnet18():
    g = G(SEED + 2)
    h = conv_bn(g, "input", 3, 64, 7, 2, 3)
    h = g.op("MaxPool", [h], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    cin = 64
    for stage, cout in enumerate([64, 128, 256, 512]):
        for blk in range(2):
            s = 2 if (stage > 0 and blk == 0) else 1
            y = conv_bn(g, h, cin, cout, 3, s, 1)
            y = conv_bn(g, y, cout, cout, 3, 1, 1, relu=False)
            sc = conv_bn(g, h, cin, cout, 1, s, 0, relu=False) if (s != 1 or cin != cout) else h
            h = g.op("Relu", [g.op("Add", [y, sc])])
            cin = cout
    h = g.op("GlobalAveragePool", [h])
    h = g.op("Flatten", [h], axis=1)
    wfc = g.w((1000, 512), 512)
    g.op("Gemm", [h, wfc, g.vec(1000)], transB=1)
    g.nodes[-1].output[0] = "output"
    return g.model("resnet18", [vi("input", [1, 3, 224, 224])], [vi("output", [1, 1000])])


# ---------------------------------------------------------------- (c) MobileNetV2 (BN folded into conv bias)
def conv_clip(g, x, cin, cout, k, s, groups=1, act=True):
    w = g.w((cout, cin // groups, k, k), (cin // groups) * k * k)
    p = k // 2
    y = g.op("Conv", [x, w, g.vec(cout)], kernel_shape=[k, k], strides=[s, s], pads=[p, p, p, p], group=groups)
    if act:
        y = g.op("Clip", [y, g.lo, g.hi])
    return y


def mobilenetv2():
    g = G(SEED + 3)
    g.lo = g.const(np.array(0.0, np.float32), "clip_min")
    g.hi = g.const(np.array(6.0, np.float32), "clip_max")
    h = conv_clip(g, "input", 3, 32, 3, 2)
    cin = 32
    cfg = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
    for t, c, n, s in cfg:
        for i in range(n):
            stride = s if i == 0 else 1
            hid = cin * t
            y = h
            if t != 1:
                y = conv_clip(g, y, cin, hid, 1, 1)                      # expand 1x1
            y = conv_clip(g, y, hid, hid, 3, stride, groups=hid)        # depthwise 3x3
            y = conv_clip(g, y, hid, c, 1, 1, act=False)                # project 1x1 (linear)
            h = g.op("Add", [h, y]) if (stride == 1 and cin == c) else y
            cin = c
    h = conv_clip(g, h, cin, 1280, 1, 1)
    h = g.op("GlobalAveragePool", [h])
    h = g.op("Flatten", [h], axis=1)
    g.op("Gemm", [h, g.w((1000, 1280), 1280), g.vec(1000)], transB=1)
    g.nodes[-1].output[0] = "output"
    return g.model("mobilenetv2", [vi("input", [1, 3, 224, 224])], [vi("output", [1, 1000])])


# ---------------------------------------------------------------- (d) BERT-like encoder
def bert4(layers=4, hidden=256, heads=4, seq=128, ffn=1024, batch=1):
    g = G(SEED + 4)
    dh = hidden // heads
    shp_split = g.const(np.array([batch, seq, heads, dh], np.int64), "shape_split")
    shp_merge = g.const(np.array([batch, seq, hidden], np.int64), "shape_merge")
    inv_sqrt_dh = g.const(np.array(1.0 / np.sqrt(dh), np.float32), "scale")
    inv_sqrt2 = g.const(np.array(1.0 / np.sqrt(2.0), np.float32), "inv_sqrt2")
    one = g.const(np.array(1.0, np.float32), "one")
    half = g.const(np.array(0.5, np.float32), "half")

    def dense(x, din, dout):
        return g.op("Add", [g.op("MatMul", [x, g.w((din, dout), din)]), g.vec(dout, 0.02)])

    def layernorm(x):
        gamma = g.const((1.0 + 0.05 * g.rng.standard_normal(hidden)).astype(np.float32), "ln_g")
        return g.op("LayerNormalization", [x, gamma, g.vec(hidden, 0.05, "ln_b")], axis=-1, epsilon=1e-12)

    h = "input"
    for _ in range(layers):
        q = g.op("Transpose", [g.op("Reshape", [dense(h, hidden, hidden), shp_split])], perm=[0, 2, 1, 3])
        k = g.op("Transpose", [g.op("Reshape", [dense(h, hidden, hidden), shp_split])], perm=[0, 2, 3, 1])
        v = g.op("Transpose", [g.op("Reshape", [dense(h, hidden, hidden), shp_split])], perm=[0, 2, 1, 3])
        s = g.op("Mul", [g.op("MatMul", [q, k]), inv_sqrt_dh])          # [B,H,S,S]
        p = g.op("Softmax", [s], axis=-1)
        c = g.op("MatMul", [p, v])                                       # [B,H,S,dh]
        c = g.op("Reshape", [g.op("Transpose", [c], perm=[0, 2, 1, 3]), shp_merge])
        h = layernorm(g.op("Add", [dense(c, hidden, hidden), h]))
        f = dense(h, hidden, ffn)
        # exact GELU: 0.5 * x * (1 + erf(x / sqrt(2)))
        f = g.op("Mul", [g.op("Mul", [f, half]), g.op("Add", [g.op("Erf", [g.op("Mul", [f, inv_sqrt2])]), one])])
        h = layernorm(g.op("Add", [dense(f, ffn, hidden), h]))
    g.nodes[-1].output[0] = "output"
    return g.model("bert4", [vi("input", [batch, seq, hidden])], [vi("output", [batch, seq, hidden])])


# ---------------------------------------------------------------- (e) single GEMM, (f) single conv
def matmul1024():
    g = G(SEED + 5)
    g.op("MatMul", ["input", g.w((1024, 1024), 1024)])       # B is a constant weight (ORT may prepack it)
    g.nodes[-1].output[0] = "output"
    return g.model("matmul1024", [vi("input", [1024, 1024])], [vi("output", [1024, 1024])])


def conv3x3_64():
    g = G(SEED + 6)
    g.op("Conv", ["input", g.w((64, 64, 3, 3), 576), g.vec(64)], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    g.nodes[-1].output[0] = "output"
    return g.model("conv3x3_64", [vi("input", [1, 64, 56, 56])], [vi("output", [1, 64, 56, 56])])


MODELS = {"mlp": mlp, "resnet18": resnet18, "mobilenetv2": mobilenetv2, "bert4": bert4,
          "matmul1024": matmul1024, "conv3x3_64": conv3x3_64}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "models")
    os.makedirs(out, exist_ok=True)
    for name, fn in MODELS.items():
        m = fn()
        onnx.checker.check_model(m, full_check=True)   # full_check also runs strict shape inference
        inferred = shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
        n_vi = len(inferred.graph.value_info)
        path = os.path.join(out, name + ".onnx")
        onnx.save(m, path)
        nparams = sum(int(np.prod(t.dims)) for t in m.graph.initializer)
        print(f"{name:12s} nodes={len(m.graph.node):4d} params={nparams/1e6:7.2f}M value_info={n_vi:4d} -> {path}")


if __name__ == "__main__":
    main()
