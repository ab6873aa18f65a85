/**
 * The Training side panel (`#jp-tflog-panel`): status line, toolbar (x axis,
 * refresh), the run being shown with its charts, and the run lists of this
 * notebook and of all the user's notebooks. It follows updates only while
 * visible.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import {
  type LabIcon,
  refreshIcon,
  Toolbar,
  ToolbarButton
} from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';

import type { PanelModel } from '../model/panelModel';
import type { RunModel } from '../model/runModel';
import { isSeriesAxis } from '../settings';
import type { IThemeColours } from '../theme';
import type { ITflogSettings, SeriesAxis } from '../tokens';
import { ChartsPanel } from './charts';
import { h } from './dom';
import { EmptyState, ICellInserter } from './emptyState';
import { RunHeader } from './runHeader';
import { RunList } from './runList';
import { StatusLine } from './statusLine';
import { defaultBundle } from './text';

export const PANEL_ID = 'jp-tflog-panel';

function axisLabels(trans: TranslationBundle): Record<SeriesAxis, string> {
  return {
    step: trans.__('Step'),
    epoch: trans.__('Epoch'),
    time: trans.__('Wall time')
  };
}

export class TrainingPanel extends Panel {
  constructor(options: {
    model: PanelModel;
    colours: IThemeColours;
    icon?: LabIcon;
    /** Called when the user picks an x axis (the plugin saves it as a setting). */
    onAxisChange: (axis: SeriesAxis) => void;
    /** Chart renderer; tests use svg. */
    renderer?: 'canvas' | 'svg';
    /** The `tflog` strings; untranslated when not given. */
    trans?: TranslationBundle;
    /** Inserts the empty state's code into the active notebook. */
    inserter?: ICellInserter | null;
  }) {
    super();
    const trans = options.trans ?? defaultBundle();
    this._trans = trans;
    this.id = PANEL_ID;
    this.title.label = trans.__('Training');
    this.title.caption = trans.__('Training: live curves and recent runs');
    if (options.icon) {
      this.title.icon = options.icon;
    }
    this.addClass('jp-tflog-panel');
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', trans.__('Training'));
    this.model = options.model;
    this._onAxisChange = options.onAxisChange;

    this._toolbar = this._createToolbar();
    this._empty = new EmptyState({ trans, inserter: options.inserter });
    this._header = new RunHeader({ trans });
    this._charts = new ChartsPanel({
      colours: options.colours,
      renderer: options.renderer,
      trans
    });
    const select = (runId: string): void => this.model.selectRun(runId);
    this._notebookRuns = new RunList({
      scope: 'notebook',
      title: trans.__('This notebook'),
      onSelect: select,
      trans
    });
    this._allRuns = new RunList({
      scope: 'all',
      title: trans.__('All my notebooks'),
      onSelect: select,
      trans
    });

    this.addWidget(new StatusLine(this.model, trans));
    this.addWidget(this._toolbar);
    this.addWidget(this._empty);
    this.addWidget(this._header);
    this.addWidget(this._charts);
    this.addWidget(this._notebookRuns);
    this.addWidget(this._allRuns);

    this.model.runsChanged.connect(this._renderRuns, this);
    this.model.runModelChanged.connect(this._onRunModelChanged, this);
    this.model.settingsChanged.connect(this._renderSettings, this);
    this._onRunModelChanged(this.model, this.model.runModel);
    this._renderSettings();
  }

  readonly model: PanelModel;

  /** Every chart has drawn what it was given (for tests). */
  get drawn(): Promise<void> {
    return this._charts.drawn;
  }

  setColours(colours: IThemeColours): void {
    this._charts.setColours(colours);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.setActive(false);
    this.model.runsChanged.disconnect(this._renderRuns, this);
    this.model.runModelChanged.disconnect(this._onRunModelChanged, this);
    this.model.settingsChanged.disconnect(this._renderSettings, this);
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    this.model.setActive(true);
  }

  protected onAfterHide(msg: Message): void {
    this.model.setActive(false);
  }

  protected onAfterAttach(msg: Message): void {
    if (this.isVisible) {
      this.model.setActive(true);
    }
  }

  protected onBeforeDetach(msg: Message): void {
    this.model.setActive(false);
  }

  private _createToolbar(): Widget {
    const trans = this._trans;
    const labels = axisLabels(trans);
    this._axisSelect = h(
      'select',
      {
        class: 'jp-tflog-xaxis',
        'aria-label': trans.__('X axis')
      },
      (Object.keys(labels) as SeriesAxis[]).map(axis =>
        h('option', { value: axis }, [labels[axis]])
      )
    );
    this._axisSelect.addEventListener('change', () => {
      const value = this._axisSelect.value;
      if (isSeriesAxis(value)) {
        this._onAxisChange(value);
      }
    });
    const toolbar = new Toolbar();
    toolbar.addClass('jp-tflog-toolbar');
    toolbar.node.setAttribute('aria-label', trans.__('Training panel'));
    toolbar.addItem(
      'x-axis',
      new Widget({
        node: h('label', { class: 'jp-tflog-xaxis-label' }, [
          trans.__('X axis') + ' ',
          this._axisSelect
        ])
      })
    );
    toolbar.addItem('spacer', Toolbar.createSpacerItem());
    toolbar.addItem(
      'refresh',
      new ToolbarButton({
        className: 'jp-tflog-refresh',
        icon: refreshIcon,
        label: trans.__('Refresh'),
        tooltip: trans.__('Read the runs and curves again'),
        onClick: () => void this.model.refresh()
      })
    );
    return toolbar;
  }

  private _onRunModelChanged(_: PanelModel, runModel: RunModel | null): void {
    this._header.setRunModel(runModel);
    this._charts.setRunModel(runModel);
    this._renderRuns();
  }

  private _renderRuns(): void {
    const model = this.model;
    const selected = model.runModel?.runId ?? null;
    const path = model.notebookPath;
    const trans = this._trans;
    this._notebookRuns.setRuns(
      model.notebookRuns,
      selected,
      path === null
        ? trans.__('No notebook is open.')
        : trans.__('No runs yet for %1.', path)
    );
    this._allRuns.setRuns(model.allRuns, selected, trans.__('No runs yet.'));

    let empty = '';
    if (!model.runModel && model.runsLoaded && !model.runsError) {
      empty =
        path === null
          ? trans.__('No notebook is open: open one and make a run in it.')
          : trans.__('No runs yet for %1.', baseName(path));
    }
    this._notebookRuns.setSubtitle(path === null ? '' : baseName(path));
    this._empty.setMessage(empty);
    this._empty.setHidden(empty === '');
    // The empty state says it once: lists with nothing in them step aside.
    this._notebookRuns.setHidden(
      empty !== '' && model.notebookRuns.length === 0
    );
    this._allRuns.setHidden(empty !== '' && model.allRuns.length === 0);
  }

  private _renderSettings(): void {
    const settings: Readonly<ITflogSettings> = this.model.settings;
    this._axisSelect.value = settings.xAxis;
  }

  private readonly _trans: TranslationBundle;
  private readonly _onAxisChange: (axis: SeriesAxis) => void;
  private _axisSelect!: HTMLSelectElement;
  private readonly _toolbar: Widget;
  private readonly _empty: EmptyState;
  private readonly _header: RunHeader;
  private readonly _charts: ChartsPanel;
  private readonly _notebookRuns: RunList;
  private readonly _allRuns: RunList;
}

/** `train.ipynb` of `work/train.ipynb`. */
function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
