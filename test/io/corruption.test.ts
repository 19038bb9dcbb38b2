/**
 * Corruption: every single-byte change of a small model's weights file, and every truncation of either
 * file, is rejected with a clear error; thousands of mutated model.json files give only format errors
 * (or, for harmless mutations, a valid model) — never a crash, a hang or a huge allocation.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bp } from '../model/support';

let dir: string;
let jsonText: string;
let weightsName: string;
let weights: Buffer;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-corrupt-'));
  const m = bp.sequential({
    seed: 2,
    layers: [
      bp.layers.dense({ units: 3, activation: 'relu', inputShape: [2] }),
      bp.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  m.trainOnBatch([[1, 2]], [[1, 0]]);
  await m.save(dir, { includeOptimizer: true });
  jsonText = fs.readFileSync(path.join(dir, 'model.json'), 'utf8');
  weightsName = JSON.parse(jsonText).weightsManifest[0].paths[0];
  weights = fs.readFileSync(path.join(dir, weightsName));
});

function restore(): void {
  fs.writeFileSync(path.join(dir, 'model.json'), jsonText);
  fs.writeFileSync(path.join(dir, weightsName), weights);
}

async function expectRejected(label: string): Promise<string> {
  try {
    await bp.loadLayersModel(dir);
  } catch (e) {
    expect((e as Error).name).toBe('ModelFormatError');
    return (e as Error).message;
  }
  throw new Error(`${label}: the corrupted model loaded`);
}

test('the intact model loads', async () => {
  restore();
  await expect(bp.loadLayersModel(dir)).resolves.toBeDefined();
});

test('every single-byte flip of the weights file is rejected (checksum)', async () => {
  for (let i = 0; i < weights.length; i++) {
    for (const mask of [0x01, 0x80, 0xff]) {
      const bad = Buffer.from(weights);
      bad[i] ^= mask;
      fs.writeFileSync(path.join(dir, weightsName), bad);
      const msg = await expectRejected(`byte ${i} ^ ${mask}`);
      expect(msg).toContain(weightsName);
      expect(msg).toContain('checksum mismatch');
    }
  }
  restore();
});

test('every truncation of the weights file is rejected', async () => {
  for (let len = 0; len < weights.length; len++) {
    fs.writeFileSync(path.join(dir, weightsName), weights.subarray(0, len));
    expect(await expectRejected(`weights truncated to ${len}`)).toMatch(/truncated or wrong file/);
  }
  restore();
});

test('every truncation of model.json is rejected', async () => {
  for (let len = 0; len < jsonText.length; len++) {
    fs.writeFileSync(path.join(dir, 'model.json'), jsonText.slice(0, len));
    expect(await expectRejected(`model.json truncated to ${len}`)).toContain('model.json');
  }
  restore();
});

test('a missing weights file and a __proto__ key are rejected', async () => {
  fs.rmSync(path.join(dir, weightsName));
  expect(await expectRejected('missing weights')).toMatch(/missing/);
  restore();
  fs.writeFileSync(path.join(dir, 'model.json'), jsonText.replace('"format":', '"__proto__":{"polluted":1},"format":'));
  expect(await expectRejected('__proto__')).toMatch(/forbidden key '__proto__'/);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  restore();
});

test('fuzz: 3000 mutated model.json files give only format errors or valid models', async () => {
  const rng = new bp.Rng(99);
  const base = JSON.parse(jsonText);
  const weird = [
    null,
    -1,
    0,
    1.5,
    2 ** 31,
    2 ** 53,
    1e308,
    -1e308,
    '',
    'x'.repeat(2000),
    [],
    {},
    [[[]]],
    true,
    '__proto__',
    'Dense',
    'relu',
    '../../etc/passwd',
    [1e9, 1e9],
    [2 ** 20, 2 ** 20, 2 ** 20],
  ];
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, p: (string | number)[]) => {
    paths.push(p);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
  };
  walk(base, []);
  let loaded = 0,
    rejected = 0;
  for (let i = 0; i < 3000; i++) {
    let text: string;
    if (i % 3 === 0) {
      // byte-level mutation of the text
      const chars = jsonText.split('');
      for (let j = 0; j < 1 + rng.int(4); j++) chars[rng.int(chars.length)] = String.fromCharCode(32 + rng.int(95));
      text = chars.join('');
    } else {
      // structural mutation: replace a random node with a weird value, or delete it
      const doc = JSON.parse(jsonText);
      const p = paths[1 + rng.int(paths.length - 1)];
      let parent = doc;
      for (const k of p.slice(0, -1)) parent = parent[k];
      const key = p[p.length - 1];
      if (rng.int(4) === 0) delete parent[key];
      else parent[key] = weird[rng.int(weird.length)];
      text = JSON.stringify(doc);
    }
    fs.writeFileSync(path.join(dir, 'model.json'), text);
    try {
      const m = await bp.loadLayersModel(dir);
      expect(m.params().length).toBeGreaterThan(0);
      loaded++;
    } catch (e) {
      if ((e as Error).name !== 'ModelFormatError')
        throw new Error(`mutation ${i} gave a non-format error: ${(e as Error).stack}\n${text.slice(0, 400)}`);
      rejected++;
    }
  }
  restore();
  expect(rejected).toBeGreaterThan(1500);
  expect(loaded + rejected).toBe(3000);
}, 120000);
