/**
 * What Logstash's regex dialect (Ruby's Onigmo) means by the constructs
 * JavaScript reads differently, as JavaScript class text.
 *
 * POSIX bracket classes (`[[:alpha:]]`) and `\p{...}` properties are
 * Unicode-aware in Ruby. JavaScript without the `u` flag reads `\p` as a
 * plain `p` and `[:alpha:]` as a set of five characters, so both become
 * explicit ranges of UTF-16 code units here, computed once from the
 * engine's own Unicode tables. Only the Basic Multilingual Plane is
 * covered: a pattern without the `u` flag matches code units, so a letter
 * outside it (a surrogate pair) is not matched by `[[:alpha:]]`.
 */
import { CharSet, complement, unionAll } from './charset';

const HEX_DIGITS: CharSet = [
  [0x30, 0x39],
  [0x41, 0x46],
  [0x61, 0x66]
];

/** Ruby's POSIX bracket classes, as JavaScript `u`-flag class bodies. */
const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: '\\p{Alphabetic}\\p{Nd}',
  alpha: '\\p{Alphabetic}',
  ascii: '\\x00-\\x7f',
  blank: '\\p{Zs}\\t',
  cntrl: '\\p{Cc}',
  digit: '\\p{Nd}',
  // Not blank, not a control, assigned: visible characters.
  graph: '^\\p{White_Space}\\p{Cc}\\p{Cn}\\p{Cs}',
  lower: '\\p{Lowercase}',
  print: '^\\p{White_Space}\\p{Cc}\\p{Cn}\\p{Cs}',
  // Punctuation, and since Ruby 2.4 the ASCII symbols as well.
  punct: '\\p{P}$+<=>^`|~',
  space: '\\p{White_Space}',
  upper: '\\p{Uppercase}',
  word: '\\p{L}\\p{M}\\p{Nd}\\p{Pc}',
  xdigit: '0-9A-Fa-f'
};

const cache = new Map<string, CharSet>();

/** Code units of the BMP a `u`-flag class body matches (null: not a valid body). */
function unitsOf(body: string): CharSet | null {
  const cached = cache.get(body);
  if (cached !== undefined) {
    return cached;
  }
  let test: RegExp;
  try {
    test = new RegExp(`^[${body}]$`, 'u');
  } catch {
    return null;
  }
  const ranges: Array<[number, number]> = [];
  let start = -1;
  for (let unit = 0; unit <= 0x10000; unit += 1) {
    // Lone surrogates never match a `u` class; keep them out explicitly.
    const inSet =
      unit <= 0xffff &&
      !(unit >= 0xd800 && unit <= 0xdfff) &&
      test.test(String.fromCharCode(unit));
    if (inSet && start < 0) {
      start = unit;
    } else if (!inSet && start >= 0) {
      ranges.push([start, unit - 1]);
      start = -1;
    }
  }
  cache.set(body, ranges);
  return ranges;
}

/**
 * A POSIX bracket class such as `alpha` (negated when `negate`), or null
 * when Ruby has no class of that name. `print` also takes the space
 * separators Ruby counts as printable.
 */
export function posixClass(name: string, negate: boolean): CharSet | null {
  if (!Object.prototype.hasOwnProperty.call(POSIX_CLASSES, name)) {
    return null;
  }
  let set = unitsOf(POSIX_CLASSES[name]);
  if (set === null) {
    return null;
  }
  if (name === 'print') {
    set = unionAll([set, unitsOf('\\p{Zs}') ?? []]);
  }
  return negate ? complement(set) : set;
}

/** Ruby's `\h` (a hexadecimal digit) or `\H`. */
export function hexDigitClass(negate: boolean): CharSet {
  return negate ? complement(HEX_DIGITS) : HEX_DIGITS;
}

/** POSIX-style names Onigmo also accepts in `\p{...}`. */
const PROPERTY_ALIASES: Readonly<Record<string, string>> = {
  alnum: 'alnum',
  alpha: 'alpha',
  ascii: 'ascii',
  blank: 'blank',
  cntrl: 'cntrl',
  digit: 'digit',
  graph: 'graph',
  lower: 'lower',
  print: 'print',
  punct: 'punct',
  space: 'space',
  upper: 'upper',
  word: 'word',
  xdigit: 'xdigit',
  any: 'any'
};

/**
 * `\p{Name}` / `\p{^Name}` / `\P{Name}` as Onigmo reads it: a POSIX name,
 * a general category (`L`, `Lu`, `Letter`), a script (`Greek`, `Han`) or a
 * binary property (`Alphabetic`). Null when the name is unknown.
 */
export function unicodeProperty(name: string, negate: boolean): CharSet | null {
  const key = name.replace(/[\s_-]/g, '').toLowerCase();
  let set: CharSet | null = null;
  if (Object.prototype.hasOwnProperty.call(PROPERTY_ALIASES, key)) {
    set =
      key === 'any' ? [[0, 0xffff]] : posixClass(PROPERTY_ALIASES[key], false);
  } else if (/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) {
    set =
      unitsOf(`\\p{${name}}`) ??
      unitsOf(`\\p{Script=${name}}`) ??
      unitsOf(`\\p{General_Category=${name}}`);
  }
  if (set === null) {
    return null;
  }
  return negate ? complement(set) : set;
}

function unitText(unit: number): string {
  return `\\u${unit.toString(16).padStart(4, '0')}`;
}

/** Class body text (no brackets) for a set of code units. */
export function classBody(set: CharSet): string {
  return set
    .map(([lo, hi]) =>
      lo === hi
        ? unitText(lo)
        : hi === lo + 1
          ? `${unitText(lo)}${unitText(hi)}`
          : `${unitText(lo)}-${unitText(hi)}`
    )
    .join('');
}

/** A whole class (`[...]`) for a set; an empty set never matches. */
export function classText(set: CharSet): string {
  return set.length === 0 ? '[^\\s\\S]' : `[${classBody(set)}]`;
}
