/**
 * Jobs on a functional spec with two inputs (one int32) and two outputs, fed by name: a CSV's columns mapped with
 * `data: { csv, inputs, targets }` (loaded, and streamed), and arrays `{ x: { name }, y: { name } }`; a saved
 * model trained on through the same map. Every field of the map is hostile input: wrong, missing, duplicate and
 * oversized entries are refused before a worker starts (or, for what only the file can tell, before the model is
 * built), naming the field and the fix.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { twoHeadsCsv, twoHeadsMap, twoHeadsRows, twoHeadsSpec } from '../support/two-heads-spec';

const DIST = path.resolve(__dirname, '../../dist/index.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bp = fs.existsSync(DIST) ? (require(DIST) as typeof import('../../src')) : undefined;
const maybe = bp ? describe : describe.skip;

const last = (v: number[] | undefined) => v![v!.length - 1];

maybe('jobs on models with several inputs and outputs', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-mapped-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const file = path.join(tmp, 'shop.csv');
  fs.writeFileSync(file, twoHeadsCsv(400));
  const fit = { epochs: 25, batchSize: 32, validationSplit: 0.2 };

  test('a CSV mapped by name trains both heads; the result predicts both; the job reports the columns', async () => {
    const job = bp!.jobs.train({ model: twoHeadsSpec(), data: { csv: file, ...twoHeadsMap }, fit, backend: 'js' });
    expect(job.status).not.toBe('failed');
    const r = await job.result;
    expect(Object.keys(r.history).sort()).toEqual(
      ['cls_accuracy', 'cls_loss', 'loss', 'price_loss'].flatMap((k) => [k, `val_${k}`]).sort(),
    );
    expect(last(r.history.cls_accuracy)).toBeGreaterThan(0.8);
    expect(last(r.history.price_loss)).toBeLessThan(r.history.price_loss[0] / 3);
    expect(r.data).toEqual({
      featureNames: ['f0', 'f1', 'f2', 'f3', 't0', 't1', 't2'],
      inputs: { features: ['f0', 'f1', 'f2', 'f3'], tokens: ['t0', 't1', 't2'] },
      targets: { cls: { columns: ['label'], classes: ['a', 'b', 'c'] }, price: { columns: ['price'] } },
    });
    expect(r.model.inputNames).toEqual(['features', 'tokens']);
    const out = r.model.predict({ features: [[0.5, 0.5, 0.5, 0]], tokens: [[1, 2, 3]] }) as unknown as {
      shape: number[];
    }[];
    expect(out.map((t) => t.shape)).toEqual([
      [1, 3],
      [1, 1],
    ]);
  }, 120_000);

  test('streamed (stream: true): the same map, batches cut by name in the worker', async () => {
    const data = { csv: file, ...twoHeadsMap, stream: true, shuffleBuffer: 100 };
    const r = await bp!.jobs.train({ model: twoHeadsSpec(), data, fit, backend: 'js' }).result;
    expect(last(r.history.cls_accuracy)).toBeGreaterThan(0.8);
    expect(r.history.val_price_loss).toHaveLength(fit.epochs);
    expect(r.data!.targets!.cls.classes).toEqual(['a', 'b', 'c']);
  }, 120_000);

  test('arrays by name, and a saved model trained on with the same map', async () => {
    const rows = twoHeadsRows(400);
    const x = { features: rows.map((r) => r.f), tokens: rows.map((r) => r.t) };
    const y = { cls: Int32Array.from(rows, (r) => 'abc'.indexOf(r.label)), price: rows.map((r) => r.price) };
    const out = path.join(tmp, 'saved');
    const r = await bp!.jobs.train({ model: twoHeadsSpec(), data: { x, y }, fit, outputDir: out, backend: 'js' })
      .result;
    expect(last(r.history.cls_accuracy)).toBeGreaterThan(0.8);
    const again = await bp!.jobs.train({
      model: out,
      data: { csv: file, ...twoHeadsMap },
      fit: { epochs: fit.epochs + 2, batchSize: 32 }, // a saved model goes on from its epoch (25)
      backend: 'js',
    }).result;
    expect(again.history.loss).toHaveLength(2);
    expect(again.history.loss[0]).toBeLessThan(r.history.loss[0]);
    // A saved model's map is checked in the worker, once the model is loaded, before the file is read.
    const wrong = bp!.jobs.train({
      model: out,
      data: { csv: file, ...twoHeadsMap, inputs: { features: twoHeadsMap.inputs.features } },
    });
    await expect(wrong.result).rejects.toThrow(/'data\.inputs' has no columns for the input 'tokens'/);
  }, 120_000);

  test('hostile maps are refused before a worker starts, naming the field and the fix', () => {
    const spec = twoHeadsSpec();
    const csv = (change: Record<string, unknown>) => ({ csv: file, ...twoHeadsMap, ...change });
    const inputs = (i: Record<string, unknown>) => csv({ inputs: { ...twoHeadsMap.inputs, ...i } });
    const cases: [unknown, RegExp][] = [
      [
        inputs({ ghost: ['f0'] }),
        /'data\.inputs' names 'ghost', which is not one of the model's inputs 'features', 'tokens'/,
      ],
      [
        csv({ inputs: { features: ['f0', 'f1', 'f2', 'f3'] } }),
        /'data\.inputs' has no columns for the input 'tokens' \(shape \[3\], int32\); add data\.inputs\.tokens/,
      ],
      [
        csv({ targets: { cls: 'label' } }),
        /'data\.targets' has no columns for the output 'price' \(shape \[1\]\); add data\.targets\.price/,
      ],
      [
        csv({ targets: { ...twoHeadsMap.targets, extra: 'x' } }),
        /'data\.targets' names 'extra', which is not one of the model's outputs/,
      ],
      [inputs({ tokens: ['t0', 't0', 't1'] }), /'data\.inputs\.tokens' names column 't0' twice/],
      [
        inputs({ tokens: ['t0', 't1'] }),
        /'data\.inputs\.tokens' has 2 column\(s\) but the input 'tokens' takes 3 value\(s\) per sample \(shape \[3\], int32\); give 3 columns/,
      ],
      [
        inputs({ tokens: Array.from({ length: 200_001 }, (_, i) => `c${i}`) }),
        /'data\.inputs\.tokens' lists 200001 columns; at most 100000/,
      ],
      [inputs({ tokens: [] }), /'data\.inputs\.tokens' is an empty list/],
      [inputs({ tokens: ['t0', 7, 't1'] }), /'data\.inputs\.tokens\[1\]' must be a column name/],
      [
        inputs({ tokens: { from: 't0', to: 't2', step: 2 } }),
        /unknown key 'data\.inputs\.tokens\.step'; a range is \{ from, to \}/,
      ],
      [inputs({ tokens: null }), /'data\.inputs\.tokens' is null; give a column name/],
      [
        inputs({ features: ['f0', 'f1', 'f2', 'price'] }),
        /column 'price' is both a target \('data\.targets\.price'\) and an input \('data\.inputs\.features'\)/,
      ],
      [
        csv({ inputs: ['f0'] }),
        /'data\.inputs' must be an object keyed by the model's input names \('features', 'tokens'\)/,
      ],
      [csv({ targets: undefined }), /needs both 'data\.inputs' .* and 'data\.targets'/],
      [
        csv({ target: 'label' }),
        /'data\.target' does not go with 'data\.inputs': name each output's columns in 'data\.targets'/,
      ],
      [csv({ shuffle: true }), /unknown key 'data\.shuffle' for data mapped by name/],
      [{ inputs: twoHeadsMap.inputs, targets: twoHeadsMap.targets }, /give 'data\.csv' \(the file\) with them/],
      [csv({ maxColumns: 0 }), /'data\.maxColumns' must be a positive integer/],
      [csv({ stream: true, maxRows: 10 }), /'data\.maxRows' limits loading into memory/],
    ];
    for (const [data, message] of cases) {
      const job = bp!.jobs.train({ model: spec, data: data as never, fit });
      expect(job.status).toBe('failed');
      expect(job.error!.message).toMatch(message);
    }
    // Absurd sizes in the model: an input wider than a CSV can be.
    const wide = twoHeadsSpec();
    (wide.config.layers[0].config as { batch_input_shape: unknown[] }).batch_input_shape = [null, 300_000];
    const wideJob = bp!.jobs.train({ model: wide, data: csv({}), fit });
    expect(wideJob.error!.message).toMatch(
      /the input 'features' takes 300000 values per sample .* at most 100000 columns/,
    );
    // An output without a loss takes no target; two class-label columns cannot both stream.
    const oneLoss = {
      ...twoHeadsSpec(),
      compile: { ...twoHeadsSpec().compile, loss: { cls: 'sparseCategoricalCrossentropy' } },
    };
    expect(bp!.jobs.train({ model: oneLoss, data: csv({}), fit }).error!.message).toMatch(
      /'data\.targets' names the output 'price', which has no loss in compile and takes no targets/,
    );
    const twoLabels = {
      ...twoHeadsSpec(),
      compile: { ...twoHeadsSpec().compile, loss: 'sparseCategoricalCrossentropy' },
    };
    expect(bp!.jobs.train({ model: twoLabels, data: csv({ stream: true }), fit }).error!.message).toMatch(
      /a streamed CSV maps at most one column of class labels .* 'data\.targets\.cls' and 'data\.targets\.price'/,
    );
    // A { layers } spec has no input names to map; its data stays { csv, target }.
    const layered = { layers: [{ units: 2, inputShape: [4] }], compile: { loss: 'mse' } };
    expect(bp!.jobs.train({ model: layered, data: csv({}), fit }).error!.message).toMatch(
      /'data\.inputs' and 'data\.targets' map a functional spec's inputs and outputs by name/,
    );
    // One input array cannot feed two inputs: the message shows the map to write.
    expect(bp!.jobs.train({ model: spec, data: { csv: file, target: 'label' }, fit }).error!.message).toMatch(
      /the model has 2 input\(s\) and 2 output\(s\); .*data: \{ csv, inputs: \{ 'features': \[columns\], 'tokens': \[columns\] \}, targets: \{ 'cls': 'column', 'price': 'column' \} \}/,
    );
  });

  test('hostile arrays by name are refused naming the entry', () => {
    const rows = twoHeadsRows(8);
    const x = { features: rows.map((r) => r.f), tokens: rows.map((r) => r.t) };
    const y = { cls: rows.map((r) => 'abc'.indexOf(r.label)), price: rows.map((r) => r.price) };
    const cases: [unknown, RegExp][] = [
      [{ x: { ...x, ghost: [[1]] }, y }, /'data\.x' names 'ghost', which is not one of the model's inputs/],
      [{ x: { features: x.features }, y }, /'data\.x' has no entry for the input 'tokens'/],
      [{ x, y: { cls: y.cls } }, /'data\.y' has no entry for the output \(with a loss\) 'price'/],
      [
        { x: { ...x, tokens: rows.map((r) => r.t.slice(1)) }, y },
        /'data\.x\.tokens' has samples of shape \[2\] but the input 'tokens' takes shape \[3\]/,
      ],
      [
        { x: { ...x, tokens: rows.map(() => [0.5, 1, 2]) }, y },
        /'data\.x\.tokens': value 0 is 0\.5, but the input 'tokens' is int32/,
      ],
      [{ x, y: { ...y, cls: y.cls.map((v) => v + 0.5) } }, /'data\.y\.cls'\[0\] is .*class labels must be integers/],
      [{ x, y: { ...y, price: y.price.slice(1) } }, /'data\.y\.price' has 7 rows but the other entries 8/],
      [{ x: { ...x, features: [[1, 2, 3, NaN]] }, y }, /'data\.x\.features'.*(NaN|finite)/],
      [{ x, y, extra: 1 }, /unknown key 'data\.extra' for arrays/],
    ];
    for (const [data, message] of cases) {
      const job = bp!.jobs.train({ model: twoHeadsSpec(), data: data as never, fit });
      expect(job.status).toBe('failed');
      expect(job.error!.message).toMatch(message);
    }
  });

  test('what only the file can tell is checked as it is read, naming the field, before the model is built', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [
        { inputs: { ...twoHeadsMap.inputs, features: { from: 'f0', to: 'f2' } } },
        file,
        /'data\.inputs\.features' spans 3 column\(s\) but the input 'features' takes 4/,
      ],
      [
        { inputs: { ...twoHeadsMap.inputs, features: { from: 'f3', to: 'f0' } } },
        file,
        /column 'f0' comes before 'f3' in the file/,
      ],
      [
        { inputs: { ...twoHeadsMap.inputs, tokens: ['t0', 't1', 'nope'] } },
        file,
        /'data\.inputs\.tokens' names column 'nope', which the file does not have; the file's columns are 'f0'/,
      ],
      [{ inputs: { ...twoHeadsMap.inputs, features: { from: 'f0', to: 't0' } } }, file, /spans 5 column\(s\)/],
      [
        {
          inputs: { ...twoHeadsMap.inputs, tokens: ['t0', 't1', 'f0'] },
          targets: { ...twoHeadsMap.targets, price: 'f3' },
        },
        file,
        /column 'f3' is both a target/,
      ],
    ];
    for (const [change, csvFile, message] of cases) {
      const job = bp!.jobs.train({
        model: twoHeadsSpec(),
        data: { csv: csvFile, ...twoHeadsMap, ...change } as never,
        fit,
      });
      await expect(job.result).rejects.toThrow(message);
    }
    // Token ids must be integers; a label column with more classes than the output has units.
    const ids = path.join(tmp, 'ids.csv');
    fs.writeFileSync(ids, twoHeadsCsv(20).replace(/\n((?:[^,\n]*,){4})\d+/, '\n$12.5'));
    await expect(
      bp!.jobs.train({ model: twoHeadsSpec(), data: { csv: ids, ...twoHeadsMap }, fit }).result,
    ).rejects.toThrow(
      /'data\.inputs\.tokens': the input 'tokens' is int32 but column 't0' of data row 1 holds 2\.5; give integers/,
    );
    const many = path.join(tmp, 'many.csv');
    fs.writeFileSync(many, `${twoHeadsCsv(20)}0,0,0,0,1,1,1,d,0\n0,0,0,0,1,1,1,e,0\n`);
    await expect(
      bp!.jobs.train({ model: twoHeadsSpec(), data: { csv: many, ...twoHeadsMap }, fit }).result,
    ).rejects.toThrow(/'data\.targets\.cls': column 'label' holds [45] classes but the output 'cls' has 3 units/);
  }, 60_000);
});
