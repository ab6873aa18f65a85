import { BASE_PATTERNS, compileGrok, GrokError } from '../../src/parse';
import { grokCaptures } from '../../src/parse/grok/compile';
import { ACCESS_LOG_DEFINITIONS } from './accessLogPatterns';

function capture(
  grok: string,
  text: string,
  definitions: Record<string, string> = {}
) {
  const compiled = compileGrok('test', grok, definitions);
  const match = compiled.regex.exec(text);
  return match ? grokCaptures(compiled, match) : null;
}

function grokError(
  grok: string,
  definitions: Record<string, string> = {}
): GrokError {
  try {
    compileGrok('my-pattern', grok, definitions);
  } catch (error) {
    if (error instanceof GrokError) {
      return error;
    }
    throw error;
  }
  throw new Error(`expected ${grok} to fail`);
}

describe('compileGrok', () => {
  it("compiles the article's Logstash pattern and reads its line", () => {
    const grok =
      '%{TIMESTAMP_ISO8601:timestamp} \\[%{LOGLEVEL:level}\\] Epoch %{NUMBER:epoch:int}, Loss: %{BASE16FLOAT:loss:float}';
    expect(
      capture(grok, '2025-04-05T10:23:45.123 [INFO] Epoch 7, Loss: 0.8765')
    ).toEqual([
      { field: 'timestamp', text: '2025-04-05T10:23:45.123', conversion: null },
      { field: 'level', text: 'INFO', conversion: null },
      { field: 'epoch', text: '7', conversion: 'int' },
      { field: 'loss', text: '0.8765', conversion: 'float' }
    ]);
  });

  it('expands nested references through custom definitions', () => {
    const definitions = {
      PAIR: '%{WORD:name}=%{METRIC}',
      METRIC: '%{NUMBER:value:float}'
    };
    expect(capture('^%{PAIR}$', 'loss=0.25', definitions)).toEqual([
      { field: 'name', text: 'loss', conversion: null },
      { field: 'value', text: '0.25', conversion: 'float' }
    ]);
  });

  it('lets definitions override base patterns', () => {
    expect(capture('^%{WORD:w}$', 'a-b', { WORD: '[a-z-]+' })).toEqual([
      { field: 'w', text: 'a-b', conversion: null }
    ]);
  });

  it('accepts named groups, bracket and dotted field names, and backreferences', () => {
    expect(
      capture('(?<[log][level]>[A-Z]+) (?<log.logger>\\w+)', 'WARN train')
    ).toEqual([
      { field: 'log.level', text: 'WARN', conversion: null },
      { field: 'log.logger', text: 'train', conversion: null }
    ]);
    expect(capture('(?<word>\\w+) \\k<word>', 'again again')).toEqual([
      { field: 'word', text: 'again', conversion: null }
    ]);
  });

  it('keeps lookbehind groups and turns atomic groups and \\A / \\Z into JavaScript', () => {
    expect(capture('(?<!x)(?<n>\\d+)', 'x1 22')).toEqual([
      { field: 'n', text: '22', conversion: null }
    ]);
    expect(capture('\\A(?>%{INT:n})\\Z', '42')).toEqual([
      { field: 'n', text: '42', conversion: null }
    ]);
  });

  it('supports a leading (?i) flag', () => {
    expect(capture('(?i)^epoch %{INT:epoch}', 'EPOCH 3')).toEqual([
      { field: 'epoch', text: '3', conversion: null }
    ]);
  });

  it('keeps %{ literal inside character classes and after a backslash', () => {
    expect(capture('^[%{]+ \\%{x}$', '%{ %{x}')).toEqual([]);
  });

  it('compiles every base pattern on its own', () => {
    for (const name of Object.keys(BASE_PATTERNS)) {
      // Delimiters keep DATA and GREEDYDATA from matching every line.
      const compiled = compileGrok(name, `^<%{${name}:value}>$`);
      expect(compiled.fields).toEqual([
        { group: 'g0', field: 'value', conversion: null, definition: name }
      ]);
    }
  });
});

