/** The Keras-like summary table. */
import type { Sequential } from './sequential';

export function formatSummary(model: Sequential): string {
  const rows: [string, string, string][] = [];
  let total = 0;
  for (const layer of model.layers) {
    const count = layer.built ? layer.params().reduce((s, p) => s + p.value.length, 0) : 0;
    total += count;
    rows.push([
      `${layer.name} (${layer.className})`,
      layer.built ? `[null,${layer.outputUnits}]` : '(not built)',
      String(count),
    ]);
  }
  const head: [string, string, string] = ['Layer (type)', 'Output shape', 'Param #'];
  const w = [0, 1, 2].map((i) => Math.max(head[i].length, ...rows.map((r) => r[i].length)) + 2);
  const line = (r: string[]) => r[0].padEnd(w[0]) + r[1].padEnd(w[1]) + r[2].padStart(w[2]);
  const width = w[0] + w[1] + w[2];
  return [
    `Model: "${model.name}" (${model.dtype})`,
    '_'.repeat(width),
    line(head),
    '='.repeat(width),
    ...rows.map(line),
    '='.repeat(width),
    `Total params: ${total.toLocaleString('en-US')}`,
    `Trainable params: ${total.toLocaleString('en-US')}`,
    'Non-trainable params: 0',
    '_'.repeat(width),
  ].join('\n');
}
