/**
 * The embedded store's SQLite schema. Every query the API makes is served
 * by an index (see docs/storage.md for the query each one serves). The
 * version is SQLite's `user_version`: a database of a newer version is set
 * aside, never opened by an older tflog.
 */

export const SCHEMA_VERSION = 1;

/** `points.step_key` of a point without a step (steps are never this low). */
export const NO_STEP = Number.MIN_SAFE_INTEGER;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- One row per run: the newest version of its summary.
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  started_ms INTEGER NOT NULL,
  notebook TEXT,
  user_name TEXT NOT NULL,
  status TEXT NOT NULL,
  -- Lowercased run id, name, notebook and key=value tags, one per line.
  search_text TEXT NOT NULL,
  summary TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS runs_by_start ON runs (started_ms DESC, run_id);
CREATE INDEX IF NOT EXISTS runs_by_notebook ON runs (notebook, started_ms DESC, run_id);
CREATE INDEX IF NOT EXISTS runs_by_user ON runs (user_name, started_ms DESC, run_id);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status, started_ms DESC, run_id);
CREATE TABLE IF NOT EXISTS run_tags (
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  run_id TEXT NOT NULL,
  PRIMARY KEY (key, value, run_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS run_tags_by_run ON run_tags (run_id);

-- Log events; the document as JSON, the fields queries filter on beside it.
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY,
  doc_id TEXT NOT NULL UNIQUE,
  run_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  part INTEGER NOT NULL,
  level TEXT NOT NULL,
  kind TEXT NOT NULL,
  ts_ms INTEGER NOT NULL,
  document TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_run ON events (run_id, seq, part);
CREATE INDEX IF NOT EXISTS events_by_time ON events (ts_ms);
-- Words of each message (letters, digits, underscores; case folded), by events.id.
CREATE VIRTUAL TABLE IF NOT EXISTS event_words USING fts5 (
  message,
  content = '',
  contentless_delete = 1,
  tokenize = "unicode61 remove_diacritics 0 tokenchars '_'"
);

-- A curve: one metric of one run, with what a grid needs without a scan.
CREATE TABLE IF NOT EXISTS series (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,
  name TEXT NOT NULL,
  scope TEXT NOT NULL,
  source TEXT NOT NULL,
  points INTEGER NOT NULL DEFAULT 0,
  step_points INTEGER NOT NULL DEFAULT 0,
  step_min REAL,
  step_max REAL,
  epoch_points INTEGER NOT NULL DEFAULT 0,
  epoch_min REAL,
  epoch_max REAL,
  ts_min INTEGER,
  ts_max INTEGER,
  UNIQUE (run_id, name, scope, source)
);
CREATE INDEX IF NOT EXISTS series_by_oldest ON series (ts_min);
-- Points in curve order; key is the point id without the run and metric.
CREATE TABLE IF NOT EXISTS points (
  series INTEGER NOT NULL,
  step_key REAL NOT NULL,
  key TEXT NOT NULL,
  epoch REAL,
  ts_ms INTEGER NOT NULL,
  value REAL,
  nonfinite TEXT,
  -- The stored @timestamp when it is not the ISO form of ts_ms.
  time_text TEXT,
  PRIMARY KEY (series, step_key, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS points_by_time ON points (series, ts_ms);
-- Per fixed-width bucket of a curve, its summary (rollup.ts) as JSON.
CREATE TABLE IF NOT EXISTS rollups (
  series INTEGER NOT NULL,
  level INTEGER NOT NULL,
  bucket INTEGER NOT NULL,
  summary TEXT NOT NULL,
  PRIMARY KEY (series, level, bucket)
) WITHOUT ROWID;
`;

/**
 * Indices added within schema 1, created when missing each time the
 * database is opened for writing (the first time, over the points already
 * stored). A tflog that does not know them leaves them be, and SQLite keeps
 * them up to date for it.
 */
/**
 * The condition of the events_problems index: a query names it word for
 * word (SQLite uses a partial index only then), then narrows the levels.
 */
export const PROBLEM_LEVELS_SQL =
  "level IN ('warning', 'error', 'critical', 'fatal')";

/** The summary fields whose entries `run_values` holds (hyperparameters, metrics). */
export const RUN_VALUE_KINDS = [
  'hparams',
  'last_metrics',
  'min_metrics',
  'max_metrics'
] as const;

/** The entries of those fields in the summaries of `source` (a trigger's NEW, or `runs`), as `run_values` rows. */
function runValueRows(source: 'NEW' | 'runs'): string {
  const kinds = RUN_VALUE_KINDS.map(kind => `SELECT '${kind}' AS kind`).join(
    ' UNION ALL '
  );
  return `SELECT ${source}.run_id, kinds.kind, entry.key, entry.type, entry.value
    FROM ${source === 'runs' ? 'runs, ' : ''}(${kinds}) AS kinds, json_each(${source}.summary, '$.' || kinds.kind) AS entry
    WHERE typeof(entry.key) = 'text'`;
}

/**
 * Each run's hyperparameters and last, lowest and highest metric values,
 * one row each, kept equal to its summary by triggers (so also when a
 * tflog that does not know them writes): sorting 10,000 runs by a metric
 * read every summary's JSON (361 ms); a row per value is read by key.
 */
export const RUN_VALUES_SQL = `
CREATE TABLE IF NOT EXISTS run_values (
  run_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  -- json_each's type: 'integer', 'real', 'text', 'true', 'false', 'null', ...
  type TEXT NOT NULL,
  value ANY,
  PRIMARY KEY (run_id, kind, key)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS run_values_on_insert AFTER INSERT ON runs BEGIN
  INSERT OR REPLACE INTO run_values (run_id, kind, key, type, value)
    ${runValueRows('NEW')};
END;
CREATE TRIGGER IF NOT EXISTS run_values_on_update AFTER UPDATE OF summary ON runs BEGIN
  DELETE FROM run_values WHERE run_id = OLD.run_id;
  INSERT OR REPLACE INTO run_values (run_id, kind, key, type, value)
    ${runValueRows('NEW')};
END;
CREATE TRIGGER IF NOT EXISTS run_values_on_delete AFTER DELETE ON runs BEGIN
  DELETE FROM run_values WHERE run_id = OLD.run_id;
END;
`;

/** Fills `run_values` from the runs stored before it existed. */
export const RUN_VALUES_FILL_SQL = `INSERT OR REPLACE INTO run_values (run_id, kind, key, type, value)
  ${runValueRows('runs')}`;

export const ADDED_INDEXES_SQL = `
-- Non-finite points, few among many: GET /nonfinite reads only these.
CREATE INDEX IF NOT EXISTS points_nonfinite ON points (series, ts_ms)
  WHERE nonfinite IS NOT NULL;
-- A run's lines by time: the lines around a time (GET /runs/{runId}/logs?at=).
CREATE INDEX IF NOT EXISTS events_by_run_time ON events (run_id, ts_ms);
-- Warnings and worse, few among many: GET /problems reads only these.
CREATE INDEX IF NOT EXISTS events_problems ON events (ts_ms)
  WHERE ${PROBLEM_LEVELS_SQL};
`;
