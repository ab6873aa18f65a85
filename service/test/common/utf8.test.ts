import { decodeUtf8 } from '../../src/common/utf8';

describe('decodeUtf8', () => {
  it('decodes valid text without counting anything', () => {
    expect(decodeUtf8(Buffer.from('épоch ━ ok', 'utf8'))).toEqual({
      text: 'épоch ━ ok',
      replaced: 0
    });
  });

  it('replaces invalid bytes with U+FFFD and counts them', () => {
    const bytes = Buffer.concat([
      Buffer.from('a'),
      Buffer.from([0xff]),
      Buffer.from('b'),
      Buffer.from([0xc3]),
      Buffer.from('c')
    ]);
    expect(decodeUtf8(bytes)).toEqual({ text: 'a\uFFFDb\uFFFDc', replaced: 2 });
  });

  it('does not count replacement characters the writer really wrote', () => {
    const bytes = Buffer.concat([
      Buffer.from('\uFFFD', 'utf8'),
      Buffer.from([0xff])
    ]);
    expect(decodeUtf8(bytes)).toEqual({ text: '\uFFFD\uFFFD', replaced: 1 });
  });
});
