#!/usr/bin/env bash
# Builds the addon with node-gyp from binding.gyp into build-gyp/ and checks it loads and computes,
# so the two build descriptions (CMakeLists.txt, binding.gyp) never drift apart.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf build-gyp
npx node-gyp rebuild --directory . --nodedir="${NODEDIR:-/usr}" -j 2 >/tmp/backprop-gyp.log 2>&1 || { cat /tmp/backprop-gyp.log; exit 1; }
# node-gyp always writes to ./build; move the result aside so the canonical cmake-js build can own build/.
mkdir -p build-gyp && cp build/Release/backprop.node build-gyp/backprop.node && rm -rf build
node -e "
  const a = require('./build-gyp/backprop.node');
  const x = new Float64Array([1, 2, 3, 4]), y = new Float64Array([5, 6, 7, 8]), c = new Float64Array(4);
  a.gemm(false, false, 2, 2, 2, 1, x, y, 0, c);
  const want = [19, 22, 43, 50];
  if (want.some((v, i) => c[i] !== v)) { console.error('node-gyp build computes wrong gemm:', c); process.exit(1); }
  console.log('node-gyp build OK:', a.blasInfo());
"
