#!/usr/bin/env bash
# Builds the addon with node-gyp from binding.gyp into build-gyp/ and checks it loads and computes,
# so the two build descriptions (CMakeLists.txt, binding.gyp) never drift apart. The build runs in a
# scratch copy because node-gyp always writes ./build, which the canonical cmake-js build owns.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$root/binding.gyp" "$root/native" "$root/package.json" "$tmp/"
ln -s "$root/node_modules" "$tmp/node_modules"
(cd "$tmp" && "$root/node_modules/.bin/node-gyp" rebuild --nodedir="${NODEDIR:-/usr}" -j 2 >"$tmp/gyp.log" 2>&1) || { cat "$tmp/gyp.log"; exit 1; }
mkdir -p "$root/build-gyp"
cp "$tmp/build/Release/backprop.node" "$root/build-gyp/backprop.node"
cd "$root"
node -e "
  const a = require('./build-gyp/backprop.node');
  const x = new Float64Array([1, 2, 3, 4]), y = new Float64Array([5, 6, 7, 8]), c = new Float64Array(4);
  a.gemm(false, false, 2, 2, 2, 1, x, y, 0, c);
  const want = [19, 22, 43, 50];
  if (want.some((v, i) => c[i] !== v)) { console.error('node-gyp build computes wrong gemm:', c); process.exit(1); }
  let threw = false;
  try { a.gemm(false, false, 2, 2, 2, 1, x, y, 0, new Float64Array(3)); } catch (e) { threw = e instanceof RangeError; }
  if (!threw) { console.error('node-gyp build does not validate arguments'); process.exit(1); }
  console.log('node-gyp build OK:', JSON.stringify(a.blasInfo()));
"
