#!/usr/bin/python3
"""The cuda path compiles every peer model, and CUDA's ptxas accepts every kernel's PTX.

    /usr/bin/python3 tests/e2e/cuda_ptx_check.py BUILD_DIR WORKDIR [--models mlp,bert4] [--archs sm_80,sm_90]
        [--ptxas /usr/local/cuda/bin/ptxas]

For each model and arch: nuri-compile --target cuda,cpu --cuda-arch ARCH --emit ptx writes each kernel's PTX
after a `// ----- dispatch_N` line; each is checked with `ptxas -arch=ARCH`. No GPU is needed.
Exit: 0 all accepted, 1 a compile failure or a kernel ptxas rejects, 2 usage error, 77 (skipped) without ptxas.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from peer_models import ALL_MODELS, ensure_models, run, tail  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build")
    ap.add_argument("workdir")
    ap.add_argument("--models", default=",".join(ALL_MODELS))
    ap.add_argument("--archs", default="sm_80,sm_90")
    ap.add_argument("--ptxas", default="/usr/local/cuda/bin/ptxas")
    ap.add_argument("--timeout", type=int, default=600)
    args = ap.parse_args()
    compile_tool = os.path.join(os.path.abspath(args.build), "bin", "nuri-compile")
    if not os.access(compile_tool, os.X_OK):
        print("cuda_ptx_check: error: build first (bin/nuri-compile)", file=sys.stderr)
        return 2
    if not os.access(args.ptxas, os.X_OK):
        print(f"cuda_ptx_check: skipped: no ptxas at {args.ptxas} (CUDA's toolkit)")
        return 77
    work = os.path.abspath(args.workdir)
    models = args.models.split(",")
    ensure_models(work, models)
    failures = []
    for arch in args.archs.split(","):
        for m in models:
            out = os.path.join(work, "ptx", arch, m)
            shutil.rmtree(out, ignore_errors=True)
            os.makedirs(out)
            text = os.path.join(out, "kernels.ptx.txt")
            rc, log = run([compile_tool, os.path.join(work, "models", m + ".onnx"), "--target", "cuda,cpu",
                           "--cuda-arch", arch, "--emit", "ptx", "-o", text], args.timeout)
            if rc != 0:
                print(f"FAIL  {m} ({arch}): nuri-compile exit {rc}\n{tail(log)}")
                failures.append(f"{m}@{arch}")
                continue
            with open(text) as f:
                parts = re.split(r"^// ----- (\S+).*\n", f.read(), flags=re.M)[1:]
            kernels = list(zip(parts[0::2], parts[1::2]))
            bad = []
            for name, ptx in kernels:
                path = os.path.join(out, name + ".ptx")
                with open(path, "w") as f:
                    f.write(ptx)
                rc, log = run([args.ptxas, f"-arch={arch}", path, "-o", os.devnull], args.timeout)
                if rc != 0:
                    bad.append(f"{name}: {log.strip().splitlines()[0] if log.strip() else rc}")
            if not kernels or bad:
                print(f"FAIL  {m} ({arch}): {len(bad)}/{len(kernels)} kernels rejected by ptxas\n    | " +
                      "\n    | ".join(bad[:5]))
                failures.append(f"{m}@{arch}")
            else:
                print(f"ok    {m} ({arch}): {len(kernels)} PTX kernels accepted by ptxas")
    print(f"== {len(failures)} failure(s)" + (": " + ", ".join(failures) if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
