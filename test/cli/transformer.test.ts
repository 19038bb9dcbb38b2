/**
 * `backprop train --text names.txt --transformer` through the real binary: a character-level GPT trains on the
 * lines of a text file (the loss falls), prints samples, saves a model that loads with its vocabulary; and the
 * errors name the flag.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as bp from '../../src';

const BIN = path.resolve(__dirname, '../../dist/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-cli-lm-'));
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, BACKPROP_SILENT: '1' },
    timeout: 240000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

const names = path.join(tmp, 'names.txt');
fs.writeFileSync(names, `${bp.data.firstNames({ set: 'male' }).slice(0, 400).join('\n')}\n`);

describe('backprop train --transformer', () => {
  test('trains a character GPT on the lines, samples, saves a model that loads', async () => {
    const out = path.join(tmp, 'gpt');
    const r = run(
      'train',
      '--text',
      names,
      '--transformer',
      '--layers',
      '1x32',
      '--sequence-length',
      '16',
      '--epochs',
      '3',
      '--lr',
      '0.003',
      '--json',
      '--out',
      out,
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ texts: 400, vocabulary: expect.any(Number) });
    const epochs = lines.filter((l) => l.epoch !== undefined);
    expect(epochs).toHaveLength(3);
    expect(epochs[2].loss).toBeLessThan(epochs[0].loss);
    expect(lines[lines.length - 1].samples).toHaveLength(10);
    const model = await bp.loadLayersModel(out);
    const vocabulary = (model.metadata as { charVocabulary: string[] }).charVocabulary;
    expect(vocabulary[0]).toBe('\n');
    expect(model.layers.map((l) => l.className)).toEqual([
      'TokenAndPositionEmbedding',
      'TransformerDecoder',
      'LayerNormalization',
      'Dense',
    ]);
    expect(model.predict(bp.tensor(new Float32Array(16), [1, 16])).shape).toEqual([1, 16, vocabulary.length]);
  });

  test('errors name the flag', () => {
    expect(run('train', '--transformer').err).toMatch(/--transformer needs --text <file.txt>/);
    expect(run('train', '--transformer', '--text', names, '--layers', '4').err).toMatch(
      /<blocks>x<features>, like 4x128; got '4'/,
    );
    expect(run('train', '--transformer', '--text', path.join(tmp, 'missing.txt')).err).toMatch(/missing.txt: ENOENT/);
    const tiny = path.join(tmp, 'tiny.txt');
    fs.writeFileSync(tiny, 'ab\ncd\n');
    expect(run('train', '--transformer', '--text', tiny).err).toMatch(/shorter than --sequence-length 64/);
  });
});
