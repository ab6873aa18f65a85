import { salvageTruncatedLine } from '../../src/spool/truncated';

const MARK = ' [cut]';

describe('salvageTruncatedLine', () => {
  it('closes the string the cut fell in and appends the marker', () => {
    const head =
      '{"t":"stream","seq":4,"ts":1.5,"stream":"stdout","text":"aaaa';
    const result = salvageTruncatedLine(head, MARK);
    expect(result).toEqual({
      ok: true,
      record: {
        t: 'stream',
        seq: 4,
        ts: 1.5,
        stream: 'stdout',
        text: 'aaaa [cut]'
      }
    });
  });

  it('drops a half escape sequence before closing', () => {
    for (const tail of ['\\', '\\u00', '\\u']) {
      const head = `{"t":"log","seq":1,"ts":1,"level":"INFO","logger":"x","msg":"ab${tail}`;
      const result = salvageTruncatedLine(head, MARK);
      expect(result.ok && result.record.t === 'log' && result.record.msg).toBe(
        'ab [cut]'
      );
    }
  });

  it('keeps an escaped backslash at the cut', () => {
    const head =
      '{"t":"log","seq":1,"ts":1,"level":"INFO","logger":"x","msg":"a\\\\';
    const result = salvageTruncatedLine(head, MARK);
    expect(result.ok && result.record.t === 'log' && result.record.msg).toBe(
      'a\\ [cut]'
    );
  });

  it('closes nested objects', () => {
    const head =
      '{"t":"end","seq":9,"ts":1,"status":"failed","error":{"type":"E","message":"boom';
    const result = salvageTruncatedLine(head, MARK);
    expect(result.ok && result.record).toMatchObject({
      t: 'end',
      error: { type: 'E', message: 'boom [cut]' }
    });
  });

  it('fails when the cut is not inside a string value', () => {
    expect(salvageTruncatedLine('{"t":"log","seq":1,"ts', MARK).ok).toBe(false);
    expect(salvageTruncatedLine('{"t":"log","seq":12', MARK).ok).toBe(false);
  });

  it('fails when required fields were cut off', () => {
    const head = '{"t":"log","seq":1,"ts":1,"msg":"abc';
    const result = salvageTruncatedLine(head, MARK);
    expect(result.ok).toBe(false);
  });
});
