/**
 * The shipper lock: one service process at a time ships a spool and writes
 * its registry. Two Jupyter servers of one user each start a service on the
 * same state directory; without the lock both would ship the same records
 * and overwrite each other's registry.
 *
 * `<state dir>/shipper.lock` is created exclusively (`wx`) and names its
 * owner. A lock whose owner is gone (no such pid on this host, a pid reused
 * by another process, or a lock from before a reboot) is taken over. A lock
 * written on another host is always treated as held: state directories on
 * shared home directories are used from several hosts, and a pid there
 * cannot be checked from here.
 */
import { randomBytes } from 'crypto';
import * as fsp from 'fs/promises';
import * as os from 'os';
import * as path from 'path';

import { describeError } from '../common/logger';
import type { ILockOwner } from '../wire';
import { isErrorCode } from './tailer';

export const LOCK_FILE = 'shipper.lock';

/**
 * A lock file that cannot be parsed is treated as held for this long after
 * its last change: its owner may be between creating and writing it.
 */
const UNREADABLE_LOCK_GRACE_MS = 10000;
/** Creating, then taking over a stale lock, then creating again. */
const MAX_CREATE_ATTEMPTS = 3;

/** What the lock file contains: who ships the spool (shown on /status). */
export type { ILockOwner } from '../wire';

/** Who holds the lock when this service could not take it. */
export interface ILockHolder {
  /** Null when the lock file could not be parsed (it may be being written). */
  owner: ILockOwner | null;
  /** The owner is on another host: never taken over automatically. */
  otherHost: boolean;
}

export type LockAttempt =
  | {
      acquired: true;
      /** The owner of the stale lock that was taken over, if any. */
      tookOverFrom: ILockOwner | null;
    }
  | { acquired: false; holder: ILockHolder };

export type LockCheck =
  | {
      ours: true;
      /** The lock file had been deleted and was created again. */
      recreated: boolean;
    }
  | { ours: false; holder: ILockHolder };

export interface IShipperLockOptions {
  stateDir: string;
  /** The owner recorded in the lock; this process by default. */
  pid?: number;
  host?: string;
  now?: () => number;
}

/** The lock file as found on disk. */
interface IFoundLock {
  text: string;
  owner: ILockOwner | null;
  modifiedMs: number;
}

export class ShipperLock {
  private readonly stateDir: string;
  private readonly lockPath: string;
  private readonly pid: number;
  private readonly host: string;
  private readonly now: () => number;
  /** The exact text this service wrote while it holds the lock. */
  private ownText: string | null = null;

  constructor(options: IShipperLockOptions) {
    this.stateDir = options.stateDir;
    this.lockPath = path.join(options.stateDir, LOCK_FILE);
    this.pid = options.pid ?? process.pid;
    this.host = options.host ?? os.hostname();
    this.now = options.now ?? Date.now;
  }

  get path(): string {
    return this.lockPath;
  }

  get held(): boolean {
    return this.ownText !== null;
  }

  /** Takes the lock if it is free or stale; otherwise says who holds it. */
  async tryAcquire(): Promise<LockAttempt> {
    if (this.ownText !== null) {
      return { acquired: true, tookOverFrom: null };
    }
    await fsp.mkdir(this.stateDir, { recursive: true, mode: 0o700 });
    const text = await this.ownerText();
    let tookOverFrom: ILockOwner | null = null;
    let holder: ILockHolder = { owner: null, otherHost: false };
    for (let attempt = 0; attempt < MAX_CREATE_ATTEMPTS; attempt += 1) {
      if (await this.create(text)) {
        return { acquired: true, tookOverFrom };
      }
      const found = await this.read();
      if (found === null) {
        // Released between our create and our read: try again.
        continue;
      }
      holder = this.holderOf(found);
      if (!(await this.isStale(found))) {
        return { acquired: false, holder };
      }
      if (!(await this.removeStale(found.text))) {
        // Another service replaced the stale lock first: it holds it now.
        const current = await this.read();
        return {
          acquired: false,
          holder: current ? this.holderOf(current) : holder
        };
      }
      tookOverFrom = found.owner;
    }
    return { acquired: false, holder };
  }

