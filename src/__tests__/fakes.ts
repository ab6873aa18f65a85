/** Fakes for model tests: a scripted client and a controllable EventSource. */
import { ServerConnection } from '@jupyterlab/services';

import { chooseMetric, metricUnion } from '../model/compareData';
import { LiveUpdates } from '../model/liveUpdates';
import type {
  EventSourceFactory,
  IEventSourceLike,
  ResyncReason
} from '../model/liveUpdates';
import { seriesRank } from '../../service/src/store/compare-common';
import { selectSeries } from '../model/series';
import type {
  IAlertThresholdsResponse,
  ICompareQuery,
  ICompareResponse,
  ICrossRunQuery,
  IErrorCountPage,
  ILogPage,
  ILogQuery,
  ILogSearchQuery,
  ILogTemplate,
  IMetricHit,
  IMetricHitPage,
  INonfinitePage,
  INonfiniteRun,
  IPointsQuery,
  IProblemsAnswer,
  IProblemsQuery,
  IRunErrorCount,
  IRunPage,
  IRunEvent,
  IRunQuery,
  IRankedSeries,
  IRunSummary,
  ISeries,
  ISeriesPoint,
  ISeriesQuery,
  ISeriesResponse,
  IServiceStatus,
  ITflogClient,
  ITflogDocument,
  SeriesAxis
} from '../tokens';

export function summary(overrides: Partial<IRunSummary> = {}): IRunSummary {
  return {
    run_id: 'run-1',
    name: 'mnist',
    status: 'running',
    notebook: 'train.ipynb',
    kernel_id: null,
    user: 'alice',
    host: 'node-1',
    tags: {},
    hparams: {},
    started: '2026-01-31T10:00:00.000Z',
    ended: null,
    updated: '2026-01-31T10:05:00.000Z',
    last_metrics: {},
    last_epoch: null,
    last_step: null,
    counts: { events: 0, errors: 0, warnings: 0, nan: 0 },
    error: null,
    dropped: 0,
    ...overrides
  };
}

/** A whole `/status` answer, as the service sends it. */
export function serviceStatus(
  overrides: Partial<IServiceStatus> = {}
): IServiceStatus {
  return {
    apiVersion: 1,
    version: '0.1.0',
    user: 'alice',
    configError: null,
    state: 'running',
    startedAt: '2026-01-31T09:00:00.000Z',
    spoolDir: '/home/alice/.local/share/jupyter/tflog/spool',
    stateDir: '/home/alice/.local/share/jupyter/tflog/state',
    storeInUse: { kind: 'embedded', location: '/tmp/x' },
    backlog: { files: 0, bytes: 0 },
    lastError: null,
    lastRejection: null,
    counters: {
      recordsRead: 0,
      documentsStored: 0,
      duplicates: 0,
      rejected: 0,
      fallbackDocuments: 0,
      retries: 0,
      batches: 0,
      invalidLines: 0,
      invalidUtf8Lines: 0,
      truncatedLines: 0,
      parseFailures: 0,
      cappedRecords: 0,
      overwrittenStates: 0,
      spoolFilesDeleted: 0
    },
    configErrors: [],
    configWarnings: [],
    standby: null,
    store: {
      kind: 'embedded',
      location: '/tmp/x',
      healthy: true,
      degraded: []
    },
    api: {
      requests: 0,
      clientErrors: 0,
      serverErrors: 0,
      events: { clients: 0, sent: 0, dropped: 0, refused: 0 }
    },
    ...overrides
  };
}

export function points(xs: number[], y = (x: number) => 1 / (x + 1)) {
  return xs.map((x): ISeriesPoint => ({
    x,
    y: y(x),
    time: new Date(x * 1000).toISOString()
  }));
}

/** Series as the service serves them: ranked by its own rule for the axis asked for. */
export function ranked(
  list: readonly ISeries[],
  axis: SeriesAxis = 'step'
): IRankedSeries[] {
  return list.map(line => ({ ...line, rank: seriesRank(line, axis) }));
}

export function series(
  name: string,
  pts: ISeriesPoint[],
  overrides: Partial<ISeries> = {}
): ISeries {
  return {
    name,
    scope: 'batch',
    source: 'callback',
    points: pts,
    downsampled: false,
    ...overrides
  };
}

/**
 * A client over an in-memory run: `series()` answers the points after
 * `after`, like the service does.
 */
export class FakeClient implements ITflogClient {
  readonly serverSettings = ServerConnection.makeSettings({
    baseUrl: 'http://localhost/'
  });
  run_: IRunSummary = summary();
  allSeries: ISeries[] = [];
  runsByNotebook = new Map<string | undefined, IRunSummary[]>();
  statusAnswer: IServiceStatus | Error = new Error('no status set');
  seriesFailure: Error | null = null;
  seriesQueries: ISeriesQuery[] = [];
  runQueries: IRunQuery[] = [];

  sentThresholds: Record<string, unknown>[] = [];

  alertThresholds(): Promise<IAlertThresholdsResponse> {
    return Promise.reject(new Error('no alert thresholds in the fake'));
  }

  setAlertThresholds(
    override: Record<string, unknown>
  ): Promise<IAlertThresholdsResponse> {
    this.sentThresholds.push(override);
    return Promise.reject(new Error('no alert thresholds in the fake'));
  }

  status(): Promise<IServiceStatus> {
    return this.statusAnswer instanceof Error
      ? Promise.reject(this.statusAnswer)
      : Promise.resolve(this.statusAnswer);
  }

  runs(query: IRunQuery = {}): Promise<IRunPage> {
    this.runQueries.push(query);
    const runs = this.runsByNotebook.get(query.notebook) ?? [];
    return Promise.resolve({ runs, total: runs.length });
  }

