/**
 * What every tflog chart shares: vega-embed loaded once and drawn in the
 * panel's look, and the base of the panel's metric charts and of the
 * comparison chart: one vega view (finalized before the next embed and on
 * dispose) kept as wide as its plot, changed through one queue so that
 * draws land in order, and a readout at the x nearest the pointer or moved
 * by the keyboard.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import type { View } from 'vega';
import type { Result } from 'vega-embed';
import type { TopLevelSpec } from 'vega-lite';

import {
  HOVER_PARAM,
  NUMBER_FORMAT_FUNCTION,
  READOUT_SIGNAL
} from '../chartSpec';
import { formatMetric, formatNumber } from '../format';
import type { IChartRow } from '../model/series';
import {
  hoveredX,
  IReadout,
  IReadoutValue,
  readoutAt,
  readoutStops
} from '../readout';
import { requestErrorText } from '../requestText';
import { IThemeColours, vegaConfig } from '../theme';
import { h } from './dom';
import { defaultBundle } from './text';

let chartLibrary: Promise<typeof import('vega-embed')> | null = null;

/**
 * vega-embed, loaded once. The charts panel starts this when shown, so the
 * first point of a run is not drawn only after the library was fetched and
 * parsed; a failed load is tried again by the next caller.
 */
export function loadChartLibrary(): Promise<typeof import('vega-embed')> {
  if (chartLibrary === null) {
    chartLibrary = import('vega-embed').catch(error => {
      chartLibrary = null;
      throw error;
    });
  }
  return chartLibrary;
}

/**
 * vega-tooltip's theme for tflog's charts: while one shows its tooltip, the
 * tooltip element has the class `jp-tflog-tooltip-theme` (added with
 * `visible`, removed on hiding), which style/base.css shows.
 */
export const TOOLTIP_THEME = 'jp-tflog-tooltip';

/**
 * Draw a Vega-Lite spec into `plot` as every tflog chart is drawn: axis
 * numbers in the panel's format (chartSpec's labelExpr), the theme's look.
 */
export async function embedChart(
  plot: HTMLElement,
  spec: TopLevelSpec,
  options: { renderer: 'canvas' | 'svg'; colours: IThemeColours }
): Promise<Result> {
  const { default: embed, vega } = await loadChartLibrary();
  vega.expressionFunction(NUMBER_FORMAT_FUNCTION, formatNumber);
  return embed(plot, spec, {
    mode: 'vega-lite',
    actions: false,
    renderer: options.renderer,
    config: vegaConfig(options.colours),
    // vega-tooltip's own stylesheet is a white box in every theme: the
    // tooltip is drawn with JupyterLab's variables instead (style/base.css).
    tooltip: { disableDefaultStyle: true, theme: TOOLTIP_THEME },
    // Warnings are about empty layers (no NaN yet): real errors still show.
    logLevel: vega.Error
  });
}

/** How a chart writes its readout. */
export interface IReadoutLook {
  /** The parts' classes: `<prefix>-x`, `-row`, `-name`, `-value`, `-note`. */
  classPrefix: string;
  /** An x as the readout writes it. */
  x(x: number): string;
  /** The first line: where the readout stands. */
  where(readout: IReadout): string;
  /** What a series' row says about itself (the DOM contract). */
  rowAttributes(value: IReadoutValue): Record<string, string | undefined>;
  /** A note after a value, or null. */
  note(value: IReadoutValue): string | null;
}

/**
 * Write `readout` into `node`: where it stands, then each series' value
 * (with its own x when that is not the readout's); hidden when null.
 */
export function renderReadout(
  node: HTMLElement,
  readout: IReadout | null,
  look: IReadoutLook
): void {
  node.hidden = readout === null;
  if (readout === null) {
    node.replaceChildren();
    return;
  }
  const prefix = look.classPrefix;
  node.replaceChildren(
    h('div', { class: `${prefix}-x` }, [look.where(readout)]),
    ...readout.values.map(value => {
      const note = look.note(value);
      return h(
        'div',
        { class: `${prefix}-row`, ...look.rowAttributes(value) },
        [
          h('span', { class: `${prefix}-name` }, [value.series]),
          h(
            'span',
            {
              class:
                value.raw === null
                  ? `${prefix}-value jp-tflog-nonfinite`
                  : `${prefix}-value`
            },
            [
              value.raw === null
                ? (value.nonfinite ?? 'NaN')
                : formatMetric(value.raw),
              value.x === readout.x ? '' : ` (${look.x(value.x)})`
            ]
          ),
          note === null ? null : h('span', { class: `${prefix}-note` }, [note])
        ]
      );
    })
  );
}

