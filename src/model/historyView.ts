/**
 * What the History view shows, as plain data: its filters, sort, columns and
 * tab. `tflog:open-history` takes it as arguments (`historyViewArgs`), so a
 * link reopens the same view; `readHistoryView` checks what a link holds.
 * Also the pure rules of the runs table: which columns sort how, and a
 * run's best value (better low or high by `lowerIsBetter`).
 */
import type {
  ReadonlyPartialJSONObject,
  ReadonlyPartialJSONValue
} from '@lumino/coreutils';

import { lowerIsBetter } from '../metricDirection';
import type {
  IRunQuery,
  IRunSummary,
  RunSort,
  RunStatus,
  SortOrder
} from '../tokens';

/** Columns every table has, in this order. */
export const FIXED_COLUMNS = [
  'status',
  'name',
  'notebook',
  'started',
  'duration',
  'health'
] as const;

export type FixedColumn = (typeof FIXED_COLUMNS)[number];

/**
 * A column the user may add: a tag, a hyperparameter, or a metric's final
 * (`last:`) or best (`best:`) value.
 */
export type ChosenColumn =
  `tag:${string}` | `hparam:${string}` | `last:${string}` | `best:${string}`;

export type HistoryColumn = FixedColumn | ChosenColumn;

export type HistoryTab = 'runs' | 'queries';

/** The runs table's filters, as `ITflogClient.runs` takes them. */
export type IHistoryFilters = Pick<
  IRunQuery,
  'notebook' | 'status' | 'tags' | 'hparams' | 'from' | 'to' | 'text'
>;

export interface IHistoryView {
  filters: IHistoryFilters;
  /** The column sorted by. */
  sort: HistoryColumn;
  order: SortOrder;
  /** The chosen columns; undefined: those of the settings. */
  columns: ChosenColumn[] | undefined;
  tab: HistoryTab;
}

/** The History view's settings (schema/history.json). */
export interface IHistorySettings {
  columns: ChosenColumn[];
  pageSize: number;
}

export const DEFAULT_HISTORY_SETTINGS: Readonly<IHistorySettings> =
  Object.freeze({
    columns: ['last:loss', 'best:val_loss'] as ChosenColumn[],
    pageSize: 50
  });

/** Bounds of `pageSize`, shared with the schema (the API takes 1..1000). */
export const PAGE_SIZE_LIMITS = { min: 5, max: 500 };

const STATUSES: readonly RunStatus[] = [
  'running',
  'finished',
  'failed',
  'interrupted',
  'stopped'
];

const CHOSEN_PREFIXES = ['tag:', 'hparam:', 'last:', 'best:'] as const;

/** The metric of a `last:` or `best:` column, or null. */
export function metricOf(column: HistoryColumn): string | null {
  if (column.startsWith('last:') || column.startsWith('best:')) {
    return column.slice(column.indexOf(':') + 1);
  }
  return null;
}

/** The API's sort for a column, or null when the API cannot sort by it. */
export function runSortOf(column: HistoryColumn): RunSort | null {
  switch (column) {
    case 'started':
    case 'duration':
    case 'name':
    case 'health':
      return column;
  }
  const metric = metricOf(column);
  if (metric === null) {
    return null;
  }
  if (column.startsWith('last:')) {
    return `last:${metric}`;
  }
  return lowerIsBetter(metric) ? `min:${metric}` : `max:${metric}`;
}

/** The order a first click on a column sorts in: the best or newest first, names A to Z. */
export function defaultOrder(column: HistoryColumn): SortOrder {
  if (column === 'name') {
    return 'asc';
  }
  const metric = metricOf(column);
  return metric !== null && lowerIsBetter(metric) ? 'asc' : 'desc';
}

/** A run's best value of a metric: its lowest for a loss, else its highest. */
export function bestValue(
  run: IRunSummary,
  metric: string
): number | undefined {
  const values = lowerIsBetter(metric) ? run.min_metrics : run.max_metrics;
  return values?.[metric];
}

/**
 * `team:vision, lr:0.1` as `{team: 'vision', lr: '0.1'}`: pairs separated by
 * commas, the first `:` ending the key (as the API reads them); `invalid`
 * lists the parts that are not `key:value`.
 */
export function parseKeyValues(text: string): {
  pairs: Record<string, string>;
  invalid: string[];
} {
  const pairs: Record<string, string> = {};
  const invalid: string[] = [];
  for (const part of text.split(',')) {
    const item = part.trim();
    if (item === '') {
      continue;
    }
    const colon = item.indexOf(':');
    if (colon <= 0) {
      invalid.push(item);
      continue;
    }
    pairs[item.slice(0, colon).trim()] = item.slice(colon + 1).trim();
  }
  return { pairs, invalid };
}

/** `{team: 'vision'}` as `team:vision`, as parseKeyValues reads it. */
export function formatKeyValues(
  pairs: Readonly<Record<string, string>> | undefined
): string {
  return Object.entries(pairs ?? {})
    .map(([key, value]) => `${key}:${value}`)
    .join(', ');
}

export function isChosenColumn(value: unknown): value is ChosenColumn {
  return (
    typeof value === 'string' &&
    CHOSEN_PREFIXES.some(
      prefix => value.startsWith(prefix) && value.length > prefix.length
    )
  );
}

