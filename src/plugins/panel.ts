/**
 * The Training side panel: its model, the right-sidebar widget, the
 * `tflog:open-panel` command, settings (schema/plugin.json), theme changes,
 * and the notebook it follows.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  IThemeManager,
  Notification
} from '@jupyterlab/apputils';
import {
  INotebookTracker,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStateDB } from '@jupyterlab/statedb';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';

import { findCellIndex, IErrorLocation } from '../cellLocation';

import { trainingIcon } from '../icons';
import { OPEN_LOGS_COMMAND } from '../model/logs';
import { PanelModel } from '../model/panelModel';
import { DEFAULT_SETTINGS, readSettings } from '../settings';
import { readThemeColours } from '../theme';
import { ITflogClient } from '../tokens';
import type { SettingChange } from '../views/controls';
import { PANEL_ID, readSectionsState, TrainingPanel } from '../views/panel';
import type { ICellInserter } from '../views/emptyState';
import type { GoToCell } from '../views/runHeader';
import { TRANSLATION_DOMAIN } from '../views/text';
import { executeForUser, reportFailure } from './userActions';

export const OPEN_PANEL_COMMAND = 'tflog:open-panel';

/** The History view's command (src/plugins/history.ts). */
const OPEN_HISTORY_COMMAND = 'tflog:open-history';

export const panelPlugin: JupyterFrontEndPlugin<void> = {
  id: 'tflog:plugin',
  description:
    'The Training side panel: live curves of the current notebook’s run, recent runs, and the service’s status.',
  autoStart: true,
  requires: [ITflogClient],
  optional: [
    INotebookTracker,
    ILayoutRestorer,
    ICommandPalette,
    ISettingRegistry,
    IThemeManager,
    ITranslator,
    IStateDB
  ],
  activate: (
    app: JupyterFrontEnd,
    client: ITflogClient,
    tracker: INotebookTracker | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    themeManager: IThemeManager | null,
    translator: ITranslator | null,
    state: IStateDB | null
  ): void => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const model = new PanelModel({ client, settings: { ...DEFAULT_SETTINGS } });
    let settings: ISettingRegistry.ISettings | null = null;

    // A control changed in the panel: saved as a setting, and settings.changed
    // then updates the model (and the Settings Editor shows it).
    const onSettingChange: SettingChange = (key, value) => {
      if (settings) {
        settings.set(key, value).catch(error => {
          // Applied for this session all the same; the user is told it will not last.
          model.updateSettings({ ...model.settings, [key]: value });
          reportFailure(
            trans,
            trans.__(
              'The %1 setting is applied but could not be saved for next time',
              key
            ),
            error
          );
        });
      } else {
        model.updateSettings({ ...model.settings, [key]: value });
      }
    };

    const panel = new TrainingPanel({
      model,
      colours: readThemeColours(),
      icon: trainingIcon,
      onSettingChange,
      trans,
      inserter: tracker ? cellInserter(app, tracker) : null,
      goToCell: tracker ? cellNavigator(app, tracker, trans) : null,
      onOpenHistory: () =>
        void executeForUser(
          app.commands,
          trans,
          OPEN_HISTORY_COMMAND,
          {},
          trans.__('Cannot open the History view')
        ),
      onOpenLogs: args =>
        void executeForUser(
          app.commands,
          trans,
          OPEN_LOGS_COMMAND,
          { ...args },
          trans.__('Cannot open the logs')
        )
    });
    app.shell.add(panel, 'right', { rank: 700 });
    if (state) {
      rememberSections(panel, state);
    }
    restorer?.add(panel, PANEL_ID);

    app.commands.addCommand(OPEN_PANEL_COMMAND, {
      label: trans.__('Open Training Panel'),
      caption: trans.__('Show live training curves and recent runs'),
      icon: args => (args.isPalette ? undefined : trainingIcon),
      // `runId`: show that run (a run chosen in the History view, or a link).
      execute: args => {
        if (typeof args.runId === 'string' && args.runId !== '') {
          model.selectRun(args.runId);
        }
        app.shell.activateById(panel.id);
      }
    });
    palette?.addItem({ command: OPEN_PANEL_COMMAND, category: 'tflog' });

    if (settingRegistry) {
      settingRegistry
        .load(panelPlugin.id)
        .then(loaded => {
          settings = loaded;
          const apply = (): void =>
            model.updateSettings(readSettings(loaded.composite));
          loaded.changed.connect(apply);
          apply();
        })
        .catch(error => {
          console.error(
            'tflog: cannot load the panel settings; using the defaults',
            error
          );
        });
    }

    themeManager?.themeChanged.connect(() => {
      // The new theme's CSS variables apply once its stylesheet is in: read them after layout.
      requestAnimationFrame(() => panel.setColours(readThemeColours()));
    });

    if (tracker) {
      const follow = (notebook: NotebookPanel | null): void => {
        model.setNotebookPath(notebook?.context.path ?? null);
      };
      tracker.currentChanged.connect((_, notebook) => follow(notebook));
      // Renames: the current notebook's path changes under the same widget.
      tracker.widgetAdded.connect((_, notebook) => {
        notebook.context.pathChanged.connect(() => {
          if (tracker.currentWidget === notebook) {
            follow(notebook);
          }
        });
      });
      follow(tracker.currentWidget);
    }
  }
};

