/**
 * Training-step throughput of an MLP through the model API (relu hidden layers, linear output,
 * softmax cross-entropy from logits — the same network bench/torch_peer.py and bench/tfjs-peer.js train).
 */
import * as bp from '../index';
import type { Backend } from '../backend/ops';
import { engineOf } from '../model/engine';
import { timeSync, type Timing } from './timing';

export interface MlpSpec {
  sizes: number[];
  batch: number;
  optimizer: 'adam' | 'sgd';
}

export function parseSpec(sizes: string, batch: number, optimizer: 'adam' | 'sgd'): MlpSpec {
  return { sizes: sizes.split('-').map(Number), batch, optimizer };
}

/** A model for the spec with one prepared batch, and a function running one training step on `b`. */
export function mlpStep(spec: MlpSpec, backend: Backend | 'auto'): () => number {
  const { sizes, batch } = spec;
  const model = bp.sequential({ seed: 1 });
  for (let i = 1; i < sizes.length; i++) {
    model.add(
      bp.layers.dense({
        units: sizes[i],
        activation: i < sizes.length - 1 ? 'relu' : 'linear',
        inputShape: i === 1 ? [sizes[0]] : undefined,
      }),
    );
  }
  const optimizer =
    spec.optimizer === 'adam' ? bp.optimizers.adam({ learningRate: 1e-3 }) : bp.optimizers.sgd({ learningRate: 0.01 });
  model.compile({ optimizer, loss: bp.losses.categoricalCrossentropy({ fromLogits: true }) });
  const rng = new bp.Rng(2);
  const out = sizes[sizes.length - 1];
  const x = new Float32Array(batch * sizes[0]).map(() => rng.uniform(0, 1));
  const y = new Float32Array(batch * out);
  for (let r = 0; r < batch; r++) y[r * out + rng.int(out)] = 1;
  // 'auto': whatever the model picks in auto mode (JS kernels for tiny steps, native otherwise).
  const engine = engineOf(model);
  const b = backend === 'auto' ? engine.backendFor(batch) : backend;
  return () => engine.trainStep(b, x, y, batch);
}

export function timeMlp(spec: MlpSpec, b: Backend | 'auto', sampleSeconds = 0.25): Timing {
  const step = mlpStep(spec, b);
  return timeSync(step, { sampleSeconds, repeats: 5, warmupSeconds: 0.2 });
}
