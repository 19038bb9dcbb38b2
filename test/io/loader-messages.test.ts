/**
 * Issue 20, finding 17: the loaders agree on what they refuse, and say it in short messages naming the file and
 * the field. loadLayersModel refuses non-finite weights as loadSafetensors does (also quantized values whose
 * scale overflows, float16 infinities and optimizer state); every value a message quotes is clipped (a 33 MB
 * tensor name made a 33 MB message); a layer constructor's own check names the file and the layer's config;
 * deep nesting is refused naming the depth limit, not as "not valid JSON" or a stack overflow. Save refuses
 * what load would refuse.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bp } from '../model/support';
import { encodeSafetensors } from '../../src/io/safetensors';
import { MAX_FILE_LAYERS as MAX_LAYERS } from '../../src/io/read-graph';
import { MAX_JSON_DEPTH } from '../../src/io/safe-json';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bp-messages-'));
const HUGE = 'n'.repeat(33_000_000);

/** A directory with model.json (a Dense 1→1 model) and, if given, the bytes of w.bin and its manifest entries. */
function modelDir(weights?: { bytes: Uint8Array; entries: Record<string, unknown>[] }, layers?: unknown[]): string {
  const dir = tmp();
  const json = {
    modelTopology: {
      class_name: 'Sequential',
      config: { layers: layers ?? [{ class_name: 'Dense', config: { units: 1, batch_input_shape: [null, 1] } }] },
    },
    weightsManifest: weights ? [{ paths: ['w.bin'], weights: weights.entries }] : [],
  };
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  if (weights) fs.writeFileSync(path.join(dir, 'w.bin'), weights.bytes);
  return dir;
}

async function loadError(dir: string, options?: bp.LoadOptions): Promise<Error> {
  const err = await bp.loadLayersModel(dir, options).then(
    () => undefined,
    (e: Error) => e,
  );
  if (!err) throw new Error(`${dir} loaded`);
  return err;
}

const kernel = (extra: Record<string, unknown> = {}) => ({ name: 'dense_1/kernel', shape: [1, 1], ...extra });
const bias = { name: 'dense_1/bias', shape: [1], dtype: 'float32' };
const f32 = (...v: number[]) => new Uint8Array(Float32Array.from(v).buffer);
const bytes = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => Array.from(p)));

describe('non-finite weights: loadLayersModel refuses what loadSafetensors refuses', () => {
  const cases: [string, Uint8Array, Record<string, unknown>, RegExp][] = [
    ['NaN', f32(NaN, 0), kernel({ dtype: 'float32' }), /holds NaN at index 0/],
    ['Infinity', f32(Infinity, 0), kernel({ dtype: 'float32' }), /holds Infinity at index 0/],
    [
      'a uint8 scale that overflows',
      bytes(Uint8Array.of(255), f32(0)),
      kernel({ dtype: 'float32', quantization: { dtype: 'uint8', scale: 1e308, min: 0 } }),
      /holds Infinity at index 0/,
    ],
    [
      'a uint16 value past float32',
      bytes(new Uint8Array(Uint16Array.of(1000).buffer), f32(0)),
      kernel({ dtype: 'float32', quantization: { dtype: 'uint16', scale: 1e36, min: 0 } }),
      /holds 1\.0+1e\+39 at index 0, past the largest float32/,
    ],
    [
      'a float16 infinity',
      bytes(new Uint8Array(Uint16Array.of(0x7c00).buffer), f32(0)),
      kernel({ dtype: 'float32', quantization: { dtype: 'float16' } }),
      /holds Infinity at index 0/,
    ],
  ];
  test.each(cases)('%s, naming the weights file and the weight', async (_what, data, entry, message) => {
    const dir = modelDir({ bytes: new Uint8Array(data), entries: [entry, bias] });
    const err = await loadError(dir);
    expect(err.name).toBe('ModelFormatError');
    expect(err.message).toMatch(new RegExp(`^${path.join(dir, 'w.bin')}: weight 'dense_1/kernel' `));
    expect(err.message).toMatch(message);
  });

  test('the same values in a safetensors file are refused too; optimizer state is checked as well', async () => {
    const model = bp.sequential({ layers: [bp.layers.dense({ units: 1, inputShape: [1] })] });
    const file = path.join(tmp(), 'w.safetensors');
    const tensors = [
      { name: 'dense_1/kernel', shape: [1, 1], data: Float32Array.of(NaN) },
      { name: 'dense_1/bias', shape: [1], data: Float32Array.of(0) },
    ];
    fs.writeFileSync(file, encodeSafetensors(tensors));
    await expect(bp.io.loadSafetensors(model, file)).rejects.toThrow(/tensor 'dense_1\/kernel' holds a non-finite/);

    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    model.trainOnBatch([[1]], [[2]]);
    const dir = tmp();
    await model.save(dir, { includeOptimizer: true });
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    const bin = path.join(dir, json.weightsManifest[0].paths[0]);
    const all = fs.readFileSync(bin);
    // The last float32 is the bias's second Adam moment: make it NaN (the checksums recorded are dropped).
    all.writeFloatLE(NaN, all.length - 4);
    fs.writeFileSync(bin, all);
    delete json.userDefinedMetadata.backprop.checksums;
    delete json.userDefinedMetadata.backprop.manifestChecksum;
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    const err = await loadError(dir);
    expect(err.message).toMatch(new RegExp(`^${bin}: weight '.*dense_1/bias.*' holds NaN at index 0`));
  });
});

