// ESM-only dependencies (chalk, ora, execa, faker) load natively: jest runs in
// ESM mode (NODE_OPTIONS=--experimental-vm-modules, set by `npm test`) and
// ts-jest emits ESM, so nothing is transpiled to CommonJS behind our back.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  // Jest 30 "soft-deletes" globals a test file left behind and wraps them in
  // proxies; in one run a suite failed to load with a stack overflow inside
  // that wrapper (test/esm/shardProcessor.test.ts, "Reflect.set"). Off is
  // Jest 29's behaviour: each test file still gets a fresh global scope.
  testEnvironmentOptions: { globalsCleanup: 'off' },
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  setupFiles: ['<rootDir>/test/setup-env.cjs'],
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // Each test file starts its own DynamoDB Local; two at a time fits 2 cores.
  maxWorkers: 2,
  testTimeout: 60_000,
};
