/**
 * The run being shown: name, status, elapsed time (ticking while it runs),
 * progress and last values. Its root `.jp-tflog-run` carries `data-run-id`
 * and `data-run-status`.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import {
  formatDuration,
  formatMetric,
  lastValuesTable,
  runElapsedMs,
  runLabel,
  runNonFinite,
  stripAnsi
} from '../format';
import { cellReference, IErrorLocation } from '../cellLocation';
import { roleLabel } from '../chartSpec';
import type { RunModel } from '../model/runModel';
import { IRunFact, notebookName, runFacts } from '../runContext';
import type { IRunSummary, MetricValue } from '../tokens';
import { h, setText } from './dom';
import { defaultBundle, epochText, nonFiniteBadge, statusText } from './text';

/** Shows the cell a failed run's error came from in its notebook. */
export type GoToCell = (location: IErrorLocation) => void;

export class RunHeader extends Widget {
  constructor(
    options: { trans?: TranslationBundle; goToCell?: GoToCell | null } = {}
  ) {
    super();
    const trans = options.trans ?? defaultBundle();
    this._trans = trans;
    this._goToCell = options.goToCell ?? null;
    this.addClass('jp-tflog-run');
    this._name = h('span', { class: 'jp-tflog-run-name' });
    this._status = h('span', {
      class: 'jp-tflog-run-status',
      'aria-live': 'polite'
    });
    this._elapsed = h('span', {
      class: 'jp-tflog-run-elapsed',
      title: trans.__('Elapsed time')
    });
    this._nonFinite = h('span', { class: 'jp-tflog-badge-nonfinite' });
    this._nonFinite.hidden = true;
    this._health = h('span', { class: 'jp-tflog-run-health' });
    this._health.hidden = true;
    this._meta = h('div', { class: 'jp-tflog-run-meta' });
    this._context = h('ul', {
      class: 'jp-tflog-run-context',
      'aria-label': trans.__('Tags and hyperparameters')
    });
    this._values = h('table', {
      class: 'jp-tflog-last-values',
      'aria-label': trans.__('Last values')
    });
    this._problem = h('div', { class: 'jp-tflog-run-problem' });
    this._errorMessage = h('div', { class: 'jp-tflog-run-error-message' });
    this._traceback = h('pre', { class: 'jp-tflog-run-traceback-text' });
    this._tracebackDetails = h('details', { class: 'jp-tflog-run-traceback' }, [
      h('summary', {}, [trans.__('Traceback')]),
      this._traceback
    ]);
    this._goToCellButton = h(
      'button',
      {
        type: 'button',
        class: 'jp-Button jp-mod-minimal jp-tflog-goto-cell',
        title: trans.__('Show the cell this run failed in')
      },
      [trans.__('Go to cell')]
    );
    this._goToCellButton.hidden = true;
    this._goToCellButton.addEventListener('click', this._onGoToCell);
    this._error = h('div', { class: 'jp-tflog-run-error' }, [
      this._errorMessage,
      this._goToCellButton,
      this._tracebackDetails
    ]);
    this._error.hidden = true;
    this.node.append(
      h('div', { class: 'jp-tflog-run-title' }, [
        this._name,
        this._status,
        this._nonFinite,
        this._health,
        this._elapsed
      ]),
      this._meta,
      this._context,
      this._values,
      this._error,
      this._problem
    );
  }

  setRunModel(runModel: RunModel | null): void {
    this._runModel?.summaryChanged.disconnect(this._render, this);
    this._runModel = runModel;
    runModel?.summaryChanged.connect(this._render, this);
    this._render();
  }

  dispose(): void {
    this._stopTicking();
    this._goToCellButton.removeEventListener('click', this._onGoToCell);
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    this._render();
  }

  protected onAfterHide(msg: Message): void {
    this._stopTicking();
  }

