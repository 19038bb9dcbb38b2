/**
 * Misclassified test images for the training report, as inline PNG data URIs (made with pngjs), so the page
 * stays one self-contained file: no external URLs, and every caption escaped by the report.
 */
import { PNG } from 'pngjs';
import type { FloatArray } from '../backend/ops';

/** One picture of the report: a data URI and its caption (plain text). */
export interface ReportImage {
  src: string;
  caption: string;
}

/** Most pictures shown. */
export const MAX_REPORT_IMAGES = 12;

/**
 * One image (height × width × channels floats) as a PNG data URI: values in [0, 1] are pixel intensities;
 * an image with values outside [0, 1] (scaled or float data) is stretched from its own min to its max.
 * @example pngDataUri(pixels, 28, 28, 1) // 'data:image/png;base64,iVBOR...'
 */
export function pngDataUri(pixels: ArrayLike<number>, height: number, width: number, channels: number): string {
  let lo = Infinity,
    hi = -Infinity;
  for (let i = 0; i < pixels.length; i++) {
    lo = Math.min(lo, pixels[i]);
    hi = Math.max(hi, pixels[i]);
  }
  const [from, span] = lo >= 0 && hi <= 1 ? [0, 1] : [lo, hi > lo ? hi - lo : 1];
  const byte = (v: number) => (Number.isFinite(v) ? Math.round(((v - from) / span) * 255) : 0);
  const png = new PNG({ width, height });
  for (let p = 0; p < width * height; p++) {
    const at = p * channels;
    const rgb = channels >= 3 ? [pixels[at], pixels[at + 1], pixels[at + 2]] : [pixels[at], pixels[at], pixels[at]];
    png.data.set([...rgb.map(byte), channels === 4 ? byte(pixels[at + 3]) : 255], p * 4);
  }
  return `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`;
}

/**
 * Up to MAX_REPORT_IMAGES test images whose predicted class is wrong, in test-set order, with their true and
 * predicted classes (and file names when known).
 */
export function misclassifiedImages(
  x: { data: FloatArray },
  imageShape: number[],
  truth: Int32Array,
  predicted: Int32Array,
  classes: string[],
  files?: string[],
): ReportImage[] {
  const [h, w, c] = imageShape;
  const size = h * w * c;
  const out: ReportImage[] = [];
  for (let i = 0; i < predicted.length && out.length < MAX_REPORT_IMAGES; i++) {
    if (predicted[i] === truth[i]) continue;
    const file = files?.[i] ? ` (${files[i].split(/[\\/]/).pop()})` : '';
    out.push({
      src: pngDataUri(x.data.subarray(i * size, (i + 1) * size), h, w, c),
      caption: `true ${classes[truth[i]] ?? truth[i]}, predicted ${classes[predicted[i]] ?? predicted[i]}${file}`,
    });
  }
  return out;
}
