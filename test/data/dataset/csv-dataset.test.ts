/**
 * csvDataset: the rows streamed through worker threads are loadCsv's to the bit (numbers of every form,
 * quotes, line ends, chunk boundaries anywhere), classes and tasks as loadCsv decides them, seeded shuffles
 * that repeat, splits that partition, and bad input — bad cells, ragged rows, files changed or truncated
 * while read — ending a pass with an error naming the line and column (or counted with skipBadRows).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadCsv } from '../../../src/data/csv';
import { csvDataset, type CsvBatch, type CsvRow } from '../../../src/data/dataset/csv-dataset';
import { closeIdleWorkers } from '../../../src/data/dataset/worker-pool';
import { Rng } from '../../../src/random';
import type { Dataset } from '../../../src/data/dataset/dataset';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-csvds-'));
const file = (name: string, text: string | Buffer) => {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, text);
  return p;
};
afterAll(async () => {
  await closeIdleWorkers();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Every batch's xs and ys, concatenated. */
async function collect(ds: Dataset<CsvBatch>): Promise<{ x: number[]; y: number[]; batches: number[] }> {
  const x: number[] = [],
    y: number[] = [],
    batches: number[] = [];
  await ds.forEachAsync((b) => {
    x.push(...b.xs.data);
    if (b.ys) y.push(...b.ys.data);
    batches.push(b.xs.shape[0]);
  });
  return { x, y, batches };
}

/** Numbers in every form loadCsv reads: exponents, signs, long mantissas, hex, spaces, -0, big and tiny. */
function numberText(rng: Rng): string {
  const v = rng.normal(0, 10);
  switch (rng.int(12)) {
    case 0:
      return v.toExponential(rng.int(8));
    case 1:
      return String(v); // up to 17 significant digits: the string path
    case 2:
      return `  ${v.toFixed(3)} `;
    case 3:
      return `+${Math.abs(v).toFixed(2)}`;
    case 4:
      return '-0';
    case 5:
      return `0x${rng.int(4096).toString(16)}`;
    case 6:
      return `${rng.int(1000)}.`;
    case 7:
      return `.${rng.int(1000)}`;
    case 8:
      return (v * 1e-30).toPrecision(6);
    case 9:
      return `"${v.toFixed(4)}"`;
    case 10:
      return String(rng.int(2 ** 31));
    default:
      return v.toPrecision(7);
  }
}

function randomCsv(rng: Rng, rows: number, labels: string[], eol = '\n'): string {
  const lines = ['a,"b, quoted",c,label'];
  for (let r = 0; r < rows; r++) {
    if (rng.int(50) === 0) lines.push('   ');
    lines.push([numberText(rng), numberText(rng), numberText(rng), labels[rng.int(labels.length)]].join(','));
  }
  return '\ufeff' + lines.join(eol) + (rng.int(2) ? eol : '');
}

