#!/usr/bin/env bash
# Builds the prebuilt binary shipped in the package: a release addon with OpenBLAS linked statically
# (Debian's libopenblas.a, which dispatches on the CPU at run time) and its symbols hidden, stripped,
# checked to need nothing beyond the C runtime, and placed at prebuilds/<platform>-<arch>/backprop.node.
# No -march=native: the binary must run on any x86-64 (OpenBLAS picks its kernels at run time).
set -euo pipefail
# npm also runs a script named "prebuild" as the pre-hook of "npm run build". Only build the prebuilt
# binary when it was asked for by name: find the npm command line among our ancestors.
if [ "${npm_lifecycle_event:-}" = prebuild ]; then
  pid=$PPID
  for _ in 1 2 3 4 5 6; do
    [ -r "/proc/$pid/cmdline" ] || break
    cmd=$(tr '\0' ' ' < "/proc/$pid/cmdline" | tr -s ' ')
    case " $cmd " in
      *" run build "*|*" run-script build "*) exit 0 ;;
      *" run prebuild "*|*" run-script prebuild "*) break ;;
    esac
    pid=$(sed -E 's/.*\) [A-Za-z] ([0-9]+) .*/\1/' "/proc/$pid/stat")
    [ -n "$pid" ] && [ "$pid" != 0 ] || break
  done
fi
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
platform=$(node -p "process.platform + '-' + process.arch")
out="prebuilds/$platform"
rm -rf build-prebuild
npx cmake-js compile --out build-prebuild --CDBACKPROP_STATIC_BLAS=ON >build-prebuild.log 2>&1 || { cat build-prebuild.log; exit 1; }
rm -f build-prebuild.log
mkdir -p "$out"
cp build-prebuild/Release/backprop.node "$out/backprop.node"
strip --strip-unneeded "$out/backprop.node"

echo "== $out/backprop.node: $(stat -c %s "$out/backprop.node") bytes"
echo "== readelf -d (NEEDED):"
needed=$(readelf -d "$out/backprop.node" | awk '/NEEDED/ {gsub(/[\[\]]/, "", $5); print $5}')
echo "$needed" | sed 's/^/   /'
for lib in $needed; do
  case "$lib" in
    libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|ld-linux*.so.*) ;;
    *) echo "prebuild: $out/backprop.node depends on $lib; it must need only the C runtime" >&2; exit 1 ;;
  esac
done
echo "== ldd:"
ldd "$out/backprop.node" | sed 's/^/   /'
if ldd "$out/backprop.node" | grep -qi blas; then echo "prebuild: the binary still links a shared BLAS" >&2; exit 1; fi
# Every undefined symbol must come from Node itself (napi_*) or the C runtime.
bad=$(ldd -r "$out/backprop.node" 2>&1 | awk '/undefined symbol/ {print $3}' | grep -v '^napi_' || true)
if [ -n "$bad" ]; then echo "prebuild: unresolved symbols: $bad" >&2; exit 1; fi
if nm -D --defined-only "$out/backprop.node" | grep -qiE ' (cblas_|openblas_|sgemm_)'; then
  echo "prebuild: OpenBLAS symbols are exported (they must be hidden)" >&2; exit 1
fi
BACKPROP_ADDON_PATH="$root/$out/backprop.node" node -e "
  const a = require(process.env.BACKPROP_ADDON_PATH);
  const c = new Float32Array(4);
  a.gemm(false, false, 2, 2, 2, 1, Float32Array.of(1, 2, 3, 4), Float32Array.of(5, 6, 7, 8), 0, c);
  if (c.join() !== '19,22,43,50') { console.error('prebuilt gemm is wrong', c); process.exit(1); }
  console.log('== loads and computes:', JSON.stringify(a.blasInfo()));
"
