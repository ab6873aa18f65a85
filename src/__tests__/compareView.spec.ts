import { Widget } from '@lumino/widgets';

import { CompareModel } from '../model/compareModel';
import { resolveThemeColours } from '../theme';
import type {
  ICompareQuery,
  ICompareResponse,
  ISeriesQuery,
  ISeriesResponse
} from '../tokens';
import { CompareView } from '../views/compare';
import { compareSpec, runStrokes } from '../views/compareSpec';
import { FakeClient, ranked, series, summary } from './fakes';
import { markingBundle } from './translation';

const colours = resolveThemeColours(() => '');

/**
 * Two runs with loss and acc (their summaries hold acc's last and best:
 * the comparison reads the drawn metric's series only); run b has a NaN;
 * the service has no run gone.
 */
class TwoRuns extends FakeClient {
  /** A comparison's request fails with it while set. */
  failure: Error | null = null;

  compare(query: ICompareQuery): Promise<ICompareResponse> {
    return this.failure ? Promise.reject(this.failure) : super.compare(query);
  }

  series(runId: string, query: ISeriesQuery): Promise<ISeriesResponse> {
    if (runId === 'gone') {
      return Promise.reject(new Error('tflog service: run gone not found'));
    }
    const loss =
      runId === 'a'
        ? [
            { x: 1, y: 1, time: '2026-01-31T10:00:01.000Z' },
            { x: 2, y: 0.5, time: '2026-01-31T10:00:02.000Z' },
            { x: 3, y: 0.25, time: '2026-01-31T10:00:03.000Z' }
          ]
        : [
            { x: 1, y: 2, time: '2026-01-31T10:00:01.000Z' },
            {
              x: 2,
              y: null,
              nonfinite: 'NaN' as const,
              time: '2026-01-31T10:00:02.000Z'
            }
          ];
    return Promise.resolve({
      run: summary({
        run_id: runId,
        name: `run ${runId}`,
        hparams: { lr: runId === 'a' ? 0.1 : 0.01 },
        last_metrics: { acc: 0.5 },
        max_metrics: { acc: 0.5 }
      }),
      series: ranked([
        series('loss', loss),
        series('acc', [{ x: 1, y: 0.5, time: '2026-01-31T10:00:01.000Z' }])
      ])
    });
  }
}

describe('runStrokes', () => {
  it('uses the theme’s colours, then the same colours dashed', () => {
    const strokes = runStrokes(5, ['red', 'blue']);
    expect(strokes.map(stroke => stroke.colour)).toEqual([
      'red',
      'blue',
      'red',
      'blue',
      'red'
    ]);
    expect(strokes[0].dash).toEqual([1, 0]);
    expect(strokes[2].dash).not.toEqual([1, 0]);
    expect(strokes[4].dash).not.toEqual(strokes[2].dash);
  });
});

describe('CompareView while reading', () => {
  it('counts the runs with their plural form', () => {
    const client = new TwoRuns();
    // Never answered: the view stays in its reading state.
    client.compare = () => new Promise<ICompareResponse>(() => undefined);
    const model = new CompareModel({ client, runIds: ['a'] });
    const view = new CompareView({
      model,
      colours,
      renderer: 'svg',
      trans: markingBundle()
    });
    void model.load();
    expect(
      view.node.querySelector('.jp-tflog-compare-status')?.textContent
    ).toBe('«Reading 1 run…»');
    view.dispose();
    model.dispose();
  });
});

