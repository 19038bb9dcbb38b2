/**
 * `backprop bench`: native vs pure JS, same machine, same run — gemm GFLOP/s (with the native share of
 * raw OpenBLAS), one training step of several MLPs (samples/s, µs/step, speedup, and the native step's
 * time over its gemms alone), and a full fit on the built-in digits. Medians of repeated samples after
 * warm-up, with the spread.
 */
import * as bp from '../index';
import type { Backend } from '../backend/ops';
import { gemmGflops } from '../bench/gemm-bench';
import { rawBlasGflops } from '../bench/raw-blas';
import { mlpStep, parseSpec, timeMlp, type MlpSpec } from '../bench/mlp-bench';
import { stepOverGemms } from '../bench/gemm-only';
import { memorySoak } from '../bench/memory';
import { machine } from './machine';
import { jsKernels } from '../backend/select';
import { rnnRows } from '../bench/rnn-bench';
import { cnnRows } from './bench-cnn';
import { transformerRows } from '../bench/transformer-bench';

interface Row {
  [k: string]: string | number | null;
}

function table(rows: Row[]): string {
  if (!rows.length) return '';
  const keys = Object.keys(rows[0]);
  const cell = (v: unknown) =>
    v === null || v === undefined
      ? 'n/a'
      : typeof v === 'number'
        ? Number.isInteger(v)
          ? String(v)
          : v.toFixed(v < 10 ? 2 : 1)
        : String(v);
  const w = keys.map((k) => Math.max(k.length, ...rows.map((r) => cell(r[k]).length)));
  const line = (vals: string[]) => vals.map((v, i) => (i === 0 ? v.padEnd(w[i]) : v.padStart(w[i]))).join('  ');
  return [line(keys), line(w.map((n) => '-'.repeat(n))), ...rows.map((r) => line(keys.map((k) => cell(r[k]))))].join(
    '\n',
  );
}

const MLPS: { label: string; spec: MlpSpec }[] = [
  { label: 'tiny 2-8-1 b4 sgd', spec: parseSpec('2-8-1', 4, 'sgd') },
  { label: 'tiny 2-4-2 b4 sgd', spec: parseSpec('2-4-2', 4, 'sgd') },
  { label: 'medium 784-128-10 b64 sgd', spec: parseSpec('784-128-10', 64, 'sgd') },
  { label: 'large 784-256-128-10 b128 adam', spec: parseSpec('784-256-128-10', 128, 'adam') },
  { label: 'wide 1024-1024-10 b128 adam', spec: parseSpec('1024-1024-10', 128, 'adam') },
];

