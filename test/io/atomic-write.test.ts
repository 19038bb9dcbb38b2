/**
 * atomicWriteFile leaves the permissions a plain write would: replacing a file keeps its mode (a private 0600
 * model.json stayed private only until the next save, which made it 0644), and a new file gets 0666 less the
 * umask.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { atomicWriteFile } from '../../src/io/atomic';
import { bp } from '../model/support';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-atomic-'));
const modeOf = (f: string) => fs.statSync(f).mode & 0o777;

describe('atomicWriteFile', () => {
  test('an existing file keeps its mode; a new one gets 0666 less the umask', () => {
    const file = path.join(tmp, 'private.json');
    fs.writeFileSync(file, 'old', { mode: 0o600 });
    fs.chmodSync(file, 0o600);
    atomicWriteFile(file, 'new');
    expect([fs.readFileSync(file, 'utf8'), modeOf(file)]).toEqual(['new', 0o600]);
    fs.chmodSync(file, 0o664);
    atomicWriteFile(file, 'newer');
    expect(modeOf(file)).toBe(0o664);

    const old = process.umask(0o027);
    try {
      const fresh = path.join(tmp, 'fresh.bin');
      atomicWriteFile(fresh, Uint8Array.of(1, 2));
      expect(modeOf(fresh)).toBe(0o640);
      process.umask(0o002);
      const shared = path.join(tmp, 'shared.bin');
      atomicWriteFile(shared, Uint8Array.of(1));
      expect(modeOf(shared)).toBe(0o664);
    } finally {
      process.umask(old);
    }
  });

  test('saving over a private model keeps model.json private', async () => {
    const dir = path.join(tmp, 'model');
    const model = bp.sequential({ layers: [bp.layers.dense({ units: 1, inputShape: [1] })] });
    await model.save(dir);
    fs.chmodSync(path.join(dir, 'model.json'), 0o600);
    await model.save(dir);
    expect(modeOf(path.join(dir, 'model.json'))).toBe(0o600);
  });
});
