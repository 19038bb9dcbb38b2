/**
 * Functional model specs (the TF.js `Model` config form): a model's own config round-trips through
 * bp.modelFromSpec to the same predictions; hostile specs (cycles, missing layers, too many layers, deep nesting,
 * oversize, bad compile settings) are refused before any weight is allocated, naming the field.
 */
import * as bp from '../../src';
import { keysToCamel } from '../../src/io/case';
import { modelConfigOf } from '../../src/io/write-graph';
import { MAX_JSON_DEPTH } from '../../src/io/safe-json';
import { trainingMemory } from '../../src/model/step-memory';

import { call, residualSpec, type Node } from '../support/functional-spec';

const x = bp.tensor2d(
  Array.from({ length: 5 }, (_, i) => [Math.sin(i), Math.cos(i), i / 5, 1 - i / 3]),
  [5, 4],
);

describe('functional model specs', () => {
  test("a model's own config → modelFromSpec → the same predictions (snake_case and camelCase keys)", () => {
    const input = bp.input({ shape: [4], name: 'feats' });
    const h = bp.layers.dense({ units: 6, activation: 'relu', name: 'h' }).apply(input);
    const shared = bp.layers.dense({ units: 6, activation: 'tanh', name: 'shared' });
    const a = shared.apply(h);
    const b = shared.apply(a); // a shared layer's second call
    const sum = bp.layers.add({ name: 'sum' }).apply([h, b]);
    const out = bp.layers.dense({ units: 3, activation: 'softmax', name: 'out' }).apply(sum);
    const original = bp.model({ inputs: input, outputs: out, seed: 7 });
    const cfg = modelConfigOf(original);
    const expected = Array.from((original.predict(x) as bp.Tensor).data);
    for (const config of [cfg.config, keysToCamel(cfg.config) as Record<string, unknown>]) {
      const copy = bp.modelFromSpec({ className: cfg.class_name as 'Functional', config, seed: 7 });
      expect(copy.layers.map((l) => l.name)).toEqual(original.layers.map((l) => l.name));
      expect(copy.getWeights().map((w) => w.shape)).toEqual(original.getWeights().map((w) => w.shape));
      copy.setWeights(original.getWeights());
      const got = Array.from((copy.predict(x) as bp.Tensor).data);
      got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
    }
  });

  test('compiles per output: a loss per output by name, lossWeights and metrics', () => {
    const spec = residualSpec(4, 3);
    const two = {
      ...spec,
      config: {
        ...spec.config,
        layers: [
          ...spec.config.layers,
          { class_name: 'Dense', name: 'aux', config: { units: 1 }, inbound_nodes: call('add') },
        ],
        output_layers: [
          ['out', 0, 0],
          ['aux', 0, 0],
        ],
      },
      compile: {
        optimizer: { name: 'sgd', learningRate: 0.05 },
        loss: { out: 'sparseCategoricalCrossentropy', aux: 'mse' },
        loss_weights: { out: 1, aux: 0.5 },
        metrics: { out: ['accuracy'] },
      },
    };
    expect(bp.checkModelSpec(two, 'spec')).toBe(4 * 8 + 8 + 8 * 8 + 8 + 8 * 3 + 3 + 8 + 1);
    const model = bp.modelFromSpec(two);
    expect(model.outputNames).toEqual(['out', 'aux']);
    expect(model.optimizer!.learningRate).toBe(0.05);
    expect(() => bp.checkModelSpec({ ...two, compile: { ...two.compile, loss: { out: 'mse', nope: 'mse' } } })).toThrow(
      /model spec\.compile: .*nope/,
    );
    expect(() => bp.checkModelSpec({ ...two, compile: { ...two.compile, loss: ['mse', 'notALoss'] } })).toThrow(
      /model spec\.compile\.loss\[1\]: .*notALoss/,
    );
  });

  test('hostile specs are refused naming the field: cycle, missing layer, bad node, unknown class', () => {
    const cases: [(s: ReturnType<typeof residualSpec>) => void, RegExp][] = [
      [
        (s) => {
          s.config.layers[1].inbound_nodes = call('d2'); // d1 ← d2 ← d1
        },
        /spec: config\.layers\[\d\]\.inbound_nodes\[0\]: this call depends on itself \(the graph has a cycle\)/,
      ],
      [
        (s) => {
          s.config.layers[3].inbound_nodes = call('d1', 'ghost');
        },
        /spec: config\.layers\[3\]\.inbound_nodes\[0\]\[1\]: no layer named 'ghost'/,
      ],
      [
        (s) => {
          s.config.output_layers = [['d2', 3, 0]];
        },
        /spec: config\.output_layers\[0\]: layer 'd2' has no node 3/,
      ],
      [
        (s) => {
          s.config.layers[2].class_name = 'EvalEverything';
        },
        /spec: config\.layers\[2\]\.class_name: .*EvalEverything/,
      ],
      [
        (s) => {
          (s.config.layers[1].config as Record<string, unknown>).units = -3;
        },
        /spec: config\.layers\[1\]\.config.*units/,
      ],
      [
        (s) => {
          (s as Record<string, unknown>).className = 'Sequential';
        },
        /spec\.className: must be 'Model' or 'Functional'/,
      ],
      [
        (s) => {
          (s as Record<string, unknown>).extra = 1;
        },
        /spec: unknown key 'extra'/,
      ],
      [
        (s) => {
          (s.compile as Record<string, unknown>).loss = 'notALoss';
        },
        /spec\.compile\.loss: .*notALoss/,
      ],
    ];
    for (const [change, message] of cases) {
      const s = residualSpec(4, 3);
      change(s);
      expect(() => bp.checkModelSpec(s, 'spec')).toThrow(message);
      expect(() => bp.modelFromSpec(s, 'spec')).toThrow(message);
    }
  });

  test('limits: too many layers, fan-in, nesting depth, and oversize models before allocating', () => {
    const many = residualSpec(4, 3);
    const dense = many.config.layers[1];
    many.config.layers = [
      many.config.layers[0],
      ...Array.from({ length: 1001 }, (_, i) => ({ ...dense, name: `l${i}`, inbound_nodes: call('x') })),
    ];
    expect(() => bp.checkModelSpec(many, 'spec')).toThrow(/spec\.config\.layers: has more than 1000 layers/);

    const wide = residualSpec(4, 3);
    wide.config.layers[3].inbound_nodes = [Array.from({ length: 5000 }, (): Node => ['d1', 0, 0, {}])];
    expect(() => bp.checkModelSpec(wide, 'spec')).toThrow(/spec: config\.layers\[3\]\.inbound_nodes\[0\]: has 5000/);

    let deep: Record<string, unknown> = { v: 1 };
    for (let i = 0; i < MAX_JSON_DEPTH + 10; i++) deep = { d: deep };
    const nested = residualSpec(4, 3);
    (nested.config.layers[1].config as Record<string, unknown>).kernel_initializer = deep;
    expect(() => bp.checkModelSpec(nested, 'spec')).toThrow(/spec\.config: arrays and objects nest more than/);

    // 20000 × 20000 weights: refused from the plan alone, before a single weight is allocated.
    const huge = residualSpec(20000, 3, 20000);
    expect(() => bp.modelFromSpec(huge, 'spec')).toThrow(/spec: .*800,060,000 parameters|spec: .*bp\.setLimits/);
    expect(() => bp.checkModelSpec(huge, 'spec', { maxParameters: 1e6 })).toThrow(
      /spec: the model has [\d,]+ parameters; at most 1,000,000 are allowed \(maxParameters\)/,
    );
    // The activations count too: a small model with a batch too large for the limit.
    const limits = bp.getLimits();
    try {
      bp.setLimits({ maxModelBytes: 1 << 20 });
      expect(bp.checkModelSpec(residualSpec(4, 3), 'spec', { batchRows: 32 })).toBeGreaterThan(0);
      expect(() => bp.checkModelSpec(residualSpec(4, 3), 'spec', { batchRows: 100000 })).toThrow(/spec: .*setLimits/);
    } finally {
      bp.setLimits(limits);
    }
  });

  test("a shared layer: the spec's memory estimate counts its replicas' gradients, as the engine's does", async () => {
    const input = bp.input({ shape: [16], name: 'x' });
    const h = bp.layers.dense({ units: 32, name: 'h' }).apply(input);
    const shared = bp.layers.dense({ units: 32, activation: 'tanh', name: 'shared' });
    const out = bp.layers.dense({ units: 2, name: 'out' }).apply(shared.apply(shared.apply(shared.apply(h))));
    const cfg = modelConfigOf(bp.model({ inputs: input, outputs: out }));
    const spec = {
      className: cfg.class_name as 'Functional',
      config: cfg.config,
      compile: { optimizer: 'adam', loss: 'meanSquaredError' },
      seed: 3,
    };
    const rows = 8;
    // The engine's own estimate: its plan's calls, replicas with their primaries (model/engine.ts).
    const model = bp.modelFromSpec(spec);
    const plan = model.plan();
    const need = trainingMemory({
      calls: plan.calls.map((c) => ({
        layer: c.layer,
        primary: c.primary,
        inputShapes: c.inputs.map((s) => plan.slots[s].shape),
      })),
      inputShapes: plan.inputSlots.map((s) => plan.slots[s].shape),
      outputShapes: plan.outputs.map((o) => plan.slots[o.slot].shape),
      batchSizes: [rows],
      optimizerSlots: model.optimizer!.slotsPerParameter,
    }).bytes;
    expect(plan.replicas).toHaveLength(2);
    const x = bp.tensor(new Float32Array(rows * 16).fill(0.1), [rows, 16]);
    const y = bp.tensor(new Float32Array(rows * 2).fill(0.5), [rows, 2]);
    const limits = bp.getLimits();
    try {
      // One byte under the need: the spec and the engine both refuse; at the need both accept.
      bp.setLimits({ maxModelBytes: need - 1 });
      expect(() => bp.checkModelSpec(spec, 'spec', { batchRows: rows })).toThrow(
        /spec: the model has 1,666 parameters/,
      );
      await expect(model.fit(x, y, { batchSize: rows, epochs: 1, verbose: 0 })).rejects.toThrow(/fit\(\): the model/);
      bp.setLimits({ maxModelBytes: need });
      expect(bp.checkModelSpec(spec, 'spec', { batchRows: rows })).toBe(1666);
      await model.fit(x, y, { batchSize: rows, epochs: 1, verbose: 0 });
    } finally {
      bp.setLimits(limits);
    }
  });

  test('the data must fit the input; several inputs or outputs are refused where one array feeds the model', () => {
    expect(() => bp.checkModelSpec(residualSpec(4, 3), 'spec', { inputShape: [5] })).toThrow(
      /spec: the model's input has shape \[4\] but the data gives 5 values per sample/,
    );
    const spec = residualSpec(4, 3);
    spec.config.output_layers = [
      ['out', 0, 0],
      ['d2', 0, 0],
    ];
    spec.compile.loss = 'mse';
    expect(bp.checkModelSpec(spec, 'spec')).toBeGreaterThan(0);
    expect(() => bp.checkModelSpec(spec, 'spec', { singleInputOutput: 'jobs.train()' })).toThrow(
      /spec: the model has 1 input\(s\) and 2 output\(s\); jobs\.train\(\) feeds one input array/,
    );
  });
});
