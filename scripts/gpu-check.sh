#!/bin/bash
# The GPU check: on a machine with an NVIDIA GPU (what the device tool lends), after a build, in under
# 5 minutes: the six peer models and the kernel suite on cuda (and on vulkan when the NVIDIA Vulkan ICD is
# there) against ORT and the cpu, then the benchmark of docs/gpu.md (matmul 4096^3 f32, resnet18, bert4).
#
#   scripts/gpu-check.sh [BUILD_DIR]     # prints everything to stdout; exit 1 on any failure
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
py=/usr/bin/python3
work=$(mktemp -d "${TMPDIR:-/tmp}/nuri-gpu-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
status=0
[ -x "$build/bin/nuri-run" ] || { echo "gpu-check: build first (scripts/build.sh)" >&2; exit 2; }
echo "== machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "(no nvidia-smi)"
"$build/bin/nuri-run" --help >/dev/null

echo "== peer models on cuda (cuda,cpu) vs ONNX Runtime"
"$py" "$root/tests/e2e/peer_models.py" "$build" "$work/peers" --target cuda,cpu --device cuda || status=1
echo "== kernel suite: cuda vs cpu"
"$build/bin/nuri-compare" --suite "$root/tests/compare/kernels.json" --devices cpu,cuda --quiet || status=1
if command -v vulkaninfo >/dev/null && vulkaninfo --summary 2>/dev/null | grep -qi nvidia; then
  echo "== peer models on vulkan (NVIDIA ICD)"
  "$py" "$root/tests/e2e/peer_models.py" "$build" "$work/peers_vk" --target vulkan,cpu --device vulkan \
    --models mlp,resnet18,bert4 || status=1
fi

echo "== benchmark (median of 10 after 3 warm-ups)"
"$py" - "$work/mm4096.onnx" <<'PY'
import sys, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
n = 4096
w = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], "mm4096",
                      [helper.make_tensor_value_info("x", TensorProto.FLOAT, [n, n])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [n, n])], [numpy_helper.from_array(w, "w")])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), sys.argv[1])
np.save(sys.argv[1].replace(".onnx", "_x.npy"), np.random.default_rng(1).standard_normal((n, n)).astype(np.float32))
PY
bench() { # name model input
  "$build/bin/nuri-compile" "$2" -o "$work/$1.nuri" --target cuda,cpu --cuda-arch "${CUDA_ARCH:-sm_80}" || { status=1; return; }
  "$build/bin/nuri-run" "$work/$1.nuri" --device cuda --input "$3" --warmup 3 --runs 10 | grep latency_ms
}
ms=$(bench matmul4096 "$work/mm4096.onnx" "$work/mm4096_x.npy" | sed -E 's/.*median=([0-9.]+).*/\1/')
[ -n "$ms" ] && "$py" -c "print(f'matmul 4096^3 f32: {float(\"$ms\"):.2f} ms, {2*4096**3/float(\"$ms\")/1e9:.2f} TFLOP/s')"
for m in resnet18 bert4; do
  printf '%s: ' "$m"
  bench "$m" "$work/peers/models/$m.onnx" "$work/peers/ort/$m/inputs/input.npy"
done
exit $status