describe('every quoted value is clipped', () => {
  const short = (e: Error) => {
    expect(e.message.length).toBeLessThan(1000);
    expect(e.message).not.toContain('\n');
    return e.message;
  };

  test('safetensors: a 33 MB tensor name or metadata key, in every message that names tensors', async () => {
    const model = bp.sequential({ layers: [bp.layers.dense({ units: 1, inputShape: [1] })] });
    const write = (tensors: { name: string; shape: number[]; data: Float32Array }[], meta = {}) => {
      const file = path.join(tmp(), 'w.safetensors');
      fs.writeFileSync(file, encodeSafetensors(tensors, meta));
      return file;
    };
    const ok = [
      { name: 'dense_1/kernel', shape: [1, 1], data: Float32Array.of(1) },
      { name: 'dense_1/bias', shape: [1], data: Float32Array.of(0) },
    ];
    const extra = { name: HUGE, shape: [1], data: Float32Array.of(1) };
    const fail = (file: string) => bp.io.loadSafetensors(model, file).then(() => new Error('loaded'), short);
    expect(await fail(write([ok[1], extra]))).toMatch(/found: dense_1\/bias, n{80}… \(33000000 characters\)/);
    expect(await fail(write([...ok, extra]))).toMatch(/no matching model weight: n{80}… \(33000000 characters\)/);
    expect(await fail(write([{ ...ok[0], name: `dense_1/kernel\n${HUGE}` }, ok[1]]))).toMatch(/is not in the file/);
    // A metadata value must be a string: a number under a huge key is refused, the key clipped.
    const header = Buffer.from(JSON.stringify({ __metadata__: { [`key\n${HUGE}`]: 1 } }));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(header.length));
    const file = path.join(tmp(), 'meta.safetensors');
    fs.writeFileSync(file, Buffer.concat([length, header]));
    expect(await fail(file)).toMatch(/header\.__metadata__\.key\\nn{76}… \(33000004 characters\): expected a string/);
  });

  test('model.json: a huge format, weight names in the manifest', async () => {
    const dir = modelDir();
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ ...json, format: HUGE }));
    expect(short(await loadError(dir))).toMatch(/format: 'n{80}…' \(33000000 characters\) is not a Layers model/);
    const long = { name: `${'w'.repeat(500)}0`, shape: [1, 1], dtype: 'float32' };
    const other = modelDir({ bytes: f32(1, 2), entries: [long, bias] });
    expect(short(await loadError(other))).toMatch(
      /the model's weight 'dense_1\/kernel' is missing \(found: w{80}… \(501 characters\), dense_1\/bias\)/,
    );
  });

  test('job specs: a huge unknown key, class name, layer type, optimizer, loss or metric', () => {
    const spec = (over: Record<string, unknown>) => ({
      layers: [{ units: 1, inputShape: [1] }],
      compile: { loss: 'mse' },
      ...over,
    });
    const cases: [unknown, RegExp][] = [
      [spec({ [HUGE]: 1 }), /unknown key 'n{80}…' \(33000000 characters\)/],
      [spec({ layers: [{ className: HUGE }] }), /unsupported layer 'n{80}…' \(33000000 characters\)/],
      [spec({ layers: [{ type: HUGE }] }), /layers\[0\]\.type: must be .*got "n{80}…/],
      [spec({ compile: { loss: 'mse', optimizer: HUGE } }), /unknown optimizer "n{80}…/],
      [spec({ compile: { loss: HUGE } }), /unknown loss "n{80}…/],
      [spec({ compile: { loss: 'mse', metrics: [HUGE] } }), /unknown metric "n{80}…/],
      [spec({ compile: { loss: 'mse', metrics: new Array(1e6).fill(['x']) } }), /unknown metric \["x"\]/],
      [
        spec({ layers: [{ className: 'Dense', config: { units: 1, activation: HUGE } }] }),
        /unknown activation 'n{80}…/,
      ],
    ];
    for (const [s, message] of cases) {
      let err: Error | undefined;
      try {
        bp.checkModelSpec(s);
      } catch (e) {
        err = e as Error;
      }
      expect(err).toBeDefined();
      expect(short(err!)).toMatch(message);
    }
  });
});

describe('config errors name the file (or spec) and the field', () => {
  test("Reshape's targetShape [-1, -1] in a model.json and in a job spec", async () => {
    const reshape = { class_name: 'Reshape', config: { target_shape: [-1, -1], batch_input_shape: [null, 4] } };
    const dir = modelDir(undefined, [reshape]);
    const err = await loadError(dir);
    expect(err.name).toBe('ModelFormatError');
    expect(err.message).toMatch(
      new RegExp(`^${path.join(dir, 'model.json')}: modelTopology layers\\[0\\]\\.config: .*'targetShape' must be`),
    );
    const spec = { layers: [{ className: 'Reshape', config: { targetShape: [-1, -1], inputShape: [4] } }] };
    expect(() => bp.checkModelSpec(spec, 'spec', { needCompile: false })).toThrow(
      /^spec\.layers\[0\]: .*'targetShape'/,
    );
  });
});

describe('nesting deeper than the limit is named as such', () => {
  test('a 5,000-deep model.json or safetensors header; a 100,000-deep spec config', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'model.json'), `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`);
    expect((await loadError(dir)).message).toMatch(
      new RegExp(`model\\.json: arrays and objects nest more than ${MAX_JSON_DEPTH} levels deep`),
    );
    const header = Buffer.from(`{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`);
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(header.length));
    const file = path.join(tmp(), 'deep.safetensors');
    fs.writeFileSync(file, Buffer.concat([length, header]));
    const model = bp.sequential({ layers: [bp.layers.dense({ units: 1, inputShape: [1] })] });
    await expect(bp.io.loadSafetensors(model, file)).rejects.toThrow(/nest more than 256 levels deep/);
    let deep: Record<string, unknown> = {};
    const top = deep;
    for (let i = 0; i < 100_000; i++) deep = (deep.a = {}) as Record<string, unknown>;
    expect(() =>
      bp.checkModelSpec(
        { layers: [{ className: 'Dense', config: { units: 1, inputShape: [1], x: top } }] },
        undefined,
        {
          needCompile: false,
        },
      ),
    ).toThrow(/^model spec\.layers\[0\]\.config: arrays and objects nest more than 256 levels deep/);
  });
});

