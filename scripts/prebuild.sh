#!/usr/bin/env bash
# Builds the prebuilt binary shipped in the package: a release addon with OpenBLAS linked statically
# (Debian's libopenblas.a, which dispatches on the CPU at run time) and its symbols hidden, stripped,
# checked to need nothing beyond the C runtime, and placed at prebuilds/<platform>-<arch>/backprop.node.
# No -march=native: the binary must run on any x86-64 (OpenBLAS picks its kernels at run time).
# `bash scripts/prebuild.sh linux-arm64` cross-compiles the linux-arm64 binary instead, with Debian's aarch64
# toolchain (g++-aarch64-linux-gnu) against the static arm64 OpenBLAS (dpkg --add-architecture arm64;
# libopenblas-dev:arm64), checked the same way with the cross binutils (it cannot be loaded here: the qemu test,
# scripts/test-arm64.sh, runs it).
set -euo pipefail
target=${1:-}
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
cross=()
tools=""
if [ -n "$target" ] && [ "$target" != "$platform" ]; then
  [ "$target" = linux-arm64 ] || { echo "prebuild: can only cross-compile linux-arm64, not $target" >&2; exit 1; }
  tools=aarch64-linux-gnu-
  blas=/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.a
  [ -f "$blas" ] || { echo "prebuild: $blas missing (dpkg --add-architecture arm64; apt-get install libopenblas-dev:arm64)" >&2; exit 1; }
  cross=(--CDCMAKE_TOOLCHAIN_FILE="$root/scripts/aarch64-linux-gnu.cmake" --CDOPENBLAS_LIB="$blas"
    --CDCBLAS_INCLUDE_DIR=/usr/include/aarch64-linux-gnu/openblas-pthread)
  platform=$target
fi
out="prebuilds/$platform"
build="build-prebuild-$platform"
rm -rf "$build"
# The prebuilt is the main addon only: the Gloo addon (optional, built from source where libgloo-dev is) is not
# shipped, and a cross build would link the host's libgloo.
npx cmake-js compile --out "$build" --CDBACKPROP_STATIC_BLAS=ON --CDBACKPROP_GLOO=OFF "${cross[@]}" >"$build.log" 2>&1 || { cat "$build.log"; exit 1; }
rm -f "$build.log"
mkdir -p "$out"
cp "$build/Release/backprop.node" "$out/backprop.node"
"${tools}strip" --strip-unneeded "$out/backprop.node"

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
if [ -n "$tools" ]; then
  # Cross-built: it cannot be loaded here. Every strong undefined symbol must be Node's (napi_*) or glibc's
  # (versioned). Weak ones ('w': the static libstdc++'s transactional-memory clones, __gmon_start__,
  # __cxa_pure_virtual) may stay unresolved, as `ldd -r` accepts them on x64.
  bad=$("${tools}nm" -D --undefined-only "$out/backprop.node" | awk '$1 == "U" {print $2}' | grep -v -E '^napi_|@GLIBC_' ||
    true)
  if [ -n "$bad" ]; then echo "prebuild: unresolved symbols: $bad" >&2; exit 1; fi
  if "${tools}nm" -D --defined-only "$out/backprop.node" | grep -qiE ' (cblas_|openblas_|sgemm_)'; then
    echo "prebuild: OpenBLAS symbols are exported (they must be hidden)" >&2; exit 1
  fi
  "${tools}readelf" -h "$out/backprop.node" | grep -q 'AArch64' || { echo "prebuild: not an AArch64 binary" >&2; exit 1; }
  echo "== $out/backprop.node: AArch64, needs only the C runtime and Node-API (load test: scripts/test-arm64.sh)"
  exit 0
fi
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
