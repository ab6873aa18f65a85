/**
 * The panel's first lines: which store is in use, the spool backlog, how
 * live updates arrive, and every problem that keeps the panel from showing
 * data (one `.jp-tflog-error` alert), so the panel is never silently blank.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { formatBytes } from '../format';
import type { LiveMode } from '../model/liveUpdates';
import type { PanelModel } from '../model/panelModel';
import type { RunModel } from '../model/runModel';
import { TflogRequestError } from '../request';
import { requestErrorText } from '../requestText';
import type { IServiceStatus } from '../tokens';
import { h, setText } from './dom';
import { defaultBundle } from './text';

/**
 * How long a service that answered before may go unanswered (a restart:
 * the proxy answers 5xx or the connection is refused) before the panel
 * reports it as an error rather than as reconnecting.
 */
export const RECONNECT_GRACE_MS = 30000;

/** A failure that a service restart causes: no service behind the proxy, or no answer at all. */
export function isTransientFailure(error: Error | null): boolean {
  return error instanceof TflogRequestError && error.unreachable;
}

function liveText(trans: TranslationBundle, mode: LiveMode): string {
  switch (mode) {
    case 'off':
      return trans.__('Live updates off');
    case 'events':
      return trans.__('Live');
    case 'polling':
      return trans.__('Polling');
  }
}

export class StatusLine extends Widget {
  constructor(model: PanelModel, trans: TranslationBundle = defaultBundle()) {
    super();
    this._model = model;
    this._trans = trans;
    this.addClass('jp-tflog-status');
    this._store = h('span', { class: 'jp-tflog-store', 'aria-live': 'polite' });
    this._backlog = h('span', { class: 'jp-tflog-backlog' });
    this._live = h('span', { class: 'jp-tflog-live' });
    this._reconnecting = h('span', { class: 'jp-tflog-reconnecting' }, [
      trans.__('Reconnecting to the tflog service…')
    ]);
    this._reconnecting.hidden = true;
    this._error = h('div', { class: 'jp-tflog-error', role: 'alert' });
    // Notes for admins (a cluster without ILM…) fold into one line: the
    // panel stays about training, and the full text is a click away.
    this._warningSummary = h('summary', {});
    this._warningText = h('div', { class: 'jp-tflog-warning-text' });
    this._warning = h('details', { class: 'jp-tflog-warning' }, [
      this._warningSummary,
      this._warningText
    ]);
    this.node.append(
      h('div', { class: 'jp-tflog-status-line' }, [
        this._store,
        this._backlog,
        this._live,
        this._reconnecting
      ]),
      this._error,
      this._warning
    );
    model.statusChanged.connect(this._render, this);
    model.runsChanged.connect(this._render, this);
    model.liveModeChanged.connect(this._render, this);
    model.runModelChanged.connect(this._onRunModelChanged, this);
    this._onRunModelChanged(model, model.runModel);
  }

  /** True while a service that answered before has failed to answer for less than RECONNECT_GRACE_MS. */
  get reconnecting(): boolean {
    return !this._reconnecting.hidden;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    const model = this._model;
    model.statusChanged.disconnect(this._render, this);
    model.runsChanged.disconnect(this._render, this);
    model.liveModeChanged.disconnect(this._render, this);
    model.runModelChanged.disconnect(this._onRunModelChanged, this);
    this._runModel?.errorChanged.disconnect(this._render, this);
    super.dispose();
  }

  private _onRunModelChanged(_: PanelModel, runModel: RunModel | null): void {
    this._runModel?.errorChanged.disconnect(this._render, this);
    this._runModel = runModel;
    runModel?.errorChanged.connect(this._render, this);
    this._render();
  }

