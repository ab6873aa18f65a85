import { Widget } from '@lumino/widgets';

import { HistoryModel } from '../model/historyModel';
import { HistoryQueriesModel } from '../model/historyQueries';
import { readHistoryView } from '../model/historyView';
import { exampleRun, ProblemsModel, problemsQuery } from '../model/problems';
import { errorFromResponse } from '../request';
import type { ILogTemplate } from '../tokens';
import { HistoryView } from '../views/history';
import { ProblemsView } from '../views/problems';
import { defaultBundle } from '../views/text';
import { FakeClient } from './fakes';
import { markingBundle } from './translation';

const trans = defaultBundle();

function template(overrides: Partial<ILogTemplate> = {}): ILogTemplate {
  return {
    template: 'Loss became NaN at step <*>',
    count: 3,
    levels: ['error', 'warning'],
    first_seen: '2026-01-31T10:01:00.000Z',
    last_seen: '2026-01-31T11:01:00.000Z',
    runs: ['run-new', 'run-old'],
    run_count: 2,
    example: 'Loss became NaN at step 5',
    ...overrides
  };
}

describe('problems across runs', () => {
  it('asks for the levels and notebook chosen', () => {
    expect(problemsQuery('all', '  ')).toEqual({ size: 50 });
    expect(problemsQuery('error', ' work/a.ipynb ')).toEqual({
      size: 50,
      levels: ['error'],
      notebook: 'work/a.ipynb'
    });
    expect(exampleRun(template())).toBe('run-new');
    expect(exampleRun(template({ runs: [] }))).toBeNull();
  });

  it('keeps the newest answer and an error', async () => {
    const client = new FakeClient();
    client.problemTemplates = [template()];
    const model = new ProblemsModel({ client });
    await model.load('warning', '');
    expect(client.problemQueries).toEqual([{ size: 50, levels: ['warning'] }]);
    expect(model.templates).toEqual([template()]);
    expect(model.events).toBe(3);
    const failing = new ProblemsModel({
      client: { problems: () => Promise.reject(new Error('store down')) }
    });
    await failing.load();
    expect(failing.error?.message).toBe('store down');
    expect(failing.templates).toBeNull();
    model.dispose();
    failing.dispose();
  });

  it('words a failed read through the translator', async () => {
    const model = new ProblemsModel({
      client: {
        problems: () =>
          Promise.reject(
            errorFromResponse(
              403,
              undefined,
              '',
              'http://localhost/tflog/api/v1/problems'
            )
          )
      }
    });
    const view = new ProblemsView({
      model,
      trans: markingBundle(),
      onOpenRun: () => undefined
    });
    await model.load();
    const message = view.node.querySelector<HTMLElement>(
      '.jp-tflog-history-message'
    )!;
    expect(message.hidden).toBe(false);
    expect(message.textContent).toBe(
      '«Jupyter refused the request (HTTP 403); reloading the page may log you in again.»'
    );
    view.dispose();
    model.dispose();
  });

  it('counts templates and records with their plural forms', async () => {
    const client = new FakeClient();
    client.problemTemplates = [template({ count: 1 })];
    const model = new ProblemsModel({ client });
    const view = new ProblemsView({
      model,
      trans: markingBundle(),
      onOpenRun: () => undefined
    });
    await model.load();
    expect(
      view.node.querySelector('.jp-tflog-problems-summary')?.textContent
    ).toBe('«1 template from «1 record».»');
    view.dispose();
    model.dispose();
  });

  it('lists the templates when shown, and a row opens the run of its newest example', async () => {
    const client = new FakeClient();
    client.problemTemplates = [
      template(),
      template({
        template: 'Slow batch <*> ms',
        count: 1,
        levels: ['warning'],
        runs: ['run-3'],
        run_count: 1
      })
    ];
    const model = new ProblemsModel({ client });
    const opened: string[] = [];
    const view = new ProblemsView({
      model,
      trans,
      onOpenRun: runId => opened.push(runId)
    });
    Widget.attach(view, document.body);
    await Promise.resolve();
    await Promise.resolve();
    expect(client.problemQueries.length).toBe(1);
    const rows = [...view.node.querySelectorAll('tbody tr')];
    expect(
      rows.map(row =>
        [...row.querySelectorAll('td')].map(cell => cell.textContent)
      )
    ).toEqual([
      [
        'Loss became NaN at step <*>',
        '3',
        'errorwarning',
        new Date('2026-01-31T10:01:00.000Z').toLocaleString(),
        new Date('2026-01-31T11:01:00.000Z').toLocaleString(),
        '2'
      ],
      [
        'Slow batch <*> ms',
        '1',
        'warning',
        new Date('2026-01-31T10:01:00.000Z').toLocaleString(),
        new Date('2026-01-31T11:01:00.000Z').toLocaleString(),
        '1'
      ]
    ]);
    expect(
      view.node.querySelector('.jp-tflog-problems-summary')?.textContent
    ).toBe('2 templates from 4 records.');
    rows[0].dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));
    rows[1].dispatchEvent(
      new KeyboardEvent('keydown', { key: 'Enter', bubbles: true })
    );
    expect(opened).toEqual(['run-new', 'run-3']);

    // Group reads again with the levels chosen.
    const levels = view.node.querySelector<HTMLSelectElement>(
      '[data-field="problem-levels"]'
    );
    levels!.value = 'error';
    view.node
      .querySelector('form')
      ?.dispatchEvent(new Event('submit', { cancelable: true }));
    expect(client.problemQueries[1]).toEqual({ size: 50, levels: ['error'] });
    view.dispose();
    model.dispose();
  });

  it('are shown below the queries in the History view’s Queries tab', async () => {
    const client = new FakeClient();
    client.problemTemplates = [template()];
    const model = new HistoryModel({
      client,
      view: readHistoryView({}),
      defaultColumns: [],
      pageSize: 50
    });
    const problems = new ProblemsModel({ client });
    const view = new HistoryView({
      model,
      queries: new HistoryQueriesModel({ client }),
      trans,
      onOpenRun: () => undefined,
      problems: new ProblemsView({
        model: problems,
        trans,
        onOpenRun: () => undefined
      })
    });
    Widget.attach(view, document.body);
    // Not read while the Runs tab is shown.
    expect(client.problemQueries.length).toBe(0);
    view.currentIndex = 1;
    expect(view.currentWidget).toBe(view.queriesTab);
    expect(model.view.tab).toBe('queries');
    const tab = view.queriesTab.node;
    expect(tab.firstElementChild).toBe(view.queriesView.node);
    expect(tab.querySelector('.jp-tflog-problems-title')?.textContent).toBe(
      'Problems across my runs'
    );
    expect(client.problemQueries.length).toBe(1);
    view.dispose();
    problems.dispose();
  });
});
