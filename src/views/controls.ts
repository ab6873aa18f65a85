/**
 * The chart controls at the top of the panel: which metrics to chart,
 * smoothing and a log-scale y axis. They show the panel's settings and
 * hand every change to `onChange`, which saves it as a setting (the same
 * ones the Settings Editor shows); a change made there comes back through
 * `render`.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { metricFilterText, parseMetricFilter } from '../model/viewDefaults';
import { LIMITS } from '../settings';
import type { ITflogSettings } from '../tokens';
import { h, setText } from './dom';
import { defaultBundle } from './text';

/** A setting the user changed in the panel. */
export type SettingChange = <K extends keyof ITflogSettings>(
  key: K,
  value: ITflogSettings[K]
) => void;

export class ChartControls extends Widget {
  constructor(options: { onChange: SettingChange; trans?: TranslationBundle }) {
    super();
    const trans = options.trans ?? defaultBundle();
    this._onChange = options.onChange;
    this.addClass('jp-tflog-controls');
    this._filter = h('input', {
      type: 'search',
      class: 'jp-tflog-metric-filter',
      placeholder: trans.__('All metrics'),
      'aria-label': trans.__('Metrics to chart'),
      title: trans.__(
        'Metric names or patterns with *, separated by commas (e.g. loss, *acc*); empty: every metric. Press Enter to apply.'
      ),
      spellcheck: 'false'
    });
    this._smoothing = h('input', {
      type: 'range',
      class: 'jp-tflog-smoothing',
      min: String(LIMITS.smoothing.min),
      max: String(LIMITS.smoothing.max),
      step: '0.01',
      'aria-label': trans.__('Smoothing')
    });
    this._smoothingValue = h('output', {
      class: 'jp-tflog-smoothing-value'
    });
    this._logScale = h('input', {
      type: 'checkbox',
      class: 'jp-tflog-logscale'
    });
    this.node.append(
      this._filter,
      h(
        'label',
        {
          class: 'jp-tflog-smoothing-label',
          title: trans.__(
            'Exponential moving average of the curves (0: raw values); the raw curve stays faint behind'
          )
        },
        [trans.__('Smoothing') + ' ', this._smoothing, this._smoothingValue]
      ),
      h(
        'label',
        {
          class: 'jp-tflog-logscale-label',
          title: trans.__(
            'Logarithmic y axis (zero and negative values are not drawn)'
          )
        },
        [this._logScale, ' ' + trans.__('Log scale')]
      )
    );
    this._filter.addEventListener('change', this._onFilter);
    this._smoothing.addEventListener('input', this._onSmoothingInput);
    this._smoothing.addEventListener('change', this._onSmoothing);
    this._logScale.addEventListener('change', this._onLogScale);
  }

  /** Show the settings in use; the box being typed in keeps its text. */
  render(settings: Readonly<ITflogSettings>): void {
    const filter = metricFilterText(settings.defaultMetrics);
    if (
      document.activeElement !== this._filter &&
      metricFilterText(parseMetricFilter(this._filter.value)) !== filter
    ) {
      this._filter.value = filter;
    }
    this._smoothing.value = String(settings.smoothing);
    setText(this._smoothingValue, settings.smoothing.toFixed(2));
    this._logScale.checked = settings.logScale;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._filter.removeEventListener('change', this._onFilter);
    this._smoothing.removeEventListener('input', this._onSmoothingInput);
    this._smoothing.removeEventListener('change', this._onSmoothing);
    this._logScale.removeEventListener('change', this._onLogScale);
    super.dispose();
  }

  private _onFilter = (): void => {
    this._onChange('defaultMetrics', parseMetricFilter(this._filter.value));
  };

  /** While dragging: only the number beside the slider follows. */
  private _onSmoothingInput = (): void => {
    setText(this._smoothingValue, Number(this._smoothing.value).toFixed(2));
  };

  private _onSmoothing = (): void => {
    const value = Number(this._smoothing.value);
    if (Number.isFinite(value)) {
      this._onChange('smoothing', value);
    }
  };

  private _onLogScale = (): void => {
    this._onChange('logScale', this._logScale.checked);
  };

  private readonly _onChange: SettingChange;
  private readonly _filter: HTMLInputElement;
  private readonly _smoothing: HTMLInputElement;
  private readonly _smoothingValue: HTMLOutputElement;
  private readonly _logScale: HTMLInputElement;
}
