/**
 * Moves a store written by the NDJSON embedded store (tflog 0.1: day files
 * `events-YYYY.MM.DD.ndjson`, `metrics-YYYY.MM.DD.ndjson` and `runs.ndjson`
 * in the store directory) into the database, then puts the files aside in
 * `ndjson-migrated/`. Writing is by the same ids and summary versions as
 * shipping, so a migration cut short by a crash is simply done again.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';

import { readCompleteLines } from '../common/line-reader';
import { decodeUtf8 } from '../common/utf8';
import type { ILogger } from '../common/logger';
import { describeError } from '../common/logger';
import type { IMetricPoint, IRunSummary, ITflogDocument } from '../types';
import type { IWriteBatch, IWriteResult } from './store';

const SEGMENT_FILE = /^(events|metrics)-\d{4}\.\d{2}\.\d{2}\.ndjson$/;
const RUNS_FILE = 'runs.ndjson';
export const MIGRATED_DIR = 'ndjson-migrated';
const BATCH_ITEMS = 2000;
const READ_BUDGET_BYTES = 4 * 1024 * 1024;
const MAX_LINE_BYTES = 64 * 1024 * 1024;

export interface IMigrationReport {
  files: number;
  created: number;
  duplicates: number;
  /** Lines that were not JSON documents (damaged), skipped. */
  damaged: number;
}

/**
 * Imports every NDJSON store file in `dir` through `write`, then moves the
 * files to `dir/ndjson-migrated/`. Returns null when there was nothing to do.
 */
export async function importNdjsonStore(
  dir: string,
  write: (batch: IWriteBatch) => IWriteResult,
  logger: ILogger
): Promise<IMigrationReport | null> {
  const names = (await fsp.readdir(dir))
    .filter(name => SEGMENT_FILE.test(name) || name === RUNS_FILE)
    .sort();
  if (names.length === 0) {
    return null;
  }
  logger.info(
    `moving ${names.length} file(s) of the NDJSON store in ${dir} into the database`
  );
  const report: IMigrationReport = {
    files: names.length,
    created: 0,
    duplicates: 0,
    damaged: 0
  };
  const flush = (batch: IWriteBatch): void => {
    const result = write(batch);
    report.created += result.created;
    report.duplicates += result.duplicates;
  };
  for (const name of names) {
    let batch = emptyBatch();
    let items = 0;
    await forEachJsonLine(path.join(dir, name), logger, value => {
      if (!addToBatch(batch, name, value)) {
        report.damaged += 1;
        return;
      }
      items += 1;
      if (items >= BATCH_ITEMS) {
        flush(batch);
        batch = emptyBatch();
        items = 0;
      }
    });
    if (items > 0) {
      flush(batch);
    }
  }
  const aside = path.join(dir, MIGRATED_DIR);
  await fsp.mkdir(aside, { recursive: true, mode: 0o700 });
  for (const name of names) {
    await fsp.rename(path.join(dir, name), path.join(aside, name));
  }
  logger.info(
    `NDJSON store migrated: ${report.created} items stored (${report.duplicates} already there, ${report.damaged} damaged lines skipped); the old files are in ${aside} and can be deleted`
  );
  return report;
}

function emptyBatch(): IWriteBatch {
  return { documents: [], points: [], runs: [], runVersions: {} };
}

/** Adds one line's value to the batch; false when it is not a valid item. */
function addToBatch(batch: IWriteBatch, file: string, value: unknown): boolean {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  if (file === RUNS_FILE) {
    const line = value as { v?: unknown; summary?: IRunSummary };
    if (
      typeof line.v !== 'number' ||
      typeof line.summary?.run_id !== 'string'
    ) {
      return false;
    }
    const versions = batch.runVersions as Record<string, number>;
    const known = versions[line.summary.run_id];
    // One summary per run per batch: the newest of the lines read.
    if (known === undefined || known < line.v) {
      batch.runs = batch.runs.filter(
        run => run.run_id !== line.summary?.run_id
      );
      batch.runs.push(line.summary);
      versions[line.summary.run_id] = line.v;
    }
    return true;
  }
  const item = value as { _id?: unknown };
  if (typeof item._id !== 'string') {
    return false;
  }
  if (file.startsWith('events-')) {
    batch.documents.push(value as ITflogDocument);
  } else {
    batch.points.push(value as IMetricPoint);
  }
  return true;
}

/**
 * Calls `visit` with each complete JSON line of a file. A damaged line is
 * reported and skipped; an incomplete last line (a write the old store
 * never acknowledged) is left out.
 */
async function forEachJsonLine(
  file: string,
  logger: ILogger,
  visit: (value: unknown) => void
): Promise<void> {
  const handle = await fsp.open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    let offset = 0;
    for (;;) {
      const lines = await readCompleteLines(handle, offset, {
        maxLineBytes: MAX_LINE_BYTES,
        budgetBytes: READ_BUDGET_BYTES
      });
      if (lines.length === 0) {
        break;
      }
      for (const line of lines) {
        let value: unknown;
        try {
          value = JSON.parse(decodeUtf8(line.bytes).text);
        } catch (error) {
          logger.warn(
            `${file}: skipping a damaged line at byte ${line.start}: ${describeError(error)}`
          );
          visit(null);
          continue;
        }
        visit(value);
      }
      offset = lines[lines.length - 1].end;
    }
    if (offset < size) {
      logger.warn(
        `${file}: leaving out ${size - offset} bytes of an incomplete last line (an interrupted write, never acknowledged)`
      );
    }
  } finally {
    await handle.close();
  }
}
