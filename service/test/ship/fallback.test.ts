import {
  FALLBACK_ERROR_TYPE,
  fallbackDocument,
  pointFallbackDocument
} from '../../src/ship/fallback';
import type { ITflogDocument } from '../../src/types';
import { logEvent, lossPoint } from '../documents';

const CREATED = '2026-12-01T10:00:00.000Z';

function original(): ITflogDocument {
  const document = logEvent('run-1', 7, {
    message: 'printed in 2000',
    timestamp: '2000-01-01T00:00:00.000Z',
    created: CREATED
  });
  document.event.dataset = 'tflog.stream';
  return document;
}

describe('stand-ins for refused items', () => {
  it("keep the original's write time, so they land in the same daily index", () => {
    const standIn = fallbackDocument(original(), 'mapper_parsing_exception');
    expect(standIn.event.created).toBe(CREATED);
    expect(standIn['@timestamp']).toBe('2000-01-01T00:00:00.000Z');
    expect(standIn.error?.type).toBe(FALLBACK_ERROR_TYPE);
  });

  it("keep a point's write time too", () => {
    const point = lossPoint('run-1', 7, {
      '@timestamp': '2000-01-01T00:00:00.000Z',
      created: CREATED,
      value: 1
    });
    expect(pointFallbackDocument(point, 'refused').event.created).toBe(CREATED);
  });

  it('leave out a write time that is not a time', () => {
    const bad = original();
    bad.event.created = 'yesterday';
    expect(fallbackDocument(bad, 'refused').event.created).toBeUndefined();
  });
});
