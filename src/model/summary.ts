/** The Keras-like summary table. */
import type { Shape } from '../layers/shape';

export interface SummaryRow {
  name: string;
  className: string;
  /** Per-sample output shape, when built. */
  outputShape?: Shape;
  trainable: number;
  total: number;
}

export function formatSummary(modelName: string, dtype: string, layers: SummaryRow[]): string {
  const rows: [string, string, string][] = [];
  let total = 0,
    trainable = 0;
  for (const l of layers) {
    total += l.total;
    trainable += l.trainable;
    const shape = l.outputShape ? `[null, ${l.outputShape.join(', ')}]` : '(not built)';
    rows.push([`${l.name} (${l.className})`, shape, String(l.total)]);
  }
  const head: [string, string, string] = ['Layer (type)', 'Output shape', 'Param #'];
  const w = [0, 1, 2].map((i) => Math.max(head[i].length, ...rows.map((r) => r[i].length)) + 2);
  const line = (r: string[]) => r[0].padEnd(w[0]) + r[1].padEnd(w[1]) + r[2].padStart(w[2]);
  const width = w[0] + w[1] + w[2];
  const n = (v: number) => v.toLocaleString('en-US');
  return [
    `Model: "${modelName}" (${dtype})`,
    '_'.repeat(width),
    line(head),
    '='.repeat(width),
    ...rows.map(line),
    '='.repeat(width),
    `Total params: ${n(total)}`,
    `Trainable params: ${n(trainable)}`,
    `Non-trainable params: ${n(total - trainable)}`,
    '_'.repeat(width),
  ].join('\n');
}
