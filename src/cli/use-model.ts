/** `backprop evaluate` and `backprop predict`: run a model saved by `train` on a CSV file. */
import * as fs from 'node:fs';
import * as bp from '../index';
import { fail } from './errors';
import { applyScaler, loadForModel, preprocessingOf, type Preprocessing } from './dataset';
import { formatLogs } from '../callbacks/progress';
import { toJson } from '../jobs/json-numbers';
import { checkOutputFile } from './paths';
import { checkPathsApart, type PathArg } from './distinct-paths';
import { resolveDir } from '../io/save';
// convolutional networks
import { asImages, loadImagesForModel } from './image-data';
import type { Tensor2D } from '../data/tensor';
import type { Tensor } from '../model/tensor';

interface InputOptions {
  model: string;
  data?: string;
  images?: string;
  dataIdx?: string;
  labelsIdx?: string;
}

/** The inputs (and labels) as train read them: a CSV, or for a model trained on images, images. */
async function inputsFor(
  o: InputOptions,
  pre: Preprocessing,
  needTarget: boolean,
): Promise<{ x: Tensor2D | Tensor; y?: Int32Array | Tensor2D; files?: string[] }> {
  const imageSource = o.images !== undefined || o.dataIdx !== undefined;
  if (imageSource && o.data !== undefined) fail('give one data source: --data, --images or --data-idx');
  if (pre.image && (imageSource || o.data === undefined)) {
    const d = await loadImagesForModel(o, pre.image, pre.classes, needTarget);
    const x = applyScaler(d.x, pre);
    return { x: pre.image.flat ? x : asImages(x, pre.image.shape), y: d.y, files: d.files };
  }
  if (imageSource) fail(`${o.model}: this model was not trained on images; give --data <file.csv>`);
  if (o.data === undefined) fail('--data <file.csv> is required');
  if (needTarget && !pre.targetName)
    fail(`${o.model}: the model has no target column name; it was trained on a built-in dataset`);
  return loadForModel(o.data, pre, needTarget);
}

async function load(dir: string) {
  if (!dir) fail('--model <dir> is required');
  if (!fs.existsSync(dir)) fail(`${dir}: no such model directory`);
  const model = await bp.loadLayersModel(dir);
  return { model, pre: preprocessingOf(model, dir) };
}

export async function evaluate(
  o: InputOptions & {
    target?: string;
    json?: boolean;
    backend?: string;
  },
): Promise<void> {
  if (o.backend) bp.setBackend(o.backend as 'js');
  const { model, pre } = await load(o.model);
  if (o.target && pre.targetName && o.target !== pre.targetName)
    fail(`--target '${o.target}' differs from the column the model was trained on ('${pre.targetName}')`);
  const d = await inputsFor(o, pre, true);
  model.compile({
    optimizer: 'sgd',
    loss: pre.task === 'classification' ? 'sparseCategoricalCrossentropy' : 'meanSquaredError',
    metrics: pre.task === 'classification' ? ['accuracy'] : ['mae'],
  });
  const r = model.evaluate(d.x, d.y!);
  process.stdout.write(o.json ? `${toJson(r)}\n` : `${formatLogs(r)}\n`);
}

const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export async function predict(
  o: InputOptions & {
    out?: string;
    json?: boolean;
    backend?: string;
  },
): Promise<void> {
  if (o.backend) bp.setBackend(o.backend as 'js');
  if (o.out !== undefined) {
    checkOutputFile('--out', o.out);
    if (!o.model) fail('--model <dir> is required');
    const inputs: PathArg[] = [{ flag: '--model', path: resolveDir(o.model, '--model') }];
    for (const [flag, p] of [
      ['--data', o.data],
      ['--data-idx', o.dataIdx],
      ['--labels-idx', o.labelsIdx],
      ['--images', o.images],
    ] as const)
      if (p !== undefined) inputs.push({ flag, path: p });
    checkPathsApart({ inputs, outputFiles: [{ flag: '--out', path: o.out }] });
  }
  const { model, pre } = await load(o.model);
  const d = await inputsFor(o, pre, false);
  const p = model.predict(d.x);
  const file = (r: number): Record<string, string> => (d.files ? { file: d.files[r] } : {});
  const [rows, cols] = p.shape;
  const lines: string[] = [];
  const records: Record<string, string | number>[] = [];
  if (pre.task === 'classification') {
    const classes = pre.classes!;
    lines.push([...(d.files ? ['file'] : []), 'class', ...classes.map((c) => `p_${c}`)].map(csvCell).join(','));
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let j = 1; j < cols; j++) if (p.data[r * cols + j] > p.data[r * cols + best]) best = j;
      const probs = Array.from(p.data.subarray(r * cols, (r + 1) * cols), (v) => +v.toPrecision(6));
      lines.push([...(d.files ? [csvCell(d.files[r])] : []), csvCell(classes[best]), ...probs].join(','));
      records.push({
        ...file(r),
        class: classes[best],
        ...Object.fromEntries(classes.map((c, j) => [`p_${c}`, probs[j]])),
      });
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
  } else process.stdout.write(o.json ? `${toJson({ rows, predictions: records })}\n` : csv);
}
