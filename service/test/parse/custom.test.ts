import { compilePatternSet, createParser, GrokError } from '../../src/parse';
import { parseAll, START_TS, startRecord, streamRecord } from './helpers';
import { ACCESS_LOG_DEFINITIONS } from './accessLogPatterns';

describe('compilePatternSet', () => {
  it('keeps the good patterns and reports each bad one by name', () => {
    const result = compilePatternSet([
      {
        name: 'epoch-loss',
        grok: '^Epoch %{INT:epoch}, Loss: %{NUMBER:loss:float}$'
      },
      { name: 'typo', grok: 'Epoch %{INTEGER:epoch}' },
      { name: 'unbalanced', grok: 'loss (%{NUMBER:loss}' },
      { name: 'bad-kind', grok: 'x %{INT:n}', kind: 'fancy' },
      { grok: 'no name %{INT:n}' },
      'not an object',
      { name: 'extra-key', grok: 'y %{INT:n}', colour: 'red' },
      { name: 'epoch-loss', grok: 'dup %{INT:n}' }
    ]);
    expect(result.patterns.map(pattern => pattern.name)).toEqual([
      'epoch-loss'
    ]);
    expect(result.errors.every(error => error instanceof GrokError)).toBe(true);
    expect(
      result.errors.map(error => [error.patternName, error.reason])
    ).toEqual([
      ['typo', 'unknown pattern %{INTEGER}'],
      ['unbalanced', expect.stringContaining('invalid regular expression')],
      ['bad-kind', expect.stringContaining('unknown kind "fancy"')],
      ['#5', 'missing "name" (a non-empty string)'],
      ['#6', 'a pattern must be an object with "name" and "grok"'],
      [
        'extra-key',
        expect.stringContaining(
          'unknown keys: colour (a pattern has name, grok'
        )
      ],
      ['epoch-loss', 'another pattern already has this name']
    ]);
  });

  it('accepts the object form with definitions', () => {
    const result = compilePatternSet({
      definitions: { LR: '%{NUMBER}', 'bad name': 'x' },
      patterns: [{ name: 'lr', grok: '^lr %{LR:lr:float}$' }]
    });
    expect(result.patterns.map(pattern => pattern.name)).toEqual(['lr']);
    expect(result.errors.map(error => error.message)).toEqual([
      "grok pattern 'bad name': definition names may only hold letters, digits and _"
    ]);
  });

  it('places a syslog time without a year near the record, not the clock', () => {
    const parser = createParser({
      patterns: [
        {
          name: 'syslog-like',
          grok: '^%{SYSLOGTIMESTAMP:timestamp} %{NOTSPACE:host} loss=%{NUMBER:loss:float}'
        }
      ]
    });
    expect(parser.patternErrors).toEqual([]);
    // Written in the first seconds of 2025, printed on the last day of 2024.
    const newYear = Date.parse('2025-01-01T00:00:05Z') / 1000;
    const { documents } = parseAll(
      [
        startRecord({ ts: newYear }),
        { ...streamRecord(1, 'Dec 31 23:59:58 gpu-01 loss=0.5\n'), ts: newYear }
      ],
      parser
    );
    expect(documents[1]['@timestamp']).toBe('2024-12-31T23:59:58.000Z');
  });

  it('rejects a pattern set of the wrong shape', () => {
    expect(
      compilePatternSet('patterns').errors.map(error => error.reason)
    ).toEqual([
      'expected an array of patterns or an object with a "patterns" array'
    ]);
  });
});

