#!/usr/bin/python3
"""Extra conformance cases for the index family (gathers, scatters, pads, tiles, top-k, cumsum...)
with their shape-setting parameters as initializers, which the ONNX backend node tests pass as graph
inputs (so those cases are out of reach for a static-shape compiler). References are numpy.

    /usr/bin/python3 tests/conformance/index_extra_cases.py OUT
    /usr/bin/python3 tests/conformance/run.py --data OUT --suites node --out OUT/results -v
"""
import numpy as np, onnx, os, shutil, sys
from onnx import helper as h, numpy_helper as nh, TensorProto as T
root = os.path.join(sys.argv[1] if len(sys.argv) > 1 else "/tmp/nuri_index_cases", "node")
shutil.rmtree(root, ignore_errors=True)
rng = np.random.default_rng(0)
NP2T = {np.float32: T.FLOAT, np.float64: T.DOUBLE, np.int64: T.INT64, np.int32: T.INT32,
        np.uint8: T.UINT8, np.int8: T.INT8, np.bool_: T.BOOL, np.float16: T.FLOAT16}
def tt(a): return NP2T[a.dtype.type]
def case(name, op, inputs, outputs, attrs={}, inits={}, opset=18):
    """inputs: list of (name, array) runtime; inits: name->array; outputs: list of (name, array)."""
    d = os.path.join(root, "test_" + name); os.makedirs(os.path.join(d, "test_data_set_0"))
    in_names = [n for n, _ in inputs]
    node_inputs = attrs.pop("_inputs", in_names + list(inits))
    node = h.make_node(op, node_inputs, [n for n, _ in outputs], **attrs)
    g = h.make_graph([node], name,
        [h.make_tensor_value_info(n, tt(a), a.shape) for n, a in inputs],
        [h.make_tensor_value_info(n, tt(a), a.shape) for n, a in outputs],
        [nh.from_array(a, n) for n, a in inits.items()])
    m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)])
    onnx.save(m, os.path.join(d, "model.onnx"))
    for i, (n, a) in enumerate(inputs):
        open(os.path.join(d, "test_data_set_0", f"input_{i}.pb"), "wb").write(nh.from_array(a, n).SerializeToString())
    for i, (n, a) in enumerate(outputs):
        open(os.path.join(d, "test_data_set_0", f"output_{i}.pb"), "wb").write(nh.from_array(a, n).SerializeToString())

def topk(x, k, axis, largest):
    xs = np.moveaxis(x, axis, -1)
    key = -xs if largest else xs
    idx = np.argsort(key, axis=-1, kind="stable")[..., :k]
    val = np.take_along_axis(xs, idx, -1)
    return np.moveaxis(val, -1, axis), np.moveaxis(idx, -1, axis).astype(np.int64)

x = rng.integers(0, 5, (3, 6, 4)).astype(np.float32)  # many ties
for axis in (0, 1, -1):
    for largest in (1, 0):
        k = 2 if axis == 0 else 3
        v, i = topk(x, k, axis, largest)
        case(f"topk_c_{axis}_{largest}", "TopK", [("x", x)], [("v", v), ("i", i)],
             dict(axis=axis, largest=largest), {"k": np.array([k], np.int64)}, opset=11)
xb = rng.standard_normal((4, 1000)).astype(np.float32)
v, i = topk(xb, 5, 1, 1)
case("topk_big", "TopK", [("x", xb)], [("v", v), ("i", i)], dict(axis=1), {"k": np.array([5], np.int64)})
xi = rng.integers(-50, 50, (5, 7)).astype(np.int32)
v, i = topk(xi, 7, 1, 0)
case("topk_int_full", "TopK", [("x", xi)], [("v", v), ("i", i)], dict(axis=1, largest=0), {"k": np.array([7], np.int64)})

xt = rng.standard_normal((2, 3, 1)).astype(np.float32)
case("tile_c", "Tile", [("x", xt)], [("y", np.tile(xt, (2, 1, 3)))], {}, {"r": np.array([2, 1, 3], np.int64)}, opset=13)
xu = rng.integers(0, 255, (3, 2)).astype(np.uint8)
case("tile_u8", "Tile", [("x", xu)], [("y", np.tile(xu, (2, 2)))], {}, {"r": np.array([2, 2], np.int64)}, opset=13)
xe = rng.standard_normal((3, 1)).astype(np.float32)
case("expand_c", "Expand", [("x", xe)], [("y", xe * np.ones((2, 1, 6), np.float32))], {}, {"s": np.array([2, 1, 6], np.int64)}, opset=13)
xe2 = rng.standard_normal((1, 4)).astype(np.float32)
case("expand_smaller_shape", "Expand", [("x", xe2)], [("y", xe2 * np.ones((3, 1), np.float32))], {}, {"s": np.array([3, 1], np.int64)}, opset=13)

