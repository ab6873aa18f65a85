import { DatabaseSync } from 'node:sqlite';

import { encodeCursor } from '../../src/store/cursor';
import {
  errorCountSql,
  logSearchSql,
  nonfiniteSql,
  problemSql,
  thresholdCursor,
  thresholdSql,
  toErrorCountPage,
  toLogSearchPage,
  toMetricHit,
  toNonfiniteRun,
  toProblemEvents,
  type IFoundPointRow
} from '../../src/store/embedded-findings';
import {
  ADDED_INDEXES_SQL,
  NO_STEP,
  SCHEMA_SQL
} from '../../src/store/embedded-schema';
import { PROBLEM_EVENTS_CAP, StoreQueryError } from '../../src/store/store';
import type { SqlValue } from '../../src/store/embedded-sql';

/** SQL with its whitespace folded, to compare clauses. */
function flat(sql: string): string {
  return sql.replace(/\s+/g, ' ');
}

const row: IFoundPointRow = {
  run_id: 'r1',
  run_name: 'mnist',
  notebook: 'work/train.ipynb',
  metric: 'loss',
  scope: 'batch',
  source: 'keras',
  step_key: NO_STEP,
  epoch: null,
  ts_ms: Date.parse('2026-01-31T10:03:00Z'),
  value: 2.5,
  nonfinite: null,
  time_text: null
};

describe('threshold SQL', () => {
  it('compares the stored numbers, for the user’s runs, in Elasticsearch’s order', () => {
    const { sql, params } = thresholdSql({
      user: 'alice',
      metric: 'loss',
      bounds: { gte: 2, lt: 3 },
      from: '2026-01-31T00:00:00.000Z',
      to: '2026-02-01T00:00:00.000Z',
      runIds: ['r1'],
      notebooks: ['a.ipynb', 'b.ipynb'],
      scope: 'epoch',
      size: 10
    });
    expect(flat(sql)).toContain(
      'WHERE r.user_name = ? AND p.ts_ms >= ? AND p.ts_ms < ? AND r.notebook IN (?, ?) AND s.name = ? AND p.value >= ? AND p.value < ? AND s.run_id IN (?) AND s.scope = ?'
    );
    expect(flat(sql)).toContain(
      'ORDER BY p.ts_ms, s.run_id, p.step_key, s.scope, s.source, p.key LIMIT ?'
    );
    expect(params).toEqual([
      'alice',
      Date.parse('2026-01-31T00:00:00Z'),
      Date.parse('2026-02-01T00:00:00Z'),
      'a.ipynb',
      'b.ipynb',
      'loss',
      2,
      3,
      'r1',
      'epoch',
      11
    ]);
  });

  it('continues after the sort values of the last row', () => {
    const after = thresholdCursor(row);
    expect(after).toBe(
      encodeCursor([row.ts_ms, 'r1', NO_STEP, 'batch', 'keras'])
    );
    const { sql, params } = thresholdSql({
      user: 'alice',
      metric: 'loss',
      bounds: { gt: 0 },
      size: 1,
      after
    });
    expect(flat(sql)).toContain(
      'AND (p.ts_ms, s.run_id, p.step_key, s.scope, s.source) > (?, ?, ?, ?, ?)'
    );
    expect(params).toEqual([
      'alice',
      'loss',
      0,
      row.ts_ms,
      'r1',
      NO_STEP,
      'batch',
      'keras',
      2
    ]);
    expect(() =>
      thresholdSql({
        user: 'alice',
        metric: 'loss',
        bounds: { gt: 0 },
        size: 1,
        after: encodeCursor(['r1'])
      })
    ).toThrow(StoreQueryError);
  });

  it('matches nothing for an empty list of notebooks or runs', () => {
    const { sql } = thresholdSql({
      user: 'alice',
      metric: 'loss',
      bounds: { gt: 0 },
      notebooks: [],
      runIds: [],
      size: 1
    });
    expect(flat(sql)).toContain('r.user_name = ? AND 0 AND s.name = ?');
    expect(flat(sql)).toContain('p.value > ? AND 0');
  });

  it('answers points as Elasticsearch does', () => {
    expect(toMetricHit(row)).toEqual({
      run_id: 'r1',
      run_name: 'mnist',
      notebook: 'work/train.ipynb',
      metric: 'loss',
      scope: 'batch',
      value: 2.5,
      step: null,
      epoch: null,
      time: '2026-01-31T10:03:00.000Z'
    });
    // A stored time that is not the ISO form of its milliseconds is kept.
    expect(
      toMetricHit({
        ...row,
        step_key: 4,
        time_text: '2026-01-31T12:03:00+02:00'
      })
    ).toMatchObject({ step: 4, time: '2026-01-31T12:03:00+02:00' });
  });
});

