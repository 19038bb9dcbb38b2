#!/usr/bin/env bash
# valgrind memcheck over a short training run on the native backend: counts "definitely lost" blocks
# whose allocation stack passes through the addon (backprop.node). Node/V8's own exit-time leaks are ignored.
# Usage: bash scripts/valgrind.sh   (after npm run build; needs valgrind: apt-get install valgrind)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v valgrind >/dev/null || { echo "valgrind: not installed (apt-get install valgrind)" >&2; exit 1; }
log=$(mktemp)
script='
const bp = require("./dist");
if (bp.getBackend().name !== "native") { console.error("native backend required"); process.exit(1); }
(async () => {
  const m = bp.sequential({ seed: 1, layers: [bp.layers.dense({ units: 32, activation: "relu", inputShape: [16] }), bp.layers.dense({ units: 4, activation: "softmax" })] });
  m.compile({ optimizer: "adam", loss: "sparseCategoricalCrossentropy", metrics: ["accuracy"] });
  const rng = new bp.Rng(1);
  const x = Array.from({ length: 256 }, () => Array.from({ length: 16 }, () => rng.normal(0, 1)));
  const y = x.map((r) => (r[0] > 0 ? 1 : 0) + (r[1] > 0 ? 2 : 0));
  await m.fit(x, y, { epochs: 3, batchSize: 32, verbose: 0 });
  try { bp.backend().gemm(false, false, 2, 2, 2, 1, new Float32Array(4), new Float32Array(4), 0, new Float32Array(3)); } catch {}
  for (let i = 0; i < 20; i++) await bp.backend().gemmAsync(false, false, 64, 64, 64, 1, bp.floatArray("float32", 4096), bp.floatArray("float32", 4096), 0, bp.floatArray("float32", 4096));
  // convolutions (the direct AVX2 kernels: valgrind hides AVX-512), pooling, batch norm, the thread pool, async steps
  bp.setThreads(2);
  const c = bp.sequential({ seed: 2, layers: [bp.layers.conv2d({ filters: 8, kernelSize: 3, padding: "same", activation: "relu", inputShape: [8, 8, 2] }), bp.layers.maxPooling2d(), bp.layers.batchNormalization(), bp.layers.conv2d({ filters: 4, kernelSize: 2 }), bp.layers.flatten(), bp.layers.dense({ units: 4, activation: "softmax" })] });
  c.compile({ optimizer: "adam", loss: "sparseCategoricalCrossentropy" });
  const xi = Array.from({ length: 16 }, () => Array.from({ length: 128 }, () => rng.normal(0, 1)));
  await c.fit(bp.tensor(Float32Array.from(xi.flat()), [16, 8, 8, 2]), y.slice(0, 16), { epochs: 2, batchSize: 8, verbose: 0 });
  const cx = bp.floatArray("float32", 4 * 128).fill(0.5), cz = bp.floatArray("float32", 4 * 64 * 8);
  for (let i = 0; i < 3; i++) await bp.backend().conv2dForwardAsync(cx, bp.floatArray("float32", 144).fill(0.1), null, cz, cz, 4, 8, 8, 2, 3, 3, 8, 1, 1, 1, 1, 1, 1, 8, 8, 1, 3, 0);
  console.log("trained", m.evaluate(x, y), c.predict(bp.tensor(Float32Array.from(xi.flat()), [16, 8, 8, 2])).shape);
})();'
# valgrind cannot execute AVX-512 (SIGILL): OpenBLAS runs its SSE3 kernels here, whatever the CPU would pick.
cp /dev/null "$log"; OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=Prescott valgrind --leak-check=full --show-leak-kinds=definite --num-callers=40 --error-limit=no \
  node --jitless -e "$script" >"$log" 2>&1 || true
grep -E "trained|definitely lost|possibly lost|ERROR SUMMARY" "$log" | sed "s/^/  /"
addon_leaks=$(awk '/definitely lost in/ {blk=1; buf=""} blk {buf=buf"\n"$0} /^==[0-9]+== $/ && blk {if (buf ~ /backprop\.node/) n++; blk=0} END {print n+0}' "$log")
addon_errors=$(grep -cE 'Invalid (read|write)|uninitialised|Mismatched free' "$log" || true)
echo "valgrind: definite leak records through the addon: $addon_leaks; invalid read/write/uninitialised reports: ${addon_errors:-0}"
grep -q '^trained' "$log" || { echo "valgrind: the training run did not finish" >&2; tail -30 "$log" >&2; exit 1; }
[ "$addon_leaks" = 0 ] || { grep -B2 -A30 'definitely lost in' "$log" | grep -B30 backprop.node >&2; exit 1; }