function isSortColumn(value: unknown): value is HistoryColumn {
  return (
    (typeof value === 'string' &&
      (FIXED_COLUMNS as readonly string[]).includes(value) &&
      runSortOf(value as FixedColumn) !== null) ||
    (isChosenColumn(value) && runSortOf(value) !== null)
  );
}

type JsonRecord = {
  readonly [key: string]: ReadonlyPartialJSONValue | undefined;
};

function isRecord(
  value: ReadonlyPartialJSONValue | undefined
): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringRecord(
  value: ReadonlyPartialJSONValue | undefined
): Record<string, string> | undefined {
  if (!isRecord(value)) {
    return undefined;
  }
  const pairs = Object.entries(value).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string'
  );
  return pairs.length > 0 ? Object.fromEntries(pairs) : undefined;
}

function nonEmptyString(
  value: ReadonlyPartialJSONValue | undefined
): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The chosen columns of a list, without what is not one. */
export function readColumns(value: unknown): ChosenColumn[] | undefined {
  return Array.isArray(value) ? value.filter(isChosenColumn) : undefined;
}

/**
 * The view that command arguments describe; anything missing or invalid is
 * left out (filters) or read as the default (newest runs first).
 */
export function readHistoryView(args: ReadonlyPartialJSONObject): IHistoryView {
  const filters: IHistoryFilters = {};
  const notebook = nonEmptyString(args.notebook);
  if (notebook !== undefined) {
    filters.notebook = notebook;
  }
  if (Array.isArray(args.status)) {
    const status = args.status.filter((value): value is RunStatus =>
      STATUSES.includes(value as RunStatus)
    );
    if (status.length > 0) {
      filters.status = status;
    }
  }
  const tags = stringRecord(args.tags);
  if (tags) {
    filters.tags = tags;
  }
  const hparams = stringRecord(args.hparams);
  if (hparams) {
    filters.hparams = hparams;
  }
  for (const key of ['from', 'to', 'text'] as const) {
    const value = nonEmptyString(args[key]);
    if (value !== undefined) {
      filters[key] = value;
    }
  }
  const sort = isSortColumn(args.sort) ? args.sort : 'started';
  const order =
    args.order === 'asc' || args.order === 'desc'
      ? args.order
      : defaultOrder(sort);
  return {
    filters,
    sort,
    order,
    columns: readColumns(args.columns),
    tab: args.tab === 'queries' ? 'queries' : 'runs'
  };
}

/** The command arguments that reopen a view (readHistoryView reads them back). */
export function historyViewArgs(view: IHistoryView): ReadonlyPartialJSONObject {
  const { filters } = view;
  return {
    ...(filters.notebook !== undefined && { notebook: filters.notebook }),
    ...(filters.status !== undefined && { status: [...filters.status] }),
    ...(filters.tags !== undefined && { tags: { ...filters.tags } }),
    ...(filters.hparams !== undefined && { hparams: { ...filters.hparams } }),
    ...(filters.from !== undefined && { from: filters.from }),
    ...(filters.to !== undefined && { to: filters.to }),
    ...(filters.text !== undefined && { text: filters.text }),
    sort: view.sort,
    order: view.order,
    ...(view.columns !== undefined && { columns: [...view.columns] }),
    tab: view.tab
  };
}

/** The settings, a value of the wrong type or out of range read as its default. */
export function readHistorySettings(
  composite: Readonly<Record<string, unknown>>
): IHistorySettings {
  const pageSize = composite.pageSize;
  return {
    columns: readColumns(composite.columns) ?? [
      ...DEFAULT_HISTORY_SETTINGS.columns
    ],
    pageSize:
      typeof pageSize === 'number' &&
      Number.isInteger(pageSize) &&
      pageSize >= PAGE_SIZE_LIMITS.min &&
      pageSize <= PAGE_SIZE_LIMITS.max
        ? pageSize
        : DEFAULT_HISTORY_SETTINGS.pageSize
  };
}

/**
 * Columns the chooser offers: those chosen, then, from the runs shown, each
 * metric's final and best value (`loss` and `val_loss` first), each
 * hyperparameter and each tag.
 */
export function columnCandidates(
  runs: readonly IRunSummary[],
  chosen: readonly ChosenColumn[]
): ChosenColumn[] {
  const metrics = new Set<string>();
  const hparams = new Set<string>();
  const tags = new Set<string>();
  for (const run of runs) {
    Object.keys(run.last_metrics).forEach(name => metrics.add(name));
    Object.keys(run.hparams).forEach(name => hparams.add(name));
    Object.keys(run.tags).forEach(name => tags.add(name));
  }
  const rank = (name: string): number =>
    name === 'loss' ? 0 : name === 'val_loss' ? 1 : 2;
  const byName = (names: Set<string>): string[] =>
    [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const found: ChosenColumn[] = [
    ...byName(metrics).flatMap((name): ChosenColumn[] => [
      `last:${name}`,
      `best:${name}`
    ]),
    ...byName(hparams).map((name): ChosenColumn => `hparam:${name}`),
    ...byName(tags).map((name): ChosenColumn => `tag:${name}`)
  ];
  return [...new Set([...chosen, ...found])];
}
