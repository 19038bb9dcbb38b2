/**
 * bp.io.saveSafetensors / loadSafetensors: the bytes follow the safetensors format (checked against the format's
 * description with files built by hand here, not by the writer), weights round-trip under their Keras names,
 * and hostile files are refused with an error naming the problem, leaving the model's weights untouched.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as bp from '../../src';
import { MAX_HEADER_BYTES } from '../../src/io/safetensors';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bp-safetensors-'));
const posix = process.platform !== 'win32';
const onPosix = posix ? test : test.skip;

function mlp(seed = 1, dtype: 'float32' | 'float64' = 'float32'): bp.Sequential {
  return bp.sequential({
    seed,
    dtype,
    layers: [
      bp.layers.dense({ units: 3, activation: 'relu', inputShape: [2] }),
      bp.layers.dense({ units: 1, useBias: false }),
    ],
  });
}

/** A safetensors file from a header object and data bytes, laid out as the format describes. */
function fileFrom(header: unknown, data: Uint8Array, pad = 0): Buffer {
  const json = Buffer.from(JSON.stringify(header) + ' '.repeat(pad), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.byteLength));
  return Buffer.concat([length, json, data]);
}

const f32 = (...v: number[]) => new Uint8Array(Float32Array.from(v).buffer);

/** The header and data of a valid file for mlp(): kernels and bias as F32, in model order. */
function validParts(values = [1, 2, 3, 4, 5, 6, 0.5, -0.5, 0.25, 7, 8, 9]) {
  const header = {
    'dense_1/kernel': { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
    'dense_1/bias': { dtype: 'F32', shape: [3], data_offsets: [24, 36] },
    'dense_2/kernel': { dtype: 'F32', shape: [3, 1], data_offsets: [36, 48] },
  };
  return { header, data: f32(...values) };
}

async function loadError(model: bp.Sequential, file: string, options?: bp.io.SafetensorsLoadOptions): Promise<Error> {
  const before = model.getWeights().map((w) => Array.from(w.data));
  const err = await bp.io.loadSafetensors(model, file, options).then(
    () => undefined,
    (e: Error) => e,
  );
  if (!err) throw new Error(`${file} loaded`);
  expect(model.getWeights().map((w) => Array.from(w.data))).toEqual(before); // nothing assigned
  return err;
}

function write(bytes: Uint8Array): string {
  const file = path.join(tmp(), 'w.safetensors');
  fs.writeFileSync(file, bytes);
  return file;
}

describe('the written file follows the format', () => {
  test('8-byte little-endian header length, JSON header with dtype/shape/offsets, raw little-endian data', async () => {
    const model = mlp();
    const file = path.join(tmp(), 'sub', 'model.safetensors');
    const result = await bp.io.saveSafetensors(model, file);
    const bytes = fs.readFileSync(file);
    expect(result).toEqual({ path: file, bytes: bytes.byteLength });
    const n = Number(bytes.readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0); // data aligned, header padded with spaces
    const text = bytes.subarray(8, 8 + n).toString('utf8');
    expect(text[0]).toBe('{');
    expect(text).toMatch(/^\{.*\} *$/);
    const header = JSON.parse(text);
    expect(header.__metadata__).toEqual({ producer: expect.stringMatching(/^backprop \d+\.\d+\.\d+/) });
    const weights = model.getWeights();
    expect(Object.keys(header).filter((k) => k !== '__metadata__')).toEqual(weights.map((w) => w.name));
    expect(weights.map((w) => w.name)).toEqual(['dense_1/kernel', 'dense_1/bias', 'dense_2/kernel']);
    let offset = 0;
    for (const w of weights) {
      const e = header[w.name];
      expect(e).toEqual({ dtype: 'F32', shape: w.shape, data_offsets: [offset, offset + 4 * w.data.length] });
      const at = 8 + n + offset;
      const values = Array.from({ length: w.data.length }, (_, i) => bytes.readFloatLE(at + 4 * i));
      expect(values).toEqual(Array.from(w.data));
      offset += 4 * w.data.length;
    }
    expect(bytes.byteLength).toBe(8 + n + offset);
  });

  test("a second reader (Python's struct/json/numpy, following the format) gets the model's weights back", async () => {
    const model = mlp(4);
    const file = path.join(tmp(), 'w.safetensors');
    await bp.io.saveSafetensors(model, file);
    const script = [
      'import json, struct, sys, numpy as np',
      'b = open(sys.argv[1], "rb").read()',
      '(n,) = struct.unpack("<Q", b[:8])',
      'h = json.loads(b[8:8 + n].decode("utf-8"))',
      'h.pop("__metadata__", None)',
      'dt = {"F32": "<f4", "F64": "<f8"}',
      'out = {}',
      'for k, v in h.items():',
      '    s, e = v["data_offsets"]',
      '    a = np.frombuffer(b[8 + n + s:8 + n + e], dtype=dt[v["dtype"]]).reshape(v["shape"])',
      '    out[k] = [list(a.shape), a.ravel().astype(float).tolist()]',
      'print(json.dumps(out))',
    ].join('\n');
    const read = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, file], { encoding: 'utf8' }));
    expect(read).toEqual(Object.fromEntries(model.getWeights().map((w) => [w.name, [w.shape, Array.from(w.data)]])));
  });

  test('a float64 model is written as F64', async () => {
    const file = path.join(tmp(), 'w.safetensors');
    await bp.io.saveSafetensors(mlp(1, 'float64'), file);
    const bytes = fs.readFileSync(file);
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8'));
    expect(header['dense_1/bias'].dtype).toBe('F64');
  });
});

