import { createLogger } from '../../src/common/logger';
import {
  MAX_PENDING_ALERTS,
  StallAlertWriter
} from '../../src/alerts/stallWrites';
import type { IStore, IWriteBatch, IWriteResult } from '../../src/store/store';
import { logEvent } from '../documents';

/** A store whose writes answer as `answer` says, recording each batch. */
function storeAnswering(answer: (batch: IWriteBatch) => IWriteResult): {
  store: IStore;
  written: string[][];
} {
  const written: string[][] = [];
  const store = {
    write: async (batch: IWriteBatch) => {
      written.push(batch.documents.map(document => document._id));
      return answer(batch);
    }
  } as unknown as IStore;
  return { store, written };
}

function writer(): { writer: StallAlertWriter; lines: string[] } {
  const lines: string[] = [];
  return {
    writer: new StallAlertWriter(
      createLogger('debug', line => lines.push(line))
    ),
    lines
  };
}

const stored = (batch: IWriteBatch): IWriteResult => ({
  created: batch.documents.length,
  duplicates: 0,
  rejected: []
});

describe('StallAlertWriter', () => {
  it('writes the alerts a failed write kept, with the next ones', async () => {
    const { writer: alerts, lines } = writer();
    let down = true;
    const { store, written } = storeAnswering(batch => {
      if (down) {
        throw new Error('no living connections');
      }
      return stored(batch);
    });
    await expect(alerts.write(store, [logEvent('r1', 1)])).rejects.toThrow(
      'no living connections'
    );
    expect(alerts.pending).toBe(1);
    down = false;
    await alerts.write(store, [logEvent('r2', 1)]);
    expect(written).toEqual([['r1:1'], ['r1:1', 'r2:1']]);
    expect(alerts.pending).toBe(0);
    expect(lines).toEqual([]);
  });

  it('writes again only what the store could not take now, and logs what it refused', async () => {
    const { writer: alerts, lines } = writer();
    let first = true;
    const { store, written } = storeAnswering(batch => {
      if (!first) {
        return stored(batch);
      }
      first = false;
      return {
        created: 1,
        duplicates: 0,
        rejected: [{ id: 'r3:1', reason: 'mapper_parsing_exception' }],
        retry: [
          {
            kind: 'document',
            id: 'r2:1',
            reason: '429 es_rejected_execution_exception'
          }
        ]
      };
    });
    await alerts.write(store, [
      logEvent('r1', 1),
      logEvent('r2', 1),
      logEvent('r3', 1)
    ]);
    expect(alerts.pending).toBe(1);
    await alerts.write(store, []);
    expect(written).toEqual([['r1:1', 'r2:1', 'r3:1'], ['r2:1']]);
    expect(lines.join('\n')).toMatch(
      /1 stall alert\(s\) not stored now \(429 es_rejected_execution_exception\)/
    );
    expect(lines.join('\n')).toMatch(
      /stall alert r3:1 refused by the store: mapper_parsing_exception/
    );
  });

  it('keeps at most MAX_PENDING_ALERTS, and says how many it dropped', async () => {
    const { writer: alerts, lines } = writer();
    const { store } = storeAnswering(() => {
      throw new Error('down');
    });
    const many = Array.from({ length: MAX_PENDING_ALERTS + 5 }, (_, n) =>
      logEvent('r', n)
    );
    await expect(alerts.write(store, many)).rejects.toThrow('down');
    expect(alerts.pending).toBe(MAX_PENDING_ALERTS);
    expect(lines.join('\n')).toMatch(/5 stall alert\(s\) dropped/);
  });
});
