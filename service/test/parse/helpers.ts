/** Shared helpers for the parser's tests. */
import * as fs from 'fs';
import * as path from 'path';
import {
  createParser,
  createRunState,
  IParser,
  IRunState
} from '../../src/parse';
import { splitSegments } from '../../src/parse/terminal';
import {
  IMetricPoint,
  IParsedRecord,
  IStreamRecord,
  ITflogDocument,
  SpoolRecord
} from '../../src/types';

export const REPO_ROOT = path.resolve(__dirname, '../../..');

/** Kernel-output fixture folders: ours, and the shared captures when present. */
export const FIXTURE_DIRS = [
  path.join(REPO_ROOT, 'service/test/fixtures/kernel-output'),
  path.join(REPO_ROOT, 'tests/fixtures/kernel-output')
].filter(dir => fs.existsSync(dir));

export function fixtureFiles(suffix: string): string[] {
  return FIXTURE_DIRS.flatMap(dir =>
    fs
      .readdirSync(dir)
      .filter(name => name.endsWith(suffix))
      .sort()
      .map(name => path.join(dir, name))
  );
}

export const START_TS = 1795898500;

export function startRecord(
  overrides: Partial<Record<string, unknown>> = {}
): SpoolRecord {
  return {
    t: 'start',
    seq: 0,
    ts: START_TS,
    v: 1,
    run: 'run-1',
    name: 'demo',
    tags: { team: 'vision' },
    ctx: {
      notebook: 'work/train.ipynb',
      kernel_id: 'k-1',
      user: 'alice',
      host: 'gpu-01',
      pid: 4242
    },
    ...overrides
  } as SpoolRecord;
}

export function streamRecord(
  seq: number,
  text: string,
  stream: 'stdout' | 'stderr' = 'stdout',
  extra: Partial<IStreamRecord> = {}
): IStreamRecord {
  return { t: 'stream', seq, ts: START_TS + seq, stream, text, ...extra };
}

export interface IRunOutput {
  documents: ITflogDocument[];
  points: IMetricPoint[];
  state: IRunState;
}

/** Parse records in order with a fresh state (and the parser given or a default one). */
export function parseAll(
  records: SpoolRecord[],
  parser: IParser = createParser()
): IRunOutput {
  const state = createRunState('run-1');
  const documents: ITflogDocument[] = [];
  const points: IMetricPoint[] = [];
  for (const record of records) {
    const parsed: IParsedRecord = parser.parseRecord(record, state);
    documents.push(...parsed.documents);
    points.push(...parsed.points);
  }
  return { documents, points, state };
}

/** Raw kernel output → stream records, cut at '\n' and '\r' as the kernel writer (and the CLI) do. */
export function rawRecords(
  text: string,
  stream: 'stdout' | 'stderr' = 'stdout'
): IStreamRecord[] {
  return splitSegments(text).map((segment, index) =>
    streamRecord(
      index + 1,
      segment.raw,
      stream,
      segment.terminator === null ? { partial: true } : {}
    )
  );
}

export function readSpool(file: string): SpoolRecord[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(line => line.trim() !== '')
    .map(line => JSON.parse(line) as SpoolRecord);
}

/** The one document parsed from one line of stream text. */
export function parseLineText(
  text: string,
  stream: 'stdout' | 'stderr' = 'stdout'
): ITflogDocument {
  const { documents } = parseAll([
    startRecord(),
    streamRecord(1, `${text}\n`, stream)
  ]);
  const found = documents.filter(
    document => document.tflog.kind !== 'run_start'
  );
  if (found.length !== 1) {
    throw new Error(
      `expected one document for ${JSON.stringify(text)}, got ${found.length}`
    );
  }
  return found[0];
}

export interface IExpectedEpoch {
  epoch: number;
  metrics: Record<string, string>;
}

/** Drop SGR colour codes (ESC [ digits/semicolons m), the only escapes Keras prints. */
function withoutColours(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === '\x1b' && text[i + 1] === '[') {
      let end = i + 2;
      while (end < text.length && /[0-9;]/.test(text[end])) {
        end += 1;
      }
      i = end + 1;
    } else {
      out += text[i];
      i += 1;
    }
  }
  return out;
}

/**
 * Every epoch's final metrics, read from captured Keras output without the
 * parser: for each '\n'-ended piece, keep what follows its last '\r', drop
 * colour codes and backspaces, and take `name: number` pairs from a `k/k`
 * line that follows an `Epoch e/n` header.
 */
export function expectedEpochsFromText(text: string): IExpectedEpoch[] {
  const epochs: IExpectedEpoch[] = [];
  let current: number | null = null;
  for (const piece of text.split('\n')) {
    const visible = withoutColours(piece.slice(piece.lastIndexOf('\r') + 1))
      .split('\b')
      .join('')
      .trim();
    const header = /^Epoch (\d+)\/\d+$/.exec(visible);
    if (header) {
      current = Number(header[1]);
      continue;
    }
    const done = /^(\d+)\/(\d+) /.exec(visible);
    if (
      current !== null &&
      done &&
      done[1] === done[2] &&
      !visible.includes('ETA')
    ) {
      const metrics: Record<string, string> = {};
      for (const pair of visible.matchAll(
        /(\w+): (-?\d+\.\d+(?:e[-+]?\d+)?|nan|-?inf)/g
      )) {
        metrics[pair[1]] = pair[2];
      }
      epochs.push({ epoch: current, metrics });
      current = null;
    }
  }
  return epochs;
}

/** Compare a parsed value with a printed one. */
export function expectPrintedValue(
  document: ITflogDocument,
  name: string,
  printed: string
): void {
  if (printed === 'nan') {
    expect(document.tflog.nonfinite?.[name]).toBe('NaN');
  } else {
    expect(document.tflog.metrics?.[name]).toBe(Number(printed));
  }
}

/** Keras prints 4 decimals: a printed value is within half a unit of the 4th decimal. */
export function expectRoundedFrom(
  printed: number | undefined,
  exact: number
): void {
  expect(printed).toBeDefined();
  expect(Math.abs((printed as number) - exact)).toBeLessThanOrEqual(
    0.00005 + 1e-9
  );
}

/**
 * Documents of epochs' final lines. A final line with a NaN value has kind
 * 'nan' (NaN wins over every other kind) but still carries its epoch.
 */
export function epochDocuments(documents: ITflogDocument[]): ITflogDocument[] {
  return documents.filter(
    document =>
      document.tflog.kind === 'epoch' ||
      (document.tflog.kind === 'nan' &&
        document.tflog.epoch !== undefined &&
        isCompleteBar(document))
  );
}

function isCompleteBar(document: ITflogDocument): boolean {
  const match = /^\s*(\d+)\/(\d+)/.exec(document.message);
  return (
    match !== null && match[1] === match[2] && !document.message.includes('ETA')
  );
}
