/**
 * The backtracking analysis and the atomic-group emulation, checked against
 * a reference: a plain backtracking matcher over the parsed tree (the
 * ECMAScript algorithm, with atomic groups done natively), which counts the
 * character tests it makes.
 *
 * For random small expressions and texts it checks that JavaScript's result
 * for the emitted source equals the reference's (so the emulation means what
 * an atomic group means), and that the reference never does more work than
 * the analysis' bound for that text length (so the bound is sound).
 */
import { contains, WORD_CHARS } from '../../src/parse/grok/charset';
import { worstCaseSteps } from '../../src/parse/grok/cost';
import { emitRegex, parseRegex, RegexNode } from '../../src/parse/grok/regex';
import { random } from '../seeded';

const STEP_CAP = 3_000_000;

class StepCap extends Error {}

/** Backtracking matcher over the tree; `steps` counts character tests. */
class Reference {
  steps = 0;

  constructor(private readonly text: string) {}

  /** First match from the leftmost start, as [index, end], or null. */
  exec(root: RegexNode): [number, number] | null {
    for (let start = 0; start <= this.text.length; start += 1) {
      let end = -1;
      if (
        this.match(root, start, 1, position => {
          end = position;
          return true;
        })
      ) {
        return [start, end];
      }
    }
    return null;
  }

  private test(ok: boolean): boolean {
    this.steps += 1;
    if (this.steps > STEP_CAP) {
      throw new StepCap();
    }
    return ok;
  }

  private isWord(position: number): boolean {
    return (
      position >= 0 &&
      position < this.text.length &&
      contains(WORD_CHARS, this.text.charCodeAt(position))
    );
  }

  match(
    node: RegexNode,
    pos: number,
    dir: 1 | -1,
    next: (position: number) => boolean
  ): boolean {
    switch (node.type) {
      case 'char': {
        const at = dir === 1 ? pos : pos - 1;
        const ok =
          at >= 0 &&
          at < this.text.length &&
          contains(node.set, this.text.charCodeAt(at));
        return this.test(ok) && next(pos + dir);
      }
      case 'assert': {
        let ok: boolean;
        if (node.kind === 'start') {
          ok = pos === 0;
        } else if (node.kind === 'end') {
          ok = pos === this.text.length;
        } else {
          const boundary = this.isWord(pos - 1) !== this.isWord(pos);
          ok = node.kind === 'boundary' ? boundary : !boundary;
        }
        return this.test(ok) && next(pos);
      }
      case 'seq': {
        const items = dir === 1 ? node.items : node.items.slice().reverse();
        const from = (index: number, position: number): boolean =>
          index === items.length
            ? next(position)
            : this.match(items[index], position, dir, after =>
                from(index + 1, after)
              );
        return from(0, pos);
      }
      case 'alt':
        return node.alts.some(alt => this.match(alt, pos, dir, next));
      case 'group':
        return this.match(node.body, pos, dir, next);
      case 'look': {
        const found = this.match(
          node.body,
          pos,
          node.behind ? -1 : 1,
          () => true
        );
        return found !== node.negate && next(pos);
      }
      case 'atomic': {
        let end = -1;
        this.match(node.body, pos, dir, position => {
          end = position;
          return true;
        });
        return end >= 0 && next(end);
      }
      case 'repeat': {
        const pass = (count: number, position: number): boolean => {
          if (count === node.max) {
            return next(position);
          }
          const again = (): boolean =>
            this.match(node.body, position, dir, after =>
              // A pass past the minimum must consume something.
              count >= node.min && after === position
                ? false
                : pass(count + 1, after)
            );
          if (count < node.min) {
            return again();
          }
          return node.lazy
            ? next(position) || again()
            : again() || next(position);
        };
        return pass(0, pos);
      }
      default:
        throw new Error(`not generated: ${node.type}`);
    }
  }
}

/** A random expression over a, b and c, with every construct in play. */
function expression(rnd: () => number, depth: number): string {
  const pick = <T>(items: T[]): T => items[Math.floor(rnd() * items.length)];
  if (depth === 0) {
    return pick(['a', 'b', '[ab]', '.', '[^a]', 'a', 'b']);
  }
  const inner = (): string => expression(rnd, depth - 1);
  switch (pick([0, 1, 1, 2, 2, 3, 4, 4, 4, 4, 5, 6, 7, 8])) {
    case 0:
      return pick(['^', '$', '\\b', '\\B']);
    case 1:
      return Array.from({ length: 1 + Math.floor(rnd() * 3) }, inner).join('');
    case 2:
      return `(?:${inner()}|${inner()}${rnd() < 0.3 ? `|${inner()}` : ''})`;
    case 3:
      return `(${inner()})`;
    case 4: {
      const quantifier = pick(['*', '+', '?', '{0,2}', '{1,3}', '{2}']);
      // '*' after a quantifier: Ruby's repeat of a repeat (x?*).
      const mode = pick(['', '', '?', '+', '*']);
      return `(?:${inner()})${quantifier}${mode}`;
    }
    case 5:
      return `(?>${inner()})`;
    case 6:
      return `(?${pick(['=', '!'])}${inner()})`;
    case 7:
      return `(?<${pick(['=', '!'])}${inner()})`;
    default:
      return inner();
  }
}

/** Random texts, many of them runs of one letter (where ambiguity costs most). */
function text(rnd: () => number): string {
  if (rnd() < 0.4) {
    const end = ['', 'b', 'c', 'ab'][Math.floor(rnd() * 4)];
    return 'a'.repeat(Math.floor(rnd() * 15)) + end;
  }
  if (rnd() < 0.3) {
    const unit = ['a', 'ab', 'b', 'ba', 'aab'][Math.floor(rnd() * 5)];
    return unit.repeat(1 + Math.floor(rnd() * 6)) + (rnd() < 0.5 ? 'c' : '');
  }
  const length = Math.floor(rnd() * 9);
  return Array.from({ length }, () => 'abc'[Math.floor(rnd() * 3)]).join('');
}

describe('backtracking analysis against a reference matcher', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'agrees with JavaScript and bounds the work (seed %i)',
    seed => {
      const rnd = random(seed);
      for (let i = 0; i < 150; i += 1) {
        const source = expression(rnd, 1 + Math.floor(rnd() * 4));
        const parsed = parseRegex(source);
        const regex = new RegExp(emitRegex(parsed).source);
        for (let j = 0; j < 8; j += 1) {
          const input = text(rnd);
          const reference = new Reference(input);
          let expected: [number, number] | null | 'cap';
          try {
            expected = reference.exec(parsed.root);
          } catch (error) {
            if (!(error instanceof StepCap)) {
              throw error;
            }
            expected = 'cap';
          }
          const bound = worstCaseSteps(parsed, input.length);
          const context = { source, input, steps: reference.steps, bound };
          expect({ ...context, within: reference.steps <= bound }).toEqual({
            ...context,
            within: true
          });
          if (expected !== 'cap') {
            const match = regex.exec(input);
            expect({
              source,
              input,
              match: match && [match.index, match.index + match[0].length]
            }).toEqual({
              source,
              input,
              match: expected
            });
          }
        }
      }
    }
  );

  it('is checked on expressions with nested quantifiers too', () => {
    // The generator above must reach exponential cases for the test to mean
    // anything: (a+)+ style nesting shows up as an exponential bound.
    expect(worstCaseSteps(parseRegex('(?:(?:a)+)+b'), 20)).toBeGreaterThan(
      1e12
    );
    expect(
      new Reference('a'.repeat(12)).exec(parseRegex('(?:(?:a)+)+b').root)
    ).toBeNull();
  });
});
