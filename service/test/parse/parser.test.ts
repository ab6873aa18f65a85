import { createParser, createRunState, IRunState } from '../../src/parse';
import { MAX_TEXT_CHARS } from '../../src/parse/truncate';
import { ECS_VERSION, IParsedRecord, SpoolRecord } from '../../src/types';
import { parseAll, START_TS, startRecord, streamRecord } from './helpers';

// `nested` is not a valid hparams value: the parser must cope with what a kernel might send.
const ODD_HPARAMS = { nested: { a: 1 } } as unknown as Record<string, string>;

const RUN: SpoolRecord[] = [
  startRecord(),
  {
    t: 'hparams',
    seq: 1,
    ts: START_TS + 1,
    values: {
      batch_size: 32,
      optimizer: 'Adam',
      dropout: null,
      ...ODD_HPARAMS
    }
  },
  streamRecord(2, 'Epoch 1/2\n'),
  {
    t: 'metrics',
    seq: 3,
    ts: START_TS + 3,
    scope: 'batch',
    epoch: 0,
    batch: 0,
    step: 1,
    values: { loss: 0.75, accuracy: 0.5 }
  },
  streamRecord(4, '\r'),
  streamRecord(5, ' 1/8 [==>......] - ETA: 1s - loss: 0.7500', 'stdout', {
    partial: true
  }),
  streamRecord(6, `${'\b'.repeat(30)}\r`),
  streamRecord(
    7,
    '8/8 [==========] - 0s 5ms/step - loss: 0.7342 - val_loss: 0.7312\n'
  ),
  {
    t: 'metrics',
    seq: 8,
    ts: START_TS + 8,
    scope: 'epoch',
    epoch: 0,
    step: 8,
    values: { loss: 0.7341853, val_loss: 'NaN' }
  },
  { t: 'context', seq: 9, ts: START_TS + 9, notebook: 'work/renamed.ipynb' },
  {
    t: 'log',
    seq: 10,
    ts: START_TS + 10,
    level: 'ERROR',
    logger: 'train',
    msg: 'Loss became NaN at step 3420'
  },
  streamRecord(11, 'first line\nsecond line\n'),
  { t: 'loss', seq: 12, ts: START_TS + 12, dropped: 3, reason: 'disk full' },
  {
    t: 'end',
    seq: 13,
    ts: START_TS + 13,
    status: 'failed',
    error: {
      type: 'ValueError',
      message: 'boom',
      stack_trace: 'Traceback...\nValueError: boom'
    }
  }
];

function collect(records: SpoolRecord[], state: IRunState): IParsedRecord {
  const parser = createParser();
  const out: IParsedRecord = { documents: [], points: [] };
  for (const record of records) {
    const parsed = parser.parseRecord(record, state);
    out.documents.push(...parsed.documents);
    out.points.push(...parsed.points);
  }
  return out;
}

