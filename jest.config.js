/**
 * Unit tests of the JupyterLab frontend (src/__tests__), in jsdom. The
 * service's tests have their own config (service/jest.config.js).
 *
 * vega 6, vega-lite 6, vega-embed 7, d3 and JupyterLab 4 ship ES modules
 * only: they are compiled to CommonJS for jest like the sources are.
 */
const esModules = [
  '@jupyterlab/',
  '@jupyter/',
  '@codemirror/',
  '@lezer/',
  '@microsoft/',
  'exenv-es6',
  'd3-',
  'delaunator',
  'internmap',
  'json-stringify-pretty-compact',
  'lib0',
  'robust-predicates',
  'vega',
  'y-protocols',
  'yjs'
].join('|');

module.exports = {
  rootDir: __dirname,
  testEnvironment: '<rootDir>/src/__tests__/environment.ts',
  roots: ['<rootDir>/src'],
  testMatch: ['<rootDir>/src/__tests__/**/*.spec.ts'],
  // Views render real vega charts in jsdom: on a busy 2-core runner one
  // render can take seconds, so jest's 5 s default would fail slow, not wrong.
  testTimeout: 30000,
  moduleNameMapper: {
    '\\.svg$': '<rootDir>/src/__tests__/svgStub.js',
    '\\.css$': '<rootDir>/src/__tests__/fileStub.js'
  },
  transform: {
    // Compiled file by file (no type check here: `tsc -p src/__tests__` does it).
    '^.+\\.(c|m)?[jt]sx?$': [
      'ts-jest',
      {
        tsconfig: {
          target: 'ES2020',
          module: 'commonjs',
          allowJs: true,
          esModuleInterop: true,
          isolatedModules: true
        }
      }
    ]
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esModules}))`]
};
