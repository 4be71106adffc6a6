#!/usr/bin/python3
"""Writes the opset 18-23 conformance cases next to this script.

    /usr/bin/python3 tests/conformance/opset18plus/make_cases.py [--only REGEX]

Each case is <case>/model.onnx plus <case>/test_data_set_0/input_<i>.pb (one per graph input that is
not an initializer). Reference outputs come from ONNX Runtime: run make_refs.mjs afterwards (README.md).

Debian's onnx is 1.12: it builds these models (onnx.helper at any opset number) but does not know the
ops new in opsets 18-23, so its checker is not run on them. Data are random but seeded per case, and
tensors stay tiny so the committed cases stay small. Constant operands (axes, shapes, sizes) are
initializers, so the compiler sees them as constants and run.py does not feed them.
"""
import argparse
import os
import re
import shutil
import zlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
IR_VERSION = 10

# TensorProto.DataType numbers that onnx 1.12 does not name.
FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ = 17, 18, 19, 20

NP2ONNX = {np.dtype(k): v for k, v in {
    np.float32: TensorProto.FLOAT, np.float64: TensorProto.DOUBLE, np.float16: TensorProto.FLOAT16,
    np.int8: TensorProto.INT8, np.int16: TensorProto.INT16, np.int32: TensorProto.INT32,
    np.int64: TensorProto.INT64, np.uint8: TensorProto.UINT8, np.uint16: TensorProto.UINT16,
    np.uint32: TensorProto.UINT32, np.uint64: TensorProto.UINT64, np.bool_: TensorProto.BOOL}.items()}

CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


