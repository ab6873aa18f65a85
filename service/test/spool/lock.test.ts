import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fsp from 'fs/promises';
import * as os from 'os';
import * as path from 'path';

import {
  describeHolder,
  LOCK_FILE,
  readProcessStat,
  ShipperLock,
  type ILockOwner
} from '../../src/spool/lock';

/** A process that stays alive until the tests end. */
function startIdleProcess(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
    stdio: 'ignore'
  });
}

/**
 * A zombie: a child that has exited but whose parent (a `sleep` that never
 * waits) has not reaped it. Resolves with the zombie's pid and its parent.
 */
async function startZombie(): Promise<{ pid: number; parent: ChildProcess }> {
  const parent = spawn('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 60'], {
    stdio: ['ignore', 'pipe', 'ignore']
  });
  const firstLine = await new Promise<string>((resolve, reject) => {
    parent.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString()));
    parent.once('error', reject);
  });
  const pid = Number.parseInt(firstLine, 10);
  for (let tries = 0; tries < 100; tries += 1) {
    if ((await readProcessStat(pid))?.state === 'Z') {
      return { pid, parent };
    }
    await new Promise(resolve => setTimeout(resolve, 20));
  }
  parent.kill();
  throw new Error(`process ${pid} did not become a zombie`);
}

/** The pid of a process that has exited (and been reaped). */
function exitedPid(): number {
  const result = spawnSync(process.execPath, ['-e', '']);
  if (result.pid === undefined || result.status !== 0) {
    throw new Error('could not run a short-lived process');
  }
  return result.pid;
}

