/**
 * A small tokenizer for text classification: words (or characters) → integer ids for an Embedding layer.
 * Id 0 is padding (an Embedding with maskZero skips it), id 1 stands for tokens outside the vocabulary, and
 * ids from 2 name the vocabulary's tokens, most frequent first. Its state (`toJSON`) is plain JSON, saved with
 * a model in `model.metadata` so predictions tokenize exactly as training did; `Tokenizer.fromJSON` checks a
 * state read back from a file (it is untrusted input).
 */
import type { Tensor } from '../model/tensor';
import { preview, quote } from '../quote';

/** Padding: the id of positions after the end of a text (an Embedding with maskZero ignores them). */
export const PAD_ID = 0;
/** The id of tokens not in the vocabulary. */
export const OOV_ID = 1;
/** The most tokens a vocabulary may hold (ids stay exact in float32 inputs, and Embedding takes 2^24 rows). */
export const MAX_VOCABULARY = 2 ** 24 - 2;
/**
 * The longest token (UTF-16 code units): `tokens` cuts longer runs of letters into pieces of this length, so fit
 * never learns a token that `fromJSON` (which refuses longer ones from a file) cannot read back.
 */
export const MAX_TOKEN_LENGTH = 1000;
/** The longest sequence `encode` makes. */
const MAX_LENGTH = 1_000_000;

export interface TokenizerOptions {
  /**
   * 'word' (default): runs of letters and digits (with inner apostrophes; runs longer than MAX_TOKEN_LENGTH
   * are cut into pieces of that length) and single punctuation marks; 'char': every character.
   */
  level?: 'word' | 'char';
  /** Lower-case texts first (default true). */
  lowercase?: boolean;
  /** Keep at most this many tokens, the most frequent (default 20,000). */
  maxVocabulary?: number;
  /** Tokens seen fewer times than this in `fit` stay outside the vocabulary (default 1). */
  minCount?: number;
}

/** A tokenizer's saved form (JSON). */
export interface TokenizerState {
  level: 'word' | 'char';
  lowercase: boolean;
  /** The vocabulary, by id: vocabulary[i] has id i + 2. */
  vocabulary: string[];
}

export interface EncodeOptions {
  /** Ids per text (default: the longest text's token count, at least 1). */
  length?: number;
  /** Where padding goes: 'post' (after the tokens, the default) or 'pre'. */
  padding?: 'post' | 'pre';
  /** Which tokens a longer text loses: 'post' (its end, the default) or 'pre' (its start). */
  truncating?: 'post' | 'pre';
}

/** A run of letters and digits, matched where `lastIndex` says (a plain class loop: no backtracking stack). */
const RUN = /[\p{L}\p{N}]+/uy;
/** One punctuation mark or symbol (not a space, letter or digit), matched where `lastIndex` says. */
const MARK = /[^\s\p{L}\p{N}]/uy;
const SPACES = /\s+/uy;

/**
 * Word-level tokens: runs of letters and digits joined by inner apostrophes ("it's", "o’clock"), and single
 * punctuation marks. A loop over the text, not one regular expression with a repeated group: V8 matched that
 * recursively, and a 10 MB run of `a'a'a'…` overflowed the stack.
 */
function wordTokens(text: string): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < text.length) {
    SPACES.lastIndex = at;
    if (SPACES.test(text)) {
      at = SPACES.lastIndex;
      continue;
    }
    RUN.lastIndex = at;
    if (RUN.test(text)) {
      let end = RUN.lastIndex;
      // Inner apostrophes join runs: stop before an apostrophe that no run follows.
      while (end < text.length && (text[end] === "'" || text[end] === '’')) {
        RUN.lastIndex = end + 1;
        if (!RUN.test(text)) break;
        end = RUN.lastIndex;
      }
      pushCut(out, text.slice(at, end));
      at = end;
      continue;
    }
    MARK.lastIndex = at;
    MARK.test(text);
    out.push(text.slice(at, MARK.lastIndex));
    at = MARK.lastIndex;
  }
  return out;
}

