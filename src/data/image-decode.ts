/**
 * PNG and JPEG bytes → RGBA pixels, through `pngjs` and `jpeg-js` (pure JS, no native code). The format is
 * told by the file's first bytes, not its name. Before anything is decompressed, the header's width and
 * height are read and checked against `maxPixels` (a 100-byte file can declare 60,000 × 60,000 pixels: a
 * decompression bomb), a PNG's compressed stream is never inflated past what its size needs, and a JPEG's
 * scans are counted and bounded by its size (jpeg-work.ts: a progressive JPEG can repeat scans without end).
 */
import * as zlib from 'node:zlib';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { checkJpegScans, jpegFrame, jpegMemoryBudget } from './jpeg-work';

/** Decoded pixels: `height × width` RGBA bytes, row by row. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export type ImageFormat = 'png' | 'jpeg';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The format the bytes start with, or undefined for anything else. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

/** Width, height and interlacing from a PNG's IHDR chunk (the first chunk, right after the signature). */
function pngHeader(bytes: Uint8Array): { width: number; height: number; interlaced: boolean } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = String.fromCharCode(...bytes.subarray(12, 16));
  if (bytes.length < 33 || type !== 'IHDR') throw new Error('truncated or corrupt PNG: no IHDR header chunk');
  return { width: v.getUint32(16), height: v.getUint32(20), interlaced: bytes[28] !== 0 };
}

/** The width and height a PNG or JPEG declares in its header (nothing is decompressed). */
export function imageHeader(bytes: Uint8Array, format: ImageFormat): { width: number; height: number } {
  return format === 'png' ? pngHeader(bytes) : jpegFrame(bytes);
}

/**
 * The concatenated IDAT data of an interlaced PNG is inflated here with a cap first: pngjs inflates
 * interlaced images without one, so a small file could expand without bound.
 */
function checkInterlacedInflate(bytes: Uint8Array, width: number, height: number): void {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = [];
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = v.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (type === 'IDAT') parts.push(bytes.subarray(at + 8, Math.min(bytes.length, at + 8 + length)));
    if (type === 'IEND') break;
    at += 12 + length;
  }
  // Adam7: seven passes, each row with a filter byte; at most 16 bytes a pixel (RGBA, 16 bits per channel).
  const cap = (width * 16 + 8) * height + 7 * (height + 8) * 8 + 1024;
  try {
    zlib.inflateSync(Buffer.concat(parts), { maxOutputLength: cap });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError)
      throw new Error(`corrupt PNG: its compressed data expands past the ${width}×${height} pixels it declares`);
    throw e;
  }
}

/**
 * Decodes PNG or JPEG bytes to RGBA, refusing images of more than `maxPixels` pixels before decoding.
 * Throws a plain message (the caller names the file): not an image, truncated, corrupt, or too large.
 * @example const { width, height, data } = decodeImage(fs.readFileSync('cat.png'), 40e6);
 */
export function decodeImage(bytes: Uint8Array, maxPixels: number): RgbaImage & { format: ImageFormat } {
  const format = sniffImageFormat(bytes);
  if (!format) {
    const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new Error(`not a PNG or JPEG image (it starts with bytes ${head || '(none: the file is empty)'})`);
  }
  const { width, height } = imageHeader(bytes, format);
  if (width < 1 || height < 1)
    throw new Error(`corrupt ${format.toUpperCase()}: it declares ${width}×${height} pixels`);
  if (width * height > maxPixels) {
    throw new Error(
      `declares ${width}×${height} pixels (${((width * height) / 1e6).toFixed(1)} MP), more than maxPixels ` +
        `${maxPixels.toLocaleString('en-US')}; shrink the image or raise maxPixels`,
    );
  }
  if (format === 'png') {
    if (pngHeader(bytes).interlaced) checkInterlacedInflate(bytes, width, height);
    let png: PNG;
    try {
      png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (e) {
      throw new Error(`truncated or corrupt PNG (${(e as Error).message})`);
    }
    return { width: png.width, height: png.height, data: new Uint8Array(png.data), format };
  }
  const frame = jpegFrame(bytes);
  checkJpegScans(bytes, frame);
  try {
    const img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      tolerantDecoding: false,
      maxResolutionInMP: Math.max(1, Math.ceil(maxPixels / 1e6)),
      // Exactly what this frame needs: a second, larger frame hidden in the file cannot be allocated.
      maxMemoryUsageInMB: jpegMemoryBudget(frame) / 2 ** 20,
    });
    if (img.width !== width || img.height !== height) throw new Error('the frame size changed while decoding');
    return { width, height, data: img.data, format };
  } catch (e) {
    throw new Error(`truncated or corrupt JPEG (${(e as Error).message})`);
  }
}
