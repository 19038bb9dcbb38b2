/**
 * `backprop worker | submit | status | sweep`: the job queue on Redis from the command line. The Redis URL
 * comes from --redis or BACKPROP_REDIS (better for a password: the command line is visible to `ps`), the
 * store from --store or BACKPROP_STORE.
 */
import * as fs from 'node:fs';
import { fail, intOption } from './errors';
import type { JobQueue } from '../jobs/queue';
import type { QueuedJob } from '../jobs/queued-job';
import { toJson } from '../jobs/json-numbers';

export interface QueueCliOptions {
  redis?: string;
  queue?: string;
  store?: string;
  json?: boolean;
}

export interface WorkerCliOptions extends QueueCliOptions {
  concurrency?: string;
  threads?: string;
  backend?: string;
  lockMs?: string;
  maxParameters?: string;
  maxJobSeconds?: string;
  workerMemoryMb?: string;
  iface?: string;
  rankTimeoutMs?: string;
}

/** Most bytes of a spec file. */
const MAX_SPEC_FILE_BYTES = 16 * 2 ** 20;

function redisUrl(o: QueueCliOptions): string {
  const url = o.redis ?? process.env.BACKPROP_REDIS;
  if (!url) fail('give --redis redis://host:port (or set BACKPROP_REDIS)');
  return url;
}

function storeDir(o: QueueCliOptions, required: boolean): string | undefined {
  const dir = o.store ?? process.env.BACKPROP_STORE;
  if (!dir && required)
    fail('give --store DIR (or set BACKPROP_STORE): the directory shared by every worker and client');
  return dir;
}

