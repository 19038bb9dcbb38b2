/**
 * Crash safety: a child process saves repeatedly and is killed (SIGKILL) at random moments, 200 times;
 * after every kill the directory loads as one complete model (weights all from one save), with a valid
 * checksum.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bp } from '../model/support';

const DIST = path.resolve(__dirname, '../../dist/index.js');
const KILLS = Number(process.env.BACKPROP_CRASH_KILLS ?? 200);

const CHILD = `
const bp = require(${JSON.stringify(DIST)});
const dir = process.argv[1];
const model = bp.sequential({ layers: [bp.layers.dense({ units: 16, inputShape: [32] }), bp.layers.dense({ units: 4 })] });
let k = Number(process.argv[2]);
process.stdout.write('ready\\n');
(async () => {
  for (;;) {
    k++;
    // every weight of save number k equals k, so a torn mix of two saves is detectable
    model.setWeights(model.getWeights().map((w) => w.data.map(() => k)));
    await model.save(dir);
  }
})();`;

function runAndKill(dir: string, start: number, delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', CHILD, dir, String(start)], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), delayMs));
    child.once('exit', () => resolve());
    child.once('error', reject);
  });
}

(fs.existsSync(DIST) ? test : test.skip)(
  `${KILLS} kills at random moments never leave a torn model`,
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-crash-'));
    const seed = bp.sequential({
      layers: [bp.layers.dense({ units: 16, inputShape: [32] }), bp.layers.dense({ units: 4 })],
    });
    seed.setWeights(seed.getWeights().map((w) => w.data.map(() => 0)));
    await seed.save(dir);
    const rng = new bp.Rng(1);
    let previous = 0;
    let changed = 0;
    for (let i = 0; i < KILLS; i++) {
      await runAndKill(dir, previous + 1000, rng.int(40));
      const m = await bp.loadLayersModel(dir); // throws on a torn model or a bad checksum
      const values = new Set(m.getWeights().flatMap((w) => Array.from(w.data)));
      expect(values.size).toBe(1);
      const k = [...values][0];
      if (k !== previous) changed++;
      previous = k;
    }
    // the kills must have landed while saves were happening, not only before the first one
    expect(changed).toBeGreaterThan(KILLS / 4);
  },
  600000,
);
