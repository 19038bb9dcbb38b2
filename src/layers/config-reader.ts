/**
 * Reading a layer's config (camelCase keys, as `getConfig` writes them) into constructor arguments, for
 * configs from untrusted places: model.json files, job specs sent over a network. Every value is checked
 * (type, range, a closed list of names) before a layer sees it; an error names where the value came from,
 * the key and what was expected. The same reader rebuilds trusted configs (gradcheck's float64 copy).
 */
import type { ActivationName } from '../backend/ops';
import { getInitializer } from '../training/initializers';
import { getRegularizer } from '../training/regularizers';
import type { Initializer, Regularizer } from '../training/contracts';
import { resolveActivation } from './activation-names';
import type { LayerArgs } from './layer';
import { checkShape, MAX_RANK } from './shape';
import { quote, quoteValue } from '../quote';

export type Fail = (where: string, message: string) => never;

const defaultFail: Fail = (where, message) => {
  throw new Error(`${where}: ${message}`);
};

/** The largest dimension a config may declare (units, filters, sizes): 2^28 values per axis. */
export const MAX_DIMENSION = 2 ** 28;

export class ConfigReader {
  constructor(
    readonly config: Record<string, unknown>,
    readonly where: string,
    private readonly failWith: Fail = defaultFail,
  ) {
    if (!config || typeof config !== 'object' || Array.isArray(config)) failWith(where, 'expected a config object');
  }

  fail(key: string, message: string): never {
    return this.failWith(`${this.where}.${key}`, message);
  }

  /** True when the key holds a value other than null/undefined. */
  has(key: string): boolean {
    const v = this.get(key);
    return v !== undefined && v !== null;
  }

  get(key: string): unknown {
    return Object.prototype.hasOwnProperty.call(this.config, key) ? this.config[key] : undefined;
  }

  str(key: string, def?: string): string {
    const v = this.get(key) ?? def;
    if (typeof v !== 'string' || v.length > 1024) this.fail(key, `expected a string, got ${describe(v)}`);
    return v;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], def?: T): T {
    const v = this.get(key) ?? def;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      this.fail(key, `expected one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(v)}`);
    }
    return v as T;
  }

  bool(key: string, def?: boolean): boolean {
    const v = this.get(key) ?? def;
    if (typeof v !== 'boolean') this.fail(key, `expected true or false, got ${describe(v)}`);
    return v;
  }

  num(key: string, def?: number): number {
    const v = this.get(key) ?? def;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, `expected a finite number, got ${describe(v)}`);
    return v;
  }

  int(key: string, min: number, max: number, def?: number): number {
    const v = this.get(key) ?? def;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
      this.fail(key, `expected an integer in [${min}, ${max}], got ${describe(v)}`);
    }
    return v;
  }

  /** `n` integers in [min, max], from one integer (repeated) or an array of n (conv kernel sizes, strides). */
  ints(key: string, n: number, min: number, max: number, def?: number | number[]): number[] {
    const v = this.get(key) ?? def;
    const list = typeof v === 'number' ? new Array<unknown>(n).fill(v) : v;
    if (!Array.isArray(list) || list.length !== n) {
      this.fail(key, `expected an integer or ${n} integers, got ${describe(v)}`);
    }
    return list.map((x, i) => {
      if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < min || x > max) {
        this.fail(`${key}[${i}]`, `expected an integer in [${min}, ${max}], got ${describe(x)}`);
      }
      return x;
    });
  }

  /** A per-sample shape (positive integers). */
  shape(key: string): number[] {
    const v = this.get(key);
    if (!Array.isArray(v) || v.length > MAX_RANK) this.fail(key, `expected a shape (array of positive integers)`);
    try {
      const s = checkShape(this.where, key, v);
      if (s.some((d) => d > MAX_DIMENSION)) this.fail(key, `dimensions above ${MAX_DIMENSION} are refused`);
      return s;
    } catch (e) {
      return this.fail(key, (e as Error).message);
    }
  }

  activation(key: string, def: ActivationName = 'linear'): ActivationName {
    const v = this.get(key) ?? def;
    if (typeof v !== 'string') this.fail(key, `expected an activation name, got ${describe(v)}`);
    try {
      return resolveActivation(v, 'activation').name;
    } catch (e) {
      return this.fail(key, (e as Error).message);
    }
  }

  initializer(key: string, def: string): Initializer {
    const v = this.get(key) ?? def;
    this.builtin(key, v);
    try {
      return getInitializer(v as never);
    } catch (e) {
      return this.fail(key, (e as Error).message);
    }
  }

  regularizer(key: string): Regularizer | undefined {
    if (!this.has(key)) return undefined;
    this.builtin(key, this.get(key));
    try {
      return getRegularizer(this.get(key) as never);
    } catch (e) {
      return this.fail(key, (e as Error).message);
    }
  }

  /** A reader over the object at `key` (a wrapper's nested layer config), reporting errors the same way. */
  nested(key: string): ConfigReader {
    const v = this.get(key);
    if (!v || typeof v !== 'object' || Array.isArray(v)) this.fail(key, 'expected an object');
    return new ConfigReader(v as Record<string, unknown>, `${this.where}.${key}`, this.failWith);
  }

  /**
   * A serialised object as Keras 3 writes it (`{ module, className, config, registeredName }`) must be one of
   * Keras' own: a module of the keras package and no registered name. A custom object that reuses a built-in
   * class name is refused rather than read as the built-in.
   */
  builtin(key: string, v: unknown): void {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return;
    const { module, registeredName, className } = v as Record<string, unknown>;
    const customModule = module !== undefined && (typeof module !== 'string' || !/^keras(\.|$)/.test(module));
    if ((registeredName !== undefined && registeredName !== null) || customModule) {
      this.fail(
        key,
        `custom object ${quoteValue(registeredName ?? className)} (module ${quoteValue(module)}) is not supported: ` +
          "only Keras' built-in initializers and regularizers are",
      );
    }
  }

  /** Keys backprop does not implement must be absent or null (constraints, activity regularizers). */
  unsupported(...keys: string[]): void {
    for (const key of keys) {
      if (this.has(key)) this.fail(key, `is not supported by backprop (remove it, or set it to null)`);
    }
  }

  /** The arguments every layer shares: name, trainable, and the input shape of a first layer. */
  layerArgs(): LayerArgs {
    const args: LayerArgs = {};
    if (this.has('name')) {
      const name = this.str('name');
      if (!/^[A-Za-z0-9][-A-Za-z0-9._/]{0,254}$/.test(name))
        this.fail('name', `${quote(name)} is not a valid layer name`);
      args.name = name;
    }
    if (this.has('trainable')) args.trainable = this.bool('trainable');
    // Keras 2 / TF.js write batch_input_shape, Keras 3 batch_shape, hand-written files input_shape.
    for (const key of ['batchInputShape', 'batchShape']) {
      if (!this.has(key)) continue;
      const v = this.get(key);
      if (!Array.isArray(v) || v.length < 2 || (v[0] !== null && typeof v[0] !== 'number')) {
        this.fail(key, `expected [null, ...inputShape], got ${describe(v)}`);
      }
      args.inputShape = new ConfigReader({ shape: v.slice(1) }, `${this.where}.${key}`, this.failWith).shape('shape');
      return args;
    }
    if (this.has('inputShape')) args.inputShape = this.shape('inputShape');
    return args;
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return quote(v, 40);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return typeof v;
}
