/**
 * `backprop train --data x.csv --model-spec spec.json --input features=a..h --input tokens=t0,t1,t2 --target
 * cls=label --target price=price`: a functional spec with several inputs or outputs, each fed by columns named on
 * the command line. It trains as bp.jobs.train does (the same checks of the spec and the map before the file is
 * read, in a worker thread; streamed with --stream); the test rows are a seeded validation split (--test-split),
 * whose last epoch's logs are the test figures.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as bp from '../index';
import { isFunctionalSpec, type FunctionalSpec } from '../model-spec';
import type { ColumnSelection } from '../jobs/data-map';
import { toJson } from '../jobs/json-numbers';
import { formatLogs } from '../callbacks/progress';
import { fail, intOption } from './errors';
import { readSpec } from './sequences';
import { renderReport } from './report';
import type { ModelChoice } from './train-model';

/** The options of `train` this path reads (train.ts's TrainOptions has them all). */
export interface MappedTrainOptions {
  data?: string;
  input?: string | string[];
  target?: string | string[];
  modelSpec?: string;
  testSplit?: string;
  normalize?: string;
  stream?: boolean | string;
  shuffleBuffer?: string;
  out?: string;
  report?: string;
  json?: boolean;
  // What this path refuses.
  testData?: string;
  task?: string;
  dataset?: string;
  dataIdx?: string;
  labelsIdx?: string;
  images?: string;
  sequenceLength?: string;
  text?: string;
}

/** Whether the command line maps columns by name (any --input, or a --target NAME=COLUMN). */
export function wantsMapped(o: MappedTrainOptions): boolean {
  const targets = o.target === undefined ? [] : ([] as string[]).concat(o.target);
  return o.input !== undefined || targets.some((t) => t.includes('='));
}

/**
 * `NAME=COLUMNS` options into an object by name: `a,b,c` (a list), `first..last` (the columns from one to the
 * other in the file), or one column. Each name once.
 * @example byName('--input', ['x=a..d', 'ids=t0,t1']) // { x: { from: 'a', to: 'd' }, ids: ['t0', 't1'] }
 */
export function byName(flag: string, values: string | string[] | undefined): Record<string, ColumnSelection> {
  const out = new Map<string, ColumnSelection>();
  for (const v of values === undefined ? [] : ([] as string[]).concat(values)) {
    const eq = v.indexOf('=');
    if (eq <= 0 || eq === v.length - 1)
      fail(`${flag} '${v.slice(0, 80)}': expected NAME=COLUMNS (a,b,c or first..last or one column)`);
    const name = v.slice(0, eq);
    const columns = v.slice(eq + 1);
    if (out.has(name)) fail(`${flag} maps '${name.slice(0, 64)}' twice; give each model ${flag.slice(2)} once`);
    const range = columns.split('..');
    if (range.length === 2 && !columns.includes(',') && range[0] && range[1])
      out.set(name, { from: range[0], to: range[1] });
    else if (columns.includes(',')) out.set(name, columns.split(','));
    else out.set(name, columns);
  }
  // An object without a prototype: option text as keys cannot reach Object.prototype.
  return Object.assign(Object.create(null) as Record<string, ColumnSelection>, Object.fromEntries(out));
}

/** Job messages in the command line's terms: the flags rather than the job spec's fields. */
function inFlags(message: string): string {
  return message
    .replace(/^job \S+ failed: /, '')
    .replace(/jobs\.train\(\): model/g, '--model-spec')
    .replace(/jobs\.train\(\)/g, 'train')
    .replace(/'data\.inputs\.([^'.]+)(\.from|\.to)?'/g, '--input $1')
    .replace(/'data\.targets\.([^'.]+)(\.from|\.to)?'/g, '--target $1')
    .replace(/'data\.inputs'/g, '--input')
    .replace(/'data\.targets'/g, '--target');
}

