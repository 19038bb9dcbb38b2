/**
 * The `--layers` grammar of `backprop train`: comma-separated tokens, each one layer — `N` or `denseN`,
 * `convNxK[sS][same]`, `maxpoolN`, `avgpoolN`, `flatten`, `globalavgpool`, `batchnorm`, `dropoutR`. A stack
 * with a convolution, pooling or flatten takes images [height, width, channels]; otherwise rows of features
 * (as before: `128,64` is two dense layers). The output layer is added from the data.
 */
import * as bp from '../index';
import { fail } from './errors';

export type LayerToken =
  | { kind: 'dense'; units: number }
  | { kind: 'conv'; filters: number; kernel: number; stride: number; same: boolean }
  | { kind: 'maxpool' | 'avgpool'; size: number }
  | { kind: 'flatten' | 'globalavgpool' | 'batchnorm' }
  | { kind: 'dropout'; rate: number };

const FORMS =
  'the forms are N or denseN (dense units), convNxK[sS][same] (N filters K×K, stride S, same padding), ' +
  'maxpoolN, avgpoolN, flatten, globalavgpool, batchnorm, dropoutR (R in [0, 1)); ' +
  'e.g. conv32x3,conv64x3,maxpool2,flatten,dense128';

const int = (s: string | undefined, fallback: number) => (s === undefined ? fallback : Number(s));

function parseToken(raw: string, flag: string): LayerToken {
  const t = raw.trim().toLowerCase();
  let m: RegExpMatchArray | null;
  let token: LayerToken | undefined;
  if ((m = t.match(/^(?:dense)?(\d+)$/))) token = { kind: 'dense', units: int(m[1], 0) };
  else if ((m = t.match(/^conv(\d+)x(\d+)(?:s(\d+))?(same)?$/)))
    token = { kind: 'conv', filters: int(m[1], 0), kernel: int(m[2], 0), stride: int(m[3], 1), same: !!m[4] };
  else if ((m = t.match(/^(maxpool|avgpool)(\d+)$/)))
    token = { kind: m[1] as 'maxpool' | 'avgpool', size: int(m[2], 0) };
  else if (t === 'flatten' || t === 'globalavgpool' || t === 'batchnorm') token = { kind: t };
  else if ((m = t.match(/^dropout(\d*\.?\d+)$/))) token = { kind: 'dropout', rate: Number(m[1]) };
  if (!token) fail(`${flag}: '${raw}' is not a layer; ${FORMS}`);
  const numbers = Object.values(token).filter((v): v is number => typeof v === 'number');
  const ok =
    token.kind === 'dropout'
      ? token.rate >= 0 && token.rate < 1
      : numbers.every((v) => Number.isSafeInteger(v) && v >= 1);
  if (!ok) fail(`${flag}: '${raw}' has a number out of range (sizes are integers >= 1); ${FORMS}`);
  return token;
}

const SPATIAL = new Set(['conv', 'maxpool', 'avgpool', 'flatten', 'globalavgpool']);

/** The parsed tokens, and whether the stack takes images; the order is checked (images first, then vectors). */
export function parseLayers(text: string, flag = '--layers'): { tokens: LayerToken[]; images: boolean } {
  const tokens = text
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((s) => parseToken(s, flag));
  const images = tokens.some((t) => SPATIAL.has(t.kind));
  let flat = !images;
  const names = text.split(',').filter((s) => s.trim() !== '');
  tokens.forEach((t, i) => {
    if (t.kind === 'flatten' || t.kind === 'globalavgpool') {
      if (flat) fail(`${flag}: '${names[i]}' needs images, but the values are already flat there; remove it`);
      flat = true;
    } else if (t.kind === 'dense' && !flat) {
      fail(`${flag}: '${names[i]}' follows image layers: put flatten or globalavgpool before it`);
    } else if ((t.kind === 'conv' || t.kind === 'maxpool' || t.kind === 'avgpool') && flat) {
      fail(
        `${flag}: '${names[i]}' comes after flatten/globalavgpool; convolutions and pooling take images: move it up`,
      );
    }
  });
  if (!flat)
    fail(`${flag}: end the image layers with flatten or globalavgpool: the output layer needs one vector per image`);
  return { tokens, images };
}

/** Whether a stack of tokens is plain dense units (the only form sequence models take). */
export const denseUnits = (tokens: LayerToken[]): number[] | undefined =>
  tokens.every((t) => t.kind === 'dense') ? tokens.map((t) => (t as { units: number }).units) : undefined;

/**
 * The layers of the tokens (hidden ones with `activation`), the first given `inputShape`; a bad value is
 * named by its token.
 * @example tokenLayers(parseLayers('conv8x3,flatten').tokens, 'relu', [28, 28, 1])
 */
export function tokenLayers(tokens: LayerToken[], activation: string, inputShape?: number[]): bp.layers.Layer[] {
  return tokens.map((t, i) => {
    const first = i === 0 && inputShape ? { inputShape } : {};
    try {
      switch (t.kind) {
        case 'dense':
          return bp.layers.dense({ units: t.units, activation, ...first });
        case 'conv':
          return bp.layers.conv2d({
            filters: t.filters,
            kernelSize: t.kernel,
            strides: t.stride,
            padding: t.same ? 'same' : 'valid',
            activation,
            ...first,
          });
        case 'maxpool':
          return bp.layers.maxPooling2d({ poolSize: t.size, ...first });
        case 'avgpool':
          return bp.layers.averagePooling2d({ poolSize: t.size, ...first });
        case 'flatten':
          return bp.layers.flatten(first);
        case 'globalavgpool':
          return bp.layers.globalAveragePooling2d(first);
        case 'batchnorm':
          return bp.layers.batchNormalization(first);
        case 'dropout':
          return bp.layers.dropout({ rate: t.rate, ...first });
      }
    } catch (e) {
      return fail(`--layers: layer ${i + 1} (${t.kind}): ${(e as Error).message}`);
    }
  });
}
