/**
 * Text from a job spec or from Redis, quoted in errors and warnings through src/quote.ts (no local clipping):
 * control characters (a terminal escape, a newline) arrive escaped, never raw, and a long value is cut with its
 * full length said. A store key or a value quoted in a message escapes its quotes too; a worker's failure reason,
 * shown as the message it is, keeps them.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeEvent, decodeProgress, decodeReturn } from '../../src/jobs/queue-codec';
import { checkStoreKey, DirectoryStore } from '../../src/jobs/store';

const ESC = '\u001b[2J';

test('a store key is quoted escaped and cut, whichever check refuses it', async () => {
  expect(() => checkStoreKey(`/a${ESC}\n'b`, 'data.csv')).toThrow(
    `data.csv '/a\\u001b[2J\\n\\'b' is an absolute path; give`,
  );
  expect(() => checkStoreKey(`a/../${ESC}`, 'data.csv')).toThrow(`data.csv 'a/../\\u001b[2J' has an empty`);
  expect(() => checkStoreKey(`/${'k'.repeat(199)}`, 'data.csv')).toThrow(
    `data.csv '/${'k'.repeat(79)}…' (200 characters) is an absolute path`,
  );
  // Opening: a key that passes the form check but is not in the store.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-quoted-'));
  try {
    const store = new DirectoryStore(dir);
    await expect(store.open(`x${ESC}.csv`, 'file', 'data.csv')).rejects.toThrow(
      `data.csv 'x\\u001b[2J.csv' does not exist in the store`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('values from Redis are quoted escaped in the warnings about them', () => {
  expect(() => decodeEvent({ event: 'progress', jobId: `j${ESC}`, data: '{}' })).toThrow(
    `a 'progress' event names no valid job id: 'j\\u001b[2J'`,
  );
  expect(() => decodeProgress(`{"loss": 1${ESC}`)).toThrow(`the progress event is not JSON: '{"loss": 1\\u001b[2J'`);
  expect(() => decodeReturn(JSON.stringify(`started${ESC}`))).toThrow(
    `the return value is not an object: 'started\\u001b[2J'`,
  );
  expect(() => decodeReturn(JSON.stringify('s'.repeat(100)))).toThrow(
    `the return value is not an object: '${'s'.repeat(80)}…' (100 characters)`,
  );
});

test("a worker's failure reason keeps its quotes, has its control characters escaped and is cut at 4096", () => {
  const reason = (failedReason: string) =>
    (decodeEvent({ event: 'failed', jobId: 'j1', failedReason }) as { reason: string }).reason;
  expect(reason("column 'b': 'x' is not a number")).toBe("column 'b': 'x' is not a number");
  expect(reason(`bad${ESC}\nnext`)).toBe('bad\\u001b[2J\\nnext');
  expect(reason('r'.repeat(5000))).toBe(`${'r'.repeat(4096)}… (5000 characters)`);
});
