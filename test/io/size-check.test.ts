/**
 * The weights a topology implies are counted from the JSON and checked against the cap (maxWeightBytes) and
 * the manifest before any layer is built: a tiny model.json that declares a huge model fails in
 * milliseconds, allocating nothing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bp } from '../model/support';
import { plannedSize, readTopology } from '../../src/io/read-topology';
import { Model } from '../../src/model/model';
import { Reader } from '../../src/io/safe-json';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bp-size-'));
const MiB = 2 ** 20;

function hugeModelJson(layers: number): string {
  const dense = (first: boolean) => ({
    class_name: 'Dense',
    config: { units: 16384, activation: 'relu', ...(first ? { batch_input_shape: [null, 16384] } : {}) },
  });
  return JSON.stringify({
    format: 'layers-model',
    modelTopology: {
      class_name: 'Sequential',
      config: { name: 'huge', layers: Array.from({ length: layers }, (_, i) => dense(i === 0)) },
    },
    weightsManifest: [],
  });
}

/** Loads and returns the error and how much memory grew meanwhile. */
async function measure(dir: string, options?: bp.LoadOptions) {
  global.gc?.();
  const before = process.memoryUsage();
  const err = await bp.loadLayersModel(dir, options).then(
    () => undefined,
    (e: Error) => e,
  );
  const after = process.memoryUsage();
  return { err, rss: after.rss - before.rss, arrayBuffers: after.arrayBuffers - before.arrayBuffers };
}

beforeAll(async () => {
  // warm up the loader's code paths so the timings below measure the load alone
  const dir = tmp();
  await bp.sequential({ layers: [bp.layers.dense({ units: 2, inputShape: [2] })] }).save(dir);
  await bp.loadLayersModel(dir);
});

test('a 400-byte model.json declaring a 16384x16384 layer and no weights fails allocating nothing', async () => {
  const dir = tmp();
  const text = hugeModelJson(1);
  expect(text.length).toBeLessThan(400);
  fs.writeFileSync(path.join(dir, 'model.json'), text);
  const { err, rss, arrayBuffers } = await measure(dir);
  expect(err?.name).toBe('ModelFormatError');
  expect(err?.message).toMatch(/the model's layers hold 268,451,840 weights but the manifest lists 0/);
  expect(arrayBuffers).toBeLessThan(4 * MiB);
  expect(rss).toBeLessThan(48 * MiB);
});

test('a topology over the cap fails before building, strict or not', async () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'model.json'), hugeModelJson(2)); // 2 x 1 GiB of float32 weights
  for (const strict of [true, false]) {
    const { err, rss, arrayBuffers } = await measure(dir, { strict });
    expect(err?.name).toBe('ModelFormatError');
    expect(err?.message).toMatch(
      /the layers hold 536,903,680 weights \(2\.0 GiB as float32\), more than maxWeightBytes/,
    );
    expect(arrayBuffers).toBeLessThan(4 * MiB);
    expect(rss).toBeLessThan(48 * MiB);
  }
  // under the cap but without weights, a non-strict load is refused by a smaller cap too
  fs.writeFileSync(path.join(dir, 'model.json'), hugeModelJson(1));
  const { err } = await measure(dir, { strict: false, maxWeightBytes: 64 * MiB });
  expect(err?.message).toMatch(/more than maxWeightBytes \(64\.0 MiB\)/);
});

