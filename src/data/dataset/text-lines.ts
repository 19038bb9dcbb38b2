/**
 * textLineDataset: the lines of a UTF-8 text file as strings, read in chunks (memory is one chunk and the
 * longest line, never the file), for tokenizers and text models. Line ends are \n or \r\n; a leading
 * byte-order mark is dropped. Lines are decoded on the main thread: turning them into ids is the
 * tokenizer's job, in `map`.
 */
import { derived, type Dataset } from './dataset';
import { OpenFile, readAsync, sameIdentity, toFileRef, type FileIdentity, type FileInput } from './file-source';
import type { Pass } from './ops';

export interface TextLineOptions {
  /** Refuse a line longer than this many bytes (default 16 MiB): a file without line ends is not text lines. */
  maxLineBytes?: number;
  /** How errors name the file (default: its path, or 'fd N'). */
  name?: string;
}

const CHUNK = 1 << 20;
const noop = () => {};

/**
 * A dataset of the lines of a text file (a path or an open file descriptor / FileHandle).
 * @example
 * const lines = bp.data.textLineDataset('corpus.txt');
 * const tok = await bp.data.tokenizer().fitDataset(lines);
 */
export function textLineDataset(file: FileInput, options: TextLineOptions = {}): Dataset<string> {
  const who = 'textLineDataset()';
  const ref = toFileRef(file, who);
  if (!options || typeof options !== 'object') throw new Error(`${who}: options must be an object`);
  const maxLine = options.maxLineBytes ?? 16 * 2 ** 20;
  if (!Number.isSafeInteger(maxLine) || maxLine < 1)
    throw new Error(`${who}: 'maxLineBytes' must be a positive integer, got ${String(maxLine)}`);
  const name = options.name ?? ('path' in ref ? ref.path : `fd ${ref.fd}`);
  let first: FileIdentity | undefined;

  return derived(async function* (): Pass<string> {
    const f = OpenFile.open(ref, name);
    try {
      // Every pass reads the version the first pass read: a different file would change the dataset.
      first ??= f.identity;
      if (!sameIdentity(first, f.identity)) f.check(first);
      const size = f.identity.size;
      const decoder = new TextDecoder('utf-8');
      let buf = new Uint8Array(CHUNK);
      let pos = 0,
        have = 0,
        line = 1;
      for (;;) {
        if (have === buf.length) {
          if (buf.length >= maxLine + 2)
            throw new Error(`${name}: line ${line} is longer than maxLineBytes (${maxLine}); raise it if it is right`);
          const grown = new Uint8Array(Math.min(buf.length * 2, maxLine + 2));
          grown.set(buf);
          buf = grown;
        }
        const n = await readAsync(f, buf, have, buf.length - have, pos);
        pos += n;
        have += n;
        f.check();
        const end = pos >= size;
        let start = 0;
        if (pos === n && have >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) start = 3;
        for (;;) {
          const nl = buf.indexOf(10, start);
          if (nl < 0 || nl >= have) break;
          const stop = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
          if (stop - start > maxLine)
            throw new Error(`${name}: line ${line} is longer than maxLineBytes (${maxLine}); raise it if it is right`);
          yield {
            value: decoder.decode(buf.subarray(start, stop)),
            borrowed: false,
            release: noop,
            progress: pos / size,
          };
          line++;
          start = nl + 1;
        }
        if (end) {
          if (start < have) {
            const stop = buf[have - 1] === 13 ? have - 1 : have;
            yield { value: decoder.decode(buf.subarray(start, stop)), borrowed: false, release: noop, progress: 1 };
          }
          return;
        }
        buf.copyWithin(0, start, have);
        have -= start;
      }
    } finally {
      f.close();
    }
  });
}
