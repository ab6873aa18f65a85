/**
 * One line per event on stderr: `<ISO time> <LEVEL> <component>: <message>`.
 * The Jupyter server captures the service's stderr, so this is where admins
 * look first; newlines inside messages are escaped to keep one event per line.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export const LOG_LEVELS: readonly LogLevel[] = [
  'debug',
  'info',
  'warn',
  'error'
];

export interface ILogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** A logger whose lines name a component (e.g. 'tailer'). */
  child(component: string): ILogger;
}

/** Where finished lines go; stderr in the service, an array in tests. */
export type LineSink = (line: string) => void;

const writeToStderr: LineSink = line => {
  process.stderr.write(line + '\n');
};

export function createLogger(
  minimumLevel: LogLevel = 'info',
  sink: LineSink = writeToStderr,
  component = 'tflog'
): ILogger {
  const threshold = LOG_LEVELS.indexOf(minimumLevel);
  const emit = (level: LogLevel, message: string): void => {
    if (LOG_LEVELS.indexOf(level) < threshold) {
      return;
    }
    const oneLine = message.replace(/\r?\n/g, '\\n');
    sink(
      `${new Date().toISOString()} ${level.toUpperCase()} ${component}: ${oneLine}`
    );
  };
  return {
    debug: message => emit('debug', message),
    info: message => emit('info', message),
    warn: message => emit('warn', message),
    error: message => emit('error', message),
    child: name => createLogger(minimumLevel, sink, name)
  };
}

/** Text of any thrown value, for log lines and status. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    return error.message || error.name;
  }
  return String(error);
}
