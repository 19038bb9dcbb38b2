#!/usr/bin/env node
/**
 * A small GPT trained in Node on 8,422 English first names (shipped with backprop: bp.data.firstNames()), then
 * asked for new ones: a character-level language model, "make more names".
 *
 *   tokenAndPositionEmbedding → 4 × transformerDecoder (128 features, 4 heads, feed-forward 512, pre-norm)
 *   → layerNormalization → dense(vocabulary): logits for the next character at every position,
 *   sparse categorical cross-entropy over all 64 positions, AdamW.
 *
 * Usage: node examples/gpt.js [steps=2000] [batch=32]; BACKPROP_THREADS sets the threads.
 * Prints the training loss every 100 steps, the validation loss, and ten sampled names.
 */
const bp = require('..');

const steps = Number(process.argv[2] ?? 2000);
const batch = Number(process.argv[3] ?? 32);
const context = 64;

// The names, lower-cased and shuffled, 90% to train on and 10% to validate; each name ends with a newline.
const names = new bp.Rng(1).shuffle(bp.data.firstNames().map((n) => n.toLowerCase()));
const split = Math.floor(names.length * 0.9);
const vocab = bp.data.CharVocabulary.of(names);
const train = bp.data.charStream(names.slice(0, split), vocab).stream;
const valid = bp.data.charStream(names.slice(split), vocab).stream;
console.log(`${names.length} names, ${train.length} characters to train on, vocabulary ${vocab.size}`);

const model = bp.sequential({
  seed: 1,
  layers: bp.data.gptLayers({ vocabularySize: vocab.size, sequenceLength: context }),
});
model.compile({
  optimizer: bp.optimizers.adamw({ learningRate: 1e-3 }),
  loss: bp.losses.sparseCategoricalCrossentropy({ fromLogits: true }),
});

const rng = new bp.Rng(2);
const x = new Float32Array(batch * context);
const y = new Int32Array(batch * context);
const validX = new Float32Array(256 * context);
const validY = new Int32Array(256 * context);
bp.data.sampleWindows(valid, context, 256, new bp.Rng(3), validX, validY);

const t0 = Date.now();
let sum = 0;
for (let step = 1; step <= steps; step++) {
  bp.data.sampleWindows(train, context, batch, rng, x, y);
  sum += model.trainOnBatch({ data: x, shape: [batch, context] }, y);
  if (step % 100 === 0) {
    const val = model.evaluate({ data: validX, shape: [256, context] }, validY).loss;
    const s = ((Date.now() - t0) / 1000).toFixed(0);
    console.log(`step ${step}: train loss ${(sum / 100).toFixed(3)}, validation loss ${val.toFixed(3)} (${s} s)`);
    sum = 0;
  }
}

/** Ten new names: sampled character by character, temperature 0.8, among the 10 likeliest. */
const fresh = bp.data.generate(model, vocab, { count: 10, temperature: 0.8, topK: 10, seed: 4 });
const known = new Set(names);
console.log(fresh.map((n) => (known.has(n) ? `${n} (in the data)` : n)).join('\n'));
