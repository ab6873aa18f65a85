/**
 * What a custom pattern's match becomes, as Logstash users expect: the
 * level from their usual capture names, the time in the formats of
 * Logstash's date filter, and metrics that leave identifiers out.
 */
import { compilePatternSet, createParser, GrokError } from '../../src/parse';
import {
  CustomMatcher,
  ICompiledPattern,
  interpretCaptures,
  isIdentifierName
} from '../../src/parse/custom';
import {
  compileTimeFormat,
  defaultTimeFormats,
  isoText,
  TimeFormatError
} from '../../src/parse/grok/timeFormat';
import { parseAll, startRecord, streamRecord } from './helpers';

/** The one pattern of a set; fails when the set has errors. */
function onePattern(entry: Record<string, unknown>): ICompiledPattern {
  const { patterns, errors } = compilePatternSet([entry]);
  expect(errors.map(error => error.message)).toEqual([]);
  return patterns[0];
}

function refusal(entry: Record<string, unknown>): string {
  const { patterns, errors } = compilePatternSet([entry]);
  expect(patterns).toEqual([]);
  expect(errors).toHaveLength(1);
  expect(errors[0]).toBeInstanceOf(GrokError);
  return errors[0].reason;
}

/** Captures by role of `line` under `entry`, with a reference time. */
function roles(
  entry: Record<string, unknown>,
  line: string,
  reference = '2026-11-28T12:00:00Z'
): Record<string, string> {
  const pattern = onePattern(entry);
  const problems: string[] = [];
  const matcher = new CustomMatcher([pattern], {
    onProblem: problem => problems.push(problem.reason)
  });
  const match = matcher.match(line, Date.parse(reference));
  expect(match).not.toBeNull();
  const out: Record<string, string> = {};
  for (const capture of match?.captures ?? []) {
    out[capture.field] = capture.text;
  }
  if (problems.length > 0) {
    out.problem = problems.join(' / ');
  }
  return out;
}

describe('the level', () => {
  it.each<[string, string]>([
    ['^%{LOGLEVEL:level} x$', 'WARN x'],
    ['^%{LOGLEVEL:loglevel} x$', 'WARN x'],
    ['^%{LOGLEVEL:severity} x$', 'WARN x'],
    ['^%{LOGLEVEL:[log][level]} x$', 'WARN x'],
    ['^(?<log.level>\\w+) x$', 'WARN x']
  ])('comes from the capture %s by default', (grok, line) => {
    expect(roles({ name: 'p', grok }, line)).toEqual({ level: 'WARN' });
  });

  it('comes from the captures a pattern names, the first present winning', () => {
    const entry = {
      name: 'p',
      grok: '^(?:<%{WORD:sev}> )?%{WORD:lvl} x$',
      levelField: ['sev', 'lvl']
    };
    expect(roles(entry, '<error> info x')).toEqual({ level: 'error' });
    expect(roles(entry, 'info x')).toEqual({ level: 'info' });
  });

  it('sets the document level in the parser', () => {
    const parser = createParser({
      patterns: [
        {
          name: 'java',
          grok: '^%{LOGLEVEL:loglevel} \\[%{WORD}\\] %{GREEDYDATA:message}$'
        }
      ]
    });
    const { documents } = parseAll(
      [startRecord(), streamRecord(1, 'SEVERE [main] disk full\n')],
      parser
    );
    expect(documents[1].log.level).toBe('error');
    expect(documents[1].message).toBe('disk full');
  });

  it('refuses a levelField the pattern never captures', () => {
    expect(
      refusal({ name: 'p', grok: '^%{WORD:lvl} x$', levelField: 'severity' })
    ).toBe(
      "\"levelField\" names 'severity', which the pattern does not capture (it captures 'lvl')"
    );
  });
});

