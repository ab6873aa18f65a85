/**
 * Index names, composable index templates and the ILM policy for
 * Elasticsearch, as plain request bodies (no client here, so they are
 * unit-tested as data). docs/storage.md explains the choices.
 */
import type { estypes } from '@elastic/elasticsearch';
import { isoMs } from '../common/isoTime';

/** A composable index template body, without its name. */
export type IndexTemplateBody = Omit<
  estypes.IndicesPutIndexTemplateRequest,
  'name'
>;

/**
 * Bumped when a template changes. Also in each template's
 * `_meta.tflog_version`: a service never replaces templates of a higher
 * version (a newer tflog on the same cluster installed them).
 */
export const TEMPLATE_VERSION = 6;

/** Bumped when the ILM policies change; `_meta.version` in each policy. */
export const POLICY_VERSION = 2;

export interface IIndexNames {
  logsPattern: string;
  metricsPattern: string;
  runs: string;
  logsTemplate: string;
  metricsTemplate: string;
  runsTemplate: string;
  /** The policy of the daily indices (hot, warm, cold, delete). */
  policy: string;
  /** The policy of the run summaries index (see runsLifecyclePolicy). */
  runsPolicy: string;
  /** Curve summaries (es-rollups.ts), read by id. */
  rollups: string;
}

export function indexNames(prefix: string): IIndexNames {
  return {
    logsPattern: `${prefix}logs-*`,
    metricsPattern: `${prefix}metrics-*`,
    runs: `${prefix}runs`,
    logsTemplate: `${prefix}logs`,
    metricsTemplate: `${prefix}metrics`,
    runsTemplate: `${prefix}runs`,
    policy: `${prefix}policy`,
    runsPolicy: `${prefix}runs-policy`,
    rollups: `${prefix}rollups`
  };
}

/**
 * The daily index of a time: its UTC day. An unreadable time goes to the
 * 1970.01.01 index.
 */
export function dailyIndex(
  prefix: string,
  kind: 'logs' | 'metrics',
  timestamp: string
): string {
  return `${prefix}${kind}-${utcDay(timestamp)}`;
}

const DAY_MS = 86_400_000;
/**
 * How far a routing time may lie ahead of the service's clock, and how far
 * `@timestamp` may lie from it when a document has no write time.
 */
export const MAX_CLOCK_SKEW_MS = DAY_MS;

/**
 * The last index named per kind: a batch's events and points nearly all go
 * to one index, whose name is then one string, not one per document.
 */
const lastRouted = {
  logs: { prefix: '', day: '', name: '' },
  metrics: { prefix: '', day: '', name: '' }
};

/**
 * The daily index of an event or point, chosen by its write time (`created`:
 * when the kernel wrote the record), never by a time printed in the text,
 * which `@timestamp` may be. A replayed record has the same write time, so
 * it lands in the same index and its `_id` is recognised. Bounded by the
 * service's clock `nowMs`: a write time more than MAX_CLOCK_SKEW_MS ahead
 * (a kernel clock far off) goes to today's index; without a readable write
 * time, `@timestamp` is used only within MAX_CLOCK_SKEW_MS of now, else
 * today. No printed time ever creates an index for its own day.
 */
export function routedIndex(
  prefix: string,
  kind: 'logs' | 'metrics',
  created: string | undefined,
  timestamp: string,
  nowMs: number
): string {
  const day = dayName(routingTime(created, timestamp, nowMs));
  const last = lastRouted[kind];
  if (last.prefix !== prefix || last.day !== day) {
    lastRouted[kind] = { prefix, day, name: `${prefix}${kind}-${day}` };
  }
  return lastRouted[kind].name;
}

/** The time routedIndex names the day of, milliseconds. */
export function routingTime(
  created: string | undefined,
  timestamp: string,
  nowMs: number
): number {
  const written = created === undefined ? Number.NaN : isoMs(created);
  if (!Number.isNaN(written)) {
    return written - nowMs > MAX_CLOCK_SKEW_MS ? nowMs : written;
  }
  const printed = isoMs(timestamp);
  return !Number.isNaN(printed) &&
    Math.abs(printed - nowMs) <= MAX_CLOCK_SKEW_MS
    ? printed
    : nowMs;
}