describe('csvDataset reads what loadCsv reads, bit for bit', () => {
  test.each([
    ['\n', 1, 1 << 20],
    ['\r\n', 3, 64],
    ['\n', 2, 97],
  ])('line ends %j, %d parser(s), chunks of %d bytes', async (eol, workers, chunkBytes) => {
    const rng = new Rng(chunkBytes);
    const p = file(`same-${chunkBytes}.csv`, randomCsv(rng, 700, ['dog', 'cat', '"quoted, label"', 'ému'], eol));
    const ref = loadCsv(p, { target: 'label' });
    const ds = csvDataset(p, { target: 'label', batchSize: 64, workers, chunkBytes });
    const info = await ds.info();
    expect(info).toEqual({
      featureNames: ref.featureNames,
      targetName: 'label',
      task: 'classification',
      classes: ref.classes,
      records: 700,
    });
    const got = await collect(ds);
    expect(Float32Array.from(got.x)).toEqual(ref.x.data);
    expect(got.y).toEqual(Array.from(ref.y as Int32Array));
    expect(got.batches).toEqual([...Array(10).fill(64), 60]);
    expect(ds.size).toBe(11);
    expect(ds.lastPass).toEqual({ records: 700, rows: 700, skipped: 0, skippedExamples: [] });
  });

  test('numeric labels: auto task, classes sorted as numbers, 1 and 1.0 the same class', async () => {
    const p = file('num-labels.csv', 'x,y\n1,10\n2,9\n3,1.0\n4,1\n5,9\n');
    const ref = loadCsv(p, { target: 'y' });
    const ds = csvDataset(p, { target: 'y', batchSize: 2, chunkBytes: 64 });
    expect((await ds.info()).classes).toEqual(ref.classes);
    expect((await collect(ds)).y).toEqual(Array.from(ref.y as Int32Array));
  });

  test('regression targets (auto and explicit), float64, rows without batchSize', async () => {
    const rng = new Rng(5);
    const text = [
      'f,g,t',
      ...Array.from({ length: 300 }, () => [0, 1, 2].map(() => rng.normal(0, 3).toFixed(5)).join(',')),
    ];
    const p = file('reg.csv', text.join('\n'));
    const ref = loadCsv(p, { target: 't' });
    expect(ref.task).toBe('regression');
    const auto = csvDataset(p, { target: 't', batchSize: 50 });
    expect((await auto.info()).task).toBe('regression');
    const got = await collect(auto);
    expect(Float32Array.from(got.y)).toEqual((ref.y as { data: Float32Array }).data);
    const f64 = csvDataset(p, { target: 't', task: 'regression', dtype: 'float64', batchSize: 300 });
    const [b] = await f64.toArray();
    expect(b.xs.data).toBeInstanceOf(Float64Array);
    expect(b.ys!.shape).toEqual([300, 1]);
    expect(Float32Array.from(b.xs.data)).toEqual(ref.x.data);
    const rows = await csvDataset(p, { target: 't', task: 'regression' }).take(3).toArray();
    expect(rows.map((r: CsvRow) => r.xs.shape)).toEqual([[2], [2], [2]]);
    expect(rows.map((r: CsvRow) => r.ys)).toEqual(Array.from((ref.y as { data: Float32Array }).data).slice(0, 3));
  });

  test('columns, columnDefaults, header: false, another delimiter, a file descriptor and a FileHandle', async () => {
    const p = file('semi.csv', '1;;3;a\n4;5;;b\n');
    const ds = csvDataset(p, {
      header: false,
      delimiter: ';',
      target: '3',
      columns: ['2', '0', '1'],
      columnDefaults: { '2': -1, '1': 7 },
      batchSize: 8,
    });
    expect(await collect(ds)).toEqual({ x: [3, 1, 7, -1, 4, 5], y: [0, 1], batches: [2] });
    const fd = fs.openSync(p, 'r');
    try {
      const byFd = csvDataset(fd, {
        header: false,
        delimiter: ';',
        columns: ['0', '1', '2'],
        columnDefaults: 0,
        batchSize: 8,
      });
      expect((await collect(byFd)).x).toEqual([1, 0, 3, 4, 5, 0]);
      expect((await collect(byFd)).x).toEqual([1, 0, 3, 4, 5, 0]); // the descriptor stays open and usable
    } finally {
      fs.closeSync(fd);
    }
    const fh = await fs.promises.open(p, 'r');
    try {
      const byHandle = csvDataset(fh, { header: false, delimiter: ';', columns: ['0'], batchSize: 1 });
      expect((await collect(byHandle)).batches).toEqual([1, 1]);
    } finally {
      await fh.close();
    }
  });

  test('a scaler applied in the loader thread equals Scaler.transform on loadCsv', async () => {
    const { standardScaler } = await import('../../../src/data/preprocess');
    const rng = new Rng(9);
    const p = file(
      'scale.csv',
      [
        'u,v,w',
        ...Array.from({ length: 200 }, () =>
          [rng.normal(5, 2), rng.normal(-3, 9), rng.normal(0, 1)].map((v) => v.toFixed(4)).join(','),
        ),
      ].join('\n'),
    );
    const ref = loadCsv(p, { target: 'w', task: 'regression' });
    const s = standardScaler().fit(ref.x);
    const got = await collect(csvDataset(p, { target: 'w', task: 'regression', scaler: s, batchSize: 33 }));
    expect(Float32Array.from(got.x)).toEqual(s.transform(ref.x).data);
  });
});

