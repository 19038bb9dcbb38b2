/**
 * Functional model.json as the TF.js converter writes it from tf.keras 2 (`class_name: 'Functional'`, list-style
 * nodes, nested models' calls numbered from 1) and from Keras 3 (`{ args, kwargs }` nodes with `__keras_tensor__`
 * histories, `input_layers` as a triple or a list, nested Functional outputs numbered from 1 in output_layers, weight
 * names prefixed by model paths), built by hand following that output; and hostile graphs: cycles, references to
 * missing layers or calls, duplicate names, unknown call arguments, absurd nesting and fan-in, refused with errors
 * naming the file and field before anything is built.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as bp from '../../src';

type Json = Record<string, unknown>;
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bp-kgraph-'));
const L = bp.layers;

const dense = (name: string, units: number, activation = 'linear'): Json => ({
  class_name: 'Dense',
  config: {
    name,
    trainable: true,
    units,
    activation,
    use_bias: true,
    kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
    bias_initializer: { class_name: 'Zeros', config: {} },
  },
});
const input = (name: string, shape: number[], keras3 = false): Json => ({
  class_name: 'InputLayer',
  config: keras3
    ? { batch_shape: [null, ...shape], dtype: 'float32', sparse: false, name }
    : { batch_input_shape: [null, ...shape], dtype: 'float32', sparse: false, ragged: false, name },
});
/** A Keras 3 call argument. */
const kt = (layer: string, node: number, tensor = 0, shape: (number | null)[] = [null, 4]): Json => ({
  class_name: '__keras_tensor__',
  config: { shape, dtype: 'float32', keras_history: [layer, node, tensor] },
});
const k3node = (...args: unknown[]): Json => ({ args, kwargs: {} });

/** Weights in a manifest with their values (float32), in the order given. */
function writeModel(topology: Json, weights: { name: string; shape: number[] }[], seed = 1): string {
  const dir = tmp();
  const rng = new bp.Rng(seed);
  const n = weights.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0);
  const data = Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
  fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(data.buffer));
  const json = {
    format: 'layers-model',
    generatedBy: 'keras',
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: topology,
    weightsManifest: [{ paths: ['weights.bin'], weights: weights.map((w) => ({ ...w, dtype: 'float32' })) }],
  };
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  return dir;
}

/** The values of the manifest's weights, by name (as writeModel draws them). */
function weightValues(weights: { name: string; shape: number[] }[], seed = 1): Map<string, Float32Array> {
  const rng = new bp.Rng(seed);
  const out = new Map<string, Float32Array>();
  for (const w of weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    out.set(
      w.name,
      Float32Array.from({ length: n }, () => rng.uniform(-1, 1)),
    );
  }
  return out;
}

function rand(shape: number[], rows: number, seed: number): bp.Tensor {
  const rng = new bp.Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return bp.tensor(
    Float32Array.from({ length: rows * n }, () => rng.uniform(-1, 1)),
    [rows, ...shape],
  );
}

/** Sets `model`'s weights from `values`, matching names after `strip` is removed from the manifest's names. */
function setFrom(model: bp.LayersModel, values: Map<string, Float32Array>, rename: (n: string) => string): void {
  const ws = model.getWeights().map((w) => {
    const v = [...values.entries()].find(([k]) => rename(k) === w.name);
    if (!v) throw new Error(`no value for ${w.name}`);
    return v[1];
  });
  model.setWeights(ws);
}

