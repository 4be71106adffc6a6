#!/usr/bin/python3
"""nuri-compare end to end: resnet18 and bert4 across cpu and npu-sim are within tolerance (exit 0); an
injected fault on npu-sim is found at the dispatch it was put in, with that dispatch's ONNX nodes (exit 1),
and with --isolate it is the only divergent dispatch; a usage error exits 2; the HTML report is one
self-contained file.

    /usr/bin/python3 tests/compare/test_compare.py BUILD_DIR WORKDIR
"""
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
MAKE_MODELS = os.path.join(REPO, "tests", "models", "make_models.py")


def run(cmd, timeout=900):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace")


def check(cond, message, failures):
    print(("ok    " if cond else "FAIL  ") + message, flush=True)
    if not cond:
        failures.append(message)


def self_contained(html):
    """No external resource: no URL in src/href, no script or stylesheet links, no @import, no fetch."""
    bad = re.findall(r'(?:src|href)\s*=\s*["\'](?!#|data:)[^"\']+|<script[^>]*src|<link[^>]*href|@import|url\(\s*["\']?(?:https?:|//)', html)
    return bad


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    build, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    tool = os.path.join(build, "bin", "nuri-compare")
    models = os.path.join(work, "models")
    os.makedirs(work, exist_ok=True)
    if not all(os.path.exists(os.path.join(models, m + ".onnx")) for m in ("resnet18", "bert4")):
        subprocess.run([sys.executable, MAKE_MODELS, models], check=True, stdout=subprocess.DEVNULL)
    failures = []

    for model in ("resnet18", "bert4"):
        out = os.path.join(work, model)
        shutil.rmtree(out, ignore_errors=True)
        rc, text = run([tool, os.path.join(models, model + ".onnx"), "--devices", "cpu,npu-sim",
                        "--report", out, "--quiet"])
        report = json.load(open(os.path.join(out, "report.json"))) if rc in (0, 1) else {}
        cmp = report.get("models", [{}])[0].get("comparisons", [{}])[0] if report else {}
        ndispatch = len(cmp.get("dispatches", []))
        check(rc == 0 and report.get("pass") is True and ndispatch > 10,
              f"{model}: cpu vs npu-sim within tolerance, {ndispatch} dispatches compared (exit {rc})",
              failures)
        if rc != 0:
            print(text[-3000:])

    # A fault in one npu-sim dispatch: the report names it (and its nodes) as the first divergence.
    fault = 7
    out = os.path.join(work, "fault")
    shutil.rmtree(out, ignore_errors=True)
    rc, text = run([tool, os.path.join(models, "bert4.onnx"), "--devices", "cpu,npu-sim",
                    "--inject-fault", f"npu-sim:{fault}", "--report", out])
    report = json.load(open(os.path.join(out, "report.json"))) if os.path.exists(os.path.join(out, "report.json")) else {}
    cmp = report.get("models", [{}])[0].get("comparisons", [{}])[0] if report else {}
    first = cmp.get("first_divergence")
    nodes = next((d["nodes"] for d in cmp.get("dispatches", []) if d["index"] == fault), [])
    md = open(os.path.join(out, "report.md")).read() if os.path.exists(os.path.join(out, "report.md")) else ""
    check(rc == 1 and first == fault, f"fault at npu-sim dispatch {fault}: first divergence {first} (exit {rc})",
          failures)
    check(bool(nodes) and all(n in md for n in nodes),
          f"the Markdown report names dispatch {fault}'s ONNX nodes {nodes}", failures)
    earlier = [d for d in cmp.get("dispatches", []) if d["index"] < fault]
    check(all(d["pass"] for d in earlier), f"the {len(earlier)} dispatches before it stay within tolerance",
          failures)

    # Isolated (--isolate): every dispatch is fed the reference's inputs, so the fault shows at dispatch 7
    # alone and nothing after it is blamed.
    out_iso = os.path.join(work, "fault-isolated")
    shutil.rmtree(out_iso, ignore_errors=True)
    rc, _ = run([tool, os.path.join(models, "bert4.onnx"), "--devices", "cpu,npu-sim", "--isolate",
                 "--inject-fault", f"npu-sim:{fault}", "--report", out_iso, "--quiet"])
    iso = json.load(open(os.path.join(out_iso, "report.json"))) if rc in (0, 1) else {}
    icmp = iso.get("models", [{}])[0].get("comparisons", [{}])[0] if iso else {}
    failing = [d["index"] for d in icmp.get("dispatches", []) if not d["pass"]]
    check(rc == 1 and failing == [fault] and iso["models"][0].get("isolated") is True,
          f"--isolate: only dispatch {fault} diverges (failing: {failing}, exit {rc})", failures)

    # The HTML report: one file, nothing fetched from anywhere.
    html_path = os.path.join(out, "report.html")
    html = open(html_path).read() if os.path.exists(html_path) else ""
    bad = self_contained(html)
    check(html.startswith("<!DOCTYPE html>") and "<svg" in html and not bad,
          f"report.html is self-contained ({len(html)} bytes, external references: {bad[:3]})", failures)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium:
        shot = os.path.join(out, "report.png")
        rc, _ = run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-network",
                     f"--screenshot={shot}", "file://" + html_path], timeout=120)
        check(rc == 0 and os.path.exists(shot) and os.path.getsize(shot) > 1000,
              "chromium loads report.html headless and takes a screenshot", failures)
    else:
        print("skip  headless load (no chromium installed)")

    # Usage and load errors exit 2.
    rc, _ = run([tool, os.path.join(models, "bert4.onnx"), "--devices", "cpu"])
    check(rc == 2, f"one device only is a usage error (exit {rc})", failures)
    rc, _ = run([tool, os.path.join(work, "missing.onnx"), "--devices", "cpu,npu-sim"])
    check(rc == 2, f"a missing model is a load error (exit {rc})", failures)

    print(f"nuri-compare tests: {'all passed' if not failures else str(len(failures)) + ' failed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
