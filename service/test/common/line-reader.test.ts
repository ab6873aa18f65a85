import * as fsp from 'fs/promises';
import * as os from 'os';
import * as path from 'path';

import {
  readCompleteLines,
  trimToCharacterBoundary
} from '../../src/common/line-reader';

describe('readCompleteLines', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tflog-lines-'));
  });
  afterEach(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  async function read(
    content: string | Buffer,
    from = 0,
    maxLineBytes = 1024,
    chunkBytes = 7
  ) {
    const file = path.join(dir, 'f.ndjson');
    await fsp.writeFile(file, content);
    const handle = await fsp.open(file, 'r');
    try {
      return await readCompleteLines(handle, from, {
        maxLineBytes,
        budgetBytes: 1 << 20,
        chunkBytes
      });
    } finally {
      await handle.close();
    }
  }

  it('returns complete lines with their offsets, across chunk boundaries', async () => {
    const lines = await read('first line\nsecond\n');
    expect(lines.map(line => line.bytes.toString())).toEqual([
      'first line',
      'second'
    ]);
    expect(lines.map(line => [line.start, line.end])).toEqual([
      [0, 11],
      [11, 18]
    ]);
  });

  it('leaves a trailing line without newline for later', async () => {
    const lines = await read('done\npartial li');
    expect(lines.map(line => line.bytes.toString())).toEqual(['done']);
    expect(lines[0].end).toBe(5);
  });

  it('starts at the given offset', async () => {
    const lines = await read('a\nb\nc\n', 2);
    expect(lines.map(line => line.bytes.toString())).toEqual(['b', 'c']);
  });

  it('keeps only the head of a line over the cap, and its full length', async () => {
    const long = 'x'.repeat(100);
    const lines = await read(`${long}\nshort\n`, 0, 10);
    expect(lines[0].truncated).toBe(true);
    expect(lines[0].bytes.toString()).toBe('x'.repeat(10));
    expect(lines[0].length).toBe(100);
    expect(lines[0].end).toBe(101);
    expect(lines[1]).toMatchObject({ truncated: false, start: 101 });
  });

  it('stops after the byte budget at a line boundary', async () => {
    const file = path.join(dir, 'f.ndjson');
    await fsp.writeFile(file, 'aaaa\nbbbb\ncccc\n');
    const handle = await fsp.open(file, 'r');
    try {
      const lines = await readCompleteLines(handle, 0, {
        maxLineBytes: 100,
        budgetBytes: 5,
        chunkBytes: 5
      });
      expect(lines.map(line => line.bytes.toString())).toEqual(['aaaa']);
    } finally {
      await handle.close();
    }
  });
});

it('stops after the byte budget even when chunks end inside lines', async () => {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tflog-lines-'));
  try {
    const file = path.join(dir, 'f.ndjson');
    const content = Array.from(
      { length: 100 },
      (_, index) => `line number ${index}\n`
    ).join('');
    await fsp.writeFile(file, content);
    const handle = await fsp.open(file, 'r');
    try {
      const lines = await readCompleteLines(handle, 0, {
        maxLineBytes: 100,
        budgetBytes: 50,
        chunkBytes: 7
      });
      expect(lines.map(line => line.bytes.toString())).toEqual([
        'line number 0',
        'line number 1',
        'line number 2',
        'line number 3'
      ]);
      const rest = await readCompleteLines(handle, lines[3].end, {
        maxLineBytes: 100,
        budgetBytes: 1 << 20,
        chunkBytes: 7
      });
      expect(rest).toHaveLength(96);
      expect(rest[0].bytes.toString()).toBe('line number 4');
    } finally {
      await handle.close();
    }
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

describe('trimToCharacterBoundary', () => {
  it('drops a multi-byte character cut in half', () => {
    const euro = Buffer.from('a€', 'utf8'); // € is 3 bytes
    expect(trimToCharacterBoundary(euro.subarray(0, 3)).toString()).toBe('a');
    expect(trimToCharacterBoundary(euro).toString()).toBe('a€');
  });
});