describe('parseRecord', () => {
  const { documents, points } = parseAll(RUN);
  const byId = new Map(documents.map(document => [document._id, document]));

  it('gives deterministic ids: run:seq, run:seq:i for several lines, and document id:metric for points', () => {
    expect(documents.map(document => document._id)).toEqual([
      'run-1:0',
      'run-1:1',
      'run-1:2',
      'run-1:3',
      'run-1:5',
      'run-1:7',
      'run-1:8',
      'run-1:9',
      'run-1:10',
      'run-1:11:0',
      'run-1:11:1',
      'run-1:12',
      'run-1:13'
    ]);
    for (const point of points) {
      const document = documents.find(candidate =>
        point._id.startsWith(`${candidate._id}:`)
      );
      expect(point._id).toBe(`${document?._id}:${point.name}`);
    }
    expect(new Set(points.map(point => point._id)).size).toBe(points.length);
  });

  it("keeps ids within Elasticsearch's 512 bytes: long metric names are hashed, short ids unchanged", () => {
    const longName = 'm'.repeat(600);
    const otherLongName = 'm'.repeat(599) + 'n';
    const wide = parseAll([
      startRecord(),
      streamRecord(1, `step 3 ${longName}=1.5 ${otherLongName}=2.5 loss=0.25\n`)
    ]).points;
    const ids = wide.map(point => point._id);
    for (const id of ids) {
      expect(Buffer.byteLength(id)).toBeLessThanOrEqual(512);
    }
    expect(new Set(ids).size).toBe(wide.length);
    expect(wide.map(point => point.name).sort()).toEqual(
      [longName, otherLongName, 'loss'].sort()
    );
    expect(wide.find(point => point.name === 'loss')?._id).toBe('run-1:1:loss');
    const again = parseAll([
      startRecord(),
      streamRecord(1, `step 3 ${longName}=1.5 ${otherLongName}=2.5 loss=0.25\n`)
    ]).points.map(point => point._id);
    expect(again).toEqual(ids);
  });

  it('yields the same documents when the run is replayed', () => {
    const again = parseAll(RUN);
    expect(again.documents).toEqual(documents);
    expect(again.points).toEqual(points);
  });

  it('carries on identically from a state saved as JSON', () => {
    const state = createRunState('run-1');
    const first = collect(RUN.slice(0, 6), state);
    const restored: IRunState = JSON.parse(JSON.stringify(state));
    const rest = collect(RUN.slice(6), restored);
    expect([...first.documents, ...rest.documents]).toEqual(documents);
    expect([...first.points, ...rest.points]).toEqual(points);
  });

  it('fills the ECS fields of every document', () => {
    for (const document of documents) {
      expect(document).toMatchObject({
        user: { name: 'alice' },
        host: { name: 'gpu-01' },
        process: { pid: 4242 },
        service: { name: 'tflog' },
        ecs: { version: ECS_VERSION },
        labels: { team: 'vision' },
        tflog: { run_id: 'run-1', run_name: 'demo', kernel_id: 'k-1' }
      });
      expect(document['@timestamp']).toMatch(
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/
      );
      expect(typeof document.event.sequence).toBe('number');
      expect(document.log.level).toMatch(/^[a-z]+$/);
    }
    expect(documents.map(document => document.event.dataset)).toEqual([
      'tflog.run',
      'tflog.run',
      'tflog.stream',
      'tflog.metrics',
      'tflog.stream',
      'tflog.stream',
      'tflog.metrics',
      'tflog.run',
      'tflog.log',
      'tflog.stream',
      'tflog.stream',
      'tflog.run',
      'tflog.run'
    ]);
    expect(byId.get('run-1:11:1')?.event.sequence).toBe(11);
  });

  it('uses the record time unless the line prints one', () => {
    expect(byId.get('run-1:7')?.['@timestamp']).toBe(
      new Date((START_TS + 7) * 1000).toISOString()
    );
  });

  it('stamps every document and point with its record write time (event.created)', () => {
    for (const document of documents) {
      const record = RUN.find(item => item.seq === document.event.sequence);
      expect(document.event.created).toBe(
        new Date((record?.ts ?? Number.NaN) * 1000).toISOString()
      );
    }
    for (const point of points) {
      const event = documents.find(
        item => point._id === `${item._id}:${point.name}`
      );
      expect(event).toBeDefined();
      expect(point.created).toBe(event?.event.created);
    }
  });

  it('keeps a printed time in @timestamp and the write time in event.created', () => {
    const parser = createParser();
    const state = createRunState('run-1');
    parser.parseRecord(
      startRecord({
        ctx: { user: 'alice', host: 'h', pid: 1, utc_offset: 0 }
      }),
      state
    );
    const [line] = parser.parseRecord(
      streamRecord(1, '2000-01-01 00:00:05,000 INFO loss=0.5\n'),
      state
    ).documents;
    expect(line['@timestamp']).toBe('2000-01-01T00:00:05.000Z');
    expect(line.event.created).toBe(
      new Date((START_TS + 1) * 1000).toISOString()
    );
  });

  it('describes lifecycle records', () => {
    expect(byId.get('run-1:0')).toMatchObject({
      message: 'Run demo started in work/train.ipynb',
      tflog: {
        kind: 'run_start',
        source: 'tflog',
        status: 'running',
        notebook: 'work/train.ipynb'
      }
    });
    expect(byId.get('run-1:1')?.tflog).toMatchObject({
      kind: 'hparams',
      hparams: {
        batch_size: 32,
        optimizer: 'Adam',
        dropout: null,
        nested: '{"a":1}'
      }
    });
    expect(byId.get('run-1:12')).toMatchObject({
      message: 'The kernel could not spool 3 records: disk full',
      log: { level: 'warning' },
      tflog: { kind: 'loss' }
    });
    expect(byId.get('run-1:13')).toMatchObject({
      message: 'Run demo failed: ValueError: boom',
      log: { level: 'error' },
      error: {
        type: 'ValueError',
        message: 'boom',
        stack_trace: 'Traceback...\nValueError: boom'
      },
      tflog: { kind: 'run_end', status: 'failed' }
    });
  });

  it('moves later documents to the notebook a context record names', () => {
    expect(byId.get('run-1:9')).toMatchObject({
      message: 'Notebook is now work/renamed.ipynb (was work/train.ipynb)',
      tflog: { kind: 'log', notebook: 'work/renamed.ipynb' }
    });
    expect(byId.get('run-1:8')?.tflog.notebook).toBe('work/train.ipynb');
    expect(byId.get('run-1:13')?.tflog.notebook).toBe('work/renamed.ipynb');
    expect(
      points
        .filter(point => point._id.startsWith('run-1:10:'))
        .map(point => point.notebook)
    ).toEqual(['work/renamed.ipynb']);
  });

  it('yields nothing for a context record that changes no notebook', () => {
    const state = createRunState('r', { ctx: { notebook: 'a.ipynb' } });
    const parsed = createParser().parseRecord(
      {
        t: 'context',
        seq: 4,
        ts: START_TS,
        notebook: 'a.ipynb',
        kernel_id: 'k9'
      },
      state
    );
    expect(parsed).toEqual({ documents: [], points: [] });
    expect(state.ctx.kernel_id).toBe('k9');
  });

  it("turns the callback's metrics into a document and exact points, epochs counted from 1", () => {
    expect(byId.get('run-1:3')).toMatchObject({
      message:
        'Batch metrics (step 1, epoch 1, batch 0): loss=0.75 accuracy=0.5',
      tflog: {
        kind: 'metrics',
        source: 'callback',
        epoch: 1,
        step: 1,
        metrics: { loss: 0.75, accuracy: 0.5 }
      }
    });
    expect(byId.get('run-1:8')).toMatchObject({
      tflog: {
        kind: 'nan',
        epoch: 1,
        step: 8,
        metrics: { loss: 0.7341853 },
        nonfinite: { val_loss: 'NaN' }
      }
    });
    const callbackPoints = points.filter(point => point.source === 'callback');
    expect(
      callbackPoints.map(point => [
        point._id,
        point.scope,
        point.epoch,
        point.step,
        point.value,
        point.nonfinite
      ])
    ).toEqual([
      ['run-1:3:loss', 'batch', 1, 1, 0.75, undefined],
      ['run-1:3:accuracy', 'batch', 1, 1, 0.5, undefined],
      ['run-1:8:loss', 'epoch', 1, 8, 0.7341853, undefined],
      ['run-1:8:val_loss', 'epoch', 1, 8, undefined, 'NaN']
    ]);
  });

  it('parses a progress line flushed unterminated and marks it partial', () => {
    expect(byId.get('run-1:5')?.tflog).toMatchObject({
      kind: 'progress',
      partial: true,
      epoch: 1,
      step: 1,
      metrics: { loss: 0.75 }
    });
    expect(byId.get('run-1:7')?.tflog).toMatchObject({
      kind: 'epoch',
      epoch: 1,
      raw: '8/8 [==========] - 0s 5ms/step - loss: 0.7342 - val_loss: 0.7312\n'
    });
  });

  it("names a record's progress states ended by '\\r' as in place, and no other line", () => {
    const parser = createParser();
    const state = createRunState('run-1');
    const inPlace = (record: SpoolRecord): string[] =>
      (parser.parseRecord(record, state).inPlace ?? []).map(
        document => document.message
      );
    expect(inPlace(startRecord())).toEqual([]);
    expect(inPlace(streamRecord(1, 'Epoch 1/2\n'))).toEqual([]);
    expect(
      inPlace(
        streamRecord(
          2,
          '1/8 [==>......] - ETA: 1s - loss: 0.7500\r2/8 [===>.....] - ETA: 1s - loss: 0.7400\r'
        )
      )
    ).toEqual([
      '1/8 [==>......] - ETA: 1s - loss: 0.7500',
      '2/8 [===>.....] - ETA: 1s - loss: 0.7400'
    ]);
    // A non-finite value, a plain status line and the epoch's final line stay events.
    expect(
      inPlace(streamRecord(3, '3/8 [====>....] - ETA: 1s - loss: nan\r'))
    ).toEqual([]);
    expect(inPlace(streamRecord(4, 'downloading 40%\r'))).toEqual([]);
    expect(
      inPlace(streamRecord(5, '8/8 [==========] - 0s 5ms/step - loss: 0.7\n'))
    ).toEqual([]);
  });

  it('reads logging records: lower-case level, logger, and the message through the line patterns', () => {
    expect(byId.get('run-1:10')).toMatchObject({
      message: 'Loss became NaN at step 3420',
      log: { level: 'error', logger: 'train' },
      event: { dataset: 'tflog.log', kind: 'metric' },
      tflog: {
        kind: 'nan',
        source: 'logging',
        step: 3420,
        nonfinite: { loss: 'NaN' }
      }
    });
  });
});