describe('save refuses what load would refuse', () => {
  const model = () => bp.sequential({ layers: [bp.layers.dense({ units: 1, inputShape: [1] })] });
  test('metadata nested too deep, or with a forbidden key; a model.json over the loader’s 64 MiB', async () => {
    const dir = path.join(tmp(), 'm');
    const m = model();
    let deep: Record<string, unknown> = {};
    m.metadata.deep = deep;
    for (let i = 0; i < 10_000; i++) deep = (deep.a = {}) as Record<string, unknown>;
    await expect(m.save(dir)).rejects.toThrow(/model\.metadata: arrays and objects nest more than 255 levels deep/);
    const m2 = model();
    m2.metadata = JSON.parse('{"x": {"__proto__": 1}}');
    await expect(m2.save(dir)).rejects.toThrow(/the key '__proto__' cannot be saved/);
    const m3 = model();
    m3.metadata.vocabulary = 'v'.repeat(65 << 20);
    await expect(m3.save(dir)).rejects.toThrow(
      /model\.json would be 68,\d{3},\d{3} bytes; loadLayersModel reads at most/,
    );
    expect(fs.existsSync(dir)).toBe(false); // refused before anything is written
    // At the limits, the model loads back.
    const m4 = model();
    let edge: Record<string, unknown> = {};
    m4.metadata.edge = edge;
    for (let i = 0; i < MAX_JSON_DEPTH - 3; i++) edge = (edge.a = {}) as Record<string, unknown>;
    await m4.save(dir);
    expect((await bp.loadLayersModel(dir)).metadata.edge).toEqual(m4.metadata.edge);
  });

  test(`a model of more than ${MAX_LAYERS} layers, counting nested models' layers`, async () => {
    // A model holds at most MAX_LAYERS layers itself; two nested halves make a file of more.
    const half = (name: string) => {
      const layers: bp.layers.Layer[] = [bp.layers.dense({ units: 1, inputShape: [1], name })];
      for (let i = 0; i < MAX_LAYERS / 2; i++) layers.push(bp.layers.activation({ activation: 'relu' }));
      return bp.sequential({ layers });
    };
    const model = bp.sequential({ layers: [half('a'), half('b')] });
    await expect(model.save(tmp())).rejects.toThrow(
      new RegExp(
        `the model has ${MAX_LAYERS + 4} layers \\(nested models' counted\\); model files hold at most ${MAX_LAYERS}`,
      ),
    );
  });
});
