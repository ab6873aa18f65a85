/**
 * Runs a regular expression under a time limit: node's `vm` timeout stops
 * V8 (backtracking included) once the limit is reached. Each guarded call
 * starts a watchdog thread, which costs about 0.1 ms, so callers run
 * patterns directly where the load-time analysis (cost.ts) proves them fast
 * and use this only for the rest.
 */
import * as vm from 'vm';

export const DEFAULT_GUARD_MS = 50;

export type GuardedResult =
  { timedOut: false; match: RegExpExecArray | null } | { timedOut: true };

export class RegexGuard {
  private readonly sandbox: {
    regex: RegExp | null;
    input: string;
    result: RegExpExecArray | null;
  } = { regex: null, input: '', result: null };
  private readonly context = vm.createContext(this.sandbox);
  private readonly script = new vm.Script('result = regex.exec(input);');

  constructor(readonly timeoutMs: number = DEFAULT_GUARD_MS) {}

  exec(regex: RegExp, input: string): GuardedResult {
    this.sandbox.regex = regex;
    this.sandbox.input = input;
    this.sandbox.result = null;
    try {
      this.script.runInContext(this.context, { timeout: this.timeoutMs });
      return { timedOut: false, match: this.sandbox.result };
    } catch (error) {
      if (isTimeout(error)) {
        return { timedOut: true };
      }
      throw error;
    } finally {
      this.sandbox.regex = null;
      this.sandbox.input = '';
      this.sandbox.result = null;
    }
  }
}

function isTimeout(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { code?: unknown }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT'
  );
}
