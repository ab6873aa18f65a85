import type { IStore } from '../../src/store/store';
import type {
  IMetricPoint,
  IRunSummary,
  ITflogDocument
} from '../../src/types';

export interface IContractData {
  documents?: ITflogDocument[];
  points?: IMetricPoint[];
  runs: IRunSummary[];
}

/**
 * Writes a contract's data, each run summary at version 1, and fails with
 * what the store answered when it refuses or defers any of it.
 */
export async function writeAccepted(
  store: IStore,
  data: IContractData,
  what: string
): Promise<void> {
  const result = await store.write({
    documents: data.documents ?? [],
    points: data.points ?? [],
    runs: data.runs,
    runVersions: Object.fromEntries(data.runs.map(run => [run.run_id, 1]))
  });
  if (result.rejected.length > 0 || result.retry !== undefined) {
    throw new Error(`the store refused the ${what}: ${JSON.stringify(result)}`);
  }
}