describe('CompareView', () => {
  let view: CompareView;
  let client: TwoRuns;

  beforeEach(async () => {
    client = new TwoRuns();
    const model = new CompareModel({
      client,
      runIds: ['a', 'b', 'gone']
    });
    view = new CompareView({ model, colours, renderer: 'svg' });
    Widget.attach(view, document.body);
    await model.load();
    await view.chart.drawn;
  });

  afterEach(() => {
    if (!view.isDisposed) {
      view.dispose();
    }
  });

  it('draws every run with a legend entry and says which run failed', () => {
    const node = view.node;
    const chart = node.querySelector('.jp-tflog-compare-chart') as HTMLElement;
    expect(chart.dataset.metric).toBe('loss');
    expect(chart.dataset.points).toBe('5');
    expect(chart.dataset.runs).toBe('2');
    expect(chart.dataset.nonfinite).toBe('1');
    expect(chart.querySelector('svg')).not.toBeNull();
    const legend = [
      ...node.querySelectorAll('.jp-tflog-compare-legend-item')
    ].map(item => [item.getAttribute('data-run-id'), item.textContent]);
    expect(legend).toEqual([
      ['a', 'run a'],
      ['b', 'run b']
    ]);
    const errors = node.querySelector('.jp-tflog-compare-error') as HTMLElement;
    expect(errors.hidden).toBe(false);
    expect(errors.textContent).toBe(
      'Run gone cannot be shown: the service has no such run of yours'
    );
    const metrics = [
      ...node.querySelectorAll('.jp-tflog-compare-metric option')
    ].map(option => option.textContent);
    expect(metrics).toEqual(['loss', 'acc']);
  });

  it('says it follows running runs, and keeps what it shows when a re-read fails', async () => {
    const status = () =>
      view.node.querySelector('.jp-tflog-compare-status')?.textContent;
    const chart = view.node.querySelector(
      '.jp-tflog-compare-chart'
    ) as HTMLElement;
    expect(status()).toBe(
      'Following 2 running runs: read again every few seconds.'
    );
    client.failure = new Error('tflog service: store unavailable');
    await view.model.refresh();
    expect(status()).toBe(
      'Cannot read the runs again (shown as read before): tflog service: store unavailable'
    );
    expect(chart.dataset.points).toBe('5');
    client.failure = null;
    await view.model.refresh();
    expect(status()).toBe(
      'Following 2 running runs: read again every few seconds.'
    );
  });

  it('lists final and best values side by side', () => {
    const cells = (metric: string) =>
      [
        ...view.node.querySelectorAll(
          `.jp-tflog-compare-table tr[data-metric="${metric}"] td`
        )
      ].map(cell => cell.textContent);
    expect(cells('loss')).toEqual(['0.25', '0.25', 'NaN', '2']);
    expect(cells('acc')).toEqual(['0.5', '0.5', '0.5', '0.5']);
    const winner = view.node.querySelector(
      'tr[data-metric="loss"] .jp-tflog-mod-winner'
    );
    expect(winner?.getAttribute('data-run-id')).toBe('a');
  });

  it('lists every run’s value at the readout’s x, NaN included', () => {
    view.chart.showReadout(2);
    const rows = [
      ...view.node.querySelectorAll('.jp-tflog-compare-readout-row')
    ].map(row => [row.getAttribute('data-run-id'), row.textContent]);
    expect(rows).toEqual([
      ['a', 'run a0.5'],
      ['b', 'run bNaN']
    ]);
    expect(
      view.node.querySelector('.jp-tflog-compare-readout-x')?.textContent
    ).toBe('step 2');
  });

  it('sends new values of the same look to every dataset', async () => {
    const drawnView = () =>
      (view.chart as unknown as { view: import('vega').View }).view;
    view.model.setView({ smoothing: 0.5 });
    await view.chart.drawn;
    const embedded = drawnView();
    view.model.setView({ smoothing: 0.9 });
    await view.chart.drawn;
    // The same look: the view drawn before takes the new values.
    expect(drawnView()).toBe(embedded);
    const smoothed = embedded
      .data('points')
      .filter(row => row.runId === 'a')
      .map(row => row.plotY);
    expect(smoothed[0]).toBe(1);
    // Debiased: (0.9 × 0.1 × 1 + 0.1 × 0.5) / (1 − 0.9²).
    expect(smoothed[1]).toBeCloseTo(0.14 / 0.19);
    // Two runs of at most three points: every drawn value marked.
    expect(embedded.data('marked')).toHaveLength(4);
    expect(embedded.data('nonfinite').map(row => row.runId)).toEqual(['b']);
    expect(embedded.data('columns').map(row => row.x)).toEqual([1, 2, 3]);
  });

  it("draws the readout's points from their own dataset, kept through a redraw", async () => {
    const drawnView = () =>
      (view.chart as unknown as { view: import('vega').View }).view;
    await view.chart.drawn;
    // What the view draws once it has run.
    const readoutRuns = async () => {
      const drawn = await drawnView().runAsync();
      return drawn.data('readout').map(row => [row.runId, row.x]);
    };
    expect(await readoutRuns()).toEqual([]);
    // Run b's value at 2 is NaN: not drawn, so no point of it.
    view.chart.showReadout(2);
    expect(await readoutRuns()).toEqual([['a', 2]]);
    expect(drawnView().signal('readoutX')).toBe(2);
    // Smoothing is a new look: a new view, which shows the same readout.
    view.model.setView({ smoothing: 0.5 });
    await view.chart.drawn;
    expect(await readoutRuns()).toEqual([['a', 2]]);
    expect(drawnView().signal('readoutX')).toBe(2);
    view.chart.showReadout(null);
    expect(await readoutRuns()).toEqual([]);
  });

  it('follows the controls: metric, legend, log scale', async () => {
    const metric = view.node.querySelector(
      '.jp-tflog-compare-metric'
    ) as HTMLSelectElement;
    metric.value = 'acc';
    metric.dispatchEvent(new Event('change'));
    await view.chart.drawn;
    const chart = view.node.querySelector(
      '.jp-tflog-compare-chart'
    ) as HTMLElement;
    expect(chart.dataset.metric).toBe('acc');
    expect(chart.dataset.points).toBe('2');

    const legend = view.node.querySelector(
      '.jp-tflog-compare-legend-key'
    ) as HTMLSelectElement;
    expect([...legend.options].map(option => option.value)).toEqual([
      'name',
      'hparam:lr'
    ]);
    legend.value = 'hparam:lr';
    legend.dispatchEvent(new Event('change'));
    await view.chart.drawn;
    expect(
      [...view.node.querySelectorAll('.jp-tflog-compare-legend-label')].map(
        label => label.textContent
      )
    ).toEqual(['lr=0.1', 'lr=0.01']);

    const log = view.node.querySelector(
      '.jp-tflog-compare-log'
    ) as HTMLInputElement;
    log.checked = true;
    log.dispatchEvent(new Event('change'));
    expect(view.model.view.logScale).toBe(true);
    await view.chart.drawn;
    // A log y scale (values of zero or less are left out: compareHover.spec).
    const spec = compareSpec({
      metric: 'acc',
      axis: 'step',
      labels: ['a'],
      colours,
      logScale: true,
      smoothed: false,
      width: 100,
      height: 100
    });
    expect(JSON.stringify(spec)).toContain('"scale":{"type":"log"}');
    // Steps are whole numbers: no tick at step 1.5.
    expect(JSON.stringify(spec)).toContain('"tickMinStep":1');
  });

  it('draws again in a new theme and finalizes its view on dispose', async () => {
    const before = view.node.querySelector('svg');
    view.setColours(
      resolveThemeColours(name =>
        name === '--jp-layout-color1' ? '#111111' : ''
      )
    );
    await view.chart.drawn;
    const after = view.node.querySelector('svg');
    expect(after).not.toBeNull();
    expect(after).not.toBe(before);
    const embedded = (
      view.chart as unknown as { _result: { finalize: () => void } }
    )._result;
    const finalize = jest.spyOn(embedded, 'finalize');
    view.dispose();
    expect(finalize).toHaveBeenCalledTimes(1);
  });
});

