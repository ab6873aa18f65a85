/** A small deterministic pseudo-random sequence: tests must not flake, and a failure can be replayed. */
export function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 0x100000000;
  };
}