  private _render(): void {
    const runModel = this._runModel;
    const run = runModel?.summary ?? null;
    if (!runModel) {
      delete this.node.dataset.runId;
      delete this.node.dataset.runStatus;
      delete this.node.dataset.runNonfinite;
      this.hide();
      this._stopTicking();
      return;
    }
    this.node.dataset.runId = runModel.runId;
    this.show();
    if (!run) {
      delete this.node.dataset.runStatus;
      delete this.node.dataset.runNonfinite;
      this._nonFinite.hidden = true;
      this._error.hidden = true;
      setText(this._name, runModel.runId);
      setText(this._status, this._trans.__('loading'));
      setText(this._elapsed, '');
      setText(this._meta, '');
      this._context.replaceChildren();
      this._context.hidden = true;
      this._values.replaceChildren();
      this._values.hidden = true;
      this._problem.hidden = true;
      return;
    }
    this.node.dataset.runStatus = run.status;
    setText(this._name, runLabel(run));
    this._name.title = run.run_id;
    setText(this._status, statusText(this._trans, run.status));
    const nonFinite = runNonFinite(run);
    this._status.className = `jp-tflog-run-status jp-tflog-status-${run.status}${
      nonFinite === null ? '' : ' jp-tflog-mod-nonfinite'
    }`;
    if (nonFinite === null) {
      delete this.node.dataset.runNonfinite;
    } else {
      this.node.dataset.runNonfinite = nonFinite;
    }
    setText(
      this._nonFinite,
      nonFinite === null ? '' : nonFiniteBadge(this._trans, nonFinite)
    );
    this._nonFinite.title =
      nonFinite === null
        ? ''
        : this._trans._n(
            'This run logged %1 non-finite value (NaN or infinity)',
            'This run logged %1 non-finite values (NaN or infinity)',
            Math.max(run.counts.nan, 1)
          );
    this._nonFinite.hidden = nonFinite === null;
    this._renderHealth(run);
    this._renderElapsed(run);
    setText(this._meta, metaText(this._trans, run));
    this._meta.title = run.notebook ?? '';
    this._renderContext(run);
    this._renderValues(run);
    this._renderError(run);
    const problem = problemText(this._trans, run);
    setText(this._problem, problem);
    this._problem.hidden = problem === '';
    if (run.status === 'running' && this.isVisible) {
      this._startTicking();
    } else {
      this._stopTicking();
    }
  }

  /** The health score, its components in the tooltip (docs/alerts.md). */
  private _renderHealth(run: IRunSummary): void {
    const health = run.health;
    this._health.hidden = health === undefined;
    if (health === undefined) {
      delete this.node.dataset.runHealth;
      return;
    }
    this.node.dataset.runHealth = String(health.score);
    setText(this._health, this._trans.__('health %1', health.score));
    this._health.className = `jp-tflog-run-health jp-tflog-mod-${
      health.score >= 80 ? 'good' : health.score >= 50 ? 'fair' : 'poor'
    }`;
    const c = health.components;
    const parts: [string, number | undefined][] = [
      [this._trans.__('outcome'), c.outcome],
      [this._trans.__('stability'), c.stability],
      [this._trans.__('convergence'), c.convergence],
      [this._trans.__('final vs best'), c.final],
      [this._trans.__('errors and warnings'), c.cleanliness]
    ];
    this._health.title = [
      this._trans.__('Health score %1 of 100', health.score),
      ...parts
        .filter(([, value]) => value !== undefined)
        .map(([name, value]) => `${name}: ${value}`)
    ].join('\n');
  }

  /** Tags and hyperparameters, as `key=value` chips. */
  private _renderContext(run: IRunSummary): void {
    const facts = runFacts(run);
    this._context.hidden = facts.length === 0;
    this._context.replaceChildren(...facts.map(fact => factChip(fact)));
  }

  /** Last values, metric × train/validation, in one number format. */
  private _renderValues(run: IRunSummary): void {
    const rows = lastValuesTable(run.last_metrics);
    const validation = rows.some(row => row.validation !== undefined);
    const cell = (value: MetricValue | undefined) =>
      h(
        'td',
        value !== undefined && typeof value !== 'number'
          ? { class: 'jp-tflog-nonfinite' }
          : {},
        [value === undefined ? '' : formatMetric(value)]
      );
    this._values.hidden = rows.length === 0;
    this._values.replaceChildren(
      h('thead', {}, [
        h('tr', {}, [
          h('th', { scope: 'col' }, [this._trans.__('metric')]),
          h('th', { scope: 'col' }, [roleLabel(this._trans, 'train')]),
          validation
            ? h('th', { scope: 'col' }, [roleLabel(this._trans, 'validation')])
            : null
        ])
      ]),
      h(
        'tbody',
        {},
        rows.map(row =>
          h('tr', { 'data-metric': row.metric }, [
            h('th', { scope: 'row' }, [row.metric]),
            cell(row.train),
            validation ? cell(row.validation) : null
          ])
        )
      )
    );
  }

