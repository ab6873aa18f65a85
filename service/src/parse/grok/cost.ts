/**
 * An upper bound on the work a backtracking matcher (V8's irregexp) may do
 * in one `exec` of a parsed expression on any line of at most N characters.
 *
 * It is computed bottom-up over the tree. For each node, from one start
 * position and over every possible input of at most N characters, it
 * bounds:
 *
 * - `w0` / `wc`: the ways the node can succeed without / with consuming
 *   text, i.e. how often the rest of the pattern may be tried after it;
 * - `endC`: how many of its consuming ways may end at one same position;
 * - `cost`: the steps it takes trying every way, counting one step for each
 *   success it hands on (but not what the rest of the pattern then does);
 * - `zcost`: the same when the next character cannot start a consuming way.
 *
 * Those depend on N. What does not (the node's "shape", computed once) is
 * which characters its consuming ways start with (`first`), consume at all
 * (`chars`), and consume at or after the position where another way on the
 * same text ended (`tail`); its lengths; and, for short nodes, which
 * characters each position may hold. Character sets only ever
 * over-approximate.
 *
 * A sequence AB costs cost(A) plus, for each way A succeeds, cost(B). What
 * keeps the bound polynomial where real backtracking is polynomial are facts
 * that need no guessing:
 *
 * - if B cannot start with a character of tail(A), at most one end of A is
 *   followed by a character B can start with (a longer way of A would have
 *   consumed it after the shorter one ended), so B runs in full after at
 *   most `endC(A)` of A's ways and fails at its first character after the
 *   others;
 * - an atomic group or a lookaround succeeds at most once;
 * - a loop whose body succeeds at most one way, or whose body cannot start
 *   a pass with a character of its own tail (so every pass but the last
 *   ends where the next starts), is one chain of passes;
 * - alternatives whose first characters differ cannot both consume, and
 *   alternatives that cannot consume the same text cannot end at the same
 *   position;
 * - once the trailing parts of the pattern that always succeed are
 *   reached, the match is found.
 *
 * Anything else multiplies: nested quantifiers such as `(a+)+` give an
 * exponential bound, and such a pattern only ever runs under a time limit.
 * test/parse/backtracking.test.ts checks the bound against a reference
 * matcher that counts its steps.
 */
import {
  ALL,
  CharSet,
  contains,
  EMPTY,
  intersects,
  representatives,
  union,
  unionAll
} from './charset';
import { IParsedRegex, RegexNode } from './regex';

/** What a node can match, whatever the line length. */
interface IShape {
  /** Has an empty way (perhaps behind an assertion). */
  nullable: boolean;
  /** Has a consuming way. */
  consumes: boolean;
  /** Succeeds at most one way on any text. */
  single: boolean;
  first: CharSet;
  chars: CharSet;
  tail: CharSet;
  /** Shortest consuming way (Infinity without one). */
  minC: number;
  /** Longest way (Infinity when unbounded). */
  maxLen: number;
  /** Has an empty way that needs no assertion, so it always succeeds. */
  free: boolean;
  /**
   * For short nodes, by length, the characters each position of a
   * consumed text may hold; null when some text is longer than
   * PROFILE_MAX. Two nodes whose profiles differ somewhere at every length
   * never consume the same text.
   */
  profile: Profile | null;
}

/** length → the characters each position may hold (absent: no such text). */
type Profile = ReadonlyMap<number, CharSet[]>;

const PROFILE_MAX = 16;
/** Most alternatives compared pairwise for one next character. */
const MAX_COMPARED = 48;

interface ISummary {
  shape: IShape;
  w0: number;
  wc: number;
  endC: number;
  cost: number;
  zcost: number;
}

const NOTHING_SHAPE: IShape = {
  nullable: true,
  consumes: false,
  single: true,
  first: EMPTY,
  chars: EMPTY,
  tail: EMPTY,
  minC: Infinity,
  maxLen: 0,
  free: true,
  profile: new Map([[0, []]])
};

/** The empty sequence: succeeds once, consuming nothing. */
const NOTHING: ISummary = {
  shape: NOTHING_SHAPE,
  w0: 1,
  wc: 0,
  endC: 0,
  cost: 1,
  zcost: 1
};

