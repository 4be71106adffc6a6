#!/bin/bash
# Installs onnxruntime-node 1.30.0 (the peer baseline) into benchmarks/peers/node_modules if it is missing.
#
#   benchmarks/peers/ensure_ort.sh
#
# Uses package-lock.json (npm ci); the CPU library ships inside the npm tarball, so the install scripts that
# fetch optional CUDA/TensorRT pieces are skipped. Safe to call from parallel tests (flock).
set -euo pipefail
case "${1:-}" in -h|--help) echo "usage: $0"; exit 0 ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "ensure_ort.sh: error: node/npm not found (apt-get install nodejs npm)" >&2; exit 2
fi
have() { [ -f node_modules/onnxruntime-node/package.json ] &&
         node -e 'process.exit(require("./node_modules/onnxruntime-node/package.json").version === "1.30.0" ? 0 : 1)'; }
have && exit 0
exec 9>"$HERE/.ensure_ort.lock"
flock 9
have && exit 0
echo "installing onnxruntime-node 1.30.0 into $HERE/node_modules" >&2
ONNXRUNTIME_NODE_INSTALL=skip ONNXRUNTIME_NODE_INSTALL_CUDA=skip \
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2
have || { echo "ensure_ort.sh: error: onnxruntime-node 1.30.0 did not install" >&2; exit 1; }
