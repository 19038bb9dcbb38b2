/**
 * `backprop train --text names.txt --transformer`: a character-level GPT (data/char-lm.ts: token and position
 * embedding, pre-norm causal decoder blocks, layer normalization, logits) trained on the lines of a text file to
 * predict each next character, with AdamW; prints the training and validation loss per epoch and ten sampled
 * texts, and saves the model (its vocabulary in the file's metadata) with --out.
 */
import * as fs from 'node:fs';
import * as bp from '../index';
import { CharVocabulary, charStream, generate, gptLayers, sampleWindows } from '../data/char-lm';
import { fail, intOption, numOption } from './errors';
import { checkOutputDir } from './paths';

export interface LanguageModelOptions {
  text?: string;
  layers?: string;
  sequenceLength?: string;
  epochs?: string;
  batchSize?: string;
  lr?: string;
  seed?: string;
  out?: string;
  json?: boolean;
}

/** Most bytes of a --text file (the whole file is read and encoded in memory). */
const MAX_TEXT_BYTES = 64 << 20;

/** `--layers` of a transformer: `<blocks>x<features>` (default 4x128); heads of 32 features each. */
function blocksAndFeatures(v: string | undefined): { blocks: number; d: number } {
  if (v === undefined) return { blocks: 4, d: 128 };
  const m = /^([1-9][0-9]{0,2})x([1-9][0-9]{0,4})$/.exec(v);
  if (!m) fail(`--layers for --transformer is <blocks>x<features>, like 4x128; got '${v}'`);
  return { blocks: Number(m[1]), d: Number(m[2]) };
}

export async function trainLanguageModel(o: LanguageModelOptions): Promise<void> {
  if (!o.text) fail('--transformer needs --text <file.txt>: the texts to learn, one per line');
  const { blocks, d } = blocksAndFeatures(o.layers);
  const steps = intOption('sequence-length', o.sequenceLength, 2, 64);
  const epochs = intOption('epochs', o.epochs, 1, 20);
  const batch = intOption('batch-size', o.batchSize, 1, 32);
  const seed = intOption('seed', o.seed, 0, 0);
  const lr = numOption('lr', o.lr, 1e-3);
  if (o.out !== undefined) checkOutputDir('--out', o.out);
  let size: number;
  try {
    size = fs.statSync(o.text).size;
  } catch (e) {
    fail(`--text ${o.text}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (size > MAX_TEXT_BYTES) fail(`--text ${o.text}: ${size} bytes; at most ${MAX_TEXT_BYTES} are read`);
  const texts = fs
    .readFileSync(o.text, 'utf8')
    .split(/\r?\n/)
    .filter((line) => line.length > 0);
  const rng = new bp.Rng(seed);
  rng.shuffle(texts);
  const split = Math.max(1, Math.floor(texts.length * 0.9));
  const vocab = CharVocabulary.of(texts);
  const train = charStream(texts.slice(0, split), vocab).stream;
  const valid = charStream(texts.length > split ? texts.slice(split) : texts, vocab).stream;
  for (const [name, s] of [
    ['training', train],
    ['validation', valid],
  ] as const) {
    if (s.length <= steps)
      fail(`--text ${o.text}: the ${name} text (${s.length} characters) is shorter than --sequence-length ${steps}`);
  }
  const model = bp.sequential({
    seed,
    layers: gptLayers({
      vocabularySize: vocab.size,
      sequenceLength: steps,
      embeddingDim: d,
      numHeads: Math.max(1, Math.floor(d / 32)),
      intermediateDim: 4 * d,
      blocks,
    }),
  });
  model.compile({
    optimizer: bp.optimizers.adamw({ learningRate: lr }),
    loss: bp.losses.sparseCategoricalCrossentropy({ fromLogits: true }),
  });
  model.metadata = { ...model.metadata, charVocabulary: vocab.chars };
  const x = new Float32Array(batch * steps),
    y = new Int32Array(batch * steps);
  const validRows = Math.min(256, Math.max(1, Math.floor(valid.length / steps)));
  const vx = new Float32Array(validRows * steps),
    vy = new Int32Array(validRows * steps);
  sampleWindows(valid, steps, validRows, new bp.Rng(seed + 1), vx, vy);
  const perEpoch = Math.max(1, Math.ceil(train.length / (batch * steps)));
  const say = (line: string, json: Record<string, unknown>) =>
    process.stdout.write(`${o.json ? JSON.stringify(json) : line}\n`);
  say(`${texts.length} texts, ${train.length} characters, vocabulary ${vocab.size}; ${perEpoch} steps per epoch`, {
    texts: texts.length,
    characters: train.length,
    vocabulary: vocab.size,
    stepsPerEpoch: perEpoch,
  });
  for (let epoch = 1; epoch <= epochs; epoch++) {
    let sum = 0;
    for (let s = 0; s < perEpoch; s++) {
      sampleWindows(train, steps, batch, rng, x, y);
      sum += model.trainOnBatch({ data: x, shape: [batch, steps], dtype: 'float32' }, y);
    }
    const val = model.evaluate({ data: vx, shape: [validRows, steps], dtype: 'float32' }, vy).loss;
    say(`epoch ${epoch}/${epochs}: loss ${(sum / perEpoch).toFixed(4)}, validation loss ${val.toFixed(4)}`, {
      epoch,
      loss: sum / perEpoch,
      valLoss: val,
    });
  }
  const samples = generate(model, vocab, { count: 10, temperature: 0.8, topK: 10, seed });
  say(`samples: ${samples.join(', ')}`, { samples });
  if (o.out !== undefined) await model.save(o.out);
}
