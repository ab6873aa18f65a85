import {
  FALLBACK_ERROR_TYPE,
  fallbackDocument,
  pointFallbackDocument
} from '../../src/ship/fallback';
import type { IMetricPoint, ITflogDocument } from '../../src/types';

const CREATED = '2026-12-01T10:00:00.000Z';

function original(): ITflogDocument {
  return {
    _id: 'run-1:7',
    '@timestamp': '2000-01-01T00:00:00.000Z',
    message: 'printed in 2000',
    log: { level: 'info' },
    event: {
      dataset: 'tflog.stream',
      sequence: 7,
      kind: 'event',
      created: CREATED
    },
    user: { name: 'alice' },
    host: { name: 'h' },
    process: { pid: 1 },
    service: { name: 'tflog' },
    ecs: { version: '8.11.0' },
    labels: {},
    tflog: {
      run_id: 'run-1',
      run_name: null,
      notebook: null,
      kernel_id: null,
      source: 'tflog',
      kind: 'log'
    }
  };
}

describe('stand-ins for refused items', () => {
  it("keep the original's write time, so they land in the same daily index", () => {
    const standIn = fallbackDocument(original(), 'mapper_parsing_exception');
    expect(standIn.event.created).toBe(CREATED);
    expect(standIn['@timestamp']).toBe('2000-01-01T00:00:00.000Z');
    expect(standIn.error?.type).toBe(FALLBACK_ERROR_TYPE);
  });

  it("keep a point's write time too", () => {
    const point: IMetricPoint = {
      _id: 'run-1:7:loss',
      '@timestamp': '2000-01-01T00:00:00.000Z',
      created: CREATED,
      run_id: 'run-1',
      notebook: null,
      user: 'alice',
      name: 'loss',
      value: 1,
      scope: 'epoch',
      source: 'callback'
    };
    expect(pointFallbackDocument(point, 'refused').event.created).toBe(CREATED);
  });

  it('leave out a write time that is not a time', () => {
    const bad = original();
    bad.event.created = 'yesterday';
    expect(fallbackDocument(bad, 'refused').event.created).toBeUndefined();
  });
});
