/**
 * The logs view: the `tflog:open-logs` command opens a run's log lines (or
 * a search across all the user's runs) in the main area, around a time when
 * given; running it again for the same run brings that view forward with
 * the new arguments.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  WidgetTracker
} from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { trainingIcon } from '../icons';
import { IOpenLogsArgs, LogsModel, OPEN_LOGS_COMMAND } from '../model/logs';
import { ITflogClient } from '../tokens';
import { createLogsWidget, logsWidgetId, LogsView } from '../views/logs';
import { TRANSLATION_DOMAIN } from '../views/text';

/** The command's arguments, checked: anything of the wrong type is left out. */
export function readOpenLogsArgs(
  args: ReadonlyPartialJSONObject
): IOpenLogsArgs {
  const text = (key: string): string | undefined => {
    const value = args[key];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const levels = args.levels;
  return {
    runId: text('runId'),
    at: text('at'),
    text: text('text'),
    lineId: text('lineId'),
    levels: Array.isArray(levels)
      ? levels.filter((level): level is string => typeof level === 'string')
      : undefined
  };
}

export const logsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'tflog:logs',
  description:
    'The logs view: a run’s log lines, or a search across all your runs, opened from the palette or from a point or marker of a chart.',
  autoStart: true,
  requires: [ITflogClient],
  optional: [ITranslator, ICommandPalette, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    client: ITflogClient,
    translator: ITranslator | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null
  ): void => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const tracker = new WidgetTracker<MainAreaWidget<LogsView>>({
      namespace: 'tflog-logs'
    });

    app.commands.addCommand(OPEN_LOGS_COMMAND, {
      label: args =>
        typeof args.runId === 'string'
          ? trans.__('Open Run Logs')
          : trans.__('Search Logs of All Runs'),
      caption: trans.__(
        'Show log lines with their level, searchable, around a point of a curve'
      ),
      execute: async args => {
        const options = readOpenLogsArgs(args);
        const id = logsWidgetId(options.runId ?? null);
        const open = tracker.find(widget => widget.id === id);
        if (open) {
          app.shell.activateById(id);
          await open.content.model.open(options);
          return;
        }
        const model = new LogsModel({ client, args: options });
        const widget = createLogsWidget({ model, trans, icon: trainingIcon });
        widget.disposed.connect(() => model.dispose());
        await tracker.add(widget);
        app.shell.add(widget, 'main');
        app.shell.activateById(widget.id);
        await model.load();
      }
    });
    palette?.addItem({ command: OPEN_LOGS_COMMAND, category: 'tflog' });

    restorer
      ?.restore(tracker, {
        command: OPEN_LOGS_COMMAND,
        args: widget =>
          widget.content.model.runId === null
            ? {}
            : { runId: widget.content.model.runId },
        name: widget => widget.id
      })
      .catch(error =>
        console.warn('tflog: cannot restore the logs views', error)
      );
  }
};