/**
 * Where `key` moves the readout among `stops` (ascending x) from `current`:
 * a stop, null (hide it), or undefined when the key does not move it. The
 * arrows start from the last stop.
 */
export function readoutKeyTarget(
  stops: readonly number[],
  current: number | undefined,
  key: string
): number | null | undefined {
  const index = current === undefined ? -1 : stops.indexOf(current);
  const last = stops.length - 1;
  switch (key) {
    case 'ArrowRight':
      return stops[index < 0 ? last : Math.min(index + 1, last)];
    case 'ArrowLeft':
      return stops[index < 0 ? last : Math.max(index - 1, 0)];
    case 'Home':
      return stops[0];
    case 'End':
      return stops[last];
    case 'Escape':
      return null;
    default:
      return undefined;
  }
}

/**
 * A widget drawing one vega view with a readout. Subclasses place `plot`,
 * `readoutNode` and `message` in their node, say which rows the readout
 * reads and how it looks, and embed through `embedView`.
 */
export abstract class VegaChart extends Widget {
  protected constructor(options: {
    renderer?: 'canvas' | 'svg';
    trans?: TranslationBundle;
    classes: { plot: string; readout: string; message: string };
    /** The plot's width (px) while it has none of its own (not laid out yet). */
    fallbackWidth: number;
  }) {
    super();
    this.trans = options.trans ?? defaultBundle();
    this._renderer = options.renderer ?? 'canvas';
    this._fallbackWidth = options.fallbackWidth;
    this.node.dataset.points = '0';
    this.plot = h('div', { class: options.classes.plot });
    this.readoutNode = h('div', {
      class: options.classes.readout,
      'aria-live': 'polite'
    });
    this.readoutNode.hidden = true;
    this.message = h('div', { class: options.classes.message, role: 'alert' });
    this.message.hidden = true;
  }

  /** Settles when everything asked for so far is drawn (or has failed). */
  get drawn(): Promise<void> {
    return this._queue;
  }

  /** The readout shown now (hover or keyboard), or null. */
  get readout(): IReadout | null {
    return this._readoutValue;
  }

