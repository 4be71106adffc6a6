#!/usr/bin/env python3
"""Both halves of a vendor's chip as plugins: the example target
(examples/vendor-target, `nuri-compile --plugin`) compiles a small CNN for
vendor-npu,cpu, its convolution falling back with the chip's reason; the
artifact runs on npu-sim and on the npu-sim driver plugin (`nuri-run
--driver-plugin`) with the same outputs, within bf16 tolerance of the cpu.
Bad plugins are one-line errors naming the file.

usage: vendor_plugins.py BUILD_DIR WORK_DIR
"""
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def run(cmd, env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    return p.returncode, p.stdout + p.stderr


def model(path):
    rng = np.random.default_rng(7)
    w = numpy_helper.from_array((rng.standard_normal((8, 4, 3, 3)) * 0.2).astype(np.float32), "w")
    fc = numpy_helper.from_array((rng.standard_normal((8 * 16 * 16, 32)) * 0.05).astype(np.float32), "fc")
    shape = numpy_helper.from_array(np.array([1, 8 * 16 * 16], np.int64), "shape")
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1], name="conv"),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("Reshape", ["r", "shape"], ["f"], name="flatten"),
        helper.make_node("MatMul", ["f", "fc"], ["y"], name="fc"),
    ]
    g = helper.make_graph(nodes, "vendor_cnn",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 16, 16])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 32])], [w, fc, shape])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)


def main():
    build, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    bins, libs = os.path.join(build, "bin"), os.path.join(build, "lib")
    compile_, run_ = os.path.join(bins, "nuri-compile"), os.path.join(bins, "nuri-run")
    target = os.path.join(libs, "libnuri_vendor_target.so")
    driver = os.path.join(libs, "libnuri_npu_sim_plugin.so")
    bad = os.path.join(libs, "libnuri_bad_target_plugin.so")
    onnx_path, artifact = os.path.join(work, "cnn.onnx"), os.path.join(work, "cnn.nuri")
    model(onnx_path)
    failures = []

    def check(ok, what):
        print(("ok    " if ok else "FAIL  ") + what)
        if not ok:
            failures.append(what)

    rc, log = run([compile_, onnx_path, "-o", artifact, "--plugin", target, "--target", "vendor-npu,cpu",
                   "--report"])
    check(rc == 0, f"nuri-compile --plugin --target vendor-npu,cpu (exit {rc})")
    if rc != 0:
        print(log)
        return 1
    check("vendor-npu has no convolution unit" in log, "the convolution falls back with the chip's reason")
    check(any("vendor-npu" in l and "fc" in l for l in log.splitlines()), "the MatMul runs on vendor-npu")

    x = os.path.join(work, "x.npy")
    np.save(x, np.random.default_rng(0).standard_normal((1, 4, 16, 16)).astype(np.float32))
    outs = {}
    for name, extra in [("cpu", ["--device", "cpu"]), ("npu-sim", ["--device", "npu-sim"]),
                        ("npu-sim-plugin", ["--driver-plugin", driver, "--device", "npu-sim-plugin"])]:
        odir = os.path.join(work, name)
        rc, log = run([run_, artifact, "--input", x, "--output-dir", odir] + extra)
        check(rc == 0, f"nuri-run on {name} (exit {rc})")
        if rc != 0:
            print(log)
            continue
        outs[name] = np.load(os.path.join(odir, "y.npy")).astype(np.float64)
    if len(outs) == 3:
        check(np.array_equal(outs["npu-sim"], outs["npu-sim-plugin"]), "npu-sim-plugin gives npu-sim's outputs bit for bit")
        a, b = outs["npu-sim"].ravel(), outs["cpu"].ravel()
        cos = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
        rel = float(np.linalg.norm(a - b) / np.linalg.norm(b))
        check(cos >= 0.999 and rel <= 3e-2, f"npu-sim vs cpu: cosine {cos:.6f}, relative L2 {rel:.2e}")

    # Bad plugins and a target nobody loaded.
    text = os.path.join(work, "not_a_plugin.so")
    with open(text, "w") as f:
        f.write("not a shared library\n")
    for args, says in [
        (["--plugin", "/nonexistent/libfoo_target.so"], "no such file"),
        (["--plugin", text], "does not load"),
        (["--plugin", bad], "target ABI version 999"),
        (["--plugin", os.path.join(libs, "libnuri_npu_sim_plugin.so")], "exports no nuri_target_plugin"),
        ([], "unknown target 'vendor-npu'"),
    ]:
        rc, log = run([compile_, onnx_path, "-o", os.path.join(work, "bad.nuri"), "--target", "vendor-npu,cpu"] + args)
        check(rc == 1 and says in log and len(log.strip().splitlines()) == 1,
              f"nuri-compile {' '.join(args) or '(no plugin)'}: exit {rc}, '{log.strip()}'")
    env = dict(os.environ, NURI_PLUGIN_PATH=libs + "/nonexistent:" + target)
    rc, log = run([compile_, onnx_path, "-o", os.path.join(work, "env.nuri"), "--target", "vendor-npu,cpu"], env)
    check(rc == 1 and "nonexistent" in log, "NURI_PLUGIN_PATH with a missing entry is an error naming it")
    env = dict(os.environ, NURI_PLUGIN_PATH=target)
    rc, log = run([compile_, onnx_path, "-o", os.path.join(work, "env.nuri"), "--target", "vendor-npu,cpu"], env)
    check(rc == 0, f"NURI_PLUGIN_PATH loads the target (exit {rc})")
    print(f"vendor plugins: {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
