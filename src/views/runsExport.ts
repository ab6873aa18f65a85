/**
 * History view's Export buttons: every run matching the filters (all pages,
 * up to MAX_EXPORTED_RUNS) downloaded as CSV or JSON for a hyperparameter
 * search.
 */
import { Notification } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';

import { ExportFormat, exportFileName } from '../model/compareExport';
import type { IHistoryFilters } from '../model/historyView';
import {
  MAX_EXPORTED_RUNS,
  readAllRuns,
  runRow,
  runsExport
} from '../model/runsExport';
import { requestErrorText } from '../requestText';
import type { ITflogClient } from '../tokens';
import { downloadFile } from './compare';

const MIME_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv',
  json: 'application/json'
};

/** Read the runs, offer the file; a failure or a cut list is told in a notification. */
export async function exportHistoryRuns(
  client: Pick<ITflogClient, 'runs'>,
  filters: IHistoryFilters,
  format: ExportFormat,
  trans: TranslationBundle
): Promise<void> {
  try {
    const read = await readAllRuns(client, filters);
    downloadFile(
      runsExport(read.runs.map(runRow), format),
      exportFileName(`tflog-runs-${read.runs.length}`, format),
      MIME_TYPES[format]
    );
    if (read.truncated) {
      Notification.warning(
        trans.__(
          'Only the newest %1 of %2 runs were exported: narrow the filters to export the others.',
          MAX_EXPORTED_RUNS,
          read.total
        ),
        { autoClose: false }
      );
    }
  } catch (error) {
    Notification.error(
      trans.__('Cannot export the runs: %1', requestErrorText(trans, error)),
      { autoClose: false }
    );
  }
}