describe('partial stream records', () => {
  it('are continued by the next record of the stream', () => {
    const { documents } = parseAll([
      startRecord(),
      streamRecord(1, 'Epoch 1/', 'stdout', { partial: true }),
      streamRecord(2, 'some stderr text\n', 'stderr'),
      streamRecord(3, '3\n'),
      streamRecord(4, '8/8 - 0s - loss: 0.5\n')
    ]);
    expect(
      documents
        .slice(1)
        .map(document => [
          document._id,
          document.message,
          document.tflog.kind,
          document.tflog.partial
        ])
    ).toEqual([
      ['run-1:1', 'Epoch 1/', 'log', true],
      ['run-1:2', 'some stderr text', 'log', undefined],
      ['run-1:3', 'Epoch 1/3', 'progress', undefined],
      ['run-1:4', '8/8 - 0s - loss: 0.5', 'epoch', undefined]
    ]);
    expect(documents[3].tflog.raw).toBe('Epoch 1/3\n');
  });

  it('are not stored again when only backspaces and \\r follow', () => {
    const { documents } = parseAll([
      startRecord(),
      streamRecord(1, 'Epoch 1/3\n'),
      streamRecord(2, '\r'),
      streamRecord(
        3,
        '1/8 ━━━━━━━━━━━━━━━━━━━━ 2s 3ms/step - loss: 0.74',
        'stdout',
        { partial: true }
      ),
      streamRecord(4, `${'\b'.repeat(50)}\r`)
    ]);
    expect(documents.map(document => document._id)).toEqual([
      'run-1:0',
      'run-1:1',
      'run-1:3'
    ]);
  });

  it("become the epoch's final line when a '\\n' completes them", () => {
    const { documents, points } = parseAll([
      startRecord(),
      streamRecord(1, 'Epoch 2/3\n'),
      streamRecord(
        2,
        '8/8 ━━━━━━━━━━━━━━━━━━━━ 0s 5ms/step - loss: 0.7342',
        'stdout',
        { partial: true }
      ),
      streamRecord(3, '\n')
    ]);
    expect(
      documents
        .slice(2)
        .map(document => [
          document._id,
          document.tflog.kind,
          document.tflog.epoch
        ])
    ).toEqual([
      ['run-1:2', 'progress', 2],
      ['run-1:3', 'epoch', 2]
    ]);
    expect(
      points
        .filter(point => point.scope === 'epoch')
        .map(point => [point._id, point.value])
    ).toEqual([['run-1:3:loss', 0.7342]]);
  });
});

