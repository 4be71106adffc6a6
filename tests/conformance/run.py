#!/usr/bin/python3
"""ONNX backend test suite (Debian's libonnx-testdata, plus tests/conformance/opset18plus) through
nuri-compile + nuri-run, scored like ONNX's own runner.

    /usr/bin/python3 tests/conformance/run.py [--build build] [--out DIR] [-j 2] [--suites node,...]
                                              [--filter REGEX] [--list] [--write-docs docs/conformance.md]

Every case of every suite runs (no op filter): nuri-compile model.onnx, then for each test_data_set_*
nuri-run with input_<i>.pb bound to the i-th graph input that is not an initializer, and every
output_<i>.pb (or .npy) compared with what nuri-run wrote: same dtype and shape; integers, bools and strings exact;
floats allclose(rtol 1e-3, atol 1e-7) with NaN == NaN, as onnx.backend.test.runner does.

Models are compiled for each data set's shapes where the model leaves them open: inputs with
non-fixed dimensions get --input-shape; a sequence input (SequenceProto .pb) gets --sequence-length
NAME:N and its elements are bound as NAME[k]; a sequence output is compared element by element with
nuri-run's NAME[k] outputs.

Expected failures are listed in expected_failures.txt (`suite/case  # reason`). Exit status: 0 when every
case passed or failed as expected; 1 on an unexpected failure or an unexpected pass (stale expectation);
2 on a usage error or missing tools. Writes <out>/results.tsv and <out>/results.json (one row per case)
and <out>/logs/<suite>__<case>.log for each failure. Needs Debian's python3-onnx and python3-numpy.
"""
import argparse
import concurrent.futures
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_DATA = "/usr/share/libonnx-testdata/data"
SUITES = ("node", "pytorch-converted", "pytorch-operator", "simple")
EXTRA_SUITES = {"opset18plus": os.path.join(HERE, "opset18plus")}
RTOL, ATOL = 1e-3, 1e-7


# ----------------------------------------------------------------------------- selection

def read_expectations(path):
    """suite/case -> reason, from lines `suite/case  # reason`."""
    exp = {}
    if not os.path.exists(path):
        return exp
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            body, _, reason = line.partition("#")
            body = body.strip()
            if not body:
                continue
            if len(body.split()) != 1 or "/" not in body or not reason.strip():
                raise SystemExit(f"run.py: error: {path}:{lineno}: expected `suite/case  # reason`")
            exp[body] = reason.strip()
    return exp


def graph_op_types(graph, acc):
    for node in graph.node:
        domain = node.domain if node.domain not in ("", "ai.onnx") else ""
        acc.add(node.op_type if not domain else f"{domain}::{node.op_type}")
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                graph_op_types(attr.g, acc)
            elif attr.type == onnx.AttributeProto.GRAPHS:
                for g in attr.graphs:
                    graph_op_types(g, acc)
    return acc


def model_op_types(model):
    ops = graph_op_types(model.graph, set())
    for fn in model.functions:  # model-local functions: their bodies run too
        for node in fn.node:
            domain = node.domain if node.domain not in ("", "ai.onnx") else ""
            ops.add(node.op_type if not domain else f"{domain}::{node.op_type}")
    return ops


def model_opset(model):
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            return o.version
    return 0


def discover(roots, pattern):
    """[(case_id, case_dir, ops, opset)] of every case under the suite folders."""
    cases = []
    for suite, root in roots:
        for model_path in sorted(glob.glob(os.path.join(root, "*", "model.onnx"))):
            case_dir = os.path.dirname(model_path)
            case_id = f"{suite}/{os.path.basename(case_dir)}"
            if pattern and not pattern.search(case_id):
                continue
            try:
                model = onnx.load(model_path, load_external_data=False)
                ops, opset = sorted(model_op_types(model)), model_opset(model)
            except Exception:  # unreadable model: the compiler must say so; the case still runs
                ops, opset = [], 0
            cases.append((case_id, case_dir, ops, opset))
    return cases


