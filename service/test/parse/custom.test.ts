import { compilePatternSet, createParser, GrokError } from '../../src/parse';
import { parseAll, START_TS, startRecord, streamRecord } from './helpers';

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
      ['extra-key', 'unknown keys: colour'],
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
    const line = ' '.repeat(5_000_000);
    const { documents } = parseAll(
      [startRecord(), streamRecord(1, `${line}y\n`)],
      parser
    );
    expect(documents).toHaveLength(2);
    expect(documents[1].tflog.pattern).toBeUndefined();
    expect(parser.stats.customTimeouts).toEqual({ slow: 1 });
  });
});