class Builder:
    """Collects one case's graph: runtime inputs (with data), initializers, nodes and outputs."""

    def __init__(self, name, opset):
        self.name, self.opset = name, opset
        self.rng = np.random.RandomState(zlib.crc32(name.encode()))
        self.inputs, self.feeds, self.inits, self.nodes, self.outputs = [], [], [], [], []

    def randn(self, *shape, dtype=np.float32, scale=1.0):
        return (self.rng.standard_normal(shape) * scale).astype(dtype)

    def randint(self, lo, hi, *shape, dtype=np.int32):
        return self.rng.randint(lo, hi, size=shape).astype(dtype)

    def input(self, name, array):
        array = np.asarray(array)
        self.inputs.append(helper.make_tensor_value_info(name, NP2ONNX[array.dtype], array.shape))
        self.feeds.append(array)
        return name

    def const(self, name, array):
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op, inputs, outputs, **attrs):
        self.nodes.append(helper.make_node(op, inputs, outputs, **attrs))

    def output(self, name, elem_type=TensorProto.FLOAT, shape=None):
        # Shapes are left to the runtime: ORT infers them, the compiler infers its own.
        self.outputs.append(helper.make_tensor_value_info(name, elem_type, shape))

    def save(self, root):
        graph = helper.make_graph(self.nodes, self.name, self.inputs, self.outputs, self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)],
                                  producer_name="nuri-opset18plus")
        model.ir_version = IR_VERSION
        d = os.path.join(root, self.name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(os.path.join(d, "test_data_set_0"))
        onnx.save(model, os.path.join(d, "model.onnx"))
        for i, a in enumerate(self.feeds):
            with open(os.path.join(d, "test_data_set_0", f"input_{i}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(a, self.inputs[i].name).SerializeToString())


def simple(b, op, x, out_type=TensorProto.FLOAT, extra=(), **attrs):
    b.node(op, [b.input("x", x)] + list(extra), ["y"], **attrs)
    b.output("y", out_type)


# ----------------------------------------------------------------------------- Reduce* (axes input, 18)

def reduce_case(op, axes, keepdims=1, noop=None, shape=(3, 4, 5), positive=False):
    def build(b):
        x = b.randn(*shape)
        if positive:
            x = np.abs(x) + 0.5
        extra = [b.const("axes", np.array(axes, np.int64))] if axes is not None else []
        attrs = {"keepdims": keepdims}
        if noop is not None:
            attrs["noop_with_empty_axes"] = noop
        simple(b, op, x, extra=extra, **attrs)
    return build


for _name, _args in {
        "reduce_max_axes_input": ("ReduceMax", [1]),
        "reduce_min_axes_input_neg_nokeep": ("ReduceMin", [-1], 0),
        "reduce_mean_axes_input_two": ("ReduceMean", [0, 2]),
        "reduce_prod_axes_input": ("ReduceProd", [2], 0),
        "reduce_l1_axes_input": ("ReduceL1", [1]),
        "reduce_l2_axes_input_nokeep": ("ReduceL2", [0, -1], 0),
        "reduce_log_sum_axes_input": ("ReduceLogSum", [1], 1, None, (3, 4, 5), True),
        "reduce_log_sum_exp_axes_input": ("ReduceLogSumExp", [2]),
        "reduce_sum_square_axes_input": ("ReduceSumSquare", [0], 0),
        "reduce_max_empty_axes_noop": ("ReduceMax", None, 1, 1),
        "reduce_min_empty_axes_all": ("ReduceMin", None, 0, 0),
}.items():
    CASES[_name] = (18, reduce_case(*_args))


# ----------------------------------------------------------------------------- Split num_outputs (18)

@case
def split_num_outputs_even():
    def build(b):
        b.node("Split", [b.input("x", b.randn(2, 6, 3))], ["y0", "y1", "y2"], axis=1, num_outputs=3)
        for n in ("y0", "y1", "y2"):
            b.output(n)
    return 18, build


@case
def split_num_outputs_uneven():
    def build(b):
        b.node("Split", [b.input("x", b.randint(-50, 50, 7, 2, dtype=np.int64))], ["y0", "y1", "y2"],
               axis=0, num_outputs=3)
        for n in ("y0", "y1", "y2"):
            b.output(n, TensorProto.INT64)
    return 18, build


# ----------------------------------------------------------------------------- Pad with axes (18)

@case
def pad_constant_axes():
    def build(b):
        simple(b, "Pad", b.randn(2, 3, 4),
               extra=[b.const("pads", np.array([1, 0, 2, 1], np.int64)), b.const("value", np.array(1.5, np.float32)),
                      b.const("axes", np.array([0, 2], np.int64))], mode="constant")
    return 18, build


@case
def pad_reflect_negative_axes():
    def build(b):
        simple(b, "Pad", b.randn(2, 4, 5),
               extra=[b.const("pads", np.array([2, 1, 1, 3], np.int64)), "",
                      b.const("axes", np.array([-1, -2], np.int64))], mode="reflect")
    return 18, build


@case
def pad_edge_axes():
    def build(b):
        simple(b, "Pad", b.randint(0, 9, 3, 3, dtype=np.int32), out_type=TensorProto.INT32,
               extra=[b.const("pads", np.array([1, 2], np.int64)), "", b.const("axes", np.array([1], np.int64))],
               mode="edge")
    return 18, build


# ----------------------------------------------------------------------------- Resize 18 / 19

@case
def resize18_sizes_axes_not_larger():
    def build(b):
        simple(b, "Resize", b.randn(1, 2, 4, 6),
               extra=["", "", b.const("sizes", np.array([6, 6], np.int64))],
               mode="linear", axes=[2, 3], keep_aspect_ratio_policy="not_larger")
    return 18, build


@case
def resize18_scales_axes_cubic():
    def build(b):
        simple(b, "Resize", b.randn(1, 1, 3, 4),
               extra=["", b.const("scales", np.array([2.0, 1.5], np.float32))],
               mode="cubic", axes=[2, 3], cubic_coeff_a=-0.5)
    return 18, build


@case
def resize18_antialias_linear_down():
    def build(b):
        simple(b, "Resize", b.randn(1, 1, 8, 8),
               extra=["", "", b.const("sizes", np.array([1, 1, 3, 5], np.int64))], mode="linear", antialias=1)
    return 18, build


@case
def resize19_half_pixel_symmetric():
    def build(b):
        simple(b, "Resize", b.randn(1, 2, 3, 5),
               extra=["", b.const("scales", np.array([1, 1, 1.7, 0.6], np.float32))],
               mode="linear", coordinate_transformation_mode="half_pixel_symmetric")
    return 19, build


# ----------------------------------------------------------------------------- Col2Im (18)

@case
def col2im_basic():
    def build(b):
        # image 4x5, block 2x2, stride 1: L = 3*4
        simple(b, "Col2Im", b.randn(1, 2 * 4, 12),
               extra=[b.const("image_shape", np.array([4, 5], np.int64)), b.const("block_shape", np.array([2, 2], np.int64))])
    return 18, build


@case
def col2im_strides_pads_dilations():
    def build(b):
        # image 5x6, block 2x3, dilations 2x1, pads 1 all round, strides 2x2:
        # L_h = (5+2-2*1-1)//2+1 = 3, L_w = (6+2-3)//2+1 = 3
        simple(b, "Col2Im", b.randn(2, 3 * 6, 9),
               extra=[b.const("image_shape", np.array([5, 6], np.int64)), b.const("block_shape", np.array([2, 3], np.int64))],
               dilations=[2, 1], pads=[1, 1, 1, 1], strides=[2, 2])
    return 18, build


# ----------------------------------------------------------------------------- GroupNormalization 21

@case
def group_norm21_two_groups():
    def build(b):
        simple(b, "GroupNormalization", b.randn(2, 4, 3, 3),
               extra=[b.const("scale", b.randn(4)), b.const("bias", b.randn(4))], num_groups=2, epsilon=1e-4)
    return 21, build


@case
def group_norm21_runtime_scale():
    def build(b):
        x = b.input("x", b.randn(1, 6, 5))
        b.node("GroupNormalization", [x, b.input("scale", b.randn(6)), b.input("bias", b.randn(6))], ["y"],
               num_groups=3)
        b.output("y")
    return 21, build


# ----------------------------------------------------------------------------- Bitwise (18)

def bitwise_case(op, dtype, lo, hi, shape_b=(3, 4)):
    def build(b):
        a = b.input("a", b.randint(lo, hi, 3, 4, dtype=dtype))
        ins = [a]
        if op != "BitwiseNot":
            ins.append(b.input("b", b.randint(lo, hi, *shape_b, dtype=dtype)))
        b.node(op, ins, ["y"])
        b.output("y", NP2ONNX[np.dtype(dtype)])
    return build


for _name, _args in {
        "bitwise_and_int32": ("BitwiseAnd", np.int32, -1000, 1000),
        "bitwise_and_uint8_bcast": ("BitwiseAnd", np.uint8, 0, 256, (4,)),
        "bitwise_or_int16": ("BitwiseOr", np.int16, -300, 300),
        "bitwise_or_uint64": ("BitwiseOr", np.uint64, 0, 1 << 30),
        "bitwise_xor_int64": ("BitwiseXor", np.int64, -(1 << 40), 1 << 40),
        "bitwise_xor_int8_bcast": ("BitwiseXor", np.int8, -128, 128, (1, 4)),
        "bitwise_not_int32": ("BitwiseNot", np.int32, -1000, 1000),
        "bitwise_not_uint16": ("BitwiseNot", np.uint16, 0, 65536),
}.items():
    CASES[_name] = (18, bitwise_case(*_args))


# ----------------------------------------------------------------------------- CenterCropPad (18)

@case
def center_crop_pad_crop():
    def build(b):
        simple(b, "CenterCropPad", b.randn(5, 7, 3), extra=[b.const("shape", np.array([3, 4, 3], np.int64))])
    return 18, build


@case
def center_crop_pad_pad():
    def build(b):
        simple(b, "CenterCropPad", b.randn(2, 3, 2), extra=[b.const("shape", np.array([5, 4, 2], np.int64))])
    return 18, build


@case
def center_crop_pad_axes_mixed():
    def build(b):
        simple(b, "CenterCropPad", b.randint(0, 9, 2, 6, 3, dtype=np.int64), out_type=TensorProto.INT64,
               extra=[b.const("shape", np.array([3, 6], np.int64))], axes=[-1, 1])
    return 18, build


# ----------------------------------------------------------------------------- Mish (18), Gelu (20)

@case
def mish18_f32():
    def build(b):
        simple(b, "Mish", b.randn(3, 7, scale=3))
    return 18, build


@case
def mish18_f64():
    def build(b):
        simple(b, "Mish", b.randn(11, dtype=np.float64, scale=4), out_type=TensorProto.DOUBLE)
    return 18, build


@case
def gelu20_exact():
    def build(b):
        simple(b, "Gelu", b.randn(4, 6, scale=2))
    return 20, build


@case
def gelu20_tanh():
    def build(b):
        simple(b, "Gelu", b.randn(2, 3, 5, scale=2), approximate="tanh")
    return 20, build


# ----------------------------------------------------------------------------- LpPool (18)

@case
def lp_pool18_p2_ceil():
    def build(b):
        simple(b, "LpPool", b.randn(1, 2, 5, 5), kernel_shape=[2, 2], strides=[2, 2], p=2, ceil_mode=1)
    return 18, build


@case
def lp_pool18_p1_dilations_pads():
    def build(b):
        simple(b, "LpPool", b.randn(1, 3, 6, 7), kernel_shape=[2, 3], dilations=[2, 1], pads=[1, 0, 1, 1], p=1)
    return 18, build


@case
def lp_pool18_1d_p3():
    def build(b):
        simple(b, "LpPool", b.randn(2, 2, 9), kernel_shape=[3], strides=[2], p=3)
    return 18, build


# ----------------------------------------------------------------------------- AffineGrid (20)

def affine_grid_case(theta_shape, size, align):
    def build(b):
        simple(b, "AffineGrid", b.randn(*theta_shape, scale=0.7),
               extra=[b.const("size", np.array(size, np.int64))], align_corners=align)
    return build


CASES["affine_grid_2d"] = (20, affine_grid_case((2, 2, 3), [2, 3, 4, 5], 0))
CASES["affine_grid_2d_align_corners"] = (20, affine_grid_case((1, 2, 3), [1, 1, 3, 2], 1))
CASES["affine_grid_3d"] = (20, affine_grid_case((1, 3, 4), [1, 1, 2, 3, 4], 0))


# ----------------------------------------------------------------------------- DeformConv (19)

@case
def deform_conv_offset_only():
    def build(b):
        # X 1x2x4x4, W 3x2x2x2 -> out 3x3x3; offset 2*2*2 = 8 channels
        b.node("DeformConv", [b.input("x", b.randn(1, 2, 4, 4)), b.const("w", b.randn(3, 2, 2, 2)),
                              b.input("offset", b.randn(1, 8, 3, 3, scale=0.8))], ["y"])
        b.output("y")
    return 19, build


@case
def deform_conv_mask_bias_groups():
    def build(b):
        # X 1x4x5x5, group 2, offset_group 2, kernel 3x3, pad 1, stride 2 -> out 3x3
        b.node("DeformConv", [b.input("x", b.randn(1, 4, 5, 5)), b.const("w", b.randn(2, 2, 3, 3)),
                              b.input("offset", b.randn(1, 2 * 2 * 9, 3, 3, scale=1.2)),
                              b.const("b", b.randn(2)), b.input("mask", b.rng.rand(1, 2 * 9, 3, 3).astype(np.float32))],
               ["y"], group=2, offset_group=2, pads=[1, 1, 1, 1], strides=[2, 2], kernel_shape=[3, 3])
        b.output("y")
    return 19, build


@case
def deform_conv_dilations():
    def build(b):
        b.node("DeformConv", [b.input("x", b.randn(2, 1, 5, 6)), b.input("w", b.randn(2, 1, 2, 2)),
                              b.input("offset", b.randn(2, 8, 3, 4, scale=0.5))], ["y"], dilations=[2, 2])
        b.output("y")
    return 19, build


# ----------------------------------------------------------------------------- Cast with float8 (19)

def cast_f8_case(to, saturate, scale=1.0):
    def build(b):
        x = b.randn(4, 6, scale=scale)
        x.flat[:6] = [0.0, -0.0, 1e-6, 500.0, -70000.0, np.inf]  # zeros, a subnormal, past the range, infinity
        x.flat[6] = np.nan
        ins = [b.input("x", x)]
        b.node("Cast", ins, ["f8"], to=to, saturate=saturate)
        b.node("Cast", ["f8"], ["y"], to=TensorProto.FLOAT)
        b.output("y")
    return build


CASES["cast_float8e4m3fn_saturate"] = (19, cast_f8_case(FLOAT8E4M3FN, 1, 40))
CASES["cast_float8e4m3fn_no_saturate"] = (19, cast_f8_case(FLOAT8E4M3FN, 0, 40))
CASES["cast_float8e5m2_saturate"] = (19, cast_f8_case(FLOAT8E5M2, 1, 3000))
CASES["cast_float8e4m3fnuz_saturate"] = (19, cast_f8_case(FLOAT8E4M3FNUZ, 1, 10))
CASES["cast_float8e5m2fnuz_no_saturate"] = (19, cast_f8_case(FLOAT8E5M2FNUZ, 0, 0.01))


# ----------------------------------------------------------------------------- Attention (23)

@case
def attention23_4d():
    def build(b):
        b.node("Attention", [b.input("q", b.randn(1, 2, 3, 4)), b.input("k", b.randn(1, 2, 5, 4)),
                             b.input("v", b.randn(1, 2, 5, 6))], ["y"])
        b.output("y")
    return 23, build


@case
def attention23_3d_causal():
    def build(b):
        b.node("Attention", [b.input("q", b.randn(2, 4, 8)), b.input("k", b.randn(2, 4, 8)),
                             b.input("v", b.randn(2, 4, 8))], ["y"], q_num_heads=2, kv_num_heads=2, is_causal=1)
        b.output("y")
    return 23, build


@case
def attention23_gqa_mask_scale():
    def build(b):
        b.node("Attention", [b.input("q", b.randn(1, 4, 3, 4)), b.input("k", b.randn(1, 2, 5, 4)),
                             b.input("v", b.randn(1, 2, 5, 4)), b.input("mask", b.randn(3, 5))], ["y"],
               scale=0.3)
        b.output("y")
    return 23, build


@case
def attention23_bool_mask():
    def build(b):
        mask = b.rng.rand(1, 1, 2, 3) < 0.7
        mask[..., 0] = True  # every row attends somewhere
        b.node("Attention", [b.input("q", b.randn(2, 2, 2, 4)), b.input("k", b.randn(2, 2, 3, 4)),
                             b.input("v", b.randn(2, 2, 3, 4)), b.input("mask", mask)], ["y"])
        b.output("y")
    return 23, build


# ----------------------------------------------------------------------------- RMSNormalization (23)

@case
def rms_norm23_last_axis():
    def build(b):
        simple(b, "RMSNormalization", b.randn(2, 3, 8), extra=[b.const("scale", b.randn(8))])
    return 23, build


@case
def rms_norm23_axis1_eps():
    def build(b):
        b.node("RMSNormalization", [b.input("x", b.randn(2, 3, 4)), b.input("scale", b.randn(3, 4))], ["y"],
               axis=1, epsilon=1e-2)
        b.output("y")
    return 23, build


# ----------------------------------------------------------------------------- RotaryEmbedding (23)

@case
def rotary_embedding23_4d_position_ids():
    def build(b):
        # X [batch, heads, seq, head], caches [max_pos, head/2] indexed by position_ids [batch, seq]
        b.node("RotaryEmbedding", [b.input("x", b.randn(2, 2, 3, 8)), b.const("cos", b.randn(10, 4)),
                                   b.const("sin", b.randn(10, 4)),
                                   b.input("pos", np.array([[0, 1, 2], [5, 7, 9]], np.int64))], ["y"])
        b.output("y")
    return 23, build


@case
def rotary_embedding23_3d_interleaved_partial():
    def build(b):
        # X [batch, seq, heads*head] with num_heads; caches [batch, seq, rot/2] without position_ids
        b.node("RotaryEmbedding", [b.input("x", b.randn(1, 3, 2 * 8)), b.input("cos", b.randn(1, 3, 2)),
                                   b.input("sin", b.randn(1, 3, 2))], ["y"],
               interleaved=1, num_heads=2, rotary_embedding_dim=4)
        b.output("y")
    return 23, build


@case
def rotary_embedding23_4d_no_position_ids():
    def build(b):
        b.node("RotaryEmbedding", [b.input("x", b.randn(1, 3, 2, 4)), b.input("cos", b.randn(1, 2, 2)),
                                   b.input("sin", b.randn(1, 2, 2))], ["y"])
        b.output("y")
    return 23, build


# ----------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", help="only cases whose name matches this regex")
    ap.add_argument("--out", default=HERE)
    args = ap.parse_args()
    n = 0
    for name, entry in sorted(CASES.items()):
        if args.only and not re.search(args.only, name):
            continue
        opset, build = entry if isinstance(entry, tuple) else entry()
        b = Builder(name, opset)
        build(b)
        b.save(args.out)
        n += 1
    print(f"make_cases.py: wrote {n} cases under {args.out}")


if __name__ == "__main__":
    main()
