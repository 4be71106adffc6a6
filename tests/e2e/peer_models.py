#!/usr/bin/python3
"""The six peer-baseline models through Nuri, compared with ONNX Runtime's outputs.

    /usr/bin/python3 tests/e2e/peer_models.py BUILD_DIR WORKDIR [--models mlp,bert4] [--rtol 1e-3] [--atol 1e-4]
        [--target npu,cpu --device npu-sim --metric bf16] [--npu-preset datacenter]
        [--target vulkan,cpu --device vulkan --vulkan-target generic]

1. tests/models/make_models.py writes mlp, resnet18, mobilenetv2, bert4, matmul1024, conv3x3_64 (seeded,
   opset 17) to WORKDIR/models (skipped when they are there and newer than the script).
2. benchmarks/peers/ensure_ort.sh installs onnxruntime-node 1.30.0 (npm ci) if it is missing.
3. benchmarks/peers/ort_bench.mjs (1 thread, one run) dumps the seeded inputs and ORT's outputs to WORKDIR/ort.
4. nuri-compile each model (--target cpu), nuri-run it on the dumped inputs, compare every output with ORT's:
   same shape and dtype, then allclose(rtol, atol) (--metric f32), or for a device that computes in bf16
   (--metric bf16) cosine similarity >= --min-cosine and relative L2 error ||got-ort||/||ort|| <= --max-rel-l2.
   On npu-sim it also writes WORKDIR/nuri/MODEL/stats.json and prints the simulated cycles, roofline_cycles,
   their ratio, MAC utilization, DRAM bytes and the simulator's wall time (the benchmark in docs/npu.md).
Exit: 0 all match, 1 any failure or mismatch, 2 usage/setup error. Needs Debian's python3-onnx/numpy and node.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PEERS = os.path.join(REPO, "benchmarks", "peers")
MAKE_MODELS = os.path.join(REPO, "tests", "models", "make_models.py")
ALL_MODELS = ["mlp", "resnet18", "mobilenetv2", "bert4", "matmul1024", "conv3x3_64"]


def sanitize(name):
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def run(cmd, timeout, **kw):
    """-> (rc or None on timeout, combined output). Kills the whole process group on timeout."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, **kw)
    try:
        out, _ = p.communicate(timeout=timeout)
        return p.returncode, out.decode(errors="replace")
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        return None, out.decode(errors="replace")


def tail(text, n=5):
    lines = [l for l in text.splitlines() if l.strip()]
    return "\n".join("    | " + l for l in lines[-n:])


def ensure_models(workdir, models):
    mdir = os.path.join(workdir, "models")
    paths = [os.path.join(mdir, m + ".onnx") for m in models]
    src_time = os.path.getmtime(MAKE_MODELS)
    if all(os.path.exists(p) and os.path.getmtime(p) >= src_time for p in paths):
        return paths
    print(f"== generating models -> {mdir}", flush=True)
    subprocess.run([sys.executable, MAKE_MODELS, mdir], check=True)
    return paths


def compare_bf16(g, w, min_cosine, max_rel_l2):
    """Cosine and relative L2 error: elementwise tolerances do not fit bf16 products summed in fp32."""
    g, w = g.ravel(), w.ravel()
    norm_w, norm_g = float(np.linalg.norm(w)), float(np.linalg.norm(g))
    if not np.isfinite(g).all():
        return False, "non-finite values"
    cosine = float(g @ w / (norm_g * norm_w)) if norm_g and norm_w else float(norm_g == norm_w)
    rel_l2 = float(np.linalg.norm(g - w) / norm_w) if norm_w else float(np.linalg.norm(g))
    summary = f"cosine={cosine:.6f} rel_l2={rel_l2:.2e} max_abs_err={float(np.abs(g - w).max()):.3g}"
    if cosine >= min_cosine and rel_l2 <= max_rel_l2:
        return True, summary
    return False, f"outside cosine>={min_cosine:g} rel_l2<={max_rel_l2:g}; {summary}"