describe('shuffling and splits', () => {
  const rows = 2000;
  const p = () => file('ids.csv', ['id,label', ...Array.from({ length: rows }, (_, i) => `${i},${i % 3}`)].join('\n'));

  test('a seeded shuffle repeats across datasets and runs, differs between passes, and matches shuffle()', async () => {
    const f = p();
    const order = async (ds: Dataset<CsvBatch>) => (await collect(ds)).x;
    const a = csvDataset(f, {
      target: 'label',
      batchSize: 32,
      shuffle: { buffer: 500, seed: 4 },
      workers: 2,
      chunkBytes: 512,
    });
    const first = await order(a);
    const second = await order(a);
    expect([...first].sort((u, v) => u - v)).toEqual(Array.from({ length: rows }, (_, i) => i));
    expect(second).not.toEqual(first); // pass 1 has its own order
    const b = csvDataset(f, { target: 'label', batchSize: 32, shuffle: { buffer: 500, seed: 4 }, workers: 1 });
    expect(await order(b)).toEqual(first); // the same pass 0, whatever the threads and chunks
    // The shuffle fused into the loader thread gives the order of the generic shuffle on the main thread.
    const fused = csvDataset(f, { target: 'label' }).shuffle(500, 4).batch(32);
    expect(await order(fused as Dataset<CsvBatch>)).toEqual(first);
    const generic = csvDataset(f, { target: 'label' })
      .map((r) => r)
      .shuffle(500, 4)
      .batch(32);
    const g: number[] = [];
    for await (const batch of generic) g.push(...(batch as CsvBatch).xs.data);
    expect(g).toEqual(first);
    expect(
      await order(csvDataset(f, { target: 'label', batchSize: 32, shuffle: { buffer: 500, seed: 5 } })),
    ).not.toEqual(first);
  });

  test('validationSplit partitions the rows by seed, the same way in both subsets', async () => {
    const f = p();
    const part = (subset: 'training' | 'validation', seed = 3) =>
      collect(csvDataset(f, { target: 'label', batchSize: 100, validationSplit: 0.25, subset, seed, chunkBytes: 300 }));
    const train = (await part('training')).x;
    const val = (await part('validation')).x;
    expect([...train, ...val].sort((u, v) => u - v)).toEqual(Array.from({ length: rows }, (_, i) => i));
    expect(val.length / rows).toBeGreaterThan(0.2);
    expect(val.length / rows).toBeLessThan(0.3);
    expect((await part('validation')).x).toEqual(val);
    expect((await part('validation', 4)).x).not.toEqual(val);
    expect(() => csvDataset(f, { validationSplit: 0.2, subset: 'training' })).toThrow(/give a 'seed'/);
  });

  test('stopping early (take) ends the pass cleanly; the next pass starts from the top', async () => {
    const ds = csvDataset(p(), { target: 'label', batchSize: 10, chunkBytes: 256 });
    expect((await collect(ds.take(2) as Dataset<CsvBatch>)).x).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect((await collect(ds.take(1) as Dataset<CsvBatch>)).x).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect((await collect(ds)).x.length).toBe(rows);
  });
});

