/**
 * Index names, composable index templates and the ILM policy for
 * Elasticsearch, as plain request bodies (no client here, so they are
 * unit-tested as data). docs/storage.md explains the choices.
 */
import type { estypes } from '@elastic/elasticsearch';

/** A composable index template body, without its name. */
export type IndexTemplateBody = Omit<
  estypes.IndicesPutIndexTemplateRequest,
  'name'
>;

/** Bumped when a template changes, so admins can tell which one is installed. */
export const TEMPLATE_VERSION = 2;

export interface IIndexNames {
  logsPattern: string;
  metricsPattern: string;
  runs: string;
  logsTemplate: string;
  metricsTemplate: string;
  runsTemplate: string;
  policy: string;
}

export function indexNames(prefix: string): IIndexNames {
  return {
    logsPattern: `${prefix}logs-*`,
    metricsPattern: `${prefix}metrics-*`,
    runs: `${prefix}runs`,
    logsTemplate: `${prefix}logs`,
    metricsTemplate: `${prefix}metrics`,
    runsTemplate: `${prefix}runs`,
    policy: `${prefix}policy`
  };
}

/**
 * The daily index of an event: the UTC day of its own `@timestamp`, so a
 * replayed event lands in the same index as the first time and its `_id`
 * is recognised. An unreadable time goes to the 1970.01.01 index.
 */
export function dailyIndex(
  prefix: string,
  kind: 'logs' | 'metrics',
  timestamp: string
): string {
  return `${prefix}${kind}-${utcDay(timestamp)}`;
}

const DAY_MS = 86_400_000;
/** The last day named: a batch's events nearly all fall on one day. */
let lastDay = { number: Number.NaN, name: '' };

/** `YYYY.MM.DD` of an ISO time in UTC; 1970.01.01 when it is unreadable. */
export function utcDay(timestamp: string): string {
  const time = Date.parse(timestamp);
  const dayNumber = Number.isNaN(time) ? 0 : Math.floor(time / DAY_MS);
  if (dayNumber !== lastDay.number) {
    const name = new Date(dayNumber * DAY_MS)
      .toISOString()
      .slice(0, 10)
      .replace(/-/g, '.');
    lastDay = { number: dayNumber, name };
  }
  return lastDay.name;
}

/**
 * Template priority: longer prefixes get higher priorities, so the templates
 * of two prefixes (e.g. `tflog-` and `tflog-test-`) never overlap at equal
 * priority (which Elasticsearch refuses), and beat the built-in `logs-*-*`
 * and `metrics-*-*` templates (priority 100).
 */
export function templatePriority(prefix: string): number {
  return 200 + prefix.length;
}

type MappingProperties = Record<string, estypes.MappingProperty>;

const KEYWORD: estypes.MappingProperty = {
  type: 'keyword',
  ignore_above: 1024
};
/**
 * Filtered on (a term query) but never sorted or aggregated by tflog: no
 * doc values, which only sorts and aggregations read and every write pays.
 */
const FILTER_KEYWORD: estypes.MappingProperty = {
  ...KEYWORD,
  doc_values: false
};
const LONG: estypes.MappingProperty = { type: 'long' };
/** Kept for display and range queries on doc values; no index of its own. */
const UNINDEXED_LONG: estypes.MappingProperty = { type: 'long', index: false };
const DATE: estypes.MappingProperty = { type: 'date' };
/** Searched as words, never scored by length: log order is the sort. */
const SEARCHED_TEXT: estypes.MappingProperty = { type: 'text', norms: false };
/** Stored for display, never searched: no index, no doc values. */
const STORED_TEXT: estypes.MappingProperty = { type: 'text', index: false };
const FLATTENED: estypes.MappingProperty = {
  type: 'flattened',
  ignore_above: 1024
};
/**
 * A flattened copy kept in `_source` only: the same values are searched as
 * metric point documents. Same type as before, so older daily indices and
 * newer ones never conflict in an index pattern.
 */
const UNINDEXED_FLATTENED: estypes.MappingProperty = {
  ...FLATTENED,
  index: false,
  doc_values: false
};

const ERROR_PROPERTIES: MappingProperties = {
  type: KEYWORD,
  message: SEARCHED_TEXT,
  stack_trace: STORED_TEXT
};

/**
 * ECS event documents; training fields under `tflog`. The log view filters
 * on run, level and kind, searches `message` and sorts on sequence and part
 * (es-queries); other identifiers stay searchable by term.
 */
