import { Widget } from '@lumino/widgets';

import { HistoryModel } from '../model/historyModel';
import { HistoryQueriesModel } from '../model/historyQueries';
import { readHistoryView } from '../model/historyView';
import { ColumnChooser, HistoryView } from '../views/history';
import { FakeClient, summary } from './fakes';
import { markingBundle } from './translation';

/** Texts of the elements matched, and their labels and placeholders. */
function words(root: HTMLElement, selector: string): string[] {
  return [...root.querySelectorAll<HTMLElement>(selector)].flatMap(element =>
    [
      element.childNodes.length === 1 &&
      element.firstChild?.nodeType === Node.TEXT_NODE
        ? element.textContent
        : null,
      element.getAttribute('aria-label'),
      element.getAttribute('placeholder'),
      element.getAttribute('title')
    ].filter((text): text is string => !!text && text.trim() !== '')
  );
}

describe('the History view through ITranslator', () => {
  it('translates its labels, headers, badges and messages', async () => {
    const client = new FakeClient();
    client.runsByNotebook.set(undefined, [
      summary({
        run_id: 'r',
        status: 'failed',
        last_metrics: { loss: 'NaN' },
        tags: { team: 'a' }
      })
    ]);
    const trans = markingBundle();
    const model = new HistoryModel({
      client,
      view: readHistoryView({}),
      defaultColumns: ['tag:team', 'last:loss', 'best:loss', 'hparam:lr'],
      pageSize: 50
    });
    const view = new HistoryView({
      model,
      queries: new HistoryQueriesModel({ client }),
      trans,
      onOpenRun: () => undefined
    });
    Widget.attach(view, document.body);
    await model.refresh();
    const texts = [
      ...words(
        view.node,
        'th, th button, label span, option, button, .jp-tflog-run-item-status, .jp-tflog-badge-nonfinite, .jp-tflog-history-total, .lm-TabBar-tabLabel, input, select, table'
      )
    ];
    expect(texts.length).toBeGreaterThan(40);
    // Run ids in tooltips and data are not words.
    const unmarked = texts.filter(
      text => !/^«.*»$/s.test(text) && text !== 'r'
    );
    expect(unmarked).toEqual([]);
    const chooser = new ColumnChooser({
      trans,
      offered: ['tag:team'],
      chosen: []
    });
    expect(chooser.node.textContent).toContain('«team (tag)»');
    expect(chooser.node.textContent).toContain(
      '«Add columns (comma-separated)»'
    );
    view.dispose();
    chooser.dispose();
  });
});
