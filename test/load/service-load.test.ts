/**
 * The example service under load, as a separate process configured by flags and environment: 8 jobs on
 * ~45 MB CSV uploads (one training at a time in a worker, the rest queued) all finish; every GET made
 * during the run is answered within 100 ms; once the jobs and uploads are evicted, the process's
 * resident memory returns to within 50 MB of where it was before them.
 *
 * "Before them" is after one warm-up job of the same kind (also evicted): the first upload and job raise
 * one-time high-water marks — Node's socket buffers in the main heap (~35 MB), the worker code and native
 * library — that later jobs reuse. The service runs as its header recommends, with glibc's mmap threshold
 * fixed (MALLOC_MMAP_THRESHOLD_), so memory that worker threads free goes back to the system.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { events, request, until } from '../jobs/service-client';

const EXAMPLE = path.resolve(__dirname, '../../examples/training-service.js');
const ready = fs.existsSync(path.resolve(__dirname, '../../dist/index.js')) && fs.existsSync('/proc/self/status');
const maybe = ready ? describe : describe.skip;

const MB = 2 ** 20;

/** Times a GET of the watched job every 25 ms until told to stop, then sends the times back. */
const POLLER = `
const http = require('node:http');
const port = Number(process.argv[1]);
let watched = 'none', stop = false;
const times = [];
process.on('message', (m) => { if (m.watch) watched = m.watch; if (m.stop) stop = true; });
(async () => {
  while (!stop) {
    const t0 = performance.now();
    await new Promise((resolve, reject) =>
      http.get({ host: '127.0.0.1', port, path: '/jobs/' + watched }, (res) => res.resume().on('end', resolve)).on('error', reject));
    times.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 25));
  }
  process.send({ times }, () => process.exit(0));
})();
`;
const rssOf = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

/** ~45 MB: 10 feature columns and a 0/1 label, written in pieces. */
function writeCsv(file: string): number {
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, `${Array.from({ length: 10 }, (_, i) => `f${i}`).join(',')},label\n`);
  let rows = 0;
  for (let block = 0; block < 96; block++) {
    const lines: string[] = [];
    for (let i = 0; i < 5000; i++, rows++) {
      const v = Array.from({ length: 10 }, (_, j) => Math.sin(rows * 0.37 + j * 1.7));
      lines.push(`${v.map((x) => x.toFixed(6)).join(',')},${v[0] + v[1] > 0 ? 1 : 0}`);
    }
    fs.writeSync(fd, `${lines.join('\n')}\n`);
  }
  fs.closeSync(fd);
  return rows;
}

