/**
 * Character-level language models ("make more names"): a vocabulary of the characters of a list of texts, the
 * texts as one stream (each followed by a newline, the end-of-text token), random training windows of it (the next
 * character at every position is the target), a small GPT's layers (KerasNLP's: token and position embedding, pre-
 * norm causal decoder blocks, layer normalization, logits), and sampling with temperature and top-k.
 * examples/gpt.js and `backprop train --text names.txt --transformer` use them.
 */
import type { Layer } from '../layers/layer';
import { layerNormalization, dense } from '../layers/index';
import { tokenAndPositionEmbedding, transformerDecoder } from '../layers/index';
import { Rng } from '../random';
import type { Sequential } from '../sequential';

/** The end-of-text token, written after every text of the stream. */
export const END = '\n';

/** Characters ↔ ids: id 0 is END, then the texts' characters in code-point order. */
export class CharVocabulary {
  readonly chars: string[];
  private readonly ids: Map<string, number>;

  constructor(chars: string[]) {
    this.chars = chars;
    this.ids = new Map(chars.map((c, i) => [c, i]));
  }

  /** The vocabulary of `texts` (END first). */
  static of(texts: string[]): CharVocabulary {
    const set = new Set<string>();
    for (const t of texts) for (const c of t) if (c !== END) set.add(c);
    return new CharVocabulary([END, ...[...set].sort()]);
  }

  get size(): number {
    return this.chars.length;
  }

  /** The ids of `text`'s characters; an error names a character the vocabulary does not have. */
  encode(text: string): number[] {
    return [...text].map((c) => {
      const id = this.ids.get(c);
      if (id === undefined) throw new Error(`char vocabulary: no character ${JSON.stringify(c)}`);
      return id;
    });
  }

  decode(ids: ArrayLike<number>): string {
    return Array.from(ids, (i) => this.chars[i] ?? '').join('');
  }
}

/** The texts as one stream of ids, each text followed by END, and its vocabulary. */
export function charStream(
  texts: string[],
  vocab = CharVocabulary.of(texts),
): { stream: Int32Array; vocab: CharVocabulary } {
  const ids: number[] = [];
  for (const t of texts) ids.push(...vocab.encode(t), 0);
  return { stream: Int32Array.from(ids), vocab };
}

/**
 * Fills x ([batch, steps] ids as floats, what predict and fit take) and y ([batch, steps] next ids) with `batch`
 * windows of the stream at random offsets.
 */
export function sampleWindows(
  stream: Int32Array,
  steps: number,
  batch: number,
  rng: Rng,
  x: Float32Array,
  y: Int32Array,
): void {
  if (stream.length <= steps)
    throw new Error(`sampleWindows(): the stream (${stream.length} ids) must be longer than ${steps} steps`);
  for (let b = 0; b < batch; b++) {
    const start = rng.int(stream.length - steps);
    for (let t = 0; t < steps; t++) {
      x[b * steps + t] = stream[start + t];
      y[b * steps + t] = stream[start + t + 1];
    }
  }
}

export interface GptOptions {
  vocabularySize: number;
  /** Context length: the model reads windows of this many characters. */
  sequenceLength: number;
  embeddingDim?: number;
  numHeads?: number;
  intermediateDim?: number;
  blocks?: number;
  dropout?: number;
}

/**
 * A small GPT's layers: tokenAndPositionEmbedding → `blocks` pre-norm transformerDecoder → layerNormalization →
 * dense(vocabulary) logits at every position (train with sparse categorical cross-entropy from logits).
 * Defaults: 128 features, 4 heads, feed-forward 512, 4 blocks, no dropout.
 */
export function gptLayers(o: GptOptions): Layer[] {
  const d = o.embeddingDim ?? 128;
  return [
    tokenAndPositionEmbedding({
      vocabularySize: o.vocabularySize,
      sequenceLength: o.sequenceLength,
      embeddingDim: d,
      inputShape: [o.sequenceLength],
    }),
    ...Array.from({ length: o.blocks ?? 4 }, () =>
      transformerDecoder({
        intermediateDim: o.intermediateDim ?? 512,
        numHeads: o.numHeads ?? 4,
        dropout: o.dropout ?? 0,
        normalizeFirst: true,
      }),
    ),
    layerNormalization({ epsilon: 1e-5 }),
    dense({ units: o.vocabularySize }),
  ];
}

export interface GenerateOptions {
  /** Texts to generate (default 10). */
  count?: number;
  /** Softmax temperature: below 1 more likely characters, above 1 more varied (default 1). */
  temperature?: number;
  /** Sample among the k most likely characters only (default: all). */
  topK?: number;
  /** Longest text, in characters (default 40). */
  maxLength?: number;
  seed?: number;
  /** The context the first text continues (default: END repeated, the start of a text). */
  prompt?: Int32Array;
}

/**
 * New texts from a character model: from a context of END tokens (or `prompt`), sample the next character from
 * the logits at the last position, slide the window, until END. The model must map [steps] ids to [steps, vocab]
 * logits (gptLayers).
 * @example generate(model, vocab, { count: 10, temperature: 0.8, topK: 10 })
 */
export function generate(model: Sequential, vocab: CharVocabulary, o: GenerateOptions = {}): string[] {
  const steps = model.inputShape![0];
  const V = vocab.size;
  const temperature = o.temperature ?? 1;
  if (!(temperature > 0)) throw new Error(`generate(): 'temperature' must be > 0, got ${temperature}`);
  const topK = Math.min(V, o.topK ?? V);
  if (!(Number.isInteger(topK) && topK >= 1)) throw new Error(`generate(): 'topK' must be an integer >= 1`);
  const rng = new Rng(o.seed ?? 0);
  const context = new Float32Array(steps);
  if (o.prompt) context.set(Float32Array.from(o.prompt.subarray(-steps)), steps - Math.min(steps, o.prompt.length));
  const texts: string[] = [];
  const probs = new Float64Array(V);
  const count = o.count ?? 10;
  // An END right after END is an empty text: skipped (a bounded number of times).
  for (let attempt = 0; texts.length < count && attempt < 20 * count; attempt++) {
    const chars: number[] = [];
    for (;;) {
      const logits = model.predict({ data: context, shape: [1, steps], dtype: 'float32' }).data;
      const last = logits.subarray((steps - 1) * V, steps * V);
      const kth = [...last].sort((a, b) => b - a)[topK - 1];
      let max = -Infinity;
      for (let i = 0; i < V; i++) if (last[i] >= kth) max = Math.max(max, last[i]);
      let sum = 0;
      for (let i = 0; i < V; i++) sum += probs[i] = last[i] >= kth ? Math.exp((last[i] - max) / temperature) : 0;
      let u = rng.uniform(0, sum),
        next = 0;
      while (next < V - 1 && (u -= probs[next]) > 0) next++;
      context.copyWithin(0, 1);
      context[steps - 1] = next;
      if (next === 0 || chars.length >= (o.maxLength ?? 40)) break;
      chars.push(next);
    }
    if (chars.length > 0) texts.push(vocab.decode(chars));
  }
  return texts;
}
