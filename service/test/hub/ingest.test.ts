/**
 * The hub's write path with a store that keeps daily indices: a replayed
 * item whose write time was too old is filed under today, where its id is
 * unknown, so it is looked up among the stored ones first.
 */
import { HubIngest } from '../../src/hub/ingest';
import { RunOwners } from '../../src/hub/owners';
import { UserQuotas } from '../../src/hub/quota';
import type { IRunOwnerStore, IWriteBatch } from '../../src/store/store';
import { logEvent, lossPoint } from '../documents';
import { FakeStore, memoryLogger } from '../ship/fakes';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const LAST_WEEK = '2026-11-29T12:00:00.000Z';

/** A store whose daily indices already hold `stored` (ids), from another day. */
class DailyIndexStore extends FakeStore {
  readonly asked: string[][] = [];

  constructor(private readonly stored: Set<string>) {
    super();
  }

  async storedIds(
    kind: 'documents' | 'points',
    ids: string[]
  ): Promise<Set<string>> {
    this.asked.push([kind, ...ids]);
    return new Set(ids.filter(id => this.stored.has(id)));
  }
}

const everyRunMine: IRunOwnerStore = {
  claimRuns: async (user, runIds) => new Map(runIds.map(id => [id, user]))
};

function ingestInto(store: DailyIndexStore): HubIngest {
  return new HubIngest({
    store,
    owners: new RunOwners(everyRunMine),
    quotas: new UserQuotas({ docsPerSecond: 0, bytesPerDay: 0 }),
    logger: memoryLogger().logger,
    now: () => NOW
  });
}

describe('HubIngest and replays of old records', () => {
  it('does not store again an item with an old write time that is stored already', async () => {
    const store = new DailyIndexStore(new Set(['r:1', 'r:1:loss']));
    const batch: IWriteBatch = {
      documents: [
        logEvent('r', 1, { created: LAST_WEEK }),
        logEvent('r', 2, { created: LAST_WEEK }),
        logEvent('r', 3, { created: '2026-12-06T11:59:00.000Z' })
      ],
      points: [lossPoint('r', 1, { created: LAST_WEEK })],
      runs: []
    };
    const result = await ingestInto(store).ingest(
      'alice',
      JSON.parse(JSON.stringify(batch)),
      1000
    );
    expect(result).toMatchObject({ created: 2, duplicates: 2, rejected: [] });
    expect([...store.documents.keys()].sort()).toEqual(['r:2', 'r:3']);
    expect(store.points.size).toBe(0);
    // Only the items filed under today were looked up.
    expect(store.asked).toEqual([
      ['documents', 'r:1', 'r:2'],
      ['points', 'r:1:loss']
    ]);
  });
});