  /**
   * Checks that the lock is still this service's: creates it again when it
   * was deleted, and gives it up when another service's lock is there.
   */
  async confirm(): Promise<LockCheck> {
    const ownText = this.ownText;
    if (ownText === null) {
      throw new Error(`${this.lockPath} is not held by this service`);
    }
    const found = await this.read();
    if (found === null && (await this.create(ownText))) {
      return { ours: true, recreated: true };
    }
    const current = found ?? (await this.read());
    if (current !== null && current.text === ownText) {
      return { ours: true, recreated: false };
    }
    this.ownText = null;
    return {
      ours: false,
      holder: current
        ? this.holderOf(current)
        : { owner: null, otherHost: false }
    };
  }

  /** Removes the lock file if it is still this service's; says whether it did. */
  async release(): Promise<boolean> {
    const ownText = this.ownText;
    this.ownText = null;
    if (ownText === null) {
      return false;
    }
    const found = await this.read();
    if (found === null || found.text !== ownText) {
      return false;
    }
    await fsp.unlink(this.lockPath);
    return true;
  }

  private async ownerText(): Promise<string> {
    const owner: ILockOwner = {
      pid: this.pid,
      host: this.host,
      started: new Date(this.now()).toISOString()
    };
    const bootId = await readBootId();
    const processStart = (await readProcessStat(this.pid))?.start ?? null;
    if (bootId !== null) {
      owner.bootId = bootId;
    }
    if (processStart !== null) {
      owner.processStart = processStart;
    }
    return JSON.stringify(owner) + '\n';
  }

