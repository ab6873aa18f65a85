import { MainAreaWidget, Notification } from '@jupyterlab/apputils';
import type { ToolbarButton } from '@jupyterlab/ui-components';
import type { PanelLayout } from '@lumino/widgets';

import { historyPlugin } from '../plugins/history';
import type { HistoryView } from '../views/history';
import { fakeApp, stubResizeObserver } from './appFakes';
import { FakeClient, summary } from './fakes';

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await Promise.resolve();
  }
}

function toolbarItem(
  widget: MainAreaWidget<HistoryView>,
  name: string
): ToolbarButton {
  const names = [...widget.toolbar.names()];
  const layout = widget.toolbar.layout as PanelLayout;
  return layout.widgets[names.indexOf(name)] as ToolbarButton;
}

describe('tflog:open-history', () => {
  beforeAll(stubResizeObserver);

  it('opens the view its arguments describe, and Compare and open-run run the other views’ commands', async () => {
    const client = new FakeClient();
    client.runsByNotebook.set(undefined, [
      summary({ run_id: 'a', name: 'a' }),
      summary({ run_id: 'b', name: 'b' })
    ]);
    const { app, added } = fakeApp();
    historyPlugin.activate(app, client, null, null, null, null);
    const widget = (await app.commands.execute('tflog:open-history', {
      tags: { team: 'vision' },
      sort: 'name',
      columns: ['hparam:lr']
    })) as MainAreaWidget<HistoryView>;
    expect(added).toEqual([widget]);
    await settle();
    expect(client.runQueries[0]).toMatchObject({
      tags: { team: 'vision' },
      sort: 'name',
      order: 'asc'
    });
    const model = widget.content.model;
    expect(model.columns).toEqual(['hparam:lr']);

    const compare = toolbarItem(widget, 'compare');
    model.toggleSelected('a');
    model.toggleSelected('b');
    // No compare view yet: the button waits for its command.
    expect(compare.enabled).toBe(false);
    const compared: unknown[] = [];
    app.commands.addCommand('tflog:compare', {
      execute: args => {
        compared.push(args);
      }
    });
    expect(compare.enabled).toBe(true);
    compare.onClick();
    await settle();
    expect(compared).toEqual([{ runIds: ['a', 'b'] }]);
    model.clearSelection();
    expect(compare.enabled).toBe(false);

    const shown: unknown[] = [];
    app.commands.addCommand('tflog:open-panel', {
      execute: args => {
        shown.push(args);
      }
    });
    document.body.append(widget.node);
    const row = widget.node.querySelector<HTMLElement>(
      '.jp-tflog-history-row[data-run-id="b"]'
    );
    row?.dispatchEvent(
      new KeyboardEvent('keydown', { key: 'Enter', bubbles: true })
    );
    await settle();
    expect(shown).toEqual([{ runId: 'b' }]);
    widget.dispose();
  });

  it('tells the user when a run cannot be shown because the panel is missing', async () => {
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const client = new FakeClient();
    client.runsByNotebook.set(undefined, [summary({ run_id: 'a', name: 'a' })]);
    const { app } = fakeApp();
    historyPlugin.activate(app, client, null, null, null, null);
    const widget = (await app.commands.execute(
      'tflog:open-history',
      {}
    )) as MainAreaWidget<HistoryView>;
    await settle();
    Notification.dismiss();
    document.body.append(widget.node);
    widget.node
      .querySelector<HTMLElement>('.jp-tflog-history-row[data-run-id="a"]')
      ?.dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));
    await settle();
    expect(
      Notification.manager.notifications.map(notice => [
        notice.type,
        notice.message
      ])
    ).toEqual([
      [
        'error',
        'Cannot show run a in the Training panel: this JupyterLab has no command tflog:open-panel.'
      ]
    ]);
    expect(console.error).toHaveBeenCalled();
    widget.dispose();
    jest.restoreAllMocks();
  });
});
