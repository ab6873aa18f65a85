import {
  createParser,
  createRunState,
  MAX_LINES_PER_RECORD,
  MAX_METRICS_PER_EVENT,
  MAX_TEXT_CHARS
} from '../../src/parse';
import { IMetricsRecord, ITflogDocument, SpoolRecord } from '../../src/types';
import { parseAll, START_TS, startRecord, streamRecord } from './helpers';
import { random } from '../seeded';

function expectSane(document: ITflogDocument): void {
  expect(document.message.length).toBeLessThanOrEqual(MAX_TEXT_CHARS + 40);
  expect(document.message.includes('\x1b')).toBe(false);
  expect(document.message.includes('\b')).toBe(false);
  expect(Number.isNaN(Date.parse(document['@timestamp']))).toBe(false);
  for (const value of Object.values(document.tflog.metrics ?? {})) {
    expect(Number.isFinite(value)).toBe(true);
  }
  expect(() => JSON.stringify(document)).not.toThrow();
}

describe('robustness', () => {
  it('truncates a 5 MB line but still reads its metrics', () => {
    const bar = '='.repeat(5_000_000);
    const text = `8/8 [${bar}] - 0s 5ms/step - loss: 0.25 - accuracy: 0.75\n`;
    const { documents, points } = parseAll([
      startRecord(),
      streamRecord(1, 'Epoch 1/1\n'),
      streamRecord(2, text)
    ]);
    const document = documents[2];
    expect(document.tflog.metrics).toEqual({ loss: 0.25, accuracy: 0.75 });
    expect(document.tflog.kind).toBe('epoch');
    expect(document.message).toHaveLength(
      MAX_TEXT_CHARS +
        `…[truncated ${text.length - 1 - MAX_TEXT_CHARS} chars]`.length
    );
    expect(
      document.message.endsWith(
        `…[truncated ${text.length - 1 - MAX_TEXT_CHARS} chars]`
      )
    ).toBe(true);
    expect(
      document.tflog.raw?.endsWith(
        `…[truncated ${text.length - MAX_TEXT_CHARS} chars]`
      )
    ).toBe(true);
    expect(points.map(point => point.name)).toEqual(['loss', 'accuracy']);
  });

  it('keeps at most 256 metrics from a 5 MB line of pairs', () => {
    const pairs = Array.from({ length: 400_000 }, (_, i) => `m${i}=${i}`).join(
      ' '
    );
    const { documents } = parseAll([
      startRecord(),
      streamRecord(1, `${pairs}\n`)
    ]);
    expect(Object.keys(documents[1].tflog.metrics ?? {})).toHaveLength(256);
    expect(documents[1].tflog.metrics?.m255).toBe(255);
  });

  it('parses at most MAX_LINES_PER_RECORD lines of one stream record and keeps the rest as written', () => {
    const lines = Array.from(
      { length: 200_000 },
      (_, i) => `step ${i} loss=0.5\n`
    );
    const parser = createParser();
    const state = createRunState('run-1');
    parser.parseRecord(startRecord(), state);
    const parsed = parser.parseRecord(streamRecord(1, lines.join('')), state);

    const parsedLines = parsed.documents.slice(0, MAX_LINES_PER_RECORD);
    const kept = parsed.documents.slice(MAX_LINES_PER_RECORD);
    expect(parsedLines[MAX_LINES_PER_RECORD - 1].message).toBe(
      `step ${MAX_LINES_PER_RECORD - 1} loss=0.5`
    );
    expect(parsed.points).toHaveLength(MAX_LINES_PER_RECORD);
    const rest = lines.slice(MAX_LINES_PER_RECORD).join('');
    expect(kept.length).toBe(Math.ceil(rest.length / MAX_TEXT_CHARS));
    expect(kept.map(document => document.message).join('')).toBe(rest);
    expect(kept.every(document => document.tflog.source === 'stdout')).toBe(
      true
    );
    expect(parsed.documents.map(document => document._id)).toEqual(
      parsed.documents.map((_, index) => `run-1:1:${index}`)
    );
    expect(parsed.capped).toEqual([
      expect.stringMatching(
        new RegExp(
          `more than ${MAX_LINES_PER_RECORD} lines, over the ${MAX_LINES_PER_RECORD}-line cap: .*\\(${rest.length} characters\\) .* run-1:1:${MAX_LINES_PER_RECORD} to run-1:1:${parsed.documents.length - 1}$`
        )
      )
    ]);
    expect(parser.stats.capped).toBe(1);
  });

  it('keeps the metrics of a callback record over the cap in its message', () => {
    const values: Record<string, number> = {};
    for (let index = 0; index < MAX_METRICS_PER_EVENT + 44; index += 1) {
      values[`m${index}`] = index;
    }
    const record: IMetricsRecord = {
      t: 'metrics',
      seq: 1,
      ts: START_TS + 1,
      scope: 'epoch',
      epoch: 0,
      values
    };
    const parser = createParser();
    const state = createRunState('run-1');
    parser.parseRecord(startRecord(), state);
    const parsed = parser.parseRecord(record, state);

    expect(parsed.points).toHaveLength(MAX_METRICS_PER_EVENT);
    const message = parsed.documents[0].message;
    expect(message).toContain('m0=0');
    expect(message).toContain(
      `44 more values over the ${MAX_METRICS_PER_EVENT}-metric cap`
    );
    expect(message).toContain(
      `m${MAX_METRICS_PER_EVENT}=${MAX_METRICS_PER_EVENT}`
    );
    expect(message).toContain(
      `m${MAX_METRICS_PER_EVENT + 43}=${MAX_METRICS_PER_EVENT + 43}`
    );
    expect(parsed.capped).toEqual([
      expect.stringContaining('44 value(s) over the')
    ]);
    expect(parser.stats.capped).toBe(1);
  });

  it.each([
    ['spaces', ' '.repeat(5_000_000) + 'x'],
    ['one word', 'a'.repeat(5_000_000)],
    ['digits after a time', `2026-01-01 10:00:00,123 ${'1'.repeat(5_000_000)}`],
    ['colons', `${'a:1: '.repeat(1_000_000)}Warning: x`],
    ['became', `${'became '.repeat(700_000)}nan`],
    ['an unclosed bar', `1/2 [${'='.repeat(5_000_000)}`],
    ['gradient words', 'grad norm '.repeat(500_000)],
    ['epoch pairs', `Epoch 1, ${'x=1 '.repeat(1_250_000)}`],
    ['backspaces', 'ab\b'.repeat(1_700_000)]
  ])('parses a 5 MB line of %s without hanging', (_name, line) => {
    const { documents } = parseAll([
      startRecord(),
      streamRecord(1, `${line}\n`)
    ]);
    expect(documents).toHaveLength(2);
    expectSane(documents[1]);
  });

  it('parses 100,000 lines of ANSI noise into one clean document each', () => {
    const next = random(7);
    const codes = [
      '\x1b[1m',
      '\x1b[0m',
      '\x1b[32m',
      '\x1b[2K',
      '\x1b]0;title\x07',
      '\x1b[3D',
      '\x1b[38;5;208m'
    ];
    const parser = createParser();
    const state = createRunState('noise');
    let documents = 0;
    for (let seq = 1; seq <= 100_000; seq++) {
      let text = '';
      for (let part = 0; part < 6; part++) {
        text += `${codes[Math.floor(next() * codes.length)]}noise ${Math.floor(next() * 1000)}`;
      }
      const parsed = parser.parseRecord(
        streamRecord(seq, `${text}noise\n`),
        state
      );
      documents += parsed.documents.length;
      if (seq % 10_000 === 0) {
        expectSane(parsed.documents[0]);
      }
    }
    expect(documents).toBe(100_000);
    expect(parser.stats.failures).toBe(0);
  });

  it('reads text decoded from invalid UTF-8 (replacement characters)', () => {
    const bytes = Buffer.from([
      0x6c, 0x6f, 0x73, 0x73, 0x3a, 0x20, 0x30, 0x2e, 0x35, 0x20, 0xff, 0xfe,
      0xc3, 0x0a
    ]);
    const text = new TextDecoder('utf-8').decode(bytes);
    const { documents } = parseAll([startRecord(), streamRecord(1, text)]);
    expect(documents[1].message).toBe('loss: 0.5 \ufffd\ufffd\ufffd');
    expect(documents[1].tflog.metrics).toBeUndefined();
  });

  it('never throws on random junk and always returns well-formed documents', () => {
    const next = random(42);
    const pieces = [
      '\x1b[',
      '\x1b]',
      '\x1b',
      '\r',
      '\n',
      '\b',
      '\t',
      'm',
      ';',
      ':',
      '=',
      ' - ',
      'nan',
      'inf',
      '0.5',
      '1e-4',
      'Epoch ',
      '1/2',
      '[==',
      '━',
      'Traceback (most recent call last):',
      '  File',
      'Error: x',
      'Warning: ',
      '\ud800',
      '😀',
      '2026-11-28 20:16:59,470 ',
      '[INFO] ',
      'W1128 ',
      'step ',
      'loss',
      '\u0000',
      '\u009b',
      'é'
    ];
    const parser = createParser();
    const state = createRunState('junk');
    for (let seq = 1; seq <= 2000; seq++) {
      let text = '';
      const count = Math.floor(next() * 30);
      for (let i = 0; i < count; i++) {
        text += pieces[Math.floor(next() * pieces.length)];
      }
      const record: SpoolRecord =
        next() < 0.2
          ? {
              t: 'log',
              seq,
              ts: START_TS,
              level: text.slice(0, 8),
              logger: 'junk',
              msg: text,
              exc: next() < 0.5 ? text : null
            }
          : streamRecord(seq, text, next() < 0.5 ? 'stdout' : 'stderr', {
              partial: next() < 0.1
            });
      const parsed = parser.parseRecord(record, state);
      parsed.documents.forEach(expectSane);
      for (const point of parsed.points) {
        expect(
          point.value === undefined
            ? point.nonfinite
            : Number.isFinite(point.value)
        ).toBeTruthy();
      }
    }
    expect(parser.stats.failures).toBe(0);
    expect(() => JSON.parse(JSON.stringify(state))).not.toThrow();
  });
});
