/** The Keras-like summary table. */
import type { Shape } from '../layers/shape';

export interface SummaryRow {
  name: string;
  className: string;
  /** Per-sample output shape, when built. */
  outputShape?: Shape;
  trainable: number;
  total: number;
  /** For a functional model: the inputs of each call, `dense_1[0][0], ...` (Keras' "Connected to"). */
  connectedTo?: string;
}

export function formatSummary(modelName: string, dtype: string, layers: SummaryRow[]): string {
  const graph = layers.some((l) => l.connectedTo !== undefined);
  const rows: string[][] = [];
  let total = 0,
    trainable = 0;
  for (const l of layers) {
    total += l.total;
    trainable += l.trainable;
    const shape = l.outputShape ? `[null, ${l.outputShape.join(', ')}]` : '(not built)';
    const row = [`${l.name} (${l.className})`, shape, String(l.total)];
    if (graph) row.push(l.connectedTo ?? '');
    rows.push(row);
  }
  const head = ['Layer (type)', 'Output shape', 'Param #'];
  if (graph) head.push('Connected to');
  const w = head.map((_, i) => Math.max(head[i].length, ...rows.map((r) => r[i].length)) + 2);
  const line = (r: string[]) =>
    r[0].padEnd(w[0]) + r[1].padEnd(w[1]) + r[2].padStart(w[2]) + (graph ? `  ${r[3]}`.padEnd(w[3]) : '');
  const width = w.reduce((a, b) => a + b, 0);
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
