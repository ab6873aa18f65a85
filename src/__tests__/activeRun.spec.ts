import { ActiveRunModel, pickActiveRun } from '../model/activeRun';
import { FakeClient, summary } from './fakes';

describe('pickActiveRun', () => {
  const mine = summary({ run_id: 'a', notebook: 'work/train.ipynb' });
  const other = summary({ run_id: 'b', notebook: 'other.ipynb' });

  it('prefers a running run of the notebook in focus', () => {
    expect(pickActiveRun([other, mine], 'work/train.ipynb')).toBe(mine);
  });

  it('else takes the newest running run', () => {
    expect(pickActiveRun([other, mine], 'elsewhere.ipynb')).toBe(other);
    expect(pickActiveRun([other, mine], null)).toBe(other);
  });

  it('is null when nothing runs', () => {
    expect(pickActiveRun([], 'work/train.ipynb')).toBeNull();
    expect(
      pickActiveRun([summary({ status: 'finished' })], 'train.ipynb')
    ).toBeNull();
  });
});

describe('ActiveRunModel', () => {
  it('reads the running runs and says when the active one changes', async () => {
    const client = new FakeClient();
    const running = summary({ run_id: 'a', notebook: 'train.ipynb' });
    client.runsByNotebook.set(undefined, [running]);
    const model = new ActiveRunModel({ client, pollMs: 60000 });
    const seen: (string | null)[] = [];
    model.changed.connect(() => seen.push(model.run?.run_id ?? null));
    await model.refresh();
    expect(client.runQueries.at(-1)).toEqual({ status: ['running'], size: 20 });
    expect(model.run?.run_id).toBe('a');
    client.runsByNotebook.set(undefined, []);
    await model.refresh();
    expect(model.run).toBeNull();
    expect(seen).toEqual(['a', null]);
    model.dispose();
  });

  it('keeps the last answer when a read fails, and says so once', async () => {
    const client = new FakeClient();
    client.runsByNotebook.set(undefined, [summary({ run_id: 'a' })]);
    const model = new ActiveRunModel({ client, pollMs: 60000 });
    await model.refresh();
    const warn = jest
      .spyOn(console, 'warn')
      .mockImplementation(() => undefined);
    client.runs = () => Promise.reject(new Error('down'));
    await model.refresh();
    await model.refresh();
    expect(model.run?.run_id).toBe('a');
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
    model.dispose();
  });
});