describe('split stream records (a line cut at the kernel size bound)', () => {
  const PIECE = 64 * 1024;
  const split = { partial: true, split: true };

  it('store every character once, in order, as plain text', () => {
    // A loop printing dots and metrics-like text with no newline: the cut
    // falls inside "loss: 0.12|34".
    const head = `${'.'.repeat(PIECE - 10)}loss: 0.12`;
    const middle = `34 ${'.'.repeat(PIECE - 3)}`;
    const { documents, points, state } = parseAll([
      startRecord(),
      streamRecord(1, head, 'stdout', split),
      streamRecord(2, middle, 'stdout', split),
      streamRecord(3, 'accuracy: 0.5\nloss: 0.25\n')
    ]);
    const events = documents.slice(1);
    expect(events.map(document => document._id)).toEqual([
      'run-1:1:0',
      'run-1:1:1',
      'run-1:2:0',
      'run-1:2:1',
      'run-1:3:0',
      'run-1:3:1'
    ]);
    // Each event within the text limit, nothing truncated, nothing doubled.
    expect(
      events.every(document => document.message.length <= MAX_TEXT_CHARS)
    ).toBe(true);
    expect(
      events
        .slice(0, 5)
        .map(document => document.message)
        .join('')
    ).toBe(`${head}${middle}accuracy: 0.5`);
    expect(events.slice(0, 5).map(document => document.tflog.kind)).toEqual(
      Array(5).fill('log')
    );
    expect(events.slice(0, 4).every(document => document.tflog.partial)).toBe(
      true
    );
    expect(events[4].tflog.partial).toBeUndefined();
    // No metric from a cut piece: only the next whole line's.
    expect(points.map(point => [point._id, point.value])).toEqual([
      ['run-1:3:1:loss', 0.25]
    ]);
    // Nothing of the pieces is carried in the state.
    expect(state.streams.stdout.pending).toBeNull();
    expect(state.streams.stdout.split).toBe(false);
  });

  it('never complete a progress bar', () => {
    // A piece that looks like a finished Keras line, then its '\n'.
    const bar = `8/8 [${'='.repeat(20)}] - 0s - loss: 0.7342`;
    const { documents, points } = parseAll([
      startRecord(),
      streamRecord(1, 'Epoch 1/3\n'),
      streamRecord(2, bar, 'stdout', split),
      streamRecord(3, '\n')
    ]);
    expect(documents.slice(2).map(document => document.tflog.kind)).toEqual([
      'log'
    ]);
    expect(points).toEqual([]);
  });

  it('leave the other stream and the next lines alone', () => {
    const { documents } = parseAll([
      startRecord(),
      streamRecord(1, 'x'.repeat(100), 'stderr', split),
      streamRecord(2, 'Epoch 1/2\n'),
      streamRecord(3, 'tail of x\n', 'stderr'),
      streamRecord(4, '8/8 - 0s - loss: 0.5\n')
    ]);
    expect(
      documents
        .slice(1)
        .map(document => [
          document._id,
          document.tflog.source,
          document.tflog.kind,
          document.tflog.partial
        ])
    ).toEqual([
      ['run-1:1', 'stderr', 'log', true],
      ['run-1:2', 'stdout', 'progress', undefined],
      ['run-1:3', 'stderr', 'log', undefined],
      ['run-1:4', 'stdout', 'epoch', undefined]
    ]);
  });

  it('go on from a line an idle flush started, without doubling it', () => {
    const { documents } = parseAll([
      startRecord(),
      streamRecord(1, 'abc', 'stdout', { partial: true }),
      streamRecord(2, 'd'.repeat(100), 'stdout', split),
      streamRecord(3, 'e'.repeat(100), 'stdout', split),
      streamRecord(4, 'f\n')
    ]);
    expect(documents.slice(1).map(document => document.message)).toEqual([
      'abc',
      `abc${'d'.repeat(100)}`,
      'e'.repeat(100),
      'f'
    ]);
  });

  it('keep the state they need across a restart (plain JSON)', () => {
    const parser = createParser();
    const state = createRunState('run-1');
    parser.parseRecord(startRecord(), state);
    parser.parseRecord(streamRecord(1, 'loss: 0.1', 'stdout', split), state);
    const restored = JSON.parse(JSON.stringify(state)) as IRunState;
    const { documents, points } = parser.parseRecord(
      streamRecord(2, '5\n'),
      restored
    );
    expect(documents.map(document => document.message)).toEqual(['5']);
    expect(points).toEqual([]);
  });
});

