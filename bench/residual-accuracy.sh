#!/usr/bin/env bash
# The residual CNN's accuracy target, next to PyTorch in the same run: 5 epochs, batch 64, Adam 1e-3 on the built-in
# digits (8,000 train / 2,000 test) — backprop native (its default threads) and PyTorch (2 threads, with the
# OpenBLAS settings backprop gives itself) on exactly the same split. Paired, per seed: PyTorch starts from
# backprop's initial weights and takes the same batches in the same order, so the two runs differ only in the
# libraries' arithmetic. Target: mean test accuracy within 0.5 points of PyTorch's.
# Batch norm's momentum is MOMENTUM (default 0.9, PyTorch's default; Keras' is 0.99) in both libraries. With 0.99,
# the moving statistics that test accuracy uses average the last ~100 of the 625 steps, over which the weights
# still change fast: test accuracy then collapses on some seeds in both libraries (66.6% on seed 1 where 0.9 gives
# 96.2%), and paired runs that start alike drift apart by up to 8 points. MOMENTUM=0.99 runs Keras' default.
# Each seed is compared with its own PyTorch run; the means over SEEDS are reported with the range and the largest
# paired difference.
# Usage: [PEER_THREADS=1] [MOMENTUM=0.9] bash bench/residual-accuracy.sh [SEEDS...]   (default: 1 2 3 4 5; ~5
# minutes per seed on 2 cores). PEER_THREADS (default 2) sets PyTorch's threads: on a busy machine 1 is much
# faster, and the accuracy does not depend on it.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/index.js ] || npm run build >/dev/null
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3 4 5)
core=$(node -e "const b=require('./dist').getBackend(); console.log((/\(\w+, (\w+)[;)]/.exec(b.blas || '') || [])[1] || '')")
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
out=$data/results.jsonl
for s in "${seeds[@]}"; do
  node bench/residual-accuracy.js --export "$data" --seed "$s" --momentum "${MOMENTUM:-0.9}" | tee -a "$out"
  OPENBLAS_CORETYPE="$core" OPENBLAS_THREAD_TIMEOUT=20 /usr/bin/python3 bench/residual_accuracy.py "$data" "${PEER_THREADS:-2}" "$s" "${MOMENTUM:-0.9}" |
    tee -a "$out"
done
node -e "
  const rows = require('fs').readFileSync('$out', 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const ours = rows.filter((r) => r.peer.startsWith('backprop')), torch = rows.filter((r) => r.peer === 'pytorch');
  const pct = (v) => (100 * v).toFixed(2);
  const stats = (rs) => {
    const a = rs.map((r) => r.testAccuracy);
    return { mean: a.reduce((s, v) => s + v, 0) / a.length, min: Math.min(...a), max: Math.max(...a), n: a.length };
  };
  const a = stats(ours), b = stats(torch);
  const paired = ours.map((r) => Math.abs(r.testAccuracy - torch.find((t) => t.seed === r.seed).testAccuracy));
  const tb = Math.min(...ours.map((r) => r.trainSeconds)), tt = Math.min(...torch.map((r) => r.trainSeconds));
  console.log('residual CNN, 5 epochs, batch norm momentum ${MOMENTUM:-0.9}, ' + a.n + ' seeds: backprop test accuracy ' + pct(a.mean) + '% (' + pct(a.min) +
    '-' + pct(a.max) + '), PyTorch ' + pct(b.mean) + '% (' + pct(b.min) + '-' + pct(b.max) + '); difference of means ' +
    pct(a.mean - b.mean) + ' points (largest paired difference ' + pct(Math.max(...paired)) + '). ' +
    'Best train time: backprop ' + tb + ' s, PyTorch ' + tt + ' s (' + (tt / tb).toFixed(2) + 'x)');
"