describe('tf.keras 2 functional files (list-style nodes)', () => {
  // x → shared dense 'enc' applied to x and to dense 'pre'(x); a nested model 'head' (Functional) on their sum.
  const head: Json = {
    class_name: 'Functional',
    config: {
      name: 'head',
      layers: [
        { ...input('head_in', [4]), name: 'head_in', inbound_nodes: [] },
        { ...dense('head_dense', 2, 'softmax'), name: 'head_dense', inbound_nodes: [[['head_in', 0, 0, {}]]] },
      ],
      input_layers: [['head_in', 0, 0]],
      output_layers: [['head_dense', 0, 0]],
    },
  };
  const topology: Json = {
    keras_version: '2.15.0',
    backend: 'tensorflow',
    model_config: {
      class_name: 'Functional',
      config: {
        name: 'outer',
        layers: [
          { ...input('x', [3]), name: 'x', inbound_nodes: [] },
          { ...dense('pre', 3, 'tanh'), name: 'pre', inbound_nodes: [[['x', 0, 0, {}]]] },
          { ...dense('enc', 4, 'relu'), name: 'enc', inbound_nodes: [[['x', 0, 0, {}]], [['pre', 0, 0, {}]]] },
          {
            class_name: 'Add',
            config: { name: 'sum' },
            name: 'sum',
            inbound_nodes: [
              [
                ['enc', 0, 0, {}],
                ['enc', 1, 0, {}],
              ],
            ],
          },
          { ...head, name: 'head', inbound_nodes: [[['sum', 0, 0, {}]]] },
        ],
        input_layers: [['x', 0, 0]],
        output_layers: [['head', 1, 0]],
      },
    },
  };
  const weights = [
    { name: 'pre/kernel', shape: [3, 3] },
    { name: 'pre/bias', shape: [3] },
    { name: 'enc/kernel', shape: [3, 4] },
    { name: 'enc/bias', shape: [4] },
    { name: 'head_dense/kernel', shape: [4, 2] },
    { name: 'head_dense/bias', shape: [2] },
  ];

  test('shared layer and nested Functional load and compute what the graph says', async () => {
    const loaded = await bp.loadLayersModel(writeModel(topology, weights));
    expect(loaded.layers.map((l) => `${l.name}:${l.className}`)).toEqual([
      'x:InputLayer',
      'pre:Dense',
      'enc:Dense',
      'sum:Add',
      'head:Model',
    ]);
    // The same graph by hand, with the same weights.
    const x = bp.input({ shape: [3] });
    const enc = L.dense({ units: 4, activation: 'relu', name: 'enc' });
    const pre = L.dense({ units: 3, activation: 'tanh', name: 'pre' });
    const sum = L.add().apply([enc.apply(x), enc.apply(pre.apply(x))]);
    const ref = bp.model({
      inputs: x,
      outputs: L.dense({ units: 2, activation: 'softmax', name: 'head_dense' }).apply(sum),
    });
    setFrom(ref, weightValues(weights), (n) => n);
    const xs = rand([3], 6, 4);
    expect(Array.from((loaded.predict(xs) as bp.Tensor).data)).toEqual(Array.from((ref.predict(xs) as bp.Tensor).data));
  });
});

