/** Log levels in ECS style: lower-case words. */

export type Level = string;

const LEVEL_ALIASES: Record<string, string> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  information: 'info',
  notice: 'notice',
  warn: 'warning',
  warning: 'warning',
  err: 'error',
  error: 'error',
  severe: 'error',
  crit: 'critical',
  critical: 'critical',
  fatal: 'critical',
  alert: 'alert',
  emerg: 'emergency',
  emergency: 'emergency'
};

/** One-letter levels of TensorFlow's C++ (glog/absl) log lines. */
const LETTER_LEVELS: Record<string, string> = {
  I: 'info',
  W: 'warning',
  E: 'error',
  F: 'critical'
};

/** `WARNING` → `warning`, `WARN` → `warning`, `FATAL` → `critical`; unknown words lower-cased. */
export function normaliseLevel(level: string): string {
  const word = level.trim().toLowerCase();
  return LEVEL_ALIASES[word] ?? word;
}

export function levelFromLetter(letter: string): string {
  return LETTER_LEVELS[letter] ?? 'info';
}

export function isErrorLevel(level: string | undefined): boolean {
  return (
    level === 'error' ||
    level === 'critical' ||
    level === 'alert' ||
    level === 'emergency'
  );
}

export function isWarningLevel(level: string | undefined): boolean {
  return level === 'warning';
}

/** Regex source matching the level words log formats print (Python, absl, log4j style). */
export const LEVEL_WORD_SOURCE =
  '(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL|TRACE|NOTICE|debug|info|warning|warn|error|critical|fatal|trace|notice|Debug|Info|Warning|Warn|Error|Critical|Fatal|Trace|Notice)';
