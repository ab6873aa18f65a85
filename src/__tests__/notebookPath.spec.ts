import type { NotebookPanel } from '@jupyterlab/notebook';
import { Signal } from '@lumino/signaling';

import { NotebookPathReporter, notebookPathCode } from '../notebookPath';

interface IExecuteContent {
  code: string;
  silent: boolean;
  store_history: boolean;
}

class FakeKernel {
  sent: IExecuteContent[] = [];
  constructor(readonly language: string) {}
  get info() {
    return Promise.resolve({ language_info: { name: this.language } });
  }
  requestExecute(content: IExecuteContent) {
    this.sent.push(content);
    return { done: Promise.resolve() };
  }
}

/** The parts of a notebook context the reporter uses. */
class FakeContext {
  path = 'work/train.ipynb';
  pathChanged = new Signal<this, string>(this);
  disposed = new Signal<this, void>(this);
  kernel: FakeKernel | null;
  readonly sessionContext = {
    kernelChanged: new Signal<unknown, { newValue: FakeKernel | null }>(this),
    statusChanged: new Signal<unknown, string>(this),
    ready: Promise.resolve(),
    session: {} as { kernel: FakeKernel | null }
  };

  constructor(language = 'python') {
    this.kernel = new FakeKernel(language);
    this.sessionContext.session.kernel = this.kernel;
  }

  asContext(): NotebookPanel['context'] {
    return this as unknown as NotebookPanel['context'];
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await Promise.resolve();
  }
}

describe('notebookPathCode', () => {
  it('quotes the path as a Python string and tolerates a kernel without tflog', () => {
    const code = notebookPathCode('dir/it\'s "a"\\b.ipynb');
    expect(code).toContain(
      '_tflog_kernel.set_notebook_path("dir/it\'s \\"a\\"\\\\b.ipynb")'
    );
    expect(code).toMatch(/^try:\n/);
    expect(code).toContain('except ImportError:\n    pass');
  });
});

describe('NotebookPathReporter', () => {
  it('tells a Python kernel the path when ready, after renames and restarts', async () => {
    const context = new FakeContext();
    const reporter = new NotebookPathReporter(context.asContext());
    await settle();
    const kernel = context.kernel as FakeKernel;
    expect(kernel.sent).toHaveLength(1);
    expect(kernel.sent[0]).toMatchObject({
      silent: true,
      store_history: false
    });
    expect(kernel.sent[0].code).toContain('"work/train.ipynb"');

    context.path = 'work/renamed.ipynb';
    context.pathChanged.emit(context.path);
    await settle();
    expect(kernel.sent[1].code).toContain('"work/renamed.ipynb"');

    context.sessionContext.statusChanged.emit('restarting');
    context.sessionContext.statusChanged.emit('busy');
    expect(kernel.sent).toHaveLength(2);
    context.sessionContext.statusChanged.emit('idle');
    await settle();
    expect(kernel.sent).toHaveLength(3);
    context.sessionContext.statusChanged.emit('idle');
    await settle();
    expect(kernel.sent).toHaveLength(3);
    reporter.dispose();
  });

  it('tells a new kernel when the kernel is changed', async () => {
    const context = new FakeContext();
    new NotebookPathReporter(context.asContext());
    await settle();
    const next = new FakeKernel('python');
    context.sessionContext.session.kernel = next;
    context.sessionContext.kernelChanged.emit({ newValue: next });
    await settle();
    expect(next.sent).toHaveLength(1);
  });

  it('sends nothing to kernels of other languages', async () => {
    const context = new FakeContext('R');
    const reporter = new NotebookPathReporter(context.asContext());
    await settle();
    expect(context.kernel?.sent).toEqual([]);
    expect(reporter.sent).toBe(0);
  });

  it('stops with its notebook', async () => {
    const context = new FakeContext();
    const reporter = new NotebookPathReporter(context.asContext());
    await settle();
    context.disposed.emit();
    expect(reporter.isDisposed).toBe(true);
    context.pathChanged.emit('x.ipynb');
    await settle();
    expect(context.kernel?.sent).toHaveLength(1);
  });
});
