/**
 * Alerts as JupyterLab notifications: the service's rules found something
 * wrong in a live run (NaN, divergence, a plateau, a stall, a burst of
 * errors). Each comes once, names the notebook, run and step, and offers
 * "Show in panel" and "Interrupt kernel"; a setting interrupts the kernel by
 * itself on a non-finite loss. The event stream stays open while Lab is, so
 * alerts come with the panel closed too.
 */
import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import type { Kernel } from '@jupyterlab/services';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';

import { MessageLoop } from '@lumino/messaging';
import type { Widget } from '@lumino/widgets';

import { alertText } from '../alertText';
import { AlertCenter } from '../model/alertCenter';
import { ThresholdsSync } from '../model/alertThresholds';
import { LiveUpdates } from '../model/liveUpdates';
import { TflogRequestError } from '../request';
import { requestErrorText } from '../requestText';
import { IAlert, ITflogClient } from '../tokens';
import { PANEL_ID } from '../views/panel';
import { TRANSLATION_DOMAIN } from '../views/text';
import { OPEN_PANEL_COMMAND } from './panel';

/** The stream is what matters here; polling only keeps it trying. */
const RECONNECT_POLL_MS = 60_000;

interface IAlertSettings {
  notify: boolean;
  interruptOnNonFinite: boolean;
}

/** The user's thresholds from the settings: an object, else none. */
function thresholdsSetting(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

export const alertsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'tflog:alerts',
  description:
    'Notifications of what went wrong in a live run, with "Show in panel" and "Interrupt kernel".',
  autoStart: true,
  requires: [ITflogClient],
  optional: [INotebookTracker, ISettingRegistry, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    client: ITflogClient,
    tracker: INotebookTracker | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const settings: IAlertSettings = {
      notify: true,
      interruptOnNonFinite: false
    };
    const isRefusal = (error: unknown): boolean =>
      error instanceof TflogRequestError && error.reason === 'invalid_body';
    const thresholds = new ThresholdsSync({
      client,
      isRefusal,
      onError: error => {
        if (isRefusal(error)) {
          // The service says which setting is wrong; the rules keep
          // the last good thresholds.
          Notification.error(
            trans.__(
              'Alert thresholds not applied: %1',
              requestErrorText(trans, error)
            ),
            { autoClose: false }
          );
        } else {
          console.warn(
            'tflog: alert thresholds not sent; sent again when the service answers',
            error
          );
        }
      }
    });
    settingRegistry
      ?.load(alertsPlugin.id)
      .then(loaded => {
        const apply = (): void => {
          settings.notify = loaded.composite.notify !== false;
          settings.interruptOnNonFinite =
            loaded.composite.interruptOnNonFinite === true;
          void thresholds.set(thresholdsSetting(loaded.composite.thresholds));
        };
        loaded.changed.connect(apply);
        apply();
      })
      .catch(error =>
        console.error(
          'tflog: cannot load the alert settings; using the defaults',
          error
        )
      );

    const center = new AlertCenter();
    const live = new LiveUpdates({
      url: client.eventsUrl(),
      intervalMs: RECONNECT_POLL_MS
    });
    live.alertRaised.connect((_, alert) => center.add(alert));
    // The stream opens once the service answers (it may start after
    // JupyterLab, or restart): thresholds it missed are sent then.
    live.resync.connect((_, reason) => {
      if (reason === 'connected') {
        void thresholds.retry();
      }
    });
    center.raised.connect((_, alert) => {
      const kernels = new KernelFinder(app, tracker);
      if (alert.rule === 'nonfinite' && settings.interruptOnNonFinite) {
        kernels
          .interrupt(alert)
          .then(done =>
            notify(alert, trans, kernels, {
              interrupted: done
            })
          )
          .catch(error => {
            console.error('tflog: cannot interrupt the kernel', error);
            notify(alert, trans, kernels, { interrupted: false });
          });
      } else if (settings.notify) {
        notify(alert, trans, kernels, {});
      }
    });
    live.start();
    app.restored
      .then(() => badgePanel(app, center, trans))
      .catch(error => console.error('tflog: cannot badge the panel', error));
  }
};

const ALERTS_CLASS = 'jp-tflog-mod-alerts';

/**
 * The Training panel's tab tells of alerts that came while it was not in
 * view; showing the panel counts as seeing them.
 */