  /** A failed run's exception: message without terminal codes, traceback folded. */
  private _renderError(run: IRunSummary): void {
    const error = run.error;
    this._error.hidden = error === null;
    this._errorLocation = cellReference(run);
    this._goToCellButton.hidden =
      this._errorLocation === null || this._goToCell === null;
    if (error === null) {
      return;
    }
    const message = stripAnsi(error.message).trim();
    setText(
      this._errorMessage,
      message === ''
        ? stripAnsi(error.type)
        : `${stripAnsi(error.type)}: ${message}`
    );
    const traceback = stripAnsi(error.stack_trace ?? '').replace(/\s+$/, '');
    setText(this._traceback, traceback);
    this._tracebackDetails.hidden = traceback === '';
  }

  private _renderElapsed(run: IRunSummary): void {
    setText(this._elapsed, formatDuration(runElapsedMs(run, Date.now())));
  }

  private _startTicking(): void {
    if (this._ticker === null) {
      this._ticker = setInterval(() => {
        const run = this._runModel?.summary;
        if (run) {
          this._renderElapsed(run);
        }
      }, 1000);
    }
  }

  private _stopTicking(): void {
    if (this._ticker !== null) {
      clearInterval(this._ticker);
      this._ticker = null;
    }
  }

  private _onGoToCell = (): void => {
    if (this._errorLocation && this._goToCell) {
      this._goToCell(this._errorLocation);
    }
  };

  private readonly _trans: TranslationBundle;
  private readonly _goToCell: GoToCell | null;
  private readonly _goToCellButton: HTMLButtonElement;
  private _errorLocation: IErrorLocation | null = null;
  private _runModel: RunModel | null = null;
  private _ticker: ReturnType<typeof setInterval> | null = null;
  private readonly _name: HTMLSpanElement;
  private readonly _status: HTMLSpanElement;
  private readonly _elapsed: HTMLSpanElement;
  private readonly _nonFinite: HTMLSpanElement;
  private readonly _health: HTMLSpanElement;
  private readonly _error: HTMLDivElement;
  private readonly _errorMessage: HTMLDivElement;
  private readonly _traceback: HTMLPreElement;
  private readonly _tracebackDetails: HTMLDetailsElement;
  private readonly _meta: HTMLDivElement;
  private readonly _context: HTMLUListElement;
  private readonly _values: HTMLTableElement;
  private readonly _problem: HTMLDivElement;
}

function metaText(trans: TranslationBundle, run: IRunSummary): string {
  const parts: string[] = [];
  const notebook = notebookName(run.notebook);
  if (notebook) {
    parts.push(notebook);
  }
  parts.push(trans.__('started %1', new Date(run.started).toLocaleString()));
  const epoch = epochText(trans, run);
  if (epoch !== null) {
    parts.push(epoch);
  }
  if (run.last_step !== null) {
    parts.push(trans.__('step %1', run.last_step));
  }
  return parts.join(' · ');
}

function problemText(trans: TranslationBundle, run: IRunSummary): string {
  const parts: string[] = [];
  if (run.counts.nan > 0) {
    parts.push(
      trans._n('%1 non-finite value', '%1 non-finite values', run.counts.nan)
    );
  }
  if (run.dropped > 0) {
    parts.push(
      trans._n(
        '%1 record lost by the kernel',
        '%1 records lost by the kernel',
        run.dropped
      )
    );
  }
  return parts.join(' · ');
}

/** A tag or hyperparameter as a chip (`.jp-tflog-tag` or `.jp-tflog-hparam`). */
export function factChip(fact: IRunFact): HTMLLIElement {
  return h(
    'li',
    {
      class: fact.kind === 'tag' ? 'jp-tflog-tag' : 'jp-tflog-hparam',
      'data-key': fact.key,
      title: `${fact.key}=${fact.full}`
    },
    [`${fact.key}=${fact.value}`]
  );
}
