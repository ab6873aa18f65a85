import {
  isoFromSeconds,
  parseTimestampText,
  parseWallTime,
  resolveWallTime
} from '../../src/parse/time';

describe('parseWallTime', () => {
  it.each([
    [
      '2026-11-28 20:16:59,470',
      Date.UTC(2026, 10, 28, 20, 16, 59, 470),
      undefined
    ],
    [
      '2025-04-05T10:23:45.123',
      Date.UTC(2025, 3, 5, 10, 23, 45, 123),
      undefined
    ],
    [
      '2026-11-28 20:16:59.470123',
      Date.UTC(2026, 10, 28, 20, 16, 59, 470),
      undefined
    ],
    ['2026-11-28T20:16', Date.UTC(2026, 10, 28, 20, 16), undefined],
    ['2026-11-28T20:16:59Z', Date.UTC(2026, 10, 28, 20, 16, 59), 0],
    ['2026-11-28T20:16:59+05:30', Date.UTC(2026, 10, 28, 20, 16, 59), 330],
    ['2026-11-28T20:16:59-0800', Date.UTC(2026, 10, 28, 20, 16, 59), -480]
  ])('reads %s', (text, wallMs, offsetMinutes) => {
    expect(parseWallTime(text)).toEqual(
      offsetMinutes === undefined ? { wallMs } : { wallMs, offsetMinutes }
    );
  });

  it.each([
    '2026-13-01 00:00:00',
    '2026-11-28 24:00:00',
    'yesterday',
    '2026-11-28'
  ])('rejects %s', text => {
    expect(parseWallTime(text)).toBeNull();
  });
});

describe('resolveWallTime', () => {
  const wall = { wallMs: Date.UTC(2026, 10, 28, 20, 0, 0) };

  it('prefers a zone printed with the time', () => {
    expect(resolveWallTime({ ...wall, offsetMinutes: 60 }, 0, 7200)).toBe(
      Date.UTC(2026, 10, 28, 19) / 1000
    );
  });

  it("then the run's declared offset", () => {
    expect(resolveWallTime(wall, 0, -3600)).toBe(
      Date.UTC(2026, 10, 28, 21) / 1000
    );
  });

  it('then the offset the record time implies, to the quarter hour', () => {
    // Printed 20:00:00 local, written at 14:30:01.5 UTC: the kernel runs at UTC+05:30.
    const ts = Date.UTC(2026, 10, 28, 14, 30, 1, 500) / 1000;
    expect(resolveWallTime(wall, ts, null)).toBe(
      Date.UTC(2026, 10, 28, 14, 30) / 1000
    );
  });

  it('ignores an implied offset no zone uses (a line printed 15 minutes late)', () => {
    const ts = Date.UTC(2026, 10, 28, 20, 15, 0) / 1000;
    expect(resolveWallTime(wall, ts, null)).toBe(
      new Date(2026, 10, 28, 20, 0, 0).getTime() / 1000
    );
  });

  it('accepts the quarter-hour zones that exist (Nepal, UTC+05:45)', () => {
    const ts = Date.UTC(2026, 10, 28, 14, 15, 0) / 1000;
    expect(resolveWallTime(wall, ts, null)).toBe(ts);
  });

  it("else the parser's local zone (the kernel's host)", () => {
    const far = Date.UTC(2020, 0, 1) / 1000;
    expect(resolveWallTime(wall, far, null)).toBe(
      new Date(2026, 10, 28, 20, 0, 0).getTime() / 1000
    );
  });
});

describe('parseTimestampText', () => {
  it('reads wall times and epoch seconds or milliseconds', () => {
    expect(parseTimestampText('2026-11-28T20:00:00Z', 0, null)).toBe(
      Date.UTC(2026, 10, 28, 20) / 1000
    );
    expect(parseTimestampText('1795898562.5', 0, null)).toBe(1795898562.5);
    expect(parseTimestampText('1795898562500', 0, null)).toBe(1795898562.5);
    expect(parseTimestampText('soon', 0, null)).toBeNull();
  });
});

describe('isoFromSeconds', () => {
  it('formats exactly like Date.toISOString, across days and years', () => {
    let seconds = 1795898500;
    const samples = [
      0, -1, -0.0004, 86399.9996, -62135596800.5, 253402300799.999,
      253402300800, -62167219200.001
    ];
    for (let i = 0; i < 5000; i++) {
      seconds += (i % 97) * 37.123;
      samples.push(seconds, -seconds / 3);
    }
    for (const sample of samples) {
      expect([sample, isoFromSeconds(sample)]).toEqual([
        sample,
        new Date(Math.round(sample * 1000)).toISOString()
      ]);
    }
  });

  it('returns null for times a Date cannot hold', () => {
    expect(isoFromSeconds(Number.NaN)).toBeNull();
    expect(isoFromSeconds(Number.POSITIVE_INFINITY)).toBeNull();
    expect(isoFromSeconds(1e300)).toBeNull();
  });
});

describe('parseWallTime on lines of the same second', () => {
  it('reads each time as the regular expression does, whatever came before', () => {
    const forms = [
      '2026-11-28 20:16:59',
      '2026-11-28 20:16:59,470',
      '2026-11-28 20:16:59.470123',
      '2026-11-28 20:16:59,4',
      '2026-11-28 20:17:00,001',
      '2026-11-28 20:16:59.470Z',
      '2026-11-28 20:16:59,470+02:00',
      '2026-11-28T20:16:59.470',
      ' 2026-11-28 20:16:59,470 ',
      '2026-11-28 20:16:59,',
      '2026-11-28 20:16:59,47a',
      '2026-13-28 20:16:59,470',
      '2026-11-28 20:16',
      '2026-02-31 23:59:59.999'
    ];
    const expected = (text: string): number => {
      const [, y, mo, d, h, mi, sec, fraction] =
        /(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?/.exec(
          text
        ) ?? [];
      return Math.round(
        Date.UTC(+y, +mo - 1, +d, +h, +mi, sec === undefined ? 0 : +sec) +
          (fraction === undefined ? 0 : Number(`0.${fraction}`) * 1000)
      );
    };
    // Every form after every other, so a remembered second meets them all.
    for (const before of forms) {
      for (const text of forms) {
        parseWallTime(before);
        const parsed = parseWallTime(text);
        const context = `${before} then ${text}`;
        if (
          text.endsWith(',') ||
          text.endsWith('a') ||
          text.startsWith('2026-13')
        ) {
          expect([context, parsed]).toEqual([context, null]);
          continue;
        }
        expect([context, parsed?.wallMs]).toEqual([context, expected(text)]);
      }
    }
  });
});
