/**
 * Integration tests of the service against a real Elasticsearch: set
 * TFLOG_TEST_ES_URL (scripts/test.sh starts a node and sets it).
 */
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['**/*.int.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.json' }]
  }
};