describe('bad input', () => {
  test('a bad cell names its line and column, as loadCsv does; skipBadRows skips and counts', async () => {
    const text = 'a,b,y\n1,2,p\n3,oops,q\n\n5,6,p\n7,8\n9,10,11,q\n"1\n2",3,p\n4,,q\n';
    const p = file('bad.csv', text);
    expect(() => loadCsv(p, { target: 'y' })).toThrow(`${p}: line 3, column 'b': 'oops' is not a number`);
    const ds = csvDataset(p, { target: 'y', batchSize: 4, chunkBytes: 64 });
    await expect(collect(ds)).rejects.toThrow(`${p}: line 3, column 'b': 'oops' is not a number`);
    const skip = csvDataset(p, {
      target: 'y',
      batchSize: 4,
      skipBadRows: true,
      classes: ['p', 'q'],
      task: 'classification',
    });
    const got = await collect(skip);
    expect(got.x).toEqual([1, 2, 5, 6]);
    expect(skip.lastPass!.skipped).toBe(5);
    expect(skip.lastPass!.skippedExamples).toEqual([
      `${p}: line 3, column 'b': 'oops' is not a number`,
      `${p}: line 6: has 2 fields but the header has 3; every row needs 3`,
      `${p}: line 7: has 4 fields but the header has 3; every row needs 3`,
      `${p}: line 8, column 'a': '1\n2' is not a number`,
      `${p}: line 10, column 'b': '' is not a number`,
    ]);
  });

  test('quoteContent: false: errors and skipped rows quote no cell, label or column name of the file', async () => {
    const p = file('secret.csv', 'alpha,beta,kind\n1,2,p\n3,SECRET,q\n5,6,HIDDEN\n');
    const quiet = { target: 'kind', batchSize: 2, quoteContent: false, name: 'store/secret.csv' };
    expect(() => loadCsv(p, { target: 'kind', quoteContent: false, name: 'store/secret.csv' })).toThrow(
      'store/secret.csv: line 3, column 2: the cell is not a number',
    );
    await expect(collect(csvDataset(p, quiet))).rejects.toThrow(
      'store/secret.csv: line 3, column 2: the cell is not a number',
    );
    const skip = csvDataset(p, { ...quiet, skipBadRows: true, classes: ['p', 'q'], task: 'classification' });
    await collect(skip);
    expect(skip.lastPass!.skippedExamples).toEqual([
      'store/secret.csv: line 3, column 2: the cell is not a number',
      'store/secret.csv: line 4, column 3: the cell is not one of the known classes',
    ]);
    await expect(collect(csvDataset(p, { ...quiet, target: 'nope' }))).rejects.toThrow(
      "store/secret.csv: no column named 'nope'; the header has 3 columns",
    );
    const dup = file('dup.csv', 'alpha,alpha,kind\n1,2,p\n');
    await expect(collect(csvDataset(dup, quiet))).rejects.toThrow('columns 1 and 2 of the header have one name');
    const errors = await Promise.all(
      [p, dup].map((f) => collect(csvDataset(f, { ...quiet, target: 'nope' })).catch((e: Error) => e.message)),
    );
    for (const m of errors) expect(m).not.toMatch(/alpha|beta|SECRET|HIDDEN/);
  });

  test('labels: empty or unknown; a bare CR; an unclosed quote; a record over maxRowBytes', async () => {
    const labels = file('labels.csv', 'x,y\n1,a\n2,\n');
    await expect(collect(csvDataset(labels, { target: 'y', batchSize: 2 }))).rejects.toThrow(
      `${labels}: line 3, column 'y': '' is an empty label; every row needs a class label`,
    );
    await expect(
      collect(csvDataset(labels, { target: 'y', classes: ['b'], task: 'classification', batchSize: 2 })),
    ).rejects.toThrow(`line 2, column 'y': 'a' is not one of the known classes`);
    const cr = file('cr.csv', 'x,y\n1,2\r3,4\n');
    await expect(collect(csvDataset(cr, { batchSize: 2 }))).rejects.toThrow(/line 2: has a bare carriage return/);
    const quote = file('quote.csv', 'x,y\n1,2\n"3,4\n5,6\n');
    await expect(collect(csvDataset(quote, { batchSize: 2 }))).rejects.toThrow(/line 3: a quoted field is not closed/);
    const long = file('long.csv', `x,y\n1,2\n"${'z'.repeat(5000)}\n3,4\n`);
    await expect(collect(csvDataset(long, { batchSize: 2, maxRowBytes: 1000, chunkBytes: 256 }))).rejects.toThrow(
      /record starting on line 3 is longer than maxRowBytes \(1000 bytes\); an unclosed quote/,
    );
  });

  test('the file and options are checked: missing file, not a file, empty, header only, unknown column, too wide', async () => {
    const later = csvDataset(path.join(tmp, 'later.csv'), { target: 'b', batchSize: 1 });
    await expect(collect(later)).rejects.toThrow(/cannot open the file \(ENOENT\)/);
    file('later.csv', 'a,b\n1,x\n');
    expect((await collect(later)).y).toEqual([0]); // a failed open is not remembered
    await expect(collect(csvDataset(tmp, { batchSize: 1 }))).rejects.toThrow(/not a regular file/);
    await expect(collect(csvDataset(file('empty.csv', ''), { batchSize: 1 }))).rejects.toThrow(/the file is empty/);
    await expect(collect(csvDataset(file('head.csv', 'a,b\n'), { batchSize: 1 }))).rejects.toThrow(
      /has a header but no data rows/,
    );
    const ab = file('ab.csv', 'a,b\n1,2\n');
    await expect(csvDataset(ab, { target: 'z' }).info()).rejects.toThrow(/no column named 'z'; columns are: a, b/);
    await expect(collect(csvDataset(ab, { batchSize: 1, maxColumns: 1 }))).rejects.toThrow(
      /more than 1 columns, the limit \(maxColumns\)/,
    );
    expect(() => csvDataset(ab, { batchSize: 0 })).toThrow(/'batchSize' must be an integer in \[1/);
    expect(() => csvDataset(ab, { bogus: 1 } as never)).toThrow(/unknown option 'bogus'/);
    expect(() => csvDataset(-1 as never)).toThrow(/expected a file path, an open file descriptor/);
  });

  test('a file that grows, shrinks or is rewritten while a pass reads it ends the pass with an error', async () => {
    const rows = Array.from({ length: 20000 }, (_, i) => `${i},${i % 2}`);
    for (const change of ['append', 'truncate', 'rewrite'] as const) {
      const p = file(`changing-${change}.csv`, ['v,y', ...rows].join('\n') + '\n');
      const ds = csvDataset(p, { target: 'y', task: 'regression', batchSize: 100, chunkBytes: 4096, prefetch: 2 });
      let n = 0;
      const pass = ds.forEachAsync(async () => {
        if (n++ === 3) {
          if (change === 'append') fs.appendFileSync(p, '1,1\n');
          else if (change === 'truncate') fs.truncateSync(p, 1000);
          else {
            const fd = fs.openSync(p, 'r+');
            fs.writeSync(fd, '9', 100);
            fs.futimesSync(fd, new Date(), new Date(Date.now() + 5000));
            fs.closeSync(fd);
          }
        }
      });
      await expect(pass).rejects.toThrow(
        change === 'append'
          ? /grew \(.* bytes\) while it was being read/
          : change === 'truncate'
            ? /truncated/
            : /was modified while it was being read/,
      );
    }
  });

  test('a file replaced between passes is refused rather than mixed into the dataset', async () => {
    const p = file('replaced.csv', 'v,y\n1,0\n2,1\n');
    const ds = csvDataset(p, { target: 'y', task: 'regression', batchSize: 2 });
    await collect(ds);
    fs.writeFileSync(p + '.new', 'v,y\n1,0\n2,1\n3,1\n');
    fs.renameSync(p + '.new', p);
    await expect(collect(ds)).rejects.toThrow(/changed since the dataset's first pass read it/);
  });
});