const ASSERTION_SHAPE: IShape = { ...NOTHING_SHAPE, free: false };

/** a × b, where 0 × Infinity is 0. */
function mul(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : a * b;
}

/**
 * Upper bound on the steps of one `exec` on a line of at most `length`
 * characters (Infinity when it is too large to count).
 */
export function worstCaseSteps(parsed: IParsedRegex, length: number): number {
  const perStart = new Analyser(length).topCost(parsed.root);
  if (!parsed.flags.includes('m') && anchoredAtStart(parsed.root)) {
    // Tried at every position, but failing at once past the first.
    return perStart + 2 * length;
  }
  return mul(length + 1, perStart);
}

/**
 * The longest line, among 0, 16, 32, 64, ... `maxLength`, on which the bound
 * stays within `budget` steps; -1 when not even an empty line does.
 */
export function directLimit(
  parsed: IParsedRegex,
  maxLength: number,
  budget: number
): number {
  const lengths = [0];
  for (let length = 16; length < maxLength; length *= 2) {
    lengths.push(length);
  }
  lengths.push(maxLength);
  const within = (index: number): boolean =>
    worstCaseSteps(parsed, lengths[index]) <= budget;
  if (!within(0)) {
    return -1;
  }
  if (within(lengths.length - 1)) {
    return maxLength;
  }
  let ok = 0;
  let tooLong = lengths.length - 1;
  while (tooLong - ok > 1) {
    const middle = Math.floor((ok + tooLong) / 2);
    if (within(middle)) {
      ok = middle;
    } else {
      tooLong = middle;
    }
  }
  return lengths[ok];
}

function anchoredAtStart(node: RegexNode): boolean {
  switch (node.type) {
    case 'assert':
      return node.kind === 'start';
    case 'seq':
      return node.items.length > 0 && anchoredAtStart(node.items[0]);
    case 'alt':
      return node.alts.every(anchoredAtStart);
    case 'group':
    case 'atomic':
      return anchoredAtStart(node.body);
    default:
      return false;
  }
}

const reversedTrees = new WeakMap<RegexNode, RegexNode>();

/** The tree a lookbehind matches: sequences run right to left. */
function reversed(node: RegexNode): RegexNode {
  const known = reversedTrees.get(node);
  if (known !== undefined) {
    return known;
  }
  let result: RegexNode;
  switch (node.type) {
    case 'seq':
      result = { ...node, items: node.items.map(reversed).reverse() };
      break;
    case 'alt':
      result = { ...node, alts: node.alts.map(reversed) };
      break;
    case 'group':
    case 'atomic':
    case 'repeat':
      result = { ...node, body: reversed(node.body) };
      break;
    default:
      // A lookaround keeps its own direction; leaves have none.
      result = node;
  }
  reversedTrees.set(node, result);
  return result;
}

class Analyser {
  constructor(private readonly length: number) {}

  readonly combine = (a: ISummary, b: ISummary): ISummary =>
    combine(a, b, this.length);

  /** Steps of a whole match attempt from one position. */
  topCost(node: RegexNode): number {
    switch (node.type) {
      case 'group':
        return this.topCost(node.body);
      case 'alt':
        return 1 + node.alts.reduce((all, alt) => all + this.topCost(alt), 0);
      case 'seq': {
        // Once the trailing always-succeeding items are reached the match
        // is found, so they run once, not once per way of what precedes.
        const summaries = node.items.map(item => this.summary(item));
        let tail = summaries.length;
        while (tail > 0 && summaries[tail - 1].shape.free) {
          tail -= 1;
        }
        const head = summaries.slice(0, tail).reduce(this.combine, NOTHING);
        const rest = summaries.slice(tail).reduce(this.combine, NOTHING);
        return head.cost + rest.cost;
      }
      default:
        return this.summary(node).cost;
    }
  }

