/**
 * `backprop launch`: starts the ranks of a data-parallel run on this machine, as PyTorch's torchrun does. Each
 * rank is `node script [args]` with BACKPROP_RANK, BACKPROP_WORLD_SIZE, BACKPROP_STORE, BACKPROP_IFACE,
 * BACKPROP_RUN_ID and BACKPROP_TIMEOUT_MS set (what `bp.distributed.init()` reads) and one BLAS thread by
 * default. Where the CPUs go round, each rank is bound to its own block of them (BACKPROP_CPUS; `--bind none`
 * leaves them unbound). When a rank fails, the others are stopped and launch exits with the failed rank's code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { allowedCpus, cpuBlocks } from '../distributed/cpus';
import { MAX_WORLD_SIZE } from '../distributed/group';
import { fail, intOption } from './errors';

export interface LaunchOptions {
  nproc?: string;
  nnodes?: string;
  nodeRank?: string;
  store?: string;
  iface?: string;
  runId?: string;
  threads?: string;
  timeoutMs?: string;
  bind?: string;
  cpusPerRank?: string;
}

/** The most ranks launch starts on one machine: each is a whole Node process. */
const MAX_LOCAL_RANKS = 1024;

/** How long stopped ranks get to exit on SIGTERM before SIGKILL. */
const GRACE_MS = 5000;

export async function launch(script: string, args: string[], o: LaunchOptions): Promise<void> {
  const nproc = intOption('nproc', o.nproc, 1, 0, MAX_LOCAL_RANKS);
  if (nproc === 0) fail('--nproc is required: the number of ranks to start on this machine');
  const nnodes = intOption('nnodes', o.nnodes, 1, 1, MAX_WORLD_SIZE);
  if (nnodes * nproc > MAX_WORLD_SIZE)
    fail(`--nnodes ${nnodes} × --nproc ${nproc} ranks: a group has at most ${MAX_WORLD_SIZE}; start fewer`);
  const nodeRank = intOption('node-rank', o.nodeRank, 0, 0);
  if (nodeRank >= nnodes) fail(`--node-rank ${nodeRank} is out of range for --nnodes ${nnodes} (0..${nnodes - 1})`);
  const threads = intOption('threads', o.threads, 1, 1, 1024);
  const bind = o.bind ?? 'auto';
  if (bind !== 'auto' && bind !== 'none') fail(`--bind must be auto or none, got '${bind}'`);
  let cpus: string[] | undefined;
  if (bind === 'auto') {
    const allowed = allowedCpus();
    const share = Math.floor(allowed.length / nproc);
    const perRank = intOption('cpus-per-rank', o.cpusPerRank, 1, share);
    cpus = cpuBlocks(nproc, threads, allowed, perRank);
    if (!cpus && o.cpusPerRank !== undefined)
      fail(
        `--cpus-per-rank ${perRank} does not fit: ${nproc} rank(s) need blocks of --threads (${threads}) to ` +
          `${share} CPUs out of the ${allowed.length} this process may use; ` +
          'pick one in that range or use --bind none',
      );
  } else if (o.cpusPerRank !== undefined) fail('--cpus-per-rank needs --bind auto');
  const timeoutMs = o.timeoutMs ?? process.env.BACKPROP_TIMEOUT_MS;
  if (!fs.existsSync(script)) fail(`the script ${script} does not exist`);
  // One machine: loopback and a private store are the right choice, not a guess. Several: the user names them.
  let store = o.store ?? process.env.BACKPROP_STORE;
  let iface = o.iface ?? process.env.BACKPROP_IFACE;
  let runId = o.runId ?? process.env.BACKPROP_RUN_ID;
  let ownStore: string | undefined;
  if (nnodes > 1) {
    if (!store) fail('--store is required with --nnodes > 1: a directory every machine sees, or a Redis URL');
    if (!iface) fail('--iface is required with --nnodes > 1: the network interface (or address) the ranks use');
    if (!runId) fail('--run-id is required with --nnodes > 1: the same name on every machine, new for each run');
  } else {
    iface ??= '127.0.0.1';
    if (!store) store = ownStore = fs.mkdtempSync(path.join(os.tmpdir(), 'backprop-launch-'));
    runId ??= randomBytes(6).toString('hex');
  }
  const worldSize = nnodes * nproc;
  const children: ChildProcess[] = [];
  let firstFailure: number | undefined;
  const stopAll = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    setTimeout(() => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }, GRACE_MS).unref();
  };
  const onSignal = () => {
    firstFailure ??= 130;
    stopAll();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  try {
    const exits = Array.from({ length: nproc }, (_, local) => {
      const rank = nodeRank * nproc + local;
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        BACKPROP_RANK: String(rank),
        BACKPROP_LOCAL_RANK: String(local),
        BACKPROP_WORLD_SIZE: String(worldSize),
        BACKPROP_STORE: store,
        BACKPROP_IFACE: iface,
        BACKPROP_RUN_ID: runId,
        BACKPROP_THREADS: process.env.BACKPROP_THREADS ?? String(threads),
        OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS ?? String(threads),
      };
      if (timeoutMs !== undefined) env.BACKPROP_TIMEOUT_MS = timeoutMs;
      if (cpus) env.BACKPROP_CPUS = cpus[local];
      else delete env.BACKPROP_CPUS;
      const child = spawn(process.execPath, [script, ...args], { env, stdio: 'inherit' });
      children.push(child);
      return new Promise<void>((resolve) => {
        const done = (code: number | null, signal: NodeJS.Signals | null) => {
          if ((code !== 0 || signal) && firstFailure === undefined) {
            firstFailure = code && code !== 0 ? code : 1;
            process.stderr.write(
              `backprop launch: rank ${rank} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}; ` +
                `stopping the other ranks\n`,
            );
            stopAll();
          }
          resolve();
        };
        child.once('exit', done);
        child.once('error', (e) => {
          process.stderr.write(`backprop launch: rank ${rank} could not start: ${e.message}\n`);
          done(1, null);
        });
      });
    });
    await Promise.all(exits);
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    if (ownStore) fs.rmSync(ownStore, { recursive: true, force: true });
  }
  if (firstFailure !== undefined) process.exitCode = firstFailure;
}