describe('custom patterns in the parser', () => {
  it('are tried before the built-in patterns and map special captures', () => {
    const parser = createParser({
      patterns: [
        {
          name: 'my-format',
          grok: '^%{TIMESTAMP_ISO8601:timestamp} %{LOGLEVEL:level} \\[%{NOTSPACE:logger}\\] epoch=%{INT:epoch} step=%{INT:step} loss=%{METRICVALUE:loss:float} acc=%{NUMBER:acc} note=%{WORD:note} msg=%{GREEDYDATA:message}'
        }
      ]
    });
    expect(parser.patternErrors).toEqual([]);
    const { documents, points } = parseAll(
      [
        startRecord(),
        streamRecord(
          1,
          '2026-11-28T10:00:00Z WARN [trainer] epoch=3 step=120 loss=nan acc=0.75 note=fine msg=Epoch 7, Loss: 0.1\n'
        )
      ],
      parser
    );
    const document = documents[1];
    expect(document['@timestamp']).toBe('2026-11-28T10:00:00.000Z');
    expect(document.log).toEqual({ level: 'warning', logger: 'trainer' });
    expect(document.message).toBe('Epoch 7, Loss: 0.1');
    expect(document.tflog).toMatchObject({
      pattern: 'my-format',
      epoch: 3,
      step: 120,
      metrics: { acc: 0.75 },
      nonfinite: { loss: 'NaN' },
      kind: 'nan'
    });
    expect(
      points.map(point => [point.name, point.scope, point.source])
    ).toEqual([
      ['acc', 'epoch', 'my-format'],
      ['loss', 'epoch', 'my-format']
    ]);
  });

  it('use the kind and level a pattern declares, and int conversion truncates', () => {
    const parser = createParser({
      patterns: [
        {
          name: 'checkpoint',
          grok: '^saved checkpoint %{NUMBER:ckpt:int}',
          kind: 'log',
          level: 'NOTICE'
        }
      ]
    });
    const { documents } = parseAll(
      [startRecord(), streamRecord(1, 'saved checkpoint 12.9 to disk\n')],
      parser
    );
    expect(documents[1].tflog).toMatchObject({
      kind: 'log',
      metrics: { ckpt: 12 },
      pattern: 'checkpoint'
    });
    expect(documents[1].log.level).toBe('notice');
  });

  it('leave lines they do not match to the built-in patterns', () => {
    const parser = createParser({
      patterns: [{ name: 'never', grok: '^NEVER %{INT:n}$' }]
    });
    const { documents } = parseAll(
      [startRecord(), streamRecord(1, 'step 5 loss=0.2\n')],
      parser
    );
    expect(documents[1].tflog).toMatchObject({
      pattern: 'step-metrics',
      step: 5
    });
  });

  it('apply to logging messages too', () => {
    const parser = createParser({
      patterns: [{ name: 'reward', grok: '^reward %{NUMBER:reward:float}$' }]
    });
    const { documents } = parseAll(
      [
        startRecord(),
        {
          t: 'log',
          seq: 1,
          ts: START_TS,
          level: 'INFO',
          logger: 'rl',
          msg: 'reward 12.5'
        }
      ],
      parser
    );
    expect(documents[1].tflog).toMatchObject({
      kind: 'metrics',
      metrics: { reward: 12.5 },
      pattern: 'reward'
    });
  });

  it('see at most maxCustomInput characters of a line', () => {
    const parser = createParser({
      patterns: [{ name: 'tail', grok: 'END %{INT:n}$' }],
      maxCustomInput: 100
    });
    const { documents } = parseAll(
      [startRecord(), streamRecord(1, `${'x'.repeat(200)} END 5\n`)],
      parser
    );
    expect(documents[1].tflog.pattern).toBeUndefined();
  });

  it('give up on a catastrophically backtracking match of a huge line and count it', () => {
    const parser = createParser({
      patterns: [{ name: 'slow', grok: '%{DATA:a} %{DATA:b} %{DATA:c}x' }],
      customTimeoutMs: 20
    });
    // The x every match needs is there, but too early.
    const line = `x${' '.repeat(5_000_000)}`;
    const { documents } = parseAll(
      [startRecord(), streamRecord(1, `${line}y\n`)],
      parser
    );
    expect(documents).toHaveLength(2);
    expect(documents[1].tflog.pattern).toBeUndefined();
    expect(parser.stats.customTimeouts).toEqual({ slow: 1 });
  });
});

