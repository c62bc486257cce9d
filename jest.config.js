/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type checking is done once by `tsc` in `npm test`; ts-jest only transpiles, which keeps the suite fast.
    '^.+\\.ts$': ['ts-jest', {}],
  },
  testTimeout: 30000,
};
