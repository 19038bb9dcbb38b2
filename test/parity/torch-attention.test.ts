/**
 * Parity with PyTorch (Debian's python3-torch, in CI too): encoder and decoder blocks with the same float32 weights
 * computed by torch.nn.functional (multi_head_attention_forward, layer_norm, linear; torch_attention.py) agree with
 * backprop's float32 predictions within 1e-5 on every backend — post- and pre-norm, relu and gelu, causal, with
 * padding masks. PyTorch does not mask queries: for the encoder, whose padded queries Keras 3 masks, only the real
 * steps are compared (a padded query's output does not reach them). Rows always keep a real first step, so no
 * query sees no key (PyTorch 1.13 gives NaN there; backprop 0).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as bp from '../../src';
import { backendNames } from '../support/backends';
import { randomInput } from '../support/layer-checks';

const [B, T, D, H] = [3, 10, 16, 4];

/** 1 for real steps: sample 0 has none padded, sample 1 the last 3, sample 2 the last 7. */
const mask = Float32Array.from({ length: B * T }, (_, i) => (i % T < T - [0, 3, 7][Math.floor(i / T)] ? 1 : 0));

interface Case {
  kind: 'encoder' | 'decoder';
  normalizeFirst: boolean;
  activation: 'relu' | 'gelu';
  masked: boolean;
}

function torchOutput(model: bp.Sequential, c: Case, x: bp.Tensor): number[] {
  const block = model.layers[model.layers.length - 1];
  const weights = Object.fromEntries(
    model.getWeights().map((w) => [w.name, { shape: w.shape, data: Array.from(w.data) }]),
  );
  const input = {
    name: block.name,
    attention: c.kind === 'encoder' ? 'self_attention_layer' : 'self_attention',
    numHeads: H,
    activation: c.activation,
    layerNormEpsilon: 1e-5,
    normalizeFirst: c.normalizeFirst,
    causal: c.kind === 'decoder',
    weights,
    x: Array.from(x.data),
    shape: [B, T, D],
    mask: c.masked ? Array.from(mask) : null,
  };
  const r = spawnSync('/usr/bin/python3', [path.join(__dirname, 'torch_attention.py')], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`torch_attention.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as number[];
}

const CASES: Case[] = [
  { kind: 'encoder', normalizeFirst: false, activation: 'relu', masked: false },
  { kind: 'encoder', normalizeFirst: true, activation: 'gelu', masked: true },
  { kind: 'decoder', normalizeFirst: true, activation: 'gelu', masked: false },
  { kind: 'decoder', normalizeFirst: false, activation: 'relu', masked: true },
];

function build(c: Case): bp.Sequential {
  const args = {
    intermediateDim: 32,
    numHeads: H,
    normalizeFirst: c.normalizeFirst,
    activation: c.activation,
    biasInitializer: bp.initializers.randomUniform({ minval: -0.3, maxval: 0.3 }),
    ...(c.masked ? {} : { inputShape: [T, D] }),
  };
  const block = c.kind === 'encoder' ? bp.layers.transformerEncoder(args) : bp.layers.transformerDecoder(args);
  // Masking turns the input's zero rows (the padded steps) into the padding mask the block receives.
  const layers = c.masked ? [bp.layers.masking({ maskValue: 0, inputShape: [T, D] }), block] : [block];
  return bp.sequential({ seed: 7, layers });
}

const label = (c: Case) =>
  `${c.kind}, ${c.normalizeFirst ? 'pre' : 'post'}-norm, ${c.activation}${c.masked ? ', padding mask' : ''}`;

describe('KerasNLP blocks against torch.nn.functional (float32)', () => {
  test.each(CASES.map((c) => [label(c), c] as const))('%s', (_label, c) => {
    const model = build(c);
    const x = randomInput([T, D], B, 3);
    if (c.masked) for (let i = 0; i < B * T; i++) if (mask[i] === 0) x.data.fill(0, i * D, (i + 1) * D);
    const want = torchOutput(model, c, x);
    for (const name of backendNames()) {
      bp.setBackend(name);
      try {
        const got = model.predict(x).data;
        let worst = 0;
        for (let i = 0; i < got.length; i++) {
          if (c.kind === 'encoder' && c.masked && mask[Math.floor(i / D)] === 0) continue;
          worst = Math.max(worst, Math.abs(got[i] - want[i]));
        }
        expect({ backend: name, worst, within: worst <= 1e-5 }).toMatchObject({ within: true });
      } finally {
        bp.setBackend('auto');
      }
    }
  });
});
