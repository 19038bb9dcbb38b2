/**
 * Preprocessing fitted on a stream: scalers in one pass over a dataset (fit's numbers up to rounding;
 * min-max exactly), on a sample, and tokenizers from a dataset of texts (fit's vocabulary exactly).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as bp from '../../../src';
import { closeIdleWorkers } from '../../../src/data/dataset/worker-pool';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-streamfit-'));
afterAll(async () => {
  await closeIdleWorkers();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('fitting preprocessing on a stream', () => {
  const rng = new bp.Rng(4);
  const rows = Array.from({ length: 3000 }, () => [rng.normal(1e4, 3), rng.normal(-2, 0.01), 7, rng.uniform(0, 1)]);
  const csv = path.join(tmp, 'scale.csv');
  fs.writeFileSync(csv, ['a,b,c,d', ...rows.map((r) => r.map((v) => v.toPrecision(9)).join(','))].join('\n'));

  test('standard and min-max scalers from csvDataset batches: fit on the same rows', async () => {
    const ref = bp.data.loadCsv(csv);
    for (const kind of ['standard', 'minmax'] as const) {
      const want = (kind === 'standard' ? bp.data.standardScaler() : bp.data.minMaxScaler()).fit(ref.x);
      const got = await (kind === 'standard' ? bp.data.standardScaler() : bp.data.minMaxScaler()).fitDataset(
        bp.data.csvDataset(csv, { batchSize: 128, chunkBytes: 4096 }),
      );
      for (let c = 0; c < 4; c++) {
        if (kind === 'minmax') {
          expect(got.offset[c]).toBe(want.offset[c]);
          expect(got.scale[c]).toBe(want.scale[c]);
        } else {
          expect(Math.abs(got.offset[c] - want.offset[c])).toBeLessThanOrEqual(1e-12 * Math.abs(want.offset[c]));
          expect(Math.abs(got.scale[c] - want.scale[c])).toBeLessThanOrEqual(1e-9 * want.scale[c]);
        }
      }
      expect(got.scale[2]).toBe(1); // a constant column
    }
  });

  test('on rows, nested arrays and a sample; bad elements refused', async () => {
    const s = await bp.data.standardScaler().fitDataset(bp.data.array(rows), { sample: 100 });
    const want = bp.data.standardScaler().fit(rows.slice(0, 100));
    expect(s.offset[0]).toBeCloseTo(want.offset[0], 6);
    expect(s.scale[1]).toBeCloseTo(want.scale[1], 10);
    const m = await bp.data.minMaxScaler().fitDataset([rows.slice(0, 50), rows.slice(50, 60)]);
    expect(Array.from(m.offset)).toEqual(Array.from(bp.data.minMaxScaler().fit(rows.slice(0, 60)).offset));
    await expect(
      bp.data.standardScaler().fitDataset(
        bp.data.array([
          [1, 2],
          [NaN, 1],
        ]),
      ),
    ).rejects.toThrow(/NaN in row 1, column 0/);
    await expect(bp.data.standardScaler().fitDataset(bp.data.array([[1, 2], [1]]))).rejects.toThrow(
      /has 1 columns but the first had 2/,
    );
    await expect(bp.data.standardScaler().fitDataset(bp.data.array([]))).rejects.toThrow(/no rows/);
    await expect(bp.data.standardScaler().fitDataset(bp.data.array(['a']))).rejects.toThrow(
      /elements must be rows of numbers/,
    );
    await expect(bp.data.standardScaler().fitDataset(bp.data.array([[1]]), { sample: 0 })).rejects.toThrow(
      /'sample' must be a positive integer/,
    );
  });

  test('a tokenizer from a text file streamed line by line: fit’s vocabulary; batches and samples', async () => {
    const words = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'dog', "isn't", 'here'];
    const lines = Array.from({ length: 2000 }, (_, i) =>
      Array.from({ length: 1 + (i % 7) }, (_, j) => words[(i * 3 + j * j) % words.length]).join(' '),
    );
    const p = path.join(tmp, 'corpus.txt');
    fs.writeFileSync(p, lines.join('\n') + '\n');
    const want = bp.data.tokenizer({ maxVocabulary: 6 }).fit(lines);
    const got = await bp.data.tokenizer({ maxVocabulary: 6 }).fitDataset(bp.data.textLineDataset(p));
    expect(got.vocabulary).toEqual(want.vocabulary);
    const batched = await bp.data.tokenizer({ maxVocabulary: 6 }).fitDataset(bp.data.textLineDataset(p).batch(64));
    expect(batched.vocabulary).toEqual(want.vocabulary);
    const sampled = await bp.data.tokenizer().fitDataset(bp.data.textLineDataset(p), { sample: 10 });
    expect(sampled.vocabulary).toEqual(bp.data.tokenizer().fit(lines.slice(0, 10)).vocabulary);
    await expect(bp.data.tokenizer().fitDataset(bp.data.array([5]))).rejects.toThrow(
      /'texts' must be an array of strings/,
    );
  });
});