maybe('training service under load', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-service-load-'));
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('8 jobs on ~45 MB CSVs finish; GETs answer within 100 ms throughout; memory returns after eviction', async () => {
    const data = path.join(tmp, 'big.csv');
    const rows = writeCsv(data);
    const bytes = fs.statSync(data).size;
    expect(bytes).toBeGreaterThan(40 * MB);
    expect(bytes).toBeLessThan(50 * MB);

    child = spawn(
      process.execPath,
      [EXAMPLE, '--port=0', `--data-dir=${path.join(tmp, 'service')}`, '--retention-seconds=1', '--max-running-jobs=1'],
      {
        env: { ...process.env, BP_SERVICE_MAX_QUEUED_JOBS: '8', MALLOC_MMAP_THRESHOLD_: '131072' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const port = await new Promise<number>((resolve, reject) => {
      child!.stdout!.on('data', (c: Buffer) => {
        const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(c.toString());
        if (m) resolve(Number(m[1]));
      });
      child!.once('exit', (code) => reject(new Error(`the service exited (${code})`)));
    });
    await new Promise((r) => setTimeout(r, 500));
    const rssCold = rssOf(child.pid!);

    // Every GET during the run is timed, by a small process of its own so that this one's pauses (jest,
    // garbage collection) are not counted against the service.
    const poller = spawn(process.execPath, ['-e', POLLER, String(port)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const watch = (id: string) => poller.send({ watch: id });
    const spec = {
      seed: 1,
      layers: [
        { units: 16, activation: 'relu', inputShape: [10] },
        { units: 2, activation: 'softmax' },
      ],
      compile: { optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] },
    };
    let rssPeak = 0;
    const sample = setInterval(() => (rssPeak = Math.max(rssPeak, rssOf(child!.pid!))), 100);
    /** Uploads the CSV and starts a job on it; its event stream, opened at once, ends with its final status. */
    const submit = async () => {
      const up = await request(port, 'POST', '/datasets', fs.createReadStream(data), { type: 'text/csv' });
      expect(up.status).toBe(201);
      expect(up.json.bytes).toBe(bytes);
      const job = await request(port, 'POST', '/jobs', {
        model: spec,
        dataset: up.json.id,
        target: 'label',
        fit: { epochs: 1, batchSize: 1024 },
      });
      expect(job.status).toBe(201);
      const id = job.json.id as string;
      return { id, stream: events(port, `/jobs/${id}/events`) };
    };
    /** Checks every job completed and learned, then waits for retention (1 s) to evict them and their files. */
    const finish = async (jobs: { id: string; stream: ReturnType<typeof events> }[]) => {
      for (const { stream } of jobs) {
        const evs = await stream;
        expect(evs.at(-1)).toEqual({ event: 'status', data: { status: 'completed', error: null } });
        const epoch = evs.find((e) => e.event === 'progress' && e.data.kind === 'epoch')!.data;
        expect(epoch.batches).toBe(Math.ceil(rows / 1024));
        expect((epoch.metrics as Record<string, number>).accuracy).toBeGreaterThan(0.9);
      }
      for (const { id } of jobs)
        await until(async () => ((await request(port, 'GET', `/jobs/${id}`)).status === 404 ? true : undefined), 10000);
      const dirs = fs.readdirSync(path.join(tmp, 'service'));
      expect(dirs).toHaveLength(1); // the service's own directory…
      await until(
        async () => (fs.readdirSync(path.join(tmp, 'service', dirs[0])).length === 0 ? true : undefined),
        10000,
      );
    };

    const warm = await submit();
    watch(warm.id);
    await finish([warm]);
    const rssStart = rssOf(child.pid!);

    const jobs = [];
    for (let i = 0; i < 8; i++) {
      jobs.push(await submit());
      watch(jobs[0].id);
    }
    await finish(jobs);
    clearInterval(sample);
    const gets = await new Promise<number[]>((resolve) => {
      poller.once('message', (m: { times: number[] }) => resolve(m.times));
      poller.send({ stop: true });
    });
    const rssEnd = await until(
      async () => {
        const rss = rssOf(child!.pid!);
        return rss - rssStart < 50 * MB ? rss : undefined;
      },
      20000,
      500,
    ).catch(() => rssOf(child!.pid!));

    const sorted = [...gets].sort((a, b) => a - b);
    const report =
      `GETs: ${gets.length}, median ${sorted[gets.length >> 1].toFixed(1)} ms, slowest ${sorted.at(-1)!.toFixed(1)} ms; ` +
      `RSS cold ${(rssCold / MB).toFixed(0)} MB, before the 8 jobs ${(rssStart / MB).toFixed(0)} MB, ` +
      `peak ${(rssPeak / MB).toFixed(0)} MB, after eviction ${(rssEnd / MB).toFixed(0)} MB`;
    console.log(`${report}; slowest GETs (ms): ${sorted.slice(-8).map((v) => v.toFixed(0))}`);
    expect(gets.length).toBeGreaterThan(20);
    expect(Math.max(...gets)).toBeLessThan(100);
    expect(rssEnd - rssStart).toBeLessThan(50 * MB);

    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
    expect(fs.readdirSync(path.join(tmp, 'service'))).toEqual([]); // close() on SIGTERM removed its files
  }, 300000);
});
