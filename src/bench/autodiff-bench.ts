/**
 * What autodiff costs against the hand-written kernels: a Dense layer rewritten as a custom layer (matMul + add +
 * relu with bp.ops, traced into a program) against the built-in dense, in the 784-256-128-10 MLP (batch 128, Adam,
 * softmax cross-entropy from logits); and an MSE written with bp.ops against the built-in meanSquaredError in the
 * same MLP of built-in layers. Reported as step times and their ratio (targets: 1.3 and 1.1).
 */
import * as bp from '../index';
import type { Backend } from '../backend/ops';
import type { Tensor } from '../autodiff/tensor';
import { engineOf } from '../model/engine';
import { timeSync, type Timing } from './timing';

/** Dense as users write it: y = act(x·W + b). */
class OpsDense extends bp.layers.Layer {
  static override className = 'BenchOpsDense';
  kernel!: bp.Variable;
  bias!: bp.Variable;
  constructor(
    readonly units: number,
    readonly relu: boolean,
    inputShape?: number[],
  ) {
    super({ inputShape });
  }
  override build(inputShape: number[]): void {
    this.kernel = this.addWeight('kernel', [inputShape[inputShape.length - 1], this.units], null, 'glorotUniform');
    this.bias = this.addWeight('bias', [this.units], null, 'zeros');
  }
  override computeOutputShape(inputShape: number[]): number[] {
    return [...inputShape.slice(0, -1), this.units];
  }
  override call(x: Tensor): Tensor {
    const z = bp.ops.add(bp.ops.matMul(x, this.kernel), this.bias);
    return this.relu ? bp.ops.relu(z) : z;
  }
}

const SIZES = [784, 256, 128, 10];
const BATCH = 128;

function mseOps(yTrue: Tensor, yPred: Tensor): Tensor {
  return bp.ops.mean(bp.ops.square(bp.ops.sub(yTrue, yPred)), -1);
}

/** One training step of the MLP, with custom or built-in dense layers and the given loss. */
function step(custom: boolean, loss: 'softmax' | 'mse' | 'mseOps', b: Backend): () => number {
  const model = bp.sequential({ seed: 1 });
  for (let i = 1; i < SIZES.length; i++) {
    const relu = i < SIZES.length - 1;
    const inputShape = i === 1 ? [SIZES[0]] : undefined;
    model.add(
      custom
        ? new OpsDense(SIZES[i], relu, inputShape)
        : bp.layers.dense({ units: SIZES[i], activation: relu ? 'relu' : 'linear', inputShape }),
    );
  }
  model.compile({
    optimizer: bp.optimizers.adam({ learningRate: 1e-3 }),
    loss:
      loss === 'softmax'
        ? bp.losses.categoricalCrossentropy({ fromLogits: true })
        : loss === 'mse'
          ? 'meanSquaredError'
          : mseOps,
  });
  const rng = new bp.Rng(2);
  const out = SIZES[SIZES.length - 1];
  const x = bp.floatArray('float32', BATCH * SIZES[0]).map(() => rng.uniform(0, 1));
  const y = new Float32Array(BATCH * out);
  for (let r = 0; r < BATCH; r++) y[r * out + rng.int(out)] = 1;
  const engine = engineOf(model);
  return () => engine.trainStep(b, x, y, BATCH);
}

export interface AutodiffRow {
  backend: string;
  'built-in dense us/step': number;
  'custom dense us/step': number;
  'custom/built-in': number;
  'built-in mse us/step': number;
  'ops mse us/step': number;
  'ops/built-in': number;
}

/**
 * Step times on each backend. The two variants of each pair are timed in alternating rounds (the machine may be
 * shared: alternation spreads any load over both), and the ratio is of their medians.
 */
export function autodiffRows(backends: [string, Backend][], seconds = 0.3, rounds = 5): AutodiffRow[] {
  return backends.map(([name, b]) => {
    const variants = {
      dense: step(false, 'softmax', b),
      custom: step(true, 'softmax', b),
      mse: step(false, 'mse', b),
      mseOps: step(false, 'mseOps', b),
    };
    const times: Record<string, number[]> = { dense: [], custom: [], mse: [], mseOps: [] };
    for (let r = 0; r < rounds; r++) {
      for (const [k, f] of Object.entries(variants)) {
        const t: Timing = timeSync(f, { sampleSeconds: seconds / 3, repeats: 3, warmupSeconds: r === 0 ? 0.3 : 0.05 });
        times[k].push(t.median);
      }
    }
    const med = (k: string) => [...times[k]].sort((p, q) => p - q)[times[k].length >> 1];
    const us = (k: string) => +(med(k) * 1e6).toFixed(1);
    return {
      backend: name,
      'built-in dense us/step': us('dense'),
      'custom dense us/step': us('custom'),
      'custom/built-in': +(med('custom') / med('dense')).toFixed(3),
      'built-in mse us/step': us('mse'),
      'ops mse us/step': us('mseOps'),
      'ops/built-in': +(med('mseOps') / med('mse')).toFixed(3),
    };
  });
}
