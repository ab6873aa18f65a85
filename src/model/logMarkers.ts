/**
 * Warnings, errors and NaNs of a run as markers on its curves: the lines
 * are read from the run's logs, and each is placed at its own step or epoch
 * when it has one, else at the point of the curve nearest to it in time.
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { stripAnsi } from '../format';
import type {
  ILogQuery,
  ITflogClient,
  ITflogDocument,
  SeriesAxis
} from '../tokens';
import { FoldedCalls } from './foldedCalls';
import type { IChartRow } from './series';

/** Lines that make a marker: a problem's level and a problem's kind. */
export const MARKER_LEVELS = ['warning', 'error', 'critical'];
export const MARKER_KINDS = ['nan', 'error', 'warning', 'alert'];

/** The newest this many problem lines are marked. */
export const MARKED_LINES_MAX = 200;

/** Characters of the message a marker's tooltip shows. */
const SUMMARY_LENGTH = 120;

export type MarkerSeverity = 'warning' | 'error';

/** One marker on a chart (a row of the chart's `markers` dataset). */
export interface ILogMarker {
  x: number;
  severity: MarkerSeverity;
  level: string;
  kind: string;
  /** The start of the message, terminal codes removed. */
  summary: string;
  /** The line's `_id`, to highlight it in the logs view. */
  lineId: string;
  /** Lines of this severity at this x (a Python warning is two: the warning and its source line). */
  lines: number;
  /** The line's `@timestamp` (ISO), to open the logs around it. */
  time: string;
}

/** How bad a line is, or null when it is not a problem line. */
export function markerSeverity(line: ITflogDocument): MarkerSeverity | null {
  const level = line.log.level.toLowerCase();
  const kind = line.tflog.kind;
  if (!MARKER_LEVELS.includes(level) || !MARKER_KINDS.includes(kind)) {
    return null;
  }
  return level === 'warning' && kind !== 'nan' ? 'warning' : 'error';
}

/**
 * The markers of `lines` on a chart of `rows` drawn against `axis`: one per
 * x and severity, from the earliest of its lines.
 */
export function markersFor(
  lines: readonly ITflogDocument[],
  axis: SeriesAxis,
  rows: readonly IChartRow[]
): ILogMarker[] {
  const byTime = rows
    .filter(row => row.time !== undefined && Number.isFinite(row.time))
    .sort((a, b) => (a.time as number) - (b.time as number));
  const markers = new Map<string, ILogMarker>();
  /** The sequence of each marker's line: the earliest line speaks for the others. */
  const sequences = new Map<string, number>();
  for (const line of lines) {
    const severity = markerSeverity(line);
    if (severity === null) {
      continue;
    }
    const time = Date.parse(line['@timestamp']);
    const own =
      axis === 'step'
        ? line.tflog.step
        : axis === 'epoch'
          ? line.tflog.epoch
          : time;
    const x =
      own !== undefined && Number.isFinite(own)
        ? own
        : nearestInTime(byTime, time)?.x;
    if (x === undefined) {
      continue;
    }
    const key = `${x}|${severity}`;
    const marker: ILogMarker = {
      x,
      severity,
      level: line.log.level.toLowerCase(),
      kind: line.tflog.kind,
      summary: summarise(line.message),
      lineId: line._id,
      time: line['@timestamp'],
      lines: 1
    };
    const same = markers.get(key);
    if (!same) {
      markers.set(key, marker);
      sequences.set(key, line.event.sequence);
    } else if (line.event.sequence < (sequences.get(key) ?? Infinity)) {
      markers.set(key, { ...marker, lines: same.lines + 1 });
      sequences.set(key, line.event.sequence);
    } else {
      same.lines++;
    }
  }
  return [...markers.values()];
}

/** The row logged nearest to `time`, given rows in time order; undefined when none. */
function nearestInTime(
  byTime: readonly IChartRow[],
  time: number
): IChartRow | undefined {
  if (byTime.length === 0 || !Number.isFinite(time)) {
    return undefined;
  }
  let low = 0;
  let high = byTime.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((byTime[middle].time as number) < time) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  const after = byTime[low];
  const before = byTime[low - 1];
  if (
    before &&
    Math.abs((before.time as number) - time) <=
      Math.abs((after.time as number) - time)
  ) {
    return before;
  }
  return after;
}

/** The first line of a message, without terminal codes, cut to fit a tooltip. */
function summarise(message: string): string {
  const text = stripAnsi(message).trim().replace(/\s+/g, ' ');
  return text.length > SUMMARY_LENGTH
    ? `${text.slice(0, SUMMARY_LENGTH - 1)}…`
    : text;
}

/**
 * The problem lines of one run, read again on `refresh()` (the panel calls
 * it when the run's curves change). Calls while a read is under way are
 * folded into one more read after it.
 */
export class LogMarkers implements IDisposable {
  constructor(options: { client: ITflogClient; runId: string }) {
    this._client = options.client;
    this.runId = options.runId;
  }

  readonly runId: string;

  /** The newest problem lines, newest first. */
  get lines(): readonly ITflogDocument[] {
    return this._lines;
  }

  /** The last read's error, or null once a read succeeds. */
  get error(): Error | null {
    return this._error;
  }

  get changed(): ISignal<this, readonly ITflogDocument[]> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  refresh(): Promise<void> {
    return this._refreshes.run();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  private async _read(): Promise<void> {
    const query: ILogQuery = {
      levels: MARKER_LEVELS,
      kinds: MARKER_KINDS,
      order: 'desc',
      size: MARKED_LINES_MAX
    };
    try {
      const page = await this._client.logs(this.runId, query);
      if (this._isDisposed) {
        return;
      }
      this._error = null;
      if (!sameLines(page.lines, this._lines)) {
        this._lines = page.lines;
        this._changed.emit(this._lines);
      }
    } catch (error) {
      // Markers are an extra: the curves still show, the console says why.
      this._error = error instanceof Error ? error : new Error(String(error));
      console.warn(
        `tflog: cannot read the warnings of run ${this.runId}`,
        this._error
      );
    }
  }

  private readonly _client: ITflogClient;
  private _lines: readonly ITflogDocument[] = [];
  private _error: Error | null = null;
  private readonly _refreshes = new FoldedCalls(
    () => this._read(),
    () => this._isDisposed
  );
  private _isDisposed = false;
  private readonly _changed = new Signal<this, readonly ITflogDocument[]>(this);
}

function sameLines(
  a: readonly ITflogDocument[],
  b: readonly ITflogDocument[]
): boolean {
  return a.length === b.length && a.every((line, i) => line._id === b[i]._id);
}
