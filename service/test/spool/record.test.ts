import { parseSpoolLine } from '../../src/spool/record';

describe('parseSpoolLine', () => {
  it('accepts a valid log record', () => {
    const result = parseSpoolLine(
      '{"t":"log","seq":3,"ts":1.5,"level":"INFO","logger":"x","msg":"hi"}'
    );
    expect(result).toEqual({
      ok: true,
      record: {
        t: 'log',
        seq: 3,
        ts: 1.5,
        level: 'INFO',
        logger: 'x',
        msg: 'hi'
      }
    });
  });

  it('accepts a record without a usable time (the parser dates it)', () => {
    expect(
      parseSpoolLine('{"t":"stream","seq":2,"stream":"stdout","text":"x"}').ok
    ).toBe(true);
  });

  it.each([
    ['{"t":"log","seq":3,', /not valid JSON/],
    ['[1,2]', /not a JSON object/],
    ['{"t":"bogus","seq":1,"ts":1}', /unknown record type "bogus"/],
    [
      '{"t":"log","seq":-1,"ts":1,"level":"I","msg":"m"}',
      /"seq" must be a non-negative integer/
    ],
    [
      '{"t":"stream","seq":1,"ts":1,"stream":"stdin","text":"x"}',
      /invalid "stream"/
    ],
    ['{"t":"metrics","seq":1,"ts":1,"scope":"epoch"}', /invalid "values"/]
  ])('refuses %s', (line, problem) => {
    const result = parseSpoolLine(line);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.problem).toMatch(problem);
  });
});
