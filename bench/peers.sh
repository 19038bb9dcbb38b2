#!/usr/bin/env bash
# Side-by-side figures: `backprop bench` next to PyTorch (CPU, 1 and 2 threads) and TF.js (pure-JS cpu
# backend) on the same networks, in one run, so ratios come from the same minute on the same machine.
# Usage: bash bench/peers.sh [--quick]
# PyTorch comes from Debian's python3-torch (installed with apt when missing and we are root); TF.js from the
# @tensorflow/tfjs devDependency (npm ci). OpenBLAS (which Debian's PyTorch also uses for its matrix products)
# is given the same core type as backprop chooses, so both run the same BLAS kernels; the run with PyTorch's
# own default detection is printed too.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=${1:-}
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch >/dev/null
  else echo "bench/peers.sh: PyTorch is missing: apt-get install python3-torch" >&2; exit 1; fi
fi
[ -f dist/index.js ] || npm run build >/dev/null
core=$(node -e "const b=require('./dist').getBackend(); console.log((/\(\w+, (\w+)[;)]/.exec(b.blas || '') || [])[1] || '')")
steps=40; [ "$quick" = --quick ] && steps=10
echo "== backprop"
node dist/cli/main.js bench ${quick:+--quick}
torch() {
  for t in 1 2; do
    /usr/bin/python3 bench/torch_peer.py "$1" "$2" "$3" "$t"
    [ -n "$core" ] && OPENBLAS_CORETYPE="$core" OPENBLAS_THREAD_TIMEOUT=20 /usr/bin/python3 bench/torch_peer.py "$1" "$2" "$3" "$t" | sed "s/}$/, \"openblasCore\": \"$core\"}/"
  done
}
echo "== PyTorch"
torch mlp:784-256-128-10:adam 128 $((steps * 5))
torch mlp:784-128-10:sgd 64 $((steps * 10))
echo "== TF.js (cpu)"
node bench/tfjs-peer.js mlp:784-256-128-10:adam 128 5
node bench/tfjs-peer.js mlp:784-128-10:sgd 64 10
# sequence models: the networks of `backprop bench` section (e), LSTM(128) and GRU(128) over 50 steps of 32
# features, batch 64, Adam (PyTorch's gates are sigmoid, as ours there). The target's reference is PyTorch's
# best of these rows (as installed or with our core, 1 or 2 threads).
echo "== PyTorch (recurrent)"
torch lstm 64 "$steps"
torch gru 64 "$steps"
echo "== TF.js (cpu, recurrent)"
node bench/tfjs-peer.js lstm 64 3
node bench/tfjs-peer.js gru 64 3
# transformers: the GPT step of `backprop bench` section (g) (vocabulary 40, context 64, batch 32, AdamW) and
# multi-head attention alone (T 256, d 256, 8 heads, batch 16, forward + backward), each with nn.MultiheadAttention
# and with matmul + softmax attention; the reference is PyTorch's best row. Memory: bench/attention-memory.js.
echo "== PyTorch (transformers)"
torch gpt 32 "$((steps / 4))"
torch gpt-manual 32 "$((steps / 4))"
torch mha 16 "$((steps / 4))"
torch mha-manual 16 "$((steps / 4))"
# convolutional networks: backprop, PyTorch and TF.js alternating in rounds, with ratios (bench/cnn-peers.js)
echo "== CNNs"
node bench/cnn-peers.js ${quick}
# the residual CNN's test accuracy after 5 epochs on the digits, backprop and PyTorch on the same split (minutes)
if [ "$quick" != --quick ]; then echo "== residual CNN accuracy"; bash bench/residual-accuracy.sh; fi