describe('logging records', () => {
  it('take error fields from the exception text', () => {
    const exc =
      'Traceback (most recent call last):\n  File "t.py", line 2, in <module>\nRuntimeError: CUDA out of memory\n';
    const { documents } = parseAll([
      startRecord(),
      {
        t: 'log',
        seq: 1,
        ts: START_TS,
        level: 'WARNING',
        logger: 'app',
        msg: 'step failed',
        exc
      }
    ]);
    expect(documents[1]).toMatchObject({
      log: { level: 'warning', logger: 'app' },
      error: {
        type: 'RuntimeError',
        message: 'CUDA out of memory',
        stack_trace: exc
      },
      tflog: { kind: 'error' }
    });
  });

  it.each([
    ['CRITICAL', 'critical', 'error'],
    ['ERROR', 'error', 'error'],
    ['WARNING', 'warning', 'warning'],
    ['INFO', 'info', 'metrics'],
    ['DEBUG', 'debug', 'metrics']
  ])('map level %s to %s', (level, expected, kind) => {
    const { documents } = parseAll([
      startRecord(),
      {
        t: 'log',
        seq: 1,
        ts: START_TS,
        level,
        logger: 'x',
        msg: 'loss: 0.3 acc: 0.9'
      }
    ]);
    expect(documents[1].log.level).toBe(expected);
    expect(documents[1].tflog.kind).toBe(kind);
    expect(documents[1].tflog.metrics).toEqual({ loss: 0.3, acc: 0.9 });
  });

  it('are not stored twice when a stream handler prints them', () => {
    const records: SpoolRecord[] = [
      startRecord(),
      {
        t: 'log',
        seq: 1,
        ts: START_TS,
        level: 'INFO',
        logger: 'train',
        msg: 'Epoch 7, Loss: 0.8765'
      },
      streamRecord(
        2,
        '2026-11-28 20:52:11,806 [INFO] Epoch 7, Loss: 0.8765\n',
        'stderr'
      ),
      {
        t: 'log',
        seq: 3,
        ts: START_TS,
        level: 'ERROR',
        logger: 'train',
        msg: 'failed',
        exc: 'Traceback (most recent call last):\n  File "x.py", line 1\nValueError: v'
      },
      streamRecord(4, 'ERROR:train:failed\n', 'stderr'),
      streamRecord(5, 'Traceback (most recent call last):\n', 'stderr'),
      streamRecord(6, '  File "x.py", line 1\n', 'stderr'),
      streamRecord(7, 'ValueError: v\n', 'stderr'),
      streamRecord(8, 'Epoch 7, Loss: 0.8765\n', 'stderr')
    ];
    const parser = createParser();
    const { documents } = parseAll(records, parser);
    expect(documents.map(document => document._id)).toEqual([
      'run-1:0',
      'run-1:1',
      'run-1:3',
      'run-1:8'
    ]);
    expect(parser.stats.echoes).toBe(5);
    const keepAll = parseAll(
      records,
      createParser({ suppressLoggingEcho: false })
    );
    expect(keepAll.documents).toHaveLength(9);
  });
});