function readJsonFile(flag: string, file: string): unknown {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    fail(`${flag} ${file}: no such file`);
  }
  if (!st.isFile()) fail(`${flag} ${file}: not a regular file`);
  if (st.size > MAX_SPEC_FILE_BYTES) fail(`${flag} ${file}: larger than ${MAX_SPEC_FILE_BYTES} bytes`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    fail(`${flag} ${file}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
}

async function openQueue(o: QueueCliOptions, needStore: boolean): Promise<JobQueue> {
  const { queue } = await import('../jobs/queue');
  return queue({ connection: redisUrl(o), name: o.queue, store: storeDir(o, needStore) });
}

/** JSON keeps NaN and ±Infinity as strings (JSON.stringify would print null); text is one printable line. */
const print = (o: QueueCliOptions, obj: unknown, text: string) =>
  process.stdout.write(`${o.json ? toJson(obj) : printable(text)}\n`);

/**
 * Text from Redis (error messages, worker names, metric names) on one line without control characters: a
 * job's error could otherwise move the cursor or rewrite the terminal of whoever runs `backprop status`.
 */
// eslint-disable-next-line no-control-regex
const printable = (s: string) => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\n' ? ' ' : '?'));

/** A loss or metric as what it is: '0.3412', 'NaN', 'Infinity'. */
const fmt = (v: number | undefined, digits = 4) => (v === undefined ? '-' : v.toPrecision(digits));

/** `backprop worker`: trains jobs from the queue until SIGTERM/SIGINT, then hands its jobs back and exits. */
export async function workerCommand(o: WorkerCliOptions): Promise<void> {
  if (o.backend && !['native', 'wasm', 'js', 'auto'].includes(o.backend))
    fail(`--backend must be native, wasm, js or auto, got '${o.backend}'`);
  const opt = (name: string, v: string | undefined) => (v === undefined ? undefined : intOption(name, v, 1, 1));
  const { worker } = await import('../jobs/queue-worker');
  const maxJobSeconds = opt('max-job-seconds', o.maxJobSeconds);
  const w = worker({
    connection: redisUrl(o),
    name: o.queue,
    store: storeDir(o, true)!,
    concurrency: opt('concurrency', o.concurrency),
    threads: opt('threads', o.threads),
    backend: o.backend as 'native' | 'wasm' | 'js' | 'auto' | undefined,
    lockMs: opt('lock-ms', o.lockMs),
    iface: o.iface,
    rankTimeoutMs: o.rankTimeoutMs === undefined ? undefined : intOption('rank-timeout-ms', o.rankTimeoutMs, 100, 0),
    limits: {
      maxParameters: opt('max-parameters', o.maxParameters),
      timeLimitMs: maxJobSeconds === undefined ? undefined : maxJobSeconds * 1000,
      workerMemoryMb: opt('worker-memory-mb', o.workerMemoryMb),
    },
    log: (entry) => process.stdout.write(`${toJson({ time: new Date().toISOString(), ...entry })}\n`),
  });
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.stdout.write(`${JSON.stringify({ event: 'stopping', signal, worker: w.name, jobs: w.active })}\n`);
      w.close().then(resolve, (e: Error) => {
        process.stderr.write(`backprop worker: ${e.message}\n`);
        resolve();
      });
      process.once(signal, () => process.exit(1)); // a second signal: stop now
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  process.stdout.write(`${JSON.stringify({ event: 'stopped', worker: w.name })}\n`);
  process.exit(0); // worker threads and sockets are closed; nothing is left to finish
}

/** Waits for a job, printing its epochs; exits non-zero unless it completed. */
async function follow(o: QueueCliOptions, job: QueuedJob): Promise<void> {
  job.on('progress', (p) => {
    if (p.kind === 'epoch')
      print(o, { id: job.id, ...p }, `${job.id} epoch ${p.epoch}/${p.epochs} loss ${fmt(p.loss)}`);
  });
  try {
    const r = await job.result;
    const final = Object.fromEntries(Object.entries(r.history).map(([k, v]) => [k, v.at(-1)]));
    print(
      o,
      {
        id: job.id,
        status: job.status,
        modelPath: r.modelPath,
        final,
        resumedFrom: r.resumedFrom,
        worker: r.worker,
        ...(r.ranks !== undefined ? { ranks: r.ranks, attempt: r.attempt } : {}),
      },
      `${job.id} ${job.status}: model ${r.modelPath}, ${Object.entries(final)
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join(', ')}${r.ranks !== undefined ? ` (${r.ranks} ranks, group attempt ${r.attempt})` : ''}`,
    );
    if (r.cancelled) process.exitCode = 1;
  } catch (e) {
    print(o, { id: job.id, status: job.status, error: (e as Error).message }, (e as Error).message);
    process.exitCode = 1;
  }
}

/** `backprop submit`: checks a job spec, queues it, prints its id (and with --wait, follows it to its end). */
export async function submitCommand(
  o: QueueCliOptions & { spec?: string; wait?: boolean; ranks?: string },
): Promise<void> {
  if (!o.spec) fail('give --spec job.json');
  // A number as written ('2.5', '1e3' stay what they are): queue.train() checks it and names the fix.
  const ranks = o.ranks === undefined ? undefined : /^\d{1,9}$/.test(o.ranks) ? Number(o.ranks) : o.ranks;
  const spec = readJsonFile('--spec', o.spec);
  const q = await openQueue(o, false);
  try {
    const job = q.train(spec, ranks === undefined ? {} : { ranks: ranks as number });
    await job.submitted.catch((e: Error) => fail(e.message.replace("'ranks'", '--ranks')));
    print(o, { id: job.id, status: 'queued', ...(ranks !== undefined ? { ranks } : {}) }, job.id);
    if (o.wait) await follow(o, job);
  } finally {
    await q.close();
  }
}

/** `backprop status [ID]`: one job's state, or the queue's jobs. */
export async function statusCommand(o: QueueCliOptions & { limit?: string }, id?: string): Promise<void> {
  const q = await openQueue(o, false);
  try {
    if (id !== undefined) {
      const job = await q.status(id);
      if (!job) fail(`no job '${id}' in queue '${q.name}'`);
      print(o, job, describe(job));
      return;
    }
    const jobs = await q.list(intOption('limit', o.limit, 1, 100));
    if (o.json) process.stdout.write(`${toJson(jobs)}\n`);
    else for (const j of jobs) process.stdout.write(`${printable(describe(j))}\n`);
  } finally {
    await q.close();
  }
}

function describe(j: Awaited<ReturnType<JobQueue['list']>>[number]): string {
  const p = j.progress ? ` epoch ${j.progress.epoch}/${j.progress.epochs} loss ${fmt(j.progress.loss)}` : '';
  const model = j.returnValue?.modelPath ? ` model ${j.returnValue.modelPath}` : '';
  const g = j.group;
  const group = g
    ? ` [${g.ranks} ranks, group attempt ${g.attempt} ${g.state}${g.failures ? `, ${g.failures} failed` : ''}` +
      `${g.state !== 'training' && g.state !== 'done' && g.error ? `: ${g.error}` : ''}]`
    : '';
  return `${j.id} ${j.status}${p}${model}${j.worker ? ` on ${j.worker}` : ''}${group}${j.error ? `: ${j.error}` : ''}`;
}

/** `backprop sweep`: runs a grid over the workers and prints the runs ranked, best first. */
export async function sweepCommand(o: QueueCliOptions & { spec?: string }): Promise<void> {
  if (!o.spec) fail('give --spec sweep.json ({ base, grid, metric })');
  const spec = readJsonFile('--spec', o.spec);
  const { sweep } = await import('../jobs/sweep');
  const q = await openQueue(o, false);
  try {
    const r = await sweep(spec as never, { queue: q });
    if (o.json) process.stdout.write(`${toJson(r)}\n`);
    else {
      r.runs.forEach((run, i) =>
        process.stdout.write(
          printable(
            `${i + 1}. ${r.metric} ${fmt(run.value, 5)} ${toJson(run.params)} ${run.status}` +
              `${run.modelPath ? ` ${run.modelPath}` : ''}${run.error ? `: ${run.error}` : ''}`,
          ) + '\n',
        ),
      );
      process.stdout.write(r.best ? `best: ${r.bestModelPath}\n` : 'no run completed\n');
    }
    if (!r.best) process.exitCode = 1;
  } finally {
    await q.close();
  }
}
