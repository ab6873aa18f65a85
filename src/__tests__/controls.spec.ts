import { Widget } from '@lumino/widgets';

import { PanelModel } from '../model/panelModel';
import { DEFAULT_SETTINGS } from '../settings';
import { resolveThemeColours } from '../theme';
import type { ITflogSettings } from '../tokens';
import { ChartControls } from '../views/controls';
import { TrainingPanel } from '../views/panel';
import { FakeClient, FakeEventSource } from './fakes';

type Change = [keyof ITflogSettings, unknown];

function newControls() {
  const changes: Change[] = [];
  const controls = new ChartControls({
    onChange: (key, value) => changes.push([key, value])
  });
  Widget.attach(controls, document.body);
  controls.render(DEFAULT_SETTINGS);
  const find = <T extends HTMLElement>(selector: string): T => {
    const found = controls.node.querySelector<T>(selector);
    if (!found) {
      throw new Error(`no ${selector}`);
    }
    return found;
  };
  return { controls, changes, find };
}

describe('the chart controls', () => {
  it('save the metric filter as patterns', () => {
    const { controls, changes, find } = newControls();
    const filter = find<HTMLInputElement>('.jp-tflog-metric-filter');
    filter.value = 'loss, *acc*';
    filter.dispatchEvent(new Event('change'));
    expect(changes).toEqual([['defaultMetrics', ['loss', '*acc*']]]);
    controls.dispose();
  });

  it('save smoothing when the slider is let go, showing its value while dragged', () => {
    const { controls, changes, find } = newControls();
    const slider = find<HTMLInputElement>('.jp-tflog-smoothing');
    slider.value = '0.6';
    slider.dispatchEvent(new Event('input'));
    expect(find('.jp-tflog-smoothing-value').textContent).toBe('0.60');
    expect(changes).toEqual([]);
    slider.dispatchEvent(new Event('change'));
    expect(changes).toEqual([['smoothing', 0.6]]);
    controls.dispose();
  });

  it('save the log scale', () => {
    const { controls, changes, find } = newControls();
    const box = find<HTMLInputElement>('.jp-tflog-logscale');
    box.checked = true;
    box.dispatchEvent(new Event('change'));
    expect(changes).toEqual([['logScale', true]]);
    controls.dispose();
  });

  it('follow settings changed elsewhere (the Settings Editor)', () => {
    const { controls, find } = newControls();
    controls.render({
      ...DEFAULT_SETTINGS,
      smoothing: 0.9,
      logScale: true,
      defaultMetrics: ['loss', 'val_*']
    });
    expect(find<HTMLInputElement>('.jp-tflog-metric-filter').value).toBe(
      'loss, val_*'
    );
    expect(find<HTMLInputElement>('.jp-tflog-smoothing').value).toBe('0.9');
    expect(find('.jp-tflog-smoothing-value').textContent).toBe('0.90');
    expect(find<HTMLInputElement>('.jp-tflog-logscale').checked).toBe(true);
    controls.dispose();
  });
});

describe('the panel’s x axis', () => {
  it('offers Auto, saves a choice and follows the settings', () => {
    const model = new PanelModel({
      client: new FakeClient(),
      settings: { ...DEFAULT_SETTINGS },
      createEventSource: url => new FakeEventSource(url)
    });
    const changes: Change[] = [];
    const panel = new TrainingPanel({
      model,
      colours: resolveThemeColours(() => ''),
      onSettingChange: (key, value) => changes.push([key, value]),
      renderer: 'svg'
    });
    const select = panel.node.querySelector<HTMLSelectElement>(
      'select.jp-tflog-xaxis'
    );
    expect([...(select?.options ?? [])].map(option => option.value)).toEqual([
      'auto',
      'step',
      'epoch',
      'time'
    ]);
    expect(select?.value).toBe('auto');
    if (select) {
      select.value = 'epoch';
      select.dispatchEvent(new Event('change'));
    }
    expect(changes).toEqual([['xAxis', 'epoch']]);
    model.updateSettings({ ...model.settings, xAxis: 'time', logScale: true });
    expect(select?.value).toBe('time');
    expect(
      panel.node.querySelector<HTMLInputElement>('.jp-tflog-logscale')?.checked
    ).toBe(true);
    panel.dispose();
    model.dispose();
  });
});
