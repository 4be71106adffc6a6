#!/usr/bin/python3
"""Checks of the vulkan target that need no ORT: every SPIR-V kernel of the six peer models passes spirv-val,
for both --vulkan-target presets,
and one artifact compiled for vulkan,npu,cpu gives the same outputs on vulkan, npu-sim, cpu and auto.

    /usr/bin/python3 tests/e2e/vulkan_checks.py BUILD_DIR WORKDIR [--models mlp,bert4]

1. tests/models/make_models.py writes the six peer models to WORKDIR/models (skipped when they are there).
2. nuri-compile --target vulkan,cpu --vulkan-target lavapipe|generic --emit spirv gives each model's kernels as spirv.modules;
   mlir-translate --serialize-spirv writes each as a binary and `spirv-val --target-env vulkan1.1` checks it.
3. mlp and resnet18 are compiled once for vulkan,npu,cpu and run on each device on the same seeded input:
   vulkan and cpu agree at f32 tolerances (rtol 1e-3, atol 1e-4), npu-sim (bf16 on the NPU) by cosine
   >= 0.999 and relative L2 <= 3e-2; auto must pick vulkan (the first present device the artifact has code for).
Exit: 0 all pass, 1 any failure, 2 usage/setup error.
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from peer_models import ALL_MODELS, compare_bf16, ensure_models, run, tail  # noqa: E402

TOOLS = "/usr/lib/llvm-22/bin"


def check_spirv(tools, mdir, work, models, timeout, preset):
    failures = []
    for m in models:
        out = os.path.join(work, preset, m)
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        text = os.path.join(out, "kernels.mlir")
        rc, log = run([tools["nuri-compile"], os.path.join(mdir, m + ".onnx"), "--target", "vulkan,cpu",
                       "--vulkan-target", preset, "--emit", "spirv", "-o", text], timeout)
        if rc != 0:
            print(f"FAIL  {m}: nuri-compile --emit spirv exit {rc}\n{tail(log)}")
            failures.append(m)
            continue
        rc, log = run([os.path.join(TOOLS, "mlir-translate"), "--no-implicit-module", "--split-input-file",
                       "--serialize-spirv", "--spirv-save-validation-files-with-prefix=" + os.path.join(out, "k_"),
                       text, "-o", os.devnull], timeout)
        kernels = sorted(glob.glob(os.path.join(out, "k_*")))
        if rc != 0 or not kernels:
            print(f"FAIL  {m}: mlir-translate --serialize-spirv exit {rc}, {len(kernels)} kernels\n{tail(log)}")
            failures.append(m)
            continue
        bad = []
        for k in kernels:
            rc, log = run(["spirv-val", "--target-env", "vulkan1.1", k], timeout)
            if rc != 0:
                bad.append(os.path.basename(k) + ": " + log.strip().splitlines()[0] if log.strip() else "")
        if bad:
            print(f"FAIL  {m} ({preset}): {len(bad)}/{len(kernels)} kernels rejected by spirv-val\n    | "
                  + "\n    | ".join(bad[:5]))
            failures.append(f"{m}@{preset}")
        else:
            # Kernels with workgroup memory: generic stages the operands of
            # matmul1024's one kernel and reduces bert4's LayerNorm and
            # Softmax rows with the workgroup; lavapipe does neither.
            shared = sum(1 for k in open(text).read().split("spirv.module @")[1:] if ", Workgroup>" in k)
            print(f"ok    {m} ({preset}): {len(kernels)} SPIR-V kernels pass spirv-val (vulkan1.1), "
                  f"{shared} with workgroup memory (staged operands or row reductions)")
            if m in ("matmul1024", "bert4") and (shared > 0) != (preset == "generic"):
                print(f"FAIL  {m} ({preset}): {shared} kernels with workgroup memory")
                failures.append(f"{m}@{preset}")
    return failures


def check_devices(tools, mdir, work, models, timeout):
    failures = []
    for m in models:
        out = os.path.join(work, "devices", m)
        os.makedirs(out, exist_ok=True)
        artifact = os.path.join(out, m + ".nuri")
        rc, log = run([tools["nuri-compile"], os.path.join(mdir, m + ".onnx"), "--target", "vulkan,npu,cpu",
                       "-o", artifact], timeout)
        if rc != 0:
            print(f"FAIL  {m}: nuri-compile --target vulkan,npu,cpu exit {rc}\n{tail(log)}")
            failures.append(m)
            continue
        import onnx
        model = onnx.load(os.path.join(mdir, m + ".onnx"), load_external_data=False)
        inits = {i.name for i in model.graph.initializer}
        x = [i for i in model.graph.input if i.name not in inits][0]
        shape = [d.dim_value for d in x.type.tensor_type.shape.dim]
        feed = os.path.join(out, "input.npy")
        np.save(feed, np.random.default_rng(0).standard_normal(shape).astype(np.float32))
        results = {}
        for device in ("cpu", "vulkan", "npu-sim", "auto"):
            odir = os.path.join(out, device)
            rc, log = run([tools["nuri-run"], artifact, "--device", device, "--input", feed, "--output-dir", odir],
                          timeout)
            if rc != 0:
                print(f"FAIL  {m}: nuri-run --device {device} exit {rc}\n{tail(log)}")
                failures.append(f"{m}@{device}")
                continue
            picked = [l.split()[1] for l in log.splitlines() if l.startswith("device ")]
            # On vulkan the weights and the intermediates only shaders touch
            # live in device-local memory (staged in at session creation).
            local = [float(l.split("device-local=")[1].split("MiB")[0])
                     for l in log.splitlines() if l.startswith("buffers device-local=")]
            if device == "vulkan":
                if not local or local[0] <= 0:
                    print(f"FAIL  {m}: no device-local buffers on vulkan ({local})")
                    failures.append(f"{m}@device-local")
                else:
                    print(f"ok    {m}: {local[0]:.1f} MiB device-local on vulkan")
            elif device in ("cpu", "npu-sim") and local:
                print(f"FAIL  {m}: {device} reports device-local buffers")
                failures.append(f"{m}@{device}-memory")
            if device == "auto" and picked != ["vulkan"]:
                print(f"FAIL  {m}: --device auto picked {picked}, not vulkan")
                failures.append(f"{m}@auto")
            results[device] = {f: np.load(os.path.join(odir, f)) for f in sorted(os.listdir(odir))}
        if "cpu" not in results:
            continue
        for device, outs in results.items():
            if device == "cpu":
                continue
            for name, got in outs.items():
                want = results["cpu"][name].astype(np.float64)
                g = got.astype(np.float64)
                if device == "npu-sim":
                    ok, summary = compare_bf16(g, want, 0.999, 3e-2)
                else:
                    ok = got.shape == want.shape and np.allclose(g, want, rtol=1e-3, atol=1e-4)
                    summary = f"max_abs_err={float(np.abs(g - want).max()):.3g}" if got.shape == want.shape else "shape"
                print(f"{'ok  ' if ok else 'FAIL'}  {m}: {device} vs cpu {name}: {summary}")
                if not ok:
                    failures.append(f"{m}@{device}")
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build")
    ap.add_argument("workdir")
    ap.add_argument("--models", default=",".join(ALL_MODELS))
    ap.add_argument("--timeout", type=int, default=600)
    args = ap.parse_args()
    tools = {t: os.path.join(os.path.abspath(args.build), "bin", t) for t in ("nuri-compile", "nuri-run")}
    if not all(os.access(t, os.X_OK) for t in tools.values()):
        print("vulkan_checks: error: build first (bin/nuri-compile, bin/nuri-run)", file=sys.stderr)
        return 2
    if not shutil.which("spirv-val"):
        print("vulkan_checks: error: spirv-val not found (Debian package spirv-tools)", file=sys.stderr)
        return 2
    work = os.path.abspath(args.workdir)
    models = args.models.split(",")
    ensure_models(work, models)
    mdir = os.path.join(work, "models")
    failures = []
    # lavapipe (the default preset) and generic, whose kernels stage matmul and convolution operands in
    # workgroup memory.
    for preset in ("lavapipe", "generic"):
        failures += check_spirv(tools, mdir, os.path.join(work, "spirv"), models, args.timeout, preset)
    failures += check_devices(tools, mdir, work, [m for m in ("mlp", "resnet18") if m in models], args.timeout)
    print(f"== {len(failures)} failure(s)" + (": " + ", ".join(failures) if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
