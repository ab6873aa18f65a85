/**
 * Follows the spool directory: `<run_id>.ndjson` files that the kernel
 * appends to and that appear at any time. fs.watch only hints that something
 * changed (it misses events on some filesystems), so a poll timer wakes the
 * reader too. The tailer keeps a read position per file, which runs ahead
 * of what the registry has seen acknowledged.
 */
import * as fs from 'fs';
import * as fsp from 'fs/promises';
import * as path from 'path';

import type { ILogger } from '../common/logger';
import { describeError } from '../common/logger';
import {
  fingerprintMatches,
  fingerprintOf,
  lineHead,
  type ILineHead,
  type ISpoolFingerprint
} from './fingerprint';
import {
  readCompleteLines,
  trimToCharacterBoundary
} from '../common/line-reader';
import { parseSpoolLine, type LineParseResult } from './record';
import { salvageTruncatedLine } from './truncated';
import { decodeUtf8 } from '../common/utf8';

export const SPOOL_FILE_SUFFIX = '.ndjson';

export interface ISpoolFileInfo {
  name: string;
  runId: string;
  size: number;
  ino: number;
  mtimeMs: number;
}

/** One complete spool line, parsed (or with the reason it could not be). */
export interface ISpoolLine {
  file: string;
  runId: string;
  /** 1-based line number in the file. */
  lineNumber: number;
  start: number;
  end: number;
  result: LineParseResult;
  /** Invalid UTF-8 sequences replaced by U+FFFD. */
  replacedCharacters: number;
  /** Set when the line exceeded the cap: its full length in bytes. */
  truncatedFrom?: number;
  /** The line's first bytes: a position just past it is fingerprinted from them. */
  head: ILineHead;
}

export interface IReadResult {
  lines: ISpoolLine[];
  /** The file was replaced, truncated or rewritten: reading began again at 0. */
  restarted: boolean;
  /**
   * No complete line follows the new position (only, at most, a line still
   * being written, or one a killed writer left torn): the read was not cut
   * short by its budget.
   */
  atEnd: boolean;
}

export interface IReadPosition {
  offset: number;
  /** Complete lines before `offset`. */
  line: number;
  ino?: number;
  /** The line that ends at `offset`; absent at 0 (and in older registries). */
  fingerprint?: ISpoolFingerprint;
  /** The file's modification time when it was last read (not saved). */
  mtimeMs?: number;
}

export interface ITailerOptions {
  dir: string;
  pollIntervalMs: number;
  maxLineBytes: number;
  logger: ILogger;
  /**
   * Told each time a spool file cannot be stated or read (logged once per
   * file and failure here): the file is skipped and tried again at the next
   * listing, and the other files are read on.
   */
  onFileError?: (message: string) => void;
}

export function isSpoolFileName(name: string): boolean {
  return (
    name.endsWith(SPOOL_FILE_SUFFIX) &&
    !name.startsWith('.') &&
    name.length > SPOOL_FILE_SUFFIX.length
  );
}

export function runIdOfFile(name: string): string {
  return name.slice(0, -SPOOL_FILE_SUFFIX.length);
}

export class SpoolTailer {
  private readonly positions = new Map<string, IReadPosition>();
  private watcher: fs.FSWatcher | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private watchFailureLogged = false;
  /** Per file that could not be stated or read, the failure last logged. */
  private readonly failing = new Map<string, string>();

  constructor(private readonly options: ITailerOptions) {}

  /** Starts waking `onChange` on directory events and every poll interval. */
  start(onChange: () => void): void {
    this.startWatcher(onChange);
    this.pollTimer = setInterval(() => {
      if (this.watcher === null) {
        this.startWatcher(onChange);
      }
      onChange();
    }, this.options.pollIntervalMs);
  }

  stop(): void {
    if (this.pollTimer) {
      clearInterval(this.pollTimer);
      this.pollTimer = null;
    }
    this.watcher?.close();
    this.watcher = null;
  }

  /** Sets where reading of `name` resumes (from the registry). */
  setPosition(name: string, position: IReadPosition): void {
    this.positions.set(name, { ...position });
  }

