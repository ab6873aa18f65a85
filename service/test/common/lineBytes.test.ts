import { LineBytes, ndjson } from '../../src/common/lineBytes';

describe('LineBytes', () => {
  it('encodes lines with their newlines across chunks, a long line in a buffer of its own', () => {
    const lines = new LineBytes(16);
    const long = 'é'.repeat(40);
    lines.push('first');
    lines.push('😀 second');
    lines.push(long);
    lines.push('');
    const chunks = lines.take();
    expect(chunks.length).toBeGreaterThan(1);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(
      `first\n😀 second\n${long}\n\n`
    );
    // Taken bytes are the caller's: later lines never overwrite them.
    lines.push('third');
    const before = Buffer.concat(chunks).toString('utf8');
    expect(Buffer.concat(lines.take()).toString('utf8')).toBe('third\n');
    expect(Buffer.concat(chunks).toString('utf8')).toBe(before);
    expect(lines.take()).toEqual([]);
  });
});

describe('ndjson', () => {
  it('writes each value as one line of JSON', () => {
    const values = [
      { create: { _index: 'tflog-logs-2026.12.05', _id: 'run:1' } },
      { message: 'loss ＝ 0.5\n next', value: 0.5, none: null },
      { text: 'x'.repeat(2 * 1024 * 1024) }
    ];
    const lines = ndjson(values).toString('utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map(line => JSON.parse(line) as unknown)).toEqual(values);
  });

  it('is empty for no values and refuses what JSON cannot hold', () => {
    expect(ndjson([]).length).toBe(0);
    expect(() => ndjson([undefined])).toThrow('not a JSON value');
  });
});