test('maxWeightBytes caps the implied weights and the weight files, and can be raised', async () => {
  const dir = tmp();
  const model = bp.sequential({ layers: [bp.layers.dense({ units: 10, inputShape: [9] })] }); // 100 weights
  model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  model.trainOnBatch([[1, 2, 3, 4, 5, 6, 7, 8, 9]], [[0, 0, 0, 0, 0, 0, 0, 0, 0, 1]]);
  await model.save(dir, { includeOptimizer: true }); // 400 bytes of weights + 804 of optimizer state
  await expect(bp.loadLayersModel(dir, { maxWeightBytes: 399 })).rejects.toThrow(
    /the layers hold 100 weights \(400 bytes as float32\), more than maxWeightBytes \(399 bytes\)/,
  );
  await expect(bp.loadLayersModel(dir, { maxWeightBytes: 1203 })).rejects.toThrow(
    /is 1204 bytes; files over 1203 bytes are refused/,
  );
  await expect(bp.loadLayersModel(dir, { maxWeightBytes: 1204 })).resolves.toBeDefined();
  // split into two shards (as the converter writes): each under the cap, together over it
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const bytes = fs.readFileSync(path.join(dir, json.weightsManifest[0].paths[0]));
  fs.writeFileSync(path.join(dir, 'shard1.bin'), bytes.subarray(0, 602));
  fs.writeFileSync(path.join(dir, 'shard2.bin'), bytes.subarray(602));
  json.weightsManifest[0].paths = ['shard1.bin', 'shard2.bin'];
  delete json.userDefinedMetadata.backprop.checksums;
  delete json.userDefinedMetadata.backprop.manifestChecksum;
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  await expect(bp.loadLayersModel(dir, { maxWeightBytes: 1000 })).rejects.toThrow(
    /the weight files hold 1\.2 KiB, more than maxWeightBytes \(1000 bytes\)/,
  );
  await expect(bp.loadLayersModel(dir, { maxWeightBytes: 1204 })).resolves.toBeDefined();
});

test('bad load options are refused, naming the option', async () => {
  const dir = tmp();
  await bp.sequential({ layers: [bp.layers.dense({ units: 2, inputShape: [2] })] }).save(dir);
  for (const bad of [-1, 1.5, NaN, '100', Infinity]) {
    await expect(bp.loadLayersModel(dir, { maxWeightBytes: bad as number })).rejects.toThrow(
      /loadLayersModel\(\): 'maxWeightBytes' must be a non-negative integer number of bytes/,
    );
  }
  await expect(bp.loadLayersModel(dir, { strict: 'yes' as unknown as boolean })).rejects.toThrow(/'strict' must be/);
  await expect(bp.loadLayersModel(dir, { maxBytes: 1 } as bp.LoadOptions)).rejects.toThrow(/unknown option 'maxBytes'/);
});

test('the planned weights are what the built model holds, from the JSON alone (through the layer registry)', async () => {
  const models = [
    bp.sequential({ layers: [bp.layers.dense({ units: 3, inputShape: [4] })] }),
    bp.sequential({
      layers: [
        bp.layers.dense({ units: 7, activation: 'leakyRelu', inputShape: [5, 2] }),
        bp.layers.dropout({ rate: 0.5 }),
        bp.layers.flatten(),
        bp.layers.dense({ units: 4, useBias: false }),
        bp.layers.activation({ activation: 'softmax' }),
        bp.layers.dense({ units: 2 }),
      ],
    }),
  ];
  const planned = (topology: unknown) => {
    const r = new Reader('model.json');
    const model = readTopology(r, topology, { create: (a) => new Model(a), dtype: 'float32', seed: 0 });
    return plannedSize(model.plannedWeights());
  };
  for (const m of models) {
    const dir = tmp();
    await m.save(dir);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    const held = m.weights().reduce((s, p) => s + p.value.length, 0);
    expect(planned(json.modelTopology)).toBe(held);
  }
  // an InputLayer first, as Keras 3 writes it, and input_shape
  const topology = (layers: unknown[]) => ({ class_name: 'Sequential', config: { layers } });
  const layers = [
    { class_name: 'InputLayer', config: { batch_input_shape: [null, 6] } },
    { class_name: 'Dense', config: { units: 2, use_bias: false } },
  ];
  expect(planned(topology(layers))).toBe(12);
  expect(planned(topology([{ class_name: 'Dense', config: { units: 2, input_shape: [3] } }]))).toBe(8);
  // a layer the registry does not have is an error, not zero weights
  expect(() => planned(topology([...layers, { class_name: 'Conv3D', config: {} }]))).toThrow(
    /unsupported layer 'Conv3D'/,
  );
});
