/**
 * The image role of a dataset worker thread: read a batch's files, decode them (PNG/JPEG, image-decode.ts,
 * with its limits), resize and convert them (image-pixels.ts) straight into the batch's slot in shared
 * memory. An image that cannot be read or decoded fails the batch with the file's name.
 */
import * as fs from 'node:fs';
import { decodeImage } from '../image-decode';
import { writePixels, type ColorMode } from '../image-pixels';
import { floatView } from './shared-memory';

export interface ImageJob {
  type: 'image-batch';
  id: number;
  files: string[];
  /** Where the batch's first image goes in `x` (in floats). */
  offset: number;
  x: SharedArrayBuffer;
  height: number;
  width: number;
  mode: ColorMode;
  maxPixels: number;
  maxFileBytes: number;
}

export interface ImageDone {
  type: 'image-done';
  id: number;
  error?: { file: string; message: string };
}

/** Reads a file through one descriptor: its size is checked on that descriptor before anything is read. */
function readImageFile(file: string, maxFileBytes: number): Uint8Array {
  const fd = fs.openSync(file, 'r');
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > maxFileBytes)
      throw new Error(
        `${st.size} bytes, more than maxFileBytes ${maxFileBytes}; shrink the image or raise maxFileBytes`,
      );
    const bytes = new Uint8Array(st.size);
    let got = 0;
    while (got < st.size) {
      const n = fs.readSync(fd, bytes, got, st.size - got, got);
      if (n === 0) throw new Error('the file was truncated while it was being read');
      got += n;
    }
    return bytes;
  } finally {
    fs.closeSync(fd);
  }
}

export function serveImages(job: ImageJob, post: (m: ImageDone) => void): void {
  const x = floatView('float32', job.x) as Float32Array;
  const per = job.height * job.width * (job.mode === 'grayscale' ? 1 : job.mode === 'rgb' ? 3 : 4);
  for (let i = 0; i < job.files.length; i++) {
    const file = job.files[i];
    try {
      const bytes = readImageFile(file, job.maxFileBytes);
      writePixels(decodeImage(bytes, job.maxPixels), job.mode, job.height, job.width, x, job.offset + i * per);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const message = code ? `cannot read the file (${code})` : (e as Error).message;
      post({ type: 'image-done', id: job.id, error: { file, message } });
      return;
    }
  }
  post({ type: 'image-done', id: job.id });
}