describe('non-finite SQL', () => {
  it('ranks each run’s non-finite points and keeps the first, runs by id descending', () => {
    const { sql, params } = nonfiniteSql({
      user: 'alice',
      metric: 'loss',
      size: 5,
      after: encodeCursor(['r9'])
    });
    expect(flat(sql)).toContain(
      'PARTITION BY s.run_id ORDER BY p.ts_ms, p.step_key, s.name, s.scope, s.source, p.key'
    );
    expect(flat(sql)).toContain(
      'WHERE r.user_name = ? AND p.nonfinite IS NOT NULL AND s.name = ? AND s.run_id < ?'
    );
    expect(flat(sql)).toContain('WHERE place = 1 ORDER BY run_id DESC LIMIT ?');
    expect(flat(sql)).toContain('FROM points p CROSS JOIN series s');
    expect(params).toEqual(['alice', 'loss', 'r9', 6]);
    expect(
      toNonfiniteRun({ ...row, value: null, nonfinite: '-Infinity' })
    ).toMatchObject({ run_id: 'r1', value: '-Infinity' });
  });
});

describe('query plans', () => {
  it('reads only the non-finite points for /nonfinite, through their index', () => {
    const db = new DatabaseSync(':memory:');
    try {
      db.exec(SCHEMA_SQL);
      db.exec(ADDED_INDEXES_SQL);
      const { sql, params } = nonfiniteSql({
        user: 'alice',
        from: '2026-01-31T00:00:00.000Z',
        size: 5
      });
      const plan = db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...params)
        .map(row => String((row as { detail: string }).detail));
      expect(plan).toContain('SCAN p USING INDEX points_nonfinite');
      expect(plan.some(step => /^SCAN p$|points_by_time/.test(step))).toBe(
        false
      );
    } finally {
      db.close();
    }
  });

  it('reads a time range of each of the metric’s curves for /points', () => {
    const db = new DatabaseSync(':memory:');
    try {
      db.exec(SCHEMA_SQL);
      db.exec(ADDED_INDEXES_SQL);
      const { sql, params } = thresholdSql({
        user: 'alice',
        metric: 'loss',
        bounds: { gt: 2 },
        from: '2026-01-31T00:00:00.000Z',
        to: '2026-02-01T00:00:00.000Z',
        size: 5
      });
      const plan = db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...params)
        .map(row => String((row as { detail: string }).detail));
      expect(plan).toContain(
        'SEARCH p USING INDEX points_by_time (series=? AND ts_ms>? AND ts_ms<?)'
      );
    } finally {
      db.close();
    }
  });
});

describe('error count SQL', () => {
  it('filters like a run list, keeps runs with errors or warnings, pages by the sort', () => {
    const { count, page } = errorCountSql({
      user: 'alice',
      from: '2026-01-31T00:00:00.000Z',
      size: 2,
      after: encodeCursor([3, 1, 1769853780000, 'r1'])
    });
    expect(flat(count.sql)).toContain('WHERE (errors > 0 OR warnings > 0)');
    expect(count.params).toEqual(['alice', Date.parse('2026-01-31T00:00:00Z')]);
    expect(flat(page.sql)).toContain(
      'ORDER BY errors DESC, warnings DESC, started_ms DESC, run_id ASC LIMIT ?'
    );
    expect(page.params).toEqual([
      'alice',
      Date.parse('2026-01-31T00:00:00Z'),
      3,
      3,
      1,
      1,
      1769853780000,
      1769853780000,
      'r1',
      3
    ]);
  });

  it('reads rows into a page whose cursor is the last row’s sort values', () => {
    const summary = JSON.stringify({
      name: 'mnist',
      notebook: 'a.ipynb',
      status: 'failed',
      started: '2026-01-31T10:03:00.000Z'
    });
    const rows = [
      { run_id: 'r1', started_ms: 5, errors: 2, warnings: 0, summary },
      { run_id: 'r2', started_ms: 4, errors: 1, warnings: 0, summary }
    ];
    expect(toErrorCountPage(rows, 9, 1)).toEqual({
      runs: [
        {
          run_id: 'r1',
          name: 'mnist',
          notebook: 'a.ipynb',
          status: 'failed',
          started: '2026-01-31T10:03:00.000Z',
          errors: 2,
          warnings: 0
        }
      ],
      total: 9,
      next: encodeCursor([2, 0, 5, 'r1'])
    });
    expect(toErrorCountPage(rows, 2, 2).next).toBeUndefined();
  });
});

