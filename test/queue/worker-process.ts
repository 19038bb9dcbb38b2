/** A `backprop worker` process for the queue tests: its JSON log lines, waiting on them, signals, exit. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export const CLI = path.resolve(__dirname, '../../dist/cli/main.js');

export type LogEntry = Record<string, unknown> & { event: string };

export class WorkerProcess {
  readonly proc: ChildProcess;
  readonly logs: LogEntry[] = [];
  readonly exited: Promise<number | null>;
  private waiters: { test: (e: LogEntry) => boolean; resolve: (e: LogEntry) => void }[] = [];
  stderr = '';

  /** `env` is added to this process's environment (e.g. NODE_OPTIONS with a preload of test/support/fs-hook.js). */
  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.proc = spawn(process.execPath, [CLI, 'worker', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let buffered = '';
    this.proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        let entry: LogEntry;
        try {
          entry = JSON.parse(line);
        } catch {
          continue;
        }
        this.logs.push(entry);
        this.waiters = this.waiters.filter((w) => (w.test(entry) ? (w.resolve(entry), false) : true));
      }
    });
    this.proc.stderr!.setEncoding('utf8').on('data', (c: string) => (this.stderr += c));
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** The first log entry (past or future) that passes `test`. */
  waitFor(test: (e: LogEntry) => boolean, timeoutMs = 30_000): Promise<LogEntry> {
    const seen = this.logs.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`worker ${this.pid}: no matching log line within ${timeoutMs} ms\n${this.stderr}`)),
        timeoutMs,
      );
      this.waiters.push({
        test,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }

  /** Whether this worker logged `event` for job `id`. */
  did(event: string, id: string): boolean {
    return this.logs.some((e) => e.event === event && e.job === id);
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(t);
  }
}