  private _render(): void {
    const model = this._model;
    const trans = this._trans;
    const status = model.status;
    const kind = status?.storeInUse?.kind ?? status?.store?.kind;
    if (kind) {
      this._store.dataset.storeKind = kind;
    } else {
      delete this._store.dataset.storeKind;
    }
    setText(this._store, storeText(trans, status));
    setText(
      this._backlog,
      status
        ? trans._n(
            'Backlog: %1 file, %2',
            'Backlog: %1 files, %2',
            status.backlog.files,
            formatBytes(status.backlog.bytes)
          )
        : ''
    );
    // An empty backlog is normal: said in the tooltip only.
    this._backlog.hidden = !status || status.backlog.files === 0;
    this.node.title = status
      ? `${storeText(trans, status)} · ${this._backlog.textContent}`
      : '';
    setText(this._live, liveText(trans, model.liveMode));
    this._live.dataset.liveMode = model.liveMode;

    // A restart of the service (seconds of 5xx or refused connections) reads as reconnecting, not as an error.
    const transient =
      model.status !== null &&
      (model.statusError === null || isTransientFailure(model.statusError)) &&
      [model.statusError, model.runsError].some(isTransientFailure);
    const now = Date.now();
    if (!transient) {
      this._failingSince = null;
    } else if (this._failingSince === null) {
      this._failingSince = now;
    }
    const reconnecting =
      this._failingSince !== null &&
      now - this._failingSince < RECONNECT_GRACE_MS;
    this._reconnecting.hidden = !reconnecting;
    this._live.hidden = reconnecting;
    this.node.dataset.connection = reconnecting ? 'reconnecting' : 'ok';

    const errors = problems(model, this._runModel, trans, reconnecting);
    setText(this._error, errors.join('\n'));
    this._error.hidden = errors.length === 0;
    const warnings = [
      ...(status?.configWarnings ?? []),
      ...(status?.store?.degraded ?? [])
    ];
    setText(
      this._warningSummary,
      trans._n(
        '%1 note on the store and settings',
        '%1 notes on the store and settings',
        warnings.length
      )
    );
    setText(this._warningText, warnings.join('\n'));
    this._warning.title = warnings.join('\n');
    this._warning.hidden = warnings.length === 0;
  }

  private readonly _model: PanelModel;
  private readonly _trans: TranslationBundle;
  private _runModel: RunModel | null = null;
  private readonly _store: HTMLSpanElement;
  private readonly _backlog: HTMLSpanElement;
  private readonly _live: HTMLSpanElement;
  private readonly _reconnecting: HTMLSpanElement;
  private _failingSince: number | null = null;
  private readonly _error: HTMLDivElement;
  private readonly _warning: HTMLDetailsElement;
  private readonly _warningSummary: HTMLElement;
  private readonly _warningText: HTMLDivElement;
}

function storeText(
  trans: TranslationBundle,
  status: IServiceStatus | null
): string {
  if (!status) {
    return trans.__('Connecting to the tflog service…');
  }
  const inUse = status.storeInUse ?? status.store;
  if (!inUse?.kind) {
    return trans.__('No store in use');
  }
  const name =
    inUse.kind === 'elasticsearch'
      ? trans.__('Elasticsearch')
      : trans.__('Embedded store');
  const version = status.store?.version ? ` ${status.store.version}` : '';
  const health =
    status.store && !status.store.healthy
      ? ` ${trans.__('(unreachable)')}`
      : '';
  return `${name}${version}${health}`;
}

/** Everything that stops data from showing, most basic first. */
export function problems(
  model: PanelModel,
  runModel: RunModel | null,
  trans: TranslationBundle = defaultBundle(),
  hideTransient = false
) {
  const shown = (error: Error | null): error is Error =>
    error !== null && !(hideTransient && isTransientFailure(error));
  const found: string[] = [];
  if (shown(model.statusError)) {
    found.push(requestErrorText(trans, model.statusError));
  }
  const status = model.status;
  if (status && !model.statusError) {
    if (status.configError) {
      found.push(trans.__('tflog is misconfigured: %1', status.configError));
    }
    for (const error of status.configErrors) {
      if (error !== status.configError) {
        found.push(error);
      }
    }
    if (status.store && !status.store.healthy) {
      found.push(
        trans.__(
          'The store cannot be reached: %1',
          status.store.error ?? trans.__('no answer')
        )
      );
    } else if (status.state === 'retrying' && status.lastError) {
      found.push(trans.__('Storing is retrying: %1', status.lastError.message));
    }
  }
  const runsError = model.runsError;
  if (shown(runsError) && runsError.message !== model.statusError?.message) {
    found.push(
      trans.__('Runs cannot be listed: %1', requestErrorText(trans, runsError))
    );
  }
  const runError = runModel?.error ?? null;
  if (shown(runError) && runError.message !== runsError?.message) {
    found.push(
      trans.__('The run cannot be shown: %1', requestErrorText(trans, runError))
    );
  }
  return found;
}
