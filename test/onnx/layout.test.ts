/**
 * @jest-environment ./test/onnx/ort-environment.js
 */
/**
 * The layout machinery channels-first layers (convolution, pooling, normalisation) will use: a value is
 * transposed only when a layer needs the other layout, elementwise activations keep whichever layout they get,
 * and softmax still normalises over the Keras last axis (the channel axis) in channels-first.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as bp from '../../src';
import { exportActivation } from '../../src/onnx/activations';
import { GraphBuilder, type OnnxValue } from '../../src/onnx/graph';
import { DataType, encodeModel } from '../../src/onnx/proto';
import { maxAbsDiff, OnnxChecker, randomBatch, runOnnx, tmpDir } from './support';

const checker = new OnnxChecker();
afterAll(() => checker.close());

function modelOf(g: GraphBuilder, input: string, output: string, shape: number[]): Uint8Array {
  const info = (name: string) => ({
    name,
    type: {
      tensorType: {
        elemType: DataType.FLOAT,
        shape: { dim: [{ dimParam: 'batch' }, ...shape.map((d) => ({ dimValue: d }))] },
      },
    },
  });
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: g.opset }],
    producerName: 'test',
    producerVersion: '0',
    graph: { name: 'layout', node: g.nodes, initializer: g.initializers, input: [info(input)], output: [info(output)] },
  });
}

/** relu then softmax over the last axis, in JS: the reference. */
function reluSoftmax(x: bp.Tensor, last: number): Float32Array {
  const out = Float32Array.from(x.data, (v) => Math.max(0, v));
  for (let o = 0; o < out.length; o += last) {
    let max = -Infinity;
    for (let j = 0; j < last; j++) max = Math.max(max, out[o + j]);
    let sum = 0;
    for (let j = 0; j < last; j++) sum += out[o + j] = Math.exp(out[o + j] - max);
    for (let j = 0; j < last; j++) out[o + j] /= sum;
  }
  return out;
}

test('channels-first values: one transpose in, one out, activations in between in channels-first', async () => {
  const shape = [4, 5, 3];
  const g = new GraphBuilder(17);
  const input = g.reserve('x');
  const output = g.reserve('y');
  const x: OnnxValue = { name: input, shape, layout: 'channelsLast' };
  const first = g.toLayout(x, 'channelsFirst');
  expect(g.toLayout(first, 'channelsFirst')).toEqual(first); // already there: no node
  const relu = exportActivation(g, first, 'relu', 0, 'act');
  const soft = exportActivation(g, relu, 'softmax', 0, 'soft');
  expect([relu.layout, soft.layout]).toEqual(['channelsFirst', 'channelsFirst']);
  g.output(g.toLayout(soft, 'channelsLast'), output);
  expect(g.nodes.map((n) => n.opType)).toEqual(['Transpose', 'Relu', 'Softmax', 'Transpose']);
  expect(g.nodes[0].attribute[0].ints).toEqual([0, 3, 1, 2]);
  expect(g.nodes[2].attribute[0].i).toBe(1);
  expect(g.nodes[3].attribute[0].ints).toEqual([0, 2, 3, 1]);

  const bytes = modelOf(g, input, output, shape);
  const file = path.join(tmpDir(), 'layout.onnx');
  fs.writeFileSync(file, bytes);
  expect(await checker.check(file)).toBe('ok');
  for (const rows of [1, 33]) {
    const batch = randomBatch(shape, rows, rows);
    const got = await runOnnx(bytes, batch);
    expect(got.dims).toEqual([rows, ...shape]);
    expect(maxAbsDiff(got.data, reluSoftmax(batch, 3))).toBeLessThanOrEqual(1e-6);
  }
});

test('feature vectors have one layout: no transpose either way', () => {
  const g = new GraphBuilder(17);
  const v: OnnxValue = { name: g.reserve('x'), shape: [7], layout: 'channelsLast' };
  expect(g.toLayout(g.toLayout(v, 'channelsFirst'), 'channelsLast')).toEqual(v);
  expect(g.nodes).toEqual([]);
});
