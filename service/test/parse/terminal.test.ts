import {
  emulateLine,
  renderLine,
  splitSegments,
  visibleLines
} from '../../src/parse/terminal';
import { random } from '../seeded';

describe('splitSegments', () => {
  it('cuts after every \\n and \\r and keeps an unterminated tail', () => {
    expect(splitSegments('a\nb\rc\r\nd')).toEqual([
      { raw: 'a\n', terminator: '\n' },
      { raw: 'b\r', terminator: '\r' },
      { raw: 'c\r', terminator: '\r' },
      { raw: '\n', terminator: '\n' },
      { raw: 'd', terminator: null }
    ]);
  });

  it('returns nothing for empty text', () => {
    expect(splitSegments('')).toEqual([]);
  });
});

describe('renderLine', () => {
  it('removes SGR colour codes', () => {
    expect(
      renderLine('\x1b[1m 1/25\x1b[0m \x1b[32m━━\x1b[0m\x1b[37m━━\x1b[0m done')
    ).toBe(' 1/25 ━━━━ done');
  });

  it('overwrites characters after backspaces', () => {
    expect(renderLine('abc\b\bXY')).toBe('aXY');
    expect(renderLine('abc\b\b\b\b\b\bZ')).toBe('Zbc');
  });

  it('keeps text written before a run of backspaces that nothing overwrites', () => {
    const keras = `12/26 loss: 0.5${'\b'.repeat(40)}`;
    expect(renderLine(keras)).toBe('12/26 loss: 0.5');
  });

  it('honours CSI cursor moves and erases', () => {
    expect(renderLine('hello\x1b[3Dxy')).toBe('hexyo');
    expect(renderLine('hello\x1b[2D\x1b[K!')).toBe('hel!');
    expect(renderLine('hello\x1b[2K')).toBe('');
    expect(renderLine('hello\x1b[1G\x1b[1KX')).toBe('Xello');
    expect(renderLine('hello\x1b[4G\x1b[1K')).toBe('    o');
    expect(renderLine('ab\x1b[3Cc')).toBe('ab   c');
  });

  it('drops OSC titles and hyperlinks, and other escapes', () => {
    expect(renderLine('\x1b]0;window title\x07text')).toBe('text');
    expect(renderLine('\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\')).toBe('link');
    expect(renderLine('\x1b(Bplain\x1b=')).toBe('plain');
    expect(renderLine('\x9b31mred\x9b0m')).toBe('red');
  });

  it('drops an unterminated escape at the end and stray controls', () => {
    expect(renderLine('text\x1b[')).toBe('text');
    expect(renderLine('te\x07xt\x00\x7f')).toBe('text');
  });

  it('trims trailing blanks but keeps indentation', () => {
    expect(renderLine('    raise ValueError("boom")   ')).toBe(
      '    raise ValueError("boom")'
    );
  });

  it('treats a surrogate pair as one cell', () => {
    expect(renderLine('a😀\bb')).toBe('ab');
    expect(renderLine('a😀c\b\bb')).toBe('abc');
    expect(renderLine('abc\b\b😀')).toBe('a😀c');
  });

  it('stays linear on a long backspace-heavy line', () => {
    const count = 1_000_000;
    expect(renderLine('ab\b'.repeat(count))).toBe(`${'a'.repeat(count)}b`);
  });
});

describe('visibleLines', () => {
  it('drops segments that show nothing', () => {
    const text = `\r\x1b[1m1/8\x1b[0m loss: 0.7${'\b'.repeat(20)}\r\x1b[1m8/8\x1b[0m loss: 0.6\n\n   \n`;
    expect(visibleLines(text)).toEqual([
      {
        text: '1/8 loss: 0.7',
        raw: `\x1b[1m1/8\x1b[0m loss: 0.7${'\b'.repeat(20)}\r`,
        terminator: '\r'
      },
      {
        text: '8/8 loss: 0.6',
        raw: '\x1b[1m8/8\x1b[0m loss: 0.6\n',
        terminator: '\n'
      }
    ]);
  });

  it('renders each segment on a fresh line', () => {
    expect(
      visibleLines('long line here\rshort\n').map(line => line.text)
    ).toEqual(['long line here', 'short']);
  });
});

describe('renderLine shortcuts', () => {
  const PIECES = [
    'loss: 0.31',
    ' - ',
    '  ',
    '\t',
    '━━━━',
    '\u{1F600}',
    '\u00e9t\u00e9',
    '\x1b[1m',
    '\x1b[0m',
    '\x1b[0;32m',
    '\x1b[38;5;12m',
    '\x1b[m',
    '\x1b[2D',
    '\x1b[K',
    '\x1b[1K',
    '\x1b[?25l',
    '\x1b[5G',
    '\x1b]0;title\x07',
    '\x1b(B',
    '\x1b[',
    '\x1b',
    '\x9b1m',
    '\x07',
    '\x7f',
    '\b',
    '\b\b\b\b\b\b'
  ];

  it('give what the emulator gives, on generated lines', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const rnd = random(seed);
      let text = '';
      const count = Math.floor(rnd() * 12);
      for (let i = 0; i < count; i++) {
        text += PIECES[Math.floor(rnd() * PIECES.length)];
      }
      if (rnd() < 0.3) {
        text += '\b'.repeat(Math.floor(rnd() * 80));
      }
      expect([seed, JSON.stringify(text), renderLine(text)]).toEqual([
        seed,
        JSON.stringify(text),
        emulateLine(text)
      ]);
    }
  });

  it("drop Keras' closing run of \\b and its colours", () => {
    const line =
      '\x1b[1m16/64\x1b[0m \x1b[32m━━━━━\x1b[0m\x1b[37m━━━\x1b[0m \x1b[1m0s\x1b[0m 4ms/step - loss: 0.7149    ';
    expect(renderLine(line + '\b'.repeat(75))).toBe(
      '16/64 ━━━━━━━━ 0s 4ms/step - loss: 0.7149'
    );
    // A '\b' with something after it still moves the cursor.
    expect(renderLine('abc\b\bX')).toBe('aXc');
  });
});
