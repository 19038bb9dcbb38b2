/**
 * What decoding a JPEG with jpeg-js may cost, bounded before it starts. jpeg-js allocates the coefficient
 * blocks of the frame and then, for every scan, walks every block of the scan's components. A progressive
 * JPEG may repeat scans without limit (each a few bytes with an end-of-band run over the whole image), so a
 * 25 KB file with 400 scans costs seconds and a 64 MiB one hours: a decoding bomb that the pixel limit does
 * not catch. Here:
 * - the frame header (the first SOF segment) gives the size and the components, within the standard's
 *   limits (at most 4 components, sampling factors 1 to 4), and from them jpeg-js's memory budget: the
 *   blocks, the component planes and the output, plus 1 MiB for tables. Any frame jpeg-js allocates must
 *   fit in it, so a scan walks at most `budget / 256` blocks (256 bytes a block), whatever the file says;
 * - the scans are counted as the start-of-scan markers (bytes FF DA) anywhere in the file: every scan jpeg-js
 *   decodes starts at one (entropy-coded data never holds FF DA: an FF there is followed by 00 or a restart
 *   marker), so no quirk of its parser can hide a scan from the count; a marker inside an EXIF thumbnail or a
 *   profile is counted too, which only makes the count larger;
 * - a file may have FREE_SCANS scans, plus one for every (blocks per scan / BLOCK_VISITS_PER_BYTE) bytes of
 *   file, so its decoding work stays proportional to its size, and never more than MAX_JPEG_SCANS.
 */

/** Scans any JPEG may have: standard progressive scripts use about 10 (libjpeg's), optimisers up to ~30. */
export const FREE_SCANS = 64;
/**
 * Absolute cap on scans, libjpeg-turbo's guidance for untrusted input (TJPARAM_SCANLIMIT / djpeg -maxscans,
 * set to 500 in its fuzz targets).
 */
export const MAX_JPEG_SCANS = 500;
/** Scans beyond FREE_SCANS must be paid for with file bytes: 8 more block visits per byte. */
const BLOCK_VISITS_PER_BYTE = 8;
/** jpeg-js's accounting: each 8×8 block of coefficients is an Int32Array(64). */
const BYTES_PER_BLOCK = 256;

const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

export interface JpegFrame {
  width: number;
  height: number;
  /** Sampling factors of each component. */
  components: { h: number; v: number }[];
}

/** The frame header (first SOF segment), found by walking the segments before the first scan. */
export function jpegFrame(bytes: Uint8Array): JpegFrame {
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) throw new Error(`corrupt JPEG: expected a segment marker at byte ${at}`);
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      at += 2; // markers without a length
      continue;
    }
    if (marker === 0xda || marker === 0xd9) break; // scan or end before any frame header
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    if (length < 2) throw new Error(`corrupt JPEG: segment at byte ${at} has length ${length}`);
    if (SOF_MARKERS.has(marker)) return readFrame(bytes, at, length);
    at += 2 + length;
  }
  throw new Error('truncated or corrupt JPEG: no frame header (SOF) before the image data');
}

function readFrame(bytes: Uint8Array, at: number, length: number): JpegFrame {
  if (at + 10 > bytes.length) throw new Error('truncated JPEG: the frame header (SOF) is cut off');
  const height = (bytes[at + 5] << 8) | bytes[at + 6];
  const width = (bytes[at + 7] << 8) | bytes[at + 8];
  const count = bytes[at + 9];
  if (count < 1 || count > 4) throw new Error(`corrupt JPEG: the frame has ${count} components (1 to 4 allowed)`);
  if (length !== 8 + 3 * count || at + 10 + 3 * count > bytes.length) {
    throw new Error(`corrupt JPEG: the frame header (SOF) has length ${length} for ${count} components`);
  }
  const components = [];
  for (let i = 0; i < count; i++) {
    const hv = bytes[at + 11 + 3 * i];
    const h = hv >> 4,
      v = hv & 15;
    if (h < 1 || h > 4 || v < 1 || v > 4) {
      throw new Error(`corrupt JPEG: component ${i + 1} has sampling factors ${h}×${v} (1 to 4 allowed)`);
    }
    components.push({ h, v });
  }
  return { width, height, components };
}

/** The memory budget given to jpeg-js for a frame, in bytes (see the file comment). */
export function jpegMemoryBudget(frame: JpegFrame): number {
  const maxH = Math.max(...frame.components.map((c) => c.h));
  const maxV = Math.max(...frame.components.map((c) => c.v));
  const mcus = Math.ceil(frame.width / 8 / maxH) * Math.ceil(frame.height / 8 / maxV);
  const blocks = mcus * frame.components.reduce((s, c) => s + c.h * c.v, 0);
  const pixels = frame.width * frame.height;
  // blocks; each component's plane (64 bytes a block at most); the output planes and the RGBA image; tables.
  return blocks * BYTES_PER_BLOCK + blocks * 64 + pixels * (frame.components.length + 4) + 2 ** 20;
}

/** Start-of-scan markers (FF DA) in the file: at least as many as the scans jpeg-js can decode. */
export function countScanMarkers(bytes: Uint8Array): number {
  let n = 0;
  for (let i = bytes.indexOf(0xff); i >= 0 && i + 1 < bytes.length; i = bytes.indexOf(0xff, i + 1)) {
    if (bytes[i + 1] === 0xda) n++;
  }
  return n;
}

/** The most scans a file of `fileBytes` bytes with this frame may have. */
export function maxJpegScans(frame: JpegFrame, fileBytes: number): number {
  const blocksPerScan = Math.floor(jpegMemoryBudget(frame) / BYTES_PER_BLOCK);
  return Math.min(MAX_JPEG_SCANS, FREE_SCANS + Math.floor((fileBytes * BLOCK_VISITS_PER_BYTE) / blocksPerScan));
}

/** Refuses, before decoding, a JPEG whose scans would cost more than its size allows. */
export function checkJpegScans(bytes: Uint8Array, frame: JpegFrame): void {
  const scans = countScanMarkers(bytes);
  const allowed = maxJpegScans(frame, bytes.length);
  if (scans > allowed) {
    throw new Error(
      `a JPEG of ${frame.width}×${frame.height} pixels in ${bytes.length.toLocaleString('en-US')} bytes with ` +
        `${scans} scans (start-of-scan markers); at most ${allowed} are decoded for this size (${FREE_SCANS}, more ` +
        `for larger files, never over ${MAX_JPEG_SCANS}): each scan revisits every block, so repeated scans make ` +
        `a decoding bomb. Re-encode the image (e.g. as a baseline JPEG)`,
    );
  }
}
