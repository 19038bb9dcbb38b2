/**
 * bp.data.loadImageFolder on folders of PNG/JPEG images made here with pngjs and jpeg-js: the tensor, the
 * labels and classes (as Keras' image_dataset_from_directory), the bilinear resize against PyTorch's
 * (= TensorFlow's half-pixel bilinear), the split, and every hostile input refused with the file named.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import * as bp from '../../src';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-images-'));
let n = 0;
const fresh = () => {
  const d = path.join(tmp, `case${n++}`);
  fs.mkdirSync(d);
  return d;
};

/** RGBA bytes of a w×h image whose pixel (r, c) is f(r, c) = [R, G, B, A]. */
function pixels(w: number, h: number, f: (r: number, c: number) => number[]): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) data.set(f(r, c), (r * w + c) * 4);
  return data;
}
function pngBytes(w: number, h: number, f: (r: number, c: number) => number[]): Buffer {
  const png = new PNG({ width: w, height: h });
  pixels(w, h, f).copy(png.data);
  return PNG.sync.write(png);
}
const jpegBytes = (w: number, h: number, f: (r: number, c: number) => number[]) =>
  jpeg.encode({ width: w, height: h, data: pixels(w, h, f) }, 95).data;
function put(file: string, bytes: Uint8Array): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, bytes);
  return file;
}
const gray = (v: number) => () => [v, v, v, 255];

/**
 * A flat gray progressive JPEG (one component) of w×h pixels: a DC scan, then `acScans` AC scans that each
 * code every block as one end-of-band run (15 bits per 32,767 blocks). Valid, and each scan costs the decoder a
 * walk over every block for a few bytes of file: the scan bomb of issue 20.
 */
function progressiveJpeg(w: number, h: number, acScans: number): Buffer {
  const out: number[] = [0xff, 0xd8];
  const segment = (marker: number, body: number[]) =>
    out.push(0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 255, ...body);
  const entropy = (bits: number[]) => {
    while (bits.length % 8) bits.push(1);
    for (let i = 0; i < bits.length; i += 8) {
      const byte = bits.slice(i, i + 8).reduce((a, b) => (a << 1) | b, 0);
      out.push(byte, ...(byte === 0xff ? [0] : []));
    }
  };
  segment(0xdb, [0, ...new Array(64).fill(1)]); // quantization table 0: all ones
  segment(0xc2, [8, h >> 8, h & 255, w >> 8, w & 255, 1, 1, 0x11, 0]); // progressive frame, 1 component
  // Huffman tables with one 1-bit code each: DC difference category 0; AC end-of-band run of 2^14 + 14 bits.
  const table = (cls: number, symbol: number) => [cls, 1, ...new Array(15).fill(0), symbol];
  segment(0xc4, [...table(0x00, 0x00), ...table(0x10, 0xe0)]);
  const blocks = Math.ceil(w / 8) * Math.ceil(h / 8);
  segment(0xda, [1, 1, 0x00, 0, 0, 0]);
  entropy(new Array(blocks).fill(0));
  for (let s = 0; s < acScans; s++) {
    segment(0xda, [1, 1, 0x00, 1, 63, 0]);
    const bits: number[] = [];
    for (let i = 0; i < Math.ceil(blocks / 32767); i++) bits.push(0, ...new Array(14).fill(1));
    entropy(bits);
  }
  out.push(0xff, 0xd9);
  return Buffer.from(out);
}

