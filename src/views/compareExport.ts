/**
 * A comparison's Export buttons: every series of every run compared, read
 * again in full and downloaded as CSV or JSON; runs that could not be read
 * are told in a notification, never left out silently.
 */
import { Notification } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';

import {
  ExportFormat,
  exportFileName,
  exportRows,
  toCsv,
  toJson
} from '../model/compareExport';
import type { CompareModel } from '../model/compareModel';
import { requestErrorText } from '../requestText';
import { comparedRunErrorText, downloadFile } from './compare';

const MIME_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv',
  json: 'application/json'
};

/**
 * Read every metric of the runs and offer the file. When no run could be
 * read nothing is downloaded (the file would hold a header only); when
 * some could not, the file holds the others and a warning names them.
 */
export async function exportComparison(
  model: CompareModel,
  format: ExportFormat,
  trans: TranslationBundle,
  download: typeof downloadFile = downloadFile
): Promise<void> {
  if (!model.current) {
    Notification.info(
      trans.__('The runs are still being read; export again in a moment.'),
      { autoClose: 5000 }
    );
    return;
  }
  try {
    await readAndDownload(model, format, trans, download);
  } catch (error) {
    console.error('tflog: cannot export the comparison', error);
    Notification.error(
      trans.__(
        'Cannot export the comparison: %1',
        requestErrorText(trans, error)
      ),
      { autoClose: false }
    );
  }
}

async function readAndDownload(
  model: CompareModel,
  format: ExportFormat,
  trans: TranslationBundle,
  download: typeof downloadFile
): Promise<void> {
  const axis = model.view.axis;
  // The view holds the drawn metric only: an export reads every metric.
  const runs = await model.readAllSeries();
  const failed = runs.flatMap(run =>
    run.error === null ? [] : [{ runId: run.runId, error: run.error }]
  );
  if (failed.length === runs.length && failed.length > 0) {
    console.error(
      'tflog: no run of the comparison could be read for the export',
      failed
    );
    Notification.error(
      trans._n(
        'Nothing was exported: run %2 could not be read (%3).',
        'Nothing was exported: none of the %1 runs could be read (first reason: %3).',
        failed.length,
        failed[0].runId,
        comparedRunErrorText(trans, failed[0].error)
      ),
      { autoClose: false }
    );
    return;
  }
  const rows = exportRows(runs, axis);
  download(
    format === 'csv' ? toCsv(rows, axis) : toJson(rows, axis),
    exportFileName(`tflog-compare-${model.runIds.length}-runs`, format),
    MIME_TYPES[format]
  );
  if (failed.length > 0) {
    console.warn('tflog: runs left out of the comparison export', failed);
    Notification.warning(
      trans._n(
        'The export lacks run %2: it could not be read (%3).',
        'The export lacks %1 runs that could not be read: %2 (first reason: %3).',
        failed.length,
        failed.map(run => run.runId).join(', '),
        comparedRunErrorText(trans, failed[0].error)
      ),
      { autoClose: false }
    );
  }
}
