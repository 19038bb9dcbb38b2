#!/usr/bin/env bash
# The residual CNN's accuracy target, next to PyTorch in the same run: 5 epochs, batch 64, Adam 1e-3 on the built-in
# digits (8,000 train / 2,000 test) — backprop native (its default threads and 1 thread) and PyTorch (1 and 2
# threads, with the OpenBLAS settings backprop gives itself) on exactly the same split. Target: test accuracy within
# 0.5 points of PyTorch's. Usage: bash bench/residual-accuracy.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/index.js ] || npm run build >/dev/null
core=$(node -e "const b=require('./dist').getBackend(); console.log((/\(\w+, (\w+)[;)]/.exec(b.blas || '') || [])[1] || '')")
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
out=$data/results.jsonl
node bench/residual-accuracy.js --export "$data" | tee -a "$out"
node bench/residual-accuracy.js --threads 1 | tee -a "$out"
for t in 1 2; do
  OPENBLAS_CORETYPE="$core" OPENBLAS_THREAD_TIMEOUT=20 /usr/bin/python3 bench/residual_accuracy.py "$data" "$t" |
    tee -a "$out"
done
node -e "
  const rows = require('fs').readFileSync('$out', 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const ours = rows.filter((r) => r.peer.startsWith('backprop')), torch = rows.filter((r) => r.peer === 'pytorch');
  const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
  const a = mean(ours.map((r) => r.testAccuracy)), b = mean(torch.map((r) => r.testAccuracy));
  const tb = Math.min(...ours.map((r) => r.trainSeconds)), tt = Math.min(...torch.map((r) => r.trainSeconds));
  console.log('residual CNN, 5 epochs: backprop test accuracy ' + (100 * a).toFixed(2) + '% (mean of ' + ours.length +
    '), PyTorch ' + (100 * b).toFixed(2) + '% (mean of ' + torch.length + '); difference ' + (100 * (a - b)).toFixed(2) +
    ' points. Best train time: backprop ' + tb + ' s, PyTorch ' + tt + ' s (' + (tt / tb).toFixed(2) + 'x)');
"
