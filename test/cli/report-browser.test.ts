/**
 * The HTML report rendered by headless Chromium (Debian's `chromium`, installed by .ci/run): the DOM it
 * builds has the charts with a point per epoch, and a screenshot is saved under test-output/.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const BIN = path.resolve(__dirname, '../../dist/cli/main.js');
const chromium = ['chromium', 'chromium-browser', 'google-chrome'].find((c) => spawnSync('which', [c]).status === 0);
const OUT = path.resolve(__dirname, '../../test-output');
// CI installs chromium; there, a missing browser is a failure, not a skip.
if (!chromium && process.env.BACKPROP_REQUIRE_NATIVE === '1')
  throw new Error('chromium is not installed (apt-get install chromium)');

(chromium && fs.existsSync(BIN) ? test : test.skip)(
  'headless Chromium draws the report charts; screenshot saved',
  () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-report-'));
    const report = path.join(tmp, 'report.html');
    execFileSync(
      process.execPath,
      [
        BIN,
        'train',
        '--dataset',
        'xor',
        '--layers',
        '8',
        '--activation',
        'tanh',
        '--epochs',
        '12',
        '--lr',
        '0.05',
        '--batch-size',
        '4',
        '--report',
        report,
        '--json',
      ],
      { env: { ...process.env, BACKPROP_SILENT: '1' } },
    );
    const flags = [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      `--user-data-dir=${path.join(tmp, 'profile')}`,
    ];
    const dom = execFileSync(chromium!, [...flags, '--dump-dom', `file://${report}`], {
      encoding: 'utf8',
      timeout: 60000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const svgs = dom.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs.length).toBe(2); // loss and accuracy
    for (const svg of svgs) {
      const series = [...svg.matchAll(/<path class="series"[^>]* d="([^"]+)"/g)];
      expect(series).toHaveLength(2); // training and validation
      for (const s of series) expect(s[1].split(/[ML]/).filter((t) => t.trim()).length).toBe(12);
      expect((svg.match(/<circle /g) ?? []).length).toBe(24);
    }
    fs.mkdirSync(OUT, { recursive: true });
    const shot = path.join(OUT, 'report.png');
    execFileSync(chromium!, [...flags, `--screenshot=${shot}`, '--window-size=1200,1400', `file://${report}`], {
      timeout: 60000,
      stdio: 'ignore',
    });
    const png = fs.readFileSync(shot);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(10000);
  },
  120000,
);
