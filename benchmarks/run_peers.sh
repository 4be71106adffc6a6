#!/bin/bash
# Nuri vs ONNX Runtime (CPU, onnxruntime-node 1.30.0) on the six peer models, measured in one run.
#
#   benchmarks/run_peers.sh BUILD_DIR [OUTDIR] [--models mlp,bert4] [--threads 1,2]
#
# ORT: benchmarks/peers/ort_bench.mjs (its defaults: warmup 5, at least 20 runs and 2 s per session).
# Nuri: nuri-compile --target cpu once per model, then nuri-run --threads T --warmup 5 --runs 20 on ORT's
# seeded inputs. Prints a Markdown table (model, threads, ORT median ms, Nuri median ms, Nuri/ORT) and
# writes OUTDIR/bench.json (default OUTDIR: BUILD_DIR/bench-peers). A benchmark, not a test: it exits 1
# only when a tool fails, never on speed. Run it on an otherwise idle machine.
set -euo pipefail

usage() { echo "usage: $0 BUILD_DIR [OUTDIR] [--models m1,m2] [--threads 1,2]" >&2; exit "${1:-2}"; }
[ $# -ge 1 ] || usage
case "$1" in -h|--help) usage 0 ;; esac
BUILD=$(cd "$1" && pwd) || usage
shift
OUT=
MODELS=mlp,resnet18,mobilenetv2,bert4,matmul1024,conv3x3_64
THREADS=1,2
while [ $# -gt 0 ]; do
  case "$1" in
    --models) MODELS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    -*) usage ;;
    *) [ -z "$OUT" ] || usage; OUT=$1; shift ;;
  esac
done
OUT=${OUT:-$BUILD/bench-peers}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

REPO=$(cd "$(dirname "$0")/.." && pwd)
PEERS=$REPO/benchmarks/peers
PY=/usr/bin/python3   # Debian python with onnx + numpy (another python3 may be first on PATH)
COMPILE=$BUILD/bin/nuri-compile
RUN=$BUILD/bin/nuri-run
for t in "$COMPILE" "$RUN"; do [ -x "$t" ] || { echo "run_peers.sh: error: $t not found (build first)" >&2; exit 2; }; done

# ---- models and ORT
echo "== models -> $OUT/models"
"$PY" "$REPO/tests/models/make_models.py" "$OUT/models" >/dev/null
"$PEERS/ensure_ort.sh"
PATHS=()
IFS=, read -ra MODEL_LIST <<<"$MODELS"
for m in "${MODEL_LIST[@]}"; do
  [ -f "$OUT/models/$m.onnx" ] || { echo "run_peers.sh: error: unknown model '$m'" >&2; exit 2; }
  PATHS+=("$OUT/models/$m.onnx")
done
echo "== ORT (threads $THREADS)"
rm -rf "$OUT/ort"
node "$PEERS/ort_bench.mjs" --threads="$THREADS" --out="$OUT/ort" --json="$OUT/ort/bench.json" "${PATHS[@]}"

