/**
 * Checks on layer configs read from model files that the layers themselves do not make, because they concern
 * the file rather than the layer: what Keras 3 (the TF.js converter's current output) can write that backprop
 * would otherwise read as something else.
 * - `dtype`: a dtype name or a `DTypePolicy` object; float policies only (mixed ones compute in the model's
 *   dtype), quantized ones refused (their weights are int8 plus scales).
 * - `quantization_config`, `lora_rank`: refused (Keras 3 Dense/EinsumDense/Embedding options).
 * - activations: in files from Keras 3, `hard_sigmoid` is relu6(x + 3) / 6 and `leaky_relu` has slope 0.2, not
 *   TF.js's 0.2x + 0.5 and 0.3: refused rather than computed differently.
 * - InputLayer: dense inputs only (`sparse`, `ragged`, `optional` false or absent).
 */
import type { ConfigReader } from '../layers/config-reader';
import type { Obj, Reader } from './safe-json';
import { preview, quoteValue } from '../quote';

const FLOAT_POLICIES = ['float32', 'float64', 'float16', 'bfloat16', 'mixed_float16', 'mixed_bfloat16'] as const;

/** The major Keras version a topology names (`keras_version: '3.10.0'` → 3), or undefined. */
export function kerasMajorVersion(r: Reader, topology: Obj): number | undefined {
  if (topology.keras_version === undefined) return undefined;
  const m = /^(\d+)\./.exec(r.str(topology.keras_version, 'modelTopology.keras_version', 64));
  return m ? Number(m[1]) : undefined;
}

function checkDtype(c: ConfigReader): void {
  if (!c.has('dtype')) return;
  const v = c.get('dtype');
  if (typeof v === 'string') {
    c.oneOf('dtype', FLOAT_POLICIES);
    return;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) c.fail('dtype', 'expected a dtype name or a DTypePolicy');
  const o = v as Obj;
  // Keras 3 writes DTypePolicy, tf.keras 2 mixed precision Policy.
  if (o.className !== 'DTypePolicy' && o.className !== 'Policy') {
    c.fail('dtype', `${quoteValue(o.className)} is not supported (float DTypePolicy only; quantized layers are not)`);
  }
  c.builtin('dtype', o);
  const config = o.config && typeof o.config === 'object' ? (o.config as Obj) : {};
  const name = config.name;
  if (typeof name !== 'string' || !(FLOAT_POLICIES as readonly string[]).includes(name)) {
    c.fail('dtype', `expected one of ${FLOAT_POLICIES.map((p) => `'${p}'`).join(', ')}, got ${preview(name)}`);
  }
}

const KERAS3_ACTIVATIONS = new Map([
  [
    'hard_sigmoid',
    "Keras 3's hard_sigmoid is relu6(x + 3) / 6; backprop's (as TF.js's and Keras 2's) is clamp(0.2x + 0.5, 0, 1)",
  ],
  ['leaky_relu', "Keras 3's leaky_relu activation has slope 0.2; use a LeakyReLU layer (its negative_slope is read)"],
]);

/** Checks one layer's camelCase config from a file written by Keras `kerasMajor` (undefined: not said). */
export function checkFileLayerConfig(c: ConfigReader, className: string, kerasMajor: number | undefined): void {
  // An InputLayer's dtype is its tensor's: int32 (token ids, as TF.js and we write it) is read by read-graph.ts.
  if (!(className === 'InputLayer' && c.has('dtype') && c.get('dtype') === 'int32')) checkDtype(c);
  c.unsupported('quantizationConfig', 'loraRank');
  if (kerasMajor !== undefined && kerasMajor >= 3) {
    for (const key of Object.keys(c.config)) {
      const v = c.get(key);
      const why = /activation$/i.test(key) && typeof v === 'string' ? KERAS3_ACTIVATIONS.get(v) : undefined;
      if (why) {
        c.fail(key, `${why}: not supported`);
      }
    }
  }
  if (className === 'InputLayer') {
    for (const key of ['sparse', 'ragged', 'optional']) {
      if (c.has(key) && c.bool(key) !== false) c.fail(key, 'only dense inputs are supported (it must be false)');
    }
  }
}