describe('odd records', () => {
  it('reports an unknown record type instead of failing', () => {
    const { documents } = parseAll([
      startRecord(),
      { t: 'gpu', seq: 1, ts: START_TS } as unknown as SpoolRecord
    ]);
    expect(documents[1]).toMatchObject({
      message: 'Unrecognised spool record type "gpu"',
      log: { level: 'warning' }
    });
  });

  it('survives records with missing or wrong fields', () => {
    const junk = [
      { t: 'stream', seq: 1 },
      { t: 'stream', seq: 2, ts: 'soon', stream: 'elsewhere', text: 42 },
      { t: 'log', seq: 3, ts: null, level: 7, msg: null, exc: 5 },
      {
        t: 'metrics',
        seq: 4,
        ts: 1e300,
        values: { a: 'x', b: null, c: 1, d: 'Infinity' },
        epoch: -1
      },
      { t: 'hparams', seq: 5, ts: 1 },
      { t: 'end', seq: 6, ts: 1, status: 'exploded', error: 'oops' },
      { t: 'start', seq: 7, ts: 1, run: 5, ctx: null, tags: ['x'] },
      { t: 'loss', ts: 1 },
      { t: 'context', seq: 9, notebook: 3 }
    ] as unknown as SpoolRecord[];
    const parser = createParser();
    const { documents } = parseAll([startRecord(), ...junk], parser);
    expect(parser.stats.failures).toBe(0);
    for (const document of documents) {
      expect(typeof document._id).toBe('string');
      expect(Number.isNaN(Date.parse(document['@timestamp']))).toBe(false);
    }
    const metrics = documents.find(document => document._id === 'run-1:4');
    expect(metrics?.tflog).toMatchObject({
      metrics: { c: 1 },
      nonfinite: { d: 'Infinity' }
    });
    expect(metrics?.tflog.epoch).toBeUndefined();
    expect(
      documents.find(document => document._id === 'run-1:6')?.tflog.status
    ).toBe('finished');
    expect(
      documents.some(document => /^run-1:h[0-9a-f]{8}$/.test(document._id))
    ).toBe(true);
  });
});

describe('points: false', () => {
  it('builds no points and still counts them', () => {
    const records: SpoolRecord[] = [
      startRecord(),
      streamRecord(1, 'step 3 loss=0.5 acc=nan\nepoch 2 val_loss: 0.25\n'),
      {
        t: 'metrics',
        seq: 2,
        ts: START_TS + 2,
        scope: 'epoch',
        epoch: 0,
        values: { loss: 0.4, accuracy: 'NaN' }
      } as SpoolRecord
    ];
    const withPoints = createParser();
    const withoutPoints = createParser({ points: false });
    const stateA = createRunState('run-1');
    const stateB = createRunState('run-1');
    let built = 0;
    for (const record of records) {
      const a = withPoints.parseRecord(record, stateA);
      const b = withoutPoints.parseRecord(record, stateB);
      built += a.points.length;
      expect(b.points).toEqual([]);
      expect(b.documents).toEqual(a.documents);
    }
    expect(built).toBe(5);
    expect(withoutPoints.stats.points).toBe(5);
    expect(withoutPoints.stats).toEqual(withPoints.stats);
  });
});