  summary(node: RegexNode): ISummary {
    switch (node.type) {
      case 'char':
        if (node.set.length === 0) {
          return { ...NOTHING, shape: leafShape(node), w0: 0 };
        }
        return {
          shape: leafShape(node),
          w0: 0,
          wc: 1,
          endC: 1,
          cost: 2,
          zcost: 1
        };
      case 'assert':
        return { ...NOTHING, shape: ASSERTION_SHAPE, cost: 2, zcost: 2 };
      case 'backref':
        // What a group captured: any text, matched one way.
        return {
          shape: leafShape(node),
          w0: 1,
          wc: 1,
          endC: 1,
          cost: this.length + 2,
          zcost: this.length + 2
        };
      case 'look': {
        const body = this.summary(
          node.behind ? reversed(node.body) : node.body
        );
        const cost = body.cost + 2;
        return { ...NOTHING, shape: ASSERTION_SHAPE, cost, zcost: cost };
      }
      case 'group':
        return this.summary(node.body);
      case 'atomic': {
        // One way at most; the backreference re-reads what was matched.
        const body = this.summary(node.body);
        return {
          shape: atomicShape(body.shape),
          w0: Math.min(body.w0, 1),
          wc: Math.min(body.wc, 1),
          endC: Math.min(body.endC, 1),
          cost: body.cost + Math.min(body.shape.maxLen, this.length) + 2,
          zcost: body.zcost + 2
        };
      }
      case 'seq':
        return node.items
          .map(item => this.summary(item))
          .reduce(this.combine, NOTHING);
      case 'alt':
        return alternation(
          node,
          node.alts.map(alt => this.summary(alt))
        );
      case 'repeat':
        return this.repeat(this.summary(node.body), node.min, node.max);
    }
  }

  private repeat(body: ISummary, min: number, max: number): ISummary {
    if (max === 0) {
      return NOTHING;
    }
    // A pass past the minimum that consumes nothing fails, so only the
    // first `min` passes may take the body's empty ways.
    const consuming: ISummary = {
      ...body,
      shape: consumingShape(body.shape),
      w0: 0
    };
    if (body.shape.nullable && min > 0) {
      return this.combine(
        power(body, min, this.combine),
        this.loop(consuming, 0, max - min)
      );
    }
    return this.loop(consuming, min, max);
  }

  /** `min` to `max` passes of a body that consumes on every pass. */
  private loop(body: ISummary, min: number, max: number): ISummary {
    const shape = loopShape(body.shape, min, max);
    const passes =
      body.wc === 0
        ? 0
        : Math.min(max, Math.floor(this.length / body.shape.minC));
    // Pass counts (at least one) that can succeed.
    const counts = passes >= min ? passes - Math.max(min, 1) + 1 : 0;
    // Passes attempted along one chain (the last may fail).
    const attempts = Math.min(passes + 1, max);
    let wc: number;
    let endC: number;
    let cost: number;
    if (body.wc <= 1) {
      // One chain of passes: one way per number of passes.
      wc = counts;
      endC = 1;
      cost = mul(attempts, body.cost) + passes + 2;
    } else if (
      !intersects(body.shape.first, body.shape.tail) &&
      body.endC <= 1
    ) {
      // Each pass has at most one end where another pass can start: one
      // chain, plus the other ways of each pass, after which another pass
      // fails at its first character.
      wc = mul(counts, body.wc);
      endC = 1;
      cost =
        mul(attempts, body.cost + mul(body.wc, body.zcost + 1)) + passes + 2;
    } else {
      // Any split of the text into passes: the ways multiply.
      let ways = 1;
      let total = 1;
      let tried = 0;
      wc = 0;
      for (let pass = 1; pass <= passes && total < Infinity; pass += 1) {
        tried += ways;
        ways = mul(ways, body.wc);
        total += ways;
        if (pass >= min) {
          wc += ways;
        }
      }
      if (total === Infinity) {
        wc = Infinity;
        tried = Infinity;
      } else if (passes < max) {
        // Ways that ran out of text try one more pass.
        tried += ways;
      }
      endC = passes <= 1 ? Math.min(body.endC, wc) : wc;
      cost = mul(tried, body.cost) + total + 1;
    }
    return {
      shape,
      w0: min === 0 ? 1 : 0,
      wc,
      endC,
      cost,
      zcost: body.zcost + 2
    };
  }
}