/** Whether a compiled grok pattern matches, and what it matched. */
function matched(grok: string, text: string): string | null {
  const match = compileGrok('test', grok).regex.exec(text);
  return match === null ? null : match[0];
}

describe('atomic groups and possessive quantifiers', () => {
  it('never give back what an atomic group matched', () => {
    // a+ may give back an 'a' for the 'a' after it; (?>a+) may not.
    expect(matched('^a+ab', 'aaab')).toBe('aaab');
    expect(matched('^(?>a+)ab', 'aaab')).toBeNull();
    // Where nothing needs giving back, both match the same.
    expect(matched('^a+b', 'aaab')).toBe('aaab');
    expect(matched('^(?>a+)b', 'aaab')).toBe('aaab');
  });

  it('never try another alternative once an atomic group matched', () => {
    expect(matched('(?:a|ab)c', 'abc')).toBe('abc');
    expect(matched('(?>a|ab)c', 'abc')).toBeNull();
    expect(matched('(?>ab|a)c', 'abc')).toBe('abc');
    // Repeated: each pass keeps its first choice.
    expect(matched('(?:a|ab)+c', 'ababc')).toBe('ababc');
    expect(matched('(?>a|ab)+c', 'ababc')).toBeNull();
  });

  it('read possessive quantifiers as atomic greedy ones', () => {
    expect(matched('^a++ab', 'aaab')).toBeNull();
    expect(matched('a*+a', 'aaa')).toBeNull();
    expect(matched('x?+x', 'x')).toBeNull();
    expect(matched('x?+y', 'xy')).toBe('xy');
    // Ruby reads an interval followed by + as a repeat of the interval.
    expect(matched('^a{2}+$', 'aaaa')).toBe('aaaa');
    expect(matched('^a{2}+$', 'aaa')).toBeNull();
    expect(matched('a{1,3}+a', 'aaa')).toBe('aaa');
    expect(matched('(?>a{1,3})a', 'aaa')).toBeNull();
    // And a quantifier after a quantifier repeats the repeat (x?* is (?:x?)*).
    expect(matched('^a.?*b$', 'axyzb')).toBe('axyzb');
    expect(matched('^(?:ab)+*$', 'ababab')).toBe('ababab');
    expect(matched('^a{2}{2}$', 'aaaa')).toBe('aaaa');
    expect(matched('^a{2}{2}$', 'aaa')).toBeNull();
    expect(matched('^[^"]*+"', 'say "hi"')).toBe('say "');
    // Lazy quantifiers are untouched.
    expect(matched('^a+?', 'aaa')).toBe('a');
    expect(matched('^a*?b', 'aab')).toBe('aab');
  });

  it('keep atomic groups atomic inside a lookbehind', () => {
    // Read right to left: (?>a*) takes every 'a', leaving none for the 'a'.
    expect(matched('(?<=^aa*)b', 'aab')).toBe('b');
    expect(matched('(?<=^a(?>a*))b', 'aab')).toBeNull();
  });

  it('map capture names right after the emulation adds groups', () => {
    expect(
      capture(
        '^(x)?(?>%{INT:a}) (?>(?<b>\\w+))(y)? (?>(?>%{WORD:c})z)? %{NUMBER:d:float}$',
        '12 foo  2.5'
      )
    ).toEqual([
      { field: 'a', text: '12', conversion: null },
      { field: 'b', text: 'foo', conversion: null },
      { field: 'd', text: '2.5', conversion: 'float' }
    ]);
    expect(capture('^(?>(?<w>\\w+)) \\k<w>$', 'ab ab')).toEqual([
      { field: 'w', text: 'ab', conversion: null }
    ]);
    expect(capture('^(?>(?<w>\\w+)) \\k<w>$', 'ab ac')).toBeNull();
    // A digit written after an emulated group stays a digit.
    expect(matched('(?>a)0', 'a0')).toBe('a0');
    expect(matched('(?>a)1(?>b)2', 'a1b2')).toBe('a1b2');
  });

  it('report broken atomic and possessive syntax', () => {
    expect(grokError('(?>a').reason).toContain('invalid regular expression');
    expect(grokError('a*?+').reason).toContain('Nothing to repeat');
    expect(grokError('a+++').reason).toContain('Nothing to repeat');
  });

  it('compile Logstash-style quoted string, URI and combined access log definitions and read their captures', () => {
    const line =
      '192.168.7.21 - alice [05/Apr/2025:10:23:45 +0000] "GET /runs/train-7/scalars?tag=loss HTTP/1.1" 200 2326 "https://tflog.example.org/runs/train-7" "tflog-probe/0.3 (linux; x86_64) [ci]"';
    expect(
      capture('%{ACCESS_LOG_COMBINED}', line, ACCESS_LOG_DEFINITIONS)
    ).toEqual([
      { field: 'client', text: '192.168.7.21', conversion: null },
      { field: 'ident', text: '-', conversion: null },
      { field: 'user', text: 'alice', conversion: null },
      {
        field: 'timestamp',
        text: '05/Apr/2025:10:23:45 +0000',
        conversion: null
      },
      { field: 'method', text: 'GET', conversion: null },
      {
        field: 'path',
        text: '/runs/train-7/scalars?tag=loss',
        conversion: null
      },
      { field: 'http_version', text: '1.1', conversion: null },
      { field: 'status', text: '200', conversion: null },
      { field: 'bytes', text: '2326', conversion: null },
      {
        field: 'referrer',
        text: '"https://tflog.example.org/runs/train-7"',
        conversion: null
      },
      {
        field: 'agent',
        text: '"tflog-probe/0.3 (linux; x86_64) [ci]"',
        conversion: null
      }
    ]);
    // An IPv6 client (other numbered groups before the atomic ones), no
    // byte count, and escaped quotes inside the agent.
    expect(
      capture(
        '%{ACCESS_LOG_COMBINED}',
        '::1 - - [9/Dec/2026:23:59:60 -0130] "HEAD / HTTP/2" 304 - \'-\' "say \\"hi\\""',
        ACCESS_LOG_DEFINITIONS
      )
    ).toEqual([
      { field: 'client', text: '::1', conversion: null },
      { field: 'ident', text: '-', conversion: null },
      { field: 'user', text: '-', conversion: null },
      {
        field: 'timestamp',
        text: '9/Dec/2026:23:59:60 -0130',
        conversion: null
      },
      { field: 'method', text: 'HEAD', conversion: null },
      { field: 'path', text: '/', conversion: null },
      { field: 'http_version', text: '2', conversion: null },
      { field: 'status', text: '304', conversion: null },
      { field: 'referrer', text: "'-'", conversion: null },
      { field: 'agent', text: '"say \\"hi\\""', conversion: null }
    ]);
    expect(
      capture(
        '%{URI:uri}',
        'see https://user@es.example.org:9200/_bulk?refresh=false now',
        ACCESS_LOG_DEFINITIONS
      )
    ).toEqual([
      {
        field: 'uri',
        text: 'https://user@es.example.org:9200/_bulk?refresh=false',
        conversion: null
      },
      { field: 'port', text: '9200', conversion: null }
    ]);
    expect(
      capture(
        '^%{URI:uri} %{QS:q}$',
        'coap+tcp://[fe80::1%eth0]:5683/a/b `x\\`y`',
        ACCESS_LOG_DEFINITIONS
      )
    ).toEqual([
      {
        field: 'uri',
        text: 'coap+tcp://[fe80::1%eth0]:5683/a/b',
        conversion: null
      },
      { field: 'port', text: '5683', conversion: null },
      { field: 'q', text: '`x\\`y`', conversion: null }
    ]);
    expect(
      capture('^%{QS:q}$', '"say \\"hi\\""', ACCESS_LOG_DEFINITIONS)
    ).toEqual([{ field: 'q', text: '"say \\"hi\\""', conversion: null }]);
    // An escaped quote does not open a string: the first one here is.
    expect(capture('%{QS:q}', 'it\\"s "ok"', ACCESS_LOG_DEFINITIONS)).toEqual([
      { field: 'q', text: '"ok"', conversion: null }
    ]);
  });
});