describe('Keras 3 functional files ({ args, kwargs } nodes)', () => {
  const inner: Json = {
    module: 'keras',
    class_name: 'Functional',
    config: {
      name: 'inner',
      trainable: true,
      layers: [
        { ...input('inner_in', [4], true), name: 'inner_in', inbound_nodes: [] },
        { ...dense('inner_dense', 4, 'relu'), name: 'inner_dense', inbound_nodes: [k3node(kt('inner_in', 0))] },
      ],
      input_layers: [['inner_in', 0, 0]],
      output_layers: [['inner_dense', 0, 0]],
    },
    registered_name: 'Functional',
  };
  const seq: Json = {
    module: 'keras',
    class_name: 'Sequential',
    config: {
      name: 'seq',
      trainable: true,
      layers: [input('seq_in', [4], true), dense('seq_dense', 3)],
      build_input_shape: [null, 4],
    },
    registered_name: 'Sequential',
  };
  const topology: Json = {
    keras_version: '3.10.0',
    backend: 'tensorflow',
    model_config: {
      class_name: 'Functional',
      config: {
        name: 'functional',
        trainable: true,
        layers: [
          { ...input('a', [4], true), name: 'a', inbound_nodes: [] },
          { ...input('b', [4], true), name: 'b', inbound_nodes: [] },
          // the nested model called twice: its calls are nodes 0 and 1 in the args of later calls
          { ...inner, name: 'inner', inbound_nodes: [k3node(kt('a', 0)), k3node(kt('b', 0))] },
          {
            class_name: 'Concatenate',
            config: { name: 'cat', axis: -1 },
            name: 'cat',
            inbound_nodes: [k3node([kt('inner', 0), kt('inner', 1)])],
          },
          { ...dense('proj', 4), name: 'proj', inbound_nodes: [k3node(kt('cat', 0, 0, [null, 8]))] },
          { ...seq, name: 'seq', inbound_nodes: [k3node(kt('proj', 0))] },
        ],
        input_layers: [
          ['a', 0, 0],
          ['b', 0, 0],
        ],
        // output_layers numbers a nested Functional's calls from 1 (Keras keeps the old convention there)
        output_layers: [
          ['seq', 0, 0],
          ['inner', 2, 0],
        ],
      },
    },
  };
  const weights = [
    { name: 'functional/inner/inner_dense/kernel', shape: [4, 4] },
    { name: 'functional/inner/inner_dense/bias', shape: [4] },
    { name: 'functional/proj/kernel', shape: [8, 4] },
    { name: 'functional/proj/bias', shape: [4] },
    { name: 'functional/seq/seq_dense/kernel', shape: [4, 3] },
    { name: 'functional/seq/seq_dense/bias', shape: [3] },
  ];

  test('nested Functional called twice, a nested Sequential, merge args and path-prefixed weight names', async () => {
    const loaded = await bp.loadLayersModel(writeModel(topology, weights));
    expect(loaded.outputShapes).toEqual([[3], [4]]);
    const a = bp.input({ shape: [4] });
    const b = bp.input({ shape: [4] });
    const innerDense = L.dense({ units: 4, activation: 'relu', name: 'inner_dense' });
    const ia = innerDense.apply(a);
    const ib = innerDense.apply(b);
    const proj = L.dense({ units: 4, name: 'proj' }).apply(L.concatenate().apply([ia, ib]));
    const ref = bp.model({ inputs: [a, b], outputs: [L.dense({ units: 3, name: 'seq_dense' }).apply(proj), ib] });
    setFrom(ref, weightValues(weights), (n) => n.split('/').slice(-2).join('/'));
    const xs = [rand([4], 5, 1), rand([4], 5, 2)];
    const got = loaded.predict(xs) as bp.Tensor[];
    const want = ref.predict(xs) as bp.Tensor[];
    got.forEach((t, o) => expect(Array.from(t.data)).toEqual(Array.from(want[o].data)));
  });

  test('input_layers as a single triple and as a dict are read', async () => {
    const single = JSON.parse(JSON.stringify(topology));
    const cfg = single.model_config.config;
    cfg.layers = [cfg.layers[0], { ...dense('d', 2), name: 'd', inbound_nodes: [k3node(kt('a', 0))] }];
    cfg.input_layers = ['a', 0, 0];
    cfg.output_layers = ['d', 0, 0];
    const w = [
      { name: 'functional/d/kernel', shape: [4, 2] },
      { name: 'functional/d/bias', shape: [2] },
    ];
    const m1 = await bp.loadLayersModel(writeModel(single, w));
    expect(m1.outputShapes).toEqual([[2]]);
    cfg.input_layers = { a: ['a', 0, 0] };
    const m2 = await bp.loadLayersModel(writeModel(single, w));
    expect(m2.inputNames).toEqual(['a']);
  });
});