describe('ShipperLock', () => {
  let dir: string;
  let stateDir: string;
  let lockPath: string;
  let idle: ChildProcess;
  let idlePid: number;

  beforeAll(() => {
    idle = startIdleProcess();
    if (idle.pid === undefined) {
      throw new Error('could not start an idle process');
    }
    idlePid = idle.pid;
  });
  afterAll(() => {
    idle.kill();
  });
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tflog-lock-'));
    stateDir = path.join(dir, 'state');
    lockPath = path.join(stateDir, LOCK_FILE);
  });
  afterEach(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  const readOwner = async (): Promise<ILockOwner> =>
    JSON.parse(await fsp.readFile(lockPath, 'utf8')) as ILockOwner;

  const writeLock = async (owner: ILockOwner | string): Promise<void> => {
    await fsp.mkdir(stateDir, { recursive: true });
    await fsp.writeFile(
      lockPath,
      typeof owner === 'string' ? owner : JSON.stringify(owner)
    );
  };

  const leftovers = async (): Promise<string[]> =>
    (await fsp.readdir(stateDir)).filter(name => name !== LOCK_FILE);

  it('takes a free lock, creating the state directory, and records its owner', async () => {
    const lock = new ShipperLock({
      stateDir,
      now: () => Date.parse('2026-03-01T10:00:00.000Z')
    });
    const attempt = await lock.tryAcquire();
    expect(attempt).toEqual({ acquired: true, tookOverFrom: null });
    expect(lock.held).toBe(true);
    expect(lock.path).toBe(lockPath);
    const owner = await readOwner();
    expect(owner).toMatchObject({
      pid: process.pid,
      host: os.hostname(),
      started: '2026-03-01T10:00:00.000Z'
    });
    expect((await fsp.stat(lockPath)).mode & 0o777).toBe(0o600);
  });

  it('refuses a lock held by a live process on this host and names it', async () => {
    const holder = new ShipperLock({ stateDir, pid: idlePid });
    expect((await holder.tryAcquire()).acquired).toBe(true);
    const before = await fsp.readFile(lockPath, 'utf8');

    const lock = new ShipperLock({ stateDir });
    const attempt = await lock.tryAcquire();
    expect(attempt.acquired).toBe(false);
    expect(lock.held).toBe(false);
    if (attempt.acquired) {
      return;
    }
    expect(attempt.holder.otherHost).toBe(false);
    expect(attempt.holder.owner?.pid).toBe(idlePid);
    const message = describeHolder(attempt.holder, lockPath);
    expect(message).toContain(`pid ${idlePid} on host ${os.hostname()}`);
    expect(message).toContain('this one only answers queries');
    expect(await fsp.readFile(lockPath, 'utf8')).toBe(before);
  });

  it('refuses a lock held by this very process (its start time matches)', async () => {
    const first = new ShipperLock({ stateDir });
    const second = new ShipperLock({ stateDir });
    expect((await first.tryAcquire()).acquired).toBe(true);
    expect((await second.tryAcquire()).acquired).toBe(false);
  });

  it('takes over a stale lock whose process has exited', async () => {
    const deadPid = exitedPid();
    await writeLock({
      pid: deadPid,
      host: os.hostname(),
      started: '2026-01-01T00:00:00.000Z'
    });
    const lock = new ShipperLock({ stateDir });
    const attempt = await lock.tryAcquire();
    expect(attempt.acquired).toBe(true);
    if (!attempt.acquired) {
      return;
    }
    expect(attempt.tookOverFrom?.pid).toBe(deadPid);
    expect((await readOwner()).pid).toBe(process.pid);
    expect(await leftovers()).toEqual([]);
  });

  it('takes over a lock whose pid now belongs to another process (Linux start time)', async () => {
    const realStart = (await readProcessStat(idlePid))?.start;
    expect(realStart).toMatch(/^\d+$/);
    await writeLock({
      pid: idlePid,
      host: os.hostname(),
      started: '2026-01-01T00:00:00.000Z',
      processStart: `${Number(realStart) + 1}`
    });
    const attempt = await new ShipperLock({ stateDir }).tryAcquire();
    expect(attempt.acquired).toBe(true);
  });

  it('takes over a lock whose process was killed but not yet reaped', async () => {
    const zombie = await startZombie();
    try {
      await writeLock({
        pid: zombie.pid,
        host: os.hostname(),
        started: '2026-01-01T00:00:00.000Z'
      });
      const attempt = await new ShipperLock({ stateDir }).tryAcquire();
      expect(attempt.acquired).toBe(true);
    } finally {
      zombie.parent.kill();
    }
  });

  it('takes over a lock written before a reboot even if its pid runs now', async () => {
    await writeLock({
      pid: idlePid,
      host: os.hostname(),
      started: '2026-01-01T00:00:00.000Z',
      bootId: 'a-boot-that-is-over'
    });
    const attempt = await new ShipperLock({ stateDir }).tryAcquire();
    expect(attempt.acquired).toBe(true);
  });

  it('treats a lock from another host as held, even with a pid that is not running here', async () => {
    await writeLock({
      pid: exitedPid(),
      host: 'another-host.example.org',
      started: '2026-01-01T00:00:00.000Z'
    });
    const attempt = await new ShipperLock({ stateDir }).tryAcquire();
    expect(attempt.acquired).toBe(false);
    if (attempt.acquired) {
      return;
    }
    expect(attempt.holder.otherHost).toBe(true);
    const message = describeHolder(attempt.holder, lockPath);
    expect(message).toContain('on host another-host.example.org');
    expect(message).toContain(`delete ${lockPath}`);
  });

  it('waits for an unreadable lock while it may still be written, then takes it over', async () => {
    await writeLock('');
    const fresh = await new ShipperLock({ stateDir }).tryAcquire();
    expect(fresh.acquired).toBe(false);
    if (!fresh.acquired) {
      expect(fresh.holder.owner).toBeNull();
    }

    const aMinuteAgo = new Date(Date.now() - 60000);
    await fsp.utimes(lockPath, aMinuteAgo, aMinuteAgo);
    const old = await new ShipperLock({ stateDir }).tryAcquire();
    expect(old).toEqual({ acquired: true, tookOverFrom: null });
    expect((await readOwner()).pid).toBe(process.pid);
  });

  it('never treats a pid of 0 or below as a live process group', async () => {
    await writeLock({ pid: 0, host: os.hostname(), started: 'x' });
    const aMinuteAgo = new Date(Date.now() - 60000);
    await fsp.utimes(lockPath, aMinuteAgo, aMinuteAgo);
    expect((await new ShipperLock({ stateDir }).tryAcquire()).acquired).toBe(
      true
    );
  });

  it('lets exactly one of two services take over the same stale lock', async () => {
    const deadPid = exitedPid();
    for (let round = 0; round < 20; round += 1) {
      await writeLock({
        pid: deadPid,
        host: os.hostname(),
        started: '2026-01-01T00:00:00.000Z'
      });
      const mine = new ShipperLock({ stateDir });
      const theirs = new ShipperLock({ stateDir, pid: idlePid });
      const attempts = await Promise.all([
        mine.tryAcquire(),
        theirs.tryAcquire()
      ]);
      expect(attempts.filter(attempt => attempt.acquired)).toHaveLength(1);
      const winner = mine.held ? process.pid : idlePid;
      expect((await readOwner()).pid).toBe(winner);
      expect(await leftovers()).toEqual([]);
      await fsp.rm(lockPath);
    }
  });

  it('releases its own lock only', async () => {
    const lock = new ShipperLock({ stateDir });
    expect(await lock.release()).toBe(false);

    await lock.tryAcquire();
    expect(await lock.release()).toBe(true);
    await expect(fsp.stat(lockPath)).rejects.toThrow(/ENOENT/);

    await lock.tryAcquire();
    const other = JSON.stringify({
      pid: idlePid,
      host: os.hostname(),
      started: '2026-01-01T00:00:00.000Z'
    });
    await writeLock(other);
    expect(await lock.release()).toBe(false);
    expect(lock.held).toBe(false);
    expect(await fsp.readFile(lockPath, 'utf8')).toBe(other);
  });

  it('lets the next service in once the holder released the lock', async () => {
    const holder = new ShipperLock({ stateDir, pid: idlePid });
    await holder.tryAcquire();
    const waiting = new ShipperLock({ stateDir });
    expect((await waiting.tryAcquire()).acquired).toBe(false);
    await holder.release();
    expect((await waiting.tryAcquire()).acquired).toBe(true);
  });

  it('confirms its lock, creating it again when it was deleted', async () => {
    const lock = new ShipperLock({ stateDir });
    await lock.tryAcquire();
    const written = await fsp.readFile(lockPath, 'utf8');
    expect(await lock.confirm()).toEqual({ ours: true, recreated: false });

    await fsp.rm(lockPath);
    expect(await lock.confirm()).toEqual({ ours: true, recreated: true });
    expect(await fsp.readFile(lockPath, 'utf8')).toBe(written);
  });

  it('gives the lock up when another service took it', async () => {
    const lock = new ShipperLock({ stateDir });
    await lock.tryAcquire();
    await fsp.rm(lockPath);
    await new ShipperLock({ stateDir, pid: idlePid }).tryAcquire();

    const check = await lock.confirm();
    expect(check.ours).toBe(false);
    if (!check.ours) {
      expect(check.holder.owner?.pid).toBe(idlePid);
    }
    expect(lock.held).toBe(false);
    expect(await lock.release()).toBe(false);
    expect((await readOwner()).pid).toBe(idlePid);
  });
});
