import { Widget } from '@lumino/widgets';

import { SystemModel } from '../model/systemModel';
import { resolveThemeColours } from '../theme';
import { SystemSection } from '../views/systemSection';
import { defaultBundle } from '../views/text';
import { FakeClient, points, series, summary } from './fakes';

const SYSTEM = { scope: 'system', source: 'system' } as const;
const trans = defaultBundle();

async function shown(client: FakeClient) {
  const model = new SystemModel({ trans });
  const section = new SystemSection({
    model,
    colours: resolveThemeColours(() => ''),
    trans,
    renderer: 'svg'
  });
  Widget.attach(section, document.body);
  model.setRun(client, 'run-1', summary({ status: 'finished' }));
  await model.load();
  await section.drawn;
  const message = section.node.querySelector<HTMLElement>(
    '.jp-tflog-system-message'
  );
  return { model, section, message };
}

function chartKeys(section: SystemSection): string[] {
  return [
    ...section.node.querySelectorAll<HTMLElement>('[data-system-chart]')
  ].map(chart => chart.dataset.systemChart ?? '');
}

describe('the System section', () => {
  it('draws CPU and RSS and says when the kernel has no GPU', async () => {
    const client = new FakeClient();
    client.allSeries = [
      series(
        'system.gpu_count',
        points([1], () => 0),
        SYSTEM
      ),
      series(
        'system.cpu_percent',
        points([2, 3], () => 40),
        SYSTEM
      ),
      series(
        'system.rss_mb',
        points([1, 2, 3], () => 300),
        SYSTEM
      )
    ];
    const { model, section, message } = await shown(client);
    expect(message?.textContent).toBe('No GPU on this kernel');
    expect(message?.closest('.lm-mod-hidden')).toBeNull();
    expect(chartKeys(section)).toEqual(['process.cpu', 'process.rss']);
    const rss = section.node.querySelector<HTMLElement>(
      '[data-system-chart="process.rss"]'
    );
    expect(rss?.dataset.points).toBe('3');
    section.dispose();
    model.dispose();
  });

  it('draws each GPU under its own heading, and drops charts no longer sampled', async () => {
    const client = new FakeClient();
    client.allSeries = [
      series(
        'system.gpu_count',
        points([1], () => 1),
        SYSTEM
      ),
      series('system.rss_mb', points([1]), SYSTEM),
      series('gpu0.utilization_percent', points([1, 2]), SYSTEM)
    ];
    const { model, section, message } = await shown(client);
    expect(message?.closest('.lm-mod-hidden')).not.toBeNull();
    expect(
      [
        ...section.node.querySelectorAll<HTMLElement>('.jp-tflog-system-device')
      ].map(heading => heading.textContent)
    ).toEqual(['Kernel process', 'GPU 0']);
    expect(chartKeys(section)).toEqual(['process.rss', 'gpu0.utilization']);
    client.allSeries = [series('system.rss_mb', points([1, 2]), SYSTEM)];
    await model.load();
    expect(chartKeys(section)).toEqual(['process.rss']);
    expect(
      section.node.querySelectorAll('.jp-tflog-system-device').length
    ).toBe(1);
    section.dispose();
    model.dispose();
  });

  it('says how to turn sampling on when the run has no samples', async () => {
    const client = new FakeClient();
    client.allSeries = [series('loss', points([1, 2]))];
    const { model, section, message } = await shown(client);
    expect(message?.textContent).toContain('sampling is off');
    expect(message?.textContent).toContain('--system-interval');
    expect(chartKeys(section)).toEqual([]);
    section.dispose();
    model.dispose();
  });
});
