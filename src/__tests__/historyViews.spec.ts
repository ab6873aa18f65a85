import { Widget } from '@lumino/widgets';

import { HistoryModel } from '../model/historyModel';
import { HistoryQueriesModel } from '../model/historyQueries';
import { readHistoryView } from '../model/historyView';
import { HistoryView } from '../views/history';
import { defaultBundle } from '../views/text';
import { FakeClient, summary } from './fakes';
import { newPanel } from './panelFixture';

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await Promise.resolve();
  }
}

function historyView(client: FakeClient, args = {}) {
  const opened: string[] = [];
  const model = new HistoryModel({
    client,
    view: readHistoryView(args),
    defaultColumns: ['last:loss', 'best:loss', 'hparam:lr', 'tag:team'],
    pageSize: 50
  });
  const view = new HistoryView({
    model,
    queries: new HistoryQueriesModel({ client }),
    trans: defaultBundle(),
    onOpenRun: runId => opened.push(runId)
  });
  return { model, view, opened };
}

function runsClient(): FakeClient {
  const client = new FakeClient();
  client.runsByNotebook.set(undefined, [
    summary({
      run_id: 'good',
      name: 'good run',
      status: 'finished',
      tags: { team: 'vision' },
      hparams: { lr: 0.001 },
      last_metrics: { loss: 0.25 },
      min_metrics: { loss: 0.2 },
      max_metrics: { loss: 2 }
    }),
    summary({
      run_id: 'bad',
      name: 'bad run',
      status: 'finished',
      last_metrics: { loss: 'NaN' },
      counts: { events: 1, errors: 0, warnings: 0, nan: 1 }
    })
  ]);
  return client;
}

function key(target: Element, name: string): void {
  target.dispatchEvent(
    new KeyboardEvent('keydown', { key: name, bubbles: true })
  );
}