# ----------------------------------------------------------------------------- running

def sanitize(name):
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def run_cmd(cmd, timeout, log):
    """Run cmd in its own process group; kill the whole group on timeout. -> (rc or None on timeout, stderr)."""
    log.append("$ " + " ".join(cmd))
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = p.communicate(timeout=max(timeout, 1))
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = p.communicate()
        rc = None
    else:
        rc = p.returncode
    out, err = out.decode(errors="replace"), err.decode(errors="replace")
    if out.strip():
        log.append(out.rstrip())
    if err.strip():
        log.append(err.rstrip())
    log.append(f"-> exit {rc if rc is not None else 'TIMEOUT'}")
    return rc, err


def first_line(text, default=""):
    """The first line that mentions an error, else the first non-empty line."""
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    for line in lines:
        if "error" in line.lower():
            return line[:300]
    return lines[0][:300] if lines else default


def describe_exit(rc, err):
    if rc is None:
        return "timeout"
    if rc < 0 or rc >= 128:
        sig = -rc if rc < 0 else rc - 128
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        return f"crash ({name}) {first_line(err)}".strip()
    return f"exit {rc}: {first_line(err, '(no message)')}"


def load_pb(path):
    if path.endswith(".npy"):  # opset18plus stores ONNX Runtime's references as .npy
        return np.load(path, allow_pickle=False)
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def load_seq(path):
    """A SequenceProto file -> list of arrays."""
    seq = onnx.SequenceProto()
    with open(path, "rb") as f:
        seq.ParseFromString(f.read())
    return [np.asarray(a) for a in numpy_helper.to_list(seq)]


def load_opt(path):
    """An OptionalProto file -> ("tensor" | "sequence", value) or (None, None) when empty."""
    opt = onnx.OptionalProto()
    with open(path, "rb") as f:
        opt.ParseFromString(f.read())
    if opt.HasField("tensor_value"):
        return "tensor", numpy_helper.to_array(opt.tensor_value)
    if opt.HasField("sequence_value"):
        return "sequence", [np.asarray(a) for a in numpy_helper.to_list(opt.sequence_value)]
    return None, None


# --metric bf16: a device that computes in bf16 (the NPU) is held to the
# project's bf16 tolerance on floats instead: cosine >= 0.999 and relative
# L2 error <= 3e-2 (allclose where the expected values are all zero).
METRIC = "f32"


def compare(got, want):
    """-> None if equal within tolerance, else a one-line reason."""
    if want.dtype == object or want.dtype.kind in "US":
        # ONNX strings load as object arrays; nuri-run writes '<U' arrays.
        if got.dtype != object and got.dtype.kind not in "US":
            return f"dtype {got.dtype} != expected strings"
        text = lambda a: np.array([x.decode("utf-8") if isinstance(x, bytes) else str(x)
                                   for x in a.flat], dtype=object).reshape(a.shape)
        got, want = text(got), text(want)
    elif got.dtype != want.dtype:
        return f"dtype {got.dtype} != expected {want.dtype}"
    if got.shape != want.shape:
        return f"shape {list(got.shape)} != expected {list(want.shape)}"
    if want.size == 0:
        return None
    if np.issubdtype(want.dtype, np.floating) or np.issubdtype(want.dtype, np.complexfloating):
        g, w = got.astype(np.float64), want.astype(np.float64)
        if METRIC == "bf16" and np.isfinite(w).all() and np.isfinite(g).all() and np.linalg.norm(w) > 0:
            scale = max(float(np.abs(g).max()), float(np.abs(w).max()))  # no overflow in the squares
            gv, wv = g.ravel() / scale, w.ravel() / scale
            cos = float(gv @ wv / (np.linalg.norm(gv) * np.linalg.norm(wv))) if np.linalg.norm(gv) > 0 else 0.0
            rel = float(np.linalg.norm(gv - wv) / np.linalg.norm(wv))
            if cos >= 0.999 and rel <= 3e-2:
                return None
            return f"bf16 tolerance: cosine {cos:.6f}, relative L2 {rel:.3g}"
        ok = np.isclose(g, w, rtol=RTOL, atol=ATOL, equal_nan=True)
        if ok.all():
            return None
        finite = np.isfinite(g) & np.isfinite(w)
        err = np.abs(g - w)[finite]
        max_err = float(err.max()) if err.size else float("nan")
        return f"{int((~ok).sum())}/{ok.size} values differ, max abs err {max_err:.3g}"
    bad = got != want
    if not bad.any():
        return None
    i = int(np.flatnonzero(bad)[0])
    return f"{int(bad.sum())}/{bad.size} values differ, first at flat index {i}: {got.flat[i]} != {want.flat[i]}"


