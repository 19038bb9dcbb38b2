/**
 * A functional spec with two inputs (4 features; 3 int32 token ids through an Embedding) and two outputs (3 classes,
 * a price), in the TF.js file form, and a CSV it learns from: columns f0..f3, t0..t2, label ('a' | 'b' | 'c'),
 * price. For the job, queue and CLI tests of data mapped by name.
 */
import { call } from './functional-spec';

export function twoHeadsSpec(seed = 1) {
  return {
    className: 'Functional' as const,
    config: {
      name: 'two_heads',
      layers: [
        { class_name: 'InputLayer', name: 'features', config: { batch_input_shape: [null, 4] }, inbound_nodes: [] },
        {
          class_name: 'InputLayer',
          name: 'tokens',
          config: { batch_input_shape: [null, 3], dtype: 'int32' },
          inbound_nodes: [],
        },
        { class_name: 'Dense', name: 'h', config: { units: 16, activation: 'relu' }, inbound_nodes: call('features') },
        {
          class_name: 'Embedding',
          name: 'emb',
          config: { input_dim: 10, output_dim: 4 },
          inbound_nodes: call('tokens'),
        },
        { class_name: 'GlobalAveragePooling1D', name: 'pool', config: {}, inbound_nodes: call('emb') },
        { class_name: 'Concatenate', name: 'cat', config: {}, inbound_nodes: call('h', 'pool') },
        { class_name: 'Dense', name: 'cls', config: { units: 3, activation: 'softmax' }, inbound_nodes: call('cat') },
        { class_name: 'Dense', name: 'price', config: { units: 1 }, inbound_nodes: call('cat') },
      ],
      input_layers: [
        ['features', 0, 0],
        ['tokens', 0, 0],
      ],
      output_layers: [
        ['cls', 0, 0],
        ['price', 0, 0],
      ],
    },
    compile: {
      optimizer: { name: 'adam', learningRate: 0.02 },
      loss: { cls: 'sparseCategoricalCrossentropy', price: 'meanSquaredError' },
      lossWeights: { cls: 1, price: 0.5 },
      metrics: { cls: ['accuracy'] },
    } as { optimizer: unknown; loss: unknown; lossWeights?: unknown; metrics?: unknown },
    seed,
  };
}

/** Rows of the two-heads problem: features, token ids, a class label (a string) and a price. */
export function twoHeadsRows(rows: number) {
  let s = 7;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  return Array.from({ length: rows }, () => {
    const f = [rand(), rand(), rand(), rand()].map((v) => +v.toFixed(4));
    const t = [0, 1, 2].map(() => Math.floor(((rand() + 1) / 2) * 10) % 10);
    const label = f[0] + f[1] > 0 ? (f[2] > 0 ? 'c' : 'b') : 'a';
    const price = +(2 * f[3] + t[0] / 10).toFixed(4);
    return { f, t, label, price };
  });
}

/** The rows as a CSV with a header f0..f3, t0..t2, label, price. */
export function twoHeadsCsv(rows: number): string {
  const lines = twoHeadsRows(rows).map((r) => [...r.f, ...r.t, r.label, r.price].join(','));
  return ['f0,f1,f2,f3,t0,t1,t2,label,price', ...lines].join('\n') + '\n';
}

/** The usual map of the CSV onto the spec: a range, a list, a label column and a numeric column. */
export const twoHeadsMap = {
  inputs: { features: { from: 'f0', to: 'f3' }, tokens: ['t0', 't1', 't2'] },
  targets: { cls: 'label', price: 'price' },
};
