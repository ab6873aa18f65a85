/** Unit tests of the service: pure TypeScript, no Elasticsearch needed. */
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // Integration suites need a real Elasticsearch: jest.integration.config.js.
  testPathIgnorePatterns: ['/node_modules/', '\\.int\\.test\\.ts$'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.json' }]
  }
};