def dynamic_inputs(model, names):
    """Names of runtime inputs with a dimension that is not a fixed number."""
    dyn = set()
    for vi in model.graph.input:
        if vi.name not in names or not vi.type.HasField("tensor_type"):
            continue
        tt = vi.type.tensor_type
        if not tt.HasField("shape") or any(not d.HasField("dim_value") for d in tt.shape.dim):
            dyn.add(vi.name)
    return dyn


class Runner:
    def __init__(self, args, out_dir):
        self.compile = os.path.join(args.build, "bin", "nuri-compile")
        self.run = os.path.join(args.build, "bin", "nuri-run")
        self.target, self.device = args.target, args.device
        self.compile_plugins = [a for p in args.plugin for a in ("--plugin", p)]
        self.run_plugins = [a for p in args.driver_plugin for a in ("--driver-plugin", p)]
        self.timeout = args.timeout
        self.threads = args.threads
        self.out_dir = out_dir
        self.keep = args.keep

    def run_case(self, case, case_dir):
        """-> (passed, stage, detail, seconds, log_lines)"""
        t0 = time.monotonic()
        deadline = t0 + self.timeout
        log = [f"case {case} ({case_dir})"]
        work = os.path.join(self.out_dir, "work", case)
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        try:
            passed, stage, detail = self._run(case_dir, work, deadline, log)
        except Exception as e:  # harness trouble is a failure of the case, not of the whole run
            passed, stage, detail = False, "harness", f"{type(e).__name__}: {e}"
        secs = time.monotonic() - t0
        if passed and not self.keep:
            shutil.rmtree(work, ignore_errors=True)
        return passed, stage, detail, secs, log

    def _run(self, case_dir, work, deadline, log):
        model = onnx.load(os.path.join(case_dir, "model.onnx"), load_external_data=False)
        inits = {t.name for t in model.graph.initializer} | {t.name for t in model.graph.sparse_initializer}
        in_names = [vi.name for vi in model.graph.input if vi.name not in inits]
        out_names = [vi.name for vi in model.graph.output]
        seqs = set()  # sequence inputs/outputs: one nuri tensor per element, NAME[k]
        opts = set()  # optional inputs/outputs: their element, or nothing when empty
        for vi in list(model.graph.input) + list(model.graph.output):
            if vi.name in inits or vi.type.HasField("tensor_type"):
                continue
            t = vi.type
            if t.HasField("optional_type"):
                opts.add(vi.name)
                t = t.optional_type.elem_type
                if t.HasField("tensor_type"):
                    continue
            if t.HasField("sequence_type") and t.sequence_type.elem_type.HasField("tensor_type"):
                seqs.add(vi.name)
                continue
            return False, "harness", f"non-tensor graph input/output {vi.name!r} ({vi.type.WhichOneof('value')})"
        dyn = dynamic_inputs(model, set(in_names))
        declared = {vi.name: tuple(d.dim_value for d in vi.type.tensor_type.shape.dim)
                    for vi in model.graph.input if vi.HasField("type") and vi.type.HasField("tensor_type")}
        sets = sorted(glob.glob(os.path.join(case_dir, "test_data_set_*")))
        if not sets:
            return False, "harness", "no test_data_set_* folders"

        compiled = {}  # shape signature -> artifact
        for ds in sets:
            ds_name = os.path.basename(ds)
            in_files = sorted(glob.glob(os.path.join(ds, "input_*.pb")) + glob.glob(os.path.join(ds, "input_*.npy")), key=lambda p: int(re.findall(r"\d+", os.path.basename(p))[0]))
            out_files = sorted(glob.glob(os.path.join(ds, "output_*.pb")) + glob.glob(os.path.join(ds, "output_*.npy")), key=lambda p: int(re.findall(r"\d+", os.path.basename(p))[0]))
            if len(in_files) > len(in_names):
                return False, "harness", f"{ds_name}: {len(in_files)} input files but {len(in_names)} graph inputs"
            # A model with non-fixed input dims is specialized to this data set's shapes.
            shape_args, sig, bindings = [], (), []
            for name, path in zip(in_names, in_files):
                if name in opts:
                    kind, value = load_opt(path)
                    if kind is None:
                        shape_args += ["--optional-absent", name]
                        sig += ((name, None),)
                        continue
                    if kind == "tensor":
                        os.makedirs(os.path.join(work, ds_name), exist_ok=True)
                        f = os.path.join(work, ds_name, f"{sanitize(name)}.npy")
                        np.save(f, value)
                        shape_args += ["--input-shape", f"{name}:{'x'.join(map(str, value.shape)) or 'scalar'}"]
                        sig += ((name, value.shape),)
                        bindings.append((name, f))
                        continue
                if name in seqs:
                    # Compiled for this data set's length and element shapes.
                    elements = load_opt(path)[1] if name in opts else load_seq(path)
                    shape_args += ["--sequence-length", f"{name}:{len(elements)}"]
                    os.makedirs(os.path.join(work, ds_name), exist_ok=True)
                    for k, e in enumerate(elements):
                        shape_args += ["--input-shape", f"{name}[{k}]:{'x'.join(map(str, e.shape)) or 'scalar'}"]
                        f = os.path.join(work, ds_name, f"{sanitize(name)}_{k}.npy")
                        np.save(f, e)
                        bindings.append((f"{name}[{k}]", f))
                    sig += ((name, tuple(e.shape for e in elements)),)
                    continue
                bindings.append((name, path))
                # Non-fixed dims, or data that disagrees with the declared
                # shape (a few cases declare [0] and feed [1]), specialize.
                if name in dyn or load_pb(path).shape != declared.get(name):
                    shape = load_pb(path).shape
                    shape_args += ["--input-shape", f"{name}:{'x'.join(map(str, shape))}"]
                    sig += ((name, shape),)
            artifact = compiled.get(sig)
            if artifact is None:
                artifact = os.path.join(work, f"model{len(compiled)}.nuri")
                cmd = [self.compile, os.path.join(case_dir, "model.onnx"), "-o", artifact, "--target", self.target] + shape_args + self.compile_plugins
                rc, err = run_cmd(cmd, deadline - time.monotonic(), log)
                if rc != 0:
                    return False, "compile", describe_exit(rc, err)
                compiled[sig] = artifact
            outdir = os.path.join(work, ds_name)
            cmd = [self.run, artifact, "--device", self.device, "--output-dir", outdir, "--quiet"] + self.run_plugins
            if self.threads:
                cmd += ["--threads", str(self.threads)]
            for name, path in bindings:
                cmd += ["--input", f"{name}={path}"]
            rc, err = run_cmd(cmd, deadline - time.monotonic(), log)
            if rc != 0:
                return False, "run", f"{ds_name}: {describe_exit(rc, err)}"
            for i, path in enumerate(out_files):
                if i >= len(out_names):
                    return False, "harness", f"{ds_name}: more output files than graph outputs"
                name = out_names[i]
                kind = "sequence" if name in seqs else "tensor"
                if name in opts:
                    kind, value = load_opt(path)
                    if kind is None:  # empty: nuri-run must write nothing for it
                        if glob.glob(os.path.join(outdir, sanitize(name) + "*.npy")):
                            return False, "compare", f"{ds_name}: output {name!r} should be empty"
                        continue
                if kind == "sequence":
                    elements = value if name in opts else load_seq(path)
                    wants = [(f"{name}[{k}]", e) for k, e in enumerate(elements)]
                    extra = os.path.join(outdir, sanitize(f"{name}[{len(wants)}]") + ".npy")
                    if os.path.exists(extra):
                        return False, "compare", f"{ds_name}: output {name!r}: more than {len(wants)} elements"
                else:
                    wants = [(name, value if name in opts else load_pb(path))]
                for element, want in wants:
                    got_path = os.path.join(outdir, sanitize(element) + ".npy")
                    if not os.path.exists(got_path):
                        return False, "compare", f"{ds_name}: output {element!r}: nuri-run wrote no {os.path.basename(got_path)}"
                    got = np.load(got_path, allow_pickle=False)
                    why = compare(got, want)
                    log.append(f"{ds_name} output {element!r}: {why or 'ok'}")
                    if why:
                        return False, "compare", f"{ds_name}: output {element!r}: {why}"
        return True, "", ""


