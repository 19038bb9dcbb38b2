#!/usr/bin/env node
/**
 * Training memory of multi-head attention, backprop against PyTorch 1.13 (issue 23): one training step (forward +
 * backward, the gradients of the input and of every weight) of self-attention over [batch, steps, d] inputs, as the
 * growth of the process's peak RSS from after setup (layer and inputs allocated) to after the step, each in a
 * fresh process. backprop's fused attention keeps O(steps) values per head (projections, output, log-sum-exp);
 * PyTorch keeps the steps × steps attention weights of every head for backward.
 *
 * Usage: node bench/attention-memory.js [steps=2048] [d=256] [heads=8] [batch=8]
 * (builds on dist/: npm run build first). Prints one JSON line per run and the ratio.
 */
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const [steps, d, heads, batch] = [2048, 256, 8, 8].map((v, i) => Number(process.argv[2 + i] ?? v));

function backprop() {
  const bp = require('..');
  const { MultiHeadAttentionCore } = require('../dist/layers/multi-head-attention-core');
  const { allocParam } = require('../dist/layers/layer');
  bp.setThreads(1);
  const kd = d / heads;
  const core = new MultiHeadAttentionCore({
    numHeads: heads,
    keyDim: kd,
    valueDim: kd,
    dropout: 0,
    useBias: true,
    kernelInitializer: bp.initializers.glorotUniform(),
    biasInitializer: bp.initializers.zeros(),
  });
  const dims = { queryDim: d, keyInDim: d, valueInDim: d, outputDim: d, tq: steps, tk: steps };
  const rng = new bp.Rng(1);
  const params = core.weightSpecs('', dims).map((s) => {
    const p = allocParam(s.name, s.shape, 'float32');
    s.initializer.fill(p.value, p.shape, rng);
    return p;
  });
  core.bind(dims, 'float32', (name) => params.find((p) => p.name === name));
  const x = bp.floatArray('float32', batch * steps * d).map(() => rng.uniform(-1, 1));
  const dy = bp.floatArray('float32', batch * steps * d).fill(1);
  const dx = bp.floatArray('float32', batch * steps * d);
  const b = require('../dist/backend/select').backend();
  const masks = { mask: null, keyMask: null, queryMask: null, causal: false };
  const peak = () => process.resourceUsage().maxRSS * 1024;
  const before = peak();
  core.forward(b, x, x, x, batch, masks, true, rng);
  core.backward(b, dy, true, dx, dx, dx);
  const after = peak();
  // A second step reuses the buffers: no growth.
  core.forward(b, x, x, x, batch, masks, true, rng);
  core.backward(b, dy, true, dx, dx, dx);
  return {
    peer: 'backprop',
    backend: b.name,
    steps,
    d,
    heads,
    batch,
    stepPeakBytes: after - before,
    secondStepGrowth: peak() - after,
    rssBefore: before,
  };
}

if (process.argv[6] === '--child') {
  console.log(JSON.stringify(backprop()));
} else {
  const run = (cmd, args) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
    const line = r.stdout.trim().split('\n').pop();
    console.log(line);
    return JSON.parse(line);
  };
  const dims = [steps, d, heads, batch].map(String);
  const ours = run(process.execPath, [path.join(__dirname, 'attention-memory.js'), ...dims, '--child']);
  const torch = ['module', 'manual'].map((impl) =>
    run('/usr/bin/python3', [path.join(__dirname, 'torch_attention_memory.py'), ...dims, impl]),
  );
  const best = Math.min(...torch.map((t) => t.stepPeakBytes));
  const mib = (n) => `${(n / 2 ** 20).toFixed(0)} MiB`;
  console.log(
    `attention training memory at T=${steps}, d=${d}, ${heads} heads, batch ${batch}: backprop ${mib(ours.stepPeakBytes)}, ` +
      `PyTorch ${torch.map((t) => `${t.impl} ${mib(t.stepPeakBytes)}`).join(', ')}: ` +
      `backprop/PyTorch = ${(ours.stepPeakBytes / best).toFixed(3)} (of the smaller)`,
  );
}