describe('the time', () => {
  it.each<[string, string, string]>([
    // ISO 8601 and epochs, as before
    [
      'ISO 8601',
      '2026-11-28T10:00:00.250+02:00',
      '2026-11-28T10:00:00.250+02:00'
    ],
    ['Java / Tomcat', '2026-11-28 20:16:59,470', '2026-11-28T20:16:59.470'],
    ['epoch seconds', '1795898566.5', '2026-11-28T20:42:46.500+00:00'],
    ['epoch milliseconds', '1795898566500', '2026-11-28T20:42:46.500+00:00'],
    // Syslog: no year, the one nearest the reference
    ['syslog', 'Nov 28 20:16:59', '2026-11-28T20:16:59.000'],
    ['syslog, padded day', 'Nov  8 20:16:59', '2026-11-08T20:16:59.000'],
    ['syslog, two digits', 'Nov 08 20:16:59', '2026-11-08T20:16:59.000'],
    // HTTPDATE, with its zone
    ['HTTPDATE', '28/Nov/2026:20:16:59 +0100', '2026-11-28T20:16:59.000+01:00'],
    // Apache error log, 2.4 and 2.2
    [
      'Apache 2.4 error log',
      'Sat Nov 28 20:16:59.123456 2026',
      '2026-11-28T20:16:59.123'
    ],
    [
      'Apache 2.2 error log',
      'Sat Nov 28 20:16:59 2026',
      '2026-11-28T20:16:59.000'
    ],
    // Tomcat's catalina.out, new and old
    ['Tomcat 8+', '28-Nov-2026 20:16:59.470', '2026-11-28T20:16:59.470'],
    ['Tomcat 7', 'Nov 28, 2026 8:16:59 PM', '2026-11-28T20:16:59.000'],
    ['nginx error log', '2026/11/28 20:16:59', '2026-11-28T20:16:59.000']
  ])('reads %s times by default', (_what, text, iso) => {
    const entry = { name: 'p', grok: '^\\[(?<timestamp>[^\\]]+)\\] x$' };
    expect(roles(entry, `[${text}] x`)).toEqual({ timestamp: iso });
  });

  it('infers a missing year as the one nearest the reference time', () => {
    const entry = { name: 'p', grok: '^%{SYSLOGTIMESTAMP:timestamp} x$' };
    expect(roles(entry, 'Dec 31 23:59:59 x', '2027-01-01T00:00:30Z')).toEqual({
      timestamp: '2026-12-31T23:59:59.000'
    });
    expect(roles(entry, 'Jan  1 00:00:01 x', '2026-12-31T23:59:00Z')).toEqual({
      timestamp: '2027-01-01T00:00:01.000'
    });
  });

  it('reads the capture and formats a pattern names, like the date filter', () => {
    const entry = {
      name: 'p',
      grok: '^%{NOTSPACE:when} x$',
      date: ['when', 'yyyyMMdd-HHmmss', 'UNIX_MS']
    };
    expect(roles(entry, '20261128-201659 x')).toEqual({
      timestamp: '2026-11-28T20:16:59.000'
    });
    expect(roles(entry, '1795898566500 x')).toEqual({
      timestamp: '2026-11-28T20:42:46.500+00:00'
    });
    // Only the formats named: an ISO time is not one of them.
    expect(roles(entry, '2026-11-28T20:16:59 x').problem).toBe(
      "capture 'when' \"2026-11-28T20:16:59\" is not a time in any of the formats 'yyyyMMdd-HHmmss', 'UNIX_MS'; the event keeps the time of its record"
    );
  });

  it('warns when a time cannot be read, a few times per pattern, and keeps the record time', () => {
    const problems: string[] = [];
    const parser = createParser({
      patterns: [
        {
          name: 'odd-time',
          grok: '^\\[%{DATA:timestamp}\\] %{GREEDYDATA:message}$'
        }
      ],
      onPatternProblem: problem => problems.push(problem.message)
    });
    const records = [startRecord()];
    for (let seq = 1; seq <= 5; seq += 1) {
      records.push(streamRecord(seq, `[yesterday at noon] event ${seq}\n`));
    }
    const { documents } = parseAll(records, parser);
    expect(documents[1]['@timestamp']).toBe(
      new Date((records[1].ts as number) * 1000).toISOString()
    );
    expect(documents[1].message).toBe('event 1');
    expect(problems).toHaveLength(3);
    expect(problems[0]).toBe(
      `grok pattern 'odd-time': capture 'timestamp' "yesterday at noon" is not a time in any of the formats ${defaultTimeFormats()
        .map(format => `'${format.spec}'`)
        .join(', ')}; the event keeps the time of its record`
    );
    expect(problems[2]).toContain(
      'further unreadable times of this pattern are counted, not reported'
    );
  });

  it('becomes @timestamp, with the zone printed', () => {
    const parser = createParser({
      patterns: [
        {
          name: 'access',
          grok: '^\\[%{HTTPDATE:timestamp}\\] %{GREEDYDATA:message}$'
        }
      ]
    });
    const { documents } = parseAll(
      [startRecord(), streamRecord(1, '[28/Nov/2026:20:16:59 +0100] GET /\n')],
      parser
    );
    expect(documents[1]['@timestamp']).toBe('2026-11-28T19:16:59.000Z');
  });

  it.each<[unknown, string]>([
    ['timestamp', '"date" must be a list: the capture holding the time'],
    [['timestamp'], '"date" must be a list'],
    [
      ['when', 'ISO8601'],
      '"date" names \'when\', which the pattern does not capture'
    ],
    [['timestamp', 'TAI64N'], '"date": TAI64N is not supported'],
    [
      ['timestamp', 'yyyy-MM-dd'],
      'needs at least a month (M), a day (d) and an hour (H or h)'
    ],
    [['timestamp', 'yyyy-MM-ddTHH:mm'], "the letter 'T' is not supported"],
    [['timestamp', "dd 'at HH"], 'unterminated quote']
  ])('refuses the date %j', (date, reason) => {
    expect(
      refusal({ name: 'p', grok: '^%{NOTSPACE:timestamp} x$', date })
    ).toContain(reason);
  });
});

