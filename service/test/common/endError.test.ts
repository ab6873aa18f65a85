import { endErrorInfo } from '../../src/common/errorInfo';

describe('endErrorInfo', () => {
  it('keeps the cell a failed run ran in', () => {
    expect(
      endErrorInfo({
        type: 'ValueError',
        message: 'boom',
        stack_trace: 'Traceback…',
        cell_id: 'c0ffee-42',
        execution_count: 7
      })
    ).toEqual({
      type: 'ValueError',
      message: 'boom',
      stack_trace: 'Traceback…',
      cell_id: 'c0ffee-42',
      execution_count: 7
    });
  });

  it('leaves out fields of the wrong type and fields it does not know', () => {
    expect(
      endErrorInfo({
        type: 'ValueError',
        message: 'boom',
        stack_trace: 3,
        cell_id: 42,
        execution_count: 1.5,
        secret: 'x'
      })
    ).toEqual({ type: 'ValueError', message: 'boom' });
    expect(
      endErrorInfo({ type: '', message: 'm', cell_id: 'x'.repeat(201) })
    ).toEqual({ type: 'Error', message: 'm' });
    expect(
      endErrorInfo({ type: 'E', message: 'm', execution_count: 0 })
    ).toEqual({ type: 'E', message: 'm' });
  });

  it('is null without an error', () => {
    expect(endErrorInfo(null)).toBeNull();
    expect(endErrorInfo(undefined)).toBeNull();
    expect(endErrorInfo('boom')).toBeNull();
  });
});
