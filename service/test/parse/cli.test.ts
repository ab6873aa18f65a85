/** The built CLI, run as a child process on real kernel output. */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isDeepStrictEqual } from 'util';
import { IParsedFields, parsedFields } from '../../src/parse/parsedLine';
import { IMetricPoint, ITflogDocument } from '../../src/types';
import {
  epochDocuments,
  expectedEpochsFromText,
  expectPrintedValue,
  fixtureFiles,
  REPO_ROOT
} from './helpers';

const CLI = path.join(REPO_ROOT, 'service/lib/cli.js');

interface ICliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  documents: ITflogDocument[];
  points: IMetricPoint[];
  /** The default output: the parsed fields of each line. */
  parsed: IParsedFields[];
}

type CliObject = ITflogDocument | IMetricPoint | IParsedFields;

function runCli(args: string[], input: string | Buffer = ''): ICliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    input,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, USER: 'tester' }
  });
  // Only a successful parse prints NDJSON (help and errors print text).
  const objects =
    args.includes('--help') || result.status === 2
      ? []
      : result.stdout
          .split('\n')
          .filter(line => line.trim() !== '')
          .map(line => JSON.parse(line) as CliObject);
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    documents: objects.filter(
      (object): object is ITflogDocument => 'tflog' in object
    ),
    points: objects.filter(
      (object): object is IMetricPoint => 'run_id' in object
    ),
    parsed: objects.filter(
      (object): object is IParsedFields =>
        !('tflog' in object) && !('run_id' in object)
    )
  };
}

beforeAll(() => {
  execFileSync(
    process.execPath,
    [path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'service'],
    {
      cwd: REPO_ROOT,
      stdio: 'pipe'
    }
  );
}, 120_000);

