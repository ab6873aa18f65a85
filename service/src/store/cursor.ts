/**
 * Paging cursors shared by both stores: the sort values of the last item of
 * a page, as base64url JSON. Opaque to clients, identical in meaning for
 * Elasticsearch (`search_after`) and the embedded store.
 */
import { StoreQueryError } from './store';

export type CursorValue = string | number;

export function encodeCursor(values: readonly CursorValue[]): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

/** The cursor's values, checked against the expected types. */
export function decodeCursor(
  cursor: string,
  types: readonly ('string' | 'number')[]
): CursorValue[] {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new StoreQueryError(
      'the cursor is not one returned by a previous page'
    );
  }
  if (
    !Array.isArray(values) ||
    values.length !== types.length ||
    values.some((value, index) => typeof value !== types[index])
  ) {
    throw new StoreQueryError('the cursor is not one returned by this query');
  }
  return values as CursorValue[];
}