function badgePanel(
  app: JupyterFrontEnd,
  center: AlertCenter,
  trans: TranslationBundle
): void {
  let panel: Widget | null = null;
  for (const widget of app.shell.widgets('right')) {
    if (widget.id === PANEL_ID) {
      panel = widget;
    }
  }
  if (panel === null) {
    return;
  }
  const caption = panel.title.caption;
  const shown = panel;
  const update = (): void => {
    const classes = shown.title.className
      .split(' ')
      .filter(name => name !== '' && name !== ALERTS_CLASS);
    if (center.unseen > 0) {
      classes.push(ALERTS_CLASS);
    }
    shown.title.className = classes.join(' ');
    shown.title.caption =
      center.unseen > 0
        ? trans._n(
            '%2 (%1 new alert)',
            '%2 (%1 new alerts)',
            center.unseen,
            caption
          )
        : caption;
  };
  center.changed.connect(update);
  MessageLoop.installMessageHook(panel, (_, message) => {
    if (message.type === 'after-show') {
      center.markSeen();
    }
    return true;
  });
}

function notify(
  alert: IAlert,
  trans: TranslationBundle,
  kernels: KernelFinder,
  outcome: { interrupted?: boolean }
): void {
  let message = alertText(trans, alert);
  if (outcome.interrupted === true) {
    message = trans.__('%1. The kernel was interrupted.', message);
  } else if (outcome.interrupted === false) {
    message = trans.__('%1. The kernel could not be interrupted.', message);
  }
  const actions: Notification.IAction[] = [
    {
      label: trans.__('Show in panel'),
      caption: trans.__('Show the run in the Training panel'),
      callback: () => kernels.show(alert)
    }
  ];
  if (outcome.interrupted !== true) {
    actions.push({
      label: trans.__('Interrupt kernel'),
      caption: trans.__('Stop the cell that is training'),
      displayType: 'warn',
      callback: () => {
        kernels
          .interrupt(alert)
          .then(done => {
            if (!done) {
              Notification.warning(
                trans.__(
                  'The kernel of run “%1” is not running in this JupyterLab.',
                  alert.run_name ?? alert.run_id
                ),
                { autoClose: 5000 }
              );
            }
          })
          .catch(error => {
            console.error('tflog: cannot interrupt the kernel', error);
            Notification.error(
              trans.__('Cannot interrupt the kernel: %1', String(error)),
              { autoClose: 5000 }
            );
          });
      }
    });
  }
  Notification.emit(message, alert.rule === 'nonfinite' ? 'error' : 'warning', {
    autoClose: false,
    actions
  });
}

/** Finds the run's kernel: in an open notebook first, else among those running. */
class KernelFinder {
  constructor(
    private readonly _app: JupyterFrontEnd,
    private readonly _tracker: INotebookTracker | null
  ) {}

  /** The notebook panel showing the run, if one is open. */
  private _notebook(alert: IAlert) {
    return (
      this._tracker?.find(
        panel =>
          (alert.kernel_id !== null &&
            panel.sessionContext.session?.kernel?.id === alert.kernel_id) ||
          (alert.notebook !== null && panel.context.path === alert.notebook)
      ) ?? null
    );
  }

  /** Interrupts the run's kernel; false when it is not found. */
  async interrupt(alert: IAlert): Promise<boolean> {
    const open = this._notebook(alert)?.sessionContext.session?.kernel;
    if (open) {
      await open.interrupt();
      return true;
    }
    if (alert.kernel_id === null) {
      return false;
    }
    const manager = this._app.serviceManager.kernels;
    await manager.refreshRunning();
    let model: Kernel.IModel | undefined;
    for (const candidate of manager.running()) {
      if (candidate.id === alert.kernel_id) {
        model = candidate;
      }
    }
    if (model === undefined) {
      return false;
    }
    const connection = manager.connectTo({ model });
    try {
      await connection.interrupt();
    } finally {
      // Only this connection closes: the kernel keeps running.
      connection.dispose();
    }
    return true;
  }

  /** Brings the run's notebook forward (the panel follows it) and opens the panel. */
  show(alert: IAlert): void {
    const notebook = this._notebook(alert);
    if (notebook) {
      this._app.shell.activateById(notebook.id);
    }
    this._app.commands.execute(OPEN_PANEL_COMMAND).catch(error => {
      console.error('tflog: cannot open the Training panel', error);
    });
  }
}
