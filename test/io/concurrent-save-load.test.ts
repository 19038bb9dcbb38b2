/**
 * Concurrent savers and a loader on one directory: two processes save different weights in a loop while
 * this process loads in a loop. No load may fail or see a mix of two saves (checksums checked on every
 * load), no writer may crash, and afterwards the directory holds no leftovers.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bp } from '../model/support';

const DIST = path.resolve(__dirname, '../../dist/index.js');
const SECONDS = Number(process.env.BACKPROP_CONCURRENCY_SECONDS ?? 20);

// Writer `sign` saves weights that all equal sign * k on its k-th save, so a load tells who wrote it and
// whether every value came from one save.
const WRITER = `
const bp = require(${JSON.stringify(DIST)});
const [dir, sign, seconds] = process.argv.slice(1).map((a, i) => (i === 0 ? a : Number(a)));
const model = bp.sequential({ layers: [bp.layers.dense({ units: 16, inputShape: [32] }), bp.layers.dense({ units: 4 })] });
const end = Date.now() + seconds * 1000;
let k = 0;
(async () => {
  while (Date.now() < end) {
    k++;
    model.setWeights(model.getWeights().map((w) => w.data.map(() => sign * k)));
    await model.save(dir);
  }
  process.stdout.write(String(k));
})().catch((e) => { console.error(e && e.stack); process.exit(1); });`;

interface WriterResult {
  code: number | null;
  saves: number;
  stderr: string;
}

function startWriter(dir: string, sign: number): Promise<WriterResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', WRITER, dir, String(sign), String(SECONDS)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stderr = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, saves: Number(out), stderr }));
  });
}

(fs.existsSync(DIST) ? test : test.skip)(
  `two processes saving and one loading for ${SECONDS} s: every load complete, no failure, no crash`,
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-concurrent-'));
    const seed = bp.sequential({
      layers: [bp.layers.dense({ units: 16, inputShape: [32] }), bp.layers.dense({ units: 4 })],
    });
    seed.setWeights(seed.getWeights().map((w) => w.data.map(() => 0)));
    await seed.save(dir);

    let running = 2;
    const writers = [1, -1].map((sign) => startWriter(dir, sign).finally(() => running--));
    let loads = 0;
    const failures: string[] = [];
    const seen = { positive: 0, negative: 0 };
    while (running > 0) {
      try {
        const m = await bp.loadLayersModel(dir);
        const values = new Set(m.getWeights().flatMap((w) => Array.from(w.data)));
        if (values.size !== 1) failures.push(`a load mixed saves: ${[...values].slice(0, 4).join(', ')}`);
        const v = [...values][0];
        if (v > 0) seen.positive++;
        if (v < 0) seen.negative++;
        loads++;
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
    const results = await Promise.all(writers);

    expect(failures.slice(0, 5)).toEqual([]);
    expect(results.map((r) => [r.code, r.stderr])).toEqual([
      [0, ''],
      [0, ''],
    ]);
    for (const r of results) expect(r.saves).toBeGreaterThan(20);
    expect(loads).toBeGreaterThan(20);
    // both writers' saves were loaded: the test exercised them concurrently
    expect(seen.positive).toBeGreaterThan(0);
    expect(seen.negative).toBeGreaterThan(0);

    // once the writers are done, one more save leaves only its weights, the previous ones, and model.json
    await seed.save(dir);
    const files = fs.readdirSync(dir);
    expect(files.filter((f) => f.includes('.bp-'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('weights-')).length).toBeLessThanOrEqual(2);
    expect((await bp.loadLayersModel(dir)).getWeights()[0].data[0]).toBe(0);
  },
  SECONDS * 1000 + 60000,
);
