#!/usr/bin/python3
"""Models exported by torch.onnx.export through Nuri, compared with ONNX Runtime on seeded inputs.

    /usr/bin/python3 tests/e2e/real_models.py BUILD_DIR WORKDIR [--models vit,swin] [--target npu,cpu
        --device npu-sim --metric bf16]

1. tests/models/make_real_models.py exports the models to WORKDIR/models (skipped when they are there and
   newer than the script); each comes with NAME.json: its inputs, and for symbolic dimensions the sizes
   to run at (keys starting with '_' are not dimensions: `_scale` multiplies the seeded inputs, so that
   a detector finds a different number of boxes; an input with `"from": "_sr"` is that key's value);
   `variants` compile it more than once with their own nuri-compile flags and optionally their own
   `sizes` (`--input-value` freezes an input, which ORT is fed as `fixed`); `chunks` runs that many
   consecutive inputs, `state` naming the outputs fed back as the next chunk's inputs (each side its own).
2. Each model is compiled once (nuri-compile, no --input-shape: symbolic dimensions stay symbolic), then
   run at every size with seeded inputs (numpy, seed 0); ORT (benchmarks/peers/ort_run.mjs) runs the same
   inputs.
3. Outputs are compared: same shape and dtype, then allclose(rtol 1e-3, atol 1e-4) for f32 results; for a
   device that computes in bf16 (--metric bf16) or a model computed in fp16, cosine >= 0.999 and relative
   L2 <= 3e-2; integers exactly.
Exit: 0 all match, 1 any failure or mismatch, 2 usage/setup error.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PEERS = os.path.join(REPO, "benchmarks", "peers")
MAKE = os.path.join(REPO, "tests", "models", "make_real_models.py")
sys.path.insert(0, HERE)
from peer_models import compare_bf16, run, sanitize, tail  # noqa: E402

ALL_MODELS = ["vit", "swin", "fp16_cast", "lstm", "idioms", "ssd", "vad", "cnn_dyn", "bert_dyn"]


def ensure_models(workdir, models):
    mdir = os.path.join(workdir, "models")
    src_time = os.path.getmtime(MAKE)
    stale = [m for m in models if not os.path.exists(os.path.join(mdir, m + ".json"))
             or os.path.getmtime(os.path.join(mdir, m + ".json")) < src_time]
    if stale:
        print(f"== exporting {','.join(stale)} -> {mdir}", flush=True)
        subprocess.run([sys.executable, MAKE, mdir, "--models", ",".join(stale)], check=True,
                       stdout=subprocess.DEVNULL)
    return mdir


def make_inputs(info, size, rng, folder, skip=()):
    """Seeded inputs for one size (but those in `skip`) -> {name: path}."""
    os.makedirs(folder, exist_ok=True)
    feeds = {}
    for name, spec in info["inputs"].items():
        if name in skip:
            continue
        shape = [size[d] if isinstance(d, str) else d for d in spec["shape"]]
        if "from" in spec:
            x = np.full(shape, size[spec["from"]], spec["dtype"])
        elif spec.get("zeros"):
            x = np.zeros(shape, spec["dtype"])
        elif spec["dtype"].startswith("int"):
            x = rng.integers(0, spec.get("high", 10), size=shape).astype(spec["dtype"])
        else:
            x = (rng.standard_normal(shape) * size.get("_scale", 1.0)).astype(spec["dtype"])
        path = os.path.join(folder, sanitize(name) + ".npy")
        np.save(path, x)
        feeds[name] = path
    return feeds


def compare(got, want, metric):
    if got.dtype != want.dtype:
        return False, f"dtype {got.dtype} != ORT {want.dtype}"
    if got.shape != want.shape:
        return False, f"shape {list(got.shape)} != ORT {list(want.shape)}"
    if got.size == 0:
        return True, "empty, as ORT's"
    if got.dtype.kind != "f":
        bad = int((got != want).sum())
        return bad == 0, f"{bad}/{got.size} integers differ"
    g, w = got.astype(np.float64), want.astype(np.float64)
    if metric in ("bf16", "f16"):
        return compare_bf16(g, w, 0.999, 3e-2)
    close = np.isclose(g, w, rtol=1e-3, atol=1e-4, equal_nan=True)
    summary = f"max_abs_err={float(np.abs(g - w).max()) if g.size else 0:.3g}"
    if close.all():
        return True, summary
    return False, f"{int((~close).sum())}/{close.size} values outside rtol=1e-3 atol=1e-4; {summary}"


def run_variant(model, info, variant, mdir, workdir, tools, args):
    """Compiles one variant (its own nuri-compile flags) once, runs it at every size over `chunks` consecutive
    inputs (state outputs fed back as the next chunk's inputs, on each side its own) -> failed labels."""
    failures = []
    name = model + (f"@{variant['label']}" if variant["label"] else "")
    onnx_path = os.path.join(mdir, model + ".onnx")
    mwork = os.path.join(workdir, "nuri", name)
    os.makedirs(mwork, exist_ok=True)
    artifact = os.path.join(mwork, model + ".nuri")
    if os.path.exists(artifact):
        os.remove(artifact)
    t0 = time.monotonic()
    rc, out = run([tools["nuri-compile"], onnx_path, "-o", artifact, "--target", args.target] + variant["compile"],
                  args.timeout)
    t_compile = time.monotonic() - t0
    if rc != 0:
        print(f"FAIL  {name}: nuri-compile {'timed out' if rc is None else f'exit {rc}'}\n{tail(out)}", flush=True)
        return [name]
    metric = info.get("metric", "f32") if args.metric == "f32" else args.metric
    state = info.get("state", {})  # output -> the input it feeds in the next chunk
    rng = np.random.default_rng(0)
    for k, size in enumerate(variant.get("sizes", info.get("sizes", [{}]))):
        carried = {}  # side -> {input: path}
        for chunk in range(info.get("chunks", 1)):
            label = name + ("" if not size else "[" + ",".join(f"{d.lstrip('_')}={v}" for d, v in size.items()) + "]")
            if info.get("chunks", 1) > 1:
                label += f"#{chunk}"
            case = os.path.join(mwork, f"size{k}", f"chunk{chunk}")
            feeds = make_inputs(info, size, rng, os.path.join(case, "inputs"), variant.get("fixed", {}))
            fixed = {}
            for n, spec in variant.get("fixed", {}).items():  # frozen in Nuri's artifact, fed to ORT
                fixed[n] = os.path.join(case, "inputs", sanitize(n) + "_fixed.npy")
                np.save(fixed[n], np.array(spec["value"], spec["dtype"]))
            side = {s: dict(feeds, **carried.get(s, {})) for s in ("ort", "nuri")}
            rc, out = run(["node", os.path.join(PEERS, "ort_run.mjs"), onnx_path, os.path.join(case, "ort")] +
                          [f"{n}={p}" for n, p in dict(side["ort"], **fixed).items()], args.timeout)
            if rc != 0:
                print(f"real_models: error: ORT failed on {label}\n{tail(out, 10)}", file=sys.stderr)
                return failures + [label]
            cmd = [tools["nuri-run"], artifact, "--device", args.device, "--output-dir", os.path.join(case, "nuri"),
                   "--quiet"] + [x for n, p in side["nuri"].items() for x in ("--input", f"{n}={p}")]
            t0 = time.monotonic()
            rc, out = run(cmd, args.timeout)
            t_run = time.monotonic() - t0
            if rc != 0:
                failures.append(label)
                print(f"FAIL  {label}: nuri-run {'timed out' if rc is None else f'exit {rc}'}\n{tail(out)}", flush=True)
                break
            for out_name in sorted(os.listdir(os.path.join(case, "ort"))):
                want = np.load(os.path.join(case, "ort", out_name))
                got_path = os.path.join(case, "nuri", out_name)
                ok, summary = (compare(np.load(got_path), want, metric) if os.path.exists(got_path)
                               else (False, f"nuri-run wrote no {out_name}"))
                if not ok:
                    failures.append(label)
                print(f"{'ok  ' if ok else 'FAIL'}  {label}:{out_name[:-4]}  {summary}  "
                      f"(compile {t_compile:.1f}s, run {t_run:.1f}s)", flush=True)
            for s in ("ort", "nuri"):
                carried[s] = {inp: os.path.join(case, s, sanitize(o) + ".npy") for o, inp in state.items()}
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build")
    ap.add_argument("workdir")
    ap.add_argument("--models", default=",".join(ALL_MODELS), help="subset of: " + ",".join(ALL_MODELS))
    ap.add_argument("--target", default="cpu")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--metric", choices=["f32", "bf16"], default="f32")
    ap.add_argument("--timeout", type=float, default=600)
    args = ap.parse_args()
    models = [m for m in args.models.split(",") if m]
    if not models or any(m not in ALL_MODELS for m in models):
        ap.error(f"choose models from {ALL_MODELS}")
    build, workdir = os.path.abspath(args.build), os.path.abspath(args.workdir)
    tools = {t: os.path.join(build, "bin", t) for t in ("nuri-compile", "nuri-run")}
    if not all(os.access(t, os.X_OK) for t in tools.values()):
        print("real_models: error: build first (bin/nuri-compile, bin/nuri-run)", file=sys.stderr)
        return 2
    if subprocess.run([os.path.join(PEERS, "ensure_ort.sh")]).returncode != 0:
        print("real_models: error: onnxruntime-node is not available", file=sys.stderr)
        return 2
    mdir = ensure_models(workdir, models)
    failures = []
    for model in models:
        with open(os.path.join(mdir, model + ".json")) as f:
            info = json.load(f)
        for variant in info.get("variants", [{"label": "", "compile": [], "fixed": {}}]):
            failures += run_variant(model, info, variant, mdir, workdir, tools, args)
    print(f"== {len(failures)} failure(s)" + (": " + ", ".join(failures) if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