# ---- Nuri
echo "== Nuri (threads $THREADS, warmup 5, runs 20)"
rm -rf "$OUT/nuri"
mkdir -p "$OUT/nuri"
NURI_TSV=$OUT/nuri/results.tsv
printf 'model\tthreads\tstatus\tmedian_ms\tmin_ms\truns\tcompile_s\tdetail\n' >"$NURI_TSV"
STATUS=0
IFS=, read -ra THREAD_LIST <<<"$THREADS"
for m in "${MODEL_LIST[@]}"; do
  art=$OUT/nuri/$m.nuri
  t0=$(date +%s%N)
  if ! "$COMPILE" "$OUT/models/$m.onnx" -o "$art" --target cpu 2>"$OUT/nuri/$m.compile.log"; then
    STATUS=1
    msg=$(grep -m1 . "$OUT/nuri/$m.compile.log" | tr '\t' ' ' || true)
    echo "  $m: nuri-compile failed: $msg"
    for t in "${THREAD_LIST[@]}"; do printf '%s\t%s\tcompile_error\t\t\t\t\t%s\n' "$m" "$t" "$msg" >>"$NURI_TSV"; done
    continue
  fi
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  compile_s=$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))
  inputs=()
  for f in "$OUT/ort/$m/inputs/"*.npy; do
    inputs+=(--input "$(basename "$f" .npy)=$f")   # ort_bench.mjs names files after the (sanitized) input names
  done
  for t in "${THREAD_LIST[@]}"; do
    log=$OUT/nuri/$m.t$t.log
    if "$RUN" "$art" --device cpu --threads "$t" --warmup 5 --runs 20 "${inputs[@]}" --output-dir "$OUT/nuri/$m/t$t" >"$log" 2>&1 &&
       line=$(grep -m1 -o 'latency_ms median=[^ ]* min=[^ ]* runs=[0-9]*' "$log"); then
      [[ $line =~ median=([^ ]*)\ min=([^ ]*)\ runs=([0-9]*) ]]
      med=${BASH_REMATCH[1]}; min=${BASH_REMATCH[2]}; runs=${BASH_REMATCH[3]}
      printf '%s\t%s\tok\t%s\t%s\t%s\t%s\t\n' "$m" "$t" "$med" "$min" "$runs" "$compile_s" >>"$NURI_TSV"
      printf '  %-12s threads=%s median=%s ms min=%s ms runs=%s\n' "$m" "$t" "$med" "$min" "$runs"
    else
      STATUS=1
      msg=$(grep -m1 -i error "$log" | tr '\t' ' ' || true)
      echo "  $m threads=$t: nuri-run failed: ${msg:-see $log}"
      printf '%s\t%s\trun_error\t\t\t\t%s\t%s\n' "$m" "$t" "$compile_s" "$msg" >>"$NURI_TSV"
    fi
  done
done

# ---- table + bench.json
"$PY" - "$OUT" <<'PYEOF'
import csv, glob, json, os, re, sys
import numpy as np
out = sys.argv[1]
ort = json.load(open(os.path.join(out, "ort", "bench.json")))
ort_ms = {(r["model"], int(r["threads"])): r for r in ort["models"]}
rows = []
with open(os.path.join(out, "nuri", "results.tsv")) as f:
    for r in csv.DictReader(f, delimiter="\t"):
        m, t = r["model"], int(r["threads"])
        o = ort_ms.get((m, t), {})
        nuri = float(r["median_ms"]) if r["status"] == "ok" else None
        # Sanity of what was timed: Nuri's outputs against ORT's (same seeded inputs).
        err = None
        for want_path in glob.glob(os.path.join(out, "ort", m, f"ort_t{t}", "*.npy")):
            got_path = os.path.join(out, "nuri", m, f"t{t}", os.path.basename(want_path))
            if os.path.exists(got_path):
                g, w = np.load(got_path), np.load(want_path)
                e = float(np.abs(g.astype(np.float64) - w).max()) if g.shape == w.shape else float("inf")
                err = e if err is None else max(err, e)
        rows.append({"model": m, "threads": t, "ort_median_ms": o.get("median_ms"), "ort_runs": o.get("runs"),
                     "nuri_median_ms": nuri, "nuri_min_ms": float(r["min_ms"]) if nuri is not None else None,
                     "nuri_runs": int(r["runs"]) if nuri is not None else None,
                     "nuri_compile_s": float(r["compile_s"]) if r["compile_s"] else None,
                     "ratio_nuri_over_ort": (nuri / o["median_ms"]) if nuri is not None and o.get("median_ms") else None,
                     "max_abs_err_vs_ort": err, "status": r["status"], "detail": r["detail"]})
fmt = lambda v, spec: "—" if v is None else format(v, spec)
print()
print(f"ONNX Runtime {ort['ort_version'].get('node', '?')} (CPU EP, graph opt {ort['options'].get('opt')}), {ort.get('cpu')}, {ort.get('ncpu')} CPUs")
print()
print("| model | threads | ORT median ms | Nuri median ms | Nuri/ORT | max abs err |")
print("|---|---:|---:|---:|---:|---:|")
for r in rows:
    ratio = fmt(r["ratio_nuri_over_ort"], ".2f") if r["status"] == "ok" else r["status"]
    print(f"| {r['model']} | {r['threads']} | {fmt(r['ort_median_ms'], '.3f')} | {fmt(r['nuri_median_ms'], '.3f')} | {ratio} | {fmt(r['max_abs_err_vs_ort'], '.2g')} |")
json.dump({"ort": ort, "rows": rows}, open(os.path.join(out, "bench.json"), "w"), indent=1)
print()
print(f"bench.json -> {os.path.join(out, 'bench.json')}")
PYEOF
exit $STATUS