def onehot(ind, depth, vals, axis):
    ind = ind.astype(np.int64); ind = np.where(ind < 0, ind + depth, ind)
    r = ind.ndim + 1; axis = axis + r if axis < 0 else axis
    oh = (np.expand_dims(ind, axis) == np.arange(depth).reshape([-1 if d == axis else 1 for d in range(r)]))
    return np.where(oh, vals[1], vals[0]).astype(vals.dtype)
ind = np.array([[1, -2, 9], [0, 3, -10]], np.int64)
vals = np.array([2, 7], np.float32)
case("onehot_c", "OneHot", [("i", ind), ("v", vals)], [("y", onehot(ind, 10, vals, 1))], dict(axis=1, _inputs=["i", "d", "v"]), {"d": np.array(10.0, np.float32)}, opset=11)
case("onehot_c_last", "OneHot", [("i", ind), ("v", vals)], [("y", onehot(ind, 10, vals, -1))], dict(_inputs=["i", "d", "v"]), {"d": np.array([10], np.int64)}, opset=11)

xp = rng.standard_normal((1, 3, 4, 5)).astype(np.float32)
pads = np.array([0, 0, 1, 3, 0, 0, 2, 1], np.int64)
npp = [(0, 0), (0, 0), (1, 2), (3, 1)]
case("pad_c_const", "Pad", [("x", xp)], [("y", np.pad(xp, npp, constant_values=1.5))], dict(mode="constant", _inputs=["x", "p", "v"]), {"p": pads, "v": np.array(1.5, np.float32)}, opset=13)
case("pad_c_const_rt_value", "Pad", [("x", xp), ("v", np.array(-2.5, np.float32))], [("y", np.pad(xp, npp, constant_values=-2.5))], dict(mode="constant", _inputs=["x", "p", "v"]), {"p": pads}, opset=13)
case("pad_c_edge", "Pad", [("x", xp)], [("y", np.pad(xp, npp, mode="edge"))], dict(mode="edge"), {"p": pads}, opset=13)
case("pad_c_reflect", "Pad", [("x", xp)], [("y", np.pad(xp, npp, mode="reflect"))], dict(mode="reflect"), {"p": pads}, opset=13)
case("pad_c_wrap", "Pad", [("x", xp)], [("y", np.pad(xp, npp, mode="wrap"))], dict(mode="wrap"), {"p": pads}, opset=19)
negp = np.array([0, 0, -1, 2, 0, 0, 1, -2], np.int64)
ref = np.pad(xp, [(0, 0), (0, 0), (0, 1), (2, 0)])[:, :, 1:, :-2]
case("pad_c_negative", "Pad", [("x", xp)], [("y", ref)], dict(mode="constant"), {"p": negp}, opset=13)
case("pad_c_axes", "Pad", [("x", xp)], [("y", np.pad(xp, [(0, 0), (0, 0), (0, 0), (2, 1)], mode="edge"))], dict(mode="edge", _inputs=["x", "p", "", "a"]), {"p": np.array([2, 1], np.int64), "a": np.array([-1], np.int64)}, opset=18)
xpi = rng.integers(-9, 9, (3, 4)).astype(np.int32)
case("pad_c_int_reflect", "Pad", [("x", xpi)], [("y", np.pad(xpi, [(2, 2), (3, 3)], mode="reflect"))], dict(mode="reflect"), {"p": np.array([2, 3, 2, 3], np.int64)}, opset=13)

def cumsum(x, axis, excl, rev):
    y = np.flip(x, axis) if rev else x
    c = np.cumsum(y, axis=axis)
    if excl:
        c = c - y
    return (np.flip(c, axis) if rev else c).astype(x.dtype)
xc = rng.integers(-9, 9, (2, 3, 4)).astype(np.int32)
for axis in (0, 1, 2, -1):
    for excl, rev in ((0, 0), (1, 1), (1, 0)):
        case(f"cumsum_rt_{axis}_{excl}{rev}".replace("-", "m"), "CumSum", [("x", xc), ("a", np.array(axis, np.int64))],
             [("y", cumsum(xc, axis, excl, rev))], dict(exclusive=excl, reverse=rev), {}, opset=14)
        case(f"cumsum_c_{axis}_{excl}{rev}".replace("-", "m"), "CumSum", [("x", xc)],
             [("y", cumsum(xc, axis, excl, rev))], dict(exclusive=excl, reverse=rev), {"a": np.array(axis, np.int32)}, opset=14)
xcf = rng.standard_normal((64, 257)).astype(np.float32)
case("cumsum_big", "CumSum", [("x", xcf)], [("y", np.cumsum(xcf, 1, dtype=np.float32))], {}, {"a": np.array(1, np.int64)}, opset=14)

def scatter_el(data, ind, upd, axis, red):
    out = data.copy()
    for pos in np.ndindex(ind.shape):
        tgt = list(pos); i = ind[pos]; tgt[axis] = i + data.shape[axis] if i < 0 else i; tgt = tuple(tgt)
        u = upd[pos]
        out[tgt] = {"none": lambda a, b: b, "add": lambda a, b: a + b, "mul": lambda a, b: a * b,
                    "max": max, "min": min}[red](out[tgt], u)
    return out
