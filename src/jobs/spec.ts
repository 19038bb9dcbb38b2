/**
 * Model specs for jobs (layers + compile as plain data): checked field by field with errors naming the
 * field, and turned into a model — unbuilt (to size it before any weight exists, see model-size.ts) or built.
 */
import { sequential, type Sequential } from '../model/sequential';
import { activation, dense, dropout, type Layer } from '../layers';
import { adagrad, adam, adamw, rmsprop, sgd } from '../optimizers';
import type { Optimizer } from '../training/contracts';
import type { ModelSpec } from './protocol';

type LayerSpec = ModelSpec['layers'][number];

/** Spec layer types, by name (a Map: a type such as '__proto__' must not find Object.prototype). */
const LAYERS = new Map<string, (l: LayerSpec, inputShape?: number[]) => Layer>([
  ['dense', (l, inputShape) => dense({ units: l.units as number, activation: l.activation, inputShape })],
  ['dropout', (l) => dropout({ rate: l.rate as number })],
  ['activation', (l) => activation({ activation: l.activation as string })],
]);

const OPTIMIZERS = new Map<string, (a: { learningRate?: number }) => Optimizer>([
  ['sgd', (a) => sgd(a)],
  ['momentum', (a) => sgd({ ...a, momentum: 0.9 })],
  ['rmsprop', (a) => rmsprop(a)],
  ['adagrad', (a) => adagrad(a)],
  ['adam', (a) => adam(a)],
  ['adamw', (a) => adamw(a)],
]);

/**
 * Names that are keys of every object (`__proto__`, `constructor`, `toString`, …). No layer, activation,
 * loss, optimizer or metric has one, and a lookup table keyed by user text would find these instead of
 * failing, so they are refused before the text reaches one.
 */
export function isObjectKey(name: string): boolean {
  return name in Object.prototype;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function nameField(value: unknown, field: string, known?: string[]): string {
  if (typeof value !== 'string' || value === '' || isObjectKey(value) || (known && !known.includes(value)))
    throw new Error(
      `jobs.train(): '${field}' must be ${known ? `one of ${known.join(', ')}` : 'a name'}, got ` +
        `${JSON.stringify(value) ?? typeof value}`,
    );
  return value;
}

/**
 * Checks a spec's structure and names; the layers and compile() then check the values (units, rates,
 * learning rate, loss and metric names) with their own messages.
 */
function checkSpec(spec: unknown): asserts spec is ModelSpec {
  if (!isObject(spec)) throw new Error(`jobs.train(): 'model' must be a model spec { layers, compile } or a directory`);
  if (!Array.isArray(spec.layers) || spec.layers.length === 0)
    throw new Error(`jobs.train(): 'model.layers' must be a non-empty array of layer specs`);
  spec.layers.forEach((l: unknown, i) => {
    if (!isObject(l)) throw new Error(`jobs.train(): 'model.layers[${i}]' must be an object such as { units: 8 }`);
    nameField(l.type ?? 'dense', `model.layers[${i}].type`, [...LAYERS.keys()]);
    if (l.activation !== undefined) nameField(l.activation, `model.layers[${i}].activation`);
  });
  const c = spec.compile;
  if (!isObject(c))
    throw new Error(
      `jobs.train(): 'model.compile' is required: { optimizer, loss, metrics? }, e.g. ` +
        `{ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' }`,
    );
  const o = c.optimizer ?? 'adam';
  const optName = isObject(o) ? o.name : o;
  if (typeof optName !== 'string' || !OPTIMIZERS.has(optName.toLowerCase()))
    throw new Error(
      `jobs.train(): 'model.compile.optimizer' must be one of ${[...OPTIMIZERS.keys()].join(', ')} (or ` +
        `{ name, learningRate }), got ${JSON.stringify(optName) ?? typeof optName}`,
    );
  nameField(c.loss, 'model.compile.loss');
  if (c.metrics !== undefined) {
    if (!Array.isArray(c.metrics)) throw new Error(`jobs.train(): 'model.compile.metrics' must be an array of names`);
    c.metrics.forEach((m, i) => nameField(m, `model.compile.metrics[${i}]`));
  }
}

/**
 * A compiled model from a checked spec. With `declareInput` false the first layer's inputShape is left
 * out, so nothing is built (no weights allocated): for sizing and validation on the caller's thread.
 * @example const model = modelFromSpec(spec, true); // in the worker: built from inputShape, weights seeded
 */
export function modelFromSpec(spec: unknown, declareInput: boolean): Sequential {
  checkSpec(spec);
  const model = sequential({ seed: spec.seed ?? 0, dtype: spec.dtype });
  spec.layers.forEach((l, i) => {
    const make = LAYERS.get(l.type ?? 'dense')!;
    model.add(make(l, declareInput || i > 0 ? l.inputShape : undefined));
  });
  const o = spec.compile.optimizer ?? 'adam';
  const { name, learningRate } = typeof o === 'string' ? { name: o, learningRate: undefined } : o;
  const optimizer = OPTIMIZERS.get(name.toLowerCase())!(learningRate === undefined ? {} : { learningRate });
  model.compile({ optimizer, loss: spec.compile.loss, metrics: spec.compile.metrics });
  return model;
}

/** The input width a spec declares (its first layer's inputShape), if any. */
export function declaredInputs(spec: ModelSpec): number | undefined {
  const s = Array.isArray(spec?.layers) && isObject(spec.layers[0]) ? spec.layers[0].inputShape : undefined;
  return Array.isArray(s) && s.length === 1 && Number.isSafeInteger(s[0]) && s[0] > 0 ? s[0] : undefined;
}
