/**
 * ONNX test support: run an exported model in ONNX Runtime (onnxruntime-node) and compare it with
 * model.predict on every backend; check files with ONNX's own checker (Debian's python3-onnx, in one
 * long-lived Python process per suite); collect the largest difference per layer type.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import * as bp from '../../src';
import { backendNames } from '../support/backends';

/** The tolerance of the issue: ONNX Runtime's float32 outputs equal predict's within 1e-5. */
export const TOLERANCE = 1e-5;
/** Batch sizes every model runs with: one row, and an odd batch above the usual block sizes. */
export const BATCHES = [1, 33];
/** Newest opset Debian's onnx 1.12 checker knows. */
export const CHECKER_MAX_OPSET = 17;

export const tmpDir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'bp-onnx-'));

/** Uniform values in [-scale, scale) from a seeded RNG, as a tensor of `[rows, ...shape]`. */
export function randomBatch(shape: readonly number[], rows: number, seed: number, scale = 3): bp.Tensor {
  const rng = new bp.Rng(seed);
  const n = rows * shape.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: n }, () => rng.uniform(-scale, scale));
  return bp.tensor(values, [rows, ...shape]);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Runs `bytes` in ONNX Runtime on `x` (float32) and returns the single output. */
export async function runOnnx(bytes: Uint8Array, x: bp.Tensor): Promise<{ data: Float32Array; dims: number[] }> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const input = new ort.Tensor('float32', Float32Array.from(x.data), [...x.shape]);
    const out = await session.run({ [session.inputNames[0]]: input });
    const y = out[session.outputNames[0]];
    return { data: y.data as Float32Array, dims: [...y.dims] };
  } finally {
    await session.release();
  }
}

/**
 * ONNX's checker (`onnx.checker.check_model(full_check=True)`, which also runs shape inference) in one Python
 * process: each call sends a file path and reads back "ok" or the checker's error.
 */
export class OnnxChecker {
  private proc: ChildProcessWithoutNullStreams;
  private buffered = '';
  private waiting: ((line: string) => void)[] = [];

  constructor() {
    const script = [
      'import sys, onnx',
      'for line in sys.stdin:',
      '    try:',
      '        onnx.checker.check_model(onnx.load(line.strip()), full_check=True)',
      '        print("ok", flush=True)',
      '    except Exception as e:',
      '        print(("error " + str(e)).replace("\\n", " "), flush=True)',
    ].join('\n');
    this.proc = spawn('/usr/bin/python3', ['-u', '-c', script]);
    this.proc.stdout.setEncoding('utf8');
    this.proc.stdout.on('data', (chunk: string) => {
      this.buffered += chunk;
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        this.waiting.shift()?.(line);
      }
    });
    let stderr = '';
    this.proc.stderr.on('data', (c) => (stderr += String(c)));
    this.proc.on('exit', () => {
      const why = `the ONNX checker (/usr/bin/python3 with python3-onnx) exited: ${stderr.trim()}`;
      for (const w of this.waiting.splice(0)) w(`error ${why}`);
    });
  }

  /** 'ok', or the checker's error message. */
  check(file: string): Promise<string> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.proc.stdin.write(`${file}\n`);
    });
  }

  close(): void {
    this.proc.stdin.end();
  }
}

/** The largest |ONNX − predict| seen per row label, for the closing table. */
export const parityTable = new Map<string, { maxDiff: number; checked: boolean }>();

/** Writes the table (layer type × exported/verified, max abs difference) when BACKPROP_ONNX_TABLE names a file. */
export function writeParityTable(): void {
  const file = process.env.BACKPROP_ONNX_TABLE;
  if (!file) return;
  const rows = [...parityTable.entries()].map(
    ([label, r]) => `| ${label} | yes | ${r.checked ? 'yes' : 'ORT only'} | ${r.maxDiff.toExponential(2)} |`,
  );
  fs.appendFileSync(file, rows.join('\n') + '\n');
}

export interface ParityOptions {
  opset?: number;
  /** Input scale (uniform in [-scale, scale)). */
  scale?: number;
  seed?: number;
  /** Row of the closing table this case counts towards. */
  label?: string;
}

/**
 * Exports `model` to a file, checks it with ONNX's checker (opsets it knows), runs it in ONNX Runtime at batch
 * 1 and 33 and compares with model.predict on every backend; returns the largest difference.
 */
