#!/bin/bash
# Nuri demo: compile a small digit classifier (8x8 images, 64-64-10 MLP) and run it on 100 held-out images.
#
#   examples/digits/run_demo.sh BUILD_DIR [--device cpu] [--target cpu] [--save-predictions FILE]
#
# e.g. on the reference NPU's simulator, with what it lacks on the cpu:
#   examples/digits/run_demo.sh build --target npu,cpu --device npu-sim
# Uses BUILD_DIR/bin/nuri-compile and BUILD_DIR/bin/nuri-run. Prints the first 20 predictions and the
# accuracy; exits non-zero if the accuracy is below 0.9 (the exported model scores 0.97 in numpy).
# The model files are made by make_model.py (committed; rerun it to regenerate them).
set -euo pipefail

usage() { echo "usage: $0 BUILD_DIR [--target T] [--device D] [--save-predictions FILE]" >&2; exit "${1:-2}"; }
[ $# -ge 1 ] || usage
case "$1" in -h|--help) usage 0 ;; esac
BUILD=$(cd "$1" && pwd); shift
TARGET=cpu; DEVICE=cpu; SAVE=
while [ $# -gt 0 ]; do
  case "$1" in
    --target) TARGET=$2; shift 2 ;;
    --device) DEVICE=$2; shift 2 ;;
    --save-predictions) SAVE=$2; shift 2 ;;
    *) usage ;;
  esac
done

HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3   # Debian python with numpy (another python3 may be first on PATH)
COMPILE=$BUILD/bin/nuri-compile
RUN=$BUILD/bin/nuri-run
for t in "$COMPILE" "$RUN"; do [ -x "$t" ] || { echo "run_demo.sh: error: $t not found (build first)" >&2; exit 1; }; done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/nuri-digits.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

N=$("$PY" -c "import numpy as np, sys; print(np.load(sys.argv[1]).shape[0])" "$HERE/test_images.npy")
echo "== nuri-compile digits.onnx (target $TARGET, batch $N)"
"$COMPILE" "$HERE/digits.onnx" -o "$TMP/digits.nuri" --target "$TARGET" --input-shape "image:${N}x64"
echo "== nuri-run on $N held-out images (device $DEVICE)"
"$RUN" "$TMP/digits.nuri" --device "$DEVICE" --input "image=$HERE/test_images.npy" --output-dir "$TMP/out"

"$PY" - "$TMP/out/probabilities.npy" "$HERE/test_labels.npy" "$SAVE" <<'PYEOF'
import sys
import numpy as np
probs, labels = np.load(sys.argv[1]), np.load(sys.argv[2])
if probs.shape != (labels.shape[0], 10):
    sys.exit(f"run_demo.sh: error: output shape {probs.shape}, expected {(labels.shape[0], 10)}")
pred = probs.argmax(axis=1)
if sys.argv[3]:
    np.savetxt(sys.argv[3], pred, fmt="%d")
k = min(20, len(pred))
print("predicted:", " ".join(map(str, pred[:k])))
print("labels:   ", " ".join(map(str, labels[:k])))
acc = float((pred == labels).mean())
print(f"accuracy: {acc:.3f} ({int((pred == labels).sum())}/{len(labels)})")
if not np.allclose(probs.sum(axis=1), 1.0, atol=1e-4):
    sys.exit("run_demo.sh: error: probabilities do not sum to 1")
if acc < 0.9:
    sys.exit(f"run_demo.sh: error: accuracy {acc:.3f} < 0.9")
PYEOF