  /**
   * Show the readout at `x` (null hides it): each series' nearest value,
   * the crosshair at x. The hover calls this through vega's signal.
   */
  showReadout(x: number | null): void {
    const readout =
      x === null ? null : readoutAt(this.readoutRows(), x, this.readoutStart());
    this._readoutValue = readout;
    renderReadout(this.readoutNode, readout, this.readoutLook());
    const view = this.view;
    if (view && view.signal(READOUT_SIGNAL) !== (readout?.x ?? null)) {
      view.signal(READOUT_SIGNAL, readout?.x ?? null);
      this.readoutMoved(view, readout?.x ?? null);
      view.runAsync().catch(error => this.showError(error));
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._keyTarget?.removeEventListener('keydown', this._onKeyDown);
    this._keyTarget?.removeEventListener('blur', this._onBlur);
    this.finalizeView();
    super.dispose();
  }

  /** The rows the readout reads. */
  protected abstract readoutRows(): readonly IChartRow[];

  /** How the readout is written. */
  protected abstract readoutLook(): IReadoutLook;

  /** What a failed draw says: in the console, and to the user with its reason. */
  protected abstract drawFailure(reason: string): {
    log: string;
    message: string;
  };

  /**
   * The readout moved to `x` (null: hidden), before the view runs again: a
   * chart that draws the readout from data of its own changes them here.
   */
  protected readoutMoved(view: View, x: number | null): void {
    // The panel's charts draw their readout from the signal alone.
  }

  /** When the run started (epoch ms), for the readout's elapsed time; null when unknown. */
  protected readoutStart(): number | null {
    return null;
  }

  /** The x values the keyboard moves the readout to, ascending. */
  protected keyStops(): number[] {
    return readoutStops(this.readoutRows());
  }

  /** Enter while the readout has the keyboard; returns whether it did something. */
  protected openReadout(): boolean {
    return false;
  }

  /** The width the view was drawn for (px), 0 before the first embed. */
  protected get plotWidth(): number {
    return this._width;
  }

  /** The view drawn now, or null. */
  protected get view(): View | null {
    return this._result?.view ?? null;
  }

  /** The readout follows the keyboard while `target` has the focus, and hides when it loses it. */
  protected moveReadoutWithKeys(target: HTMLElement): void {
    this._keyTarget = target;
    target.addEventListener('keydown', this._onKeyDown);
    target.addEventListener('blur', this._onBlur);
  }

  /**
   * Embed the spec built for the plot's width in place of the view drawn
   * before; null when the widget was disposed meanwhile.
   */
  protected async embedView(
    spec: (width: number) => TopLevelSpec,
    colours: IThemeColours
  ): Promise<View | null> {
    await loadChartLibrary();
    if (this.isDisposed) {
      return null;
    }
    this.finalizeView();
    this._width = this.plot.clientWidth || this._width || this._fallbackWidth;
    const result = await embedChart(this.plot, spec(this._width), {
      renderer: this._renderer,
      colours
    });
    if (this.isDisposed) {
      result.finalize();
      return null;
    }
    this._result = result;
    result.view.addSignalListener(HOVER_PARAM, this._onHover);
    if (this._readoutValue !== null) {
      // A new view starts without a readout: show the one the user sees.
      this.showReadout(this._readoutValue.x);
    }
    return result.view;
  }

  /** Stop the view drawn now, if any; subclasses remove their own view listeners first. */
  protected finalizeView(): void {
    if (this._result) {
      this._result.view.removeSignalListener(HOVER_PARAM, this._onHover);
      // Stops the view's timers and listeners (view.finalize()) and removes embed's own.
      this._result.finalize();
      this._result = null;
    }
  }

  /** Run `task` after every task queued before it; a failure shows on the chart. */
  protected enqueue(task: () => Promise<void>): void {
    this._queue = this._queue
      .then(() => (this.isDisposed ? undefined : task()))
      .catch(error => this.showError(error));
  }

  protected showError(error: unknown): void {
    const failure = this.drawFailure(requestErrorText(this.trans, error));
    console.error(failure.log, error);
    if (this.isDisposed) {
      return;
    }
    this.message.textContent = failure.message;
    this.message.hidden = false;
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    this._scheduleResize();
  }

  protected onAfterShow(msg: Message): void {
    this._scheduleResize();
  }

  protected onAfterAttach(msg: Message): void {
    this._scheduleResize();
  }

  private _scheduleResize(): void {
    const width = this.plot.clientWidth;
    if (width <= 0 || width === this._width) {
      return;
    }
    this._width = width;
    this.enqueue(async () => {
      if (this._result) {
        await this._result.view.width(width).runAsync();
      }
    });
  }

  private _onHover = (_: string, value: unknown): void => {
    this.showReadout(hoveredX(value));
  };

  private _onKeyDown = (event: KeyboardEvent): void => {
    const stops = this.keyStops();
    if (stops.length === 0) {
      return;
    }
    if (event.key === 'Enter') {
      if (this.openReadout()) {
        event.preventDefault();
      }
      return;
    }
    const next = readoutKeyTarget(stops, this._readoutValue?.x, event.key);
    if (next === undefined) {
      return;
    }
    event.preventDefault();
    this.showReadout(next);
  };

  private _onBlur = (): void => {
    this.showReadout(null);
  };

  protected readonly trans: TranslationBundle;
  protected readonly plot: HTMLDivElement;
  protected readonly readoutNode: HTMLDivElement;
  protected readonly message: HTMLDivElement;
  private readonly _renderer: 'canvas' | 'svg';
  private readonly _fallbackWidth: number;
  private _keyTarget: HTMLElement | null = null;
  private _readoutValue: IReadout | null = null;
  private _result: Result | null = null;
  private _width = 0;
  private _queue: Promise<void> = Promise.resolve();
}
