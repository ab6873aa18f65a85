/**
 * Links that reopen a tflog view: `<base>/lab?tflog=<JSON {command, args}>`.
 * Only commands of an allow-list are run from a link, with JSON arguments;
 * what a link names is read through the API like any other request, so it
 * shows only what the person opening it may see.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import type { ReadonlyJSONObject } from '@lumino/coreutils';

import { defaultBundle } from './views/text';

/** The query parameter that carries the link. */
export const LINK_PARAMETER = 'tflog';

export interface ITflogLink {
  command: string;
  args: ReadonlyJSONObject;
}

/** A link that cannot be followed, with a message saying why. */
export class LinkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LinkError';
  }
}

/** Links longer than this are refused: no view needs that much. */
export const MAX_LINK_LENGTH = 8000;

/** `labUrl` with the link as its `tflog` parameter. */
export function linkUrl(labUrl: string, link: ITflogLink): string {
  const url = new URL(labUrl);
  url.searchParams.set(
    LINK_PARAMETER,
    JSON.stringify({ command: link.command, args: link.args })
  );
  return url.toString();
}

/**
 * The link in a URL's query string (`?tflog=...`, with or without the
 * `?`), or null when there is none. Throws LinkError when it is there but
 * not a link to a command of `allowed`.
 */
export function decodeLink(
  search: string,
  allowed: readonly string[],
  trans: TranslationBundle = defaultBundle()
): ITflogLink | null {
  const value = new URLSearchParams(search).get(LINK_PARAMETER);
  if (value === null) {
    return null;
  }
  if (value.length > MAX_LINK_LENGTH) {
    throw new LinkError(
      trans.__(
        'The tflog link is %1 characters long; at most %2 are read.',
        value.length,
        MAX_LINK_LENGTH
      )
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new LinkError(
      trans.__(
        'The tflog link is not valid JSON: was it cut short when copied?'
      )
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new LinkError(
      trans.__(
        'The tflog link must be a JSON object with "command" and "args".'
      )
    );
  }
  const { command, args } = parsed as Record<string, unknown>;
  if (typeof command !== 'string') {
    throw new LinkError(trans.__('The tflog link names no command.'));
  }
  if (!allowed.includes(command)) {
    throw new LinkError(
      trans.__(
        'The tflog link names "%1", which links cannot open (they open: %2).',
        command,
        allowed.join(', ')
      )
    );
  }
  if (args === undefined) {
    return { command, args: {} };
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new LinkError(
      trans.__('The tflog link\'s "args" must be a JSON object.')
    );
  }
  return { command, args: args as ReadonlyJSONObject };
}

/** The query string without the link (`?` included when anything is left). */
export function searchWithoutLink(search: string): string {
  const params = new URLSearchParams(search);
  params.delete(LINK_PARAMETER);
  const rest = params.toString();
  return rest ? `?${rest}` : '';
}