/** Trains a functional --model-spec on columns mapped by --input / --target. */
export async function trainMapped(o: MappedTrainOptions, choice: ModelChoice, epochs: number): Promise<void> {
  const other = (
    ['testData', 'task', 'dataset', 'dataIdx', 'labelsIdx', 'images', 'sequenceLength', 'text'] as const
  ).find((k) => o[k] !== undefined);
  if (other)
    fail(
      `--input and --target NAME=COLUMN map the columns of --data to the model's inputs and outputs; ` +
        `they do not take --${other.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
    );
  if (!o.data) fail('--input and --target NAME=COLUMN name columns of --data <file.csv>: give it');
  if (!o.modelSpec)
    fail(`--input and --target NAME=COLUMN map columns to a functional model's inputs and outputs: give --model-spec`);
  if (o.normalize !== undefined && o.normalize !== 'none')
    fail(
      `--normalize applies to one feature matrix; columns mapped by --input are used as they are (scale them first)`,
    );
  const inputs = byName('--input', o.input);
  const targets = byName('--target', o.target);
  if (Object.keys(inputs).length === 0) fail(`--target NAME=COLUMN goes with --input NAME=COLUMNS for each input`);
  const testSize = o.testSplit === undefined ? 0.2 : Number(o.testSplit);
  if (!(testSize > 0 && testSize < 1)) fail(`--test-split must be a fraction in (0, 1), got '${o.testSplit}'`);
  const spec = readSpec(o.modelSpec);
  if (!isFunctionalSpec(spec))
    fail(`--model-spec ${o.modelSpec}: --input maps a functional model's inputs by name; this spec is { layers }`);
  const s = spec as FunctionalSpec;
  if (s.compile === undefined && choice.loss === undefined)
    fail(
      `--model-spec ${o.modelSpec} has no compile settings: add compile: { optimizer, loss } (a loss per output) ` +
        'or give --loss',
    );
  const compile = s.compile ?? {
    optimizer: { name: choice.optimizer, learningRate: choice.lr },
    loss: choice.loss,
  };
  const stream = o.stream === true || o.stream === 'true';
  const shuffleBuffer = o.shuffleBuffer === undefined ? undefined : intOption('shuffle-buffer', o.shuffleBuffer, 1, 1);
  const job = bp.jobs.train({
    model: { ...s, compile, seed: s.seed ?? choice.seed },
    data: { csv: o.data, inputs, targets, ...(stream ? { stream: true, shuffleBuffer } : {}) },
    fit: { epochs, batchSize: choice.batchSize, validationSplit: testSize },
    outputDir: o.out,
  });
  if (job.status === 'failed') fail(inFlags(job.error!.message));
  const json = !!o.json;
  if (!json)
    process.stdout.write(
      `backprop train: ${o.data} mapped to ${Object.keys(inputs).join(', ')} → ${Object.keys(targets).join(', ')}; ` +
        `model ${o.modelSpec}; backend ${bp.getBackend().name}\n`,
    );
  const t0 = performance.now();
  job.on('progress', (p: bp.jobs.ProgressEvent) => {
    if (p.kind !== 'epoch') return;
    const logs = { loss: p.loss, ...p.metrics };
    process.stdout.write(
      json
        ? `${toJson({ epoch: p.epoch, ...logs, samplesPerSecond: p.samplesPerSecond })}\n`
        : `epoch ${p.epoch}/${p.epochs}: ${formatLogs(logs)}\n`,
    );
  });
  let result: bp.jobs.JobResult;
  try {
    result = await job.result;
  } catch (e) {
    return fail(inFlags((e as Error).message));
  }
  const seconds = (performance.now() - t0) / 1000;
  // The last epoch's validation logs: the test rows' figures.
  const final = Object.fromEntries(
    Object.entries(result.history)
      .filter(([k]) => k.startsWith('val_'))
      .map(([k, v]) => [k.slice(4), v[v.length - 1]]),
  );
  if (o.report) {
    const html = renderReport({
      title: `backprop training report: ${path.basename(o.data)}`,
      settings: {
        data: o.data,
        model: o.modelSpec,
        inputs: Object.keys(inputs).join(', '),
        targets: Object.keys(targets).join(', '),
        epochs,
        'batch size': choice.batchSize,
        'test split': testSize,
        backend: bp.getBackend().name,
        'training time (s)': +seconds.toFixed(2),
      },
      final,
      history: result.history,
    });
    fs.mkdirSync(path.dirname(path.resolve(o.report)), { recursive: true });
    fs.writeFileSync(o.report, html);
  }
  const summary = { done: true, test: final, seconds: +seconds.toFixed(3), model: o.out ?? null };
  if (json) process.stdout.write(`${toJson({ ...summary, report: o.report ?? null })}\n`);
  else {
    process.stdout.write(`test: ${formatLogs(final)}  (${seconds.toFixed(1)}s)\n`);
    if (o.out) process.stdout.write(`saved model to ${o.out}\n`);
    if (o.report) process.stdout.write(`wrote report ${o.report}\n`);
  }
}
