/**
 * Run comparison: the `tflog:compare` command opens (or brings forward) a
 * main-area view of up to 20 runs, with CSV and JSON export and a link
 * that reopens it; `tflog:export-run` downloads one run's values.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Clipboard,
  DOMUtils,
  ICommandPalette,
  InputDialog,
  IThemeManager,
  MainAreaWidget,
  Notification,
  ToolbarButton,
  WidgetTracker
} from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { downloadIcon, linkIcon, refreshIcon } from '@jupyterlab/ui-components';
import type {
  ReadonlyJSONObject,
  ReadonlyPartialJSONObject
} from '@lumino/coreutils';

import { trainingIcon } from '../icons';
import { linkUrl } from '../links';
import {
  checkRunIds,
  isCompareAxis,
  isLegendKey,
  MAX_COMPARED_RUNS,
  RunIdsProblem
} from '../model/compareData';
import {
  exportFileName,
  exportRows,
  ExportFormat,
  isExportFormat,
  toCsv,
  toJson
} from '../model/compareExport';
import { RunningFollower } from '../model/follow';
import {
  CompareModel,
  ICompareView,
  SERIES_CONCURRENCY
} from '../model/compareModel';
import { selectSeries } from '../model/series';
import { requestErrorText } from '../requestText';
import { readThemeColours } from '../theme';
import { ITflogClient } from '../tokens';
import { CompareView, downloadFile } from '../views/compare';
import { exportComparison } from '../views/compareExport';
import { TRANSLATION_DOMAIN } from '../views/text';

export const COMPARE_COMMAND = 'tflog:compare';
export const EXPORT_RUN_COMMAND = 'tflog:export-run';

/** Points per series in an export of one run (the service's limit). */
const EXPORT_MAX_POINTS = 10000;

const MIME_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv',
  json: 'application/json'
};

/** The view arguments of `tflog:compare` that are valid; the others are left out. */
export function viewFromArgs(
  args: ReadonlyPartialJSONObject
): Partial<ICompareView> {
  const view: Partial<ICompareView> = {};
  if (typeof args.metric === 'string') {
    view.metric = args.metric;
  }
  if (isCompareAxis(args.axis)) {
    view.axis = args.axis;
  }
  if (typeof args.smoothing === 'number') {
    view.smoothing = args.smoothing;
  }
  if (typeof args.logScale === 'boolean') {
    view.logScale = args.logScale;
  }
  if (isLegendKey(args.legend)) {
    view.legend = args.legend;
  }
  return view;
}

/** The same set of runs is one view, whatever their order. */
function comparisonKey(runIds: readonly string[]): string {
  return [...runIds].sort().join(',');
}

export const comparePlugin: JupyterFrontEndPlugin<void> = {
  id: 'tflog:compare',
  description:
    'Compare runs: their curves overlaid, final and best values side by side, CSV and JSON export, and links that reopen the comparison.',
  autoStart: true,
  requires: [ITflogClient],
  optional: [ITranslator, ICommandPalette, IThemeManager, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    client: ITflogClient,
    translator: ITranslator | null,
    palette: ICommandPalette | null,
    themeManager: IThemeManager | null,
    restorer: ILayoutRestorer | null
  ): void => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const tracker = new WidgetTracker<MainAreaWidget<CompareView>>({
      namespace: 'tflog-compare'
    });
    const open = new Map<string, MainAreaWidget<CompareView>>();

    app.commands.addCommand(COMPARE_COMMAND, {
      label: trans.__('Compare Runs…'),
      caption: trans.__(
        'Overlay the curves of up to %1 runs and compare their final and best values',
        MAX_COMPARED_RUNS
      ),
      icon: args => (args.isPalette ? undefined : trainingIcon),
      execute: async args => {
        let runIdsArg: unknown = args.runIds;
        if (runIdsArg === undefined) {
          const answer = await InputDialog.getText({
            title: trans.__('Compare Runs'),
            label: trans.__('Run ids, separated by commas or spaces')
          });
          if (!answer.button.accept || !answer.value) {
            return;
          }
          runIdsArg = answer.value.split(/[\s,]+/).filter(id => id !== '');
        }
        const checked = checkRunIds(runIdsArg);
        if ('problem' in checked) {
          Notification.error(runIdsProblem(trans, checked.problem), {
            autoClose: false
          });
          return;
        }
        const key = comparisonKey(checked.runIds);
        const existing = open.get(key);
        const view = viewFromArgs(args);
        if (existing && !existing.isDisposed) {
          if (Object.keys(view).length > 0) {
            existing.content.model.setView(view);
          }
          app.shell.activateById(existing.id);
          return;
        }
        const widget = createCompareWidget(client, checked.runIds, view, trans);
        open.set(key, widget);
        widget.disposed.connect(() => {
          if (open.get(key) === widget) {
            open.delete(key);
          }
        });
        void tracker.add(widget);
        app.shell.add(widget, 'main');
        app.shell.activateById(widget.id);
        await widget.content.model.load();
      }
    });

    app.commands.addCommand(EXPORT_RUN_COMMAND, {
      label: args =>
        args.format === 'json'
          ? trans.__('Export Run as JSON…')
          : trans.__('Export Run as CSV…'),
      caption: trans.__('Download every value a run logged'),
      execute: async args => {
        const format = isExportFormat(args.format) ? args.format : 'csv';
        let runId = typeof args.runId === 'string' ? args.runId.trim() : '';
        if (runId === '') {
          const answer = await InputDialog.getText({
            title: trans.__('Export Run'),
            label: trans.__('Run id')
          });
          if (!answer.button.accept || !answer.value?.trim()) {
            return;
          }
          runId = answer.value.trim();
        }
        try {
          const answer = await client.series(runId, {
            axis: 'step',
            maxPoints: EXPORT_MAX_POINTS
          });
          const series = selectSeries(answer.series);
          const run = {
            runId,
            summary: answer.run,
            metrics: series.map(line => line.name),
            series,
            error: null
          };
          const rows = exportRows([run], 'step');
          downloadFile(
            format === 'csv' ? toCsv(rows, 'step') : toJson(rows, 'step'),
            exportFileName(`tflog-${answer.run.name ?? runId}`, format),
            MIME_TYPES[format]
          );
        } catch (error) {
          Notification.error(
            trans.__(
              'Cannot export run %1: %2',
              runId,
              requestErrorText(trans, error)
            ),
            { autoClose: false }
          );
        }
      }
    });

    if (palette) {
      palette.addItem({ command: COMPARE_COMMAND, category: 'tflog' });
      for (const format of ['csv', 'json']) {
        palette.addItem({
          command: EXPORT_RUN_COMMAND,
          category: 'tflog',
          args: { format }
        });
      }
    }

    restorer
      ?.restore(tracker, {
        command: COMPARE_COMMAND,
        args: widget => ({
          runIds: [...widget.content.model.runIds],
          ...savedView(widget.content.model.view)
        }),
        name: widget => comparisonKey(widget.content.model.runIds)
      })
      .catch(error =>
        console.warn('tflog: cannot restore the run comparisons', error)
      );

    themeManager?.themeChanged.connect(() => {
      // The new theme's variables apply once its stylesheet is in: read them after layout.
      requestAnimationFrame(() => {
        const colours = readThemeColours();
        tracker.forEach(widget => widget.content.setColours(colours));
      });
    });
  }
};