  /** Runs answered by `run(id)`; any other id gets `run_` under that id. */
  runsById = new Map<string, IRunSummary>();
  runRequests: string[] = [];

  run(runId: string): Promise<IRunSummary> {
    this.runRequests.push(runId);
    return Promise.resolve(
      this.runsById.get(runId) ?? { ...this.run_, run_id: runId }
    );
  }

  series(runId: string, query: ISeriesQuery): Promise<ISeriesResponse> {
    this.seriesQueries.push(query);
    if (this.seriesFailure) {
      return Promise.reject(this.seriesFailure);
    }
    const after =
      typeof query.after === 'string' ? Date.parse(query.after) : query.after;
    const answer = this.allSeries
      .map(s => ({
        ...s,
        points: s.points.filter(p => after === undefined || p.x > after)
      }))
      .filter(s => s.points.length > 0);
    return Promise.resolve({
      run: this.run_,
      series: ranked(answer, query.axis)
    });
  }

  compareQueries: ICompareQuery[] = [];

  /**
   * Answered from `series()` of each run, choosing as the service does; a
   * run whose `series()` is refused is one the service does not have.
   */
  async compare(query: ICompareQuery): Promise<ICompareResponse> {
    this.compareQueries.push(query);
    const read = await Promise.all(
      query.runIds.map(runId =>
        this.series(runId, {
          axis: query.axis,
          maxPoints: query.maxPoints
        }).then(
          answer => {
            const drawn = selectSeries(answer.series);
            const metrics = drawn.map(line => line.name);
            return { runId, summary: answer.run, metrics, series: drawn };
          },
          () => ({ runId, summary: null, metrics: [], series: [] })
        )
      )
    );
    const metric = chooseMetric(metricUnion(read), query.metric ?? null);
    return {
      metric,
      runs: read.map(run => ({
        run_id: run.runId,
        run: run.summary,
        metrics: metricUnion([run]),
        series: run.series.find(line => line.name === metric) ?? null
      }))
    };
  }

  /** Lines answered by `logs()` and `searchLogs()`, and what was asked. */
  logLines: ITflogDocument[] = [];
  logQueries: { runId: string | null; query: ILogQuery | ILogSearchQuery }[] =
    [];

  logs(runId: string, query: ILogQuery = {}): Promise<ILogPage> {
    this.logQueries.push({ runId, query });
    const lines = this.logLines.filter(line => line.tflog.run_id === runId);
    return Promise.resolve({ lines, total: lines.length });
  }

  searchLogs(query: ILogSearchQuery = {}): Promise<ILogPage> {
    this.logQueries.push({ runId: null, query });
    return Promise.resolve({
      lines: this.logLines,
      total: this.logLines.length
    });
  }

  /** Answers of the cross-run queries, and what was asked. */
  pointHits: IMetricHit[] = [];
  nonfiniteRuns: INonfiniteRun[] = [];
  errorCountRuns: IRunErrorCount[] = [];
  crossRunQueries: (IPointsQuery | ICrossRunQuery)[] = [];

  points(query: IPointsQuery): Promise<IMetricHitPage> {
    this.crossRunQueries.push(query);
    return Promise.resolve({ points: this.pointHits });
  }

  nonfinite(query: ICrossRunQuery = {}): Promise<INonfinitePage> {
    this.crossRunQueries.push(query);
    return Promise.resolve({ runs: this.nonfiniteRuns });
  }

  errorCounts(query: ICrossRunQuery = {}): Promise<IErrorCountPage> {
    this.crossRunQueries.push(query);
    return Promise.resolve({
      runs: this.errorCountRuns,
      total: this.errorCountRuns.length
    });
  }

  /** Templates answered by `problems()`, and what was asked. */
  problemTemplates: ILogTemplate[] = [];
  problemQueries: IProblemsQuery[] = [];

  problems(query: IProblemsQuery = {}): Promise<IProblemsAnswer> {
    this.problemQueries.push(query);
    return Promise.resolve({
      templates: this.problemTemplates,
      events: this.problemTemplates.reduce((sum, item) => sum + item.count, 0),
      sampled: false
    });
  }

  eventsUrl(): string {
    return 'http://localhost/tflog/api/v1/events';
  }
}

export class FakeEventSource implements IEventSourceLike {
  static created: FakeEventSource[] = [];
  readyState = 0;
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  closed = false;

  constructor(readonly url: string) {
    FakeEventSource.created.push(this);
  }

  send(data: unknown): void {
    this.readyState = 1;
    this.onmessage?.(
      new MessageEvent('message', {
        data: typeof data === 'string' ? data : JSON.stringify(data)
      })
    );
  }

  fail(closed: boolean): void {
    this.readyState = closed ? 2 : 0;
    this.onerror?.(new Event('error'));
  }

  close(): void {
    this.closed = true;
    this.readyState = 2;
  }
}

export const EVENTS_URL = 'http://lab/tflog/api/v1/events';

/** Two followers of one stream factory, as the panel and the alerts are. */
export function panelAndAlerts(open: EventSourceFactory) {
  return ['panel', 'alerts'].map(name => {
    const live = new LiveUpdates({
      url: EVENTS_URL,
      intervalMs: 1000,
      reconnectMs: 5000,
      createEventSource: open
    });
    const runs: string[] = [];
    const resyncs: ResyncReason[] = [];
    live.runUpdated.connect((_, event: IRunEvent) => runs.push(event.run_id));
    live.resync.connect((_, reason) => resyncs.push(reason));
    return { name, live, runs, resyncs };
  });
}
