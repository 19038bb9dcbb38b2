#!/usr/bin/env node
// Quick side-by-side benchmark (grown into `backprop bench` by the CLI): in one run, the native gemm's
// GFLOP/s next to raw OpenBLAS for the same shapes, and JS-backend training samples/s next to TF.js's
// pure-JS cpu backend on 784-256-128-10 at batch 128 (Adam). Run `npm run build` first.
const bp = require('../dist');
const { gemmTable } = require('../dist/bench/gemm-bench');
const { timeMlp, parseSpec } = require('../dist/bench/mlp-bench');
const { tfjsCpuSamplesPerSecond } = require('../dist/bench/tfjs-bench');

(async () => {
  const native = bp.nativeBackend().backend;
  const js = bp.jsReference();
  const threads = native ? native.info().threads : undefined;
  console.log(`backends: native=${native ? native.info().blas + `, ${threads} threads` : 'unavailable'}; js`);

  console.log('\n== gemm, float32, GFLOP/s (native share of raw BLAS)');
  const shapes = [
    [64, 64, 64],
    [128, 128, 128],
    [256, 256, 256],
    [512, 512, 512],
    [1024, 1024, 1024],
    [128, 256, 784],
  ];
  const backends = native ? [['native', native]] : [];
  const rows = gemmTable(backends, shapes, threads);
  for (const r of rows) {
    const nat = r.gflops.native;
    const share = nat && r.rawBlas ? ` (${((nat / r.rawBlas) * 100).toFixed(0)}% of raw)` : '';
    console.log(
      `${`${r.m}x${r.n}x${r.k}`.padEnd(14)} native ${nat ? nat.toFixed(1).padStart(7) : '   n/a '}  raw OpenBLAS ${r.rawBlas ? r.rawBlas.toFixed(1).padStart(7) : '   n/a '}${share}`,
    );
  }
  const jsSmall = gemmTable([['js', js]], [[256, 256, 256]])[0].gflops.js;
  console.log(`js backend gemm 256x256x256: ${jsSmall.toFixed(2)} GFLOP/s`);

  console.log('\n== training 784-256-128-10, batch 128, Adam: samples/s');
  const spec = parseSpec('784-256-128-10', 128, 'adam');
  const tJs = timeMlp(spec, require('../dist/backend/select').jsKernels(), 0.5);
  const jsRate = spec.batch / tJs.median;
  const tf = await tfjsCpuSamplesPerSecond(spec, 8);
  console.log(`js backend     ${jsRate.toFixed(0).padStart(8)}`);
  console.log(
    `tfjs cpu       ${tf ? tf.toFixed(0).padStart(8) : '     n/a'}${tf ? `   → js backend is ${(jsRate / tf).toFixed(1)}x TF.js cpu` : ''}`,
  );
  if (native) {
    const tN = timeMlp(spec, native, 0.5);
    console.log(
      `native         ${(spec.batch / tN.median).toFixed(0).padStart(8)}   → ${(tJs.median / tN.median).toFixed(1)}x the js backend`,
    );
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
