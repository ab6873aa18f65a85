/**
 * The status bar item: the run in progress with its epoch and loss; a
 * click (or Enter) opens the Training panel. Hidden while nothing runs.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { formatMetric, runLabel } from '../format';
import { trainingIcon } from '../icons';
import type { ActiveRunModel } from '../model/activeRun';
import type { IRunSummary } from '../tokens';
import { h, setText } from './dom';
import { defaultBundle, epochText } from './text';

/** `mnist · epoch 3/10 · loss 0.1235`: what the run has of name, epoch and loss. */
export function statusBarText(
  run: IRunSummary,
  trans: TranslationBundle = defaultBundle()
): string {
  const parts = [runLabel(run)];
  const epoch = epochText(trans, run);
  if (epoch !== null) {
    parts.push(epoch);
  }
  const loss = run.last_metrics.loss;
  if (loss !== undefined) {
    parts.push(trans.__('loss %1', formatMetric(loss)));
  }
  return parts.join(' · ');
}

export class StatusBarItem extends Widget {
  constructor(options: {
    model: ActiveRunModel;
    onOpen: () => void;
    trans?: TranslationBundle;
  }) {
    super();
    this._trans = options.trans ?? defaultBundle();
    this._model = options.model;
    this._onOpen = options.onOpen;
    this.addClass('jp-tflog-statusbar');
    this.node.setAttribute('role', 'button');
    this.node.tabIndex = 0;
    this._text = h('span', { class: 'jp-tflog-statusbar-text' });
    const icon = h('span', { class: 'jp-tflog-statusbar-icon' });
    trainingIcon.element({ container: icon, height: '14px', width: '14px' });
    this.node.append(icon, this._text);
    this.node.addEventListener('click', this._open);
    this.node.addEventListener('keydown', this._onKeyDown);
    this._model.changed.connect(this._render, this);
    this._render();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.node.removeEventListener('click', this._open);
    this.node.removeEventListener('keydown', this._onKeyDown);
    this._model.changed.disconnect(this._render, this);
    super.dispose();
  }

  private _render(): void {
    const run = this._model.run;
    if (run === null) {
      delete this.node.dataset.runId;
      setText(this._text, '');
      this.node.title = '';
      return;
    }
    const text = statusBarText(run, this._trans);
    this.node.dataset.runId = run.run_id;
    setText(this._text, text);
    this.node.title = this._trans.__(
      'Training: %1. Click to open the Training panel.',
      text
    );
    this.node.setAttribute('aria-label', this.node.title);
  }

  private _open = (): void => {
    this._onOpen();
  };

  private _onKeyDown = (event: KeyboardEvent): void => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      this._onOpen();
    }
  };

  private readonly _trans: TranslationBundle;
  private readonly _model: ActiveRunModel;
  private readonly _onOpen: () => void;
  private readonly _text: HTMLSpanElement;
}
