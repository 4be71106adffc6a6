#!/bin/bash
# Sets up, builds, compiles the bundled digit classifier and runs it on the cpu.
#   scripts/demo.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/build.sh"
"$root/examples/digits/run_demo.sh" "$root/build"
