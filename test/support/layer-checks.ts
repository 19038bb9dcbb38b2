/**
 * The checks every layer's test file runs (test/layers/dense.test.ts is the template): finite-difference
 * gradients in float64 on both backends, agreement between the backends, the config round trip through the
 * registry, and parity with real TF.js both ways (our file loads in TF.js and predicts the same; a model built
 * in TF.js loads here and predicts the same), within 1e-5.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as bp from '../../src';
import { layerFromConfig } from '../../src/layers/registry';
import type { Layer } from '../../src/layers/layer';
import { backendNames } from './backends';

export type LayersFactory = () => Layer[];
/** Inputs for `rows` samples (default: randomInput over the input shape; token ids for an Embedding). */
export type InputMaker = (rows: number, seed: number) => bp.Tensor;

/** Random inputs of [rows, ...shape], deterministic per seed. */
export function randomInput(shape: number[], rows: number, seed: number, lo = -1, hi = 1): bp.Tensor {
  const rng = new bp.Rng(seed);
  const n = rows * shape.reduce((a, b) => a * b, 1);
  return bp.tensor(
    Float32Array.from({ length: n }, () => rng.uniform(lo, hi)),
    [rows, ...shape],
  );
}

function targetsFor(model: bp.Sequential, rows: number, seed: number): bp.Tensor {
  const out = model.outputShape!;
  return randomInput([...out], rows, seed + 1, -0.5, 0.5);
}

/** bp.gradcheck of a model made of `factory()`'s layers, on every backend, for each batch size. */
export function expectGradientsMatch(
  factory: LayersFactory,
  inputShape: number[],
  rowsList = [1, 3],
  seed = 7,
  makeInput?: InputMaker,
): void {
  for (const name of backendNames()) {
    bp.setBackend(name);
    try {
      for (const rows of rowsList) {
        const model = bp.sequential({ seed, dtype: 'float64', layers: factory() });
        model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
        const x = makeInput ? makeInput(rows, seed + rows) : randomInput(inputShape, rows, seed + rows);
        const { maxError, errors } = bp.gradcheck(model, x, targetsFor(model, rows, seed));
        if (!(maxError < 1e-4)) throw new Error(`${name}, batch ${rows}: gradcheck errors ${JSON.stringify(errors)}`);
      }
    } finally {
      bp.setBackend('auto');
    }
  }
}

/** The same model trained 3 SGD steps on each backend (float64) ends with the same weights and outputs. */
export function expectBackendsAgree(
  factory: LayersFactory,
  inputShape: number[],
  seed = 11,
  makeInput?: InputMaker,
): void {
  const results: Float64Array[][] = [];
  for (const name of backendNames()) {
    bp.setBackend(name);
    try {
      const model = bp.sequential({ seed, dtype: 'float64', layers: factory() });
      model.compile({ optimizer: bp.optimizers.sgd({ learningRate: 0.05 }), loss: 'meanSquaredError' });
      const x = makeInput ? makeInput(5, seed) : randomInput(inputShape, 5, seed);
      const y = targetsFor(model, 5, seed);
      for (let i = 0; i < 3; i++) model.trainOnBatch(x, y);
      results.push([
        ...model.getWeights().map((w) => Float64Array.from(w.data)),
        Float64Array.from(model.predict(x).data),
      ]);
    } finally {
      bp.setBackend('auto');
    }
  }
  for (let i = 1; i < results.length; i++) {
    results[i].forEach((a, k) => {
      const ref = results[0][k];
      for (let j = 0; j < a.length; j++) {
        if (!(Math.abs(a[j] - ref[j]) <= 1e-9 * (1 + Math.abs(ref[j])))) {
          throw new Error(`backends disagree in array ${k} at ${j}: ${a[j]} vs ${ref[j]}`);
        }
      }
    });
  }
}

/** Every layer of the model rebuilds from its config into a layer with the same config. */
export function expectConfigRoundTrip(layers: Layer[]): void {
  for (const layer of layers) {
    const config = layer.getConfig();
    const again = layerFromConfig(layer.className, JSON.parse(JSON.stringify(config)));
    expect(again.className).toBe(layer.className);
    expect(again.getConfig()).toEqual(config);
  }
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bp-layer-'));

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Loads a directory saved by backprop into TF.js (through tf.io.fromMemory). */
export async function loadInTfjs(dir: string): Promise<tf.LayersModel> {
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const group = json.weightsManifest[0];
  const data = fs.readFileSync(path.join(dir, group.paths[0]));
  const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: group.weights, weightData }),
  );
}

/** Saves a TF.js model the way tfjs-node's file:// handler would (model.json + weights.bin). */
export async function saveFromTfjs(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
      fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(artifacts.weightData as ArrayBuffer));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

/**
 * Parity with real TF.js, both ways: our model (trained a step, so weights are not initial) saved and loaded in
 * TF.js predicts the same; `tfjsModel()` (the same architecture built with TF.js's API) saved by TF.js loads
 * here and predicts the same. Max abs difference <= 1e-5.
 */
export async function expectTfjsParity(
  ours: bp.Sequential,
  tfjsModel: () => tf.LayersModel,
  inputShape: number[],
  seed = 3,
  makeInput?: InputMaker,
): Promise<void> {
  await tf.setBackend('cpu');
  const x = makeInput ? makeInput(4, seed) : randomInput(inputShape, 4, seed);
  const tfx = tf.tensor(Array.from(x.data), x.shape);
  ours.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  ours.trainOnBatch(x, targetsFor(ours, 4, seed));
  const dir = tmp();
  await ours.save(dir);
  const inTf = await loadInTfjs(dir);
  expect(maxAbsDiff(ours.predict(x).data, (inTf.predict(tfx) as tf.Tensor).dataSync())).toBeLessThanOrEqual(1e-5);

  const theirs = tfjsModel();
  const dir2 = tmp();
  await saveFromTfjs(theirs, dir2);
  const loaded = await bp.loadLayersModel(dir2);
  expect(maxAbsDiff(loaded.predict(x).data, (theirs.predict(tfx) as tf.Tensor).dataSync())).toBeLessThanOrEqual(1e-5);
}