describe('backtracking analysis', () => {
  it('proves anchored patterns of specific base patterns fast on any line', () => {
    for (const grok of [
      '^Epoch %{INT:epoch}, Loss: %{NUMBER:loss:float}$',
      '^saved checkpoint %{NUMBER:ckpt:int}',
      '^%{LOGLEVEL:level}: %{GREEDYDATA:message}',
      '^lr %{METRICVALUE:lr}$'
    ]) {
      expect([grok, compileGrok('test', grok).directUpTo]).toEqual([
        grok,
        64 * 1024
      ]);
    }
  });

  it('proves every base pattern fast on ordinary lines', () => {
    for (const name of Object.keys(BASE_PATTERNS)) {
      const { directUpTo } = compileGrok(name, `^<%{${name}:value}>$`);
      // URI nests host names, IP addresses and paths: guarded sooner.
      const atLeast = name === 'URI' ? 0 : 64;
      expect([name, directUpTo >= atLeast]).toEqual([name, true]);
    }
  });

  it('says why a pattern needs the time limit', () => {
    expect(compileGrok('epoch', '^Epoch %{INT:epoch}$').guardReason).toBeNull();
    expect(compileGrok('nested', '^(a+)+$').guardReason).toBe(
      'no useful bound found on how much it may backtrack (nested quantifiers such as (a+)+?), so every line is matched under the 50 ms time limit'
    );
    expect(
      compileGrok('cubic', '^%{DATA:a} %{DATA:b} %{DATA:c}x').guardReason
    ).toMatch(
      /^proven fast on lines of up to \d+ characters; longer ones are matched under the 50 ms time limit$/
    );
  });

  it('finds no bound for nested quantifiers', () => {
    const nested = compileGrok('nested', '^(a+)+$');
    expect(nested.directUpTo).toBeLessThan(41);
    // Made atomic, it is polynomial: proven on long lines.
    expect(compileGrok('atomic', '^(?>a+)+$').directUpTo).toBeGreaterThan(1000);
  });

  it('rejects a pattern that hangs on its test lines', () => {
    expect(grokError('^(.*)*x$').reason).toContain(
      'the pattern backtracks catastrophically'
    );
  });
});

