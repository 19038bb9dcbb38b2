/**
 * Restores what save wrote beyond the weights (see training-config.ts): the compile settings — loss with its
 * options, metrics, the optimizer's full configuration — through the registries (closed lists, every value
 * checked), then with `includeOptimizer` the optimizer state and the training position, so fit resumes
 * bit for bit. A custom (function) loss cannot be saved: give it again with `loadLayersModel(dir, { loss })`.
 */
import type { Model } from '../model/model';
import { getOptimizer } from '../optimizers';
import { getLoss } from '../training/losses';
import { checkMetricNames } from '../training/metrics';
import type { Loss, Optimizer } from '../training/contracts';
import type { LossIdentifier } from '../training/losses';
import type { Obj, Reader } from './safe-json';
import { decodeNumber } from './training-config';
import { quote } from '../quote';
import { decodeWeights } from './weights';
import type { WeightBytes } from './read-weights';

export function restoreTraining(
  model: Model,
  r: Reader,
  bp: Obj,
  weightBytes: WeightBytes,
  givenLoss: LossIdentifier | undefined,
): void {
  const where = 'userDefinedMetadata.backprop';
  if (bp.compile === undefined) {
    if (givenLoss !== undefined) r.fail(where, `'loss' was given but the saved model was never compiled`);
    return;
  }
  const c = r.obj(bp.compile, `${where}.compile`);
  const optimizer = read(r, `${where}.compile.optimizer`, () =>
    getOptimizer(r.obj(c.optimizer, `${where}.compile.optimizer`)),
  );
  const names = model.outputNames;
  // One record per output: the whole record for a single output, `outputs.<name>` for several.
  const records: Obj[] = [];
  if (c.outputs !== undefined) {
    const outs = r.obj(c.outputs, `${where}.compile.outputs`);
    for (const k of Object.keys(outs)) {
      if (!names.includes(k)) r.fail(`${where}.compile.outputs`, `the model has no output '${k.slice(0, 64)}'`);
    }
    for (const n of names) records.push(outs[n] === undefined ? {} : r.obj(outs[n], `${where}.compile.outputs.${n}`));
  } else if (names.length === 1) records.push(c);
  else r.fail(`${where}.compile`, `the model has ${names.length} outputs but the record names none`);
  const losses: (LossIdentifier | undefined)[] = [];
  const metrics: string[][] = [];
  const weights: number[] = [];
  records.forEach((rec, o) => {
    const at = names.length === 1 ? `${where}.compile` : `${where}.compile.outputs.${names[o]}`;
    metrics.push(read(r, `${at}.metrics`, () => checkMetricNames('model.json', rec.metrics ?? [])));
    weights.push(rec.weight === undefined ? 1 : r.num(rec.weight, `${at}.weight`));
    if (givenLoss !== undefined) losses.push(givenLoss);
    else if (rec.loss === null || rec.loss === undefined) losses.push(undefined);
    else {
      const l = r.obj(rec.loss, `${at}.loss`);
      if (l.custom !== undefined) {
        model.unsavedLoss = r.str(l.custom, `${at}.loss.custom`, 256);
        losses.push(undefined);
      } else losses.push(read(r, `${at}.loss`, () => getLoss(l as never)) as Loss);
    }
  });
  model.optimizer = optimizer;
  model.outputMetrics = metrics;
  if (losses.some((l) => l !== undefined) && model.unsavedLoss === undefined) {
    const byName = (v: unknown[]) => Object.fromEntries(names.map((n, o) => [n, v[o]]));
    read(r, givenLoss !== undefined ? 'loadLayersModel(): options.loss' : `${where}.compile`, () =>
      model.compile({
        optimizer,
        loss: (names.length === 1 ? losses[0] : byName(losses)) as LossIdentifier,
        metrics: names.length === 1 ? metrics[0] : (byName(metrics) as Record<string, string[]>),
        lossWeights: names.length === 1 ? undefined : (byName(weights) as Record<string, number>),
      }),
    );
  }
  if (bp.training !== undefined) restorePosition(model, optimizer, r, bp, weightBytes);
}

function read<T>(r: Reader, where: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    return r.fail(where, (e as Error).message);
  }
}

/** Optimizer state arrays, step count, learning rate, RNG state and callback states. */
function restorePosition(
  model: Model,
  optimizer: Optimizer,
  r: Reader,
  bp: Obj,
  { entries, buffers, files }: WeightBytes,
): void {
  const where = 'userDefinedMetadata.backprop.training';
  const state: { name: string; value: Float32Array | Float64Array }[] = [];
  entries.forEach((e, i) => {
    if (e.group !== 'optimizer' || e.name === 'iter') return;
    const value = model.dtype === 'float64' ? new Float64Array(e.size) : new Float32Array(e.size);
    decodeWeights(e, buffers[i], value, files[i]);
    state.push({ name: e.name, value });
  });
  if (state.length) read(r, 'weightsManifest (optimizer group)', () => optimizer.setWeights(model.params(), state));
  const t = r.obj(bp.training, where);
  model.trainingState.epoch = r.int(t.epoch, `${where}.epoch`, 0, 2 ** 31);
  optimizer.iterations = r.int(t.iterations, `${where}.iterations`, 0, 2 ** 53);
  const lr = r.num(t.learningRate, `${where}.learningRate`);
  if (lr < 0) r.fail(`${where}.learningRate`, `must be >= 0, got ${lr}`);
  optimizer.learningRate = lr;
  const rs = r.obj(t.rngState, `${where}.rngState`);
  const words = r
    .arr(rs.words, `${where}.rngState.words`, 4)
    .map((w, i) => r.int(w, `${where}.rngState.words[${i}]`, 0, 2 ** 32 - 1));
  if (words.length !== 4) r.fail(`${where}.rngState.words`, 'expected 4 words');
  const spare =
    rs.spareNormal === null || rs.spareNormal === undefined
      ? null
      : r.num(rs.spareNormal, `${where}.rngState.spareNormal`);
  model.rng.setState({ words: words as [number, number, number, number], spareNormal: spare });
  const callbacks: Record<string, Record<string, number>> = {};
  if (t.callbacks !== undefined) {
    const all = r.obj(t.callbacks, `${where}.callbacks`);
    for (const [key, value] of Object.entries(all)) {
      if (!/^[A-Za-z0-9_$]{1,64}#\d{1,3}$/.test(key)) r.fail(`${where}.callbacks`, `bad key ${quote(key)}`);
      const s = r.obj(value, `${where}.callbacks.${key}`);
      callbacks[key] = {};
      for (const [k, v] of Object.entries(s)) {
        const n = decodeNumber(v);
        if (n === undefined || !/^[A-Za-z]{1,64}$/.test(k))
          r.fail(`${where}.callbacks.${key}[${quote(k)}]`, 'expected a number');
        callbacks[key][k] = n;
      }
    }
  }
  model.trainingState.callbacks = callbacks;
}
