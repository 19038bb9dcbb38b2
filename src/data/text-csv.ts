/**
 * CSV files of labelled texts (a sentence per row, and a label): the text column as strings, for a
 * tokenizer, and the target mapped exactly as loadCsv maps it (sorted class names, or numbers).
 */
import * as fs from 'node:fs';
import { parseCsv, type CsvOptions } from './csv';
import { forEachRecord } from './csv-records';
import type { Tensor2D } from './tensor';
import { quote } from '../quote';

export interface TextCsvOptions extends Pick<
  CsvOptions,
  'target' | 'header' | 'delimiter' | 'task' | 'classes' | 'maxRows' | 'name'
> {
  /** The column holding the text. */
  text: string;
}

export interface TextCsvData {
  texts: string[];
  /** Class indices (classification) or a one-column matrix (regression); absent without a target. */
  y?: Int32Array | Tensor2D;
  task?: 'classification' | 'regression';
  classes?: string[];
  textName: string;
  targetName?: string;
}

/**
 * Loads a CSV of texts (synchronously; only regular files are read).
 * @example
 * const { texts, y, classes } = bp.data.loadTextCsv('reviews.csv', { text: 'review', target: 'sentiment' });
 */
export function loadTextCsv(path: string, options: TextCsvOptions): TextCsvData {
  const name = options.name ?? path;
  let text: string;
  try {
    if (!fs.statSync(path).isFile()) throw new Error(`${name}: not a regular file; give the path of a CSV file`);
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!code) throw e;
    throw new Error(`${name}: cannot read the file (${code})`);
  }
  return parseTextCsv(text, options, name);
}

/** As loadTextCsv, from a string; `file` names the source in error messages. */
export function parseTextCsv(text: string, options: TextCsvOptions, file = '<csv>'): TextCsvData {
  if (!options || typeof options.text !== 'string') throw new Error(`${file}: 'text' must name the text column`);
  if (options.text === options.target) throw new Error(`${file}: the text column cannot also be the target`);
  // Labels (and every check of the file's shape) as loadCsv does them; no numeric features.
  const labelled = parseCsv(text, { ...options, columns: [] }, file);
  const header = options.header ?? true;
  const texts: string[] = [];
  let column = -1;
  let first = true;
  forEachRecord(text, options.delimiter ?? ',', (rec) => {
    if (first) {
      first = false;
      const names = header ? rec : rec.map((_, i) => String(i));
      column = names.indexOf(options.text);
      if (column < 0) throw new Error(`${file}: no column named ${quote(options.text)}`);
      if (header) return;
    }
    texts.push(rec[column]);
  });
  return {
    texts,
    y: labelled.y,
    task: labelled.task,
    classes: labelled.classes,
    textName: options.text,
    targetName: labelled.targetName,
  };
}