export async function bench(o: { quick?: boolean; json?: boolean }): Promise<void> {
  const quick = !!o.quick;
  const out = (s: string) => {
    if (!o.json) process.stdout.write(`${s}\n`);
  };
  const native = bp.nativeBackend().backend;
  const js = bp.jsReference();
  // Training steps run the JS kernels as models do (shapes checked once per model, not per op).
  const jsSteps = jsKernels();
  const backends: [string, Backend][] = native
    ? [
        ['native', native],
        ['js', jsSteps],
      ]
    : [['js', jsSteps]];
  const m = machine();
  const result: Record<string, unknown> = { date: new Date().toISOString(), machine: m, quick };
  out(
    `backprop bench ${quick ? '--quick ' : ''}on ${m.cpu} (${m.cores} cores; ` +
      `${(m.cpuFeatures as string[]).join(' ')}), node ${m.node}`,
  );
  out(
    `native: ${native ? `${native.info().blas}, ${native.info().threads} threads` : 'unavailable'}` +
      `${native ? '' : ` (${bp.nativeBackend().error})`}\n`,
  );

  // (a) gemm
  const shapes: [number, number, number][] = quick
    ? [
        [64, 64, 64],
        [256, 256, 256],
        [128, 256, 784],
      ]
    : [
        [64, 64, 64],
        [128, 128, 128],
        [256, 256, 256],
        [512, 512, 512],
        [1024, 1024, 1024],
        [128, 256, 784],
      ];
  const threads = native?.info().threads;
  const gemmRows: Row[] = shapes.map(([mm, n, k]) => {
    const nat = native ? gemmGflops(native, mm, n, k) : null;
    const raw = native ? rawBlasGflops(mm, n, k, 'float32', threads) : null;
    const jsRate = quick && mm * n * k > 3e7 ? null : gemmGflops(js, mm, n, k);
    return {
      'm x n x k': `${mm}x${n}x${k}`,
      'native GFLOP/s': nat,
      'raw OpenBLAS': raw,
      'native/raw %': nat && raw ? (100 * nat) / raw : null,
      'js GFLOP/s': jsRate,
      speedup: nat && jsRate ? nat / jsRate : null,
    };
  });
  result.gemm = gemmRows;
  out('(a) gemm, float32\n' + table(gemmRows) + '\n');

  // (b) one training step
  const stepRows: Row[] = [];
  for (const { label, spec } of MLPS) {
    const row: Row = { mlp: label };
    const secs = quick ? 0.1 : 0.3;
    const times: Record<string, number> = {};
    for (const [name, b] of backends) {
      if (quick && name === 'js' && spec.sizes[0] >= 1024) {
        row[`${name} samples/s`] = null;
        row[`${name} us/step`] = null;
        continue;
      }
      const t = timeMlp(spec, b, name === 'js' && spec.sizes[0] > 100 ? secs * 2 : secs);
      times[name] = t.median;
      row[`${name} samples/s`] = Math.round(spec.batch / t.median);
      row[`${name} us/step`] =
        `${(t.median * 1e6).toFixed(1)} (${(t.min * 1e6).toFixed(1)}-${(t.max * 1e6).toFixed(1)})`;
    }
    bp.setBackend('auto');
    const tAuto = timeMlp(spec, 'auto', secs);
    row['auto us/step'] = +(tAuto.median * 1e6).toFixed(1);
    row.speedup = times.native && times.js ? +(times.js / times.native).toFixed(1) : null;
    if (native && spec.sizes[0] > 100) {
      const r = stepOverGemms(mlpStep(spec, native), spec, native, quick ? 5 : 15);
      row['native step/gemms'] =
        `${r.ratio.toFixed(2)} (${r.min.toFixed(2)}-${r.max.toFixed(2)}) best ${r.best.toFixed(2)}`;
    } else row['native step/gemms'] = null;
    stepRows.push(row);
  }
  result.steps = stepRows;
  out(
    '(b) one training step (relu hidden, linear output, softmax cross-entropy); speedup = js time / native time;\n' +
      '    step/gemms = native step time over the same gemms timed alone, median of alternating rounds (range),\n' +
      '    best = fastest step / fastest gemms (target <= 1.3)\n' +
      table(stepRows) +
      '\n',
  );

  // (d, full runs) memory: RSS and external memory after 1,000 vs 10,000 steps
  if (!quick) {
    const rows: Row[] = [];
    for (const [name, b] of backends) {
      const r = memorySoak(parseSpec('784-128-10', 64, 'adam'), b, name === 'js' ? 3000 : 10000);
      rows.push({
        backend: name,
        steps: r.steps,
        'RSS @1k (MB)': +(r.rssAt1k / 2 ** 20).toFixed(1),
        'RSS @end (MB)': +(r.rssAtEnd / 2 ** 20).toFixed(1),
        'RSS growth %': r.rssGrowthPct,
        'external growth %': r.externalGrowthPct,
      });
    }
    result.memory = rows;
    out('(d) memory over a long run (784-128-10, batch 64, Adam; target growth < 5%)\n' + table(rows) + '\n');
  }

  // (c) full fit on digits
  const fitRows: Row[] = [];
  const epochs = quick ? 2 : 12;
  for (const [name] of backends) {
    bp.setBackend(name as 'native' | 'js');
    const { train, test } = bp.data.digits({ seed: 0, limit: quick ? 3000 : undefined });
    const model = bp.sequential({
      seed: 1,
      layers: [
        bp.layers.dense({ units: 128, activation: 'relu', inputShape: [784] }),
        bp.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    });
    model.compile({
      optimizer: bp.optimizers.adam({ learningRate: 0.002 }),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });
    const t0 = performance.now();
    await model.fit(train.x, train.y, { epochs, batchSize: 32, verbose: 0 });
    const seconds = (performance.now() - t0) / 1000;
    fitRows.push({
      backend: name,
      epochs,
      'train rows': train.x.shape[0],
      seconds: +seconds.toFixed(2),
      'samples/s': Math.round((epochs * train.x.shape[0]) / seconds),
      'test accuracy': +model.evaluate(test.x, test.y).accuracy.toFixed(4),
    });
  }
  bp.setBackend('auto');
  result.fit = fitRows;
  out(`(c) fit 784-128-10 (Adam, batch 32) on the built-in digits\n${table(fitRows)}`);

  // sequence models: (e) recurrent training steps
  const rnn = await rnnRows(native, jsSteps, quick);
  result.recurrent = rnn;
  out(
    '\n(e) recurrent training step (sigmoid gates, as bench/torch_peer.py lstm|gru), float32; GFLOP/s counts\n' +
      "    3 x the forward's multiply-adds; raw = OpenBLAS alone on one step's recurrent gemm, 1 thread\n" +
      table(rnn),
  );
  // convolutional networks
  const cnn = await cnnRows(quick, native, jsSteps);
  result.cnn = cnn.rows;
  out(`\n${cnn.title}\n${table(cnn.rows)}`);
  // attention: (g) transformer training steps
  const transformers = await transformerRows(native, quick);
  result.transformers = transformers;
  out(
    '\n(g) transformers (bench/torch_peer.py gpt|gpt-manual and mha|mha-manual), float32, native; GFLOP/s counts\n' +
      "    the products' multiply-adds x2, backward as twice the forward\n" +
      table(transformers),
  );
  if (o.json) process.stdout.write(`${JSON.stringify(result)}\n`);
}