describe('loadImageFolder', () => {
  test('one subfolder per class: classes sorted by code point, x [n, h, w, c] in [0, 1], int labels', async () => {
    const d = fresh();
    put(path.join(d, 'b', 'x1.png'), pngBytes(3, 3, gray(51)));
    put(path.join(d, 'b', 'deeper', 'x2.PNG'), pngBytes(3, 3, gray(102)));
    put(path.join(d, 'B', 'y.jpg'), jpegBytes(3, 3, gray(204)));
    put(path.join(d, 'a', 'z.png'), pngBytes(5, 4, gray(255)));
    put(path.join(d, 'a', 'notes.txt'), Buffer.from('not an image'));
    put(path.join(d, 'loose.png'), pngBytes(3, 3, gray(0)));
    const r = await bp.data.loadImageFolder(d, { imageSize: [3, 3], colorMode: 'grayscale', shuffle: false });
    expect(r.classNames).toEqual(['B', 'a', 'b']); // Python's sorted(): upper case first
    expect(r.x.shape).toEqual([4, 3, 3, 1]);
    expect(Array.from(r.y as Int32Array)).toEqual([0, 1, 2, 2]);
    expect(r.files.map((f) => path.relative(fs.realpathSync(d), f))).toEqual([
      path.join('B', 'y.jpg'),
      path.join('a', 'z.png'),
      path.join('b', 'deeper', 'x2.PNG'),
      path.join('b', 'x1.png'),
    ]);
    expect(r.x.data[0]).toBeCloseTo(204 / 255, 1); // JPEG is lossy
    // tf.image.rgb_to_grayscale's weights sum to 0.9999
    expect(r.x.data[9]).toBeCloseTo(0.9999, 6);
    expect(r.x.data[18]).toBeCloseTo((0.9999 * 102) / 255, 6);
    expect(r.x.data[27]).toBeCloseTo((0.9999 * 51) / 255, 6);
    expect(r.skipped.map((f) => path.basename(f)).sort()).toEqual(['loose.png', 'notes.txt']);
  });

  test('bilinear resize equals TensorFlow/PyTorch half-pixel bilinear (no antialias), up and down', async () => {
    const d = fresh();
    // 5 wide, 4 high; values (r·5 + c)·37 mod 256 (not linear, so the weights matter).
    put(
      path.join(d, 'k', 'a.png'),
      pngBytes(5, 4, (r, c) => [((r * 5 + c) * 37) % 256, 0, 0, 255]),
    );
    // torch.nn.functional.interpolate(x, size, mode='bilinear', align_corners=False, antialias=False)
    const expected: Record<string, number[][]> = {
      '3x7': [
        [30.8333, 51.9762, 66.2143, 62.1667, 88.5952, 115.0238, 136.1667],
        [149.5, 170.6429, 160.5, 95.5, 121.9286, 93.5, 41.5],
        [54.8333, 75.9762, 102.4048, 128.8333, 155.2619, 163.4048, 160.1667],
      ],
      '2x3': [
        [104.8333, 38.5, 100.1667],
        [90.8333, 152.5, 128.8333],
      ],
    };
    for (const [size, rows] of Object.entries(expected)) {
      const [h, w] = size.split('x').map(Number);
      const r = await bp.data.loadImageFolder(d, { imageSize: [h, w], colorMode: 'rgb', shuffle: false });
      expect(r.x.shape).toEqual([1, h, w, 3]);
      const red = Array.from({ length: h * w }, (_, i) => r.x.data[i * 3] * 255);
      red.forEach((v, i) => expect(v).toBeCloseTo(rows[Math.floor(i / w)][i % w], 3));
    }
  });

  test('color modes: grayscale is the luma of tf.image.rgb_to_grayscale, rgb drops alpha, rgba keeps it', async () => {
    const d = fresh();
    put(
      path.join(d, 'k', 'a.png'),
      pngBytes(1, 1, () => [200, 100, 50, 128]),
    );
    const at = async (colorMode: 'grayscale' | 'rgb' | 'rgba') =>
      Array.from((await bp.data.loadImageFolder(d, { imageSize: [1, 1], colorMode })).x.data, (v) => v * 255);
    expect((await at('grayscale'))[0]).toBeCloseTo(0.2989 * 200 + 0.587 * 100 + 0.114 * 50, 3);
    (await at('rgb')).forEach((v, i) => expect(v).toBeCloseTo([200, 100, 50][i], 3));
    (await at('rgba')).forEach((v, i) => expect(v).toBeCloseTo([200, 100, 50, 128][i], 3));
  });

  test('validationSplit with a seed: the last fraction of the shuffled images, the same each run', async () => {
    const d = fresh();
    for (let i = 0; i < 10; i++) put(path.join(d, i % 2 ? 'odd' : 'even', `${i}.png`), pngBytes(2, 2, gray(i * 20)));
    const opts = {
      imageSize: [2, 2] as [number, number],
      validationSplit: 0.3,
      seed: 7,
      labelMode: 'categorical' as const,
    };
    const a = await bp.data.loadImageFolder(d, opts);
    const b = await bp.data.loadImageFolder(d, opts);
    expect(a.x.shape[0]).toBe(7);
    expect(a.validation!.x.shape[0]).toBe(3);
    expect(a.files).toEqual(b.files);
    expect(new Set([...a.files, ...a.validation!.files]).size).toBe(10);
    expect((a.y as bp.data.Tensor2D).shape).toEqual([7, 2]);
    const c = await bp.data.loadImageFolder(d, { ...opts, seed: 8 });
    expect(c.files).not.toEqual(a.files);
    const bin = await bp.data.loadImageFolder(d, { imageSize: [2, 2], labelMode: 'binary', shuffle: false });
    expect((bin.y as bp.data.Tensor2D).shape).toEqual([10, 1]);
    await expect(bp.data.loadImageFolder(d, { validationSplit: 0.2 })).rejects.toThrow(/give a 'seed'/);
  });

  test('labels: null reads every image under the folder; classNames fixes the order and refuses other folders', async () => {
    const d = fresh();
    put(path.join(d, 'cat', 'a.png'), pngBytes(2, 2, gray(1)));
    put(path.join(d, 'dog', 'b.png'), pngBytes(2, 2, gray(2)));
    const u = await bp.data.loadImageFolder(d, { imageSize: [2, 2], labels: null, shuffle: false });
    expect(u.y).toBeUndefined();
    expect(u.x.shape[0]).toBe(2);
    const k = await bp.data.loadImageFolder(d, {
      imageSize: [2, 2],
      classNames: ['dog', 'cat', 'fox'],
      shuffle: false,
    });
    expect(Array.from(k.y as Int32Array)).toEqual([1, 0]);
    await expect(bp.data.loadImageFolder(d, { classNames: ['dog'] })).rejects.toThrow(
      /cat: 'cat' is not one of classNames \[dog\]; remove the folder or add the class/,
    );
  });
});

