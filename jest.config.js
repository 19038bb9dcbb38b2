/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  rootDir: '.',
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 60000,
  // dist/ is rebuilt when src/ is newer (suites that spawn the CLI or workers run the compiled package).
  globalSetup: '<rootDir>/test/support/global-setup.js',
  // Two cores: more workers only adds contention with the BLAS threads.
  maxWorkers: 2,
};
