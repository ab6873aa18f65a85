import * as fsp from 'fs/promises';
import * as os from 'os';
import * as path from 'path';

import {
  SpoolTailer,
  type IReadPosition,
  type ISpoolFileInfo
} from '../../src/spool/tailer';
import { logRecord, memoryLogger, ndjson, startRecord } from '../ship/fakes';

describe('SpoolTailer', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tflog-tail-'));
  });
  afterEach(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  function tailer(maxLineBytes = 8 * 1024 * 1024): SpoolTailer {
    return new SpoolTailer({
      dir,
      pollIntervalMs: 200,
      maxLineBytes,
      logger: memoryLogger().logger
    });
  }

  async function onlyFile(t: SpoolTailer): Promise<ISpoolFileInfo> {
    const files = await t.listFiles();
    expect(files).toHaveLength(1);
    return files[0];
  }

  it('lists run files only, with their run ids', async () => {
    await fsp.writeFile(path.join(dir, 'run-1.ndjson'), '');
    await fsp.writeFile(path.join(dir, '.hidden.ndjson'), '');
    await fsp.writeFile(path.join(dir, 'notes.txt'), '');
    const files = await tailer().listFiles();
    expect(files.map(file => [file.name, file.runId])).toEqual([
      ['run-1.ndjson', 'run-1']
    ]);
  });

  it('reads a trailing partial line only once it is complete', async () => {
    const file = path.join(dir, 'run-1.ndjson');
    const second = JSON.stringify(logRecord(1, 'second'));
    await fsp.writeFile(file, ndjson([startRecord()]) + second.slice(0, 10));
    const t = tailer();
    const first = await t.read(await onlyFile(t), 1 << 20);
    expect(first.lines.map(line => line.lineNumber)).toEqual([1]);
    expect(first.lines[0].result.ok).toBe(true);

    expect((await t.read(await onlyFile(t), 1 << 20)).lines).toEqual([]);

    await fsp.appendFile(file, second.slice(10) + '\n');
    const later = await t.read(await onlyFile(t), 1 << 20);
    expect(later.lines).toHaveLength(1);
    expect(later.lines[0]).toMatchObject({
      lineNumber: 2,
      result: { ok: true, record: { t: 'log', msg: 'second' } }
    });
  });

  it('reports an invalid JSON line and goes on with the next', async () => {
    await fsp.writeFile(
      path.join(dir, 'run-1.ndjson'),
      ndjson([startRecord()]) +
        '{"t":"log", oops\n' +
        ndjson([logRecord(2, 'after')])
    );
    const t = tailer();
    const { lines } = await t.read(await onlyFile(t), 1 << 20);
    expect(lines.map(line => line.result.ok)).toEqual([true, false, true]);
    expect(lines[1]).toMatchObject({
      lineNumber: 2,
      result: { problem: expect.stringMatching(/not valid JSON/) }
    });
  });

  it('decodes invalid UTF-8 with replacement characters and counts them', async () => {
    const line = Buffer.concat([
      Buffer.from(
        '{"t":"log","seq":1,"ts":1,"level":"INFO","logger":"x","msg":"bad '
      ),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(' byte"}\n')
    ]);
    await fsp.writeFile(path.join(dir, 'run-1.ndjson'), line);
    const t = tailer();
    const { lines } = await t.read(await onlyFile(t), 1 << 20);
    expect(lines[0].replacedCharacters).toBe(2);
    expect(lines[0].result).toMatchObject({
      ok: true,
      record: { msg: 'bad \uFFFD\uFFFD byte' }
    });
  });

  it('ships a 5 MB line whole', async () => {
    const text = 'y'.repeat(5 * 1024 * 1024);
    await fsp.writeFile(
      path.join(dir, 'run-1.ndjson'),
      ndjson([{ t: 'stream', seq: 1, ts: 1, stream: 'stdout', text }])
    );
    const t = tailer();
    const { lines } = await t.read(await onlyFile(t), 1 << 20);
    expect(lines).toHaveLength(1);
    expect(lines[0].truncatedFrom).toBeUndefined();
    const record = lines[0].result.ok ? lines[0].result.record : null;
    expect(record?.t === 'stream' && record.text.length).toBe(text.length);
  });

  it('truncates the text of a line over the cap, marks it, and still ships it', async () => {
    const text = 'z'.repeat(5000);
    await fsp.writeFile(
      path.join(dir, 'run-1.ndjson'),
      ndjson([
        { t: 'stream', seq: 1, ts: 1, stream: 'stdout', text },
        logRecord(2, 'next')
      ])
    );
    const t = tailer(2048);
    const { lines } = await t.read(await onlyFile(t), 1 << 20);
    expect(lines).toHaveLength(2);
    expect(lines[0].truncatedFrom).toBeGreaterThan(5000);
    const record = lines[0].result.ok ? lines[0].result.record : null;
    expect(record?.t).toBe('stream');
    const shipped = record?.t === 'stream' ? record.text : '';
    expect(shipped.length).toBeLessThan(2200);
    expect(shipped).toMatch(
      /\[tflog: line truncated: \d+ bytes, over the 2048-byte line cap\]/
    );
    expect(lines[1].result).toMatchObject({
      ok: true,
      record: { msg: 'next' }
    });
  });

  it('resumes at a given position', async () => {
    const content = ndjson([
      startRecord(),
      logRecord(1, 'a'),
      logRecord(2, 'b')
    ]);
    await fsp.writeFile(path.join(dir, 'run-1.ndjson'), content);
    const t = tailer();
    const file = await onlyFile(t);
    const secondStart = content.indexOf('\n') + 1;
    t.setPosition(file.name, { offset: secondStart, line: 1, ino: file.ino });
    const { lines } = await t.read(file, 1 << 20);
    expect(lines.map(line => line.lineNumber)).toEqual([2, 3]);
  });

  describe('a file truncated and rewritten in place between two reads', () => {
    const original = ndjson([
      startRecord(),
      logRecord(1, 'a'),
      logRecord(2, 'b')
    ]);
    // Longer than the original: the old read position falls inside a line.
    const rewritten = ndjson([
      startRecord(),
      logRecord(1, 'rewritten '.repeat(8)),
      logRecord(2, 'c'),
      logRecord(3, 'd')
    ]);

    async function rewrite(file: string, text: string): Promise<void> {
      // In place: same inode, as `> file` or a truncating open does.
      const handle = await fsp.open(file, 'r+');
      try {
        await handle.truncate(0);
        await handle.write(text, 0);
      } finally {
        await handle.close();
      }
    }

    it('is read again from the start, whole lines only', async () => {
      const file = path.join(dir, 'run-1.ndjson');
      await fsp.writeFile(file, original);
      const t = tailer();
      const before = await onlyFile(t);
      expect((await t.read(before, 1 << 20)).lines).toHaveLength(3);
      await rewrite(file, rewritten);
      const after = await onlyFile(t);
      expect(after.ino).toBe(before.ino);
      expect(after.size).toBeGreaterThan(original.length);

      const again = await t.read(after, 1 << 20);
      expect(again.restarted).toBe(true);
      expect(again.lines.map(line => line.lineNumber)).toEqual([1, 2, 3, 4]);
      expect(again.lines.every(line => line.result.ok)).toBe(true);
      expect(again.lines[3].result).toMatchObject({ record: { msg: 'd' } });
    });

    it('is noticed from a position saved before a restart', async () => {
      const file = path.join(dir, 'run-1.ndjson');
      await fsp.writeFile(file, original);
      const first = tailer();
      await first.read(await onlyFile(first), 1 << 20);
      const saved = JSON.parse(
        JSON.stringify(first.position('run-1.ndjson'))
      ) as IReadPosition;
      expect(saved.offset).toBe(original.length);

      await rewrite(file, rewritten);
      const second = tailer();
      second.setPosition('run-1.ndjson', saved);
      const again = await second.read(await onlyFile(second), 1 << 20);
      expect(again.restarted).toBe(true);
      expect(again.lines.map(line => line.lineNumber)).toEqual([1, 2, 3, 4]);
    });

    it('is noticed when it keeps the same size', async () => {
      const file = path.join(dir, 'run-1.ndjson');
      await fsp.writeFile(file, original);
      const t = tailer();
      await t.read(await onlyFile(t), 1 << 20);
      const sameSize = original.replace('"msg":"b"', '"msg":"x"');
      expect(sameSize).toHaveLength(original.length);
      await rewrite(file, sameSize);
      // A later modification time, whatever the filesystem's resolution.
      const later = new Date(Date.now() + 5000);
      await fsp.utimes(file, later, later);
      const again = await t.read(await onlyFile(t), 1 << 20);
      expect(again.restarted).toBe(true);
      expect(again.lines[2].result).toMatchObject({ record: { msg: 'x' } });
    });

    it('is not confused with appending: a grown file goes on where it was', async () => {
      const file = path.join(dir, 'run-1.ndjson');
      await fsp.writeFile(file, original);
      const t = tailer();
      await t.read(await onlyFile(t), 1 << 20);
      await fsp.appendFile(file, ndjson([logRecord(3, 'appended')]));
      const next = await t.read(await onlyFile(t), 1 << 20);
      expect(next.restarted).toBe(false);
      expect(next.lines.map(line => line.lineNumber)).toEqual([4]);
    });
  });

  it('reads a file from the start again when it was replaced', async () => {
    const file = path.join(dir, 'run-1.ndjson');
    await fsp.writeFile(file, ndjson([startRecord(), logRecord(1, 'a')]));
    const t = tailer();
    await t.read(await onlyFile(t), 1 << 20);
    await fsp.rm(file);
    await fsp.writeFile(file, ndjson([startRecord()]));
    const again = await t.read(await onlyFile(t), 1 << 20);
    expect(again.restarted).toBe(true);
    expect(again.lines.map(line => line.lineNumber)).toEqual([1]);
  });

  describe('a spool file it cannot state or read', () => {
    function failingTailer(): {
      t: SpoolTailer;
      lines: string[];
      reported: string[];
    } {
      const { logger, lines } = memoryLogger();
      const reported: string[] = [];
      const t = new SpoolTailer({
        dir,
        pollIntervalMs: 200,
        maxLineBytes: 1 << 20,
        logger,
        onFileError: message => reported.push(message)
      });
      return { t, lines, reported };
    }

    it('lists the other files when one is a symlink loop (ELOOP), logging it once', async () => {
      await fsp.writeFile(path.join(dir, 'a.ndjson'), ndjson([startRecord()]));
      await fsp.symlink('loop.ndjson', path.join(dir, 'loop.ndjson'));
      await fsp.writeFile(path.join(dir, 'z.ndjson'), ndjson([startRecord()]));
      const { t, lines, reported } = failingTailer();
      for (let poll = 0; poll < 3; poll += 1) {
        const files = await t.listFiles();
        expect(files.map(file => file.name)).toEqual(['a.ndjson', 'z.ndjson']);
      }
      expect(reported).toHaveLength(3);
      expect(reported[0]).toMatch(/cannot state .*loop\.ndjson: .*ELOOP/);
      expect(lines.filter(line => /loop\.ndjson/.test(line))).toHaveLength(1);

      // Fixed: listed again, and its recovery logged once it is read.
      await fsp.rm(path.join(dir, 'loop.ndjson'));
      await fsp.writeFile(
        path.join(dir, 'loop.ndjson'),
        ndjson([startRecord('loop')])
      );
      const files = await t.listFiles();
      const loop = files.find(file => file.name === 'loop.ndjson');
      expect(loop).toBeDefined();
      expect(
        (await t.read(loop as ISpoolFileInfo, 1 << 20)).lines
      ).toHaveLength(1);
      expect(lines.filter(line => /loop\.ndjson/.test(line))).toHaveLength(2);
      expect(lines[lines.length - 1]).toMatch(/loop\.ndjson can be read again/);
    });

    it('reads nothing from a file it cannot open (EACCES) and resumes there once it can', async () => {
      const file = path.join(dir, 'run-1.ndjson');
      await fsp.writeFile(file, ndjson([startRecord(), logRecord(1, 'a')]));
      const { t, lines, reported } = failingTailer();
      // The module itself: the namespace imported here is a copy of getters.
      const open = jest
        .spyOn(jest.requireActual<typeof fsp>('fs/promises'), 'open')
        .mockRejectedValue(
          Object.assign(new Error('EACCES: permission denied'), {
            code: 'EACCES'
          })
        );
      try {
        for (let poll = 0; poll < 2; poll += 1) {
          const failed = await t.read(await onlyFile(t), 1 << 20);
          expect(failed).toEqual({ lines: [], restarted: false, atEnd: false });
        }
      } finally {
        open.mockRestore();
      }
      expect(reported).toHaveLength(2);
      expect(lines.filter(line => /EACCES/.test(line))).toHaveLength(1);
      const read = await t.read(await onlyFile(t), 1 << 20);
      expect(read.lines.map(line => line.lineNumber)).toEqual([1, 2]);
      expect(read.atEnd).toBe(true);
      expect(lines[lines.length - 1]).toMatch(/can be read again/);
    });
  });

  it('says whether a read reached the last complete line or stopped for its budget', async () => {
    const file = path.join(dir, 'run-1.ndjson');
    const records = [startRecord(), logRecord(1, 'a'), logRecord(2, 'b')];
    // A torn last line: never complete, so never read.
    await fsp.writeFile(file, ndjson(records) + '{"t":"log","se');
    const t = tailer();
    const firstLine = ndjson([records[0]]).length;
    const cut = await t.read(await onlyFile(t), firstLine);
    expect(cut.lines).toHaveLength(1);
    expect(cut.atEnd).toBe(false);
    const rest = await t.read(await onlyFile(t), 1 << 20);
    expect(rest.lines).toHaveLength(2);
    expect(rest.atEnd).toBe(true);
    expect(await t.read(await onlyFile(t), 1 << 20)).toMatchObject({
      lines: [],
      atEnd: true
    });
  });
});
