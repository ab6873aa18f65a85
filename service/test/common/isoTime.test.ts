import { isDateMs, isoMs, msIso } from '../../src/common/isoTime';

describe('isoMs', () => {
  it('answers as Date.parse does, for repeated, alternating and unreadable texts', () => {
    const texts = [
      '2026-12-05T21:16:41.070Z',
      '2026-12-05T21:16:41.070Z',
      '2026-12-05T22:16:41.070+01:00',
      '2026-12-05T21:16:41.070Z',
      'not a time',
      '2026-12-05T22:16:41.070+01:00',
      '',
      'not a time',
      '1970-01-01T00:00:00.000Z'
    ];
    for (const text of texts) {
      expect(isoMs(text)).toEqual(Date.parse(text));
    }
  });
});

describe('msIso', () => {
  it('answers as toISOString does, and throws like it for a time out of range', () => {
    for (const ms of [0, 1796505401070, 1796505401070, 1796505401071, -1]) {
      expect(msIso(ms)).toBe(new Date(ms).toISOString());
    }
    expect(() => msIso(Number.NaN)).toThrow(RangeError);
    expect(() => msIso(8.64e15 + 1)).toThrow(RangeError);
    expect(msIso(0)).toBe('1970-01-01T00:00:00.000Z');
    for (const ms of [
      0,
      -8.64e15,
      8.64e15,
      8.64e15 + 1,
      Number.NaN,
      Infinity
    ]) {
      expect(isDateMs(ms)).toBe(!Number.isNaN(new Date(ms).getTime()));
    }
  });
});
