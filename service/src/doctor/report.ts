/**
 * The report of `tflog doctor`: one line per check, a fix under every
 * problem, as text (symbols on a UTF-8 terminal, plain words otherwise) or
 * as JSON. Pure: the checks make the lines, this only lays them out.
 */

/** ok: fine; warn: works, but worth a look; fail: must be fixed; skip: not checked. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface ICheck {
  /** The part of the setup: configuration, store, elasticsearch, embedded, spool, hub. */
  section: string;
  /** What was checked, e.g. `credentials`, `template tflog-logs`. */
  name: string;
  status: CheckStatus;
  /** What was found. */
  message: string;
  /** How to fix it (which variable or setting, which privilege, which command). */
  fix?: string;
}

export interface IReportSummary {
  ok: number;
  warn: number;
  fail: number;
  skip: number;
}

export interface IReportJson {
  tflog: string;
  node: string;
  ok: boolean;
  exitCode: number;
  summary: IReportSummary;
  checks: ICheck[];
}

export type ReportStyle = 'unicode' | 'plain';

const MARKS: Record<ReportStyle, Record<CheckStatus, string>> = {
  unicode: { ok: '✓', warn: '!', fail: '✗', skip: '-' },
  plain: { ok: 'ok  ', warn: 'warn', fail: 'FAIL', skip: 'skip' }
};

/** 0 when nothing failed, 1 when something did (warnings do not fail). */
export function exitCodeOf(checks: readonly ICheck[]): number {
  return checks.some(check => check.status === 'fail') ? 1 : 0;
}

export function summarize(checks: readonly ICheck[]): IReportSummary {
  const summary: IReportSummary = { ok: 0, warn: 0, fail: 0, skip: 0 };
  for (const check of checks) {
    summary[check.status] += 1;
  }
  return summary;
}

/**
 * Symbols only where they will show: stdout is a terminal whose locale is
 * UTF-8 (LC_ALL, else LC_CTYPE, else LANG, as the C library picks).
 */
export function chooseStyle(
  isTty: boolean,
  env: Record<string, string | undefined>
): ReportStyle {
  const locale =
    [env.LC_ALL, env.LC_CTYPE, env.LANG].find(
      value => value !== undefined && value !== ''
    ) ?? '';
  return isTty && /utf-?8/i.test(locale) ? 'unicode' : 'plain';
}

export function formatText(
  checks: readonly ICheck[],
  style: ReportStyle,
  header: string
): string {
  const lines = [header];
  let section: string | null = null;
  for (const check of checks) {
    if (check.section !== section) {
      section = check.section;
      lines.push('', section);
    }
    lines.push(
      `  ${MARKS[style][check.status]} ${check.name}: ${check.message}`
    );
    if (check.fix !== undefined) {
      lines.push(
        `      ${style === 'unicode' ? '→ fix' : 'fix'}: ${check.fix}`
      );
    }
  }
  const summary = summarize(checks);
  const counts = [
    summary.fail === 0 ? 'no problems' : plural(summary.fail, 'problem'),
    plural(summary.warn, 'warning')
  ];
  if (summary.skip > 0) {
    counts.push(`${summary.skip} not checked`);
  }
  lines.push(
    '',
    summary.fail === 0 && summary.warn === 0
      ? `all ${plural(summary.ok, 'check')} passed${summary.skip > 0 ? ` (${summary.skip} not checked)` : ''}`
      : counts.join(', ')
  );
  return lines.join('\n') + '\n';
}

export function reportJson(
  checks: readonly ICheck[],
  versions: { tflog: string; node: string }
): IReportJson {
  const exitCode = exitCodeOf(checks);
  return {
    ...versions,
    ok: exitCode === 0,
    exitCode,
    summary: summarize(checks),
    checks: checks.map(check => ({ ...check }))
  };
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