/** `count` copies of a node in sequence. */
function power(
  node: ISummary,
  count: number,
  join: (a: ISummary, b: ISummary) => ISummary
): ISummary {
  let result = NOTHING;
  let base = node;
  let left = count;
  while (left > 0) {
    if (left % 2 === 1) {
      result = join(result, base);
    }
    left = Math.floor(left / 2);
    if (left > 0) {
      base = join(base, base);
    }
  }
  return result;
}

function sum3(a: number, b: number, c: number): number {
  return a + b + c;
}

/** A followed by B, on lines of at most `length` characters. */
function combine(a: ISummary, b: ISummary, length: number): ISummary {
  const shapeA = a.shape;
  const shapeB = b.shape;
  // At most one end of A is followed by a character B can start with, when
  // no way of A consumes such a character after another way ended.
  const oneLiveEnd = !intersects(shapeB.first, shapeA.tail);
  const live = oneLiveEnd ? a.endC : a.wc;
  const dead = oneLiveEnd ? a.wc : 0;
  const aFixed = !shapeA.nullable && shapeA.minC === shapeA.maxLen;
  const bFixed = !shapeB.nullable && shapeB.minC === shapeB.maxLen;
  // Where, for one end of AB, A may end.
  const splits =
    oneLiveEnd || aFixed || bFixed
      ? 1
      : Math.min(shapeA.maxLen - shapeA.minC + 1, length + 1);
  const wc = mul(a.wc, b.w0) + mul(a.w0, b.wc) + mul(live, b.wc);
  return {
    shape: sequenceShape(shapeA, shapeB),
    w0: mul(a.w0, b.w0),
    wc,
    // With a single split point, ways of the three kinds (A consumes and B
    // not, the reverse, both) never end at the same position.
    endC: Math.min(
      wc,
      (splits === 1 ? Math.max : sum3)(
        mul(a.endC, b.w0),
        mul(a.w0, b.endC),
        mul(Math.min(mul(splits, a.endC), live), b.endC)
      )
    ),
    cost: a.cost + mul(a.w0 + live, b.cost) + mul(dead, b.zcost),
    zcost: a.zcost + mul(a.w0, b.zcost)
  };
}

/** Which alternatives may consume when the next character is a given one. */
interface IRegion {
  /** Alternatives whose first characters hold it. */
  starting: number[];
  /** For each of those, the ones that may consume the same text. */
  same: number[][];
}

/** Most (characters × alternatives) looked at to tell alternatives apart. */
const MAX_REGION_WORK = 200_000;

const alternationRegions = new WeakMap<RegexNode, IRegion[]>();

/** Alternatives: only those whose first characters fit the next one consume. */
function alternation(node: RegexNode, parts: ISummary[]): ISummary {
  let regions = alternationRegions.get(node);
  if (regions === undefined) {
    regions = regionsOf(parts.map(part => part.shape));
    alternationRegions.set(node, regions);
  }
  const zcosts = parts.reduce((all, part) => all + part.zcost, 0);
  let wc = 0;
  let endC = 0;
  let cost = zcosts;
  for (const { starting, same } of regions) {
    let wcHere = 0;
    let costHere = zcosts;
    for (const i of starting) {
      wcHere += parts[i].wc;
      // This one runs in full instead of failing at its first character.
      costHere +=
        parts[i].cost === Infinity ? Infinity : parts[i].cost - parts[i].zcost;
    }
    wc = Math.max(wc, wcHere);
    cost = Math.max(cost, costHere);
    for (const alike of same) {
      endC = Math.max(
        endC,
        alike.reduce((all, i) => all + parts[i].endC, 0)
      );
    }
  }
  return {
    shape: alternationShape(
      node,
      parts.map(part => part.shape)
    ),
    w0: parts.reduce((all, part) => all + part.w0, 0),
    wc,
    endC: Math.min(endC, wc),
    cost: cost + 1,
    zcost: zcosts + 1
  };
}

