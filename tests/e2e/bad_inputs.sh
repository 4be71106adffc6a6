#!/bin/bash
# Bad inputs to nuri-compile and nuri-run must fail cleanly.
#
#   tests/e2e/bad_inputs.sh BUILD_DIR [--keep] [--filter REGEX]
#
# Every case must exit non-zero without crashing (exit status < 128, no timeout) and print exactly one
# non-empty line on stderr, containing "error" (plus case-specific words, e.g. the op type, node name and
# opset of an unsupported op). Fixtures are made in a temporary folder by a python snippet; a control model
# must compile and run first, so the runtime cases fail for the reason they test.
# Exit: 0 all cases behave, 1 some case misbehaves, 2 usage/setup error.
set -euo pipefail

usage() { echo "usage: $0 BUILD_DIR [--keep] [--filter REGEX]" >&2; exit "${1:-2}"; }
[ $# -ge 1 ] || usage
case "$1" in -h|--help) usage 0 ;; esac
BUILD=$(cd "$1" && pwd) || usage
shift
KEEP=0; FILTER=
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) KEEP=1; shift ;;
    --filter) FILTER=$2; shift 2 ;;
    *) usage ;;
  esac
done

PY=/usr/bin/python3   # Debian python with onnx + numpy (another python3 may be first on PATH)
COMPILE=$BUILD/bin/nuri-compile
RUN=$BUILD/bin/nuri-run
for t in "$COMPILE" "$RUN"; do
  [ -x "$t" ] || { echo "bad_inputs.sh: error: $t not found (build first)" >&2; exit 2; }
done
TIMEOUT=${NURI_TEST_TIMEOUT:-60}

T=$(mktemp -d "${TMPDIR:-/tmp}/nuri-bad-inputs.XXXXXX")
if [ "$KEEP" = 1 ]; then echo "fixtures and logs kept in $T"; else trap 'rm -rf "$T"' EXIT; fi

# ---------------------------------------------------------------- fixtures
"$PY" - "$T" <<'PYEOF'
import os, sys
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

T = sys.argv[1]
f32 = lambda n, s: helper.make_tensor_value_info(n, TensorProto.FLOAT, s)

def save(model, path, opset=17):
    model.ir_version = 8
    onnx.save(model, path)

def mk(nodes, inputs, outputs, inits=(), opset=17, domains=()):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    ops = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, 1) for d in domains]
    return helper.make_model(g, opset_imports=ops, producer_name="nuri-bad-inputs")

# control: c = a + b, all float32 [2,3]
good = mk([helper.make_node("Add", ["a", "b"], ["c"], name="add0")], [f32("a", [2, 3]), f32("b", [2, 3])], [f32("c", [2, 3])])
onnx.checker.check_model(good)
save(good, f"{T}/good.onnx")
rng = np.random.default_rng(0)
np.save(f"{T}/a.npy", rng.standard_normal((2, 3)).astype(np.float32))
np.save(f"{T}/b.npy", rng.standard_normal((2, 3)).astype(np.float32))
np.save(f"{T}/b_shape.npy", rng.standard_normal((3, 2)).astype(np.float32))
np.save(f"{T}/b_rank.npy", rng.standard_normal((6,)).astype(np.float32))
np.save(f"{T}/b_f64.npy", rng.standard_normal((2, 3)).astype(np.float64))
np.save(f"{T}/b_i32.npy", np.arange(6, dtype=np.int32).reshape(2, 3))
with open(f"{T}/not_npy.npy", "w") as f:
    f.write("this is not a numpy file\n")

# not ONNX at all
with open(f"{T}/random.onnx", "wb") as f:
    f.write(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes())
with open(f"{T}/text.onnx", "w") as f:
    f.write("ir_version: 8\nthis is a text file, not a serialized ModelProto\n" * 20)
with open(f"{T}/empty.onnx", "wb") as f:
    pass