  position(name: string): IReadPosition | undefined {
    return this.positions.get(name);
  }

  forget(name: string): void {
    this.positions.delete(name);
  }

  /** The spool's files; with `runFilter`, only those of the runs it picks. */
  async listFiles(
    runFilter?: (runId: string) => boolean
  ): Promise<ISpoolFileInfo[]> {
    let names: string[];
    try {
      names = await fsp.readdir(this.options.dir);
    } catch (error) {
      if (isErrorCode(error, 'ENOENT')) {
        return [];
      }
      throw new Error(
        `cannot list the spool directory ${this.options.dir}: ${describeError(error)}`
      );
    }
    const files: ISpoolFileInfo[] = [];
    if (runFilter === undefined) {
      // A failing file that is gone owes no recovery message.
      const present = new Set(names);
      for (const name of this.failing.keys()) {
        if (!present.has(name)) {
          this.failing.delete(name);
        }
      }
    }
    for (const name of names.filter(isSpoolFileName).sort()) {
      if (runFilter !== undefined && !runFilter(runIdOfFile(name))) {
        continue;
      }
      const file = await this.statFile(name);
      if (file !== undefined) {
        files.push(file);
      }
    }
    return files;
  }

  /** One spool file as listFiles lists it; undefined when it is gone. */
  private async statFile(name: string): Promise<ISpoolFileInfo | undefined> {
    try {
      const stats = await fsp.stat(path.join(this.options.dir, name));
      return stats.isFile()
        ? {
            name,
            runId: runIdOfFile(name),
            size: stats.size,
            ino: stats.ino,
            mtimeMs: stats.mtimeMs
          }
        : undefined;
    } catch (error) {
      // Deleted since it was listed: nothing to read.
      if (!isErrorCode(error, 'ENOENT')) {
        // One bad file (ELOOP, EACCES, EIO) must not hide the others.
        this.fileFailed(name, 'state', error);
      }
      return undefined;
    }
  }

  private fileFailed(name: string, action: string, error: unknown): void {
    const message = `cannot ${action} ${path.join(this.options.dir, name)}: ${describeError(error)}`;
    if (this.failing.get(name) !== message) {
      this.options.logger.error(
        `${message}; its records wait, the other files are read on, and it is tried again at every poll`
      );
      this.failing.set(name, message);
    }
    this.options.onFileError?.(message);
  }

  private fileReadable(name: string): void {
    if (this.failing.delete(name)) {
      this.options.logger.info(
        `${path.join(this.options.dir, name)} can be read again`
      );
    }
  }

  /**
   * Reads the complete lines of `file` past its read position (about
   * `budgetBytes` of them) and advances the position past them.
   */
  async read(file: ISpoolFileInfo, budgetBytes: number): Promise<IReadResult> {
    // Outside the try: a restart found before a failure is still reported.
    const checked = this.checkedPosition(file);
    try {
      const result = await this.readFrom(file, checked, budgetBytes);
      this.fileReadable(file.name);
      return result;
    } catch (error) {
      // The position moves only after a whole read: the next try resumes.
      this.fileFailed(file.name, 'read', error);
      return { lines: [], restarted: checked.restarted, atEnd: false };
    }
  }