/** Inserts code as a new cell below the active cell of the current notebook, and shows it. */
function cellInserter(
  app: JupyterFrontEnd,
  tracker: INotebookTracker
): ICellInserter {
  return {
    canInsert: () => tracker.currentWidget !== null,
    insert: code => {
      const panel = tracker.currentWidget;
      if (!panel) {
        return;
      }
      const notebook = panel.content;
      NotebookActions.insertBelow(notebook);
      NotebookActions.changeCellType(notebook, 'code');
      const cell = notebook.activeCell;
      if (cell?.model.type === 'code') {
        cell.model.sharedModel.setSource(code);
      } else {
        console.error('tflog: the inserted cell is not a code cell');
      }
      app.shell.activateById(panel.id);
      notebook.activate();
    }
  };
}

/** "Go to cell": opens the run's notebook and selects the cell its error came from. */
function cellNavigator(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  trans: TranslationBundle
): GoToCell {
  return location => {
    showCell(app, tracker, location)
      .then(found => {
        if (!found) {
          Notification.warning(
            trans.__(
              'The cell this run failed in is no longer in %1.',
              location.notebook
            ),
            { autoClose: 5000 }
          );
        }
      })
      .catch(error => {
        console.error('tflog: cannot show the cell of the error', error);
        Notification.error(
          trans.__('Cannot open %1: %2', location.notebook, String(error)),
          { autoClose: 5000 }
        );
      });
  };
}

/** Scrolls to and selects the cell; false when the notebook or cell is not found. */
async function showCell(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  location: IErrorLocation
): Promise<boolean> {
  let panel =
    tracker.find(widget => widget.context.path === location.notebook) ?? null;
  if (!panel) {
    const opened: unknown = await app.commands.execute('docmanager:open', {
      path: location.notebook
    });
    panel = opened instanceof NotebookPanel ? opened : null;
  }
  if (!panel) {
    return false;
  }
  await panel.context.ready;
  app.shell.activateById(panel.id);
  const notebook = panel.content;
  const index = findCellIndex(
    notebook.widgets.map(cell => {
      const shared = cell.model.sharedModel;
      return {
        id: shared.getId(),
        type: shared.cell_type,
        executionCount:
          shared.cell_type === 'code' && 'execution_count' in shared
            ? (shared.execution_count ?? null)
            : null
      };
    }),
    location
  );
  if (index < 0) {
    return false;
  }
  notebook.mode = 'command';
  notebook.deselectAll();
  notebook.activeCellIndex = index;
  await notebook.scrollToItem(index, 'center');
  notebook.activate();
  return true;
}

/** Where the folded sections and their sizes are kept, per user (IStateDB). */
export const SECTIONS_STATE_KEY = 'tflog:plugin:sections';

/** The sections as folded and sized last time, then saved on every change (at most once a second). */
function rememberSections(panel: TrainingPanel, state: IStateDB): void {
  let restoring = true;
  state
    .fetch(SECTIONS_STATE_KEY)
    .then(saved => {
      const sections = readSectionsState(saved);
      if (sections && !panel.isDisposed) {
        panel.restoreSections(sections);
      }
    })
    .catch(error =>
      console.warn('tflog: cannot read the panel sections state', error)
    )
    .finally(() => {
      restoring = false;
    });
  let timer: ReturnType<typeof setTimeout> | null = null;
  panel.sectionsChanged.connect((_, sections) => {
    if (restoring) {
      return;
    }
    if (timer !== null) {
      clearTimeout(timer);
    }
    timer = setTimeout(() => {
      timer = null;
      const value = {
        collapsed: sections.collapsed,
        sizes: sections.sizes
      };
      state
        .save(SECTIONS_STATE_KEY, value)
        .catch(error =>
          console.warn('tflog: cannot save the panel sections state', error)
        );
    }, 1000);
  });
}
