/**
 * Notebook paths as JupyterLab names them: relative to the Jupyter server's
 * root directory, with `/` separators.
 *
 * A kernel started outside JupyterLab (or one that did not learn the root)
 * reports its notebook as the absolute path the server gave it
 * (JPY_SESSION_NAME). The service knows the root (TFLOG_SERVER_ROOT, set by
 * the server extension): it stores such a path relative to the root, and a
 * query for a notebook also matches runs stored under its absolute path
 * before (by an older service, or one without the root).
 */
import * as path from 'path';

import type { SpoolRecord } from '../types';

/**
 * `notebook` relative to `root` with `/` separators, when it is an absolute
 * path inside `root`; anything else as it is.
 */
export function serverRelative(
  notebook: string,
  root: string | undefined,
  paths: path.PlatformPath = path
): string {
  if (!root || !paths.isAbsolute(notebook) || !paths.isAbsolute(root)) {
    return notebook;
  }
  const relative = paths.relative(
    paths.normalize(root),
    paths.normalize(notebook)
  );
  if (
    relative === '' ||
    paths.isAbsolute(relative) ||
    relative.split(paths.sep)[0] === '..'
  ) {
    return notebook;
  }
  return relative.split(paths.sep).join('/');
}

/**
 * The paths runs of `notebook` may be stored under: its server-relative
 * path and, inside a known root, the absolute one too.
 */
export function storedNotebookPaths(
  notebook: string,
  root: string | undefined,
  paths: path.PlatformPath = path
): string[] {
  const relative = serverRelative(notebook, root, paths);
  const found = [relative];
  if (root && paths.isAbsolute(root) && !paths.isAbsolute(relative)) {
    found.push(paths.join(paths.normalize(root), ...relative.split('/')));
  }
  if (!found.includes(notebook)) {
    found.push(notebook);
  }
  return found;
}

/**
 * The record with its notebook path relative to the server's root (start
 * and context records carry one); the same object when nothing changes.
 */
export function withServerRelativeNotebook(
  record: SpoolRecord,
  root: string | undefined
): SpoolRecord {
  if (!root) {
    return record;
  }
  if (record.t === 'start' && typeof record.ctx.notebook === 'string') {
    const notebook = serverRelative(record.ctx.notebook, root);
    return notebook === record.ctx.notebook
      ? record
      : { ...record, ctx: { ...record.ctx, notebook } };
  }
  if (record.t === 'context' && typeof record.notebook === 'string') {
    const notebook = serverRelative(record.notebook, root);
    return notebook === record.notebook ? record : { ...record, notebook };
  }
  return record;
}
