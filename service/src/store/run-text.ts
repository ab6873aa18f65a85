/**
 * Free-text matching for run lists, the same in both stores: a
 * case-insensitive substring of the run's name, notebook, tag keys or
 * `key=value` pairs. Elasticsearch stores these strings in a keyword field
 * and matches them with a case-insensitive wildcard query.
 */
import type { IRunSummary } from '../types';

/** The strings free text is matched against. */
export function runSearchTexts(summary: IRunSummary): string[] {
  const texts = [summary.run_id];
  if (summary.name) {
    texts.push(summary.name);
  }
  if (summary.notebook) {
    texts.push(summary.notebook);
  }
  for (const [key, value] of Object.entries(summary.tags ?? {})) {
    texts.push(`${key}=${value}`);
  }
  return texts;
}

export function runMatchesText(summary: IRunSummary, text: string): boolean {
  const needle = text.toLowerCase();
  return runSearchTexts(summary).some(candidate =>
    candidate.toLowerCase().includes(needle)
  );
}

/** `text` as a wildcard pattern matching it anywhere, specials escaped. */
export function containsWildcard(text: string): string {
  return `*${text.replace(/[\\*?]/g, character => `\\${character}`)}*`;
}

/**
 * Words of a text as Elasticsearch's standard analyzer roughly sees them:
 * lowercased runs of letters, digits and underscores. Log text search
 * matches when every word of the query is a word of the message.
 */
export function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}_]+/u)
    .filter(word => word.length > 0);
}

export function messageMatchesText(message: string, text: string): boolean {
  const wanted = words(text);
  if (wanted.length === 0) {
    return true;
  }
  const present = new Set(words(message));
  return wanted.every(word => present.has(word));
}
