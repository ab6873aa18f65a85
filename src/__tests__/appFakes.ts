import type { JupyterFrontEnd } from '@jupyterlab/application';
import { CommandRegistry } from '@lumino/commands';
import type { Widget } from '@lumino/widgets';

/** An app with a real command registry and a shell that only records. */
export function fakeApp(): { app: JupyterFrontEnd; added: Widget[] } {
  const added: Widget[] = [];
  const app = {
    commands: new CommandRegistry(),
    shell: {
      add: (widget: Widget) => added.push(widget),
      activateById: () => undefined
    }
  } as unknown as JupyterFrontEnd;
  return { app, added };
}

class NoResizeObserver {
  observe(): void {
    // Nothing is laid out in jsdom.
  }
  unobserve(): void {
    // As above.
  }
  disconnect(): void {
    // As above.
  }
}

/** jsdom has no ResizeObserver; JupyterLab's toolbar watches its size with one. */
export function stubResizeObserver(): void {
  if (typeof globalThis.ResizeObserver === 'undefined') {
    globalThis.ResizeObserver =
      NoResizeObserver as unknown as typeof ResizeObserver;
  }
}