describe('base patterns', () => {
  const cases: Array<[string, string[], string[]]> = [
    ['NUMBER', ['0.8765', '-3', '1e-4', '3.2e+01', '.5'], ['abc', '-', 'e5']],
    ['BASE10NUM', ['12.5', '+7'], ['x']],
    ['INT', ['42', '-7', '+3'], ['4.2', 'x']],
    ['POSINT', ['1', '420'], ['0', '-1', '012']],
    ['NONNEGINT', ['0', '17'], ['-1', 'a']],
    ['WORD', ['train_step'], ['two words', '']],
    ['NOTSPACE', ['/a/b.py:3'], ['a b']],
    ['SPACE', ['   ', ''], ['x']],
    ['DATA', ['anything at all'], []],
    ['GREEDYDATA', ['anything at all'], []],
    [
      'QUOTEDSTRING',
      ['"say \\"hi\\""', "'single'", '`tick`'],
      ['"open', 'bare']
    ],
    [
      'UUID',
      ['123e4567-e89b-12d3-a456-426614174000'],
      ['123e4567-e89b-12d3-a456']
    ],
    [
      'LOGLEVEL',
      ['INFO', 'WARNING', 'warn', 'Error', 'CRITICAL', 'debug', 'FATAL'],
      ['LOUD']
    ],
    [
      'TIMESTAMP_ISO8601',
      [
        '2025-04-05T10:23:45.123',
        '2026-11-28 20:16:59,470',
        '2026-11-28T20:16:59Z',
        '2026-11-28T20:16:59+02:00'
      ],
      ['2026-13-01T00:00:00', 'yesterday']
    ],
    ['YEAR', ['2026', '26'], ['2O26']],
    ['MONTHNUM', ['1', '09', '12'], ['13', '00']],
    ['MONTHDAY', ['1', '09', '31'], ['32', '00']],
    ['HOUR', ['0', '09', '23'], ['24']],
    ['MINUTE', ['00', '59'], ['60', '5']],
    ['SECOND', ['00', '59', '60', '59.123', '59,470'], ['61']],
    ['TIME', ['20:16:59', '20:16:59.470'], ['25:00:00']],
    ['ISO8601_TIMEZONE', ['Z', '+02:00', '-0530'], ['UTC']],
    ['BASE16FLOAT', ['0.8765', '0x1F', 'ff.8'], ['xyz']],
    ['BASE16NUM', ['0x1F', 'ff'], ['zz']],
    ['METRICVALUE', ['0.5', 'nan', 'NaN', '-inf', 'Infinity', '1e-4'], ['n/a']],
    ['IPV4', ['10.0.0.1', '255.255.255.255'], ['256.1.1.1', '1.2.3']],
    [
      'IPV6',
      [
        '::1',
        'fe80::1ff:fe23:4567:890a',
        '2001:db8:85a3:0:0:8a2e:370:7334',
        '::ffff:10.0.0.1',
        '::'
      ],
      ['12345::', ':::']
    ],
    ['IP', ['10.0.0.1', '::1'], ['host']],
    ['HOSTNAME', ['gpu-01', 'node7.cluster.local'], ['-bad', 'bad_host']],
    ['IPORHOST', ['10.1.2.3', 'gpu-01.lab'], ['a b']],
    ['HOSTPORT', ['localhost:9200', '10.0.0.1:80'], ['localhost']],
    ['UNIXPATH', ['/home/alice/train.py', '/'], ['relative/path']],
    ['WINPATH', ['C:\\Users\\me\\train.py'], ['/unix']],
    ['PATH', ['/tmp/x.py', 'C:\\x'], ['x']],
    [
      'URI',
      ['http://es:9200/_bulk?refresh=false', 'https://user@host/path'],
      ['not a uri']
    ],
    ['MAC', ['00:1a:2b:3c:4d:5e'], ['00:1a:2b']],
    ['EMAILADDRESS', ['alice@example.org'], ['alice@']],
    [
      'MONTH',
      ['Jan', 'November', 'Sept', 'März', 'Mrz', 'Okt'],
      ['Foo', 'Ma', 'Juny']
    ],
    ['TZ', ['UTC', 'GMT', 'EST', 'PDT'], ['XYZ', 'CEST']],
    ['DAY', ['Mon', 'Sunday'], ['Someday']],
    ['DATE_US', ['11/28/2026'], ['28.11']],
    ['DATE_EU', ['28.11.2026'], ['2026']],
    ['DATESTAMP', ['28.11.2026 20:16:59'], ['28.11.2026']],
    ['SYSLOGTIMESTAMP', ['Nov 28 20:16:59'], ['28 Nov']],
    ['HTTPDATE', ['28/Nov/2026:20:16:59 +0100'], ['28/11/2026']],
    ['USERNAME', ['alice.b-c_d'], ['a b']]
  ];

  it.each(cases)(
    '%s matches its examples and rejects the others',
    (name, good, bad) => {
      const regex = compileGrok(name, `^<%{${name}}>$`).regex;
      for (const text of good) {
        expect([text, regex.test(`<${text}>`)]).toEqual([text, true]);
      }
      for (const text of bad) {
        expect([text, regex.test(`<${text}>`)]).toEqual([text, false]);
      }
    }
  );
});

