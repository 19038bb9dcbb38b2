#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer: builds the addon with both (build-asan/), then runs the op
# and model test suites against it with the ASan runtime preloaded into node. Any report fails the run.
# Usage: bash scripts/asan.sh [jest test paths...]   (default: the op suites, the native suites (async ops,
# hardening, workers), the model and training suites). The Gloo addon (distributed training) is sanitized too.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
rm -rf build-asan
npx cmake-js compile --out build-asan --CDBACKPROP_SANITIZE=ON >build-asan.log 2>&1 || { cat build-asan.log; exit 1; }
rm -f build-asan.log
libasan=$(g++ -print-file-name=libasan.so)
[ -f "$libasan" ] || { echo "asan: libasan.so not found (install g++)" >&2; exit 1; }
export BACKPROP_ADDON_PATH="$root/build-asan/Release/backprop.node"
# The Gloo addon too, where libgloo-dev let it build: test/distributed's ranks (child processes) inherit it.
if [ -f "$root/build-asan/Release/backprop_gloo.node" ]; then
  export BACKPROP_GLOO_ADDON_PATH="$root/build-asan/Release/backprop_gloo.node"
fi
export BACKPROP_REQUIRE_NATIVE=1
# Node's own allocations live until exit, so leak detection is off here (valgrind.sh checks leaks);
# every other report aborts the process, which fails the test run.
export ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(test/ops test/native test/model test/training)
log=$(mktemp)
LD_PRELOAD="$libasan" npx jest --runInBand "${suites[@]}" 2>&1 | tee "$log" | grep -E '^(PASS|FAIL)|Tests:|ERROR: AddressSanitizer|runtime error' || true
if grep -qE 'ERROR: AddressSanitizer|runtime error:' "$log"; then echo "asan: sanitizer reports found" >&2; exit 1; fi
grep -q '^Tests:.*passed' "$log" && ! grep -q '^Tests:.*failed' "$log" || { echo "asan: tests failed under the sanitizers" >&2; exit 1; }
LD_PRELOAD="$libasan" node -e "const b=require('./dist').getBackend(); if(!/build-asan/.test(b.loadedFrom)) { console.error('asan: the sanitized addon was not the one loaded', b); process.exit(1) }"
echo "asan: zero sanitizer reports"
