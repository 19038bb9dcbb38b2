#!/usr/bin/env bash
# Row-by-row MNIST (each 28×28 digit as 28 steps of 28 pixels), LSTM(128) → dense 10, 5 epochs, batch 64,
# Adam 1e-3, on the same 8,000 / 2,000 split of the built-in digits: backprop (bench/rnn-accuracy.js) and
# PyTorch (bench/torch_rnn_accuracy.py), alternating in one run, each with 1 thread (PyTorch's best on
# recurrent nets here). PyTorch runs as installed (its OpenBLAS detects the core itself) and with
# OPENBLAS_CORETYPE set to the core backprop chooses. Prints one JSON line per run and a summary.
# Usage: bash bench/rnn-accuracy.sh [rounds=1] [threads=1]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-1}
threads=${2:-1}
[ -f dist/index.js ] || npm run build >/dev/null
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "bench/rnn-accuracy.sh: PyTorch is missing: apt-get install python3-torch" >&2
  exit 1
fi
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
core=$(node -e "const m=/core chosen by backprop: (\w+)/.exec(require('./dist').getBackend().blas||''); console.log(m?m[1]:'')")
out=$(mktemp)
node bench/rnn-accuracy.js --export "$data" --epochs 0 >/dev/null
for ((r = 1; r <= rounds; r++)); do
  node bench/rnn-accuracy.js --threads "$threads" | tee -a "$out"
  /usr/bin/python3 bench/torch_rnn_accuracy.py "$data" "$threads" | tee -a "$out"
  if [ -n "$core" ]; then
    OPENBLAS_CORETYPE="$core" OPENBLAS_THREAD_TIMEOUT=20 /usr/bin/python3 bench/torch_rnn_accuracy.py "$data" "$threads" |
      sed "s/}$/, \"openblasCore\": \"$core\"}/" | tee -a "$out"
  fi
done
node -e '
  const runs = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const key = (r) => r.peer + (r.openblasCore ? ` (OPENBLAS_CORETYPE=${r.openblasCore})` : r.peer === "pytorch" ? " (as installed)" : "");
  const median = (a) => a.sort((x, y) => x - y)[a.length >> 1];
  const groups = {};
  for (const r of runs) (groups[key(r)] ??= []).push(r);
  console.log("\nsummary (median of rounds): test accuracy, training seconds");
  for (const [k, rs] of Object.entries(groups)) {
    console.log(`  ${k.padEnd(40)} ${median(rs.map((r) => r.testAccuracy)).toFixed(4)}  ${median(rs.map((r) => r.trainSeconds)).toFixed(1)} s`);
  }
' "$out"
rm -f "$out"
