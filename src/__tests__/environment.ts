/**
 * jsdom, plus the Fetch API classes and structuredClone that Node has and
 * jsdom lacks (JupyterLab's ServerConnection and vega use them), and the
 * DragEvent class that Lumino's drag and drop refers to when loaded, and a
 * matchMedia that matches nothing and requestIdleCallback (JupyterLab's
 * toolbar components).
 */
import type {
  EnvironmentContext,
  JestEnvironmentConfig
} from '@jest/environment';
import { TestEnvironment } from 'jest-environment-jsdom';

const FROM_NODE = [
  'fetch',
  'Request',
  'Response',
  'Headers',
  'structuredClone',
  'TextEncoder',
  'TextDecoder'
] as const;

export default class FrontendEnvironment extends TestEnvironment {
  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    const global = this.global as unknown as Record<string, unknown>;
    const node = globalThis as unknown as Record<string, unknown>;
    for (const name of FROM_NODE) {
      if (global[name] === undefined) {
        global[name] = node[name];
      }
    }
    const window = this.global as unknown as typeof globalThis;
    if (global.DragEvent === undefined) {
      global.DragEvent = class DragEvent extends window.MouseEvent {};
    }
    // @jupyterlab/ui-components' web components read media queries when loaded.
    if (global.matchMedia === undefined) {
      global.matchMedia = (query: string): MediaQueryList => {
        const list = new window.EventTarget() as MediaQueryList;
        Object.assign(list, {
          matches: false,
          media: query,
          onchange: null,
          addListener: () => undefined,
          removeListener: () => undefined
        });
        return list;
      };
    }
    // ...and render React toolbar buttons when the browser is idle.
    if (global.requestIdleCallback === undefined) {
      global.requestIdleCallback = (callback: IdleRequestCallback) =>
        window.setTimeout(() =>
          callback({ didTimeout: false, timeRemaining: () => 0 })
        );
      global.cancelIdleCallback = (handle: number) =>
        window.clearTimeout(handle);
    }
    // vega probes canvas text measurement once; jsdom has no canvas, and
    // without this stub it logs "not implemented" instead of answering null.
    window.HTMLCanvasElement.prototype.getContext = () => null;
  }
}
