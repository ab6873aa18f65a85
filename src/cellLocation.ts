/**
 * Where a failed run's error came from: the notebook and the cell the
 * kernel recorded (its id, else its execution count), and how to find that
 * cell among a notebook's cells.
 */
import type { IRunSummary } from './tokens';

/** A cell as the kernel named it. */
export interface ICellReference {
  cellId?: string;
  executionCount?: number;
}

/** The notebook and cell of a run's error, for "Go to cell". */
export interface IErrorLocation extends ICellReference {
  notebook: string;
}

/** What findCellIndex needs of a notebook's cell. */
export interface ICellFacts {
  id: string;
  type: string;
  executionCount: number | null;
}

/** The notebook and cell a run's error came from; null when unknown. */
export function cellReference(run: IRunSummary): IErrorLocation | null {
  const error = run.error;
  if (run.notebook === null || error === null) {
    return null;
  }
  if (error.cell_id === undefined && error.execution_count === undefined) {
    return null;
  }
  return {
    notebook: run.notebook,
    ...(error.cell_id === undefined ? {} : { cellId: error.cell_id }),
    ...(error.execution_count === undefined
      ? {}
      : { executionCount: error.execution_count })
  };
}

/**
 * The index of the referenced cell: by id (stable across edits and
 * reruns), else the code cell with that execution count (the id is unknown
 * to kernels that do not get it); -1 when none matches.
 */
export function findCellIndex(
  cells: readonly ICellFacts[],
  reference: ICellReference
): number {
  if (reference.cellId !== undefined) {
    const byId = cells.findIndex(cell => cell.id === reference.cellId);
    if (byId >= 0) {
      return byId;
    }
  }
  if (reference.executionCount !== undefined) {
    return cells.findIndex(
      cell =>
        cell.type === 'code' && cell.executionCount === reference.executionCount
    );
  }
  return -1;
}