describe('GrokError', () => {
  it.each<[string, string, Record<string, string>]>([
    ['Epoch %{EPOCHNUM:epoch}', 'unknown pattern %{EPOCHNUM}', {}],
    ['Epoch %{INT:epoch', 'unterminated %{ at position 6', {}],
    ['Epoch (%{INT:epoch}', 'invalid regular expression', {}],
    [
      'loss %{NUMBER:loss:bool}',
      "unknown type 'bool' for field 'loss' (use int or float)",
      {}
    ],
    ['%{A}', 'recursive pattern: A → B → A', { A: 'x%{B}', B: 'y%{A}' }],
    ['%{A}', 'unknown pattern %{MISSING} (in %{A})', { A: '%{MISSING}' }],
    ['  ', 'the pattern is empty', {}],
    ['%{DATA:anything}', 'matches any line', {}],
    ['(?<message>.*)', 'matches any line', {}],
    ['(a)\\1', 'numbered backreference \\1 is not supported', {}],
    ['%{NUMBER::int}', 'has a type but no field name', {}],
    ['%{NUM BER}', 'malformed reference %{NUM BER}', {}],
    ['(?x)a b', 'inline flag (?x) (extended syntax', {}],
    ['a\\', 'ends with a lone backslash', {}],
    ['(?<>x)', 'malformed named group', {}]
  ])('%j fails with a clear reason', (grok, reason, definitions) => {
    const error = grokError(grok, definitions);
    expect(error).toBeInstanceOf(GrokError);
    expect(error.name).toBe('GrokError');
    expect(error.patternName).toBe('my-pattern');
    expect(error.reason).toContain(reason);
    expect(error.message).toBe(`grok pattern 'my-pattern': ${error.reason}`);
  });
});

