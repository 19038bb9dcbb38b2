/**
 * The memory estimate (issue 20, finding 11): every layer's Layer.stepBufferValues equals what it really
 * allocates per batch size (its buffers() requests, plus the per-row arrays it keeps itself), for every layer
 * class of the registry; and the estimate of a long recurrent sequence — the case that was estimated at a
 * hundredth of what it used — covers what training really allocates, so the memory limit refuses it up front.
 */
import * as bp from '../../src';
import { Layer } from '../../src/layers/layer';
import { SUPPORTED_LAYERS } from '../../src/layers/registry';
import { batchSizesOf, chainCalls, trainingMemory } from '../../src/model/step-memory';

type Case = {
  name: string;
  inputShape: number[];
  /** A chain of layers, or (graph) the output of a functional model on `input`. */
  layers?: () => Layer[];
  graph?: (input: bp.SymbolicTensor) => bp.SymbolicTensor;
  ids?: number;
  loss?: string;
};
const L = bp.layers;
const cases: Case[] = [
  { name: 'dense', inputShape: [3], layers: () => [L.dense({ units: 4, activation: 'relu' })] },
  { name: 'dense on a sequence, linear', inputShape: [2, 5], layers: () => [L.dense({ units: 3 })] },
  {
    name: 'activations',
    inputShape: [3],
    layers: () => [L.activation({ activation: 'tanh' }), L.leakyReLU({ alpha: 0.1 }), L.dense({ units: 2 })],
  },
  { name: 'dropout', inputShape: [4], layers: () => [L.dropout({ rate: 0.5 }), L.dense({ units: 2 })] },
  {
    name: 'flatten, reshape, permute',
    inputShape: [2, 3],
    layers: () => [L.permute({ dims: [2, 1] }), L.reshape({ targetShape: [6] }), L.flatten()],
  },
  {
    name: 'embedding (maskZero), recurrent layers',
    inputShape: [5],
    ids: 10,
    layers: () => [
      L.embedding({ inputDim: 10, outputDim: 4, maskZero: true }),
      L.lstm({ units: 3, returnSequences: true, dropout: 0.2 }),
      L.gru({ units: 3, returnSequences: true }),
      L.simpleRNN({ units: 2 }),
    ],
  },
  {
    name: 'bidirectional, time-distributed, layer normalization, masking',
    inputShape: [4, 3],
    layers: () => [
      L.masking({ maskValue: 0 }),
      L.bidirectional({ layer: L.lstm({ units: 3, returnSequences: true }), mergeMode: 'concat' }),
      L.layerNormalization(),
      L.timeDistributed({ layer: L.dense({ units: 2, activation: 'sigmoid' }) }),
      L.globalAveragePooling1d(),
    ],
  },
  {
    name: 'convolutions and 2-D pooling',
    inputShape: [6, 6, 2],
    layers: () => [
      L.zeroPadding2d({ padding: 1 }),
      L.conv2d({ filters: 3, kernelSize: 3, activation: 'tanh' }),
      L.batchNormalization(),
      L.spatialDropout2d({ rate: 0.3 }),
      L.depthwiseConv2d({ kernelSize: 2 }),
      L.maxPooling2d({ poolSize: 2 }),
      L.averagePooling2d({ poolSize: 1 }),
      L.conv2d({ filters: 2, kernelSize: 1, activation: 'relu' }),
      L.globalMaxPooling2d(),
    ],
  },
  {
    name: '1-D convolution and pooling',
    inputShape: [8, 3],
    layers: () => [
      L.conv1d({ filters: 4, kernelSize: 2 }),
      L.spatialDropout1d({ rate: 0.3 }),
      L.maxPooling1d({ poolSize: 2 }),
      L.averagePooling1d({ poolSize: 1 }),
      L.globalMaxPooling1d(),
    ],
  },
  { name: 'global average pooling 2-D', inputShape: [3, 3, 2], layers: () => [L.globalAveragePooling2d()] },
  {
    name: 'merge layers (a graph with a shared dense layer)',
    inputShape: [4],
    graph: (x) => {
      const shared = L.dense({ units: 4, activation: 'tanh' });
      const a = shared.apply(x) as bp.SymbolicTensor;
      const b = shared.apply(L.dense({ units: 4 }).apply(x) as bp.SymbolicTensor) as bp.SymbolicTensor;
      const merged = [L.add(), L.subtract(), L.multiply(), L.average(), L.maximum(), L.minimum()].map(
        (m) => m.apply([a, b]) as bp.SymbolicTensor,
      );
      const dot = L.dot({ axes: 1, normalize: true }).apply([a, b]) as bp.SymbolicTensor;
      return L.dense({ units: 2 }).apply(
        L.concatenate().apply([...merged, dot]) as bp.SymbolicTensor,
      ) as bp.SymbolicTensor;
    },
  },
  {
    name: 'decoder and mobile layers: transposed and separable convolutions, upsampling, cropping, ReLU6, PReLU',
    inputShape: [6, 6, 2],
    layers: () => [
      L.rescaling({ scale: 0.5, offset: -1 }),
      L.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' }),
      L.conv2dTranspose({ filters: 2, kernelSize: 2, activation: 'relu' }),
      L.cropping2d({
        cropping: [
          [1, 2],
          [0, 3],
        ],
      }),
      L.separableConv2d({ filters: 4, kernelSize: 3, strides: 2, depthMultiplier: 2, activation: 'sigmoid' }),
      L.separableConv2d({ filters: 3, kernelSize: 2, padding: 'same', activation: 'relu' }),
      L.pReLU({ sharedAxes: [1, 2] }),
      L.upSampling2d({ size: [2, 3], interpolation: 'bilinear' }),
      L.reLU({ maxValue: 6 }),
      L.upSampling2d(),
      L.globalAveragePooling2d(),
    ],
  },
  {
    name: 'noise layers (one without noise), repeat vector',
    inputShape: [4],
    layers: () => [
      L.gaussianNoise({ stddev: 0.1 }),
      L.gaussianDropout({ rate: 0.2 }),
      L.gaussianDropout({ rate: 0 }),
      L.repeatVector({ n: 3 }),
      L.alphaDropout({ rate: 0.1, noiseShape: [null, 1, 4] }),
      L.pReLU(),
    ],
  },
  {
    name: 'a U-Net step: strided separable convolution, transposed convolution and upsampling joined by concatenate',
    inputShape: [4, 4, 2],
    graph: (x) => {
      const c1 = L.conv2d({ filters: 2, kernelSize: 3, padding: 'same' }).apply(x) as bp.SymbolicTensor;
      const down = L.separableConv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same' }).apply(c1);
      const up1 = L.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same' }).apply(
        down as bp.SymbolicTensor,
      );
      const up2 = L.upSampling2d().apply(down as bp.SymbolicTensor);
      const cat = L.concatenate().apply([c1, up1 as bp.SymbolicTensor, up2 as bp.SymbolicTensor]);
      return L.conv2d({ filters: 1, kernelSize: 1 }).apply(cat as bp.SymbolicTensor) as bp.SymbolicTensor;
    },
  },
  {
    name: 'token and position embeddings, transformer encoder and decoder',
    inputShape: [6],
    ids: 12,
    graph: (x) => {
      let h = L.tokenAndPositionEmbedding({ vocabularySize: 12, sequenceLength: 6, embeddingDim: 8 }).apply(x);
      h = L.transformerEncoder({ intermediateDim: 16, numHeads: 2, dropout: 0.1 }).apply(h as bp.SymbolicTensor);
      h = L.transformerDecoder({ intermediateDim: 16, numHeads: 2 }).apply(h as bp.SymbolicTensor);
      const p = L.positionEmbedding({ sequenceLength: 6 }).apply(h as bp.SymbolicTensor);
      return L.add().apply([h as bp.SymbolicTensor, p as bp.SymbolicTensor]) as bp.SymbolicTensor;
    },
  },
];