/** Appends `token`, cut into pieces of at most MAX_TOKEN_LENGTH code units (never inside a surrogate pair). */
function pushCut(out: string[], token: string): void {
  if (token.length <= MAX_TOKEN_LENGTH) {
    out.push(token);
    return;
  }
  for (let at = 0; at < token.length;) {
    let end = Math.min(token.length, at + MAX_TOKEN_LENGTH);
    const last = token.charCodeAt(end - 1);
    if (end < token.length && last >= 0xd800 && last <= 0xdbff) end--;
    out.push(token.slice(at, end));
    at = end;
  }
}

function fail(where: string, message: string): never {
  throw new Error(`${where}: ${message}`);
}

function checkTexts(where: string, texts: unknown): string[] {
  if (!Array.isArray(texts)) fail(where, `'texts' must be an array of strings, got ${typeof texts}`);
  texts.forEach((t, i) => {
    if (typeof t !== 'string') fail(where, `'texts'[${i}] is ${t === null ? 'null' : typeof t}, not a string`);
  });
  return texts as string[];
}

function intIn(where: string, name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    fail(where, `'${name}' must be an integer in [${min}, ${max}], got ${preview(v)}`);
  }
  return v;
}

export class Tokenizer {
  readonly level: 'word' | 'char';
  readonly lowercase: boolean;
  readonly maxVocabulary: number;
  readonly minCount: number;
  private vocab: string[] = [];
  private ids = new Map<string, number>();

  constructor(options: TokenizerOptions = {}) {
    const where = 'data.tokenizer()';
    if (options === null || typeof options !== 'object') fail(where, 'expected an options object');
    for (const key of Object.keys(options)) {
      if (!['level', 'lowercase', 'maxVocabulary', 'minCount'].includes(key)) {
        fail(where, `unknown option ${quote(key)}; options are level, lowercase, maxVocabulary, minCount`);
      }
    }
    const level = options.level ?? 'word';
    if (level !== 'word' && level !== 'char') fail(where, `'level' must be 'word' or 'char', got ${String(level)}`);
    this.level = level;
    if (options.lowercase !== undefined && typeof options.lowercase !== 'boolean') {
      fail(where, `'lowercase' must be true or false`);
    }
    this.lowercase = options.lowercase ?? true;
    this.maxVocabulary = intIn(where, 'maxVocabulary', options.maxVocabulary ?? 20000, 1, MAX_VOCABULARY);
    this.minCount = intIn(where, 'minCount', options.minCount ?? 1, 1, Number.MAX_SAFE_INTEGER);
  }

  /** The tokens of one text. @example bp.data.tokenizer().tokens("It's fine.") // ["it's", 'fine', '.'] */
  tokens(text: string): string[] {
    if (typeof text !== 'string') fail('tokenizer.tokens()', `expected a string, got ${typeof text}`);
    const t = this.lowercase ? text.toLowerCase() : text;
    return this.level === 'char' ? Array.from(t) : wordTokens(t);
  }

  /** Builds the vocabulary from training texts: the most frequent tokens first (ties in code-point order). */
  fit(texts: string[]): this {
    const counts = new Map<string, number>();
    for (const text of checkTexts('tokenizer.fit()', texts)) {
      for (const tok of this.tokens(text)) counts.set(tok, (counts.get(tok) ?? 0) + 1);
    }
    const kept = [...counts.entries()].filter(([, n]) => n >= this.minCount);
    kept.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    this.setVocabulary(kept.slice(0, this.maxVocabulary).map(([tok]) => tok));
    return this;
  }

  private setVocabulary(tokens: string[]): void {
    this.vocab = tokens;
    this.ids = new Map(tokens.map((tok, i) => [tok, i + 2]));
  }

  /** The vocabulary, by id - 2 (a copy). */
  get vocabulary(): string[] {
    return [...this.vocab];
  }

  /** How many ids there are (padding and out-of-vocabulary included): an Embedding's `inputDim`. */
  get vocabularySize(): number {
    return this.vocab.length + 2;
  }

  /** The ids of one text's tokens (1 for a token outside the vocabulary). */
  idsOf(text: string): number[] {
    return this.tokens(text).map((tok) => this.ids.get(tok) ?? OOV_ID);
  }