/** The view as command arguments (JSON; no metric until one is chosen). */
function savedView(view: Readonly<ICompareView>): ReadonlyJSONObject {
  return {
    ...(view.metric === null ? {} : { metric: view.metric }),
    axis: view.axis,
    smoothing: view.smoothing,
    logScale: view.logScale,
    legend: view.legend
  };
}

function runIdsProblem(
  trans: TranslationBundle,
  problem: RunIdsProblem
): string {
  switch (problem) {
    case 'invalid':
      return trans.__(
        'Compare Runs needs runIds: a list of run ids (strings).'
      );
    case 'empty':
      return trans.__('Choose at least one run to compare.');
    case 'too_many':
      return trans.__(
        'At most %1 runs can be compared at once; choose fewer.',
        MAX_COMPARED_RUNS
      );
  }
}

function createCompareWidget(
  client: ITflogClient,
  runIds: string[],
  view: Partial<ICompareView>,
  trans: TranslationBundle
): MainAreaWidget<CompareView> {
  const model = new CompareModel({
    client,
    runIds,
    view,
    concurrency: SERIES_CONCURRENCY
  });
  const content = new CompareView({
    model,
    colours: readThemeColours(),
    trans
  });
  const widget = new MainAreaWidget({ content });
  widget.id = `jp-tflog-compare-${DOMUtils.createDomID()}`;
  widget.addClass('jp-tflog-compare-widget');
  widget.title.icon = trainingIcon;
  widget.title.closable = true;
  const setTitle = (): void => {
    const names = model.runs.map(run => run.summary?.name || run.runId);
    widget.title.label =
      runIds.length === 1
        ? trans.__('Compare: %1', names[0] ?? '')
        : trans.__('Compare %1 runs', runIds.length);
    widget.title.caption = trans.__('Runs compared: %1', names.join(', '));
  };
  setTitle();
  model.changed.connect(setTitle);
  const follower = new RunningFollower({
    name: 'tflog:compare-follow',
    read: () => model.follow(),
    isRunning: () => model.running,
    isShown: () => widget.isVisible
  });
  follower.start();
  widget.disposed.connect(() => {
    follower.dispose();
    model.dispose();
  });

  const toolbar = widget.toolbar;
  toolbar.addItem(
    'refresh',
    new ToolbarButton({
      className: 'jp-tflog-compare-refresh',
      icon: refreshIcon,
      label: trans.__('Refresh'),
      tooltip: trans.__(
        'Read the runs again (a comparison with a running run is read again every few seconds while shown)'
      ),
      onClick: () => void model.refresh()
    })
  );
  toolbar.addItem(
    'export-csv',
    new ToolbarButton({
      className: 'jp-tflog-compare-export-csv',
      icon: downloadIcon,
      label: trans.__('Export CSV'),
      tooltip: trans.__(
        'Download every value of the compared runs as CSV (one row per run, metric and point)'
      ),
      onClick: () => void exportComparison(model, 'csv', trans)
    })
  );
  toolbar.addItem(
    'export-json',
    new ToolbarButton({
      className: 'jp-tflog-compare-export-json',
      icon: downloadIcon,
      label: trans.__('Export JSON'),
      tooltip: trans.__('Download every value of the compared runs as JSON'),
      onClick: () => void exportComparison(model, 'json', trans)
    })
  );
  toolbar.addItem(
    'copy-link',
    new ToolbarButton({
      className: 'jp-tflog-compare-copy-link',
      icon: linkIcon,
      label: trans.__('Copy link'),
      tooltip: trans.__(
        'Copy a link that opens this comparison (for people who may see these runs)'
      ),
      onClick: () => {
        const url = linkUrl(
          PageConfig.getUrl({
            toShare: true,
            workspace: PageConfig.defaultWorkspace,
            treePath: ''
          }),
          {
            command: COMPARE_COMMAND,
            args: { runIds: [...runIds], ...savedView(model.view) }
          }
        );
        Clipboard.copyToSystem(url);
        content.node.dataset.link = url;
        Notification.success(trans.__('Link copied'), { autoClose: 3000 });
      }
    })
  );
  return widget;
}
