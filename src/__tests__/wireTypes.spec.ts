/**
 * The API's wire types have one definition, service/src/wire.d.ts: the
 * frontend re-exports them (type-only) and never declares its own copy,
 * which would drift from the service unnoticed.
 */
import { readdirSync, readFileSync } from 'fs';
import { join, relative } from 'path';

const ROOT = join(__dirname, '..', '..');
const WIRE = join(ROOT, 'service', 'src', 'wire.d.ts');
const SRC = join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      return path === join(SRC, '__tests__') ? [] : sourceFiles(path);
    }
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

function wireNames(text: string): string[] {
  return [...text.matchAll(/^export (?:interface|type) (\w+)/gm)].map(
    match => match[1]
  );
}

/** Declarations of `names` in `text`: `interface X`, `type X =`, `class X`, `enum X`. */
function redeclared(text: string, names: readonly string[]): string[] {
  const found = new Set<string>();
  const declaration =
    /^\s*(?:export\s+)?(?:declare\s+)?(?:interface|type|class|enum)\s+(\w+)\b(?!\s*(?:,|\}|as\b))/gm;
  for (const match of text.matchAll(declaration)) {
    if (names.includes(match[1])) {
      found.add(match[1]);
    }
  }
  return [...found];
}

/** Imports or re-exports of the wire module that are not type-only. */
function valueImports(text: string): string[] {
  const statements =
    /^\s*(import|export)\b([^;]*?)\bfrom\s+['"][./]*(?:[\w.-]+\/)*wire['"]/gms;
  return [...text.matchAll(statements)]
    .map(match => `${match[1]}${match[2]}`.replace(/\s+/g, ' ').trim())
    .filter(statement => !/^(import|export) type\b/.test(statement));
}

describe('the wire types', () => {
  const wire = readFileSync(WIRE, 'utf8');
  const names = wireNames(wire);

  it('are read from service/src/wire.d.ts', () => {
    expect(names).toEqual(
      expect.arrayContaining([
        'IRunSummary',
        'IRunPage',
        'ISeries',
        'ISeriesPoint',
        'IServiceStatus',
        'IStoreStatus',
        'IRunEvent',
        'ApiEvent',
        'IApiErrorBody',
        'RunStatus',
        'SeriesScope'
      ])
    );
  });

  it('module imports nothing, so it sits below every part of the service', () => {
    expect(wire).not.toMatch(/^\s*import\b/m);
  });

  it('are not declared again anywhere in the frontend', () => {
    const copies = sourceFiles(SRC).flatMap(file =>
      redeclared(readFileSync(file, 'utf8'), names).map(
        name => `${relative(ROOT, file)}: ${name}`
      )
    );
    expect(copies).toEqual([]);
  });

  it('reach the frontend through type-only imports', () => {
    const imports = sourceFiles(SRC).flatMap(file =>
      valueImports(readFileSync(file, 'utf8')).map(
        statement => `${relative(ROOT, file)}: ${statement}`
      )
    );
    expect(imports).toEqual([]);
    const tokens = readFileSync(join(SRC, 'tokens.ts'), 'utf8');
    expect(tokens).toMatch(/export type \{[^}]*\bIRunSummary\b[^}]*\} from/);
  });

  it('checks find a copy and a value import', () => {
    const copy = [
      'export interface IRunSummary {',
      '  run_id: string;',
      '}',
      'type SeriesScope = string;',
      'export type { IRunPage } from "./wire";',
      'interface IRunSummaryView {}'
    ].join('\n');
    expect(redeclared(copy, names).sort()).toEqual([
      'IRunSummary',
      'SeriesScope'
    ]);
    expect(
      valueImports(
        [
          "import type { IRunSummary } from '../service/src/wire';",
          "import { ISeries } from '../service/src/wire';",
          'export {',
          '  IRunPage',
          "} from '../../service/src/wire';"
        ].join('\n')
      )
    ).toEqual(['import { ISeries }', 'export { IRunPage }']);
  });
});
