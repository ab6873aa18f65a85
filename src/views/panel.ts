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
  SidePanel,
  Toolbar,
  ToolbarButton
} from '@jupyterlab/ui-components';
import type { ReadonlyPartialJSONValue } from '@lumino/coreutils';
import { Message, MessageLoop } from '@lumino/messaging';
import { ISignal, Signal } from '@lumino/signaling';
import { AccordionPanel, Panel, SplitPanel, Widget } from '@lumino/widgets';

import type { IOpenLogsArgs } from '../model/logs';
import type { PanelModel } from '../model/panelModel';
import type { RunModel } from '../model/runModel';
import { SystemModel } from '../model/systemModel';
import { isXAxisChoice } from '../settings';
import type { IThemeColours } from '../theme';
import type { IRunSummary, ITflogSettings, XAxisChoice } from '../tokens';
import { ChartsPanel } from './charts';
import { ChartControls, SettingChange } from './controls';
import { h } from './dom';
import { EmptyState, ICellInserter } from './emptyState';
import { GoToCell, RunHeader } from './runHeader';
import { RunList } from './runList';
import { StatusLine } from './statusLine';
import { SystemSection } from './systemSection';
import { defaultBundle } from './text';

export const PANEL_ID = 'jp-tflog-panel';

/** Which sections are folded and how the room is shared, as remembered per user. */
export interface ISectionsState {
  /** Section ids (`run`, `metrics`, `system`, `notebook-runs`, `all-runs`) that are folded. */
  collapsed: string[];
  /** Relative sizes of the sections, in their order; empty: the default. */
  sizes: number[];
}

const SECTION_IDS = [
  'run',
  'metrics',
  'system',
  'notebook-runs',
  'all-runs'
] as const;

/**
 * How the sections share the room by default, in SECTION_IDS order: the
 * curves first (a row of charts with its axes needs ~210 px), then the run;
 * the system curves and the lists scroll in what is left until resized.
 */
const SECTION_STRETCH = [3, 7, 1, 1, 1];

/** A saved sections state, checked; null when there is none or it is malformed. */
export function readSectionsState(
  value: ReadonlyPartialJSONValue | undefined
): ISectionsState | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return null;
  }
  const record = value as {
    [key: string]: ReadonlyPartialJSONValue | undefined;
  };
  const collapsed = record.collapsed;
  const sizes = record.sizes;
  if (!Array.isArray(collapsed) || !Array.isArray(sizes)) {
    return null;
  }
  return {
    collapsed: collapsed.filter((id): id is string => typeof id === 'string'),
    sizes: sizes.filter((size): size is number => typeof size === 'number')
  };
}

function axisLabels(trans: TranslationBundle): Record<XAxisChoice, string> {
  return {
    auto: trans.__('Auto'),
    step: trans.__('Step'),
    epoch: trans.__('Epoch'),
    time: trans.__('Wall time')
  };
}

