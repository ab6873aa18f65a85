/**
 * The History view: the command `tflog:open-history` (its arguments
 * describe the whole view, so a link reopens it), its main-area widget with
 * a toolbar (Refresh, Columns, Export runs as CSV or JSON, Compare), the settings (schema/history.json)
 * and the layout restorer.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Dialog,
  ICommandPalette,
  MainAreaWidget,
  showDialog,
  WidgetTracker
} from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import {
  downloadIcon,
  refreshIcon,
  Toolbar,
  ToolbarButton
} from '@jupyterlab/ui-components';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { UUID } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';

import { trainingIcon } from '../icons';
import { RunningFollower } from '../model/follow';
import { HistoryModel, MAX_COMPARED_RUNS } from '../model/historyModel';
import { HistoryQueriesModel } from '../model/historyQueries';
import { ProblemsModel } from '../model/problems';
import {
  columnCandidates,
  DEFAULT_HISTORY_SETTINGS,
  historyViewArgs,
  IHistorySettings,
  readHistorySettings,
  readHistoryView
} from '../model/historyView';
import { ITflogClient } from '../tokens';
import { h, setText } from '../views/dom';
import { ColumnChooser, HistoryView } from '../views/history';
import { ProblemsView } from '../views/problems';
import { exportHistoryRuns } from '../views/runsExport';
import { TRANSLATION_DOMAIN } from '../views/text';
import { executeForUser, reportFailure } from './userActions';

export const OPEN_HISTORY_COMMAND = 'tflog:open-history';

/**
 * The Training panel's command (src/plugins/panel.ts), which takes
 * `{runId}`; named here rather than imported, so that this plugin does not
 * load the notebook packages the panel's plugin needs.
 */
const OPEN_PANEL_COMMAND = 'tflog:open-panel';

/** The compare view's command; it takes `{runIds: string[]}`. */
export const COMPARE_COMMAND = 'tflog:compare';

type HistoryWidget = MainAreaWidget<HistoryView>;

export const historyPlugin: JupyterFrontEndPlugin<void> = {
  id: 'tflog:history',
  description:
    'The History view: your past runs in a table to filter, sort and compare, and queries across runs.',
  autoStart: true,
  requires: [ITflogClient],
  optional: [ICommandPalette, ISettingRegistry, ITranslator, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    client: ITflogClient,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null,
    restorer: ILayoutRestorer | null
  ): void => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const tracker = new WidgetTracker<HistoryWidget>({
      namespace: 'tflog-history'
    });
    let settings: IHistorySettings = {
      ...DEFAULT_HISTORY_SETTINGS,
      columns: [...DEFAULT_HISTORY_SETTINGS.columns]
    };
    let loadedSettings: ISettingRegistry.ISettings | null = null;

    const settingsReady: Promise<void> = settingRegistry
      ? settingRegistry
          .load(historyPlugin.id)
          .then(loaded => {
            loadedSettings = loaded;
            const apply = (): void => {
              settings = readHistorySettings(loaded.composite);
              tracker.forEach(widget => {
                widget.content.model.setDefaultColumns(settings.columns);
                widget.content.model.setPageSize(settings.pageSize);
              });
            };
            loaded.changed.connect(apply);
            apply();
          })
          .catch(error =>
            console.error(
              'tflog: cannot load the History settings; using the defaults',
              error
            )
          )
      : Promise.resolve();

    const openRun = (runId: string): void =>
      void executeForUser(
        app.commands,
        trans,
        OPEN_PANEL_COMMAND,
        { runId },
        trans.__('Cannot show run %1 in the Training panel', runId)
      );

    const saveColumns = (columns: string[]): void => {
      loadedSettings
        ?.set('columns', columns)
        .catch(error =>
          reportFailure(
            trans,
            trans.__(
              'The columns are shown but could not be saved for next time'
            ),
            error
          )
        );
    };

    const createWidget = (args: ReadonlyPartialJSONObject): HistoryWidget => {
      const view = readHistoryView(args);
      const model = new HistoryModel({
        client,
        view,
        defaultColumns: settings.columns,
        pageSize: settings.pageSize
      });
      const problems = new ProblemsModel({ client });
      const content = new HistoryView({
        model,
        queries: new HistoryQueriesModel({ client }),
        trans,
        onOpenRun: openRun,
        problems: new ProblemsView({
          model: problems,
          trans,
          onOpenRun: openRun
        })
      });
      content.disposed.connect(() => problems.dispose());
      const widget = new MainAreaWidget({ content });
      widget.id = `jp-tflog-history-${UUID.uuid4()}`;
      widget.addClass('jp-tflog-history-widget');
      widget.title.label = trans.__('Run History');
      widget.title.caption = trans.__(
        'Your past runs, and queries across them'
      );
      widget.title.icon = trainingIcon;
      widget.title.closable = true;
      const exportRuns = (format: 'csv' | 'json'): void =>
        void exportHistoryRuns(client, model.view.filters, format, trans);
      addToolbar(app, widget, trans, exportRuns, () => {
        void showDialog({
          title: trans.__('Columns'),
          body: new ColumnChooser({
            trans,
            offered: columnCandidates(model.runs, model.columns),
            chosen: model.columns
          }),
          buttons: [
            Dialog.cancelButton({ label: trans.__('Cancel') }),
            Dialog.okButton({ label: trans.__('Show') })
          ]
        }).then(result => {
          if (result.button.accept && result.value && !model.isDisposed) {
            model.setColumns(result.value);
            saveColumns(result.value);
          }
        });
      });
      model.viewChanged.connect(() => void tracker.save(widget));
      // A running run's status, duration and last values change while shown.
      const follower = new RunningFollower({
        name: 'tflog:history-follow',
        read: () => model.follow(),
        isRunning: () => model.running,
        isShown: () => widget.isVisible && model.view.tab === 'runs'
      });
      follower.start();
      widget.disposed.connect(() => follower.dispose());
      void model.refresh();
      return widget;
    };

    app.commands.addCommand(OPEN_HISTORY_COMMAND, {
      label: trans.__('Open Run History'),
      caption: trans.__(
        'Find, sort and compare your past runs, and query across them'
      ),
      icon: args => (args.isPalette ? undefined : trainingIcon),
      execute: async args => {
        await settingsReady;
        const widget = createWidget(args);
        await tracker.add(widget);
        app.shell.add(widget, 'main');
        app.shell.activateById(widget.id);
        return widget;
      }
    });
    palette?.addItem({ command: OPEN_HISTORY_COMMAND, category: 'tflog' });

    if (restorer) {
      void restorer.restore(tracker, {
        command: OPEN_HISTORY_COMMAND,
        args: widget => historyViewArgs(widget.content.model.view),
        // Named by the view, so that a restored tab is saved under the name
        // it was restored from (not once more on every reload).
        name: widget =>
          JSON.stringify(historyViewArgs(widget.content.model.view))
      });
    }
  }
};

