#!/bin/bash
# The reference NPU benchmark: the six peer models compiled for npu,cpu and run on npu-sim, with the
# simulated cycles next to the roofline (docs/npu.md, "Benchmark").
#
#   benchmarks/npu_sim.sh BUILD_DIR [OUTDIR] [--npu-preset datacenter|edge|FILE]
#
# Prints the Markdown tables of benchmarks/npu_report.py (per model, then resnet18 per kernel). The outputs
# are checked against ONNX Runtime as in the e2e test; simulated cycles do not depend on the host, the
# simulator's wall time does. A benchmark, not a test: it exits 1 only when a tool fails.
set -euo pipefail
usage() { echo "usage: $0 BUILD_DIR [OUTDIR] [--npu-preset NAME|FILE]" >&2; exit "${1:-2}"; }
[ $# -ge 1 ] || usage
case "$1" in -h|--help) usage 0 ;; esac
BUILD=$(cd "$1" && pwd) || usage
shift
OUT= PRESET=datacenter
while [ $# -gt 0 ]; do
  case "$1" in
    --npu-preset) PRESET=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    -*) usage ;;
    *) [ -z "$OUT" ] || usage; OUT=$1; shift ;;
  esac
done
OUT=${OUT:-$BUILD/bench-npu-sim}
REPO=$(cd "$(dirname "$0")/.." && pwd)
/usr/bin/python3 "$REPO/tests/e2e/peer_models.py" "$BUILD" "$OUT" --target npu,cpu --device npu-sim \
  --metric bf16 --model-max-rel-l2 mobilenetv2=3e-2 --npu-preset "$PRESET" >&2
/usr/bin/python3 "$REPO/benchmarks/npu_report.py" "$OUT"
