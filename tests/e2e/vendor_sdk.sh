#!/bin/bash
# The vendor SDK as a vendor gets it: `cmake --install` into a prefix, the
# example chip's two plugins (examples/vendor-target) built out of tree with
# find_package(Nuri), then the installed tools use them and the installed
# nuri-cts passes them (HAL checks, and the kernel suite compiled for
# vendor-npu,cpu with convolutions falling back).
#   tests/e2e/vendor_sdk.sh BUILD_DIR WORK_DIR
set -euo pipefail
build="$(cd "$1" && pwd)"
mkdir -p "$2"
work="$(cd "$2" && pwd)"
src="$(cd "$(dirname "$0")/../.." && pwd)"
prefix="$work/prefix"
rm -rf "$prefix" "$work/vt"
cmake --install "$build" --prefix "$prefix" > "$work/install.log"
echo "ok    cmake --install -> $prefix"
cmake -G Ninja -S "$src/examples/vendor-target" -B "$work/vt" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=Release > "$work/configure.log"
ninja -C "$work/vt" > "$work/build.log"
echo "ok    examples/vendor-target built out of tree against find_package(Nuri)"
target="$work/vt/lib/libnuri_vendor_target.so"
driver="$work/vt/lib/libnuri_vendor_driver.so"

/usr/bin/python3 - "$work/cnn.onnx" <<'PY'
import sys
import numpy as np
from onnx import TensorProto, helper, numpy_helper, save
rng = np.random.default_rng(3)
w = numpy_helper.from_array((rng.standard_normal((8, 4, 3, 3)) * 0.2).astype(np.float32), "w")
fc = numpy_helper.from_array((rng.standard_normal((8 * 8 * 8, 10)) * 0.05).astype(np.float32), "fc")
shape = numpy_helper.from_array(np.array([1, 8 * 8 * 8], np.int64), "shape")
nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1], name="conv"),
         helper.make_node("Relu", ["c"], ["r"], name="relu"),
         helper.make_node("Reshape", ["r", "shape"], ["f"], name="flatten"),
         helper.make_node("MatMul", ["f", "fc"], ["y"], name="fc")]
g = helper.make_graph(nodes, "cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 8])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], [w, fc, shape])
save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), sys.argv[1])
np.save(sys.argv[1].replace("cnn.onnx", "x.npy"), rng.standard_normal((1, 4, 8, 8)).astype(np.float32))
PY
"$prefix/bin/nuri-compile" "$work/cnn.onnx" -o "$work/cnn.nuri" --plugin "$target" \
  --target vendor-npu,cpu --report > "$work/report.txt"
grep -q "vendor-npu has no convolution unit" "$work/report.txt"
grep -q "vendor-npu .*fc" "$work/report.txt"
echo "ok    installed nuri-compile --plugin: the MatMul on vendor-npu, the convolution falls back"
"$prefix/bin/nuri-run" "$work/cnn.nuri" --driver-plugin "$driver" --device vendor-npu --quiet \
  --input "x=$work/x.npy" --output-dir "$work/out"
test -f "$work/out/y.npy"
echo "ok    installed nuri-run --driver-plugin --device vendor-npu"
"$prefix/bin/nuri-cts" --driver-plugin "$driver" --target vendor-npu --plugin "$target" \
  --report "$work/cts.md" > "$work/cts.log" || { cat "$work/cts.log"; exit 1; }
grep "^summary" "$work/cts.log"
grep -q "nuri-cts: PASS" "$work/cts.log"
echo "ok    installed nuri-cts passes the vendor's driver and target"
