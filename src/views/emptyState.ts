/**
 * What the panel shows before a notebook has a run: the two lines that make
 * one, as code, each with Copy and Insert cell (into the active notebook).
 */
import { Clipboard } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { addBelowIcon, copyIcon, LabIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { h, setText } from './dom';
import { defaultBundle } from './text';

/** Puts code into the active notebook; the plugin implements it with NotebookActions. */
export interface ICellInserter {
  /** Whether there is a notebook to insert into. */
  canInsert(): boolean;
  /** A new code cell below the active one, holding `code`, made active. */
  insert(code: string): void;
}

export const LOAD_EXTENSION_CODE = '%load_ext tflog';
export const RUN_CELL_CODE = '%%tflog my-run';

export class EmptyState extends Widget {
  constructor(options: {
    trans?: TranslationBundle;
    inserter?: ICellInserter | null;
  }) {
    super();
    const trans = options.trans ?? defaultBundle();
    this._trans = trans;
    this._inserter = options.inserter ?? null;
    this.addClass('jp-tflog-empty');
    this._message = h('p', {
      class: 'jp-tflog-empty-message',
      'aria-live': 'polite'
    });
    this.node.append(
      this._message,
      h('ol', { class: 'jp-tflog-empty-steps' }, [
        this._step(
          trans.__('Load tflog once per kernel:'),
          LOAD_EXTENSION_CODE,
          'load'
        ),
        this._step(
          trans.__(
            'Start your training cell with this line (the name is yours to choose):'
          ),
          RUN_CELL_CODE,
          'run'
        )
      ]),
      h('p', { class: 'jp-tflog-empty-hint' }, [
        trans.__(
          'Curves of the metrics the cell logs or prints (loss, accuracy, …) appear here while it runs.'
        )
      ])
    );
  }

  /** Say why there is nothing to show, and whether a notebook is there to insert into. */
  setMessage(message: string): void {
    setText(this._message, message);
    const enabled = this._inserter?.canInsert() ?? false;
    for (const button of this._insertButtons) {
      button.disabled = !enabled;
      button.title = enabled
        ? this._trans.__('Insert a cell with this code below the active cell')
        : this._trans.__('Open a notebook to insert this code');
    }
  }

  private _step(label: string, code: string, name: string): HTMLLIElement {
    const copy = button(copyIcon, this._trans.__('Copy'), 'copy');
    copy.title = this._trans.__('Copy to the clipboard');
    copy.addEventListener('click', () => Clipboard.copyToSystem(code));
    const insert = button(
      addBelowIcon,
      this._trans.__('Insert cell'),
      'insert'
    );
    insert.addEventListener('click', () => {
      if (this._inserter?.canInsert()) {
        this._inserter.insert(code);
      }
    });
    this._insertButtons.push(insert);
    return h('li', { 'data-step': name }, [
      h('span', { class: 'jp-tflog-empty-label' }, [label]),
      h('div', { class: 'jp-tflog-empty-code' }, [
        h('code', {}, [code]),
        h('span', { class: 'jp-tflog-empty-actions' }, [copy, insert])
      ])
    ]);
  }

  private readonly _trans: TranslationBundle;
  private readonly _inserter: ICellInserter | null;
  private readonly _message: HTMLParagraphElement;
  private readonly _insertButtons: HTMLButtonElement[] = [];
}

function button(icon: LabIcon, label: string, action: string) {
  const element = h(
    'button',
    {
      type: 'button',
      class: `jp-Button jp-mod-minimal jp-tflog-empty-${action}`,
      'aria-label': label
    },
    [icon.element({ tag: 'span', className: 'jp-tflog-empty-icon' }), label]
  );
  return element;
}