describe('round trip and hand-built files', () => {
  test('saved weights load into a fresh model: same weights, same predictions (float32 and float64)', async () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const file = path.join(tmp(), 'w.safetensors');
      const a = mlp(1, dtype);
      await bp.io.saveSafetensors(a, file);
      const b = mlp(2, dtype);
      expect(await bp.io.loadSafetensors(b, file)).toBe(b);
      expect(b.getWeights().map((w) => Array.from(w.data))).toEqual(a.getWeights().map((w) => Array.from(w.data)));
      const x = bp.tensor([0.5, -1, 2, 3], [2, 2]);
      expect(Array.from(b.predict(x).data)).toEqual(Array.from(a.predict(x).data));
    }
  });

  test('a hand-built file: tensors in any data order, F16 / BF16 / F64 converted, padded header, metadata', async () => {
    // bias as BF16 (0x3f80 = 1, 0xc000 = -2, 0x3e80 = 0.25), kernel 2 as F16 (0x3c00 = 1, 0xb800 = -0.5,
    // 0x0001 = the smallest subnormal), kernel 1 as F64; the data holds them in that order.
    const bias = new Uint8Array(new Uint16Array([0x3f80, 0xc000, 0x3e80]).buffer);
    const k2 = new Uint8Array(new Uint16Array([0x3c00, 0xb800, 0x0001]).buffer);
    const k1 = new Uint8Array(Float64Array.of(0.1, 0.2, 0.3, 0.4, 0.5, 0.6).buffer);
    const data = new Uint8Array([...bias, ...k2, ...k1]);
    const header = {
      __metadata__: { format: 'pt', note: 'hand-built' },
      'dense_2/kernel': { dtype: 'F16', shape: [3, 1], data_offsets: [6, 12] },
      'dense_1/kernel': { dtype: 'F64', shape: [2, 3], data_offsets: [12, 60] },
      'dense_1/bias': { dtype: 'BF16', shape: [3], data_offsets: [0, 6] },
    };
    const model = mlp();
    await bp.io.loadSafetensors(model, write(fileFrom(header, data, 5)));
    const [kernel1, b1, kernel2] = model.getWeights().map((w) => Array.from(w.data));
    expect(kernel1).toEqual(Array.from(Float32Array.of(0.1, 0.2, 0.3, 0.4, 0.5, 0.6)));
    expect(b1).toEqual([1, -2, 0.25]);
    expect(kernel2).toEqual([1, -0.5, Math.fround(2 ** -24)]);
  });

  test('strict: false loads what matches and skips missing and extra tensors', async () => {
    const { header, data } = validParts();
    const partial = {
      'dense_1/bias': header['dense_1/bias'],
      extra: { dtype: 'F32', shape: [6], data_offsets: [0, 24] },
    };
    const model = mlp();
    const kernel = Array.from(model.getWeights()[0].data);
    await bp.io.loadSafetensors(model, write(fileFrom(partial, data.subarray(0, 36))), { strict: false });
    const w = model.getWeights();
    expect(Array.from(w[0].data)).toEqual(kernel);
    // The bias entry points at bytes 24..36: values 7, 8, 9 of validParts().
    expect(Array.from(w[1].data)).toEqual([0.5, -0.5, 0.25]);
  });
});

