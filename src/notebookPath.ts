/**
 * Keeps a notebook's kernel told of the notebook's current path, so runs are
 * filed under the right notebook even after renames (the kernel's own
 * JPY_SESSION_NAME is the path at kernel start). Sent when a kernel starts,
 * restarts or is changed, and after every rename; only to Python kernels.
 */
import type { ISessionContext } from '@jupyterlab/apputils';
import type { NotebookPanel } from '@jupyterlab/notebook';
import type { Kernel } from '@jupyterlab/services';
import type { IDisposable } from '@lumino/disposable';
import { Signal } from '@lumino/signaling';

/**
 * Python code that records `path` in tflog, silently and harmlessly in a
 * kernel without tflog. A JSON string is a valid Python string literal.
 */
export function notebookPathCode(path: string): string {
  return [
    'try:',
    '    import tflog.kernel as _tflog_kernel',
    `    _tflog_kernel.set_notebook_path(${JSON.stringify(path)})`,
    '    del _tflog_kernel',
    'except ImportError:',
    '    pass'
  ].join('\n');
}

type NotebookContext = NotebookPanel['context'];

/** Kernel states after which a kernel has forgotten what it was told. */
const RESTARTING = new Set(['restarting', 'autorestarting', 'starting']);

export class NotebookPathReporter implements IDisposable {
  constructor(context: NotebookContext) {
    this._context = context;
    const session = context.sessionContext;
    session.kernelChanged.connect(this._onKernelChanged, this);
    session.statusChanged.connect(this._onStatusChanged, this);
    context.pathChanged.connect(this._onPathChanged, this);
    context.disposed.connect(this.dispose, this);
    void session.ready.then(() => this.report());
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Messages sent so far (for tests and diagnostics). */
  get sent(): number {
    return this._sent;
  }

  /** Send the current path to the kernel, if it is a Python kernel. */
  async report(): Promise<void> {
    const kernel = this._context.sessionContext.session?.kernel;
    if (this._isDisposed || !kernel) {
      return;
    }
    const path = this._context.path;
    try {
      const info = await kernel.info;
      if (this._isDisposed || info.language_info.name !== 'python') {
        return;
      }
      this._sent++;
      await kernel.requestExecute(
        {
          code: notebookPathCode(path),
          silent: true,
          store_history: false,
          allow_stdin: false,
          stop_on_error: false
        },
        true
      ).done;
    } catch (error) {
      // The kernel went away or refused: the next start or rename sends it again.
      console.warn(
        `tflog: could not tell the kernel the notebook path ${path}`,
        error
      );
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  private _onKernelChanged(
    _: ISessionContext,
    change: { newValue: Kernel.IKernelConnection | null }
  ): void {
    if (change.newValue) {
      void this.report();
    }
  }

  private _onStatusChanged(_: ISessionContext, status: string): void {
    if (RESTARTING.has(status)) {
      this._restarted = true;
    } else if (status === 'idle' && this._restarted) {
      this._restarted = false;
      void this.report();
    }
  }

  private _onPathChanged(): void {
    void this.report();
  }

  private readonly _context: NotebookContext;
  private _restarted = false;
  private _sent = 0;
  private _isDisposed = false;
}