describe('slow custom patterns', () => {
  function reporting(): {
    problems: Array<[string, string]>;
    onPatternProblem: (problem: GrokError) => void;
  } {
    const problems: Array<[string, string]> = [];
    return {
      problems,
      onPatternProblem: problem => {
        expect(problem).toBeInstanceOf(GrokError);
        problems.push([problem.patternName, problem.reason]);
      }
    };
  }

  it('give up on ^(a+)+$ over a 41-character line and report it by name', () => {
    const { problems, onPatternProblem } = reporting();
    const parser = createParser({
      patterns: [{ name: 'nested', grok: '^(a+)+$' }],
      onPatternProblem
    });
    expect(parser.patternErrors).toEqual([]);
    const line = `${'a'.repeat(40)}!`;
    const { documents } = parseAll(
      [startRecord(), streamRecord(1, `${line}\n`)],
      parser
    );
    expect(documents[1].message).toBe(line);
    expect(documents[1].tflog.pattern).toBeUndefined();
    expect(parser.stats.customTimeouts).toEqual({ nested: 1 });
    expect(problems).toEqual([
      [
        'nested',
        'no result within 50 ms on a line of 41 characters (time-out 1 of 5 before it is disabled); the line was read by the built-in patterns instead'
      ]
    ]);
  });

  it('leave a line they gave up on to the built-in patterns', () => {
    const parser = createParser({
      patterns: [{ name: 'nested', grok: '(a+)+$' }],
      customTimeoutMs: 20
    });
    const { documents, points } = parseAll(
      [startRecord(), streamRecord(1, `step 5 loss=0.2 ${'a'.repeat(40)}!\n`)],
      parser
    );
    expect(documents[1].tflog).toMatchObject({
      pattern: 'step-metrics',
      step: 5,
      metrics: { loss: 0.2 }
    });
    expect(points.map(point => point.name)).toEqual(['loss']);
    expect(parser.stats.customTimeouts).toEqual({ nested: 1 });
  });

  it('are disabled after repeated time-outs, with a message saying so', () => {
    const { problems, onPatternProblem } = reporting();
    const parser = createParser({
      patterns: [
        { name: 'nested', grok: '^(a+)+$' },
        { name: 'reward', grok: '^reward %{NUMBER:reward:float}$' }
      ],
      // Long enough that a busy machine never times out the short lines.
      customTimeoutMs: 250,
      customMaxTimeouts: 2,
      onPatternProblem
    });
    const hostile = `${'a'.repeat(40)}!\n`;
    const { documents } = parseAll(
      [
        startRecord(),
        streamRecord(1, 'aaaa\n'),
        streamRecord(2, hostile),
        streamRecord(3, hostile),
        streamRecord(4, hostile),
        streamRecord(5, 'aaaa\n'),
        streamRecord(6, 'reward 1.5\n')
      ],
      parser
    );
    expect(documents.map(document => document.tflog.pattern)).toEqual([
      undefined, // run start
      'nested',
      undefined,
      undefined,
      undefined,
      undefined, // 'nested' would match, but it is disabled
      'reward'
    ]);
    expect(parser.stats.customTimeouts).toEqual({ nested: 2 });
    expect(parser.stats.customDisabled).toEqual(['nested']);
    expect(
      problems.map(([name, reason]) => [name, reason.split(';')[0]])
    ).toEqual([
      [
        'nested',
        'no result within 250 ms on a line of 41 characters (time-out 1 of 2 before it is disabled)'
      ],
      [
        'nested',
        'no result within 250 ms on a line of 41 characters (time-out 2 of 2 before it is disabled)'
      ],
      [
        'nested',
        'disabled after 2 time-outs of 250 ms: it backtracks too much on some lines, so lines are read without it until the patterns are loaded again'
      ]
    ]);
  });

  it('are not run on a line without the text every match needs', () => {
    const parser = createParser({
      patterns: [{ name: 'nested', grok: '(a+)+END' }]
    });
    const { documents } = parseAll(
      [startRecord(), streamRecord(1, `${'a'.repeat(40)}!\n`)],
      parser
    );
    expect(documents[1].tflog.pattern).toBeUndefined();
    expect(parser.stats.customTimeouts).toEqual({});
  });

  it('are refused at load when they hang on a short test line', () => {
    const { patterns, errors } = compilePatternSet([
      { name: 'hang', grok: '^(.*)*x$' },
      { name: 'fine', grok: '^(?>a+)+x$' }
    ]);
    expect(patterns.map(pattern => pattern.name)).toEqual(['fine']);
    expect(errors.map(error => [error.patternName, error.reason])).toEqual([
      ['hang', expect.stringContaining('backtracks catastrophically')]
    ]);
  });
});