# an op no target implements (custom name in the default domain), in a node with a known name
foo = mk([helper.make_node("Relu", ["x"], ["r"], name="relu0"),
          helper.make_node("FooBar", ["r"], ["y"], name="foobar_node")], [f32("x", [2, 3])], [f32("y", [2, 3])])
save(foo, f"{T}/unsupported_op.onnx")

# initializers whose external data lies outside the model's folder
os.makedirs(f"{T}/models/sub", exist_ok=True)
secret = np.arange(6, dtype=np.float32)
secret.tofile(f"{T}/secret.bin")  # it exists: the path must be refused, not merely found missing
def ext_model(location, path):
    w = numpy_helper.from_array(secret.reshape(2, 3), "w")
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", "0"), ("length", str(secret.nbytes))):
        e = w.external_data.add(); e.key = k; e.value = v
    m = mk([helper.make_node("Add", ["x", "w"], ["y"], name="add_w")], [f32("x", [2, 3])], [f32("y", [2, 3])], [w])
    save(m, path)
ext_model("../secret.bin", f"{T}/models/ext_parent.onnx")
ext_model("sub/../../secret.bin", f"{T}/models/ext_dotdot.onnx")
ext_model(os.path.abspath(f"{T}/secret.bin"), f"{T}/models/ext_absolute.onnx")
os.symlink(os.path.abspath(f"{T}/secret.bin"), f"{T}/models/sub/link.bin")
ext_model("sub/link.bin", f"{T}/models/ext_symlink.onnx")
ext_model("missing.bin", f"{T}/models/ext_missing.onnx")
PYEOF

# ---------------------------------------------------------------- harness
PASS=0; FAILED=()
# check NAME [WORD ...] -- COMMAND ...   (each WORD must appear in the stderr line)
check() {
  local name=$1; shift
  local words=()
  while [ "$1" != "--" ]; do words+=("$1"); shift; done
  shift
  if [ -n "$FILTER" ] && ! [[ $name =~ $FILTER ]]; then return 0; fi
  local rc=0
  timeout -k 5 "$TIMEOUT" "$@" >"$T/$name.stdout" 2>"$T/$name.stderr" </dev/null || rc=$?
  local lines why=
  lines=$(grep -c . "$T/$name.stderr" || true)
  local line
  line=$(grep -m1 . "$T/$name.stderr" || true)
  if [ "$rc" = 0 ]; then why="exit 0 (must fail)"
  elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then why="timed out after ${TIMEOUT}s"
  elif [ "$rc" -ge 128 ]; then why="crashed: exit $rc (signal $((rc - 128)))"
  elif [ "$lines" != 1 ]; then why="$lines non-empty stderr lines (want exactly 1)"
  elif ! grep -q 'error' <<<"$line"; then why="stderr line has no 'error'"
  else
    local w
    for w in "${words[@]}"; do
      grep -qF -- "$w" <<<"$line" || { why="stderr line does not name '$w'"; break; }
    done
  fi
  if [ -z "$why" ]; then
    PASS=$((PASS + 1)); printf 'ok    %-28s exit %s: %s\n' "$name" "$rc" "$line"
  else
    FAILED+=("$name"); printf 'FAIL  %-28s %s\n' "$name" "$why"
    printf '        $ %s\n' "$*"
    sed -n '1,8s/^/        stderr| /p' "$T/$name.stderr"
  fi
}

# Control: the good model compiles and runs, so the runtime cases below test what they claim.
if ! timeout "$TIMEOUT" "$COMPILE" "$T/good.onnx" -o "$T/good.nuri" --target cpu; then
  echo "bad_inputs.sh: error: the control model does not compile; runtime cases cannot run" >&2; exit 1
fi
if ! timeout "$TIMEOUT" "$RUN" "$T/good.nuri" --device cpu --input "a=$T/a.npy" --input "b=$T/b.npy" --output-dir "$T/good_out" --quiet; then
  echo "bad_inputs.sh: error: the control model does not run; runtime cases cannot run" >&2; exit 1