export async function expectOnnxMatchesPredict(
  model: bp.Sequential,
  checker: OnnxChecker,
  options: ParityOptions = {},
): Promise<number> {
  const file = path.join(tmpDir(), 'model.onnx');
  const bytes = await bp.exportOnnx(model, file, options.opset === undefined ? {} : { opset: options.opset });
  const checked = (options.opset ?? 17) <= CHECKER_MAX_OPSET;
  if (checked) expect(await checker.check(file)).toBe('ok');
  let worst = 0;
  try {
    for (const rows of BATCHES) {
      const x = randomBatch(model.inputShape!, rows, (options.seed ?? 1) + rows, options.scale);
      const onnx = await runOnnx(bytes, x);
      expect(onnx.dims).toEqual([rows, ...model.outputShape!]);
      for (const name of backendNames()) {
        bp.setBackend(name);
        const diff = maxAbsDiff(onnx.data, model.predict(x).data);
        if (!(diff <= TOLERANCE)) throw new Error(`${name} backend, batch ${rows}: max |ONNX - predict| = ${diff}`);
        worst = Math.max(worst, diff);
      }
    }
  } finally {
    bp.setBackend('auto');
  }
  if (options.label) {
    const row = parityTable.get(options.label) ?? { maxDiff: 0, checked: true };
    parityTable.set(options.label, { maxDiff: Math.max(row.maxDiff, worst), checked: row.checked && checked });
  }
  return worst;
}

/** Runs `bytes` in ONNX Runtime on several inputs (in the model's input order); returns every output in order. */
export async function runOnnxMany(
  bytes: Uint8Array,
  xs: bp.Tensor[],
): Promise<{ data: Float32Array; dims: number[] }[]> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const feeds: Record<string, ort.Tensor> = {};
    session.inputNames.forEach(
      (n, i) => (feeds[n] = new ort.Tensor('float32', Float32Array.from(xs[i].data), [...xs[i].shape])),
    );
    const out = await session.run(feeds);
    return session.outputNames.map((n) => ({ data: out[n].data as Float32Array, dims: [...out[n].dims] }));
  } finally {
    await session.release();
  }
}

/**
 * expectOnnxMatchesPredict for any model (several inputs and outputs): inputs made by `makeInputs(rows, seed)`
 * (random floats of each input's shape by default), every output compared at batch 1 and 33 on every backend.
 */
export async function expectGraphOnnxMatchesPredict(
  model: bp.LayersModel,
  checker: OnnxChecker,
  options: ParityOptions & { makeInputs?: (rows: number, seed: number) => bp.Tensor[] } = {},
): Promise<number> {
  const file = path.join(tmpDir(), 'model.onnx');
  const bytes = await bp.exportOnnx(model, file, options.opset === undefined ? {} : { opset: options.opset });
  const checked = (options.opset ?? 17) <= CHECKER_MAX_OPSET;
  if (checked) expect(await checker.check(file)).toBe('ok');
  let worst = 0;
  try {
    for (const rows of BATCHES) {
      const seed = (options.seed ?? 1) + rows;
      const xs = options.makeInputs
        ? options.makeInputs(rows, seed)
        : model.inputShapes.map((s, i) => randomBatch(s, rows, seed + 7 * i, options.scale));
      const outs = await runOnnxMany(bytes, xs);
      expect(outs.map((o) => o.dims)).toEqual(model.outputShapes.map((s) => [rows, ...s]));
      for (const name of backendNames()) {
        bp.setBackend(name);
        const pred = model.predict(xs) as bp.Tensor | bp.Tensor[];
        const list = Array.isArray(pred) ? pred : [pred];
        list.forEach((p, o) => {
          const diff = maxAbsDiff(outs[o].data, p.data);
          if (!(diff <= TOLERANCE)) throw new Error(`${name} backend, batch ${rows}, output ${o}: max diff ${diff}`);
          worst = Math.max(worst, diff);
        });
      }
    }
  } finally {
    bp.setBackend('auto');
  }
  if (options.label) {
    const row = parityTable.get(options.label) ?? { maxDiff: 0, checked: true };
    parityTable.set(options.label, { maxDiff: Math.max(row.maxDiff, worst), checked: row.checked && checked });
  }
  return worst;
}
