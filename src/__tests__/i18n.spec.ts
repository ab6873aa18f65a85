import { Widget } from '@lumino/widgets';

import { PanelModel } from '../model/panelModel';
import { DEFAULT_SETTINGS } from '../settings';
import { resolveThemeColours } from '../theme';
import { TrainingPanel } from '../views/panel';
import { FakeClient, FakeEventSource, summary } from './fakes';
import { markingBundle } from './translation';

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await Promise.resolve();
  }
}

describe('the panel through ITranslator', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('translates its labels, lists, statuses and messages', async () => {
    const client = new FakeClient();
    const run = summary({
      run_id: 'r1',
      status: 'failed',
      counts: { events: 3, errors: 1, warnings: 0, nan: 2 },
      last_metrics: { loss: 0.5 },
      last_step: 4
    });
    client.run_ = run;
    client.runsByNotebook.set('train.ipynb', [run]);
    client.runsByNotebook.set(undefined, [run]);
    client.statusAnswer = new Error('offline');
    const model = new PanelModel({
      client,
      settings: { ...DEFAULT_SETTINGS },
      createEventSource: url => new FakeEventSource(url)
    });
    const panel = new TrainingPanel({
      model,
      colours: resolveThemeColours(() => ''),
      onSettingChange: () => undefined,
      renderer: 'svg',
      trans: markingBundle()
    });
    model.setNotebookPath('train.ipynb');
    Widget.attach(panel, document.body);
    await settle();

    const text = (selector: string): string =>
      panel.node.querySelector(selector)?.textContent ?? '';
    expect(panel.title.label).toBe('«Training»');
    expect(text('.jp-tflog-xaxis option[value="time"]')).toBe('«Wall time»');
    expect(text('#jp-tflog-runs-heading-notebook')).toBe(
      '«This notebook» · train.ipynb'
    );
    expect(text('.jp-tflog-run-status')).toBe('«failed»');
    expect(text('.jp-tflog-run-meta')).toContain('«step 4»');
    expect(text('.jp-tflog-run-problem')).toContain('«2 non-finite values»');
    expect(text('.jp-tflog-run-item-status')).toBe('«failed»');
    expect(text('.jp-tflog-run-item-details')).toContain('«loss 0.5»');
    expect(text('.jp-tflog-live')).toMatch(/^«.+»$/);
    panel.dispose();
    model.dispose();
  });
});
