// Jest global setup: some suites run the compiled package (dist/) in child processes and worker threads
// (the CLI, jobs, concurrency). Rebuild dist/ first whenever a source file is newer, so running a single
// file with `npx jest test/x.test.ts` never tests stale code.
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

function newest(dir) {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

module.exports = async () => {
  await rebuildIfStale();
  // Jest gives each test file a copy of process.env, so the OpenBLAS core backprop chooses when it is imported
  // would never reach the real environment (nor OpenBLAS, which reads it when the addon loads): choose it here,
  // in jest's own process, before the worker processes start, as a plain `node` process would.
  require(path.resolve(__dirname, '..', '..', 'dist', 'backend', 'native', 'blas-core.js')).chooseBlasCore(process.env);
};

async function rebuildIfStale() {
  const root = path.resolve(__dirname, '..', '..');
  const built = path.join(root, 'dist', 'index.js');
  const stale = !fs.existsSync(built) || newest(path.join(root, 'src')) > fs.statSync(built).mtimeMs;
  if (stale) {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: root,
      stdio: 'inherit',
    });
    fs.utimesSync(built, new Date(), new Date());
  }
}