d = rng.integers(0, 20, (3, 4)).astype(np.uint8)
ind = np.array([[0, 2, -1], [2, 2, 0]], np.int64)
upd = rng.integers(0, 20, (2, 3)).astype(np.uint8)
for red in ("max", "min", "add"):
    case(f"scatter_el_{red}_u8", "ScatterElements", [("d", d), ("i", ind), ("u", upd)], [("y", scatter_el(d, ind, upd, 1, red))], dict(axis=1, reduction=red), {}, opset=18)
df = rng.standard_normal((50, 40)).astype(np.float32)
indf = rng.integers(-50, 50, (50, 40)).astype(np.int64)
updf = rng.standard_normal((50, 40)).astype(np.float32)
case("scatter_el_big_add", "ScatterElements", [("d", df), ("i", indf), ("u", updf)], [("y", scatter_el(df, indf, updf, 0, "add"))], dict(axis=0, reduction="add"), {}, opset=18)

def gathernd(data, ind, b):
    bshape = ind.shape[:b]
    out = []
    for bi in np.ndindex(bshape):
        di = data[bi]; ii = ind[bi]
        res = np.stack([di[tuple(t)] for t in ii.reshape(-1, ii.shape[-1])]) if ii.size else None
        out.append(res.reshape(ii.shape[:-1] + di.shape[ii.shape[-1]:]))
    return np.stack(out).reshape(bshape + out[0].shape) if b else out[0]
dg = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
ig = np.stack([rng.integers(0, 3, (2, 6)), rng.integers(-4, 4, (2, 6))], -1).reshape(2, 3, 2, 2).astype(np.int64)
case("gathernd_b1", "GatherND", [("d", dg), ("i", ig)], [("y", gathernd(dg, ig, 1))], dict(batch_dims=1), {}, opset=13)
ig0 = np.array([[[0, 1, 2], [1, -1, 3]]], np.int64)
case("gathernd_b0_k3", "GatherND", [("d", dg), ("i", ig0)], [("y", gathernd(dg, ig0, 0))], {}, {}, opset=13)

def scatternd(data, ind, upd, red):
    out = data.copy()
    for pos in np.ndindex(ind.shape[:-1]):
        t = tuple(ind[pos])
        out[t] = {"none": lambda a, b: b, "add": lambda a, b: a + b, "mul": lambda a, b: a * b, "max": np.maximum, "min": np.minimum}[red](out[t], upd[pos])
    return out
dn = rng.integers(0, 9, (4, 3, 2)).astype(np.int64)
inn = np.array([[[1, 2], [3, 0]], [[1, 2], [-4, 1]]], np.int64)
un = rng.integers(0, 9, (2, 2, 2)).astype(np.int64)
for red in ("max", "min", "mul"):
    case(f"scatternd_{red}", "ScatterND", [("d", dn), ("i", inn), ("u", un)], [("y", scatternd(dn, np.where(inn < 0, inn + 4, inn), un, red))], dict(reduction=red), {}, opset=18)

xg = rng.integers(-100, 100, (4, 5, 3)).astype(np.int8)
ige = rng.integers(-5, 5, (4, 2, 3)).astype(np.int64)
case("gather_el_i8", "GatherElements", [("x", xg), ("i", ige)], [("y", np.take_along_axis(xg, np.where(ige < 0, ige + 5, ige), 1))], dict(axis=1), {}, opset=13)
xeye = np.zeros((3, 5), np.float32)
case("eyelike_bool_neg", "EyeLike", [("x", xeye)], [("y", np.eye(3, 5, k=-1, dtype=np.bool_))], dict(k=-1, dtype=T.BOOL), {}, opset=9)
xr = rng.standard_normal((5, 3, 2)).astype(np.float32)
lens = np.array([5, 0, 3], np.int64)
ref = xr.copy()
for b_, L in enumerate(lens): ref[:L, b_] = xr[:L, b_][::-1]
case("revseq_3d", "ReverseSequence", [("x", xr), ("l", lens)], [("y", ref)], dict(batch_axis=1, time_axis=0), {}, opset=10)
xd = rng.standard_normal((1, 18, 2, 3)).astype(np.float32)
b = 3
dcr = xd.reshape(1, b, b, 2, 2, 3).transpose(0, 3, 4, 1, 5, 2).reshape(1, 2, 6, 9)
case("d2s_b3", "DepthToSpace", [("x", xd)], [("y", dcr)], dict(blocksize=3), {}, opset=13)
tr = rng.integers(1, 9, (2, 4, 3)).astype(np.uint8)
case("trilu_u8_k", "Trilu", [("x", tr)], [("y", np.triu(tr, -1))], dict(upper=1), {"k": np.array(-1, np.int64)}, opset=14)