/**
 * Per-row arrays a layer keeps outside buffers(): Embedding's ids and mask, max pooling's argmax, the attention
 * core's per-batch-size arrays (read from the core itself).
 */
function ownArrays(layer: Layer, rows: number): number {
  const anyLayer = layer as unknown as {
    maskZero?: boolean;
    mode?: string;
    core?: { steps: Map<number, Record<string, ArrayLike<number>>> };
  };
  if (anyLayer.core) {
    const step = anyLayer.core.steps.get(rows);
    return step ? Object.values(step).reduce((n, a) => n + a.length, 0) : 0;
  }
  if (layer.className === 'Embedding') return rows * layer.inputSize * (anyLayer.maskZero ? 2 : 1);
  if (anyLayer.mode === 'max') return rows * layer.outputSize;
  return 0;
}

describe('Layer.stepBufferValues', () => {
  const seen = new Set<string>();
  afterAll(() => {
    // Every registry class is covered (the activation aliases make ActivationLayers).
    const aliases = ['InputLayer', 'LeakyReLU', 'ELU', 'Softmax'];
    expect(SUPPORTED_LAYERS.filter((c) => !aliases.includes(c) && !seen.has(c))).toEqual([]);
  });

  test.each(cases.map((c) => [c.name, c] as const))('%s: the estimate is what the layers allocate', async (_, c) => {
    const requested = new Map<Layer, Map<number, number>>();
    const proto = Layer.prototype as unknown as { buffers(rows: number, sizes: number[]): unknown };
    const original = proto.buffers;
    const spy = jest.spyOn(proto, 'buffers').mockImplementation(function (this: Layer, rows: number, sizes: number[]) {
      const byRows = requested.get(this) ?? new Map<number, number>();
      const total = sizes.reduce((a, b) => a + b, 0);
      // Every call for one batch size asks for the same buffers (the pool returns the first call's).
      if (byRows.has(rows)) expect(byRows.get(rows)).toBe(total);
      byRows.set(rows, total);
      requested.set(this, byRows);
      return original.call(this, rows, sizes);
    });
    try {
      let model: bp.LayersModel;
      if (c.graph) {
        const input = bp.input({ shape: c.inputShape });
        model = bp.model({ inputs: input, outputs: c.graph(input) });
      } else {
        model = bp.sequential({ seed: 3, layers: c.layers!() });
        model.build(c.inputShape);
      }
      model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      const rows = 5;
      const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
      const xs = Float32Array.from({ length: rows * size(c.inputShape) }, (_, i) =>
        c.ids ? 1 + (i % (c.ids - 1)) : Math.sin(i),
      );
      const ys = Float32Array.from({ length: rows * size(model.outputShape!) }, (_, i) => Math.cos(i) / 2);
      await model.fit(bp.tensor(xs, [rows, ...c.inputShape]), bp.tensor(ys, [rows, ...model.outputShape!]), {
        batchSize: 3, // batches of 3 and of 2: two sets of buffers
        epochs: 1,
        verbose: 0,
      });
      let estimated = 0;
      let allocated = 0;
      const plan = model.plan();
      for (const call of plan.calls) {
        seen.add(call.layer.className);
        const shapes = call.inputs.map((slot) => plan.slots[slot].shape);
        for (const r of batchSizesOf(rows, 3)) estimated += call.layer.stepBufferValuesFor(shapes) * r;
      }
      for (const [layer, byRows] of requested)
        for (const [r, total] of byRows) allocated += total * r + ownArrays(layer, r);
      expect(estimated).toBe(allocated);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('the memory estimate of a long sequence', () => {
  const spec = (steps: number) => ({
    layers: [{ className: 'LSTM', config: { units: 64, inputShape: [steps, 1] } }, { units: 1 }],
    compile: { optimizer: 'adam', loss: 'meanSquaredError' },
  });

  test('an LSTM over 3,000 steps: the estimate covers what a fit allocates, and the limit refuses it up front', async () => {
    const steps = 3000;
    const rows = 40; // batches of 32 and 8
    const model = bp.modelFromSpec(spec(steps));
    const { calls, outputShape } = chainCalls(model.layers, [steps, 1]);
    const need = trainingMemory({
      calls,
      inputShapes: [[steps, 1]],
      outputShapes: [outputShape],
      batchSizes: batchSizesOf(rows, 32),
      optimizerSlots: 2,
    });
    const x = bp.tensor(
      new Float32Array(rows * steps).map((_, i) => Math.sin(i / 50)),
      [rows, steps, 1],
    );
    const y = bp.tensor(new Float32Array(rows).fill(0.5), [rows, 1]);
    const before = process.memoryUsage().arrayBuffers;
    await model.fit(x, y, { batchSize: 32, epochs: 1, verbose: 0 });
    const used = process.memoryUsage().arrayBuffers - before;
    expect(used).toBeGreaterThan(150 * 2 ** 20); // ~186 MB: a case the old estimate put at a few hundred KB
    expect(need.bytes).toBeGreaterThanOrEqual(0.95 * used);
    expect(need.bytes).toBeLessThanOrEqual(1.5 * used);

    // A limit between the outputs alone and the real need refuses the spec before anything is allocated.
    const limits = bp.getLimits();
    bp.setLimits({ maxModelBytes: Math.floor(used / 2) });
    try {
      expect(() => bp.checkModelSpec(spec(steps), 'spec', { batchRows: 32 })).toThrow(
        /spec: the model has 16,961 parameters and [\d,]+ activation values per batch .* the limit is/,
      );
      await expect(model.fit(x, y, { batchSize: 32, epochs: 1, verbose: 0 })).rejects.toThrow(
        /fit\(\): the model has 16,961 parameters/,
      );
    } finally {
      bp.setLimits(limits);
    }
  }, 120_000);
});