export class TrainingPanel extends SidePanel {
  constructor(options: {
    model: PanelModel;
    colours: IThemeColours;
    icon?: LabIcon;
    /** Called when the user changes a control (the plugin saves it as a setting). */
    onSettingChange: SettingChange;
    /** Chart renderer; tests use svg. */
    renderer?: 'canvas' | 'svg';
    /** The `tflog` strings; untranslated when not given. */
    trans?: TranslationBundle;
    /** Inserts the empty state's code into the active notebook. */
    inserter?: ICellInserter | null;
    /** Shows the cell a failed run's error came from. */
    goToCell?: GoToCell | null;
    /** Opens the History view (a History button on the All my notebooks section). */
    onOpenHistory?: () => void;
    /** Opens the logs view (a click on a chart's point or marker). */
    onOpenLogs?: (args: IOpenLogsArgs) => void;
  }) {
    super();
    const trans = options.trans ?? defaultBundle();
    this._strings = trans;
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
    this._onSettingChange = options.onSettingChange;

    this._createToolbar();
    this._controls = new ChartControls({
      onChange: options.onSettingChange,
      trans
    });
    this._empty = new EmptyState({ trans, inserter: options.inserter });
    this._runHeader = new RunHeader({ trans, goToCell: options.goToCell });
    this._charts = new ChartsPanel({
      colours: options.colours,
      renderer: options.renderer,
      trans,
      openLogs: options.onOpenLogs
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

    this.header.addWidget(new StatusLine(this.model, trans));
    // Sections that fold and share the room, as in the Debugger sidebar.
    const runSection = new Panel();
    runSection.addWidget(this._empty);
    runSection.addWidget(this._runHeader);
    runSection.title.label = trans.__('Run');
    // The chart controls stay above the charts they change.
    const metricsSection = new Panel();
    metricsSection.addClass('jp-tflog-metrics');
    metricsSection.addWidget(this._controls);
    metricsSection.addWidget(this._charts);
    metricsSection.title.label = trans.__('Metrics');
    this._systemModel = new SystemModel({ trans });
    this._system = new SystemSection({
      model: this._systemModel,
      colours: options.colours,
      renderer: options.renderer,
      trans
    });
    this._system.title.label = trans.__('System');
    this._notebookRuns.title.label = trans.__('This notebook');
    this._allRuns.title.label = trans.__('All my notebooks');
    if (options.onOpenHistory) {
      // Shown in the section's title, as the Debugger's section buttons are.
      const allRunsSection: Toolbar.IWidgetToolbar = this._allRuns;
      allRunsSection.toolbar = new Toolbar();
      allRunsSection.toolbar.addItem(
        'history',
        new ToolbarButton({
          className: 'jp-tflog-open-history',
          label: trans.__('History'),
          tooltip: trans.__('Find, sort and compare all your past runs'),
          onClick: options.onOpenHistory
        })
      );
    }
    const sections: Widget[] = [
      runSection,
      metricsSection,
      this._system,
      this._notebookRuns,
      this._allRuns
    ];
    sections.forEach((section, index) => {
      section.addClass('jp-tflog-section');
      section.node.dataset.section = SECTION_IDS[index];
      // Until the user sizes them: most room to the charts, then the run.
      SplitPanel.setStretch(section, SECTION_STRETCH[index]);
      this.addWidget(section);
    });
    this._accordion.expansionToggled.connect(this._onSectionsChanged, this);
    // The status line above grows and shrinks with its messages: the
    // sections below are laid out again for the room they have left.
    if (typeof ResizeObserver !== 'undefined') {
      this._contentObserver = new ResizeObserver(() => {
        if (!this.isDisposed && this.isVisible) {
          MessageLoop.sendMessage(
            this.content,
            Widget.ResizeMessage.UnknownSize
          );
        }
      });
      this._contentObserver.observe(this.content.node);
    }
    this._accordion.handleMoved.connect(this._onSectionsChanged, this);

    this.model.runsChanged.connect(this._renderRuns, this);
    this.model.runModelChanged.connect(this._onRunModelChanged, this);
    this.model.settingsChanged.connect(this._renderSettings, this);
    this._onRunModelChanged(this.model, this.model.runModel);
    this._renderSettings();
  }

  readonly model: PanelModel;

  /** Emitted when a section is folded or unfolded, or the room between them moved. */
  get sectionsChanged(): ISignal<this, ISectionsState> {
    return this._sectionsChanged;
  }

  /** Which sections are folded, and their sizes. */
  get sectionsState(): ISectionsState {
    const widgets = this._accordion.widgets;
    return {
      collapsed: SECTION_IDS.filter((_, index) => widgets[index]?.isHidden),
      sizes: this._accordion.relativeSizes()
    };
  }

  /** Fold and size the sections as remembered; unknown ids and bad sizes are ignored. */
  restoreSections(state: ISectionsState): void {
    SECTION_IDS.forEach((id, index) => {
      const folded = state.collapsed.includes(id);
      if (folded !== this._accordion.widgets[index].isHidden) {
        if (folded) {
          this._accordion.collapse(index);
        } else {
          this._accordion.expand(index);
        }
      }
    });
    if (
      state.sizes.length === SECTION_IDS.length &&
      state.sizes.every(size => Number.isFinite(size) && size >= 0) &&
      state.sizes.some(size => size > 0)
    ) {
      this._accordion.setRelativeSizes(state.sizes);
    }
  }

  /** Every chart has drawn what it was given (for tests). */
  get drawn(): Promise<void> {
    return this._charts.drawn;
  }

  setColours(colours: IThemeColours): void {
    this._charts.setColours(colours);
    this._system.setColours(colours);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.setActive(false);
    this.model.runsChanged.disconnect(this._renderRuns, this);
    this.model.runModelChanged.disconnect(this._onRunModelChanged, this);
    this.model.settingsChanged.disconnect(this._renderSettings, this);
    this._shownRun?.chartsChanged.disconnect(this._renderAutoAxis, this);
    this._shownRun?.summaryChanged.disconnect(this._onSummaryChanged, this);
    this._systemModel.dispose();
    this._contentObserver?.disconnect();
    Signal.clearData(this);
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

  private get _accordion(): AccordionPanel {
    return this.content as AccordionPanel;
  }

  private _onSectionsChanged(): void {
    this._sectionsChanged.emit(this.sectionsState);
  }

  private _createToolbar(): void {
    const trans = this._strings;
    const labels = axisLabels(trans);
    this._axisSelect = h(
      'select',
      {
        class: 'jp-tflog-xaxis',
        'aria-label': trans.__('X axis')
      },
      (Object.keys(labels) as XAxisChoice[]).map(axis =>
        h('option', { value: axis }, [labels[axis]])
      )
    );
    this._axisSelect.addEventListener('change', () => {
      const value = this._axisSelect.value;
      if (isXAxisChoice(value)) {
        this._onSettingChange('xAxis', value);
      }
    });
    const toolbar = this.toolbar;
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
  }

  private _onRunModelChanged(_: PanelModel, runModel: RunModel | null): void {
    this._shownRun?.chartsChanged.disconnect(this._renderAutoAxis, this);
    this._shownRun?.summaryChanged.disconnect(this._onSummaryChanged, this);
    this._shownRun = runModel;
    runModel?.chartsChanged.connect(this._renderAutoAxis, this);
    runModel?.summaryChanged.connect(this._onSummaryChanged, this);
    this._systemModel.setRun(
      runModel?.client ?? null,
      runModel?.runId ?? null,
      runModel?.summary ?? null
    );
    this._runHeader.setRunModel(runModel);
    this._charts.setRunModel(runModel);
    this._renderRuns();
    this._renderAutoAxis();
  }

  private _onSummaryChanged(_: RunModel, summary: IRunSummary | null): void {
    this._systemModel.setSummary(summary);
  }

  /** The Auto option names the axis it stands for with the run shown. */
  private _renderAutoAxis(): void {
    const option = this._axisSelect.querySelector<HTMLOptionElement>(
      'option[value="auto"]'
    );
    const axis = this._shownRun?.axis;
    const text =
      axis === undefined
        ? this._strings.__('Auto')
        : this._strings.__('Auto (%1)', axisLabels(this._strings)[axis]);
    if (option && option.textContent !== text) {
      option.textContent = text;
    }
  }

  private _renderRuns(): void {
    const model = this.model;
    const selected = model.runModel?.runId ?? null;
    const path = model.notebookPath;
    const trans = this._strings;
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
    const name = path === null ? '' : baseName(path);
    this._notebookRuns.setSubtitle(name);
    this._notebookRuns.title.label =
      name === ''
        ? trans.__('This notebook')
        : trans.__('This notebook · %1', name);
    this._empty.setMessage(empty);
    this._empty.setHidden(empty === '');
    // The empty state says it once: lists with nothing in them say nothing.
    this._notebookRuns.setQuiet(empty !== '');
    this._allRuns.setQuiet(empty !== '');
  }

  private _renderSettings(): void {
    const settings: Readonly<ITflogSettings> = this.model.settings;
    this._axisSelect.value = settings.xAxis;
    this._controls.render(settings);
  }

  private readonly _strings: TranslationBundle;
  private readonly _onSettingChange: SettingChange;
  private _axisSelect!: HTMLSelectElement;
  private readonly _controls: ChartControls;
  private _shownRun: RunModel | null = null;
  private readonly _sectionsChanged = new Signal<this, ISectionsState>(this);
  private _contentObserver: ResizeObserver | null = null;
  private readonly _empty: EmptyState;
  private readonly _runHeader: RunHeader;
  private readonly _charts: ChartsPanel;
  private readonly _systemModel: SystemModel;
  private readonly _system: SystemSection;
  private readonly _notebookRuns: RunList;
  private readonly _allRuns: RunList;
}

/** `train.ipynb` of `work/train.ipynb`. */
function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
