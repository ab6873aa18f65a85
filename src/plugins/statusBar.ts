/**
 * `tflog:status-bar`: the run in progress in JupyterLab's status bar (like
 * jupyter-resource-usage's item), its epoch and loss; a click opens the
 * Training panel. Nothing without a status bar.
 */
import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { ActiveRunModel } from '../model/activeRun';
import { ITflogClient } from '../tokens';
import { StatusBarItem } from '../views/statusBarItem';
import { TRANSLATION_DOMAIN } from '../views/text';
import { OPEN_PANEL_COMMAND } from './panel';

export const statusBarPlugin: JupyterFrontEndPlugin<void> = {
  id: 'tflog:status-bar',
  description:
    'The run in progress in the status bar, with its epoch and loss; a click opens the Training panel.',
  autoStart: true,
  requires: [ITflogClient],
  optional: [IStatusBar, INotebookTracker, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    client: ITflogClient,
    statusBar: IStatusBar | null,
    tracker: INotebookTracker | null,
    translator: ITranslator | null
  ): void => {
    if (!statusBar) {
      return;
    }
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const model = new ActiveRunModel({ client });
    const item = new StatusBarItem({
      model,
      trans,
      onOpen: () => {
        app.commands
          .execute(OPEN_PANEL_COMMAND)
          .catch(error =>
            console.error('tflog: cannot open the Training panel', error)
          );
      }
    });
    statusBar.registerStatusItem(statusBarPlugin.id, {
      item,
      align: 'left',
      rank: 100,
      isActive: () => model.run !== null,
      activeStateChanged: model.changed
    });
    if (tracker) {
      const follow = (): void =>
        model.setNotebookPath(tracker.currentWidget?.context.path ?? null);
      tracker.currentChanged.connect(follow);
      follow();
    }
    model.start();
  }
};