export const LOGS_MAPPINGS: estypes.MappingTypeMapping = {
  dynamic: false,
  properties: {
    '@timestamp': DATE,
    message: SEARCHED_TEXT,
    log: { properties: { level: FILTER_KEYWORD, logger: FILTER_KEYWORD } },
    event: {
      properties: {
        dataset: FILTER_KEYWORD,
        sequence: LONG,
        kind: FILTER_KEYWORD
      }
    },
    error: {
      properties: { ...ERROR_PROPERTIES, type: FILTER_KEYWORD }
    },
    user: { properties: { name: FILTER_KEYWORD } },
    host: { properties: { name: FILTER_KEYWORD } },
    process: { properties: { pid: UNINDEXED_LONG } },
    service: { properties: { name: FILTER_KEYWORD } },
    ecs: { properties: { version: FILTER_KEYWORD } },
    // Tags are user-defined keys: flattened keeps them to one mapped field.
    labels: FLATTENED,
    tflog: {
      properties: {
        run_id: FILTER_KEYWORD,
        run_name: FILTER_KEYWORD,
        notebook: FILTER_KEYWORD,
        kernel_id: FILTER_KEYWORD,
        source: FILTER_KEYWORD,
        kind: FILTER_KEYWORD,
        pattern: FILTER_KEYWORD,
        epoch: UNINDEXED_LONG,
        epochs_total: UNINDEXED_LONG,
        step: UNINDEXED_LONG,
        steps_total: UNINDEXED_LONG,
        // Metric names are open-ended: one flattened field, never one per name.
        metrics: UNINDEXED_FLATTENED,
        nonfinite: UNINDEXED_FLATTENED,
        hparams: FLATTENED,
        status: FILTER_KEYWORD,
        raw: STORED_TEXT,
        partial: { type: 'boolean' },
        // Position of the event among those of its spool record (log order).
        part: { type: 'integer' }
      }
    }
  }
};

/** One document per metric value: names are values, never fields. */
export const METRICS_MAPPINGS: estypes.MappingTypeMapping = {
  dynamic: false,
  properties: {
    '@timestamp': DATE,
    run_id: KEYWORD,
    // Not read by the series queries; kept searchable by term.
    notebook: FILTER_KEYWORD,
    user: FILTER_KEYWORD,
    name: KEYWORD,
    value: { type: 'double' },
    nonfinite: KEYWORD,
    step: LONG,
    epoch: LONG,
    scope: KEYWORD,
    source: KEYWORD
  }
};

export const RUNS_MAPPINGS: estypes.MappingTypeMapping = {
  dynamic: false,
  properties: {
    run_id: KEYWORD,
    name: KEYWORD,
    status: KEYWORD,
    notebook: KEYWORD,
    kernel_id: KEYWORD,
    user: KEYWORD,
    host: KEYWORD,
    tags: FLATTENED,
    hparams: FLATTENED,
    started: DATE,
    ended: DATE,
    updated: DATE,
    last_metrics: FLATTENED,
    last_epoch: LONG,
    last_step: LONG,
    counts: {
      properties: {
        events: LONG,
        errors: LONG,
        warnings: LONG,
        nan: LONG
      }
    },
    error: { properties: ERROR_PROPERTIES },
    dropped: LONG,
    // Name, notebook and tags as plain strings for free-text search.
    search_text: KEYWORD
  }
};

export interface ITemplateOptions {
  /** The ILM policy to reference; absent when the cluster has no ILM. */
  policy?: string;
}

function indexSettings(
  options: ITemplateOptions
): estypes.IndicesIndexSettings {
  const settings: estypes.IndicesIndexSettings = {
    number_of_shards: 1,
    // One replica when the cluster has a second node, none on a single node.
    auto_expand_replicas: '0-1',
    // Explicit, so idle shards keep refreshing and new data shows within ~1 s.
    refresh_interval: '1s'
  };
  if (options.policy) {
    settings['index.lifecycle.name'] = options.policy;
  }
  return settings;
}

function template(
  prefix: string,
  pattern: string,
  mappings: estypes.MappingTypeMapping,
  settings: estypes.IndicesIndexSettings,
  description: string
): IndexTemplateBody {
  return {
    index_patterns: [pattern],
    priority: templatePriority(prefix),
    version: TEMPLATE_VERSION,
    template: { settings, mappings },
    _meta: { managed_by: 'tflog', description }
  };
}

/** Bodies of the three composable index templates, by template name. */
export function indexTemplates(
  prefix: string,
  options: ITemplateOptions
): Record<string, IndexTemplateBody> {
  const names = indexNames(prefix);
  return {
    [names.logsTemplate]: template(
      prefix,
      names.logsPattern,
      LOGS_MAPPINGS,
      indexSettings(options),
      'tflog events (daily indices)'
    ),
    [names.metricsTemplate]: template(
      prefix,
      names.metricsPattern,
      METRICS_MAPPINGS,
      indexSettings(options),
      'tflog metric points (daily indices)'
    ),
    // Run summaries are few and kept: no lifecycle policy.
    [names.runsTemplate]: template(
      prefix,
      names.runs,
      RUNS_MAPPINGS,
      indexSettings({}),
      'tflog run summaries'
    )
  };
}

/**
 * Daily indices are deleted `retentionDays` after they were created; no
 * rollover, since the indices are already daily. 0 keeps them for ever.
 */
export function lifecyclePolicy(retentionDays: number): estypes.IlmPolicy {
  const phases: estypes.IlmPhases = {
    hot: { min_age: '0ms', actions: { set_priority: { priority: 100 } } }
  };
  if (retentionDays > 0) {
    phases.delete = {
      min_age: `${retentionDays}d`,
      actions: { delete: {} }
    };
  }
  return {
    phases,
    _meta: { managed_by: 'tflog', retention_days: retentionDays }
  };
}
