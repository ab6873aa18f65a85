import * as fsp from 'fs/promises';
import * as os from 'os';
import * as path from 'path';

import { Registry } from '../../src/spool/registry';
import { memoryLogger } from '../ship/fakes';

describe('Registry', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tflog-registry-'));
  });
  afterEach(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  const entry = (offset: number) => ({
    offset,
    line: 2,
    ino: 7,
    state: { seen: offset },
    endedAt: null,
    updated: '2026-01-01T00:00:00.000Z'
  });

  it('saves and loads entries', async () => {
    const registry = new Registry<{ seen: number }>(dir, memoryLogger().logger);
    await registry.load();
    registry.set('run-1.ndjson', entry(120));
    await registry.save();
    const reloaded = new Registry<{ seen: number }>(dir, memoryLogger().logger);
    await reloaded.load();
    expect(reloaded.get('run-1.ndjson')).toEqual(entry(120));
    expect(await fsp.readdir(dir)).toEqual(['registry.json']);
  });

  it('keeps the fingerprint of the bytes before the offset', async () => {
    const registry = new Registry<{ seen: number }>(dir, memoryLogger().logger);
    await registry.load();
    const fingerprint = { at: 80, length: 40, sha256: 'ab'.repeat(32) };
    registry.set('run-1.ndjson', { ...entry(120), fingerprint });
    await registry.save();
    const reloaded = new Registry<{ seen: number }>(dir, memoryLogger().logger);
    await reloaded.load();
    expect(reloaded.get('run-1.ndjson')?.fingerprint).toEqual(fingerprint);
  });

  it('loads a registry written before fingerprints, and refuses a bad one', async () => {
    const { offset, line, ino, state, endedAt, updated } = entry(120);
    await fsp.writeFile(
      path.join(dir, 'registry.json'),
      JSON.stringify({
        version: 1,
        files: {
          'old.ndjson': { offset, line, ino, state, endedAt, updated },
          'bad.ndjson': {
            ...entry(7),
            fingerprint: { at: 'x', length: 1, sha256: 'zz' }
          }
        }
      })
    );
    const { logger, lines } = memoryLogger();
    const registry = new Registry<{ seen: number }>(dir, logger);
    await registry.load();
    expect(registry.get('old.ndjson')).toEqual(entry(120));
    expect(registry.get('old.ndjson')?.fingerprint).toBeUndefined();
    // A damaged entry is read again from the start: the ids make that harmless.
    expect(registry.get('bad.ndjson')).toBeUndefined();
    expect(lines.join('\n')).toMatch(/damaged entry for bad\.ndjson/);
  });

  it('writes concurrent saves in order, the last one winning', async () => {
    const registry = new Registry<{ seen: number }>(dir, memoryLogger().logger);
    await registry.load();
    const saves: Promise<void>[] = [];
    for (let offset = 1; offset <= 20; offset += 1) {
      registry.set('run-1.ndjson', entry(offset));
      saves.push(registry.save());
    }
    await Promise.all(saves);
    const text = await fsp.readFile(path.join(dir, 'registry.json'), 'utf8');
    expect(JSON.parse(text).files['run-1.ndjson'].offset).toBe(20);
  });

  it('sets a damaged registry aside and starts empty', async () => {
    await fsp.writeFile(
      path.join(dir, 'registry.json'),
      '{"version":1,"files":'
    );
    const { logger, lines } = memoryLogger();
    const registry = new Registry(dir, logger);
    await registry.load();
    expect(registry.names()).toEqual([]);
    expect(lines.join('\n')).toMatch(/is damaged/);
    const files = await fsp.readdir(dir);
    expect(files.some(name => name.startsWith('registry.json.damaged-'))).toBe(
      true
    );
  });

  it('stays whole when two services save it at once, and leaves no temporary file', async () => {
    const { logger } = memoryLogger();
    const big = new Registry<{ big: string }>(dir, logger);
    const small = new Registry<{ big: string }>(dir, logger);
    for (let index = 0; index < 40; index += 1) {
      big.set(`run-${index}.ndjson`, {
        ...entry(1000 * index),
        state: { big: 'x'.repeat(200) }
      });
    }
    small.set('run-0.ndjson', { ...entry(5), state: null });
    for (let round = 0; round < 50; round += 1) {
      await Promise.all([big.save(), small.save()]);
      const text = await fsp.readFile(path.join(dir, 'registry.json'), 'utf8');
      expect(() => JSON.parse(text)).not.toThrow();
    }
    expect(await fsp.readdir(dir)).toEqual(['registry.json']);
  });

  it('removes its temporary file when a save fails', async () => {
    const registry = new Registry<{ seen: number }>(dir, memoryLogger().logger);
    registry.set('run-1.ndjson', entry(10));
    // The module itself: the namespace imported here is a copy of getters.
    const rename = jest
      .spyOn(jest.requireActual<typeof fsp>('fs/promises'), 'rename')
      .mockRejectedValue(
        Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' })
      );
    try {
      await expect(registry.save()).rejects.toThrow(/EIO/);
    } finally {
      rename.mockRestore();
    }
    expect(await fsp.readdir(dir)).toEqual([]);
  });
});