/** Whether a grok pattern matches the whole of `text`. */
function fullMatch(grok: string, text: string): boolean {
  return compileGrok('test', `^(?:${grok})$`).regex.test(text);
}

describe('Onigmo (Ruby) syntax as Logstash means it', () => {
  it.each<[string, string[], string[]]>([
    ['[[:alpha:]]+', ['abc', 'Été', 'Ωμέγα'], ['a1', ':', 'a:']],
    ['[[:alnum:]]+', ['a1B2', 'é9'], ['a-b', ' ']],
    ['[[:digit:]]+', ['0123', '٣'], ['1a', 'x']],
    ['[[:space:]]+', [' \t', '\u00a0'], ['x', '']],
    ['[[:upper:]][[:lower:]]+', ['Hello', 'Élan'], ['hello', 'HELLO']],
    ['[[:xdigit:]]+', ['09afAF'], ['g', 'é']],
    ['[[:punct:]]+', ['.,;!?', '$+<=>^`|~'], ['a', ' ']],
    ['[[:^alpha:]]+', ['12 -', '٣'], ['a', '1a']],
    ['[[:alpha:]_.-]+', ['a_b.c-d'], ['a b', 'a1']],
    ['[^[:space:]]+', ['a:b'], ['a b', ' ']],
    ['[[:word:]]+', ['é_1'], ['a-b']],
    ['[a-c[0-2]]+', ['a1c0'], ['d', '3']],
    ['[[[:alnum:]]_%-]+', ['é_1%-'], ['a b', '/']],
    ['[x[^a-y]]+', ['xz1'], ['a', 'y']],
    ['\\h+', ['deadBEEF0'], ['g', 'h']],
    ['\\H+', ['gh-'], ['a', '0']],
    ['[\\h:]+', ['fe80::1'], ['fe80::g']],
    ['\\p{Alpha}+', ['Straße'], ['a1']],
    ['\\p{^Digit}+', ['abc'], ['a1']],
    ['\\P{L}+', ['123 '], ['1a']],
    ['\\p{Greek}+', ['αβγ'], ['abc']],
    ['\\e\\[\\d+m', ['\u001b[31m'], ['e[31m']],
    ['a{,2}', ['', 'a', 'aa'], ['aaa', 'a{,2}']],
    ['\\Aab\\z', ['ab'], ['ab\n']],
    ['\\Gab', ['ab'], ['xab']],
    ['a\\Rb', ['a\r\nb', 'a\nb', 'a\u2028b'], ['ab']],
    ["(?'word'\\w+)", ['abc'], ['a b']],
    ['a(?#a comment)b', ['ab'], ['a(?#a comment)b']]
  ])('%s matches as in Ruby', (grok, matches, misses) => {
    for (const text of matches) {
      expect([text, fullMatch(grok, text)]).toEqual([text, true]);
    }
    for (const text of misses) {
      expect([text, fullMatch(grok, text)]).toEqual([text, false]);
    }
  });

  it('reads \\Z as the end or before a final newline', () => {
    expect(matched('^ab\\Z', 'ab\n')).toBe('ab');
    expect(matched('^ab\\Z', 'ab')).toBe('ab');
    expect(matched('^ab\\Z', 'ab\n\n')).toBeNull();
  });

  it("reads (?m) as Ruby's dot-matches-newline, in its group's scope", () => {
    // A leading (?m): the whole pattern.
    expect(matched('(?m)^a.c$', 'a\nc')).toBe('a\nc');
    // Inline: from there to the end of the enclosing group, alternatives included.
    expect(matched('^(?:x(?m)a.c|y.)$', 'xa\nc')).toBe('xa\nc');
    expect(matched('^(?:x(?m)a.c|y.)$', 'y\n')).toBe('y\n');
    expect(matched('^(?:(?m)a.)b.$', 'a\nb\n')).toBeNull();
    expect(matched('^(?:(?m)a.)b.$', 'a\nbx')).toBe('a\nbx');
    // A flag group, and switching it off.
    expect(matched('^(?m:a.)b.$', 'a\nbx')).toBe('a\nbx');
    expect(matched('^(?m:a.)b.$', 'a\nb\n')).toBeNull();
    expect(matched('(?m)^a(?-m).$', 'a\n')).toBeNull();
    // Definitions expanded in its scope take it too.
    expect(
      compileGrok('test', '(?m)^Started %{GREEDYDATA:rest}$').regex.exec(
        'Started a\nb'
      )?.[1]
    ).toBe('a\nb');
    // Never JavaScript's multiline: ^ and $ still anchor the whole text.
    expect(matched('(?m)^b$', 'a\nb')).toBeNull();
    expect(compileGrok('test', '(?m)^a.$').regex.flags).toBe('');
  });

  it('keeps a leading (?i) as the flag of the whole pattern, with (?m)', () => {
    expect(matched('(?im)^EPOCH.3$', 'epoch\n3')).toBe('epoch\n3');
  });

  it.each<[string, string]>([
    [
      'a(?i)b',
      "inline flag 'i' at position 1 is not supported inside a pattern"
    ],
    ['a(?i:b)', "inline flag 'i' at position 1"],
    ['[[:alpah:]]', 'unknown POSIX bracket class [:alpah:]'],
    ['[a-z&&[^aeiou]]', 'character class intersection &&'],
    ['a\\Kb', '\\K (keep what matched so far out of the match)'],
    ['\\X', '\\X (an extended grapheme cluster)'],
    ['(?<n>a)\\g<n>', 'the subexpression call \\g<...>'],
    ['\\p{Nonsense}', 'the Unicode property \\p{Nonsense}'],
    ['\\x{1F600}', 'a code point above U+FFFF'],
    ['a\\ib', 'the escape \\i at position 1 is not supported'],
    ['(?~abc)', 'the absence operator (?~...)'],
    ['(?(<n>)a|b)', 'a conditional group'],
    ['[\\A]', '\\A inside a character class'],
    ['[\\i]', 'the escape \\i inside a character class'],
    ['%{WORD=\\w+}', 'inline definition %{WORD=\\w+} is not supported'],
    ['%{NUMBER:loss:float:extra}', "unexpected text ':extra' after the type"],
    ['%{NUMBER:my loss}', "field name 'my loss' is not a Logstash field name"],
    [
      '%{NUMBER:[log]level}',
      "field name '[log]level' is not a Logstash field name"
    ],
    [
      '%{NUMBER:loss:integer}',
      "unknown type 'integer' for field 'loss' (use int or float)"
    ]
  ])('refuses %j, naming the construct', (grok, reason) => {
    expect(grokError(grok).reason).toContain(reason);
  });

  it('reads type hints and nested field names', () => {
    expect(
      capture(
        '^%{NUMBER:[http][response][status_code]:int} %{NUMBER:[event][duration]:float} %{WORD:@tag}$',
        '200 0.25 ok'
      )
    ).toEqual([
      { field: 'http.response.status_code', text: '200', conversion: 'int' },
      { field: 'event.duration', text: '0.25', conversion: 'float' },
      { field: '@tag', text: 'ok', conversion: null }
    ]);
  });
});
