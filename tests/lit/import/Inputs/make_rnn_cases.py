"""Writes GRU/LSTM cases (bidirectional, reverse, constant sequence_lens,
layout 1, clip) with outputs from a numpy reference of the ONNX equations,
in the backend-test layout, under argv[1]/node."""
import os, sys, numpy as np
from onnx import helper, TensorProto, numpy_helper, save
rng = np.random.default_rng(0)
sig = lambda x: 1/(1+np.exp(-x))

def write(name, node, inputs, outputs, consts={}):
    d = f"{sys.argv[1]}/node/{name}"; os.makedirs(d + "/test_data_set_0", exist_ok=True)
    ins = [helper.make_tensor_value_info(k, TensorProto.FLOAT if v.dtype == np.float32 else TensorProto.INT32, v.shape) for k, v in inputs]
    outs = [helper.make_tensor_value_info(k, TensorProto.FLOAT, v.shape) for k, v in outputs]
    inits = [numpy_helper.from_array(v, k) for k, v in consts.items()]
    g = helper.make_graph([node], name, ins, outs, initializer=inits)
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)]), d + "/model.onnx")
    for i, (k, v) in enumerate(inputs):
        open(f"{d}/test_data_set_0/input_{i}.pb", "wb").write(numpy_helper.from_array(v, k).SerializeToString())
    for i, (k, v) in enumerate(outputs):
        open(f"{d}/test_data_set_0/output_{i}.pb", "wb").write(numpy_helper.from_array(v, k).SerializeToString())

def run_dir(cell, X, W, R, B, h0, c0, P, lens, reverse, lbr, H, clip=None):
    S, N, _ = X.shape
    h = h0.copy(); c = c0.copy(); Y = np.zeros((S, N, H), np.float32)
    steps = range(S - 1, -1, -1) if reverse else range(S)
    wb, rb = B[:B.shape[0]//2], B[B.shape[0]//2:]
    cl = (lambda v: np.clip(v, -clip, clip)) if clip else (lambda v: v)
    for t in steps:
        x = X[t]
        if cell == "GRU":
            xw = x @ W.T + wb
            z = sig(cl(xw[:, :H] + h @ R[:H].T + rb[:H])); r = sig(cl(xw[:, H:2*H] + h @ R[H:2*H].T + rb[H:2*H]))
            if lbr: hh = np.tanh(cl(xw[:, 2*H:] + r * (h @ R[2*H:].T + rb[2*H:])))
            else: hh = np.tanh(cl(xw[:, 2*H:] + (r * h) @ R[2*H:].T + rb[2*H:]))
            hn = (1 - z) * hh + z * h; cn = c
        else:
            g = x @ W.T + wb + h @ R.T + rb
            i = sig(cl(g[:, :H] + P[:H] * c)); f = sig(cl(g[:, 2*H:3*H] + P[2*H:] * c)); cc = np.tanh(cl(g[:, 3*H:]))
            cn = f * c + i * cc; o = sig(cl(g[:, H:2*H] + P[H:2*H] * cn)); hn = o * np.tanh(cn)
        m = (t < lens)[:, None]
        Y[t] = np.where(m, hn, 0); h = np.where(m, hn, h); c = np.where(m, cn, c)
    return Y, h, c

def case(name, cell, direction, S=4, N=3, I=2, H=3, lbr=0, lens=None, clip=None, layout=0):
    G = 3 if cell == "GRU" else 4; D = 2 if direction == "bidirectional" else 1
    X = rng.standard_normal((S, N, I)).astype(np.float32)
    W = rng.standard_normal((D, G*H, I)).astype(np.float32) * .5
    R = rng.standard_normal((D, G*H, H)).astype(np.float32) * .5
    B = rng.standard_normal((D, 2*G*H)).astype(np.float32) * .5
    h0 = rng.standard_normal((D, N, H)).astype(np.float32)
    c0 = rng.standard_normal((D, N, H)).astype(np.float32)
    P = rng.standard_normal((D, 3*H)).astype(np.float32)
    L = np.array(lens if lens else [S]*N, np.int32)
    Ys, hs, cs = [], [], []
    for d in range(D):
        y, h, c = run_dir(cell, X, W[d], R[d], B[d], h0[d], c0[d], P[d], L, direction == "reverse" or d == 1, lbr, H, clip)
        Ys.append(y); hs.append(h); cs.append(c)
    Y = np.stack(Ys, 1); Yh = np.stack(hs); Yc = np.stack(cs)
    Xi, h0i, c0i = X, h0, c0
    if layout:
        Xi = X.transpose(1, 0, 2); h0i = h0.transpose(1, 0, 2); c0i = c0.transpose(1, 0, 2)
        Y = Y.transpose(2, 0, 1, 3); Yh = Yh.transpose(1, 0, 2); Yc = Yc.transpose(1, 0, 2)
    attrs = dict(hidden_size=H, direction=direction, layout=layout)
    if clip: attrs["clip"] = clip
    if cell == "GRU":
        attrs["linear_before_reset"] = lbr
        node = helper.make_node("GRU", ["X", "W", "R", "B", "L", "h0"], ["Y", "Yh"], **attrs)
        outs = [("Y", Y.astype(np.float32)), ("Yh", Yh.astype(np.float32))]
        ins = [("X", Xi), ("W", W), ("R", R), ("B", B), ("h0", h0i)]
    else:
        node = helper.make_node("LSTM", ["X", "W", "R", "B", "L", "h0", "c0", "P"], ["Y", "Yh", "Yc"], **attrs)
        outs = [("Y", Y.astype(np.float32)), ("Yh", Yh.astype(np.float32)), ("Yc", Yc.astype(np.float32))]
        ins = [("X", Xi), ("W", W), ("R", R), ("B", B), ("h0", h0i), ("c0", c0i), ("P", P)]
    write(name, node, ins, outs, consts={"L": L})

case("test_x_gru_bidir_lbr", "GRU", "bidirectional", lbr=1)
case("test_x_gru_reverse_lens", "GRU", "reverse", lens=[4, 2, 1])
case("test_x_lstm_bidir_lens_layout", "LSTM", "bidirectional", lens=[3, 4, 2], layout=1)
case("test_x_lstm_clip", "LSTM", "forward", clip=0.7)
# Past 16 steps the recurrence is a nuri.loop rather than unrolled: the same forms over 40 steps.
case("test_x_gru_loop_bidir_lbr_lens", "GRU", "bidirectional", S=40, lbr=1, lens=[40, 23, 1])
case("test_x_lstm_loop_reverse_lens_layout", "LSTM", "reverse", S=40, lens=[17, 40, 5], layout=1)
case("test_x_lstm_loop_bidir_clip", "LSTM", "bidirectional", S=40, clip=0.9)