fi

for t in vulkan cuda; do  # artifacts with GPU code, for the device cases
  timeout "$TIMEOUT" "$COMPILE" "$T/good.onnx" -o "$T/good_${t/vulkan/vk}.nuri" --target "$t,cpu" ||
    { echo "bad_inputs.sh: error: the control model does not compile for $t,cpu" >&2; exit 1; }
done

C=("$COMPILE"); O=(--target cpu)
# ---- nuri-compile
check compile_missing_file        -- "${C[@]}" "$T/no_such_model.onnx" -o "$T/x.nuri" "${O[@]}"
check compile_directory           -- "${C[@]}" "$T/models" -o "$T/x.nuri" "${O[@]}"
check compile_random_bytes        -- "${C[@]}" "$T/random.onnx" -o "$T/x.nuri" "${O[@]}"
check compile_text_file           -- "${C[@]}" "$T/text.onnx" -o "$T/x.nuri" "${O[@]}"
check compile_empty_file          -- "${C[@]}" "$T/empty.onnx" -o "$T/x.nuri" "${O[@]}"
check compile_unsupported_op FooBar foobar_node 17 -- "${C[@]}" "$T/unsupported_op.onnx" -o "$T/x.nuri" "${O[@]}"
check compile_unknown_target      -- "${C[@]}" "$T/good.onnx" -o "$T/x.nuri" --target no-such-target
check compile_ext_data_parent     -- "${C[@]}" "$T/models/ext_parent.onnx" -o "$T/x.nuri" "${O[@]}"
check compile_ext_data_dotdot     -- "${C[@]}" "$T/models/ext_dotdot.onnx" -o "$T/x.nuri" "${O[@]}"
check compile_ext_data_absolute   -- "${C[@]}" "$T/models/ext_absolute.onnx" -o "$T/x.nuri" "${O[@]}"
check compile_ext_data_symlink    -- "${C[@]}" "$T/models/ext_symlink.onnx" -o "$T/x.nuri" "${O[@]}"
check compile_ext_data_missing    -- "${C[@]}" "$T/models/ext_missing.onnx" -o "$T/x.nuri" "${O[@]}"

# ---- nuri-run: inputs
R=("$RUN" "$T/good.nuri" --device cpu --output-dir "$T/run_out" --quiet)
check run_too_few_inputs          -- "${R[@]}" --input "a=$T/a.npy"
check run_too_many_inputs         -- "${R[@]}" --input "$T/a.npy" --input "$T/b.npy" --input "$T/b.npy"
check run_unknown_input_name      -- "${R[@]}" --input "a=$T/a.npy" --input "nope=$T/b.npy"
check run_wrong_shape             -- "${R[@]}" --input "a=$T/a.npy" --input "b=$T/b_shape.npy"
check run_wrong_rank              -- "${R[@]}" --input "a=$T/a.npy" --input "b=$T/b_rank.npy"
check run_wrong_dtype_f64         -- "${R[@]}" --input "a=$T/a.npy" --input "b=$T/b_f64.npy"
check run_wrong_dtype_i32         -- "${R[@]}" --input "a=$T/a.npy" --input "b=$T/b_i32.npy"
check run_missing_input_file      -- "${R[@]}" --input "a=$T/a.npy" --input "b=$T/no_such.npy"
check run_input_not_npy           -- "${R[@]}" --input "a=$T/a.npy" --input "b=$T/not_npy.npy"

