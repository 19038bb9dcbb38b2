/**
 * The activation table: the one place that lists the activations. Everything else derives from it —
 * the op codes (`Activation`, shared with native/activations.h, whose `enum Act` lists the same names in
 * the same order and ends with `ACT_COUNT`), the names layers accept, the identifiers written in
 * TF.js/Keras files, and the default parameter. Adding an activation means a row here, its JS kernel
 * (js/activations.ts), its native kernel (native/activations.h) and its tests; nothing else.
 *
 * Formulas: see the table in ops.ts.
 */
import { quote } from '../quote';

interface ActivationRow {
  /** camelCase name, as TF.js spells it; its index in the table is the op code. */
  readonly name: string;
  /** Other spellings layers accept (matched case-insensitively, as is the name). */
  readonly aliases: readonly string[];
  /** The TF.js/Keras activation identifier written to files; null when there is none. */
  readonly file: string | null;
  /** Further identifiers accepted when reading files. */
  readonly fileAliases: readonly string[];
  /** The activation's parameter when a layer gives none (Keras defaults); 0 where it has none. */
  readonly alpha: number;
}

/** Every activation, in op-code order (the code is the index). */
export const ACTIVATION_TABLE = [
  { name: 'linear', aliases: ['none'], file: 'linear', fileAliases: [], alpha: 0 },
  { name: 'sigmoid', aliases: [], file: 'sigmoid', fileAliases: [], alpha: 0 },
  { name: 'tanh', aliases: [], file: 'tanh', fileAliases: [], alpha: 0 },
  { name: 'relu', aliases: [], file: 'relu', fileAliases: [], alpha: 0 },
  // TF.js has no leaky-relu activation string: files hold a LeakyReLU layer instead (io/topology.ts).
  { name: 'leakyRelu', aliases: ['leaky_relu'], file: null, fileAliases: [], alpha: 0.3 },
  { name: 'elu', aliases: [], file: 'elu', fileAliases: [], alpha: 1 },
  { name: 'selu', aliases: [], file: 'selu', fileAliases: [], alpha: 0 },
  { name: 'softplus', aliases: [], file: 'softplus', fileAliases: [], alpha: 0 },
  { name: 'softsign', aliases: [], file: 'softsign', fileAliases: [], alpha: 0 },
  { name: 'hardSigmoid', aliases: ['hard_sigmoid'], file: 'hard_sigmoid', fileAliases: ['hardSigmoid'], alpha: 0 },
  { name: 'swish', aliases: ['silu'], file: 'swish', fileAliases: ['silu'], alpha: 0 },
  { name: 'gelu', aliases: [], file: 'gelu', fileAliases: [], alpha: 0 },
  { name: 'softmax', aliases: [], file: 'softmax', fileAliases: [], alpha: 0 },
] as const satisfies readonly ActivationRow[];

type Table = typeof ACTIVATION_TABLE;
export type ActivationName = Table[number]['name'];
type CodeOf<K extends ActivationName> = {
  [I in keyof Table]: Table[I] extends { name: K } ? (I extends `${infer N extends number}` ? N : never) : never;
}[number];

/** Activation codes by name, shared with the native addon. */
export const Activation = Object.freeze(Object.fromEntries(ACTIVATION_TABLE.map((r, i) => [r.name, i]))) as {
  readonly [K in ActivationName]: CodeOf<K>;
};
export type ActivationCode = (typeof Activation)[ActivationName];
export const ACTIVATION_NAMES: readonly ActivationName[] = Object.freeze(ACTIVATION_TABLE.map((r) => r.name));
/** How many activations there are: valid codes are 0 .. ACTIVATION_COUNT - 1. */
export const ACTIVATION_COUNT = ACTIVATION_TABLE.length;

/** What layers accept as `activation`: a name or alias, any case (`'relu'`, `'hard_sigmoid'`, `'silu'`). */
export type ActivationIdentifier = ActivationName | 'hard_sigmoid' | 'leaky_relu' | 'silu' | (string & {});

const byLowerName = new Map<string, ActivationName>();
for (const r of ACTIVATION_TABLE) {
  byLowerName.set(r.name.toLowerCase(), r.name);
  for (const a of r.aliases) byLowerName.set(a.toLowerCase(), r.name);
}

/**
 * The activation a layer's `activation` argument names, with its code and default parameter.
 * @example resolveActivation('hard_sigmoid', 'layers.dense()') // { name: 'hardSigmoid', code: 9, alpha: 0 }
 */
export function resolveActivation(
  id: ActivationIdentifier,
  where: string,
): { name: ActivationName; code: ActivationCode; alpha: number } {
  const key = String(id);
  const name = byLowerName.get(key.toLowerCase());
  if (!name) throw new Error(`${where}: unknown activation ${quote(key)}. Supported: ${ACTIVATION_NAMES.join(', ')}.`);
  const code = Activation[name];
  return { name, code, alpha: ACTIVATION_TABLE[code].alpha };
}

const fromFile = new Map<string, ActivationName>();
for (const r of ACTIVATION_TABLE) {
  if (r.file !== null) fromFile.set(r.file, r.name);
  for (const a of r.fileAliases) fromFile.set(a, r.name);
}
/** The activation identifiers accepted in model files. */
export const FILE_ACTIVATION_IDS: readonly string[] = Object.freeze([...fromFile.keys()]);

/**
 * The TF.js/Keras identifier for an activation. leakyRelu has none (it is saved as a LeakyReLU layer);
 * asking for it, or for an unknown name, is an error.
 * @example activationToFile('hardSigmoid') // 'hard_sigmoid'
 */
export function activationToFile(name: string): string {
  const file = ACTIVATION_TABLE.find((r) => r.name === name)?.file;
  if (!file) throw new Error(`activation '${name}' has no TF.js activation identifier`);
  return file;
}

/**
 * The activation a file's identifier names (exact spelling), or undefined when files cannot hold it.
 * @example activationFromFile('hard_sigmoid') // 'hardSigmoid'
 */
export function activationFromFile(id: string): ActivationName | undefined {
  return fromFile.get(id);
}
