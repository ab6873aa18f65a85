/** Tells each notebook's Python kernel the notebook's current path (see notebookPath.ts). */
import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

import { NotebookPathReporter } from '../notebookPath';

export const notebookPathPlugin: JupyterFrontEndPlugin<void> = {
  id: 'tflog:notebook-path',
  description:
    "Tells each notebook's Python kernel the notebook's current path, on kernel start, restart and change and after renames, so runs are filed under it.",
  autoStart: true,
  requires: [INotebookTracker],
  activate: (app: JupyterFrontEnd, tracker: INotebookTracker): void => {
    // Each reporter disposes itself with its notebook's context.
    const watch = (panel: NotebookPanel): void => {
      new NotebookPathReporter(panel.context);
    };
    tracker.forEach(watch);
    tracker.widgetAdded.connect((_, panel) => watch(panel));
  }
};
