import { cellReference, findCellIndex } from '../cellLocation';
import { summary } from './fakes';

const cells = [
  { id: 'md-1', type: 'markdown', executionCount: null },
  { id: 'a', type: 'code', executionCount: 3 },
  { id: 'b', type: 'code', executionCount: 7 },
  { id: 'c', type: 'code', executionCount: null }
];

describe('findCellIndex', () => {
  it('finds the cell by its id', () => {
    expect(findCellIndex(cells, { cellId: 'b', executionCount: 3 })).toBe(2);
  });

  it('falls back to the execution count when the id is unknown or missing', () => {
    expect(findCellIndex(cells, { cellId: 'gone', executionCount: 3 })).toBe(1);
    expect(findCellIndex(cells, { executionCount: 7 })).toBe(2);
  });

  it('is -1 when neither matches', () => {
    expect(findCellIndex(cells, { cellId: 'gone', executionCount: 9 })).toBe(
      -1
    );
    expect(findCellIndex(cells, {})).toBe(-1);
  });

  it('never takes a markdown cell for an execution count', () => {
    expect(
      findCellIndex([{ id: 'x', type: 'markdown', executionCount: 3 }], {
        executionCount: 3
      })
    ).toBe(-1);
  });
});

describe('cellReference', () => {
  it('is the notebook and cell of a failed run’s error', () => {
    expect(
      cellReference(
        summary({
          status: 'failed',
          notebook: 'work/train.ipynb',
          error: {
            type: 'ValueError',
            message: 'boom',
            cell_id: 'b',
            execution_count: 7
          }
        })
      )
    ).toEqual({
      notebook: 'work/train.ipynb',
      cellId: 'b',
      executionCount: 7
    });
  });

  it('is null without a notebook, an error, or a cell in it', () => {
    const error = { type: 'E', message: 'm', cell_id: 'b' };
    expect(cellReference(summary({ notebook: null, error }))).toBeNull();
    expect(cellReference(summary({ error: null }))).toBeNull();
    expect(
      cellReference(summary({ error: { type: 'E', message: 'm' } }))
    ).toBeNull();
  });
});
