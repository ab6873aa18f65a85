import { Widget } from '@lumino/widgets';

import { ActiveRunModel } from '../model/activeRun';
import { StatusBarItem, statusBarText } from '../views/statusBarItem';
import { FakeClient, summary } from './fakes';

describe('statusBarText', () => {
  it('names the run, its epoch of the total and its loss', () => {
    expect(
      statusBarText(
        summary({
          name: 'mnist',
          last_epoch: 3,
          hparams: { epochs: 10 },
          last_metrics: { loss: 0.123456, val_loss: 0.2 }
        })
      )
    ).toBe('mnist · epoch 3/10 · loss 0.1235');
  });

  it('leaves out what the run does not have yet', () => {
    expect(statusBarText(summary({ name: null, run_id: 'run-9' }))).toBe(
      'run-9'
    );
    expect(
      statusBarText(summary({ last_epoch: 2, last_metrics: { loss: 'NaN' } }))
    ).toBe('mnist · epoch 2 · loss NaN');
  });
});

describe('StatusBarItem', () => {
  it('shows the running run and opens the panel on a click or Enter', async () => {
    const client = new FakeClient();
    client.runsByNotebook.set(undefined, [
      summary({ run_id: 'a', last_epoch: 2, last_metrics: { loss: 0.5 } })
    ]);
    const model = new ActiveRunModel({ client, pollMs: 60000 });
    let opened = 0;
    const item = new StatusBarItem({ model, onOpen: () => opened++ });
    Widget.attach(item, document.body);
    expect(item.node.dataset.runId).toBeUndefined();
    await model.refresh();
    expect(item.node.dataset.runId).toBe('a');
    expect(item.node.textContent).toBe('mnist · epoch 2 · loss 0.5');
    item.node.click();
    item.node.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    expect(opened).toBe(2);
    item.dispose();
    model.dispose();
  });
});
