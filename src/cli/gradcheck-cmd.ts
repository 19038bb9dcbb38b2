/** `backprop gradcheck --config model.json`: the finite-difference gradient check on a small random problem. */
import * as fs from 'node:fs';
import * as bp from '../index';
import { fail } from './errors';
import { toJson } from '../jobs/json-numbers';

/** Sizes a config may ask for: finite differences cost two forward passes per checked weight. */
const MAX = { inputs: 256, units: 256, layers: 8, outputs: 256, rows: 256 };

type Config = Record<string, unknown>;

function intField(cfg: Config, key: string, fallback: number, min: number, max: number, file: string): number {
  const v = cfg[key] ?? fallback;
  if (!Number.isSafeInteger(v) || (v as number) < min || (v as number) > max)
    fail(`${file}: '${key}' must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  return v as number;
}

function nameField(cfg: Config, key: string, fallback: string, file: string): string {
  const v = cfg[key] ?? fallback;
  // A name such as '__proto__' would find Object.prototype in the library's lookup tables.
  if (typeof v !== 'string' || v === '' || v in Object.prototype)
    fail(`${file}: '${key}' must be a name such as '${fallback}', got ${JSON.stringify(v)}`);
  return v as string;
}

export function gradcheckCommand(o: { config?: string; json?: boolean }): void {
  let cfg: Config = {};
  const file = o.config ?? '--config';
  if (o.config) {
    try {
      cfg = JSON.parse(fs.readFileSync(o.config, 'utf8'));
    } catch (e) {
      fail(`${o.config}: cannot read the config (${(e as Error).message.split('\n')[0]})`);
    }
    if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) fail(`${o.config}: the config must be a JSON object`);
  }
  const rawLayers = typeof cfg.layers === 'string' ? cfg.layers.split(',') : (cfg.layers ?? [8, 8]);
  if (!Array.isArray(rawLayers) || rawLayers.length > MAX.layers)
    fail(`${file}: 'layers' must be at most ${MAX.layers} sizes, e.g. [8, 8] or "8,8"`);
  const layers = (rawLayers as unknown[]).map((u, i) => {
    const n = typeof u === 'string' ? Number(u) : u;
    if (!Number.isSafeInteger(n) || (n as number) < 1 || (n as number) > MAX.units)
      fail(`${file}: 'layers'[${i}] must be an integer in [1, ${MAX.units}], got ${JSON.stringify(u)}`);
    return n as number;
  });
  const inputs = intField(cfg, 'inputs', 4, 1, MAX.inputs, file),
    outputs = intField(cfg, 'outputs', 3, 1, MAX.outputs, file),
    rows = intField(cfg, 'rows', 8, 1, MAX.rows, file),
    seed = intField(cfg, 'seed', 0, 0, 2 ** 31 - 1, file);
  const loss = nameField(cfg, 'loss', 'categoricalCrossentropy', file);
  const activation = nameField(cfg, 'activation', 'tanh', file);
  const outAct =
    cfg.outputActivation !== undefined
      ? nameField(cfg, 'outputActivation', 'softmax', file)
      : loss.toLowerCase().includes('categorical')
        ? 'softmax'
        : loss.toLowerCase().includes('binary')
          ? 'sigmoid'
          : 'linear';
  const model = bp.sequential({ seed, dtype: 'float64' });
  const bi = bp.initializers.randomUniform({ minval: 0.05, maxval: 0.3 });
  layers.forEach((u, i) =>
    model.add(
      bp.layers.dense({
        units: u,
        activation,
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
  if (o.json) process.stdout.write(`${toJson({ ...r, ok })}\n`);
  else {
    for (const [k, v] of Object.entries(r.errors))
      process.stdout.write(`${k.padEnd(20)} worst relative error ${v.toExponential(2)} (${r.checked[k]} checked)\n`);
    process.stdout.write(
      `${ok ? 'OK' : 'FAILED'}: max relative error ${r.maxError.toExponential(2)} (threshold 1e-4)\n`,
    );
  }
  if (!ok) process.exitCode = 1;
}
