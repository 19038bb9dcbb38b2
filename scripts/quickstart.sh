#!/usr/bin/env bash
# From a fresh clone to a trained model: installs what is missing (OpenBLAS and cmake via apt when run as
# root or with sudo), installs npm packages, builds the addon and the TypeScript, and runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
[ -e /usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h ] || [ -e /usr/include/aarch64-linux-gnu/openblas-pthread/cblas.h ] || [ -e /usr/include/cblas.h ] || need+=(libopenblas-dev)
command -v cmake >/dev/null || need+=(cmake)
command -v g++ >/dev/null || need+=(g++)
if [ ${#need[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
  else
    echo "Please install: ${need[*]} (OpenBLAS, cmake, a C++ compiler); continuing — backprop falls back to pure JS without them." >&2
  fi
fi
# onnxruntime-node (a devDependency) would download CUDA binaries in its install script: skip them.
ONNXRUNTIME_NODE_INSTALL=skip ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm ci --no-audit --no-fund
npm run build || { echo "native build failed; continuing with the pure-JS backend" >&2; npm run build:ts; }
node scripts/demo.js
