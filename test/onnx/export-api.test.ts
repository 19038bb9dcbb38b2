/**
 * @jest-environment ./test/onnx/ort-environment.js
 */
/**
 * bp.exportOnnx's contract: what the file declares (producer, opset and IR version, input/output names from the
 * model, a dynamic batch dimension, weights under their Keras names), which ops each layer becomes, and clear
 * errors for every bad argument and for a layer that has no ONNX export.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as bp from '../../src';
import { Layer } from '../../src/layers/layer';
import type { Shape } from '../../src/layers/shape';
import { decodeModel, type ModelMessage } from '../../src/onnx/proto';
import { runOnnx, randomBatch, tmpDir } from './support';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION = (require('../../package.json') as { version: string }).version;

function mlp(): bp.Sequential {
  return bp.sequential({
    seed: 1,
    layers: [
      bp.layers.dense({ units: 4, activation: 'relu', inputShape: [3], name: 'hidden' }),
      bp.layers.dropout({ rate: 0.5 }),
      bp.layers.dense({ units: 2, activation: 'softmax', name: 'probs' }),
    ],
  });
}

async function exported(model: bp.Sequential, opset?: number): Promise<ModelMessage> {
  const file = path.join(tmpDir(), 'm.onnx');
  return decodeModel(await bp.exportOnnx(model, file, opset === undefined ? undefined : { opset }));
}

const ops = (m: ModelMessage) => m.graph.node.map((n) => n.opType);

describe('the file', () => {
  test('producer, opset 17 and IR version 8 by default, names from the model, a dynamic batch', async () => {
    const m = await exported(mlp());
    expect(m.producerName).toBe('backprop');
    expect(m.producerVersion).toBe(VERSION);
    expect(m.irVersion).toBe(8);
    expect(m.opsetImport).toEqual([{ domain: '', version: 17 }]);
    expect(m.graph.input.map((v) => v.name)).toEqual(['hidden_input']);
    expect(m.graph.output.map((v) => v.name)).toEqual(['probs']);
    expect(m.graph.input[0].type.tensorType.shape.dim).toEqual([{ dimParam: 'batch' }, { dimValue: 3 }]);
    expect(m.graph.output[0].type.tensorType.shape.dim).toEqual([{ dimParam: 'batch' }, { dimValue: 2 }]);
    expect(m.graph.initializer.map((t) => [t.name, t.dims])).toEqual([
      ['hidden/kernel', [3, 4]],
      ['hidden/bias', [4]],
      ['probs/kernel', [4, 2]],
      ['probs/bias', [2]],
    ]);
  });

  test('the weights are the model’s, as float32', async () => {
    const model = mlp();
    const m = await exported(model);
    const [kernel] = model.getWeights();
    const raw = m.graph.initializer[0].rawData;
    expect(Array.from(new Float32Array(Uint8Array.from(raw).buffer))).toEqual(Array.from(kernel.data));
  });

  test('Dense → Gemm (+ activation); Dropout → no node; the output node carries the output name', async () => {
    const m = await exported(mlp());
    expect(ops(m)).toEqual(['Gemm', 'Relu', 'Gemm', 'Softmax']);
    expect(m.graph.node[3].output).toEqual(['probs']);
  });

  test('a model whose output is its input (Dropout only) gets an Identity', async () => {
    const model = bp.sequential({ layers: [bp.layers.dropout({ rate: 0.1, inputShape: [3] })] });
    const m = await exported(model);
    expect(ops(m)).toEqual(['Identity']);
    const x = randomBatch([3], 2, 1);
    expect(Array.from((await runOnnx(await bp.exportOnnx(model, path.join(tmpDir(), 'd.onnx')), x)).data)).toEqual(
      Array.from(x.data),
    );
  });

  test('IR version follows the opset; from opset 20 gelu is the Gelu op, before it Erf', async () => {
    const gelu = () => bp.sequential({ layers: [bp.layers.dense({ units: 2, activation: 'gelu', inputShape: [3] })] });
    const at13 = await exported(gelu(), 13);
    expect([at13.irVersion, at13.opsetImport[0].version]).toEqual([8, 13]);
    expect(ops(at13)).toContain('Erf');
    const at20 = await exported(gelu(), 20);
    expect([at20.irVersion, ops(at20)]).toEqual([9, ['Gemm', 'Gelu']]);
    expect((await exported(gelu(), 21)).irVersion).toBe(10);
  });
});

/** A layer with no ONNX export (as conv or sequence layers are until their exports land). */
class Doubler extends Layer {
  readonly className = 'Doubler';
  constructor() {
    super({ name: 'twice' }, 'Doubler');
  }
  computeOutputShape(s: Shape): Shape {
    return s;
  }
  forward(_b: bp.Backend, x: bp.FloatArray): bp.FloatArray {
    return x.map((v) => 2 * v) as bp.FloatArray;
  }
  backward(): null {
    return null;
  }
}

describe('errors', () => {
  const dir = tmpDir();
  const file = path.join(dir, 'x.onnx');

  test('a layer without an ONNX export is named, with the layers that have one', async () => {
    const model = bp.sequential({ layers: [bp.layers.dense({ units: 2, inputShape: [3] }), new Doubler()] });
    await expect(bp.exportOnnx(model, file)).rejects.toThrow(
      /exportOnnx\(\): cannot export layer 'twice' \(Doubler\) to ONNX: .*exportable: Dense, Activation, Dropout/,
    );
    expect(fs.existsSync(file)).toBe(false);
  });

  test('an unbuilt model, or something that is not a model', async () => {
    const unbuilt = bp.sequential({ layers: [bp.layers.dense({ units: 2 })] });
    await expect(bp.exportOnnx(unbuilt, file)).rejects.toThrow(/exportOnnx\(\).*(build|built)/);
    await expect(bp.exportOnnx({} as bp.Sequential, file)).rejects.toThrow(/'model' must be a backprop model/);
  });

  test.each([[12], [22], [17.5], ['17'], [null]])('opset %p', async (opset) => {
    await expect(bp.exportOnnx(mlp(), file, { opset } as never)).rejects.toThrow(
      /'opset' must be an integer from 13 to 21 \(default 17\)/,
    );
  });

  test('unknown options, and options that are not an object', async () => {
    await expect(bp.exportOnnx(mlp(), file, { opSet: 17 } as never)).rejects.toThrow(/unknown option 'opSet'/);
    await expect(bp.exportOnnx(mlp(), file, 17 as never)).rejects.toThrow(/'options' must be an object/);
  });

  test('a missing path, or a directory', async () => {
    await expect(bp.exportOnnx(mlp(), '')).rejects.toThrow(/'path' must be a file path/);
    await expect(bp.exportOnnx(mlp(), dir)).rejects.toThrow(/is a directory/);
  });
});
