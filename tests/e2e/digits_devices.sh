#!/bin/bash
# The digits demo compiled for TARGETS (e.g. npu,cpu or vulkan,cpu) predicts the same digits on DEVICE
# (npu-sim: bf16 on the NPU, the rest on the host; vulkan: shaders) as the cpu-only build on the cpu.
#
#   tests/e2e/digits_devices.sh BUILD_DIR TARGETS DEVICE
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 BUILD_DIR TARGETS DEVICE" >&2; exit 2; }
REPO=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/nuri-digits.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
"$REPO/examples/digits/run_demo.sh" "$1" --target cpu --device cpu --save-predictions "$TMP/cpu.txt"
"$REPO/examples/digits/run_demo.sh" "$1" --target "$2" --device "$3" --save-predictions "$TMP/other.txt"
if ! cmp -s "$TMP/cpu.txt" "$TMP/other.txt"; then
  echo "digits_devices.sh: error: $3 and cpu predict different digits for images:" >&2
  paste "$TMP/cpu.txt" "$TMP/other.txt" | awk -v d="$3" '$1 != $2 { print "  image " NR-1 ": cpu " $1 ", " d " " $2 }' >&2
  exit 1
fi
echo "$3 and cpu predict the same $(wc -l < "$TMP/cpu.txt") digits"
