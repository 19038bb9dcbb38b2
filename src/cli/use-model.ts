/** `backprop evaluate` and `backprop predict`: run a model saved by `train` on a CSV file. */
import * as fs from 'node:fs';
import * as bp from '../index';
import { fail } from './errors';
import { loadForModel, preprocessingOf } from './dataset';
import { formatLogs } from '../callbacks/progress';
import { checkOutputFile } from './paths';

async function load(dir: string) {
  if (!dir) fail('--model <dir> is required');
  if (!fs.existsSync(dir)) fail(`${dir}: no such model directory`);
  const model = await bp.loadLayersModel(dir);
  return { model, pre: preprocessingOf(model, dir) };
}

export async function evaluate(o: {
  model: string;
  data: string;
  target?: string;
  json?: boolean;
  backend?: string;
}): Promise<void> {
  if (o.backend) bp.setBackend(o.backend as 'js');
  const { model, pre } = await load(o.model);
  if (o.target && pre.targetName && o.target !== pre.targetName)
    fail(`--target '${o.target}' differs from the column the model was trained on ('${pre.targetName}')`);
  if (!pre.targetName) fail(`${o.model}: the model has no target column name; it was trained on a built-in dataset`);
  const d = loadForModel(o.data, pre, true);
  model.compile({
    optimizer: 'sgd',
    loss: pre.task === 'classification' ? 'sparseCategoricalCrossentropy' : 'meanSquaredError',
    metrics: pre.task === 'classification' ? ['accuracy'] : ['mae'],
  });
  const r = model.evaluate(d.x, d.y!);
  process.stdout.write(o.json ? `${JSON.stringify(r)}\n` : `${formatLogs(r)}\n`);
}

const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export async function predict(o: {
  model: string;
  data: string;
  out?: string;
  json?: boolean;
  backend?: string;
}): Promise<void> {
  if (o.backend) bp.setBackend(o.backend as 'js');
  if (o.out !== undefined) checkOutputFile('--out', o.out);
  const { model, pre } = await load(o.model);
  const d = loadForModel(o.data, pre, false);
  const p = model.predict(d.x);
  const [rows, cols] = p.shape;
  const lines: string[] = [];
  const records: Record<string, string | number>[] = [];
  if (pre.task === 'classification') {
    const classes = pre.classes!;
    lines.push(['class', ...classes.map((c) => `p_${c}`)].map(csvCell).join(','));
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let j = 1; j < cols; j++) if (p.data[r * cols + j] > p.data[r * cols + best]) best = j;
      const probs = Array.from(p.data.subarray(r * cols, (r + 1) * cols), (v) => +v.toPrecision(6));
      lines.push([csvCell(classes[best]), ...probs].join(','));
      records.push({ class: classes[best], ...Object.fromEntries(classes.map((c, j) => [`p_${c}`, probs[j]])) });
    }
  } else {
    const name = pre.targetName ?? 'prediction';
    lines.push(csvCell(cols === 1 ? name : Array.from({ length: cols }, (_, j) => `${name}_${j}`).join(',')));
    for (let r = 0; r < rows; r++) {
      const vals = Array.from(p.data.subarray(r * cols, (r + 1) * cols), (v) => +v.toPrecision(7));
      lines.push(vals.join(','));
      records.push({ [name]: vals[0] });
    }
  }
  const csv = `${lines.join('\n')}\n`;
  if (o.out) {
    fs.writeFileSync(o.out, csv);
    process.stdout.write(
      o.json ? `${JSON.stringify({ rows, out: o.out })}\n` : `wrote ${rows} predictions to ${o.out}\n`,
    );
  } else process.stdout.write(o.json ? `${JSON.stringify({ rows, predictions: records })}\n` : csv);
}