describe('CompareView through ITranslator', () => {
  it('translates its controls, table and messages', async () => {
    const model = new CompareModel({
      client: new TwoRuns(),
      runIds: ['a', 'gone']
    });
    const view = new CompareView({
      model,
      colours,
      renderer: 'svg',
      trans: markingBundle()
    });
    Widget.attach(view, document.body);
    await model.load();
    await view.chart.drawn;
    const texts = (selector: string) =>
      [...view.node.querySelectorAll(selector)].map(node => node.textContent);
    expect(texts('.jp-tflog-compare-control-label')).toEqual([
      '«Metric»',
      '«X axis»',
      '«Smoothing»',
      '«Log scale»',
      '«Legend»'
    ]);
    expect(texts('.jp-tflog-compare-axis option')).toEqual([
      '«Step»',
      '«Epoch»',
      '«Relative time»',
      '«Wall time»'
    ]);
    expect(texts('.jp-tflog-compare-legend-key option')).toEqual([
      '«Run name»',
      '«Hyperparameter lr»'
    ]);
    // vega-embed makes the spec's description the plot's aria-label.
    expect(
      view.node
        .querySelector('.jp-tflog-compare-chart .vega-embed')
        ?.getAttribute('aria-label')
    ).toBe('«loss by «step», 1 run»');
    expect(texts('.jp-tflog-compare-error li')).toEqual([
      '«Run gone cannot be shown: «the service has no such run of yours»»'
    ]);
    expect(texts('.jp-tflog-compare-table thead tr:nth-child(2) th')).toEqual([
      '«final»',
      '«best»'
    ]);
    view.chart.showReadout(1);
    expect(texts('.jp-tflog-compare-readout-x')).toEqual(['«step» 1']);
    view.dispose();
  });
});