describe('metrics', () => {
  const grok =
    '^%{WORD:program}\\[%{POSINT:[process][pid]:int}\\] port=%{POSINT:port} HTTP/%{NUMBER:httpversion} %{NUMBER:[http][response][status_code]:int} %{NUMBER:bytes:int} %{NUMBER:duration} id=%{INT:request_id} loss=%{NUMBER:loss:float}$';
  const line = 'sshd[4242] port=22 HTTP/1.1 200 5120 0.25 id=77 loss=0.5';

  it('leave identifiers, ports, versions and codes out by default', () => {
    expect(roles({ name: 'p', grok, metrics: 'auto' }, line)).toEqual({
      bytes: '5120',
      duration: '0.25',
      loss: '0.5'
    });
  });

  it('are the typed captures with "typed"', () => {
    expect(roles({ name: 'p', grok, metrics: 'typed' }, line)).toEqual({
      'process.pid': '4242',
      'http.response.status_code': '200',
      bytes: '5120',
      loss: '0.5'
    });
  });

  it('are exactly the captures listed', () => {
    expect(
      roles({ name: 'p', grok, metrics: ['loss', '[process][pid]'] }, line)
    ).toEqual({ 'process.pid': '4242', loss: '0.5' });
    expect(roles({ name: 'p', grok, metrics: [] }, line)).toEqual({});
  });

  it('say once per pattern which numbers are no longer metrics, unless the pattern says which are', () => {
    const problems: string[] = [];
    const parser = createParser({
      patterns: [{ name: 'p', grok }],
      onPatternProblem: problem => problems.push(problem.message)
    });
    parseAll(
      [
        startRecord(),
        streamRecord(1, `${line}\n`),
        streamRecord(2, `${line}\n`)
      ],
      parser
    );
    expect(problems).toEqual([
      "grok pattern 'p': 'process.pid', 'port', 'httpversion', 'http.response.status_code', 'request_id' captured a number but are not stored as a metric: identifiers, ports, versions and codes are not (earlier versions stored them); list the captures to store in \"metrics\", or set \"metrics\": \"auto\" to keep this and no longer be told"
    ]);
    const quiet: string[] = [];
    const explicit = createParser({
      patterns: [{ name: 'p', grok, metrics: 'auto' }],
      onPatternProblem: problem => quiet.push(problem.message)
    });
    parseAll([startRecord(), streamRecord(1, `${line}\n`)], explicit);
    expect(quiet).toEqual([]);
  });

  it('become points with the int hint truncating', () => {
    const parser = createParser({
      patterns: [{ name: 'p', grok, metrics: ['duration', 'bytes'] }]
    });
    const { documents, points } = parseAll(
      [startRecord(), streamRecord(1, `${line}\n`)],
      parser
    );
    expect(documents[1].tflog.metrics).toEqual({ bytes: 5120, duration: 0.25 });
    expect(points.map(point => point.name)).toEqual(['bytes', 'duration']);
  });

  it.each<[unknown, string]>([
    [
      ['loss', 'acc'],
      '"metrics" names \'acc\', which the pattern does not capture'
    ],
    [
      ['bytes', 'timestamp'],
      '"metrics" names \'timestamp\', which the pattern does not capture'
    ],
    ['all', '"metrics" must be a list of capture names, "typed" or "auto"'],
    [[1], '"metrics" must be a capture name or a non-empty list of them']
  ])('refuse the list %j', (metrics, reason) => {
    expect(refusal({ name: 'p', grok, metrics })).toContain(reason);
  });

  it('refuse a capture that is the level or the time', () => {
    expect(
      refusal({
        name: 'p',
        grok: '^%{WORD:sev} %{INT:n}$',
        levelField: 'sev',
        metrics: ['sev', 'n']
      })
    ).toBe(
      '"metrics" names \'sev\', which is read as the level, the time, the message, the logger or a position'
    );
  });

  it.each<[string, boolean]>([
    ['pid', true],
    ['process.pid', true],
    ['source.port', true],
    ['httpversion', true],
    ['http.version', true],
    ['status_code', true],
    ['response', true],
    ['request_id', true],
    ['loss', false],
    ['bytes', false],
    ['duration', false],
    ['valid', false]
  ])('%s is an identifier: %s', (name, identifier) => {
    expect(isIdentifierName(name)).toBe(identifier);
  });
});

