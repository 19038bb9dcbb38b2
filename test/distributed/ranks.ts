/** Starts the ranks of a distributed test as separate processes on 127.0.0.1 and collects what they wrote. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const SCRIPT = path.resolve(__dirname, 'rank-script.js');
export const GLOO_ADDON = path.resolve(__dirname, '../../build/Release/backprop_gloo.node');

export interface RankResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
  /** The rank's weights and history, when it finished. */
  out?: {
    rank: number;
    weights: { name: string; data: number[] }[];
    history: Record<string, number[]>;
    stats?: unknown;
  };
  /** ms from start to exit. */
  ms: number;
}

export interface Rank {
  proc: ChildProcess;
  done: Promise<RankResult>;
  /** Resolves when the rank has printed a line containing `text`. */
  printed(text: string): Promise<void>;
}

export function tempStore(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'bp-gloo-'));
}

/** Starts one process running rank-script.js; `env` holds BACKPROP_* (none: a plain single-process run). */
export function startRank(dir: string, name: string, testCase: object, env: Record<string, string>): Rank {
  const file = path.join(dir, `${name}.json`);
  const t0 = Date.now();
  const proc = spawn(process.execPath, [SCRIPT, file], {
    env: { ...process.env, ...env, TEST_CASE: JSON.stringify(testCase), OPENBLAS_NUM_THREADS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '',
    stderr = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  proc.stdout!.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
    for (const w of waiters.splice(0)) {
      if (stdout.includes(w.text)) w.resolve();
      else waiters.push(w);
    }
  });
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const done = new Promise<RankResult>((resolve) =>
    proc.once('exit', (code, signal) => {
      const out = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined;
      resolve({ code, signal, stderr, stdout, out, ms: Date.now() - t0 });
    }),
  );
  const printed = (text: string) =>
    new Promise<void>((resolve) => (stdout.includes(text) ? resolve() : waiters.push({ text, resolve })));
  return { proc, done, printed };
}

/** Starts `n` ranks of one group sharing `store`; `perRank` may override a rank's variables or test case. */
export function startGroup(
  n: number,
  store: string,
  testCase: object,
  perRank: (r: number) => { env?: Record<string, string>; testCase?: object } = () => ({}),
): Rank[] {
  return Array.from({ length: n }, (_, r) => {
    const o = perRank(r);
    const env = {
      BACKPROP_RANK: String(r),
      BACKPROP_WORLD_SIZE: String(n),
      BACKPROP_STORE: store,
      BACKPROP_IFACE: '127.0.0.1',
      ...o.env,
    };
    return startRank(store, `rank${r}`, o.testCase ?? testCase, env);
  });
}

/** Runs a group to the end; fails the test with the ranks' stderr when any rank fails. */
export async function runGroup(n: number, testCase: object, env: Record<string, string> = {}): Promise<RankResult[]> {
  const store = tempStore();
  try {
    const results = await Promise.all(startGroup(n, store, testCase, () => ({ env })).map((r) => r.done));
    if (results.some((r) => r.code !== 0))
      throw new Error(`a rank failed: ${results.map((r, i) => `rank ${i} (${r.code}): ${r.stderr}`).join('; ')}`);
    // Every rank removed its files from the store: only the outputs are left.
    expect(fs.readdirSync(store).filter((f) => !f.endsWith('.json'))).toEqual([]);
    return results;
  } finally {
    fs.rmSync(store, { recursive: true, force: true });
  }
}

/** One process, no group: the reference. */
export async function runSingle(testCase: object): Promise<RankResult> {
  const dir = tempStore();
  try {
    const r = await startRank(dir, 'single', testCase, {}).done;
    if (r.code !== 0) throw new Error(`the single-process run failed: ${r.stderr}`);
    return r;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The largest absolute difference between two runs' weights (names and sizes must match). */
export function maxDiff(a: RankResult, b: RankResult, only: (name: string) => boolean = () => true): number {
  let m = 0;
  a.out!.weights.forEach((w, i) => {
    const v = b.out!.weights[i];
    expect(v.name).toBe(w.name);
    expect(v.data.length).toBe(w.data.length);
    if (!only(w.name)) return;
    for (let j = 0; j < w.data.length; j++) m = Math.max(m, Math.abs(w.data[j] - v.data[j]));
  });
  return m;
}