def compare(got, want, args, model):
    """-> (ok, one-line summary)"""
    rtol, atol = args.rtol, args.atol
    if got.dtype != want.dtype:
        return False, f"dtype {got.dtype} != ORT {want.dtype}"
    if got.shape != want.shape:
        return False, f"shape {list(got.shape)} != ORT {list(want.shape)}"
    g, w = got.astype(np.float64), want.astype(np.float64)
    if args.metric == "bf16" and got.dtype.kind == "f":
        bound = dict(x.split("=", 1) for x in args.model_max_rel_l2).get(model, args.max_rel_l2)
        return compare_bf16(g, w, args.min_cosine, float(bound))
    d = np.abs(g - w)
    max_abs = float(np.nanmax(d)) if d.size else 0.0
    max_rel = float(np.nanmax(d / np.maximum(np.abs(w), 1e-30))) if d.size else 0.0
    close = np.isclose(g, w, rtol=rtol, atol=atol, equal_nan=True)
    summary = f"max_abs_err={max_abs:.3g} max_rel_err={max_rel:.3g} max|ort|={float(np.abs(w).max()) if w.size else 0:.3g}"
    if close.all():
        return True, summary
    return False, f"{int((~close).sum())}/{close.size} values outside rtol={rtol:g} atol={atol:g}; {summary}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="Exit: 0 all match, 1 failure/mismatch, 2 usage/setup error.")
    ap.add_argument("build", help="build folder with bin/nuri-compile and bin/nuri-run")
    ap.add_argument("workdir", help="scratch folder (models, ORT dumps, artifacts); reused across runs")
    ap.add_argument("--models", default=",".join(ALL_MODELS), help="comma-separated subset of: " + ",".join(ALL_MODELS))
    ap.add_argument("--rtol", type=float, default=1e-3)
    ap.add_argument("--atol", type=float, default=1e-4)
    ap.add_argument("--target", default="cpu")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--npu-preset", default=None, help="nuri-compile --npu-preset (with --target npu,...)")
    ap.add_argument("--vulkan-target", default=None,
                    help="nuri-compile --vulkan-target (with --target vulkan,...)")
    ap.add_argument("--metric", choices=["f32", "bf16"], default="f32",
                    help="f32: allclose(rtol, atol); bf16: cosine and relative L2 error [%(default)s]")
    ap.add_argument("--min-cosine", type=float, default=0.999)
    ap.add_argument("--max-rel-l2", type=float, default=1e-2)
    ap.add_argument("--model-max-rel-l2", action="append", default=[], metavar="MODEL=VALUE",
                    help="a looser relative L2 bound for one model, with the reason in the caller (repeatable)")
    ap.add_argument("--threads", type=int, default=1, help="nuri-run --threads [%(default)s]")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per tool invocation [%(default)s]")
    args = ap.parse_args()

    models = [m for m in args.models.split(",") if m]
    bad = [m for m in models if m not in ALL_MODELS]
    if bad or not models:
        ap.error(f"unknown model(s) {bad}; choose from {ALL_MODELS}")
    build = os.path.abspath(args.build)
    compile_tool, run_tool = os.path.join(build, "bin", "nuri-compile"), os.path.join(build, "bin", "nuri-run")
    for t in (compile_tool, run_tool):
        if not os.access(t, os.X_OK):
            print(f"peer_models: error: {t} not found (build first)", file=sys.stderr)
            return 2
    workdir = os.path.abspath(args.workdir)
    os.makedirs(workdir, exist_ok=True)

    paths = ensure_models(workdir, models)
    if subprocess.run([os.path.join(PEERS, "ensure_ort.sh")]).returncode != 0:
        print("peer_models: error: onnxruntime-node is not available", file=sys.stderr)
        return 2
    ort_dir = os.path.join(workdir, "ort")
    print(f"== ORT reference outputs -> {ort_dir}", flush=True)
    rc, out = run(["node", os.path.join(PEERS, "ort_bench.mjs"), "--threads=1", "--warmup=0", "--runs=1", "--min-time=0",
                   f"--out={ort_dir}", f"--json={os.path.join(ort_dir, 'bench.json')}"] + paths, args.timeout * len(paths))
    if rc != 0:
        print(f"peer_models: error: ort_bench.mjs failed (exit {rc})\n{tail(out, 20)}", file=sys.stderr)
        return 2

    failures, rows = [], []
    for model, path in zip(models, paths):
        m = onnx.load(path, load_external_data=False)
        inits = {t.name for t in m.graph.initializer}
        in_names = [vi.name for vi in m.graph.input if vi.name not in inits]
        out_names = [vi.name for vi in m.graph.output]
        mwork = os.path.join(workdir, "nuri", model)
        os.makedirs(mwork, exist_ok=True)
        artifact = os.path.join(mwork, model + ".nuri")
        if os.path.exists(artifact):
            os.remove(artifact)
        t0 = time.monotonic()
        ccmd = [compile_tool, path, "-o", artifact, "--target", args.target]
        if args.npu_preset:
            ccmd += ["--npu-preset", args.npu_preset]
        if args.vulkan_target:
            ccmd += ["--vulkan-target", args.vulkan_target]
        rc, out = run(ccmd, args.timeout)
        t_compile = time.monotonic() - t0
        if rc != 0:
            failures.append(model)
            print(f"FAIL  {model}: nuri-compile {'timed out' if rc is None else f'exit {rc}'}\n{tail(out)}", flush=True)
            continue
        outdir = os.path.join(mwork, "out")
        cmd = [run_tool, artifact, "--device", args.device, "--output-dir", outdir, "--quiet", "--threads", str(args.threads)]
        cmd += [x for n in in_names for x in ("--input", f"{n}={os.path.join(ort_dir, model, 'inputs', sanitize(n) + '.npy')}")]
        stats_path = os.path.join(mwork, "stats.json")
        if args.device == "npu-sim":
            cmd += ["--stats-json", stats_path]
        t0 = time.monotonic()
        rc, out = run(cmd, args.timeout)
        t_run = time.monotonic() - t0
        if rc != 0:
            failures.append(model)
            print(f"FAIL  {model}: nuri-run {'timed out' if rc is None else f'exit {rc}'}\n{tail(out)}", flush=True)
            continue
        ok_all = True
        for name in out_names:
            want = np.load(os.path.join(ort_dir, model, "ort_t1", sanitize(name) + ".npy"))
            got_path = os.path.join(outdir, sanitize(name) + ".npy")
            if not os.path.exists(got_path):
                ok, summary = False, f"nuri-run wrote no {os.path.basename(got_path)}"
            else:
                ok, summary = compare(np.load(got_path), want, args, model)
            ok_all &= ok
            print(f"{'ok  ' if ok else 'FAIL'}  {model}:{name}  {summary}  (compile {t_compile:.1f}s, run {t_run:.1f}s)", flush=True)
        if args.device == "npu-sim" and os.path.exists(stats_path):
            with open(stats_path) as f:
                st = json.load(f)
            print(f"      {model}: cycles={st['cycles']} roofline_cycles={st['roofline_cycles']} "
                  f"ratio={st['cycles_over_roofline']:.2f} mac_utilization={st['mac_utilization']:.3f} "
                  f"dram_bytes={st['dram_bytes']} npu_dispatches={st['npu_dispatches']} "
                  f"host_fallback_dispatches={st['host_fallback']['dispatches']} "
                  f"simulator_seconds={st['simulator_seconds']:.2f}", flush=True)
        if not ok_all:
            failures.append(model)
    tolerance = (f"cosine>={args.min_cosine:g} rel_l2<={args.max_rel_l2:g}" if args.metric == "bf16"
                 else f"rtol={args.rtol:g} atol={args.atol:g}")
    print(f"peer models on {args.device} (--target {args.target}): {len(models) - len(failures)}/{len(models)} match ORT ({tolerance})"
          + (f"; failed: {' '.join(failures)}" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
