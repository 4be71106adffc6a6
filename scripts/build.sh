#!/bin/bash
# Installs missing Debian packages, then configures and builds Nuri into build/.
#   scripts/build.sh [BUILD_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
"$root/scripts/setup.sh"
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release
fi
# Two jobs: a TU that includes MLIR headers needs ~1 GB and 15-30 s.
ninja -C "$build" -j "${NURI_JOBS:-2}"