  /**
   * Texts → a [rows, length] tensor of ids, padded with 0 (see EncodeOptions).
   * @example
   * const tok = bp.data.tokenizer().fit(texts);
   * const x = tok.encode(texts, { length: 40 }); // then bp.layers.embedding({ inputDim: tok.vocabularySize, ... })
   */
  encode(texts: string[], options: EncodeOptions = {}): Tensor {
    const where = 'tokenizer.encode()';
    const rows = checkTexts(where, texts).map((t) => this.idsOf(t));
    const padding = options.padding ?? 'post',
      truncating = options.truncating ?? 'post';
    if (padding !== 'post' && padding !== 'pre') fail(where, `'padding' must be 'post' or 'pre'`);
    if (truncating !== 'post' && truncating !== 'pre') fail(where, `'truncating' must be 'post' or 'pre'`);
    let length = options.length;
    if (length === undefined) {
      length = 1;
      for (const r of rows) length = Math.max(length, r.length);
    }
    intIn(where, 'length', length, 1, MAX_LENGTH);
    if (rows.length * length > 2 ** 31) fail(where, `${rows.length} texts of ${length} ids are too many values`);
    const data = new Float32Array(rows.length * length);
    rows.forEach((ids, r) => {
      const kept = ids.length <= length ? ids : truncating === 'post' ? ids.slice(0, length) : ids.slice(-length);
      const start = padding === 'post' ? 0 : length - kept.length;
      data.set(kept, r * length + start);
    });
    return { data, shape: [rows.length, length], dtype: 'float32' };
  }

  /** Ids → text (tokens joined by a space at word level; padding dropped; '<oov>' for id 1). */
  decode(ids: ArrayLike<number>): string {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === PAD_ID) continue;
      out.push(id === OOV_ID ? '<oov>' : (this.vocab[id - 2] ?? '<oov>'));
    }
    return out.join(this.level === 'word' ? ' ' : '');
  }

  /** The saved form (plain JSON: store it in model.metadata). */
  toJSON(): TokenizerState {
    return { level: this.level, lowercase: this.lowercase, vocabulary: [...this.vocab] };
  }

  /**
   * A tokenizer from its saved form, every value checked (it may come from a file).
   * @example const tok = bp.data.Tokenizer.fromJSON(model.metadata.tokenizer);
   */
  static fromJSON(state: unknown): Tokenizer {
    const where = 'Tokenizer.fromJSON()';
    if (!state || typeof state !== 'object' || Array.isArray(state)) fail(where, 'expected a saved tokenizer object');
    const s = state as Record<string, unknown>;
    if (s.level !== 'word' && s.level !== 'char') fail(where, `'level' must be 'word' or 'char'`);
    if (typeof s.lowercase !== 'boolean') fail(where, `'lowercase' must be true or false`);
    const v = s.vocabulary;
    if (!Array.isArray(v) || v.length > MAX_VOCABULARY) {
      fail(where, `'vocabulary' must be an array of at most ${MAX_VOCABULARY} strings`);
    }
    const seen = new Set<string>();
    v.forEach((tok, i) => {
      if (typeof tok !== 'string' || tok.length === 0 || tok.length > MAX_TOKEN_LENGTH) {
        fail(where, `'vocabulary'[${i}] must be a non-empty string of at most ${MAX_TOKEN_LENGTH} characters`);
      }
      if (seen.has(tok)) fail(where, `'vocabulary'[${i}] ${quote(tok)} appears twice`);
      seen.add(tok);
    });
    const t = new Tokenizer({ level: s.level, lowercase: s.lowercase, maxVocabulary: Math.max(1, v.length) });
    t.setVocabulary([...(v as string[])]);
    return t;
  }
}

/**
 * A tokenizer: words or characters → ids (0 padding, 1 out-of-vocabulary).
 * @example
 * const tok = bp.data.tokenizer({ level: 'word', maxVocabulary: 10000 }).fit(trainTexts);
 * const x = tok.encode(trainTexts, { length: 50 });
 * model.metadata.tokenizer = tok.toJSON(); // saved with the model
 */
export function tokenizer(options?: TokenizerOptions): Tokenizer {
  return new Tokenizer(options);
}