describe('time formats', () => {
  it('reads Joda-style patterns strictly enough', () => {
    const format = compileTimeFormat("yyyy-MM-dd'T'HH:mm:ss.SSSZZ");
    expect(
      isoText(
        format.read('2026-11-28T20:16:59.123+01:00', 0) ?? { wallMs: NaN }
      )
    ).toBe('2026-11-28T20:16:59.123+01:00');
    expect(format.read('2026-11-28 20:16:59.123+01:00', 0)).toBeNull();
    expect(format.read('2026-02-31T20:16:59.123+01:00', 0)).toBeNull();
    expect(
      compileTimeFormat('dd/MMM/yyyy:HH:mm:ss Z').read(
        '28/Foo/2026:20:16:59 +0100',
        0
      )
    ).toBeNull();
    expect(() => compileTimeFormat('yyyy-MM-dd qq')).toThrow(TimeFormatError);
  });

  it('reads 12-hour clocks and full month names', () => {
    const format = compileTimeFormat('MMMM d, yyyy h:mm a');
    expect(
      isoText(format.read('November 28, 2026 12:05 AM', 0) ?? { wallMs: NaN })
    ).toBe('2026-11-28T00:05:00.000');
    expect(
      isoText(format.read('November 28, 2026 12:05 PM', 0) ?? { wallMs: NaN })
    ).toBe('2026-11-28T12:05:00.000');
  });

  it('uses the given reference for the year in the matcher', () => {
    const pattern = onePattern({
      name: 'p',
      grok: '^%{SYSLOGTIMESTAMP:timestamp} x$'
    });
    const { captures } = interpretCaptures(
      pattern,
      [{ field: 'timestamp', text: 'Mar  3 01:02:03', conversion: null }],
      Date.parse('2031-02-01T00:00:00Z')
    );
    expect(captures).toEqual([
      { field: 'timestamp', text: '2031-03-03T01:02:03.000', conversion: null }
    ]);
  });
});