  /** Creates the lock file exclusively; false when one exists. */
  private async create(text: string): Promise<boolean> {
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(this.lockPath, 'wx', 0o600);
    } catch (error) {
      if (isErrorCode(error, 'EEXIST')) {
        return false;
      }
      throw new Error(
        `cannot create ${this.lockPath}: ${describeError(error)}`
      );
    }
    try {
      await handle.writeFile(text, 'utf8');
      await handle.datasync();
    } catch (error) {
      await handle.close();
      // A half-written lock would block every service until its grace ends.
      await fsp.unlink(this.lockPath);
      throw new Error(`cannot write ${this.lockPath}: ${describeError(error)}`);
    }
    await handle.close();
    this.ownText = text;
    return true;
  }

  /** The lock file, or null when there is none. */
  private async read(): Promise<IFoundLock | null> {
    try {
      const [text, stats] = await Promise.all([
        fsp.readFile(this.lockPath, 'utf8'),
        fsp.stat(this.lockPath)
      ]);
      return { text, owner: parseOwner(text), modifiedMs: stats.mtimeMs };
    } catch (error) {
      if (isErrorCode(error, 'ENOENT')) {
        return null;
      }
      throw new Error(`cannot read ${this.lockPath}: ${describeError(error)}`);
    }
  }

  private holderOf(found: IFoundLock): ILockHolder {
    return {
      owner: found.owner,
      otherHost: found.owner !== null && found.owner.host !== this.host
    };
  }

  private async isStale(found: IFoundLock): Promise<boolean> {
    const owner = found.owner;
    if (owner === null) {
      return this.now() - found.modifiedMs > UNREADABLE_LOCK_GRACE_MS;
    }
    if (owner.host !== this.host) {
      return false;
    }
    return !(await isOwnerAlive(owner));
  }

  /**
   * Moves the stale lock aside, atomically, so that two services taking it
   * over at once cannot both succeed: the one that moved away a lock other
   * than the stale one it judged puts it back. True when the stale lock is
   * gone.
   */
  private async removeStale(staleText: string): Promise<boolean> {
    const aside = `${this.lockPath}.stale-${this.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await fsp.rename(this.lockPath, aside);
    } catch (error) {
      if (isErrorCode(error, 'ENOENT')) {
        return true;
      }
      throw new Error(
        `cannot move the stale ${this.lockPath} aside: ${describeError(error)}`
      );
    }
    const movedText = await fsp.readFile(aside, 'utf8');
    if (movedText !== staleText) {
      try {
        await fsp.link(aside, this.lockPath);
      } catch (error) {
        // EEXIST: yet another service took the lock meanwhile; it holds it.
        if (!isErrorCode(error, 'EEXIST')) {
          throw new Error(
            `cannot restore ${this.lockPath} from ${aside}: ${describeError(error)}`
          );
        }
      }
    }
    await fsp.unlink(aside);
    return movedText === staleText;
  }
}

/** Why this service does not ship, for /status and the log. */
export function describeHolder(holder: ILockHolder, lockPath: string): string {
  const owner = holder.owner;
  if (owner === null) {
    return `another tflog service is taking the shipper lock ${lockPath}; this one only answers queries`;
  }
  const who = `another tflog service (pid ${owner.pid} on host ${owner.host}, started ${owner.started})`;
  const message = `${who} is shipping this spool; this one only answers queries`;
  if (holder.otherHost) {
    return `${message}. A lock taken on another host is never taken over automatically: if that service is gone, delete ${lockPath}`;
  }
  return `${message} and takes over when that one stops`;
}

function parseOwner(text: string): ILockOwner | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Damaged or half-written: the caller's grace period decides.
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) {
    return null;
  }
  const owner = parsed as Partial<ILockOwner>;
  // A pid of 0 or below would signal a whole process group in kill().
  if (
    typeof owner.pid !== 'number' ||
    !Number.isInteger(owner.pid) ||
    owner.pid <= 0 ||
    typeof owner.host !== 'string' ||
    typeof owner.started !== 'string'
  ) {
    return null;
  }
  return {
    pid: owner.pid,
    host: owner.host,
    started: owner.started,
    ...(typeof owner.bootId === 'string' ? { bootId: owner.bootId } : {}),
    ...(typeof owner.processStart === 'string'
      ? { processStart: owner.processStart }
      : {})
  };
}

/** Whether the lock's owner, on this host, still runs. */
async function isOwnerAlive(owner: ILockOwner): Promise<boolean> {
  if (owner.bootId !== undefined) {
    const bootId = await readBootId();
    if (bootId !== null && bootId !== owner.bootId) {
      return false;
    }
  }
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if (isErrorCode(error, 'ESRCH')) {
      return false;
    }
    // EPERM: a process of another user has that pid; the start time decides.
    if (!isErrorCode(error, 'EPERM')) {
      throw new Error(
        `cannot check whether pid ${owner.pid} runs: ${describeError(error)}`
      );
    }
  }
  const stat = await readProcessStat(owner.pid);
  if (stat === null) {
    return true;
  }
  // A killed process whose parent has not reaped it yet still answers kill().
  if (stat.state === 'Z' || stat.state === 'X') {
    return false;
  }
  return owner.processStart === undefined || stat.start === owner.processStart;
}

/** Linux's boot id, or null where there is none to read. */
async function readBootId(): Promise<string | null> {
  const text = await readOptional('/proc/sys/kernel/random/boot_id');
  return text === null || text.trim() === '' ? null : text.trim();
}

/** What /proc/<pid>/stat tells about a process. */
export interface IProcessStat {
  /** R, S, D, Z (zombie), X (dead), … */
  state: string;
  /** Start time in clock ticks since boot. */
  start: string;
}

/** Fields 3 and 22 of /proc/<pid>/stat, or null where /proc cannot tell. */
export async function readProcessStat(
  pid: number
): Promise<IProcessStat | null> {
  const text = await readOptional(`/proc/${pid}/stat`);
  if (text === null) {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses.
  const fields = text
    .slice(text.lastIndexOf(')') + 1)
    .trim()
    .split(/\s+/);
  // fields[0] is field 3 (state), so field 22 is fields[19].
  const state = fields[0];
  const start = fields[19];
  if (state === undefined || start === undefined) {
    return null;
  }
  return { state, start };
}

/**
 * Reads a /proc file. Null when it is absent or unreadable (no /proc on this
 * system, the process has exited, or /proc hides it): the caller then
 * decides without it.
 */
async function readOptional(file: string): Promise<string | null> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (error) {
    if (
      isErrorCode(error, 'ENOENT') ||
      isErrorCode(error, 'EACCES') ||
      isErrorCode(error, 'ESRCH')
    ) {
      return null;
    }
    throw new Error(`cannot read ${file}: ${describeError(error)}`);
  }
}
