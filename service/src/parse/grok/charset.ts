/**
 * Sets of UTF-16 code units, as sorted disjoint inclusive ranges: what one
 * regex position may match. Used by the backtracking analysis, which only
 * needs them to over-approximate (a set may hold more than the regex really
 * matches, never less).
 */
export type CharSet = ReadonlyArray<readonly [number, number]>;

const MAX_UNIT = 0xffff;

export const EMPTY: CharSet = [];
export const ALL: CharSet = [[0, MAX_UNIT]];

export function charRange(lo: number, hi: number): CharSet {
  return lo <= hi ? [[lo, hi]] : EMPTY;
}

export function singleChar(unit: number): CharSet {
  return [[unit, unit]];
}

export function union(...sets: CharSet[]): CharSet {
  return unionAll(sets);
}

/** The union of any number of sets (no argument spreading). */
export function unionAll(sets: readonly CharSet[]): CharSet {
  let result: CharSet = EMPTY;
  for (const set of sets) {
    result = unionOfTwo(result, set);
  }
  return result;
}

function unionOfTwo(a: CharSet, b: CharSet): CharSet {
  if (b.length === 0 || a === b) {
    return a;
  }
  if (a.length === 0) {
    return b;
  }
  const merged: Array<[number, number]> = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const next =
      j >= b.length || (i < a.length && a[i][0] <= b[j][0]) ? a[i++] : b[j++];
    const last = merged[merged.length - 1];
    if (last !== undefined && next[0] <= last[1] + 1) {
      last[1] = Math.max(last[1], next[1]);
    } else {
      merged.push([next[0], next[1]]);
    }
  }
  return merged;
}

export function complement(set: CharSet): CharSet {
  const out: Array<[number, number]> = [];
  let next = 0;
  for (const [lo, hi] of set) {
    if (lo > next) {
      out.push([next, lo - 1]);
    }
    next = hi + 1;
  }
  if (next <= MAX_UNIT) {
    out.push([next, MAX_UNIT]);
  }
  return out;
}

export function intersects(a: CharSet, b: CharSet): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i][1] < b[j][0]) {
      i += 1;
    } else if (b[j][1] < a[i][0]) {
      j += 1;
    } else {
      return true;
    }
  }
  return false;
}

export function contains(set: CharSet, unit: number): boolean {
  return set.some(([lo, hi]) => lo <= unit && unit <= hi);
}

export function isEmpty(set: CharSet): boolean {
  return set.length === 0;
}

/** The one code unit a set holds, or null. */
export function onlyChar(set: CharSet): number | null {
  return set.length === 1 && set[0][0] === set[0][1] ? set[0][0] : null;
}

const UPPER_A = 0x41;
const UPPER_Z = 0x5a;
const LOWER_A = 0x61;
const LOWER_Z = 0x7a;
const NON_ASCII: CharSet = [[0x80, MAX_UNIT]];
const LETTERS: CharSet = [
  [UPPER_A, UPPER_Z],
  [LOWER_A, LOWER_Z]
];

/**
 * What a set may match under the `i` flag: the other case of ASCII letters,
 * and (coarsely) every non-ASCII unit once the set holds a letter or any
 * non-ASCII unit, whatever case mapping the engine applies to those.
 */
export function caseFold(set: CharSet): CharSet {
  const extra: Array<[number, number]> = [];
  for (const [lo, hi] of set) {
    const upperLo = Math.max(lo, UPPER_A);
    const upperHi = Math.min(hi, UPPER_Z);
    if (upperLo <= upperHi) {
      extra.push([upperLo + 32, upperHi + 32]);
    }
    const lowerLo = Math.max(lo, LOWER_A);
    const lowerHi = Math.min(hi, LOWER_Z);
    if (lowerLo <= lowerHi) {
      extra.push([lowerLo - 32, lowerHi - 32]);
    }
  }
  const wide = intersects(set, LETTERS) || intersects(set, NON_ASCII);
  return union(set, extra, wide ? NON_ASCII : EMPTY);
}

export const DIGITS: CharSet = [[0x30, 0x39]];
export const WORD_CHARS: CharSet = union(
  DIGITS,
  LETTERS,
  singleChar(0x5f) // _
);
export const SPACES: CharSet = union(
  charRange(0x09, 0x0d),
  singleChar(0x20),
  singleChar(0xa0),
  singleChar(0x1680),
  charRange(0x2000, 0x200a),
  charRange(0x2028, 0x2029),
  singleChar(0x202f),
  singleChar(0x205f),
  singleChar(0x3000),
  singleChar(0xfeff)
);
export const LINE_TERMINATORS: CharSet = union(
  singleChar(0x0a),
  singleChar(0x0d),
  charRange(0x2028, 0x2029)
);

/**
 * Split the alphabet into the pieces on which every given set is either
 * wholly in or wholly out; returns one representative unit per piece.
 */
export function representatives(sets: CharSet[]): number[] {
  const cuts = new Set<number>([0]);
  for (const set of sets) {
    for (const [lo, hi] of set) {
      cuts.add(lo);
      if (hi < MAX_UNIT) {
        cuts.add(hi + 1);
      }
    }
  }
  return Array.from(cuts).sort((a, b) => a - b);
}
