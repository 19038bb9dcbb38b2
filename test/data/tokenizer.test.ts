/**
 * bp.data.tokenizer: words and characters to ids (0 padding, 1 out of vocabulary), the vocabulary by
 * frequency, padding and truncation, the saved form checked when read back, and an Embedding → LSTM text
 * classifier trained from labelled sentences whose tokenizer is saved with the model.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as bp from '../../src';
import { MAX_TOKEN_LENGTH, Tokenizer, tokenizer } from '../../src/data/tokenizer';

describe('tokenizer', () => {
  test('words: lower-cased runs of letters/digits (inner apostrophes kept) and single punctuation marks', () => {
    const t = tokenizer();
    expect(t.tokens("It's 2 GOOD, isn't it?")).toEqual(["it's", '2', 'good', ',', "isn't", 'it', '?']);
    expect(tokenizer({ lowercase: false }).tokens('Héllo Wörld')).toEqual(['Héllo', 'Wörld']);
    expect(tokenizer({ level: 'char' }).tokens('Ab c')).toEqual(['a', 'b', ' ', 'c']);
  });

  test('the vocabulary is ordered by frequency (ties by code point); ids start at 2', () => {
    const t = tokenizer().fit(['b a c a', 'a b d']);
    expect(t.vocabulary).toEqual(['a', 'b', 'c', 'd']);
    expect(t.vocabularySize).toBe(6);
    expect(t.idsOf('a d zebra')).toEqual([2, 5, 1]);
    const small = tokenizer({ maxVocabulary: 2, minCount: 2 }).fit(['b a c a', 'a b d']);
    expect(small.vocabulary).toEqual(['a', 'b']);
    expect(small.idsOf('c a')).toEqual([1, 2]);
  });

  test('encode pads with 0 and truncates, at the end or at the start', () => {
    // All counts tie: code-point order gives four 2, one 3, three 4, two 5.
    const t = tokenizer().fit(['one two three four']);
    const ids = (o: object) => Array.from(t.encode(['one two three four', 'two'], o).data);
    expect(ids({ length: 3 })).toEqual([3, 5, 4, 5, 0, 0]);
    expect(ids({ length: 3, padding: 'pre', truncating: 'pre' })).toEqual([5, 4, 2, 0, 0, 5]);
    expect(t.encode(['one two three four', 'two']).shape).toEqual([2, 4]);
  });

  test('the saved form round-trips; a hostile one is refused with a clear error', () => {
    const t = tokenizer({ level: 'char', lowercase: false }).fit(['abcab']);
    const again = Tokenizer.fromJSON(JSON.parse(JSON.stringify(t.toJSON())));
    expect(again.vocabulary).toEqual(t.vocabulary);
    expect(Array.from(again.encode(['cab?']).data)).toEqual(Array.from(t.encode(['cab?']).data));
    expect(again.decode([4, 2, 3, 1, 0])).toBe('cab<oov>');
    expect(() => Tokenizer.fromJSON({ level: 'word', lowercase: true, vocabulary: ['a', 'a'] })).toThrow(
      /appears twice/,
    );
    expect(() => Tokenizer.fromJSON({ level: 'word', lowercase: true, vocabulary: [3] })).toThrow(/vocabulary'\[0\]/);
    expect(() => Tokenizer.fromJSON({ level: 'sentence', lowercase: true, vocabulary: [] })).toThrow(/'level'/);
    expect(() => Tokenizer.fromJSON(null)).toThrow(/expected a saved tokenizer/);
  });

  test('whatever fit learns, fromJSON reads back: runs longer than MAX_TOKEN_LENGTH are cut into pieces', () => {
    const long = 'x'.repeat(2 * MAX_TOKEN_LENGTH + 5);
    const t = tokenizer().fit([`${long} ok`, `${long} ok`]);
    expect(t.tokens(long).map((p) => p.length)).toEqual([MAX_TOKEN_LENGTH, MAX_TOKEN_LENGTH, 5]);
    const again = Tokenizer.fromJSON(JSON.parse(JSON.stringify(t.toJSON())));
    expect(Array.from(again.encode([`ok ${long}`]).data)).toEqual(Array.from(t.encode([`ok ${long}`]).data));
    expect(again.idsOf(long)).not.toContain(1); // every piece is in the vocabulary
    // A surrogate pair is never cut in two.
    const emoji = `${'y'.repeat(MAX_TOKEN_LENGTH - 1)}\u{1D7D8}z`; // a mathematical digit (\p{N}, two code units)
    const pieces = t.tokens(emoji);
    expect(pieces.join('')).toBe(emoji);
    expect(pieces.map((p) => p.length)).toEqual([MAX_TOKEN_LENGTH - 1, 3]);
    // A vocabulary from a file keeps the same limit.
    expect(() =>
      Tokenizer.fromJSON({ level: 'word', lowercase: true, vocabulary: ['x'.repeat(MAX_TOKEN_LENGTH + 1)] }),
    ).toThrow(/at most 1000 characters/);
  });

  test("a 10 MB run of a'a'a'… is tokenized in a loop, not on the stack", () => {
    const text = "a'".repeat(5_000_000);
    const tokens = tokenizer().tokens(text);
    expect(tokens.length).toBe(Math.ceil((text.length - 1) / MAX_TOKEN_LENGTH) + 1);
    expect(tokens[tokens.length - 1]).toBe("'");
    expect(tokens.slice(0, -1).join('')).toBe(text.slice(0, -1));
  });

  test('bad arguments name the option', () => {
    expect(() => tokenizer({ level: 'byte' as 'word' })).toThrow(/'level' must be 'word' or 'char'/);
    expect(() => tokenizer({ maxVocabulary: 0 })).toThrow(/'maxVocabulary' must be an integer/);
    expect(() => tokenizer({ vocab: 3 } as never)).toThrow(/unknown option 'vocab'/);
    expect(() => tokenizer().fit(['ok', 3 as never])).toThrow(/'texts'\[1\] is number/);
    expect(() => tokenizer().fit(['a']).encode(['a'], { length: 0 })).toThrow(/'length' must be an integer/);
  });

  test('an Embedding → LSTM classifier learns labelled sentences; the tokenizer is saved with the model', async () => {
    const rng = new bp.Rng(4);
    const good = ['great', 'lovely', 'fine', 'superb', 'nice'],
      bad = ['awful', 'poor', 'dull', 'broken', 'sad'],
      filler = ['the', 'film', 'was', 'really', 'quite', 'a', 'story', 'and', 'so'];
    const texts: string[] = [],
      labels: number[] = [];
    for (let i = 0; i < 240; i++) {
      const label = i % 2;
      const words = Array.from({ length: 3 + rng.int(6) }, () => filler[rng.int(filler.length)]);
      words.splice(rng.int(words.length + 1), 0, (label ? good : bad)[rng.int(5)]);
      texts.push(words.join(' ') + (rng.int(2) ? '.' : '!'));
      labels.push(label);
    }
    const tok = tokenizer().fit(texts.slice(0, 200));
    const x = tok.encode(texts, { length: 12 });
    const model = bp.sequential({
      seed: 2,
      layers: [
        bp.layers.embedding({ inputDim: tok.vocabularySize, outputDim: 8, inputLength: 12, maskZero: true }),
        bp.layers.lstm({ units: 16, recurrentActivation: 'sigmoid' }),
        bp.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    model.compile({
      optimizer: bp.optimizers.adam({ learningRate: 0.02 }),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });
    const train = bp.tensor(x.data.slice(0, 200 * 12), [200, 12]),
      test = bp.tensor(x.data.slice(200 * 12), [40, 12]);
    await model.fit(train, labels.slice(0, 200), { epochs: 15, batchSize: 20, verbose: 0 });
    expect(model.evaluate(test, labels.slice(200)).accuracy).toBeGreaterThanOrEqual(0.9);
    model.metadata.tokenizer = tok.toJSON();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-text-'));
    await model.save(dir);
    const loaded = await bp.loadLayersModel(dir);
    const tok2 = Tokenizer.fromJSON(loaded.metadata.tokenizer);
    const probe = ['the film was superb', 'a dull story'];
    expect(Array.from(loaded.predict(tok2.encode(probe, { length: 12 })).data)).toEqual(
      Array.from(model.predict(tok.encode(probe, { length: 12 })).data),
    );
  });
});
