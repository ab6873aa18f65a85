import { logWindow } from '../../src/store/log-window';

describe('logWindow', () => {
  const before = [9, 8, 7, 6, 5];
  const from = [10, 11, 12, 13, 14, 15];

  it('takes half before the time and half from it, oldest first', () => {
    expect(logWindow(before, from, 4)).toEqual({
      lines: [8, 9, 10, 11],
      more: true
    });
    expect(logWindow(before, from, 5)).toEqual({
      lines: [8, 9, 10, 11, 12],
      more: true
    });
  });

  it('fills in from the other side where one has fewer lines', () => {
    expect(logWindow([9], from, 4)).toEqual({
      lines: [9, 10, 11, 12],
      more: true
    });
    expect(logWindow(before, [10], 4)).toEqual({
      lines: [7, 8, 9, 10],
      more: false
    });
    expect(logWindow([], [], 4)).toEqual({ lines: [], more: false });
  });

  it('says when no line from the time follows', () => {
    expect(logWindow(before, [10, 11], 4)).toEqual({
      lines: [8, 9, 10, 11],
      more: false
    });
  });
});
