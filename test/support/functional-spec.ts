/** A residual functional spec in the TF.js file form, for the spec tests. */
export type Node = [string, number, number, Record<string, never>];
export const call = (...names: string[]): Node[][] => [names.map((n): Node => [n, 0, 0, {}])];

interface LayerEntry {
  class_name: string;
  name: string;
  config: Record<string, unknown>;
  inbound_nodes: Node[][];
}

/** x → d1 (relu) → d2 (tanh) → add(d1, d2) → out (softmax): a residual block in the TF.js file form. */
export function residualSpec(inputs: number, classes: number, units = 8) {
  return {
    className: 'Functional' as const,
    config: {
      name: 'residual',
      layers: <LayerEntry[]>[
        { class_name: 'InputLayer', name: 'x', config: { batch_input_shape: [null, inputs] }, inbound_nodes: [] },
        { class_name: 'Dense', name: 'd1', config: { units, activation: 'relu' }, inbound_nodes: call('x') },
        { class_name: 'Dense', name: 'd2', config: { units, activation: 'tanh' }, inbound_nodes: call('d1') },
        { class_name: 'Add', name: 'add', config: {}, inbound_nodes: call('d1', 'd2') },
        {
          class_name: 'Dense',
          name: 'out',
          config: { units: classes, activation: 'softmax' },
          inbound_nodes: call('add'),
        },
      ],
      input_layers: [['x', 0, 0]],
      output_layers: [['out', 0, 0]],
    },
    compile: { optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] },
    seed: 1,
  };
}
