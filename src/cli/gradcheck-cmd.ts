/** `backprop gradcheck --config model.json`: the finite-difference gradient check on a small random problem. */
import * as fs from 'node:fs';
import * as bp from '../index';
import { fail } from './errors';

export function gradcheckCommand(o: { config?: string; json?: boolean }): void {
  let cfg: {
    inputs?: number;
    layers?: number[] | string;
    activation?: string;
    outputs?: number;
    outputActivation?: string;
    loss?: string;
    rows?: number;
    seed?: number;
  } = {};
  if (o.config) {
    try {
      cfg = JSON.parse(fs.readFileSync(o.config, 'utf8'));
    } catch (e) {
      fail(`${o.config}: cannot read the config (${(e as Error).message.split('\n')[0]})`);
    }
  }
  const layers = typeof cfg.layers === 'string' ? cfg.layers.split(',').map(Number) : (cfg.layers ?? [8, 8]);
  const inputs = cfg.inputs ?? 4,
    outputs = cfg.outputs ?? 3,
    rows = cfg.rows ?? 8,
    seed = cfg.seed ?? 0;
  const loss = cfg.loss ?? 'categoricalCrossentropy';
  const outAct =
    cfg.outputActivation ??
    (loss.toLowerCase().includes('categorical')
      ? 'softmax'
      : loss.toLowerCase().includes('binary')
        ? 'sigmoid'
        : 'linear');
  const model = bp.sequential({ seed, dtype: 'float64' });
  const bi = bp.initializers.randomUniform({ minval: 0.05, maxval: 0.3 });
  layers.forEach((u, i) =>
    model.add(
      bp.layers.dense({
        units: u,
        activation: cfg.activation ?? 'tanh',
        inputShape: i === 0 ? [inputs] : undefined,
        biasInitializer: bi,
      }),
    ),
  );
  model.add(
    bp.layers.dense({
      units: outputs,
      activation: outAct,
      inputShape: layers.length ? undefined : [inputs],
      biasInitializer: bi,
    }),
  );
  model.compile({ optimizer: 'sgd', loss });
  const rng = new bp.Rng(seed + 1);
  const x = Array.from({ length: rows }, () => Array.from({ length: inputs }, () => rng.uniform(-1, 1)));
  const sparse = model.loss!.sparseTargets;
  const y = sparse
    ? Array.from({ length: rows }, () => rng.int(outputs))
    : Array.from({ length: rows }, () => {
        const c = rng.int(outputs);
        return Array.from({ length: outputs }, (_, j) =>
          loss.toLowerCase().includes('crossentropy') ? (j === c ? 1 : 0) : rng.uniform(-1, 1),
        );
      });
  const r = bp.gradcheck(model, x, y);
  const ok = r.maxError < 1e-4;
  if (o.json) process.stdout.write(`${JSON.stringify({ ...r, ok })}\n`);
  else {
    for (const [k, v] of Object.entries(r.errors))
      process.stdout.write(`${k.padEnd(20)} worst relative error ${v.toExponential(2)} (${r.checked[k]} checked)\n`);
    process.stdout.write(
      `${ok ? 'OK' : 'FAILED'}: max relative error ${r.maxError.toExponential(2)} (threshold 1e-4)\n`,
    );
  }
  if (!ok) process.exitCode = 1;
}
