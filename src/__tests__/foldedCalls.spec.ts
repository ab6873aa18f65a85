import { FoldedCalls } from '../model/foldedCalls';

/** A task whose runs the test finishes one by one. */
function gatedTask() {
  const finishers: Array<() => void> = [];
  const task = jest.fn(
    () => new Promise<void>(resolve => finishers.push(resolve))
  );
  const finishNext = async (): Promise<void> => {
    finishers.shift()?.();
    // Let the finally handler start the folded run.
    await new Promise(resolve => setTimeout(resolve, 0));
  };
  return { task, finishNext };
}

describe('FoldedCalls', () => {
  it('folds calls during a run into one more run after it', async () => {
    const { task, finishNext } = gatedTask();
    const calls = new FoldedCalls(task, () => false);
    const first = calls.run();
    expect(calls.run()).toBe(first);
    expect(calls.run()).toBe(first);
    expect(task).toHaveBeenCalledTimes(1);
    await finishNext();
    await first;
    expect(task).toHaveBeenCalledTimes(2);
    await finishNext();
    expect(task).toHaveBeenCalledTimes(2);
  });

  it('runs nothing once its owner is disposed', async () => {
    const { task, finishNext } = gatedTask();
    let disposed = false;
    const calls = new FoldedCalls(task, () => disposed);
    const first = calls.run();
    void calls.run();
    disposed = true;
    await finishNext();
    await first;
    expect(task).toHaveBeenCalledTimes(1);
    await calls.run();
    expect(task).toHaveBeenCalledTimes(1);
  });
});
