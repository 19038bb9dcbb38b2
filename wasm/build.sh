#!/usr/bin/env bash
# Builds wasm/backprop.wasm, the WebAssembly backend's kernels, from wasm/src with Debian's clang and lld: 32-bit
# WebAssembly with 128-bit SIMD, shared memory and atomics (for the thread pool), no C library. The build is
# reproducible: the same sources and the same clang give the same bytes (no debug info, no paths, names
# stripped); CI rebuilds it and compares with the committed file. Usage: bash wasm/build.sh [output]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-"$root/wasm/backprop.wasm"}
cd "$root/wasm/src"
CXX=${CXX_WASM:-clang++}
sources=(
  runtime.cc pool.cc gemm.cc conv_direct.cc winograd.cc conv_generic.cc pool2d.cc batch_norm.cc
  kernels_dense.cc kernels_losses.cc kernels_optim.cc kernels_conv.cc kernels_recurrent.cc kernels_sequence.cc
  kernels_elementwise.cc kernels_reduce.cc kernels_tensor.cc attention.cc
)
flags=(
  --target=wasm32 -O3 -std=c++17 -ffreestanding -nostdlib -fno-exceptions -fno-rtti -fno-threadsafe-statics
  -msimd128 -matomics -mbulk-memory -mmutable-globals -mnontrapping-fptoint -msign-ext
  -ffp-contract=off -Wall -Wextra -Werror
)
link=(
  -Wl,--no-entry -Wl,--import-memory -Wl,--shared-memory -Wl,--max-memory=4294967296
  -Wl,-z,stack-size=1048576 -Wl,--export=__stack_pointer -Wl,--export=__heap_base -Wl,--strip-all
)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$CXX" "${flags[@]}" "${link[@]}" -o "$tmp/backprop.wasm" "${sources[@]}"
mv "$tmp/backprop.wasm" "$out"
echo "wasm/build.sh: $out ($(stat -c %s "$out") bytes, sha256 $(sha256sum "$out" | cut -c1-16)," \
  "$("$CXX" --version | head -1))"
