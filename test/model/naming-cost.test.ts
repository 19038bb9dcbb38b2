/**
 * Default layer names and the cost of naming (issue 20, finding 10). Layers without a name get `<kind>_<n>`,
 * the smallest n not taken in the model; finding it used to scan the model for every candidate, so naming L
 * unnamed layers of one kind took O(L^3): 1.3 s for a 1,000-layer job spec, minutes for a 10,000-layer
 * model.json. The cost tests double the input and bound the ratio of two measurements in the same test (a
 * linear check gives about 2, the old code 5 to 10), which does not depend on the machine's speed; they measure
 * the process's CPU time, which other processes on a busy machine do not inflate.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bp } from './support';
import { nameLayers } from '../../src/model/model';

/** CPU time of this process in ms (time it was descheduled by other processes on the machine is not counted). */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** CPU time of `reps` calls of `f`, in ms. */
async function cost(reps: number, f: () => unknown): Promise<number> {
  const t = cpuMs();
  for (let i = 0; i < reps; i++) await f();
  return cpuMs() - t;
}

/**
 * The ratio of the cheapest of `runs` measurements of `large` to that of `small`, interleaved so a burst of
 * load hits both alike; each measurement repeats its call `reps` times so that it lasts tens of milliseconds.
 */
async function ratio(runs: number, reps: number, small: () => unknown, large: () => unknown): Promise<number> {
  let a = Infinity,
    b = Infinity;
  for (let i = 0; i < runs; i++) {
    a = Math.min(a, await cost(reps, small));
    b = Math.min(b, await cost(reps, large));
  }
  return b / a;
}

describe('default layer names', () => {
  test('the smallest unused <kind>_<n> per kind, as model.add gives them and nameLayers plans them', () => {
    const m = bp.sequential();
    m.add(bp.layers.dense({ units: 2, inputShape: [2] }));
    m.add(bp.layers.dense({ units: 2, name: 'dense_3' }));
    m.add(bp.layers.dropout({ rate: 0.1 }));
    m.add(bp.layers.dense({ units: 2 }));
    m.add(bp.layers.dense({ units: 2 }));
    m.add(bp.layers.activation({ activation: 'relu', name: 'dropout_2' }));
    m.add(bp.layers.dropout({ rate: 0.1 }));
    expect(m.layers.map((l) => l.name)).toEqual([
      'dense_1',
      'dense_3',
      'dropout_1',
      'dense_2',
      'dense_4',
      'dropout_2',
      'dropout_3',
    ]);
    expect(() => m.add(bp.layers.dense({ units: 2, name: 'dense_4' }))).toThrow(/'dense_4' already exists/);
    const same = bp.layers.dense({ units: 2 });
    m.add(same);
    expect(() => m.add(same)).toThrow(/already in this model/);

    // Planned names (the loader and spec checks) also avoid names given later in the list.
    const layers = [
      bp.layers.dense({ units: 2 }),
      bp.layers.dense({ units: 2 }),
      bp.layers.dense({ units: 2, name: 'dense_2' }),
      bp.layers.dense({ units: 2 }),
    ];
    nameLayers(layers);
    expect(layers.map((l) => l.name)).toEqual(['dense_1', 'dense_3', 'dense_2', 'dense_4']);
    // The constructor gives a list the names adding them one by one gives.
    const built = bp.sequential({
      layers: [bp.layers.dense({ units: 2, inputShape: [2] }), bp.layers.dense({ units: 1 })],
    });
    expect(built.getWeights().map((w) => w.name)).toEqual([
      'dense_1/kernel',
      'dense_1/bias',
      'dense_2/kernel',
      'dense_2/bias',
    ]);
  });

  test('default names avoid the names inside nested models at any depth (Sequential and functional)', () => {
    const inner = bp.sequential({ layers: [bp.layers.dense({ units: 2, inputShape: [2] })] });
    const middle = bp.sequential({ layers: [inner, bp.layers.dense({ units: 2 })] });
    const outer = bp.sequential();
    outer.add(middle);
    outer.add(bp.layers.dense({ units: 2 }));
    expect([inner.layers[0].name, middle.layers[1].name, outer.layers[1].name]).toEqual([
      'dense_1',
      'dense_2',
      'dense_3',
    ]);

    const innerIn = bp.input({ shape: [2] });
    const fInner = bp.model({ inputs: innerIn, outputs: bp.layers.dense({ units: 2 }).apply(innerIn) });
    const middleIn = bp.input({ shape: [2] });
    const fMiddle = bp.model({
      inputs: middleIn,
      outputs: bp.layers.dense({ units: 2 }).apply(fInner.apply(middleIn)),
    });
    const x = bp.input({ shape: [2] });
    const fOuter = bp.model({ inputs: x, outputs: bp.layers.dense({ units: 2 }).apply(fMiddle.apply(x)) });
    expect(fOuter.layers.map((l) => l.className)).toEqual(['InputLayer', 'Model', 'Dense']);
    expect(fOuter.layers[2].name).toBe('dense_3');
    const names = fOuter.getWeights().map((w) => w.name);
    expect(new Set(names).size).toBe(names.length);
  });

  test('checking a job spec is linear in its layers (1,000 unnamed layers, the spec limit)', async () => {
    const spec = (n: number) => ({
      layers: Array.from({ length: n }, (_, i) => (i === 0 ? { units: 2, inputShape: [2] } : { units: 2 })),
      compile: { loss: 'mse' },
    });
    const half = spec(500),
      full = spec(1000);
    bp.jobs.specParameters(full, 2); // warm-up
    const r = await ratio(
      5,
      10,
      () => bp.jobs.specParameters(half, 2),
      () => bp.jobs.specParameters(full, 2),
    );
    expect(r).toBeLessThan(3.5);
  });

  test('loading a model.json is linear in its layers (unnamed layers, and a built first layer)', async () => {
    const dir = (n: number) => {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-naming-'));
      const layers = Array.from({ length: n }, (_, i) =>
        i === 0
          ? { class_name: 'Dense', config: { units: 2, batch_input_shape: [null, 2] } }
          : i % 2
            ? { class_name: 'Activation', config: { activation: 'relu' } }
            : { class_name: 'Dense', config: { units: 2 } },
      );
      const json = { modelTopology: { class_name: 'Sequential', config: { layers } }, weightsManifest: [] };
      fs.writeFileSync(path.join(d, 'model.json'), JSON.stringify(json));
      return d;
    };
    const half = dir(1000),
      full = dir(2000);
    const load = (d: string) => bp.loadLayersModel(d, { strict: false });
    const model = await load(full);
    expect(model.layers.slice(-2).map((l) => l.name)).toEqual(['dense_1000', 'activation_1000']);
    const r = await ratio(
      3,
      2,
      () => load(half),
      () => load(full),
    );
    expect(r).toBeLessThan(3.5);
    fs.rmSync(half, { recursive: true });
    fs.rmSync(full, { recursive: true });
  });
});
