/**
 * The optimizer registry: each optimizer class once, with the names `compile` accepts and how it is rebuilt
 * from its saved config (`getOptimizer(serializeOptimizer(o))` behaves as `o`). Names are looked up in a
 * Map, so no string (e.g. '__proto__') can reach an object's prototype.
 */
import type { Optimizer } from '../training/contracts';
import { Adagrad } from './adagrad';
import { Adam } from './adam';
import { RMSProp } from './rmsprop';
import { SGD } from './sgd';
import { preview } from '../quote';

interface OptimizerEntry {
  /** The class name saved in training configs (TF.js names). */
  className: string;
  /** Names accepted by compile / job specs / the CLI (matched case-insensitively). */
  names: string[];
  create(config: Record<string, unknown>): Optimizer;
}

const ENTRIES: OptimizerEntry[] = [
  { className: 'SGD', names: ['sgd'], create: (c) => new SGD(c) },
  { className: 'Momentum', names: ['momentum'], create: (c) => new SGD({ momentum: 0.9, ...c }) },
  { className: 'RMSProp', names: ['rmsprop'], create: (c) => new RMSProp(c) },
  { className: 'Adagrad', names: ['adagrad'], create: (c) => new Adagrad(c) },
  { className: 'Adam', names: ['adam'], create: (c) => new Adam(c) },
  { className: 'AdamW', names: ['adamw'], create: (c) => new Adam(c, true) },
];

const BY_NAME = new Map<string, OptimizerEntry>();
for (const e of ENTRIES) for (const n of [...e.names, e.className]) BY_NAME.set(n.toLowerCase(), e);

/** The optimizer names compile accepts. */
export const OPTIMIZER_NAMES: readonly string[] = ENTRIES.flatMap((e) => e.names);

/** A serialised optimizer: `{ className, config }` as saved with a model. */
export interface SerializedOptimizer {
  className: string;
  config: Record<string, unknown>;
}

/**
 * An optimizer from `id`: a name ('adam', any case; default settings), an Optimizer (returned as is), a
 * saved `{ className, config }`, or a job-spec style `{ name, ...options }`. Every option is checked.
 * @example getOptimizer({ className: 'Adam', config: { learningRate: 0.01, clipNorm: 1 } })
 */
export function getOptimizer(id: unknown): Optimizer {
  if (id && typeof id === 'object' && typeof (id as Optimizer).step === 'function') return id as Optimizer;
  let name: unknown = id;
  let config: Record<string, unknown> = {};
  if (id && typeof id === 'object' && !Array.isArray(id)) {
    const o = id as Record<string, unknown>;
    if ('className' in o) {
      name = o.className;
      if (o.config !== undefined && (o.config === null || typeof o.config !== 'object' || Array.isArray(o.config))) {
        throw new Error(`optimizer ${preview(name)}: 'config' must be an object`);
      }
      config = (o.config as Record<string, unknown>) ?? {};
    } else {
      ({ name, ...config } = o);
    }
  }
  const entry = typeof name === 'string' ? BY_NAME.get(name.toLowerCase()) : undefined;
  if (!entry) {
    throw new Error(
      `unknown optimizer ${preview(name ?? null)}; use one of ` +
        `${OPTIMIZER_NAMES.map((n) => `'${n}'`).join(', ')}` +
        ` or bp.optimizers.*(...)`,
    );
  }
  return entry.create(config);
}

/** `{ className, config }` of an optimizer (its full configuration: schedule, clipping, decay, ...). */
export function serializeOptimizer(o: Optimizer): SerializedOptimizer {
  return { className: o.className, config: o.getConfig() };
}