describe('tflog parse', () => {
  it('explains itself with --help', () => {
    const result = runCli(['parse', '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: tflog parse [options] < INPUT');
    for (const option of [
      '--format raw|spool',
      '--stream stdout|stderr',
      '--points',
      '--documents',
      '--patterns FILE',
      '--run-id ID'
    ]) {
      expect(result.stdout).toContain(option);
    }
  });

  it.each([
    [[], 'missing command'],
    [['serve'], "unknown command 'serve'"],
    [
      ['parse', '--format', 'xml'],
      "--format must be one of raw, spool (got 'xml')"
    ],
    [
      ['parse', '--stream=stdin'],
      "--stream must be one of stdout, stderr (got 'stdin')"
    ],
    [['parse', '--verbose'], "unknown option '--verbose'"],
    [['parse', '--patterns'], '--patterns needs a value'],
    [
      ['parse', '--patterns', '/nonexistent/patterns.json'],
      'cannot read --patterns file'
    ]
  ])('rejects %j with exit status 2', (args, message) => {
    const result = runCli(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe('');
  });

  it('prints the parsed fields of each line by default, the full documents with --documents', () => {
    const files = [
      ...fixtureFiles('.stdout.txt').slice(0, 3),
      ...fixtureFiles('.stderr.txt').slice(0, 2)
    ];
    expect(files.length).toBeGreaterThan(2);
    for (const file of files) {
      const text = fs.readFileSync(file);
      const lean = runCli(['parse', '--run-id', 'r'], text);
      const full = runCli(['parse', '--documents', '--run-id', 'r'], text);
      expect(lean.status).toBe(0);
      expect(lean.documents).toEqual([]);
      expect(lean.points).toEqual([]);
      expect(full.parsed).toEqual([]);
      expect(full.documents.length).toBeGreaterThan(0);
      // Every document is a line of the default output, in order; the lines
      // --documents leaves out are progress states a later line overwrote.
      const expected = full.documents.map(document =>
        JSON.parse(JSON.stringify(parsedFields(document)))
      );
      let matched = 0;
      for (const line of lean.parsed) {
        if (isDeepStrictEqual(line, expected[matched])) {
          matched += 1;
        } else {
          expect(line).toMatchObject({ kind: 'progress' });
        }
      }
      expect(matched).toBe(expected.length);
    }
  });

  it('leaves out progress states overwritten in place with --documents, keeping their points', () => {
    const text =
      'Epoch 1/1\n' +
      '1/3 [=====>....] - ETA: 0s - loss: 0.9000\r' +
      '2/3 [========>.] - ETA: 0s - loss: 0.8000\r' +
      '3/3 [==========] - 1s 5ms/step - loss: 0.7000\n' +
      'after\n';
    const full = runCli(
      ['parse', '--documents', '--points', '--run-id', 'r'],
      text
    );
    expect(full.status).toBe(0);
    expect(full.documents.map(document => document.message)).toEqual([
      'Epoch 1/1',
      '3/3 [==========] - 1s 5ms/step - loss: 0.7000',
      'after'
    ]);
    expect(full.points.map(point => [point.step, point.value])).toEqual([
      [1, 0.9],
      [2, 0.8],
      [3, 0.7]
    ]);
    const lean = runCli(['parse', '--run-id', 'r'], text);
    expect(lean.parsed.map(line => line.message)).toHaveLength(5);
  });

  it('keeps the last progress state of the input when nothing overwrites it', () => {
    const full = runCli(
      ['parse', '--documents', '--run-id', 'r'],
      '1/3 [=====>....] - ETA: 0s - loss: 0.9000\r2/3 [========>.] - ETA: 0s - loss: 0.8000\r'
    );
    expect(full.documents.map(document => document.message)).toEqual([
      '2/3 [========>.] - ETA: 0s - loss: 0.8000'
    ]);
  });

  it('prints a line read as an epoch with its values, no ids or run fields', () => {
    const result = runCli(
      ['parse'],
      'Epoch 1/2 - loss: 0.5 - accuracy: 0.8\nplain words\n'
    );
    expect(result.status).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      '{"level":"info","kind":"epoch","pattern":"epoch-metrics","epoch":1,"epochs_total":2,"metrics":{"loss":0.5,"accuracy":0.8},"message":"Epoch 1/2 - loss: 0.5 - accuracy: 0.8"}',
      '{"level":"info","kind":"log","message":"plain words"}',
      ''
    ]);
    const withPoints = runCli(['parse', '--points'], 'step 3 loss=0.5\n');
    expect(withPoints.parsed.map(fields => fields.metrics)).toEqual([
      { loss: 0.5 }
    ]);
    expect(withPoints.points).toEqual([
      expect.objectContaining({ _id: 'cli:1:loss', name: 'loss', value: 0.5 })
    ]);
  });

  const kerasOutputs = fixtureFiles('.stdout.txt').filter(file =>
    /^Epoch \d+\/\d+$/m.test(fs.readFileSync(file, 'utf8'))
  );

  it.each(kerasOutputs.map(file => [path.basename(file), file]))(
    'prints every epoch of %s with its values, and the points with --points',
    (_name, file) => {
      const text = fs.readFileSync(file);
      const expected = expectedEpochsFromText(text.toString('utf8'));
      const result = runCli(['parse', '--documents', '--points'], text);
      expect(result.status).toBe(0);
      const epochs = epochDocuments(result.documents);
      expect(epochs.map(document => document.tflog.epoch)).toEqual(
        expected.map(epoch => epoch.epoch)
      );
      epochs.forEach((document, index) => {
        expect(document._id).toMatch(/^cli:\d+$/);
        expect(document.user.name).toBe('tester');
        expect(document.host.name).toBe(os.hostname());
        for (const [name, value] of Object.entries(expected[index].metrics)) {
          expectPrintedValue(document, name, value);
          const point = result.points.find(
            candidate => candidate._id === `${document._id}:${name}`
          );
          expect(point).toMatchObject({
            name,
            scope: 'epoch',
            epoch: expected[index].epoch
          });
        }
      });
    }
  );

  const articleStderr = fixtureFiles('.stderr.txt').filter(file =>
    /logging/.test(file)
  );

  it.each(articleStderr.map(file => [path.basename(file), file]))(
    'prints the warning, the NaN and the errors of %s',
    (_name, file) => {
      const text = fs.readFileSync(file);
      const result = runCli(
        ['parse', '--documents', '--stream', 'stderr'],
        text
      );
      expect(result.status).toBe(0);
      const kinds = result.documents.map(document => document.tflog.kind);
      expect(kinds).toContain('warning');
      expect(
        result.documents.find(document => document.tflog.kind === 'nan')?.tflog
          .nonfinite
      ).toEqual({ loss: 'NaN' });
      expect(
        result.documents.every(document => document.tflog.source === 'stderr')
      ).toBe(true);
      if (text.includes('Traceback (most recent call last):')) {
        expect(
          result.documents
            .filter(document => document.error)
            .map(document => document.error?.type)
        ).toEqual(['ValueError']);
      }
    }
  );

  it('reads a spool file and reports bad lines with exit status 1', () => {
    const spool = fixtureFiles('.spool.ndjson').find(file =>
      /logging/.test(file)
    );
    expect(spool).toBeDefined();
    const input = `${fs.readFileSync(spool as string, 'utf8')}{not json\n[1,2]\n`;
    const result = runCli(['parse', '--documents', '--format', 'spool'], input);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/line \d+: skipped, .*JSON/);
    expect(result.stderr).toMatch(/line \d+: skipped, not a record object/);
    const runId = JSON.parse(input.split('\n')[0]).run;
    expect(result.documents[0]).toMatchObject({
      _id: `${runId}:0`,
      tflog: { kind: 'run_start' }
    });
    expect(
      result.documents.some(document => document.tflog.kind === 'nan')
    ).toBe(true);
  });

  it('applies custom patterns from --patterns and reports the bad ones', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tflog-cli-'));
    const file = path.join(dir, 'patterns.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        patterns: [
          {
            name: 'reward',
            grok: '^episode %{INT:step} reward %{NUMBER:reward:float}$'
          },
          { name: 'broken', grok: 'x %{NOPE:y}' }
        ]
      })
    );
    const result = runCli(
      ['parse', '--documents', '--patterns', file, '--run-id', 'rl-run'],
      'episode 12 reward 3.5\n'
    );
    fs.rmSync(dir, { recursive: true });
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(
      "grok pattern 'broken': unknown pattern %{NOPE} (pattern skipped)"
    );
    expect(result.documents).toEqual([
      expect.objectContaining({
        _id: 'rl-run:1',
        tflog: expect.objectContaining({
          pattern: 'reward',
          step: 12,
          metrics: { reward: 3.5 }
        })
      })
    ]);
  });

  it('reports a custom pattern that needs the time limit, and each time-out', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tflog-cli-'));
    const file = path.join(dir, 'patterns.json');
    fs.writeFileSync(
      file,
      JSON.stringify({ patterns: [{ name: 'nested', grok: '^(a+)+$' }] })
    );
    const hostile = `${'a'.repeat(40)}!`;
    const result = runCli(
      ['parse', '--documents', '--patterns', file, '--run-id', 'slow-run'],
      `${hostile}\naaaa\n`
    );
    fs.rmSync(dir, { recursive: true });
    expect(result.status).toBe(0);
    expect(result.stderr.split('\n').filter(line => line !== '')).toEqual([
      "tflog: grok pattern 'nested': no useful bound found on how much it may backtrack (nested quantifiers such as (a+)+?), so every line is matched under the 50 ms time limit",
      "tflog: grok pattern 'nested': no result within 50 ms on a line of 41 characters (time-out 1 of 5 before it is disabled); the line was read by the built-in patterns instead"
    ]);
    expect(
      result.documents.map(document => [
        document.message,
        document.tflog.pattern
      ])
    ).toEqual([
      [hostile, undefined],
      ['aaaa', 'nested']
    ]);
  });

  it('decodes invalid UTF-8 with replacement characters and keeps an unterminated last line as partial', () => {
    const input = Buffer.concat([
      Buffer.from('bad \xff bytes\n', 'latin1'),
      Buffer.from('loss: 0.5')
    ]);
    const result = runCli(['parse', '--documents'], input);
    expect(result.status).toBe(0);
    expect(
      result.documents.map(document => [
        document.message,
        document.tflog.partial
      ])
    ).toEqual([
      ['bad \ufffd bytes', undefined],
      ['loss: 0.5', true]
    ]);
  });

  it('counts the same points with --stats whether it prints them or not', () => {
    const input =
      'step 3 loss=0.5 acc=0.25\nEpoch 2 | Train Loss 0.41 | Val Acc 0.88\n';
    const plain = runCli(['parse', '--documents', '--stats'], input);
    const withPoints = runCli(
      ['parse', '--documents', '--stats', '--points'],
      input
    );
    expect(plain.status).toBe(0);
    expect(plain.points).toEqual([]);
    expect(withPoints.points.map(point => point.name)).toEqual([
      'loss',
      'acc',
      'train_loss',
      'val_acc'
    ]);
    // Their times differ (each run reads the clock): compare the rest.
    expect(plain.documents.map(document => document.tflog)).toEqual(
      withPoints.documents.map(document => document.tflog)
    );
    const counts = (stderr: string): unknown => {
      const stats = JSON.parse(stderr.slice(stderr.indexOf('{')));
      return [stats.documents, stats.points];
    };
    expect(counts(plain.stderr)).toEqual([2, 4]);
    expect(counts(withPoints.stderr)).toEqual([2, 4]);
  });

  it('writes many lines of many-byte text whole and in order, over several output buffers', () => {
    // About 3 MB of output: several of the CLI's 1 MiB buffers, filled
    // across input chunks, with 2-, 3- and 4-byte characters in UTF-8.
    const lines = Array.from(
      { length: 30_000 },
      (_, index) =>
        `step ${index} loss=0.5 é ━━━━━━━━━━ 😀 ${'x'.repeat(1 + (index % 40))}`
    );
    const result = runCli(['parse'], `${lines.join('\n')}\n`);
    expect(result.status).toBe(0);
    expect(Buffer.byteLength(result.stdout)).toBeGreaterThan(3 * 1024 * 1024);
    expect(result.parsed.map(fields => fields.message)).toEqual(lines);
    expect(result.parsed.map(fields => fields.step)).toEqual(
      lines.map((_, index) => index)
    );
  });
});