describe('loadImageFolder refuses hostile input, naming the file and the fix', () => {
  const refuse = async (d: string, re: RegExp, opts: bp.data.ImageFolderOptions = {}) =>
    expect(bp.data.loadImageFolder(d, { imageSize: [4, 4], ...opts })).rejects.toThrow(re);

  test('a file that is not an image, and truncated PNG and JPEG files', async () => {
    const a = fresh();
    put(path.join(a, 'k', 'fake.png'), Buffer.from('hello, world'));
    await refuse(a, /fake\.png: not a PNG or JPEG image \(it starts with bytes 68 65 6c 6c\); remove or replace/);
    const b = fresh();
    const png = pngBytes(8, 8, gray(9));
    put(path.join(b, 'k', 'cut.png'), png.subarray(0, png.length - 20));
    await refuse(b, /cut\.png: truncated or corrupt PNG/);
    const c = fresh();
    const jpg = jpegBytes(16, 16, (r, col) => [r * 16, col * 16, 9, 255]);
    put(path.join(c, 'k', 'cut.jpg'), jpg.subarray(0, Math.floor(jpg.length / 2)));
    await refuse(c, /cut\.jpg: truncated or corrupt JPEG/);
    const e = fresh();
    put(path.join(e, 'k', 'empty.jpeg'), Buffer.alloc(0));
    await refuse(e, /empty\.jpeg: not a PNG or JPEG image \(it starts with bytes \(none: the file is empty\)\)/);
  });

  test('decompression bombs: huge declared sizes are refused from the header, before decoding', async () => {
    const a = fresh();
    const png = Buffer.from(pngBytes(2, 2, gray(1)));
    png.writeUInt32BE(60000, 16); // IHDR width
    png.writeUInt32BE(60000, 20); // IHDR height
    put(path.join(a, 'k', 'bomb.png'), png);
    await refuse(a, /bomb\.png: declares 60000×60000 pixels \(3600\.0 MP\), more than maxPixels 40,000,000/);
    const b = fresh();
    const jpg = Buffer.from(jpegBytes(8, 8, gray(1)));
    const sof = jpg.indexOf(Buffer.from([0xff, 0xc0]));
    jpg.writeUInt16BE(65000, sof + 5);
    jpg.writeUInt16BE(65000, sof + 7);
    put(path.join(b, 'k', 'bomb.jpg'), jpg);
    await refuse(b, /bomb\.jpg: declares 65000×65000 pixels/);
    const small = fresh();
    put(path.join(small, 'k', 'ok.png'), pngBytes(10, 10, gray(1)));
    await refuse(small, /ok\.png: declares 10×10 pixels .* more than maxPixels 99/, { maxPixels: 99 });
  });

  test('an interlaced PNG whose compressed data expands far past its declared size', async () => {
    const d = fresh();
    const chunk = (type: string, body: Buffer) => {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(body.length);
      return Buffer.concat([len, Buffer.from(type, 'latin1'), body, Buffer.alloc(4)]);
    };
    const ihdr = Buffer.from([0, 0, 0, 4, 0, 0, 0, 4, 8, 6, 0, 0, 1]); // 4×4 RGBA, interlaced
    const idat = zlib.deflateSync(Buffer.alloc(64 << 20), { level: 9 });
    const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    put(
      path.join(d, 'k', 'zip.png'),
      Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]),
    );
    await refuse(d, /zip\.png: corrupt PNG: its compressed data expands past the 4×4 pixels it declares/);
  });

  test('a progressive JPEG that repeats scans (a scan bomb) is refused before decoding; real scan counts pass', async () => {
    // 4096×2048 in 26 KB with 400 scans: seconds of decoding before, refused from a count of its markers now.
    const d = fresh();
    const bomb = progressiveJpeg(4096, 2048, 400);
    expect(bomb.length).toBeLessThan(30000);
    put(path.join(d, 'k', 'scans.jpg'), bomb);
    await refuse(d, /scans\.jpg: a JPEG of 4096×2048 pixels in 26,\d{3} bytes with 401 scans .*at most 64 are decoded/);
    // Larger files may have more scans, but never over 500 (20,000 scans of a 1×1 image: 260 KB).
    const tiny = fresh();
    put(path.join(tiny, 'k', 'many.jpg'), progressiveJpeg(1, 1, 20000));
    await refuse(tiny, /many\.jpg: .* with 20001 scans .*at most 500 are decoded/, { imageSize: [1, 1] });
    // Sampling factors past the standard's 4 multiply the blocks per pixel (15×15: 225 times): refused.
    const sampled = fresh();
    const jpg = Buffer.from(jpegBytes(64, 64, gray(7)));
    jpg[jpg.indexOf(Buffer.from([0xff, 0xc0])) + 11] = 0xff;
    put(path.join(sampled, 'k', 'sampling.jpg'), jpg);
    await refuse(sampled, /sampling\.jpg: corrupt JPEG: component 1 has sampling factors 15×15 \(1 to 4 allowed\)/);
    // Real progressive JPEGs have about 10 scans; 64 always pass.
    const ok = fresh();
    put(path.join(ok, 'k', 'a.jpg'), progressiveJpeg(4096, 2048, 63));
    put(path.join(ok, 'k', 'b.jpg'), progressiveJpeg(16, 16, 63));
    const r = await bp.data.loadImageFolder(ok, { imageSize: [2, 2], colorMode: 'grayscale', shuffle: false });
    expect(r.x.data.length).toBe(8);
    for (const v of r.x.data) expect(v).toBeCloseTo(128 / 255, 3); // flat gray: the DC of 0 decodes to 128
  });

  test('symbolic links that leave the folder; links inside it are read', async () => {
    const outside = put(path.join(tmp, 'outside', 'secret.png'), pngBytes(2, 2, gray(3)));
    const a = fresh();
    put(path.join(a, 'k', 'a.png'), pngBytes(2, 2, gray(1)));
    fs.symlinkSync(outside, path.join(a, 'k', 'link.png'));
    await refuse(a, /link\.png: a symbolic link to .*secret\.png, outside the folder .*; links may not leave/);
    const b = fresh();
    put(path.join(b, 'k', 'a.png'), pngBytes(2, 2, gray(1)));
    fs.symlinkSync(path.join(tmp, 'outside'), path.join(b, 'elsewhere'));
    await refuse(b, /elsewhere: a symbolic link to .*outside, outside the folder/);
    const c = fresh();
    const inside = put(path.join(c, 'k', 'a.png'), pngBytes(2, 2, gray(1)));
    fs.symlinkSync(inside, path.join(c, 'k', 'b.png'));
    expect((await bp.data.loadImageFolder(c, { imageSize: [2, 2] })).x.shape[0]).toBe(2);
    const loop = fresh();
    put(path.join(loop, 'k', 'a.png'), pngBytes(2, 2, gray(1)));
    fs.symlinkSync(path.join(loop, 'k'), path.join(loop, 'k', 'again'));
    await refuse(loop, /again: reached twice through symbolic links \(a loop\?\); remove the link/);
  });

  test('too many images, too many bytes, files too large', async () => {
    const d = fresh();
    for (let i = 0; i < 4; i++) put(path.join(d, 'k', `${i}.png`), pngBytes(2, 2, gray(i)));
    await refuse(d, /more than maxImages 3 images under .*; use fewer images or raise maxImages/, { maxImages: 3 });
    await refuse(d, /4 images of 4×4×3 need 768 bytes, more than maxBytes 700; use a smaller imageSize/, {
      maxBytes: 700,
    });
    await refuse(d, /\d\.png: \d+ bytes, more than maxFileBytes 10; shrink the image or raise maxFileBytes/, {
      maxFileBytes: 10,
    });
  });

  test('empty class folders, no class folders, unsupported formats, bad options', async () => {
    const a = fresh();
    put(path.join(a, 'cat', 'a.png'), pngBytes(2, 2, gray(1)));
    put(path.join(a, 'dog', 'readme.txt'), Buffer.from('x'));
    await refuse(a, /class folder .*dog has no PNG or JPEG images; add images or remove the folder/);
    const b = fresh();
    put(path.join(b, 'a.png'), pngBytes(2, 2, gray(1)));
    await refuse(b, /has no class subfolders; put each class's images in a subfolder named after the class/);
    const c = fresh();
    put(path.join(c, 'k', 'anim.gif'), Buffer.from('GIF89a'));
    await refuse(c, /anim\.gif: GIF images are not supported; convert it to PNG/);
    await refuse(path.join(tmp, 'nope'), /nope: cannot open the folder \(ENOENT\)/);
    await refuse(c, /'imageSize' must be \[height, width\]/, { imageSize: [0, 4] });
    await refuse(c, /'colorMode' must be grayscale, rgb, rgba/, { colorMode: 'cmyk' as 'rgb' });
    await refuse(c, /'validationSplit' must be a fraction in \(0, 1\)/, { validationSplit: 1 });
  });
});