/** The last day named: a batch's events nearly all fall on one day. */
let lastDay = { number: Number.NaN, name: '' };

/** `YYYY.MM.DD` of an ISO time in UTC; 1970.01.01 when it is unreadable. */
export function utcDay(timestamp: string): string {
  const time = Date.parse(timestamp);
  return dayName(Number.isNaN(time) ? 0 : time);
}

/** `YYYY.MM.DD` of a time in milliseconds, UTC. */
export function dayName(timeMs: number): string {
  const dayNumber = Math.floor(timeMs / DAY_MS);
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
        kind: FILTER_KEYWORD,
        // The write time, which picked the daily index.
        created: DATE
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
        // A sortable copy: the tie-break of log lines across runs.
        run_id: { ...FILTER_KEYWORD, fields: { sort: KEYWORD } },
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
        part: { type: 'integer' },
        // What an alert (kind 'alert') found, and in which metric.
        alert: {
          properties: { rule: FILTER_KEYWORD, metric: FILTER_KEYWORD }
        }
      }
    }
  }
};

/** One document per metric value: names are values, never fields. */
export const METRICS_MAPPINGS: estypes.MappingTypeMapping = {
  dynamic: false,
  properties: {
    '@timestamp': DATE,
    // The write time of the point's event, which picked the daily index.
    created: DATE,
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
    // Sortable; its components and losses stay in _source.
    health: { properties: { score: { type: 'integer' } } },
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
    min_metrics: FLATTENED,
    max_metrics: FLATTENED,
    // The finite values above as numbers, one nested document per metric:
    // what sorting by a metric reads (flattened values compare as text).
    metric_sort: {
      type: 'nested',
      properties: {
        name: KEYWORD,
        last: { type: 'double' },
        min: { type: 'double' },
        max: { type: 'double' }
      }
    },
    // Ended (else last updated) minus started, for sorting by duration.
    duration_ms: LONG,
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

/**
 * The curve summaries index (es-rollups.ts): documents are read by id and
 * deleted by `tflog prune` by their last point's time; the summaries
 * themselves are stored, not indexed.
 */
export const ROLLUPS_MAPPINGS: estypes.MappingTypeMapping = {
  dynamic: 'strict',
  properties: {
    run_id: KEYWORD,
    name: KEYWORD,
    scope: KEYWORD,
    source: KEYWORD,
    level: { type: 'integer' },
    chunk: LONG,
    count: LONG,
    last_time: { type: 'date' },
    buckets: { type: 'object', enabled: false }
  }
};

export const ROLLUPS_SETTINGS: estypes.IndicesIndexSettings = {
  number_of_shards: 1,
  auto_expand_replicas: '0-1'
};

export interface ITemplateOptions {
  /** The ILM policy of the daily indices; absent when the cluster has no ILM. */
  policy?: string;
  /** The ILM policy of the run summaries index. */
  runsPolicy?: string;
}

function indexSettings(
  policy: string | undefined
): estypes.IndicesIndexSettings {
  const settings: estypes.IndicesIndexSettings = {
    number_of_shards: 1,
    // One replica when the cluster has a second node, none on a single node.
    auto_expand_replicas: '0-1',
    // Explicit, so idle shards keep refreshing and new data shows within ~1 s.
    refresh_interval: '1s'
  };
  if (policy) {
    settings['index.lifecycle.name'] = policy;
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
    _meta: {
      managed_by: 'tflog',
      tflog_version: TEMPLATE_VERSION,
      description
    }
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
      indexSettings(options.policy),
      'tflog events (daily indices)'
    ),
    [names.metricsTemplate]: template(
      prefix,
      names.metricsPattern,
      METRICS_MAPPINGS,
      indexSettings(options.policy),
      'tflog metric points (daily indices)'
    ),
    [names.runsTemplate]: template(
      prefix,
      names.runs,
      RUNS_MAPPINGS,
      indexSettings(options.runsPolicy),
      'tflog run summaries'
    )
  };
}

/** Phase ages in days; 0 turns a phase off (delete 0: kept for ever). */
export interface ILifecycleDays {
  warmDays: number;
  coldDays: number;
  deleteDays: number;
}

/** Priorities for recovery after a restart: newest indices first. */
export const PHASE_PRIORITY = { hot: 100, warm: 50, cold: 0 } as const;

/**
 * The policy of the daily indices: hot, then warm after `warmDays` (merged
 * to one segment, which also makes the index read-only, and recovered after
 * the newer ones), cold after `coldDays` (recovered last), deleted after
 * `deleteDays`. Ages count from the index's creation; no rollover, since the
 * indices are daily. Only actions of a basic-license cluster; on a cluster
 * with data tiers ILM also moves warm and cold indices to those nodes (its
 * implicit migrate action), else they stay where they are.
 */
export function lifecyclePolicy(days: ILifecycleDays): estypes.IlmPolicy {
  const phases: estypes.IlmPhases = {
    hot: {
      min_age: '0ms',
      actions: { set_priority: { priority: PHASE_PRIORITY.hot } }
    }
  };
  if (days.warmDays > 0) {
    phases.warm = {
      min_age: `${days.warmDays}d`,
      actions: {
        forcemerge: { max_num_segments: 1 },
        set_priority: { priority: PHASE_PRIORITY.warm }
      }
    };
  }
  if (days.coldDays > 0) {
    phases.cold = {
      min_age: `${days.coldDays}d`,
      actions: { set_priority: { priority: PHASE_PRIORITY.cold } }
    };
  }
  if (days.deleteDays > 0) {
    phases.delete = {
      min_age: `${days.deleteDays}d`,
      actions: { delete: {} }
    };
  }
  return {
    phases,
    _meta: {
      managed_by: 'tflog',
      version: POLICY_VERSION,
      warm_days: days.warmDays,
      cold_days: days.coldDays,
      retention_days: days.deleteDays
    }
  };
}

/**
 * The policy of the run summaries index: one index holding every run's
 * summary, so an age-based phase would act on all of them at once (a delete
 * phase would remove the summaries of current runs too). It stays hot; old
 * summaries are deleted one by one by `tflog prune` (es-prune).
 */
export function runsLifecyclePolicy(retentionDays: number): estypes.IlmPolicy {
  return {
    phases: {
      hot: {
        min_age: '0ms',
        actions: { set_priority: { priority: PHASE_PRIORITY.hot } }
      }
    },
    _meta: {
      managed_by: 'tflog',
      version: POLICY_VERSION,
      description: `run summaries; those not updated for ${retentionDays} days are deleted by tflog prune`
    }
  };
}

/**
 * The version of an installed template (`version`, else
 * `_meta.tflog_version`) or policy body (`_meta.version`: the `version` next
 * to a policy in GET _ilm/policy counts its updates, so pass the policy
 * itself); undefined when it has none (installed before versions were kept).
 */
export function installedVersion(
  item: { version?: unknown; _meta?: unknown } | undefined
): number | undefined {
  if (item === undefined) {
    return undefined;
  }
  if (typeof item.version === 'number') {
    return item.version;
  }
  const meta = item._meta;
  if (typeof meta === 'object' && meta !== null) {
    const fields = meta as Record<string, unknown>;
    for (const value of [fields.tflog_version, fields.version]) {
      if (typeof value === 'number') {
        return value;
      }
    }
  }
  return undefined;
}

/**
 * Why this service must leave an installed template or policy as it is (a
 * newer tflog installed a higher version), or null when it may put its own.
 */
export function newerInstalled(
  what: string,
  installed: number | undefined,
  ours: number,
  pronoun: 'them' | 'it' = 'them'
): string | null {
  if (installed === undefined || installed <= ours) {
    return null;
  }
  return `${what} version ${installed} installed by a newer tflog; this one (${ours}) leaves ${pronoun}`;
}