function regionsOf(shapes: IShape[]): IRegion[] {
  const units = representatives(shapes.map(shape => shape.first));
  if (units.length * shapes.length > MAX_REGION_WORK) {
    // Too many to tell apart: as if every one could start anywhere.
    const all = shapes.map((_, i) => i);
    return [{ starting: all, same: [all] }];
  }
  const regions: IRegion[] = [];
  for (const unit of units) {
    const starting = shapes
      .map((shape, i) => (contains(shape.first, unit) ? i : -1))
      .filter(i => i >= 0);
    if (starting.length === 0) {
      continue;
    }
    // Only alternatives that can consume the same text end at the same
    // position: their lengths and, for short ones, characters must agree.
    // (Past a few dozen, comparing every pair costs more than it tells.)
    const same =
      starting.length > MAX_COMPARED
        ? [starting]
        : starting.map(i =>
            starting.filter(
              j => j === i || mayConsumeSame(shapes[i], shapes[j], unit)
            )
          );
    regions.push({ starting, same });
  }
  return regions;
}

/** Whether two nodes may consume the same text starting with `unit`. */
function mayConsumeSame(a: IShape, b: IShape, unit: number): boolean {
  if (a.profile === null || b.profile === null) {
    return Math.max(a.minC, b.minC) <= Math.min(a.maxLen, b.maxLen);
  }
  for (const [length, positions] of a.profile) {
    const others = b.profile.get(length);
    if (
      length > 0 &&
      others !== undefined &&
      contains(positions[0], unit) &&
      contains(others[0], unit) &&
      positions.every((set, i) => intersects(set, others[i]))
    ) {
      return true;
    }
  }
  return false;
}

// Shapes: computed once per node (or pair of shapes), whatever the length.

const leafShapes = new WeakMap<RegexNode, IShape>();

function leafShape(node: RegexNode): IShape {
  let shape = leafShapes.get(node);
  if (shape === undefined) {
    if (node.type === 'char') {
      shape =
        node.set.length === 0
          ? {
              ...NOTHING_SHAPE,
              nullable: false,
              free: false,
              profile: new Map()
            }
          : {
              nullable: false,
              consumes: true,
              single: true,
              first: node.set,
              chars: node.set,
              tail: EMPTY,
              minC: 1,
              maxLen: 1,
              free: false,
              profile: new Map([[1, [node.set]]])
            };
    } else {
      // A backreference: any text, or none.
      shape = {
        nullable: true,
        consumes: true,
        single: true,
        first: ALL,
        chars: ALL,
        tail: EMPTY,
        minC: 1,
        maxLen: Infinity,
        free: false,
        profile: null
      };
    }
    leafShapes.set(node, shape);
  }
  return shape;
}

const atomicShapes = new WeakMap<IShape, IShape>();

function atomicShape(body: IShape): IShape {
  let shape = atomicShapes.get(body);
  if (shape === undefined) {
    shape = { ...body, single: true, tail: EMPTY };
    atomicShapes.set(body, shape);
  }
  return shape;
}

const consumingShapes = new WeakMap<IShape, IShape>();

function consumingShape(body: IShape): IShape {
  let shape = consumingShapes.get(body);
  if (shape === undefined) {
    shape = {
      ...body,
      nullable: false,
      free: false,
      profile: withoutEmpty(body.profile)
    };
    consumingShapes.set(body, shape);
  }
  return shape;
}

const loopShapes = new WeakMap<IShape, Map<string, IShape>>();

function loopShape(body: IShape, min: number, max: number): IShape {
  let byCount = loopShapes.get(body);
  if (byCount === undefined) {
    byCount = new Map();
    loopShapes.set(body, byCount);
  }
  const key = `${min},${max}`;
  let shape = byCount.get(key);
  if (shape === undefined) {
    const varies = max > min || !body.single;
    shape = {
      nullable: min === 0,
      consumes: body.consumes,
      single: !varies,
      first: body.first,
      chars: body.chars,
      // Ways with more passes consume past the end of those with fewer.
      tail: varies ? body.chars : EMPTY,
      minC: mul(Math.max(min, 1), body.minC),
      maxLen: max === Infinity ? Infinity : mul(max, body.maxLen),
      free: min === 0,
      profile: repeatProfile(body.profile, min, max)
    };
    byCount.set(key, shape);
  }
  return shape;
}

const sequenceShapes = new WeakMap<IShape, WeakMap<IShape, IShape>>();

