#!/usr/bin/env bash
# Tests the package as a user gets it: `npm pack`, then in an empty project `npm install <tarball>` with
# install scripts disabled, and a script that requires it, checks the backend, trains XOR and exports it to
# ONNX — first with the prebuilt binary (must be native, with no system BLAS reachable), then with the prebuilt
# removed (must fall back to the shipped WebAssembly backend and still train), then with the WebAssembly module
# removed too (must fall back to js and still train). Run after `npm run build && npm run prebuild`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ -f prebuilds/linux-x64/backprop.node ] || { echo "check-package: run npm run prebuild first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tarball=$(npm pack --silent --pack-destination "$work" | tail -1)
echo "== packed $tarball ($(stat -c %s "$work/$tarball") bytes)"
# The listing read once: `tar | grep -q` fails under pipefail when grep stops reading early (tar gets SIGPIPE).
listing=$(tar -tzf "$work/$tarball")
grep -E 'prebuilds/|wasm/backprop.wasm|binding.gyp|CMakeLists.txt|dist/index.js' <<<"$listing" | sed 's/^/   /'
grep -q 'package/wasm/backprop.wasm' <<<"$listing" || { echo "check-package: wasm/backprop.wasm is not packed" >&2; exit 1; }
for p in linux-x64 linux-arm64; do
  [ -f "prebuilds/$p/backprop.node" ] || continue
  grep -q "package/prebuilds/$p/backprop.node" <<<"$listing" || { echo "check-package: prebuilds/$p not packed" >&2; exit 1; }
  echo "   size of prebuilds/$p/backprop.node: $(stat -c %s "prebuilds/$p/backprop.node") bytes"
done
echo "   size of wasm/backprop.wasm: $(stat -c %s wasm/backprop.wasm) bytes"
mkdir -p "$work/app" "$work/empty-libs"
cd "$work/app"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts "$work/$tarball" >/dev/null
[ ! -d node_modules/backprop/build ] || { echo "check-package: the package contains a build/ directory" >&2; exit 1; }
# binding.gyp ships in the package (so `npm run build` can compile from source), which would make npm run
# node-gyp at install time by default; "gypfile": false prevents it. Check with scripts enabled, too.
mkdir -p "$work/app2" && (cd "$work/app2" && npm init -y >/dev/null && npm install --no-audit --no-fund --foreground-scripts "$work/$tarball" >install.log 2>&1)
# (Dependencies' install scripts may run: msgpackr-extract's node-gyp-build-optional-packages only picks its
# prebuilt binary. A compile anywhere prints node-gyp's "gyp info" lines or names cmake-js.)
if grep -qiE 'gyp info|node-gyp rebuild|cmake-js|> backprop@[^ ]+ (pre|post)?install' "$work/app2/install.log" ||
  [ -d "$work/app2/node_modules/backprop/build" ]; then
  echo "check-package: installing the package compiled something:" >&2; cat "$work/app2/install.log" >&2; exit 1
fi
echo "== installs with scripts enabled without compiling anything"

cat > check.js <<'JS'
const want = process.argv[2];
const bp = require('backprop');
const info = bp.getBackend();
console.log('backend:', JSON.stringify(info));
if (info.name !== want) { console.error(`expected the ${want} backend, got ${info.name}`); process.exit(1); }
if (want === 'native' && !/prebuilds/.test(info.loadedFrom)) { console.error('native did not come from prebuilds/'); process.exit(1); }
(async () => {
  const { x, y } = bp.data.xor();
  const model = bp.sequential({ seed: 3, layers: [
    bp.layers.dense({ units: 8, activation: 'tanh', inputShape: [2] }),
    bp.layers.dense({ units: 1, activation: 'sigmoid' }),
  ] });
  model.compile({ optimizer: bp.optimizers.adam({ learningRate: 0.05 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  const h = await model.fit(x, y, { epochs: 300, batchSize: 4, verbose: 0 });
  const p = Array.from(model.predict(x).data).map((v) => (v > 0.5 ? 1 : 0));
  console.log('XOR predictions', p.join(' '), 'accuracy', h.history.accuracy.at(-1));
  if (p.join() !== '0,1,1,0') { console.error('XOR did not train'); process.exit(1); }
  // The ONNX schema (proto/) ships with the package.
  const onnx = await bp.exportOnnx(model, 'model.onnx');
  if (!(onnx.length > 100 && require('fs').statSync('model.onnx').size === onnx.length)) {
    console.error('ONNX export failed'); process.exit(1);
  }
  console.log('ONNX export', onnx.length, 'bytes');
})();
JS

echo "== with the prebuilt binary, no system BLAS reachable (LD_LIBRARY_PATH=empty dir)"
ldd node_modules/backprop/prebuilds/linux-x64/backprop.node | sed 's/^/   /'
if ldd node_modules/backprop/prebuilds/linux-x64/backprop.node | grep -qi blas; then echo "check-package: prebuilt links a shared BLAS" >&2; exit 1; fi
LD_LIBRARY_PATH="$work/empty-libs" node check.js native

echo "== the README's first example, as written, in this empty project"
awk '/^```js$/{f=1; next} /^```$/{if (f) exit} f' "$root/README.md" > readme-example.js
LD_LIBRARY_PATH="$work/empty-libs" node readme-example.js | tee readme-example.log
node -e "
  const line = require('fs').readFileSync('readme-example.log', 'utf8').trim().split('\n').pop();
  const acc = Number(/accuracy: ([0-9.]+)/.exec(line)?.[1]);
  if (!(acc > 0.9)) { console.error('check-package: the README example did not train (last line: ' + line + ')'); process.exit(1); }
"

echo "== without the prebuilt binary: falls back to the WebAssembly backend (one warning) and still trains"
rm -rf node_modules/backprop/prebuilds
node check.js wasm 2>wasm-warning.log
if [ "$(grep -c 'the native backend could not load' wasm-warning.log)" != 1 ]; then
  echo "check-package: expected one warning saying why native did not load:" >&2; cat wasm-warning.log >&2; exit 1
fi
echo "== without the WebAssembly module either: falls back to js and still trains"
rm -rf node_modules/backprop/wasm
BACKPROP_SILENT=1 node check.js js
echo "== package checks passed"
