import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { LogsModel } from '../model/logs';
import { createLogsWidget } from '../views/logs';
import { stubResizeObserver } from './appFakes';
import { FakeClient } from './fakes';
import { logLine } from './logFixtures';
import { markingBundle } from './translation';

beforeAll(stubResizeObserver);

async function openView(
  lines = [logLine(1), logLine(2)],
  at?: string,
  trans?: TranslationBundle
) {
  const client = new FakeClient();
  client.logLines = lines;
  const model = new LogsModel({ client, args: { runId: 'run-1', at } });
  const widget = createLogsWidget({ model, trans });
  Widget.attach(widget, document.body);
  await model.load();
  return { client, model, widget, node: widget.node };
}

describe('the logs view', () => {
  it('shows messages as text, without terminal codes, with time, level and kind', async () => {
    const { node, widget } = await openView([
      logLine(1, {
        level: 'WARNING',
        kind: 'warning',
        message: '\u001b[33m<img src=x onerror=alert(1)>\u001b[0m slow'
      })
    ]);
    const line = node.querySelector('.jp-tflog-log-line')!;
    expect(line.getAttribute('data-level')).toBe('warning');
    expect(line.querySelector('.jp-tflog-log-message')!.textContent).toBe(
      '<img src=x onerror=alert(1)> slow'
    );
    expect(node.querySelector('img')).toBeNull();
    expect(line.querySelector('.jp-tflog-log-level-warning')!.textContent).toBe(
      'warning'
    );
    expect(line.querySelector('.jp-tflog-log-kind')!.textContent).toBe(
      'warning'
    );
    expect(widget.title.label).toBe('Logs: demo');
    widget.dispose();
  });

  it('counts the matching lines with their plural form', async () => {
    const range = (node: HTMLElement) =>
      node.querySelector('.jp-tflog-logs-range')?.textContent;
    const one = await openView([logLine(1)], undefined, markingBundle());
    expect(range(one.node)).toBe('«Page 1 · 1 line matches»');
    one.widget.dispose();
    const two = await openView(undefined, undefined, markingBundle());
    expect(range(two.node)).toBe('«Page 1 · 2 lines match»');
    two.widget.dispose();
  });

  it('highlights the line nearest to the time it was opened at', async () => {
    const { node, widget } = await openView(
      [logLine(1), logLine(5), logLine(9)],
      new Date(4000).toISOString()
    );
    const highlighted = node.querySelectorAll('.jp-tflog-mod-highlighted');
    expect(highlighted.length).toBe(1);
    expect(highlighted[0].getAttribute('data-line-id')).toBe('run-1:5');
    expect(highlighted[0].getAttribute('aria-current')).toBe('true');
    widget.dispose();
  });

  it('searches on Enter and says when nothing matches', async () => {
    const { node, client, widget } = await openView();
    const search = node.querySelector<HTMLInputElement>(
      '.jp-tflog-logs-search'
    )!;
    search.value = 'nothing';
    client.logLines = [];
    search.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(client.logQueries[client.logQueries.length - 1].query).toMatchObject(
      { text: 'nothing' }
    );
    expect(node.querySelector('.jp-tflog-logs-empty')!.textContent).toBe(
      'No line matches “nothing”.'
    );
    widget.dispose();
  });

  it('filters by level from the toolbar, and pages only where there is a page', async () => {
    const { node, client, widget } = await openView();
    expect(
      node.querySelector<HTMLButtonElement>('.jp-tflog-logs-previous')!.disabled
    ).toBe(true);
    expect(
      node.querySelector<HTMLButtonElement>('.jp-tflog-logs-next')!.disabled
    ).toBe(true);
    const level = node.querySelector<HTMLSelectElement>(
      '.jp-tflog-logs-level'
    )!;
    level.value = 'error';
    level.dispatchEvent(new Event('change'));
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(client.logQueries[client.logQueries.length - 1].query).toMatchObject(
      { levels: ['error', 'critical'] }
    );
    widget.dispose();
  });
});