/** Refresh, Columns, and Compare (enabled while the compare view exists and runs are selected). */
function addToolbar(
  app: JupyterFrontEnd,
  widget: HistoryWidget,
  trans: TranslationBundle,
  exportRuns: (format: 'csv' | 'json') => void,
  chooseColumns: () => void
): void {
  const model = widget.content.model;
  const toolbar = widget.toolbar;
  toolbar.addClass('jp-tflog-history-toolbar');
  toolbar.addItem(
    'refresh',
    new ToolbarButton({
      className: 'jp-tflog-history-refresh',
      icon: refreshIcon,
      label: trans.__('Refresh'),
      tooltip: trans.__('Read the runs again'),
      onClick: () => void model.reload()
    })
  );
  toolbar.addItem(
    'columns',
    new ToolbarButton({
      className: 'jp-tflog-history-columns-button',
      label: trans.__('Columns…'),
      tooltip: trans.__('Choose the tag, hyperparameter and metric columns'),
      onClick: chooseColumns
    })
  );
  toolbar.addItem(
    'export-csv',
    new ToolbarButton({
      className: 'jp-tflog-history-export-csv',
      icon: downloadIcon,
      label: trans.__('Export runs as CSV'),
      tooltip: trans.__(
        'Download the runs matching the filters (all pages) with their hyperparameters, final and best metrics and health score, for a hyperparameter search'
      ),
      onClick: () => exportRuns('csv')
    })
  );
  toolbar.addItem(
    'export-json',
    new ToolbarButton({
      className: 'jp-tflog-history-export-json',
      icon: downloadIcon,
      label: trans.__('Export runs as JSON'),
      tooltip: trans.__(
        'Download the runs matching the filters (all pages) as JSON'
      ),
      onClick: () => exportRuns('json')
    })
  );
  toolbar.addItem('spacer', Toolbar.createSpacerItem());
  const selection = h('span', {
    class: 'jp-tflog-history-selection',
    'aria-live': 'polite'
  });
  toolbar.addItem('selection', new Widget({ node: selection }));
  const compare = new ToolbarButton({
    className: 'jp-tflog-history-compare',
    label: trans.__('Compare'),
    tooltip: trans.__(
      'Compare the selected runs (at most %1)',
      MAX_COMPARED_RUNS
    ),
    onClick: () =>
      void executeForUser(
        app.commands,
        trans,
        COMPARE_COMMAND,
        { runIds: [...model.selected] },
        trans.__('Cannot compare the runs')
      )
  });
  toolbar.addItem('compare', compare);
  const clear = new ToolbarButton({
    className: 'jp-tflog-history-clear-selection',
    label: trans.__('Clear selection'),
    tooltip: trans.__('Unselect every run'),
    onClick: () => model.clearSelection()
  });
  toolbar.addItem('clear-selection', clear);

  const update = (): void => {
    const count = model.selected.size;
    setText(
      selection,
      count === 0 ? '' : trans.__('%1 of %2 selected', count, MAX_COMPARED_RUNS)
    );
    compare.enabled = app.commands.hasCommand(COMPARE_COMMAND) && count > 0;
    clear.enabled = count > 0;
  };
  model.changed.connect(update);
  const onCommandChanged = (
    _: unknown,
    change: { id: string | undefined; type: string }
  ): void => {
    if (change.id === COMPARE_COMMAND || change.type === 'many-changed') {
      update();
    }
  };
  app.commands.commandChanged.connect(onCommandChanged);
  widget.disposed.connect(() =>
    app.commands.commandChanged.disconnect(onCommandChanged)
  );
  update();
}