describe('problem events SQL', () => {
  it('reads the user’s warnings and errors, newest first as Elasticsearch sorts them', () => {
    const { sql, params } = problemSql({
      user: 'alice',
      levels: ['warning', 'error'],
      from: '2026-01-31T00:00:00.000Z',
      to: '2026-02-01T00:00:00.000Z',
      notebooks: ['a.ipynb'],
      size: 10
    });
    expect(flat(sql)).toContain(
      "FROM events e CROSS JOIN runs r ON r.run_id = e.run_id WHERE e.level IN ('warning', 'error', 'critical', 'fatal') AND r.user_name = ? AND e.level IN (?, ?, ?, ?) AND e.ts_ms >= ? AND e.ts_ms < ? AND r.notebook IN (?)"
    );
    expect(flat(sql)).toContain(
      'ORDER BY e.ts_ms DESC, e.seq DESC, e.part DESC, e.run_id LIMIT ?'
    );
    expect(params).toEqual([
      'alice',
      'warning',
      'error',
      'critical',
      'fatal',
      Date.parse('2026-01-31T00:00:00Z'),
      Date.parse('2026-02-01T00:00:00Z'),
      'a.ipynb',
      PROBLEM_EVENTS_CAP + 1
    ]);
    const warnings = problemSql({
      user: 'alice',
      levels: ['warning'],
      size: 1
    });
    expect(warnings.params).toEqual([
      'alice',
      'warning',
      PROBLEM_EVENTS_CAP + 1
    ]);
    expect(
      flat(
        problemSql({ user: 'a', levels: ['error'], notebooks: [], size: 1 }).sql
      )
    ).toContain('AND 0');
  });

  it('is sampled only past the cap', () => {
    const event = {
      message: 'Loss became NaN',
      level: 'error',
      run_id: 'r1',
      time: '2026-01-31T10:00:00.000Z'
    };
    const full = new Array<typeof event>(PROBLEM_EVENTS_CAP).fill(event);
    expect(toProblemEvents(full)).toEqual({ events: full, sampled: false });
    const over = toProblemEvents([...full, event]);
    expect(over.sampled).toBe(true);
    expect(over.events).toHaveLength(PROBLEM_EVENTS_CAP);
  });

  it('reads only warnings and worse, through their index, newest first', () => {
    const db = new DatabaseSync(':memory:');
    try {
      db.exec(SCHEMA_SQL);
      db.exec(ADDED_INDEXES_SQL);
      for (const query of [
        { user: 'alice', levels: ['warning', 'error'] as const, size: 5 },
        {
          user: 'alice',
          levels: ['error'] as const,
          from: '2026-01-31T00:00:00.000Z',
          to: '2026-02-01T00:00:00.000Z',
          size: 5
        }
      ]) {
        const { sql, params } = problemSql({
          ...query,
          levels: [...query.levels]
        });
        const plan = db
          .prepare(`EXPLAIN QUERY PLAN ${sql}`)
          .all(...params)
          .map(row => String((row as { detail: string }).detail));
        expect(plan[0]).toMatch(
          /^(SCAN e USING INDEX events_problems|SEARCH e USING INDEX events_problems \(ts_ms>\? AND ts_ms<\?\))$/
        );
        expect(plan).toContain('SEARCH r USING PRIMARY KEY (run_id=?)');
        expect(plan.some(step => /events_by_time|^SCAN e$/.test(step))).toBe(
          false
        );
      }
    } finally {
      db.close();
    }
  });
});

