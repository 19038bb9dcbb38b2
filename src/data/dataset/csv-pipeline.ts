/**
 * One pass of a csvDataset, seen from the main thread: it takes a loader thread and `parsers` parser
 * threads from the pool, connects them, and reads the batches the loader publishes in the slot ring
 * (csv-slots.ts). Errors from the threads — a bad row, a changed file, a thread that died — end the pass
 * with that error, after the batches published before it.
 */
import { MessageChannel, type Worker } from 'node:worker_threads';
import type { CsvPassConfig, CsvPassStats, FromLoader } from './csv-loader-worker';
import { SlotReader, type SlotBatch } from './csv-slots';
import type { FileIdentity } from './file-source';
import { acquireWorkers, discardWorkers, releaseWorkers } from './worker-pool';

export interface PassHeader {
  names: string[];
  featureNames: string[];
  identity: FileIdentity;
}

export class CsvPipeline {
  private readonly workers: Worker[];
  private readonly reader: SlotReader;
  private error: Error | undefined;
  private stats: CsvPassStats | undefined;
  private settled: () => void = () => {};
  /** Resolves once the loader has said how the pass ended (stats or error), or a thread died. */
  private readonly over: Promise<void>;
  private closed = false;
  private readonly unlisten: (() => void)[] = [];
  readonly header: Promise<PassHeader>;

  constructor(config: CsvPassConfig, parsers: number) {
    this.workers = acquireWorkers(1 + parsers);
    this.reader = new SlotReader(config.slots);
    this.over = new Promise<void>((r) => (this.settled = r));
    let gotHeader: (h: PassHeader) => void = () => {};
    let noHeader: (e: Error) => void = () => {};
    this.header = new Promise<PassHeader>((res, rej) => {
      gotHeader = res;
      noHeader = rej;
    });
    this.header.catch(() => {});
    const [loader, ...rest] = this.workers;
    const fail = (e: Error) => {
      this.error ??= e;
      noHeader(this.error);
      this.reader.fail();
      this.settled();
    };
    const onMessage = (m: FromLoader) => {
      if (m.type === 'header') gotHeader({ names: m.names, featureNames: m.featureNames, identity: m.identity });
      else if (m.type === 'end') {
        this.stats = m.stats;
        this.settled();
      } else if (m.type === 'error') fail(new Error(m.message));
    };
    loader.on('message', onMessage);
    this.unlisten.push(() => loader.off('message', onMessage));
    const onError = (e: Error) => fail(new Error(`${config.spec.name}: a data worker thread failed: ${e.message}`));
    const onExit = (code: number) => fail(new Error(`${config.spec.name}: a data worker thread exited (code ${code})`));
    for (const w of this.workers) {
      w.on('error', onError).on('exit', onExit);
      this.unlisten.push(() => w.off('error', onError).off('exit', onExit));
    }
    const channels = rest.map(() => new MessageChannel());
    rest.forEach((w, i) => w.postMessage({ type: 'csv-parser', port: channels[i].port2 }, [channels[i].port2]));
    const ports = channels.map((c) => c.port1);
    loader.postMessage({ type: 'csv-loader', config, ports }, ports);
  }

  /** The next batch, or null at the end of the pass; throws the pass's error. */
  async next(): Promise<SlotBatch | null> {
    const r = await this.reader.take();
    if (r === 'ended') {
      await this.over;
      if (this.error) throw this.error;
      return null;
    }
    if (r === 'failed') {
      await this.over;
      throw this.error ?? new Error('the pass was stopped');
    }
    return r;
  }

  /** The pass's statistics once it has ended (scans: the target's distinct values). */
  async finished(): Promise<CsvPassStats> {
    await this.over;
    if (this.error) throw this.error;
    return this.stats!;
  }

  release(index: number): void {
    if (!this.closed) this.reader.release(index);
  }

  /** Ends the pass: threads back to the pool after a clean end, terminated otherwise. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.unlisten) off();
    if (this.stats && !this.error) releaseWorkers(this.workers);
    else {
      this.reader.cancel();
      discardWorkers(this.workers);
    }
  }
}