describe('Logstash-style quoted string, URI and combined access log', () => {
  const valid =
    '192.168.7.21 - alice [05/Apr/2025:10:23:45 +0000] "GET /runs/train-7/scalars?tag=loss HTTP/1.1" 200 2326 "https://tflog.example.org/runs/train-7" "tflog-probe/0.3 (linux; x86_64) [ci]"';
  // A line whose user agent's closing quote is missing: 211 characters.
  const unterminated =
    '10.1.2.3 - - [28/Nov/2026:20:16:59 +0100] "POST /api/v1/runs/train-42/metrics HTTP/1.1" 200 512 "https://tflog.example.org/runs/train-42" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) C';

  function parseWith(name: string, grok: string, lines: string[]) {
    const parser = createParser({
      patterns: {
        definitions: ACCESS_LOG_DEFINITIONS,
        patterns: [{ name, grok }]
      },
      // Well above a fast match on a busy machine, far below a backtracking
      // one (minutes): a time-out here means the pattern backtracks.
      customTimeoutMs: 1000
    });
    expect(parser.patternErrors).toEqual([]);
    const { documents } = parseAll(
      [
        startRecord(),
        ...lines.map((line, i) => streamRecord(i + 1, `${line}\n`))
      ],
      parser
    );
    return { parser, documents: documents.slice(1) };
  }

  it('QS: quoted strings match, an unclosed quote returns at once', () => {
    const hostile = `"${'a '.repeat(17)}a`;
    expect(hostile).toHaveLength(36);
    const { parser, documents } = parseWith('quoted', '^%{QS:q} %{INT:n}$', [
      '"say \\"hi\\"" 7',
      hostile,
      `${hostile} 7`
    ]);
    expect(documents.map(document => document.tflog.pattern)).toEqual([
      'quoted',
      undefined,
      undefined
    ]);
    expect(documents[0].tflog.metrics).toEqual({ n: 7 });
    // The atomic groups did the work: no time limit was reached.
    expect(parser.stats.customTimeouts).toEqual({});
  });

  it('URI: addresses match, a long scheme-like word returns', () => {
    const { parser, documents } = parseWith('uri', '%{URI:uri}', [
      'fetched http://example.com:8080/a/b?c=d in 3 ms',
      'a'.repeat(36),
      `${'a'.repeat(32)} ://`
    ]);
    expect(documents.map(document => document.tflog.pattern)).toEqual([
      'uri',
      undefined,
      undefined
    ]);
    // A port identifies; it is no measurement.
    expect(documents[0].tflog.metrics).toBeUndefined();
    // URI_SCHEME nests quantifiers without an atomic group: the time limit
    // ends that one (the line without '://' is never tried).
    expect(parser.stats.customTimeouts).toEqual({ uri: 1 });
  });

  it('combined access log: lines match, an unclosed quote returns', () => {
    expect(unterminated).toHaveLength(211);
    const { parser, documents } = parseWith(
      'access',
      '%{ACCESS_LOG_COMBINED}',
      [valid, unterminated]
    );
    expect(documents.map(document => document.tflog.pattern)).toEqual([
      'access',
      undefined
    ]);
    // The HTTP version and the status code are no measurements.
    expect(documents[0].tflog.metrics).toEqual({ bytes: 2326 });
    expect(parser.stats.customTimeouts).toEqual({});
  });
});
