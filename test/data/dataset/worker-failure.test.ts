/**
 * A data worker thread that dies — the CSV loader, a CSV parser, an image decoder, or an idle thread in the
 * pool — ends the pass with an error saying so (after the batches already published), never a hang or
 * garbage; the next pass starts on fresh threads and reads the same rows.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { PNG } from 'pngjs';
import * as bp from '../../../src';
import { csvDataset } from '../../../src/data/dataset/csv-dataset';
import { closeIdleWorkers } from '../../../src/data/dataset/worker-pool';

// Every worker thread the pool creates is recorded, so a test can end one as a crash would.
jest.mock('node:worker_threads', () => {
  const actual = jest.requireActual<typeof import('node:worker_threads')>('node:worker_threads');
  class RecordedWorker extends actual.Worker {
    constructor(...args: ConstructorParameters<typeof actual.Worker>) {
      super(...args);
      mockCreated.push(this);
    }
  }
  return { ...actual, Worker: RecordedWorker };
});
const mockCreated: Worker[] = [];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-dsdie-'));
/** The threads created since the test began, in creation order. */
let created: Worker[] = [];

beforeEach(async () => {
  await closeIdleWorkers();
  mockCreated.length = 0;
  created = mockCreated;
});
afterAll(async () => {
  await closeIdleWorkers();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A CSV of `rows` rows: 4 features and a 0/1 label, values from the row number. */
function csv(name: string, rows: number): string {
  const lines = ['a,b,c,d,label'];
  for (let r = 0; r < rows; r++) lines.push(`${r},${r % 7},${(r * 0.5).toFixed(1)},${-r},${r % 2}`);
  const p = path.join(tmp, name);
  fs.writeFileSync(p, lines.join('\n') + '\n');
  return p;
}

/** Reads batches until the pass ends; the rows read and the error that ended it (if any). */
async function drain(it: AsyncIterator<bp.data.CsvBatch>, rows = 0): Promise<{ rows: number; error?: Error }> {
  try {
    for (;;) {
      const r = await it.next();
      if (r.done) return { rows };
      rows += r.value.xs.shape[0];
    }
  } catch (e) {
    return { rows, error: e as Error };
  }
}

const options = {
  target: 'label',
  task: 'classification' as const,
  classes: ['0', '1'],
  batchSize: 50,
  prefetch: 2,
};

describe('a data worker thread that dies', () => {
  test.each([
    ['the loader', 0],
    ['a parser', 1],
  ])('%s, mid-pass: the pass ends with an error naming the file; the next pass reads every row', async (_, which) => {
    const file = csv(`die-${which}.csv`, 20000);
    const ds = csvDataset(file, { ...options, workers: 1 });
    const it = ds[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).toBe(false);
    expect(created).toHaveLength(2); // the loader, then one parser
    await created[which].terminate();
    const { rows, error } = await drain(it, 50);
    expect(error?.message).toMatch(/die-\d\.csv: a data worker thread exited \(code \d+\)/);
    expect(rows).toBeLessThan(20000);
    // Fresh threads for the next pass: all the rows, in order.
    const again = await drain(ds[Symbol.asyncIterator]());
    expect(again).toEqual({ rows: 20000 });
  });

  test('an idle thread in the pool that exits is not handed to the next pass', async () => {
    const file = csv('idle.csv', 500);
    const ds = csvDataset(file, { ...options, workers: 1 });
    expect(await drain(ds[Symbol.asyncIterator]())).toEqual({ rows: 500 });
    expect(created).toHaveLength(2);
    // Both threads went back to the pool; now they exit while idle (as a thread that ran out of memory would).
    await Promise.all(created.map((w) => w.terminate()));
    expect(await drain(ds[Symbol.asyncIterator]())).toEqual({ rows: 500 });
    expect(created).toHaveLength(4);
  });

  test('an image decoding thread, mid-pass: the pass ends with an error saying so', async () => {
    const root = path.join(tmp, 'images');
    for (const cls of ['a', 'b']) {
      fs.mkdirSync(path.join(root, cls), { recursive: true });
      for (let i = 0; i < 40; i++) {
        const png = new PNG({ width: 8, height: 8 });
        png.data.fill(i * 3);
        fs.writeFileSync(path.join(root, cls, `${i}.png`), PNG.sync.write(png));
      }
    }
    const ds = bp.data.imageFolderDataset(root, { imageSize: [8, 8], batchSize: 4, prefetch: 1, workers: 1 });
    const it = ds[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    expect(created).toHaveLength(1);
    await created[0].terminate();
    await expect(
      (async () => {
        for (let r = await it.next(); !r.done; r = await it.next());
      })(),
    ).rejects.toThrow(/an image decoding thread exited/);
    let batches = 0;
    await ds.forEachAsync(() => void batches++);
    expect(batches).toBe(20);
  });
});