describe('hostile files are refused, naming the problem', () => {
  const cases: [string, () => Buffer, RegExp][] = [
    ['under 8 bytes', () => Buffer.from([1, 2, 3]), /under 8 bytes/],
    [
      'a header length past the end of the file',
      () => {
        const b = fileFrom(validParts().header, validParts().data);
        b.writeBigUInt64LE(BigInt(b.byteLength));
        return b;
      },
      /header length \d+ is larger than the file/,
    ],
    [
      'a header length over the 100 MB limit',
      () => {
        const b = Buffer.alloc(16);
        b.writeBigUInt64LE(BigInt(MAX_HEADER_BYTES + 1));
        return b;
      },
      /larger than the file .* or than 100000000 bytes/,
    ],
    [
      'a header length of 2^64 - 1',
      () => {
        const b = Buffer.alloc(16);
        b.writeBigUInt64LE(2n ** 64n - 1n);
        return b;
      },
      /header length 18446744073709551615 is larger/,
    ],
    [
      'a header that does not start with {',
      () => fileFrom([validParts().header], validParts().data),
      /start with '\{'/,
    ],
    [
      'a header that is not UTF-8',
      () => Buffer.concat([Buffer.from([3, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0xff, 0x7d])]),
      /not valid UTF-8/,
    ],
    [
      'a header that is not JSON',
      () => Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{x')]),
      /not valid JSON/,
    ],
    [
      'a __proto__ key',
      () => {
        const json = Buffer.from('{"__proto__": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}}');
        const len = Buffer.alloc(8);
        len.writeBigUInt64LE(BigInt(json.byteLength));
        return Buffer.concat([len, json, f32(1)]);
      },
      /forbidden key '__proto__'/,
    ],
    ...entryCases(),
  ];

  test.each(cases)('%s', async (_what, bytes, message) => {
    const err = await loadError(mlp(), write(bytes()));
    expect(err.name).toBe('ModelFormatError');
    expect(err.message).toMatch(message);
  });

  test('a file over maxBytes is refused before it is read', async () => {
    const { header, data } = validParts();
    const err = await loadError(mlp(), write(fileFrom(header, data)), { maxBytes: 100 });
    expect(err.message).toMatch(/safetensors file is \d+ bytes; files over 100 bytes are refused/);
  });

  onPosix('symbolic links, FIFOs and directories are refused without blocking', async () => {
    const dir = tmp();
    const { header, data } = validParts();
    const real = path.join(dir, 'real.safetensors');
    fs.writeFileSync(real, fileFrom(header, data));
    fs.symlinkSync(real, path.join(dir, 'link.safetensors'));
    expect((await loadError(mlp(), path.join(dir, 'link.safetensors'))).message).toMatch(/is a symbolic link/);
    execFileSync('mkfifo', [path.join(dir, 'fifo.safetensors')]);
    expect((await loadError(mlp(), path.join(dir, 'fifo.safetensors'))).message).toMatch(/is a FIFO/);
    expect((await loadError(mlp(), dir)).message).toMatch(/is a directory/);
    expect((await loadError(mlp(), path.join(dir, 'missing.safetensors'))).message).toMatch(/is missing/);
  });
});

/** Header entries that are wrong, one way each, on an otherwise valid file. */
function entryCases(): [string, () => Buffer, RegExp][] {
  type Header = Record<string, Record<string, unknown>>;
  const edit = (what: string, change: (h: Header) => void, message: RegExp, data?: Uint8Array) => {
    const make = () => {
      const parts = validParts();
      const h = JSON.parse(JSON.stringify(parts.header)) as Header;
      change(h);
      return fileFrom(h, data ?? parts.data);
    };
    return [what, make, message] as [string, () => Buffer, RegExp];
  };
  return [
    edit(
      'an unknown dtype',
      (h) => (h['dense_1/bias'].dtype = 'F128'),
      /dense_1\/bias'\.dtype: 'F128' is not supported/,
    ),
    edit(
      'an integer dtype for a weight',
      (h) => (h['dense_1/bias'].dtype = 'I32'),
      /tensor 'dense_1\/bias' is I32; weights are read from F16, BF16, F32 or F64/,
    ),
    edit('an unknown key', (h) => (h['dense_1/bias'].extra = 1), /unknown key 'extra'/),
    edit('a negative dimension', (h) => (h['dense_1/bias'].shape = [-3]), /shape\[0\]: expected an integer/),
    edit('a fractional dimension', (h) => (h['dense_1/bias'].shape = [1.5]), /shape\[0\]: expected an integer/),
    edit(
      'more than 8 dimensions',
      (h) => (h['dense_1/bias'].shape = new Array(9).fill(1)),
      /has 9 entries \(limit 8\)/,
    ),
    edit(
      'a shape whose product overflows',
      (h) => (h['dense_1/bias'].shape = [2 ** 26, 2 ** 26, 2 ** 26]),
      /expected an integer in \[0, 12\]|more than 12 elements/,
    ),
    edit(
      'offsets past the data',
      (h) => (h['dense_2/kernel'].data_offsets = [36, 52]),
      /data_offsets\[1\]: expected an integer in \[36, 48\]/,
    ),
    edit(
      'end before begin',
      (h) => (h['dense_2/kernel'].data_offsets = [36, 30]),
      /data_offsets\[1\]: expected an integer in \[36, 48\]/,
    ),
    edit('offsets that are not a pair', (h) => (h['dense_2/kernel'].data_offsets = [36]), /expected \[begin, end\]/),
    edit(
      'a byte count that does not match dtype and shape',
      (h) => (h['dense_1/bias'].shape = [2]),
      /\[24, 36\] holds 12 bytes but F32 \[2\] takes 8/,
    ),
    edit(
      'two tensors on the same bytes',
      (h) => {
        h['dense_2/kernel'].data_offsets = [24, 36];
      },
      /its bytes \[24, 36\] overlap another tensor's/,
    ),
    edit(
      'bytes that belong to no tensor (a hole)',
      (h) => {
        h['dense_1/bias'].data_offsets = [28, 40];
        h['dense_2/kernel'].data_offsets = [40, 52];
      },
      /bytes \[24, 28\] of the data belong to no tensor/,
      f32(...new Array(13).fill(1)),
    ),
    edit(
      'trailing bytes after the last tensor',
      () => {},
      /bytes \[48, 52\] of the data belong to no tensor/,
      f32(...new Array(13).fill(1)),
    ),
    edit(
      'a missing model weight',
      (h) => delete h['dense_2/kernel'],
      /the model's weight 'dense_2\/kernel' is not in the file/,
      f32(1, 2, 3, 4, 5, 6, 7, 8, 9),
    ),
    edit(
      'a tensor of the wrong shape',
      (h) => (h['dense_2/kernel'].shape = [1, 3]),
      /tensor 'dense_2\/kernel' has shape \[1, 3\] but the model needs \[3, 1\]/,
    ),
    edit(
      'an extra tensor (strict)',
      (h) => {
        h['dense_2/kernel'].data_offsets = [36, 48];
        h.more = { dtype: 'F32', shape: [1], data_offsets: [48, 52] };
      },
      /tensors with no matching model weight: more/,
      f32(...new Array(13).fill(1)),
    ),
    edit(
      'a NaN weight',
      () => {},
      /tensor 'dense_1\/bias' holds a non-finite value at index 1/,
      f32(1, 2, 3, 4, 5, 6, 0, NaN, 0, 1, 1, 1),
    ),
    edit(
      'metadata values that are not strings',
      (h) => ((h as Record<string, unknown>).__metadata__ = { a: 1 }),
      /__metadata__\.a: expected a string/,
    ),
  ];
}

describe('arguments', () => {
  test('an unbuilt model, something that is not a model, bad options, bad paths', async () => {
    const { header, data } = validParts();
    const file = write(fileFrom(header, data));
    const unbuilt = bp.sequential({ layers: [bp.layers.dense({ units: 2 })] });
    await expect(bp.io.loadSafetensors(unbuilt, file)).rejects.toThrow(/loadSafetensors\(\).*built/);
    await expect(bp.io.saveSafetensors(unbuilt, file)).rejects.toThrow(/saveSafetensors\(\).*built/);
    await expect(bp.io.loadSafetensors({} as bp.Sequential, file)).rejects.toThrow(/'model' must be a backprop model/);
    await expect(bp.io.loadSafetensors(mlp(), file, { strict: 'yes' } as never)).rejects.toThrow(/'strict' must be/);
    await expect(bp.io.loadSafetensors(mlp(), file, { maxBytes: -1 })).rejects.toThrow(/'maxBytes' must be/);
    await expect(bp.io.loadSafetensors(mlp(), file, { max: 1 } as never)).rejects.toThrow(/unknown option 'max'/);
    await expect(bp.io.saveSafetensors(mlp(), '')).rejects.toThrow(/'path' must be a file path/);
    await expect(bp.io.saveSafetensors(mlp(), tmp())).rejects.toThrow(/is a directory/);
  });
});
