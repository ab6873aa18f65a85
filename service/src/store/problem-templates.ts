/**
 * Groups log messages into templates, as the Drain log parser does: the
 * variable parts (numbers, ids, paths with digits, quoted values) become
 * `<*>`, messages of the same length and first word are compared position
 * by position, and a message close enough to a template joins it (where they
 * differ the template gets `<*>`). So "Loss became NaN at step 3420" and
 * "... step 17" are one template, counted, with when it was first and last
 * seen and in which runs: a new kind of error stands out among old ones.
 */
import type { ILogTemplate, IProblemsAnswer } from '../wire';

export type { ILogTemplate } from '../wire';

/** A message to group: its text, level, run and time. */
export interface ITemplateInput {
  message: string;
  level: string;
  run_id: string;
  /** ISO time. */
  time: string;
}

export const WILDCARD = '<*>';

/** Share of positions that must match for a message to join a template. */
const SIMILARITY = 0.5;
/** Words compared at most: the rest of a long message is one wildcard. */
const MAX_TOKENS = 40;
/** Runs listed per template at most (see ILogTemplate.runs). */
const MAX_RUNS_LISTED = 20;
const LEVEL_ORDER = ['critical', 'fatal', 'error', 'warning', 'warn'];

/** A word that is variable: it holds a digit, or is quoted, or is a long hex/id. */
function isVariable(token: string): boolean {
  return (
    /\d/.test(token) ||
    /^(['"`]).*\1[,.;:]?$/.test(token) ||
    /^[0-9a-f]{8,}$/i.test(token)
  );
}

/** The message's words with variable ones masked. */
export function maskedTokens(message: string): string[] {
  const words = message.trim().split(/\s+/).filter(Boolean);
  const kept = words.slice(0, MAX_TOKENS);
  const tokens = kept.map(word => (isVariable(word) ? WILDCARD : word));
  if (words.length > MAX_TOKENS) {
    tokens.push(WILDCARD);
  }
  return tokens;
}

interface ICluster {
  tokens: string[];
  count: number;
  levels: Set<string>;
  first: string;
  last: string;
  runs: Set<string>;
  runCount: number;
  example: string;
}

function similarity(template: string[], tokens: string[]): number {
  let same = 0;
  for (let i = 0; i < template.length; i += 1) {
    if (template[i] === tokens[i] || template[i] === WILDCARD) {
      same += 1;
    }
  }
  return same / template.length;
}

function levelRank(level: string): number {
  const index = LEVEL_ORDER.indexOf(level.toLowerCase());
  return index < 0 ? LEVEL_ORDER.length : index;
}

/** Templates of the messages, most frequent first (ties: latest first). */
export function mineTemplates(
  inputs: Iterable<ITemplateInput>
): ILogTemplate[] {
  // Drain's first two levels: message length, then first word.
  const groups = new Map<string, ICluster[]>();
  for (const input of inputs) {
    const tokens = maskedTokens(input.message);
    if (tokens.length === 0) {
      continue;
    }
    const key = `${tokens.length} ${tokens[0]}`;
    let clusters = groups.get(key);
    if (clusters === undefined) {
      clusters = [];
      groups.set(key, clusters);
    }
    let best: ICluster | null = null;
    let bestScore = SIMILARITY;
    for (const cluster of clusters) {
      const score = similarity(cluster.tokens, tokens);
      if (score >= bestScore) {
        best = cluster;
        bestScore = score;
      }
    }
    if (best === null) {
      clusters.push({
        tokens,
        count: 1,
        levels: new Set([input.level.toLowerCase()]),
        first: input.time,
        last: input.time,
        runs: new Set([input.run_id]),
        runCount: 1,
        example: input.message
      });
      continue;
    }
    best.tokens = best.tokens.map((token, i) =>
      token === tokens[i] ? token : WILDCARD
    );
    best.count += 1;
    best.levels.add(input.level.toLowerCase());
    if (input.time < best.first) {
      best.first = input.time;
    }
    if (input.time > best.last) {
      best.last = input.time;
    }
    if (!best.runs.has(input.run_id)) {
      best.runCount += 1;
      if (best.runs.size < MAX_RUNS_LISTED) {
        best.runs.add(input.run_id);
      }
    }
  }
  const templates: ILogTemplate[] = [];
  for (const clusters of groups.values()) {
    for (const cluster of clusters) {
      templates.push({
        template: cluster.tokens.join(' '),
        count: cluster.count,
        levels: [...cluster.levels].sort((a, b) => levelRank(a) - levelRank(b)),
        first_seen: cluster.first,
        last_seen: cluster.last,
        runs: [...cluster.runs],
        run_count: cluster.runCount,
        example: cluster.example
      });
    }
  }
  return templates.sort(
    (a, b) => b.count - a.count || (a.last_seen < b.last_seen ? 1 : -1)
  );
}

/**
 * `GET /problems`: the events' templates, the `size` most frequent, with
 * how many events were grouped and whether they were only the most recent.
 */
export function problemsAnswer(
  events: ITemplateInput[],
  sampled: boolean,
  size: number
): IProblemsAnswer {
  return {
    templates: mineTemplates(events).slice(0, size),
    events: events.length,
    sampled
  };
}
