import type { Client, estypes } from '@elastic/elasticsearch';

import { createLogger } from '../../src/common/logger';
import {
  RollupWriter,
  roundIntervalMs
} from '../../src/store/es-rollup-writer';
import type { IStoredRollup } from '../../src/store/es-rollups';
import type { IMetricPoint } from '../../src/types';
import { lossPoint } from '../documents';

function point(step: number): IMetricPoint {
  return lossPoint('run-a', step, {
    _id: `run-a:${step}`,
    '@timestamp': new Date(
      Date.UTC(2026, 0, 31, 10) + step * 100
    ).toISOString(),
    notebook: null,
    scope: 'batch',
    epoch: undefined,
    step,
    value: step / 10
  });
}

/** An Elasticsearch stand-in for the writer's two calls, holding documents by id. */
class FakeRollupIndex {
  readonly calls: string[] = [];
  readonly docs = new Map<string, { source: IStoredRollup; seqNo: number }>();
  /** Ids whose next conditional write another writer wins (409). */
  readonly beatenOnce = new Set<string>();

  asClient(): Client {
    const mget = async (
      request: estypes.MgetRequest
    ): Promise<estypes.MgetResponse<IStoredRollup>> => {
      const ids = (request.ids ?? []) as string[];
      this.calls.push(`mget ${ids.length}`);
      return {
        docs: ids.map(id => {
          const doc = this.docs.get(id);
          return doc
            ? {
                _index: 'rollups',
                _id: id,
                found: true,
                _seq_no: doc.seqNo,
                _primary_term: 1,
                _source: doc.source
              }
            : { _index: 'rollups', _id: id, found: false };
        })
      };
    };
    // Bulk writes go through the transport with an encoded body (es-bulk.ts).
    const bulk = async (request: {
      bulkBody?: unknown;
    }): Promise<estypes.BulkResponse> => {
      const operations = String(request.bulkBody)
        .split('\n')
        .filter(line => line !== '')
        .map(line => JSON.parse(line) as unknown);
      this.calls.push(`bulk ${operations.length / 2}`);
      const items: estypes.BulkResponse['items'] = [];
      for (let index = 0; index < operations.length; index += 2) {
        const action = operations[index] as {
          create?: { _id: string };
          index?: { _id: string; if_seq_no: number };
        };
        const source = operations[index + 1] as IStoredRollup;
        const id = action.create?._id ?? action.index?._id ?? '';
        const stored = this.docs.get(id);
        const conflict =
          this.beatenOnce.delete(id) ||
          (action.create !== undefined && stored !== undefined) ||
          (action.index !== undefined &&
            stored?.seqNo !== action.index.if_seq_no);
        if (conflict) {
          items.push({ index: { _index: 'rollups', status: 409 } });
        } else {
          const seqNo = (stored?.seqNo ?? 0) + 1;
          this.docs.set(id, { source, seqNo });
          items.push({
            index: {
              _index: 'rollups',
              status: 200,
              _seq_no: seqNo,
              _primary_term: 1
            }
          });
        }
      }
      return { took: 1, errors: false, items };
    };
    return { mget, transport: { request: bulk } } as unknown as Client;
  }

  /** Points counted per level, over every stored document. */
  counts(): number[] {
    const byLevel = new Map<number, number>();
    for (const { source } of this.docs.values()) {
      byLevel.set(
        source.level,
        (byLevel.get(source.level) ?? 0) + source.count
      );
    }
    return [...byLevel.values()];
  }
}

describe('the curve summaries writer', () => {
  const logger = createLogger('error');

  it('merges the batches that arrive during a round into the next one', async () => {
    const index = new FakeRollupIndex();
    const writer = new RollupWriter(index.asClient(), 'rollups', 'es', logger);
    writer.add([point(0), point(1)]);
    await writer.flush();
    // Within a second of that round: the next waits and takes all three.
    writer.add([point(2)]);
    await new Promise(resolve => setImmediate(resolve));
    writer.add([point(3)]);
    await new Promise(resolve => setImmediate(resolve));
    writer.add([point(4)]);
    await writer.flush();
    expect(index.calls).toEqual(['mget 5', 'bulk 5', 'mget 5', 'bulk 5']);
    // Every point once on each of its five widths (it has no epoch).
    expect(index.counts()).toEqual([5, 5, 5, 5, 5]);
  });

  it('spaces rounds out when they write many documents', async () => {
    jest.useFakeTimers({ now: Date.UTC(2026, 0, 31, 10) });
    try {
      const index = new FakeRollupIndex();
      const writer = new RollupWriter(
        index.asClient(),
        'rollups',
        'es',
        logger
      );
      // 100 live runs: a document per level of each run's series.
      const runs = Array.from({ length: 100 }, (_, run) => `run-${run}`);
      writer.add(runs.map(run => ({ ...point(0), run_id: run })));
      await jest.advanceTimersByTimeAsync(0);
      expect(index.calls).toEqual(['mget 500', 'bulk 500']);
      writer.add(runs.map(run => ({ ...point(1), run_id: run })));
      await jest.advanceTimersByTimeAsync(4900);
      expect(index.calls).toHaveLength(2);
      await jest.advanceTimersByTimeAsync(100);
      expect(index.calls).toEqual([
        'mget 500',
        'bulk 500',
        'mget 500',
        'bulk 500'
      ]);
      expect(index.counts()).toEqual([200, 200, 200, 200, 200]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('keeps a live run to about one round a second, and any run to one in ten seconds', () => {
    expect(roundIntervalMs(5)).toBe(1000);
    expect(roundIntervalMs(100)).toBe(1000);
    expect(roundIntervalMs(250)).toBe(2500);
    expect(roundIntervalMs(50_000)).toBe(10_000);
  });

  it('reads and merges again when another writer wrote a document since', async () => {
    const index = new FakeRollupIndex();
    const writer = new RollupWriter(index.asClient(), 'rollups', 'es', logger);
    writer.add([point(0)]);
    await writer.flush();
    for (const id of index.docs.keys()) {
      index.beatenOnce.add(id);
    }
    writer.add([point(1)]);
    await writer.flush();
    // Read, written, refused; read again, written.
    expect(index.calls).toEqual([
      'mget 5',
      'bulk 5',
      'mget 5',
      'bulk 5',
      'mget 5',
      'bulk 5'
    ]);
    expect(index.counts()).toEqual([2, 2, 2, 2, 2]);
  });
});