describe('the History view', () => {
  it('shows each run with its badges and the chosen columns', async () => {
    const client = runsClient();
    const { model, view } = historyView(client);
    Widget.attach(view, document.body);
    await model.refresh();
    const rows = [
      ...view.node.querySelectorAll<HTMLTableRowElement>(
        '.jp-tflog-history-row'
      )
    ];
    expect(rows.map(row => row.dataset.runId)).toEqual(['good', 'bad']);
    const cell = (row: HTMLElement, column: string) =>
      row.querySelector(`td[data-column="${column}"]`)?.textContent;
    expect(cell(rows[0], 'last:loss')).toBe('0.25');
    expect(cell(rows[0], 'best:loss')).toBe('0.2');
    expect(cell(rows[0], 'hparam:lr')).toBe('0.001');
    expect(cell(rows[0], 'tag:team')).toBe('vision');
    expect(rows[1].dataset.runNonfinite).toBe('NaN');
    expect(
      rows[1].querySelector('.jp-tflog-badge-nonfinite')?.textContent
    ).toBe('NaN');
    expect(
      rows[1]
        .querySelector('.jp-tflog-status-finished')
        ?.classList.contains('jp-tflog-mod-nonfinite')
    ).toBe(true);
    expect(
      view.node.querySelector('.jp-tflog-history-total')?.textContent
    ).toBe('1–2 of 2');
    view.dispose();
    expect(model.isDisposed).toBe(true);
  });

  it('sorts by a clicked header and marks it', async () => {
    const client = runsClient();
    const { model, view } = historyView(client);
    Widget.attach(view, document.body);
    await model.refresh();
    const sortButton = view.node.querySelector<HTMLButtonElement>(
      'button.jp-tflog-history-sort[data-column="best:loss"]'
    );
    sortButton?.focus();
    sortButton?.click();
    await settle();
    // Drawn again, the header keeps the keyboard where it was.
    expect((document.activeElement as HTMLElement).dataset.column).toBe(
      'best:loss'
    );
    expect(client.runQueries[1]).toMatchObject({
      sort: 'min:loss',
      order: 'asc'
    });
    expect(
      view.node
        .querySelector('th[data-column="best:loss"]')
        ?.getAttribute('aria-sort')
    ).toBe('ascending');
    expect(
      view.node.querySelector('th[data-column="tag:team"] button')
    ).toBeNull();
    view.dispose();
  });

  it('selects with Space, moves with the arrows and opens with Enter or a double click', async () => {
    const client = runsClient();
    const { model, view, opened } = historyView(client);
    Widget.attach(view, document.body);
    await model.refresh();
    const first = view.node.querySelector<HTMLTableRowElement>(
      '.jp-tflog-history-row[data-run-id="good"]'
    );
    expect(first?.tabIndex).toBe(0);
    first?.focus();
    key(first as HTMLElement, ' ');
    expect(model.selected.has('good')).toBe(true);
    const selectedRow = view.node.querySelector<HTMLTableRowElement>(
      '.jp-tflog-history-row[data-run-id="good"]'
    );
    expect(selectedRow?.getAttribute('aria-selected')).toBe('true');
    expect(
      selectedRow?.querySelector<HTMLInputElement>('input[type="checkbox"]')
        ?.checked
    ).toBe(true);
    key(selectedRow as HTMLElement, 'ArrowDown');
    expect((document.activeElement as HTMLElement).dataset.runId).toBe('bad');
    key(document.activeElement as HTMLElement, 'Enter');
    expect(opened).toEqual(['bad']);
    view.node
      .querySelector(
        '.jp-tflog-history-row[data-run-id="good"] td[data-column="name"]'
      )
      ?.dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));
    expect(opened).toEqual(['bad', 'good']);
    view.node
      .querySelector<HTMLInputElement>(
        '.jp-tflog-history-row[data-run-id="bad"] input[type="checkbox"]'
      )
      ?.click();
    expect([...model.selected]).toEqual(['good', 'bad']);
    view.dispose();
  });

  it('applies tag filters and says which part is not key:value', async () => {
    const client = runsClient();
    const { model, view } = historyView(client);
    Widget.attach(view, document.body);
    await model.refresh();
    const tags = view.node.querySelector<HTMLInputElement>(
      'input[data-filter="tags"]'
    ) as HTMLInputElement;
    tags.value = 'team';
    tags.dispatchEvent(new Event('change', { bubbles: true }));
    const message = view.node.querySelector<HTMLElement>(
      '.jp-tflog-history-runs .jp-tflog-history-message'
    );
    expect(message?.hidden).toBe(false);
    expect(message?.textContent).toContain('Not key:value: team');
    expect(client.runQueries).toHaveLength(1);
    tags.value = 'team:vision';
    tags.dispatchEvent(new Event('change', { bubbles: true }));
    await settle();
    expect(client.runQueries[1]).toMatchObject({ tags: { team: 'vision' } });
    expect(message?.hidden).toBe(true);
    view.dispose();
  });

  it('keeps several statuses given by its arguments while other filters change', async () => {
    const client = runsClient();
    const { model, view } = historyView(client, {
      status: ['failed', 'interrupted']
    });
    Widget.attach(view, document.body);
    await model.refresh();
    const status = view.node.querySelector<HTMLSelectElement>(
      'select[data-filter="status"]'
    ) as HTMLSelectElement;
    expect(status.selectedOptions[0].textContent).toBe('failed, interrupted');
    const search = view.node.querySelector<HTMLInputElement>(
      'input[data-filter="text"]'
    ) as HTMLInputElement;
    search.value = 'mnist';
    search.dispatchEvent(new Event('change', { bubbles: true }));
    await settle();
    expect(client.runQueries[1]).toMatchObject({
      status: ['failed', 'interrupted'],
      text: 'mnist'
    });
    status.value = 'running';
    status.dispatchEvent(new Event('change', { bubbles: true }));
    await settle();
    expect(client.runQueries[2]).toMatchObject({ status: ['running'] });
    view.dispose();
  });

  it('runs a threshold query and opens a run from its answer', async () => {
    const client = runsClient();
    client.pointHits = [
      {
        run_id: 'good',
        run_name: 'good run',
        notebook: 'train.ipynb',
        metric: 'loss',
        scope: 'batch',
        value: 2.5,
        step: 3,
        epoch: 0,
        time: '2026-01-31T10:00:00.000Z'
      }
    ];
    const { view, opened } = historyView(client, { tab: 'queries' });
    Widget.attach(view, document.body);
    const queries = view.queriesView.node;
    expect(view.currentWidget).toBe(view.queriesView);
    const value = queries.querySelector<HTMLInputElement>(
      'input[data-field="value"]'
    ) as HTMLInputElement;
    const form = queries.querySelector('form') as HTMLFormElement;
    form.dispatchEvent(new Event('submit', { cancelable: true }));
    expect(
      queries.querySelector('.jp-tflog-history-message')?.textContent
    ).toBe('Give the number to compare the values with.');
    value.value = '2';
    form.dispatchEvent(new Event('submit', { cancelable: true }));
    await settle();
    expect(client.crossRunQueries[0]).toMatchObject({
      metric: 'loss',
      operator: 'gt',
      value: 2
    });
    const rows = queries.querySelectorAll<HTMLTableRowElement>(
      '.jp-tflog-history-query-row'
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].textContent).toContain('2.5');
    key(rows[0], 'Enter');
    expect(opened).toEqual(['good']);
    view.dispose();
  });

  it('lists the runs that produced NaN in the columns of the threshold query', async () => {
    const client = runsClient();
    client.nonfiniteRuns = [
      {
        run_id: 'bad',
        run_name: null,
        notebook: null,
        metric: 'val_loss',
        scope: 'epoch',
        value: '-Infinity',
        step: null,
        epoch: 4,
        time: '2026-01-31T10:00:00.000Z'
      }
    ];
    const { view, opened } = historyView(client, { tab: 'queries' });
    Widget.attach(view, document.body);
    const queries = view.queriesView.node;
    const kind = queries.querySelector<HTMLSelectElement>(
      'select[data-field="kind"]'
    ) as HTMLSelectElement;
    kind.value = 'nonfinite';
    kind.dispatchEvent(new Event('change', { bubbles: true }));
    const form = queries.querySelector('form') as HTMLFormElement;
    form.dispatchEvent(new Event('submit', { cancelable: true }));
    await settle();
    const rows = queries.querySelectorAll<HTMLTableRowElement>(
      '.jp-tflog-history-query-row'
    );
    expect(rows).toHaveLength(1);
    expect([...rows[0].cells].map(cell => cell.textContent)).toEqual([
      'bad',
      '',
      'val_loss',
      '-Inf',
      '',
      '4',
      new Date('2026-01-31T10:00:00.000Z').toLocaleString()
    ]);
    expect(
      rows[0].cells[3].querySelector('.jp-tflog-badge-nonfinite')
    ).not.toBeNull();
    rows[0].dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));
    expect(opened).toEqual(['bad']);
    view.dispose();
  });
});

describe('the Training panel’s History button', () => {
  it('is in the All my notebooks section’s title when the view can be opened', () => {
    const { model, panel } = newPanel({ onOpenHistory: () => undefined });
    const section = panel.widgets.find(
      widget => widget.node.dataset.section === 'all-runs'
    );
    const toolbar = (section as Widget & { toolbar?: Widget }).toolbar;
    expect(toolbar).toBeDefined();
    const titles = [
      ...panel.node.querySelectorAll<HTMLElement>('.lm-AccordionPanel-title')
    ];
    expect(titles[4].contains(toolbar?.node ?? null)).toBe(true);
    expect(titles[3].querySelector('.jp-AccordionPanel-toolbar')).toBeNull();
    // JupyterLab's toolbar keeps its clicks: the section folds only from its title.
    toolbar?.node.click();
    expect(section?.isHidden).toBe(false);
    titles[4].click();
    expect(section?.isHidden).toBe(true);
    panel.dispose();
    model.dispose();
  });
});
