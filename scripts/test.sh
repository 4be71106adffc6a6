#!/bin/bash
# Sets up, builds and runs every test (lit, GoogleTest, end-to-end).
#   scripts/test.sh [extra ctest arguments]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/build.sh"
ctest --test-dir "$root/build" --output-on-failure -j 2 "$@"
