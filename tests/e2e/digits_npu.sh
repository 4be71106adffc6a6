#!/bin/bash
# The digits demo compiled for npu,cpu predicts the same digits on npu-sim (bf16 on the NPU, the rest on
# the host) as the cpu-only build on the cpu.
#
#   tests/e2e/digits_npu.sh BUILD_DIR
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
REPO=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/nuri-digits-npu.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
"$REPO/examples/digits/run_demo.sh" "$1" --target cpu --device cpu --save-predictions "$TMP/cpu.txt"
"$REPO/examples/digits/run_demo.sh" "$1" --target npu,cpu --device npu-sim --save-predictions "$TMP/npu.txt"
if ! cmp -s "$TMP/cpu.txt" "$TMP/npu.txt"; then
  echo "digits_npu.sh: error: npu-sim and cpu predict different digits for images:" >&2
  paste "$TMP/cpu.txt" "$TMP/npu.txt" | awk '$1 != $2 { print "  image " NR-1 ": cpu " $1 ", npu-sim " $2 }' >&2
  exit 1
fi
echo "npu-sim and cpu predict the same $(wc -l < "$TMP/cpu.txt") digits"
