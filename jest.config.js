/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  rootDir: '.',
  testMatch: ['**/*.test.ts'],
  // test/load: load tests (the example service under 8 × 45 MB jobs, and under denial-of-service attempts). They
  // need the machine to themselves, so .ci/run runs them alone in its hardening step, not beside other suites.
  testPathIgnorePatterns:
    process.env.BACKPROP_LOAD_TESTS === '1' ? ['/node_modules/'] : ['/node_modules/', '/test/load/'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 60000,
  // dist/ is rebuilt when src/ is newer (suites that spawn the CLI or workers run the compiled package).
  globalSetup: '<rootDir>/test/support/global-setup.js',
  // Two cores: more workers only adds contention with the BLAS threads.
  maxWorkers: 2,
};
