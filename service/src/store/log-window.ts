/**
 * The lines around a time (`GET /runs/{runId}/logs?at=`), the same in both
 * stores: each reads the lines before the time (nearest first) and from it
 * (oldest first), and this picks the window.
 */

/**
 * `size` lines nearest the time: half before it and half from it (the
 * extra one of an odd size from it), the other side filling in where one
 * has fewer; oldest first. `before` is nearest first and `from` oldest
 * first, each read with at least `size` lines when there are that many;
 * `more` says whether lines from the time follow the window.
 */
export function logWindow<T>(
  before: readonly T[],
  from: readonly T[],
  size: number
): { lines: T[]; more: boolean } {
  const half = Math.floor(size / 2);
  const fromBefore = Math.min(
    before.length,
    Math.max(half, size - from.length)
  );
  const fromAt = Math.min(from.length, size - fromBefore);
  return {
    lines: [...before.slice(0, fromBefore).reverse(), ...from.slice(0, fromAt)],
    more: from.length > fromAt
  };
}
