import * as path from 'path';

import {
  serverRelative,
  storedNotebookPaths,
  withServerRelativeNotebook
} from '../../src/common/notebookPath';
import type { SpoolRecord } from '../../src/types';

describe('notebook paths relative to the server root', () => {
  it.each([
    ['/home/alice/work/train.ipynb', '/home/alice', 'work/train.ipynb'],
    ['/home/alice/work/train.ipynb', '/home/alice/', 'work/train.ipynb'],
    ['/home/alice/./work/../work/t.ipynb', '/home/alice', 'work/t.ipynb'],
    ['/home/alice/a,b.ipynb', '/home/alice', 'a,b.ipynb'],
    ['/srv/shared/train.ipynb', '/home/alice', '/srv/shared/train.ipynb'],
    ['/home/alicette/train.ipynb', '/home/alice', '/home/alicette/train.ipynb'],
    ['/home/alice', '/home/alice', '/home/alice'],
    ['work/train.ipynb', '/home/alice', 'work/train.ipynb'],
    ['/home/alice/train.ipynb', undefined, '/home/alice/train.ipynb'],
    ['/home/alice/train.ipynb', 'relative/root', '/home/alice/train.ipynb']
  ])('%s under root %s is %s', (notebook, root, expected) => {
    expect(serverRelative(notebook, root, path.posix)).toBe(expected);
  });

  it('uses the platform separators and answers with /', () => {
    expect(
      serverRelative(
        'C:\\Users\\alice\\work\\t.ipynb',
        'C:\\Users\\alice',
        path.win32
      )
    ).toBe('work/t.ipynb');
    expect(
      serverRelative('D:\\work\\t.ipynb', 'C:\\Users\\alice', path.win32)
    ).toBe('D:\\work\\t.ipynb');
  });

  it('names every path the runs of a notebook may be stored under', () => {
    expect(
      storedNotebookPaths('work/train.ipynb', '/home/alice', path.posix)
    ).toEqual(['work/train.ipynb', '/home/alice/work/train.ipynb']);
    expect(
      storedNotebookPaths(
        '/home/alice/work/train.ipynb',
        '/home/alice/',
        path.posix
      )
    ).toEqual(['work/train.ipynb', '/home/alice/work/train.ipynb']);
    expect(
      storedNotebookPaths('/srv/shared/t.ipynb', '/home/alice', path.posix)
    ).toEqual(['/srv/shared/t.ipynb']);
    expect(storedNotebookPaths('work/t.ipynb', undefined, path.posix)).toEqual([
      'work/t.ipynb'
    ]);
  });

  it('rewrites the notebook of start and context records only', () => {
    const start: SpoolRecord = {
      t: 'start',
      v: 1,
      seq: 0,
      ts: 1,
      run: 'r',
      name: null,
      tags: {},
      ctx: {
        notebook: '/home/alice/work/train.ipynb',
        kernel_id: null,
        user: 'alice',
        host: 'h',
        pid: 1
      }
    };
    const rewritten = withServerRelativeNotebook(start, '/home/alice');
    expect(rewritten).toEqual({
      ...start,
      ctx: { ...start.ctx, notebook: 'work/train.ipynb' }
    });
    // The spool's own record is left as it was read.
    expect(start.ctx.notebook).toBe('/home/alice/work/train.ipynb');

    const context: SpoolRecord = {
      t: 'context',
      seq: 1,
      ts: 2,
      notebook: '/home/alice/renamed.ipynb'
    };
    expect(withServerRelativeNotebook(context, '/home/alice')).toEqual({
      ...context,
      notebook: 'renamed.ipynb'
    });
    const log: SpoolRecord = {
      t: 'log',
      seq: 2,
      ts: 3,
      level: 'INFO',
      logger: 'x',
      msg: '/home/alice/train.ipynb'
    };
    expect(withServerRelativeNotebook(log, '/home/alice')).toBe(log);
    expect(withServerRelativeNotebook(start, undefined)).toBe(start);
  });
});