# ----------------------------------------------------------------------------- main

def write_docs(path, rows, cases, expected):
    """docs/conformance.md: pass counts per suite, an op-by-op table and the expected failures."""
    info = {c[0]: c for c in cases}
    suites = sorted({r[0].split("/")[0] for r in rows}, key=lambda k: (k != "node", k))
    ok = {r[0] for r in rows if r[1] in ("PASS", "XPASS")}
    lines = ["# ONNX conformance on the cpu target", "",
             "Generated by `/usr/bin/python3 tests/conformance/run.py --write-docs docs/conformance.md`",
             "from one run of the whole suite (the `conformance` ctest runs the same thing).",
             "Cases come from Debian's libonnx-testdata (`/usr/share/libonnx-testdata/data`) and from",
             "`tests/conformance/opset18plus` (opsets 18-23, reference outputs from ONNX Runtime 1.30).",
             "A case passes when every test_data_set matches: same dtype and shape, integers, bools and",
             "strings exact, floats within rtol 1e-3 / atol 1e-7 (NaN equals NaN), as ONNX's own runner.", "",
             "| suite | cases | passing | expected failures |", "|---|---|---|---|"]
    for suite in suites:
        rs = [r for r in rows if r[0].startswith(suite + "/")]
        n_ok = sum(1 for r in rs if r[0] in ok)
        lines.append(f"| {suite} | {len(rs)} | {n_ok} | {sum(1 for r in rs if r[0] in expected)} |")
    lines += ["", "## Op by op", "",
              "Each case counts for every op its model uses (nested graphs included); `opsets` are the",
              "default-domain opset versions of the cases that use the op.", "",
              "| op | opsets | cases | passing |", "|---|---|---|---|"]
    byop = {}
    for r in rows:
        _, _, ops, opset = info[r[0]]
        for op in ops:
            e = byop.setdefault(op, [set(), 0, 0])
            e[0].add(opset)
            e[1] += 1
            e[2] += r[0] in ok
    for op in sorted(byop):
        sets, n, n_ok = byop[op]
        lines.append(f"| {op} | {', '.join(map(str, sorted(sets)))} | {n} | {n_ok} |")
    lines += ["", "## Expected failures", "",
              "From `tests/conformance/expected_failures.txt`; the suite fails if one of these passes.", "",
              "| case | reason |", "|---|---|"]
    for r in rows:
        if r[0] in expected:
            lines.append(f"| {r[0]} | {expected[r[0]].replace('|', '/')} |")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="Exit: 0 all as expected, 1 unexpected failure/pass, 2 usage or setup error.")
    ap.add_argument("--build", default=os.path.join(REPO, "build"), help="build folder holding bin/nuri-compile and bin/nuri-run [%(default)s]")
    ap.add_argument("--out", help="results folder [<build>/tests/conformance]")
    ap.add_argument("--data", default=DEFAULT_DATA, help="libonnx-testdata folder [%(default)s]")
    ap.add_argument("--suites", default=",".join(SUITES + tuple(EXTRA_SUITES)),
                    help="comma-separated suites [%(default)s]")
    ap.add_argument("--expected-failures", action="append",
                    help="expectations file, repeatable: a device's own list adds to the common one "
                         "[expected_failures.txt]")
    ap.add_argument("--filter", help="only cases whose suite/case id matches this regex (re.search)")
    ap.add_argument("--list", action="store_true", help="print the cases (and their ops) and exit")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="parallel cases [%(default)s]")
    ap.add_argument("--timeout", type=float, default=120, help="seconds per case, compile and all runs together [%(default)s]")
    ap.add_argument("--target", default="cpu")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--metric", choices=("f32", "bf16"), default="f32",
                    help="float tolerance: f32 (ONNX's runner) or bf16 (cosine >= 0.999, relative L2 <= 3e-2) [%(default)s]")
    ap.add_argument("--plugin", action="append", default=[], help="nuri-compile --plugin FILE (a target plugin; repeatable)")
    ap.add_argument("--driver-plugin", action="append", default=[], help="nuri-run --driver-plugin FILE (repeatable)")
    ap.add_argument("--threads", type=int, default=1, help="nuri-run --threads (0: do not pass) [%(default)s]")
    ap.add_argument("--keep", action="store_true", help="keep artifacts and outputs of passing cases too")
    ap.add_argument("--write-expectations", metavar="FILE",
                    help="after the run, write every failing case with its reason to FILE (seed for the expectations file)")
    ap.add_argument("--write-docs", metavar="FILE", help="after a full run, write the conformance report (docs/conformance.md)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every case, not only the unexpected ones")
    args = ap.parse_args()
    global METRIC
    METRIC = args.metric

    roots = []
    for suite in args.suites.split(","):
        root = EXTRA_SUITES.get(suite) or os.path.join(args.data, suite)
        if suite not in SUITES and suite not in EXTRA_SUITES:
            print(f"run.py: error: unknown suite {suite!r} (known: {', '.join(SUITES + tuple(EXTRA_SUITES))})", file=sys.stderr)
            return 2
        if not os.path.isdir(root):
            print(f"run.py: error: no test data at {root} (apt-get install libonnx-testdata)", file=sys.stderr)
            return 2
        roots.append((suite, root))
    pattern = re.compile(args.filter) if args.filter else None
    cases = discover(roots, pattern)

    if args.list:
        for case, _, ops, opset in cases:
            print(f"{case}\topset {opset}\t{' '.join(ops)}")
        print(f"# {len(cases)} cases", file=sys.stderr)
        return 0

    args.build = os.path.abspath(args.build)
    for tool in ("nuri-compile", "nuri-run"):
        if not os.access(os.path.join(args.build, "bin", tool), os.X_OK):
            print(f"run.py: error: {os.path.join(args.build, 'bin', tool)} not found (build first, or pass --build)", file=sys.stderr)
            return 2
    if not args.expected_failures:
        args.expected_failures = [os.path.join(HERE, "expected_failures.txt")]
    expected = {}
    for path in args.expected_failures:
        expected.update(read_expectations(path))
    names = {c[0] for c in cases}
    out_dir = os.path.abspath(args.out or os.path.join(args.build, "tests", "conformance"))
    shutil.rmtree(os.path.join(out_dir, "logs"), ignore_errors=True)
    shutil.rmtree(os.path.join(out_dir, "work"), ignore_errors=True)
    os.makedirs(os.path.join(out_dir, "logs"))
    os.makedirs(os.path.join(out_dir, "work"))

    runner = Runner(args, out_dir)
    print(f"conformance: {len(cases)} cases, -j {args.jobs}, timeout {args.timeout:g}s/case, results -> {out_dir}")
    rows, lock = [], threading.Lock()
    t_start = time.monotonic()

    def one(item):
        case, case_dir, _, _ = item
        passed, stage, detail, secs, log = runner.run_case(case.replace("/", "__"), case_dir)
        if case in expected:
            status = "XPASS" if passed else "XFAIL"
        else:
            status = "PASS" if passed else "FAIL"
        if not passed:
            with open(os.path.join(out_dir, "logs", case.replace("/", "__") + ".log"), "w") as f:
                f.write("\n".join(log) + "\n")
        with lock:
            rows.append((case, status, stage, secs, detail))
            if status in ("FAIL", "XPASS") or args.verbose:
                extra = f" [{stage}] {detail}" if detail else ""
                if status == "XPASS":
                    extra += f" (expected to fail: {expected[case]})"
                print(f"{status:5s} {case}{extra}", flush=True)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        list(pool.map(one, cases))

    rows.sort()
    with open(os.path.join(out_dir, "results.tsv"), "w") as f:
        f.write("case\tstatus\tstage\tseconds\tdetail\n")
        for case, status, stage, secs, detail in rows:
            f.write(f"{case}\t{status}\t{stage}\t{secs:.2f}\t{detail.replace(chr(9), ' ')}\n")
    info = {c[0]: c for c in cases}
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump([{"case": c, "status": st, "stage": sg, "seconds": round(sec, 3), "detail": d,
                    "ops": info[c][2], "opset": info[c][3]} for c, st, sg, sec, d in rows], f, indent=1)
    if args.write_expectations:
        with open(args.write_expectations, "w") as f:
            f.write("# Expected failures of tests/conformance/run.py: one case per line, `suite/case  # one-line reason`.\n")
            f.write("# A listed case that passes is an error too (stale expectation): remove it when it is fixed.\n")
            for case, status, stage, _, detail in rows:
                if status in ("FAIL", "XFAIL"):
                    reason = expected.get(case) or f"{stage}: {detail}"
                    f.write(f"{case}  # {reason}\n")
    if args.write_docs:
        if pattern:
            print("run.py: error: --write-docs needs a full run (no --filter)", file=sys.stderr)
            return 2
        write_docs(args.write_docs, rows, cases, expected)

    count = {s: sum(1 for r in rows if r[1] == s) for s in ("PASS", "FAIL", "XFAIL", "XPASS")}
    stages = {}
    for r in rows:
        if r[1] in ("FAIL", "XFAIL"):
            stages[r[2]] = stages.get(r[2], 0) + 1
    unknown = sorted(set(expected) - names)
    if unknown and not pattern:
        print(f"error: {len(unknown)} expected failures name cases that do not exist: {' '.join(unknown[:10])}")
        return 1
    for suite, _ in roots:
        rs = [r for r in rows if r[0].startswith(suite + "/")]
        print(f"  {suite:18s} {sum(1 for r in rs if r[1] in ('PASS', 'XPASS')):4d} / {len(rs):4d} pass")
    print(f"conformance: {len(rows)} run in {time.monotonic() - t_start:.0f}s: "
          f"{count['PASS']} passed, {count['XFAIL']} failed as expected, "
          f"{count['FAIL']} failed unexpectedly, {count['XPASS']} passed unexpectedly"
          + (f"; failures by stage: {stages}" if stages else ""))
    print(f"results: {os.path.join(out_dir, 'results.tsv')}")
    if count["FAIL"] or count["XPASS"]:
        if count["XPASS"]:
            print(f"remove the passing cases from {', '.join(args.expected_failures)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
