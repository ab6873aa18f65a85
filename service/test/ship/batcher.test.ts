import { Batcher } from '../../src/ship/batcher';

describe('Batcher', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function collect(limits = { maxDocs: 3, maxBytes: 1000, maxWaitMs: 150 }) {
    const sealed: number[][] = [];
    const batcher = new Batcher<number>(limits, items => sealed.push(items));
    return { batcher, sealed };
  }

  it('seals when the oldest item has waited maxWaitMs', () => {
    const { batcher, sealed } = collect();
    batcher.add(1, 1, 10);
    jest.advanceTimersByTime(100);
    batcher.add(2, 1, 10);
    jest.advanceTimersByTime(49);
    expect(sealed).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(sealed).toEqual([[1, 2]]);
  });

  it('is not an idle timer: a steady trickle is sealed every maxWaitMs', () => {
    const { batcher, sealed } = collect({
      maxDocs: 1000,
      maxBytes: 1e6,
      maxWaitMs: 150
    });
    for (let item = 0; item < 20; item += 1) {
      batcher.add(item, 1, 10);
      jest.advanceTimersByTime(50);
    }
    expect(sealed.length).toBeGreaterThanOrEqual(6);
    expect(sealed.every(batch => batch.length <= 3)).toBe(true);
  });

  it('seals at maxDocs documents without waiting', () => {
    const { batcher, sealed } = collect();
    batcher.add(1, 1, 10);
    batcher.add(2, 2, 10);
    expect(sealed).toEqual([[1, 2]]);
  });

  it('seals the open batch before an item that would overflow it', () => {
    const { batcher, sealed } = collect({
      maxDocs: 10,
      maxBytes: 100,
      maxWaitMs: 150
    });
    batcher.add(1, 1, 60);
    batcher.add(2, 1, 60);
    expect(sealed).toEqual([[1]]);
    jest.advanceTimersByTime(150);
    expect(sealed).toEqual([[1], [2]]);
  });

  it('takes an item bigger than maxBytes as a batch of its own', () => {
    const { batcher, sealed } = collect({
      maxDocs: 10,
      maxBytes: 100,
      maxWaitMs: 150
    });
    batcher.add(1, 1, 5000);
    expect(sealed).toEqual([[1]]);
  });

  it('holds items of no documents until the timer', () => {
    const { batcher, sealed } = collect();
    batcher.add(1, 0, 10);
    expect(sealed).toEqual([]);
    jest.advanceTimersByTime(150);
    expect(sealed).toEqual([[1]]);
  });
});