describe('log search', () => {
  it('filters the user’s lines and pages after the last one, newest first', () => {
    const cursor = encodeCursor([1000, 5, 1, 'run-a']);
    const { count, page } = logSearchSql({
      user: 'alice',
      levels: ['ERROR'],
      kinds: ['error'],
      text: 'out of memory',
      runIds: ['run-a', 'run-b'],
      notebooks: ['work/train.ipynb'],
      from: '2026-01-31T00:00:00.000Z',
      size: 2,
      after: cursor
    });
    const filters = [
      'alice',
      'run-a',
      'run-b',
      Date.parse('2026-01-31T00:00:00.000Z'),
      'work/train.ipynb',
      'error',
      'error',
      '"out" "of" "memory"'
    ];
    expect(count.params).toEqual([...filters, 10_001]);
    expect(page.params).toEqual([
      ...filters,
      1000,
      1000,
      5,
      5,
      1,
      1,
      'run-a',
      3
    ]);
    expect(page.sql).toContain(
      'ORDER BY e.ts_ms DESC, e.seq DESC, e.part DESC, e.run_id ASC'
    );
    expect(() =>
      logSearchSql({ user: 'alice', size: 2, after: encodeCursor([1, 2]) })
    ).toThrow(StoreQueryError);
  });

  it('counts matches up to the cap and one more, never all of them', () => {
    const { count } = logSearchSql({ user: 'alice', text: 'loss', size: 5 });
    expect(flat(count.sql)).toMatch(
      /^SELECT count\(\*\) AS total FROM \(SELECT 1 FROM .* LIMIT \?\)$/
    );
    expect(count.params).toEqual(['alice', '"loss"', 10_001]);
  });

  it('reads the lines of a common word in time order, sorting none of them', () => {
    const db = new DatabaseSync(':memory:');
    try {
      db.exec(SCHEMA_SQL);
      db.exec(ADDED_INDEXES_SQL);
      const { page, pageByTime } = logSearchSql({
        user: 'alice',
        text: 'checkpoint',
        size: 5
      });
      const plan = (query: { sql: string; params: SqlValue[] }) =>
        db
          .prepare(`EXPLAIN QUERY PLAN ${query.sql}`)
          .all(...query.params)
          .map(row => String((row as { detail: string }).detail));
      expect(plan(pageByTime)).toContain('SCAN e USING INDEX events_by_time');
      expect(
        plan(pageByTime).some(step =>
          /USING TEMP B-TREE FOR ORDER BY/.test(step)
        )
      ).toBe(false);
      expect(pageByTime.params).toEqual(page.params);
    } finally {
      db.close();
    }
  });

  it('reads newest first through the index of lines by time', () => {
    const db = new DatabaseSync(':memory:');
    try {
      db.exec(SCHEMA_SQL);
      db.exec(ADDED_INDEXES_SQL);
      const { page } = logSearchSql({ user: 'alice', size: 5 });
      const plan = db
        .prepare(`EXPLAIN QUERY PLAN ${page.sql}`)
        .all(...page.params)
        .map(row => String((row as { detail: string }).detail));
      expect(
        plan.some(step => /USING TEMP B-TREE FOR ORDER BY/.test(step))
      ).toBe(false);
    } finally {
      db.close();
    }
  });

  it('gives a cursor of the last line shown when more follow', () => {
    const row = (runId: string, seq: number) => ({
      ts_ms: 1000,
      seq,
      part: 0,
      run_id: runId,
      document: JSON.stringify({ _id: `${runId}:${seq}` })
    });
    const page = toLogSearchPage([row('a', 2), row('b', 1)], 7, 1);
    expect(page.lines).toEqual([{ _id: 'a:2' }]);
    expect(page.total).toBe(7);
    expect(page.next).toBe(encodeCursor([1000, 2, 0, 'a']));
    expect(toLogSearchPage([row('a', 2)], 1, 1).next).toBeUndefined();
    expect(toLogSearchPage([row('a', 2)], 10_001, 1).total).toBe(10_000);
  });
});
