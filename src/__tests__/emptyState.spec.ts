import { Clipboard } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import {
  EmptyState,
  ICellInserter,
  LOAD_EXTENSION_CODE,
  RUN_CELL_CODE
} from '../views/emptyState';

class FakeInserter implements ICellInserter {
  notebookOpen = true;
  inserted: string[] = [];
  canInsert(): boolean {
    return this.notebookOpen;
  }
  insert(code: string): void {
    this.inserted.push(code);
  }
}

function buttons(state: EmptyState, action: 'copy' | 'insert') {
  return [
    ...state.node.querySelectorAll<HTMLButtonElement>(
      `button.jp-tflog-empty-${action}`
    )
  ];
}

describe('EmptyState', () => {
  it('shows the two lines that make a run, as code', () => {
    const state = new EmptyState({});
    const code = [...state.node.querySelectorAll('code')].map(
      element => element.textContent
    );
    expect(code).toEqual(['%load_ext tflog', '%%tflog my-run']);
  });

  it('inserts each line into the active notebook', () => {
    const inserter = new FakeInserter();
    const state = new EmptyState({ inserter });
    Widget.attach(state, document.body);
    state.setMessage('No runs yet for train.ipynb.');
    const [load, run] = buttons(state, 'insert');
    expect(load.disabled).toBe(false);
    load.click();
    run.click();
    expect(inserter.inserted).toEqual([LOAD_EXTENSION_CODE, RUN_CELL_CODE]);
    expect(
      state.node.querySelector('.jp-tflog-empty-message')?.textContent
    ).toBe('No runs yet for train.ipynb.');
    state.dispose();
  });

  it('offers no insertion without a notebook', () => {
    const inserter = new FakeInserter();
    inserter.notebookOpen = false;
    const state = new EmptyState({ inserter });
    state.setMessage('No notebook is open.');
    const [load] = buttons(state, 'insert');
    expect(load.disabled).toBe(true);
    load.click();
    expect(inserter.inserted).toEqual([]);
  });

  it('copies a line to the clipboard', () => {
    const copy = jest
      .spyOn(Clipboard, 'copyToSystem')
      .mockImplementation(() => undefined);
    const state = new EmptyState({});
    buttons(state, 'copy')[0].click();
    expect(copy).toHaveBeenCalledWith('%load_ext tflog');
    copy.mockRestore();
  });
});
