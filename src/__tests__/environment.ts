/**
 * jsdom, plus the Fetch API classes and structuredClone that Node has and
 * jsdom lacks (JupyterLab's ServerConnection and vega use them), and the
 * DragEvent class that Lumino's drag and drop refers to when loaded.
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
    // vega probes canvas text measurement once; jsdom has no canvas, and
    // without this stub it logs "not implemented" instead of answering null.
    window.HTMLCanvasElement.prototype.getContext = () => null;
  }
}
