/**
 * Decoded RGBA pixels → the float channels a model takes: the color mode chosen (as Keras' `color_mode`),
 * resized bilinearly as TensorFlow's `tf.image.resize(method='bilinear')` does (what Keras'
 * `image_dataset_from_directory` uses: half-pixel centers, no antialiasing), scaled from [0, 255] to [0, 1].
 */
import type { RgbaImage } from './image-decode';

export type ColorMode = 'grayscale' | 'rgb' | 'rgba';

export const COLOR_MODES: readonly ColorMode[] = ['grayscale', 'rgb', 'rgba'];

/** Channels per pixel of a color mode. */
export function channelsOf(mode: ColorMode): number {
  return mode === 'grayscale' ? 1 : mode === 'rgb' ? 3 : 4;
}

/**
 * RGBA bytes → `channels` floats a pixel: grayscale is the luma of tf.image.rgb_to_grayscale
 * (0.2989 R + 0.5870 G + 0.1140 B), rgb drops alpha (as TF's decoders do), rgba keeps it.
 */
function toChannels(img: RgbaImage, mode: ColorMode): Float32Array {
  const n = img.width * img.height;
  const src = img.data;
  const c = channelsOf(mode);
  const out = new Float32Array(n * c);
  for (let i = 0; i < n; i++) {
    const r = src[4 * i],
      g = src[4 * i + 1],
      b = src[4 * i + 2];
    if (c === 1) out[i] = 0.2989 * r + 0.587 * g + 0.114 * b;
    else for (let k = 0; k < c; k++) out[c * i + k] = src[4 * i + k];
  }
  return out;
}

/** Source sample positions of each output index along one axis (TF's half-pixel bilinear weights). */
function axisWeights(outSize: number, inSize: number): { lo: Int32Array; hi: Int32Array; t: Float32Array } {
  const scale = inSize / outSize;
  const lo = new Int32Array(outSize),
    hi = new Int32Array(outSize),
    t = new Float32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const at = (i + 0.5) * scale - 0.5;
    const f = Math.floor(at);
    lo[i] = Math.max(f, 0);
    hi[i] = Math.min(Math.ceil(at), inSize - 1);
    t[i] = at - f;
  }
  return { lo, hi, t };
}

/**
 * Writes the image, in `mode`, resized to `height × width` and scaled to [0, 1], into `out` from `offset`
 * (height × width × channels values, channels last).
 * @example writePixels(decodeImage(bytes, 40e6), 'grayscale', 28, 28, x, i * 784)
 */
export function writePixels(
  img: RgbaImage,
  mode: ColorMode,
  height: number,
  width: number,
  out: Float32Array,
  offset: number,
): void {
  const c = channelsOf(mode);
  const src = toChannels(img, mode);
  const ys = axisWeights(height, img.height);
  const xs = axisWeights(width, img.width);
  const rowLen = img.width * c;
  for (let y = 0; y < height; y++) {
    const top = ys.lo[y] * rowLen,
      bottom = ys.hi[y] * rowLen,
      ty = ys.t[y];
    for (let x = 0; x < width; x++) {
      const left = xs.lo[x] * c,
        right = xs.hi[x] * c,
        tx = xs.t[x];
      const o = offset + (y * width + x) * c;
      for (let k = 0; k < c; k++) {
        const tl = src[top + left + k],
          tr = src[top + right + k],
          bl = src[bottom + left + k],
          br = src[bottom + right + k];
        const upper = tl + (tr - tl) * tx;
        const lower = bl + (br - bl) * tx;
        out[o + k] = (upper + (lower - upper) * ty) / 255;
      }
    }
  }
}