describe('hostile functional files', () => {
  const base = (layers: Json[], io: Json = {}): Json => ({
    class_name: 'Model',
    config: {
      name: 'm',
      layers,
      input_layers: [['x', 0, 0]],
      output_layers: [['d2', 0, 0]],
      ...io,
    },
    keras_version: 'tfjs-layers 4.22.0',
  });
  const x = { ...input('x', [2]), name: 'x', inbound_nodes: [] };
  const d = (name: string, from: unknown[][]) => ({ ...dense(name, 2), name, inbound_nodes: [from] });
  const w2 = [
    { name: 'd1/kernel', shape: [2, 2] },
    { name: 'd1/bias', shape: [2] },
    { name: 'd2/kernel', shape: [2, 2] },
    { name: 'd2/bias', shape: [2] },
  ];
  const cases: [string, Json, RegExp][] = [
    [
      'a cycle',
      base([x, d('d1', [['d2', 0, 0, {}]]), d('d2', [['d1', 0, 0, {}]])]),
      /model.json: modelTopology.config.layers\[\d\].inbound_nodes\[0\]: this call depends on itself/,
    ],
    [
      'a missing layer',
      base([x, d('d1', [['nope', 0, 0, {}]]), d('d2', [['d1', 0, 0, {}]])]),
      /\[0\]\[0\]: no layer named 'nope'/,
    ],
    [
      'a missing call',
      base([x, d('d1', [['x', 0, 0, {}]]), d('d2', [['d1', 3, 0, {}]])]),
      /layer 'd1' has no node 3 \(it is called 1 time\(s\)\)/,
    ],
    [
      'a missing output tensor',
      base([x, d('d1', [['x', 0, 0, {}]]), d('d2', [['d1', 0, 5, {}]])]),
      /layer 'd1' has no output 5/,
    ],
    [
      'duplicate names',
      base([x, d('d1', [['x', 0, 0, {}]]), d('d1', [['x', 0, 0, {}]])]),
      /layers\[2\].name: two layers are named 'd1'/,
    ],
    [
      'an unknown call argument',
      base([x, d('d1', [['x', 0, 0, { scale: 2 }]]), d('d2', [['d1', 0, 0, {}]])]),
      /inbound_nodes\[0\]\[0\]\[3\].scale: call argument 'scale' is not supported/,
    ],
    [
      'an unknown layer class',
      base([x, { class_name: 'Lambda', name: 'd1', config: {}, inbound_nodes: [[['x', 0, 0, {}]]] }]),
      /unsupported layer 'Lambda'/,
    ],
    [
      'a name that differs from its config',
      base([x, { ...d('d1', [['x', 0, 0, {}]]), config: { ...(dense('zz', 2).config as Json) } }]),
      /layers\[1\].config.name: 'zz' differs from the layer's name 'd1'/,
    ],
    [
      'an InputLayer with inputs',
      base([{ ...x, inbound_nodes: [[['x', 0, 0, {}]]] }, d('d2', [['x', 0, 0, {}]])]),
      /layers\[0\].inbound_nodes: an InputLayer takes no inputs/,
    ],
    [
      'absurd fan-in',
      base([
        x,
        d(
          'd1',
          Array.from({ length: 2000 }, () => ['x', 0, 0, {}]),
        ),
      ]),
      /inbound_nodes\[0\]: has 2000 entries \(limit 1024\)/,
    ],
    [
      'an output that is not computed from the inputs',
      base([x, { ...input('y', [2]), name: 'y', inbound_nodes: [] }, d('d2', [['y', 0, 0, {}]])]),
      /disconnected/,
    ],
  ];

  test.each(cases)('%s is refused, naming the file and field', async (_label, topology, message) => {
    await expect(bp.loadLayersModel(writeModel(topology, w2))).rejects.toThrow(message);
  });

  test('models nested 40 deep are refused before anything is built', async () => {
    let m: Json = base([x, d('d2', [['x', 0, 0, {}]])]);
    for (let i = 0; i < 40; i++) {
      const config = { ...(m.config as Json), name: `n${i}` };
      m = base([x, { class_name: 'Model', name: `n${i}`, config, inbound_nodes: [[['x', 0, 0, {}]]] }], {
        output_layers: [[`n${i}`, 1, 0]],
      });
    }
    await expect(bp.loadLayersModel(writeModel(m, w2))).rejects.toThrow(/nested deeper than 16 levels/);
  });

  test('layers across nested models count towards the file cap', async () => {
    const many = Array.from({ length: 4000 }, (_, i) => ({
      class_name: 'Flatten',
      name: `f${i}`,
      config: {},
      inbound_nodes: [],
    }));
    const inner = (name: string) => ({ ...(base([x, ...many, d('d2', [['x', 0, 0, {}]])]).config as Json), name });
    const nested = ['n1', 'n2', 'n3'].map((name) => ({
      class_name: 'Model',
      name,
      config: inner(name),
      inbound_nodes: [],
    }));
    const outer = base([x, ...nested, d('d2', [['x', 0, 0, {}]])]);
    await expect(bp.loadLayersModel(writeModel(outer, w2))).rejects.toThrow(
      /layers\[3\].config.layers\[\d+\]: the file has more than 10000 layers/,
    );
  });
});