# ---- nuri-run: artifacts
size=$(stat -c %s "$T/good.nuri")
head -c $((size / 2)) "$T/good.nuri" >"$T/truncated_half.nuri"
head -c 16 "$T/good.nuri" >"$T/truncated_16.nuri"
: >"$T/empty.nuri"
"$PY" - "$T" <<'PYEOF'
import sys
T = sys.argv[1]
data = bytearray(open(f"{T}/good.nuri", "rb").read())
b = bytearray(data); b[4:8] = b"XXXX"                       # FlatBuffers file identifier ("NURI")
open(f"{T}/bad_identifier.nuri", "wb").write(b)
b = bytearray(data); b[0:4] = (len(data) + 4096).to_bytes(4, "little")   # root table offset past the end
open(f"{T}/bad_root_offset.nuri", "wb").write(b)
root = int.from_bytes(data[0:4], "little")
b = bytearray(data)
for i in range(8, min(len(b), root + 64)):                  # vtables + root table: every offset garbage
    b[i] ^= 0xA5
open(f"{T}/corrupt_tables.nuri", "wb").write(b)
PYEOF
A=(--device cpu --output-dir "$T/run_out" --quiet --input "a=$T/a.npy" --input "b=$T/b.npy")
check run_missing_artifact        -- "$RUN" "$T/no_such.nuri" "${A[@]}"
check run_onnx_as_artifact        -- "$RUN" "$T/good.onnx" "${A[@]}"
check run_empty_artifact          -- "$RUN" "$T/empty.nuri" "${A[@]}"
check run_truncated_16            -- "$RUN" "$T/truncated_16.nuri" "${A[@]}"
check run_truncated_half          -- "$RUN" "$T/truncated_half.nuri" "${A[@]}"
check run_bad_identifier          -- "$RUN" "$T/bad_identifier.nuri" "${A[@]}"
check run_bad_root_offset         -- "$RUN" "$T/bad_root_offset.nuri" "${A[@]}"
check run_corrupt_tables          -- "$RUN" "$T/corrupt_tables.nuri" "${A[@]}"
check run_unknown_device          -- "$RUN" "$T/good.nuri" --device no-such-device --output-dir "$T/run_out" --quiet --input "a=$T/a.npy" --input "b=$T/b.npy"
# GPUs: an index out of range, an artifact with no code for the device, a device index where there is one
# device, a GPU whose driver or device is missing (NURI_*_LIBRARY points nowhere).
check run_vulkan_index_range vulkan -- env NURI_VULKAN_LIBRARY= "$RUN" "$T/good_vk.nuri" --device vulkan:99 --output-dir "$T/run_out" --quiet --input "a=$T/a.npy" --input "b=$T/b.npy"
check run_no_vulkan_code     vulkan -- "$RUN" "$T/good.nuri" --device vulkan --output-dir "$T/run_out" --quiet --input "a=$T/a.npy" --input "b=$T/b.npy"
check run_cpu_index          cpu:0  -- "$RUN" "$T/good.nuri" --device cpu:2 --output-dir "$T/run_out" --quiet --input "a=$T/a.npy" --input "b=$T/b.npy"
check run_no_vulkan_loader   Vulkan -- env NURI_VULKAN_LIBRARY=/nonexistent/libvulkan.so.1 "$RUN" "$T/good_vk.nuri" --device vulkan --output-dir "$T/run_out" --quiet --input "a=$T/a.npy" --input "b=$T/b.npy"
check run_no_cuda_driver     CUDA   -- env NURI_CUDA_LIBRARY=/nonexistent/libcuda.so.1 "$RUN" "$T/good_cuda.nuri" --device cuda --output-dir "$T/run_out" --quiet --input "a=$T/a.npy" --input "b=$T/b.npy"
check compile_bad_vulkan_target  vulkan-target -- "$COMPILE" "$T/good.onnx" -o "$T/x.nuri" --target vulkan,cpu --vulkan-target nvidia
check compile_bad_cuda_arch      cuda-arch     -- "$COMPILE" "$T/good.onnx" -o "$T/x.nuri" --target cuda,cpu --cuda-arch sm_20

echo "bad inputs: $PASS ok, ${#FAILED[@]} failed${FAILED:+: ${FAILED[*]}}"
[ ${#FAILED[@]} = 0 ]
