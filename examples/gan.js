#!/usr/bin/env node
/**
 * A GAN on the shipped digits, with a custom training loop: a generator (noise → 784 pixels) and a discriminator
 * (784 pixels → one logit) are two ordinary models, trained by alternating updates with bp.variableGrads and
 * optimizer.applyGradients. model.apply(x) runs a model as one differentiable step, so the generator's gradient
 * flows back through the discriminator; each update differentiates with respect to one model's weights only.
 *
 *   node examples/gan.js [steps=2000] [seed=1]
 *
 * The losses are the usual non-saturating ones, written with bp.ops on logits (σ(l) = P(real)):
 *   discriminator: mean (0.9·softplus(−l_real) + 0.1·softplus(l_real)) + mean softplus(l_fake)
 *                  (cross-entropy with real digits labelled 0.9: one-sided label smoothing)
 *   generator:     mean softplus(−l_fake)                           (−log σ(l_fake))
 */
const bp = require('..');

const { ops } = bp;
const NOISE = 32;
const PIXELS = 784;

/** Two models and their optimizers. */
function makeGan(seed) {
  const generator = bp.sequential({
    seed,
    layers: [
      bp.layers.dense({ units: 128, activation: 'relu', inputShape: [NOISE] }),
      bp.layers.dense({ units: PIXELS, activation: 'sigmoid' }),
    ],
  });
  const discriminator = bp.sequential({
    seed: seed + 1,
    layers: [
      bp.layers.dense({ units: 64, activation: 'leakyRelu', inputShape: [PIXELS] }),
      bp.layers.dropout({ rate: 0.5 }),
      bp.layers.dense({ units: 1 }),
    ],
  });
  return {
    generator,
    discriminator,
    // The discriminator learns 10x slower than the generator (with a small hidden layer and dropout): on digits a
    // discriminator at the generator's pace wins outright within 100 steps and the generator stops learning.
    gOptimizer: bp.optimizers.adam({ learningRate: 1e-3, beta1: 0.5 }),
    dOptimizer: bp.optimizers.adam({ learningRate: 1e-4, beta1: 0.5 }),
  };
}

/** Standard normal noise, [rows, NOISE]. */
function noise(rng, rows) {
  const z = new Float32Array(rows * NOISE);
  for (let i = 0; i < z.length; i++) z[i] = rng.normal(0, 1);
  return ops.tensor({ data: z, shape: [rows, NOISE], dtype: 'float32' });
}

/**
 * Trains the GAN for `steps` alternating updates of `batch` real and `batch` generated digits. Returns, per step,
 * the discriminator's accuracy on that step's batch (before its update) and both losses; and the generator's
 * images of a fixed noise batch before and after training.
 */
function trainGan({ steps = 2000, seed = 1, batch = 32, onStep } = {}) {
  const { train } = bp.data.digits({ seed });
  const images = train.x.data;
  const count = train.x.shape[0];
  const rng = new bp.Rng(seed);
  const { generator, discriminator, gOptimizer, dOptimizer } = makeGan(seed);
  const fixed = noise(rng, 16);
  const before = generator.apply(fixed).data.slice();
  const real = new Float32Array(batch * PIXELS);
  const history = [];
  for (let step = 0; step < steps; step++) {
    for (let r = 0; r < batch; r++) {
      const i = rng.int(count);
      real.set(images.subarray(i * PIXELS, (i + 1) * PIXELS), r * PIXELS);
    }
    // Discriminator: real and generated digits in one call (a model keeps one call's activations per gradient).
    // The generated batch is made outside the gradient: only the discriminator's weights move here.
    const fake = generator.apply(noise(rng, batch));
    const both = ops.concat([ops.tensor({ data: real, shape: [batch, PIXELS], dtype: 'float32' }), fake], 0);
    let accuracy = 0;
    const d = bp.variableGrads(() => {
      const logits = discriminator.apply(both, { training: true });
      const lReal = ops.slice(logits, [0, 0], [batch, 1]);
      const lFake = ops.slice(logits, [batch, 0], [batch, 1]);
      const correct = ops.add(ops.sum(ops.greater(lReal, 0)), ops.sum(ops.less(lFake, 0)));
      accuracy = correct.arraySync() / (2 * batch);
      // One-sided label smoothing (real digits labelled 0.9) keeps the discriminator from getting too sure.
      const realLoss = ops.add(ops.mul(ops.softplus(ops.neg(lReal)), 0.9), ops.mul(ops.softplus(lReal), 0.1));
      return ops.add(ops.mean(realLoss), ops.mean(ops.softplus(lFake)));
    }, discriminator.trainableWeights);
    dOptimizer.applyGradients(d.grads);
    // Generator: its images through the discriminator, differentiated with respect to the generator's weights.
    const z = noise(rng, batch);
    const g = bp.variableGrads(
      () => ops.mean(ops.softplus(ops.neg(discriminator.apply(generator.apply(z), { training: true })))),
      generator.trainableWeights,
    );
    gOptimizer.applyGradients(g.grads);
    const row = { step, accuracy, dLoss: d.value.arraySync(), gLoss: g.value.arraySync() };
    history.push(row);
    if (onStep) onStep(row);
  }
  const after = generator.apply(fixed).data.slice();
  return { history, before, after, generator, discriminator };
}

module.exports = { trainGan, makeGan };

if (require.main === module) {
  const steps = Number(process.argv[2] || 2000);
  const seed = Number(process.argv[3] || 1);
  const window = [];
  trainGan({
    steps,
    seed,
    onStep: (r) => {
      window.push(r.accuracy);
      if ((r.step + 1) % 100 === 0) {
        const acc = window.reduce((s, a) => s + a, 0) / window.length;
        window.length = 0;
        console.log(
          `step ${r.step + 1}: discriminator accuracy ${acc.toFixed(3)}, ` +
            `losses D ${r.dLoss.toFixed(3)} G ${r.gLoss.toFixed(3)}`,
        );
      }
    },
  });
}