function sequenceShape(a: IShape, b: IShape): IShape {
  let byB = sequenceShapes.get(a);
  if (byB === undefined) {
    byB = new WeakMap();
    sequenceShapes.set(a, byB);
  }
  let shape = byB.get(b);
  if (shape === undefined) {
    let tail: CharSet;
    if (a.single) {
      tail = b.tail;
    } else if (!intersects(b.first, a.tail)) {
      // Ways where B consumes all pass through A's one live end.
      tail = b.nullable ? union(a.tail, b.tail, b.chars) : b.tail;
    } else {
      tail = union(a.tail, b.chars);
    }
    shape = {
      nullable: a.nullable && b.nullable,
      consumes: a.consumes || b.consumes,
      single: a.single && b.single,
      first: a.nullable ? union(a.first, b.first) : a.first,
      chars: union(a.chars, b.chars),
      tail,
      minC: Math.min(
        a.consumes && b.nullable ? a.minC : Infinity,
        a.nullable && b.consumes ? b.minC : Infinity,
        a.consumes && b.consumes ? a.minC + b.minC : Infinity
      ),
      maxLen: a.maxLen + b.maxLen,
      free: a.free && b.free,
      profile: concatProfiles(a.profile, b.profile)
    };
    byB.set(b, shape);
  }
  return shape;
}

const alternationShapes = new WeakMap<RegexNode, IShape>();

function alternationShape(node: RegexNode, parts: IShape[]): IShape {
  let shape = alternationShapes.get(node);
  if (shape === undefined) {
    // Two alternatives succeed on one text only if one is empty or both
    // start with the same character (with many, assume they may).
    const many = parts.length > MAX_COMPARED;
    const tail = unionAll(
      parts.map((part, i) =>
        part.consumes &&
        (many ||
          parts.some(
            (other, j) =>
              j !== i && (other.nullable || intersects(other.first, part.first))
          ))
          ? part.chars
          : part.tail
      )
    );
    shape = {
      nullable: parts.some(part => part.nullable),
      consumes: parts.some(part => part.consumes),
      single: false,
      first: unionAll(parts.map(part => part.first)),
      chars: unionAll(parts.map(part => part.chars)),
      tail,
      minC: parts.reduce((all, part) => Math.min(all, part.minC), Infinity),
      maxLen: parts.reduce((all, part) => Math.max(all, part.maxLen), 0),
      free: parts.some(part => part.free),
      profile: parts
        .map(part => part.profile)
        .reduce<Profile | null>(
          (all, profile) =>
            all && profile ? mergeProfiles(all, profile) : null,
          new Map()
        )
    };
    alternationShapes.set(node, shape);
  }
  return shape;
}

function withoutEmpty(profile: Profile | null): Profile | null {
  if (profile === null) {
    return null;
  }
  const consuming = new Map(profile);
  consuming.delete(0);
  return consuming;
}

function mergeProfiles(a: Profile, b: Profile): Profile {
  const merged = new Map(a);
  for (const [length, positions] of b) {
    const mine = merged.get(length);
    merged.set(
      length,
      mine === undefined
        ? positions
        : mine.map((set, i) => union(set, positions[i]))
    );
  }
  return merged;
}

function concatProfiles(a: Profile | null, b: Profile | null): Profile | null {
  if (a === null || b === null) {
    return null;
  }
  let joined: Profile = new Map();
  for (const [lengthA, positionsA] of a) {
    for (const [lengthB, positionsB] of b) {
      if (lengthA + lengthB > PROFILE_MAX) {
        return null;
      }
      joined = mergeProfiles(
        joined,
        new Map([[lengthA + lengthB, [...positionsA, ...positionsB]]])
      );
    }
  }
  return joined;
}

function repeatProfile(
  body: Profile | null,
  min: number,
  max: number
): Profile | null {
  if (body === null || max > PROFILE_MAX) {
    return null;
  }
  let exact: Profile | null = new Map([[0, []]]);
  let all: Profile = min === 0 ? exact : new Map();
  for (let count = 1; count <= max; count += 1) {
    exact = concatProfiles(exact, body);
    if (exact === null) {
      return null;
    }
    if (count >= min) {
      all = mergeProfiles(all, exact);
    }
  }
  return all;
}