  private async readFrom(
    file: ISpoolFileInfo,
    checked: { position: IReadPosition; restarted: boolean },
    budgetBytes: number
  ): Promise<IReadResult> {
    const { position } = checked;
    // Truncated and written again in place between two polls, the file may
    // be as long as before or longer: only its bytes tell. Checked when
    // there is something to read or the file changed (after a restart too).
    const fingerprint = position.fingerprint;
    const verify =
      fingerprint !== undefined &&
      (position.offset < file.size || position.mtimeMs !== file.mtimeMs);
    if (position.offset >= file.size && !verify) {
      return { lines: [], restarted: checked.restarted, atEnd: true };
    }
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(path.join(this.options.dir, file.name), 'r');
    } catch (error) {
      if (isErrorCode(error, 'ENOENT')) {
        return { lines: [], restarted: checked.restarted, atEnd: true };
      }
      throw error;
    }
    try {
      if (verify && !(await fingerprintMatches(handle, fingerprint))) {
        this.options.logger.warn(
          `${file.name} was rewritten in place (now ${file.size} bytes; the line before byte ${position.offset} is no longer there): reading it again from the start; records already stored are recognised by their ids`
        );
        this.restart(position);
        // On the caller's object: a failure later in this read reports it too.
        checked.restarted = true;
      }
      position.mtimeMs = file.mtimeMs;
      if (position.offset >= file.size) {
        return { lines: [], restarted: checked.restarted, atEnd: true };
      }
      const rawLines = await readCompleteLines(handle, position.offset, {
        maxLineBytes: this.options.maxLineBytes,
        budgetBytes
      });
      const lines = rawLines.map((raw, index) => {
        const lineNumber = position.line + index + 1;
        if (!raw.truncated) {
          const decoded = decodeUtf8(raw.bytes);
          return {
            file: file.name,
            runId: file.runId,
            lineNumber,
            start: raw.start,
            end: raw.end,
            result: parseSpoolLine(decoded.text),
            replacedCharacters: decoded.replaced,
            head: lineHead(raw.start, raw.bytes)
          };
        }
        const decoded = decodeUtf8(trimToCharacterBoundary(raw.bytes));
        const marker = `\n[tflog: line truncated: ${raw.length} bytes, over the ${this.options.maxLineBytes}-byte line cap]\n`;
        return {
          file: file.name,
          runId: file.runId,
          lineNumber,
          start: raw.start,
          end: raw.end,
          result: salvageTruncatedLine(decoded.text, marker),
          replacedCharacters: decoded.replaced,
          truncatedFrom: raw.length,
          head: lineHead(raw.start, raw.bytes)
        };
      });
      const from = position.offset;
      const last = lines[lines.length - 1];
      if (last !== undefined) {
        position.offset = last.end;
        position.line += lines.length;
        position.fingerprint = fingerprintOf(last.head);
      }
      // readCompleteLines stops early only once the budget is read.
      const atEnd = last === undefined || last.end - from < budgetBytes;
      return { lines, restarted: checked.restarted, atEnd };
    } finally {
      await handle.close();
    }
  }

  /** The read position, reset to 0 when the file was replaced or shrank. */
  private checkedPosition(file: ISpoolFileInfo): {
    position: IReadPosition;
    restarted: boolean;
  } {
    let position = this.positions.get(file.name);
    if (position === undefined) {
      position = { offset: 0, line: 0, ino: file.ino };
      this.positions.set(file.name, position);
      return { position, restarted: false };
    }
    const replaced = position.ino !== undefined && position.ino !== file.ino;
    const restarted = replaced || file.size < position.offset;
    if (restarted) {
      this.options.logger.warn(
        `${file.name} was ${replaced ? 'replaced' : 'truncated'} (now ${file.size} bytes, read up to ${position.offset}): reading it again from the start; records already stored are recognised by their ids`
      );
      this.restart(position);
    }
    position.ino = file.ino;
    return { position, restarted };
  }

  private restart(position: IReadPosition): void {
    position.offset = 0;
    position.line = 0;
    delete position.fingerprint;
  }

  private startWatcher(onChange: () => void): void {
    try {
      this.watcher = fs.watch(this.options.dir, { persistent: false }, () =>
        onChange()
      );
      this.watcher.on('error', error => {
        this.options.logger.debug(
          `watching ${this.options.dir} failed (${describeError(error)}); polling continues`
        );
        this.watcher?.close();
        this.watcher = null;
      });
      this.watchFailureLogged = false;
    } catch (error) {
      this.watcher = null;
      if (!this.watchFailureLogged) {
        // The directory may not exist yet; the poll timer retries.
        this.options.logger.debug(
          `cannot watch ${this.options.dir} (${describeError(error)}); polling every ${this.options.pollIntervalMs} ms`
        );
        this.watchFailureLogged = true;
      }
    }
  }
}

export function isErrorCode(error: unknown, code: string): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    (error as { code: unknown }).code === code
  );
}
