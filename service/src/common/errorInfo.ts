/**
 * The error of a run's end record as the wire carries it (IErrorInfo): the
 * parser puts it in the run_end document, the shipper in the run summary.
 */
import type { IErrorInfo } from '../wire';

/** A cell id longer than this is not JupyterLab's (a UUID): left out. */
const MAX_CELL_ID_CHARS = 200;

function text(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  return value === undefined || value === null ? '' : String(value);
}

/**
 * The known fields of an end record's error, of the right type (the cell
 * the run ran in, when the kernel knew it), or null without an error.
 */
export function endErrorInfo(value: unknown): IErrorInfo | null {
  if (typeof value !== 'object' || value === null) {
    return null;
  }
  const error = value as Record<string, unknown>;
  const cellId = error.cell_id;
  const count = error.execution_count;
  return {
    type: text(error.type) || 'Error',
    message: text(error.message),
    ...(typeof error.stack_trace === 'string'
      ? { stack_trace: error.stack_trace }
      : {}),
    ...(typeof cellId === 'string' &&
    cellId !== '' &&
    cellId.length <= MAX_CELL_ID_CHARS
      ? { cell_id: cellId }
      : {}),
    ...(typeof count === 'number' && Number.isInteger(count) && count > 0
      ? { execution_count: count }
      : {})
  };
}
