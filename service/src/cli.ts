/**
 * tflog command line: `tflog parse` shows what the service would read from
 * training output, one JSON object per line (the stored documents with
 * --documents); `tflog
 * prune` deletes what the retention period expired in Elasticsearch;
 * `tflog doctor` checks the setup and says what to fix.
 */
import * as fs from 'fs';
import * as os from 'os';
import type { IParsedRecord, SpoolRecord } from './types';
import {
  createParser,
  createRunState,
  IParser,
  IPatternSet,
  IRunState
} from './parse';
import { parsedLine } from './parse/parsedLine';
import { OverwrittenStates } from './parse/overwritten';
import { Terminator } from './parse/terminal';
import { loadConfig } from './config';
import { describeError } from './common/logger';
import { LineBytes } from './common/lineBytes';

const HELP = `Usage: tflog parse [options] < INPUT
       tflog prune [--dry-run]   (see tflog prune --help)
       tflog doctor [--plain] [--json]   (see tflog doctor --help)

Reads training output on stdin and prints what tflog reads from it, one JSON
object per line (NDJSON), in input order. By default each visible line gives
one object of what was parsed from it, without ids and run fields:
  time          the time printed in the line (ISO, UTC), when it has one
  level, kind   e.g. "info", "epoch" (kinds: log, metrics, epoch, step,
                warning, error, nan, run_start, hparams, run_end, ...)
  logger        the logger name printed in the line, when there is one
  pattern       the built-in or custom pattern that read it, if any
  epoch, epochs_total, step, steps_total    positions read, when read
  metrics       {"name": number}; nonfinite {"name": "NaN"|"Infinity"|...}
  hparams, status, error, partial (true: no line end yet)   when present
  message       the line as shown, without colour codes and \b or \r
With --documents it prints the documents the service would store instead
(ECS fields, ids, run fields, the raw text), and with --points the metric
points too. With either, a progress-bar state ended by \r that a later line
of the same stream and input chunk overwrites is left out, its points kept,
as the service leaves out one overwritten within a batch.

Input formats (--format):
  raw     (default) kernel output exactly as emitted: bytes with \\r, \\b and
          ANSI codes, e.g. a captured stdout. Decoded as UTF-8 (invalid bytes
          become U+FFFD), cut into segments at every '\\n' and '\\r' like the
          kernel-side writer, and parsed as stream records seq 1, 2, ... of a
          run with id --run-id, user $USER and this host's name.
  spool   a spool file (<run>.ndjson): one JSON record per line, as the kernel
          writes them. The run id comes from its start record.

Options:
  --format raw|spool     input format (default raw)
  --stream stdout|stderr which stream raw input came from (default stdout)
  --documents            print the full documents the service would store
                         (they have "tflog" at the top)
  --points               also print metric points: after each record's
                         lines, one line per value; points have "name"
                         and "run_id" at the top
  --patterns FILE        custom grok patterns, the service's format: a JSON
                         array of {"name","grok","kind"?,"level"?} or
                         {"definitions": {...}, "patterns": [...]}
                         (bad patterns are reported on stderr and skipped)
  --run-id ID            run id for documents without a start record
                         (default "cli")
  --stats                print counts and the time taken on stderr at the end
  -h, --help             show this help

Exit status: 0 done, 1 some spool lines were not valid JSON records,
2 bad arguments or unreadable pattern file.

Examples:
  python train.py | tflog parse
  tflog parse --documents --points < fit.stdout.txt
  tflog parse --stream stderr < run.stderr.txt
  tflog parse --format spool --patterns patterns.json < spool/run.ndjson
`;

const PRUNE_HELP = `Usage: tflog prune [--dry-run]

Deletes from Elasticsearch what the retention period has expired: daily
indices (<prefix>logs-YYYY.MM.DD, <prefix>metrics-YYYY.MM.DD) of days more
than TFLOG_RETENTION_DAYS days ago, by the date in their name, and run
summaries not updated for that long. Where the cluster has ILM, daily
indices with a lifecycle policy are left to it (it deletes them by age);
run summaries are pruned on every cluster. Prints a summary.

It reads the service's settings from the environment: TFLOG_ES_URLS,
TFLOG_ES_API_KEY or TFLOG_ES_USERNAME/TFLOG_ES_PASSWORD, TFLOG_ES_CA_CERTS,
TFLOG_ES_VERIFY_CERTS, TFLOG_INDEX_PREFIX, TFLOG_RETENTION_DAYS (0: nothing
expires). The credential needs the delete_index privilege on the daily
indices and delete on <prefix>runs.

Options:
  --dry-run    list what would be deleted; delete nothing
  -h, --help   show this help

Exit status: 0 done, 1 Elasticsearch failed or refused, 2 bad arguments or
settings.
`;

/** Settings `tflog prune` reads; problems with others are not its business. */
const PRUNE_VARIABLES =
  /^(TFLOG_ES_|TFLOG_INDEX_PREFIX$|TFLOG_RETENTION_DAYS$|TFLOG_ILM_)/;

interface ICliOptions {
  format: 'raw' | 'spool';
  stream: 'stdout' | 'stderr';
  points: boolean;
  documents: boolean;
  patternsFile: string | null;
  runId: string;
  stats: boolean;
}

class UsageError extends Error {
  constructor(
    message: string,
    readonly command: 'parse' | 'prune' | 'doctor' = 'parse'
  ) {
    super(message);
  }
}

function parseArguments(args: string[]): ICliOptions | 'help' {
  const options: ICliOptions = {
    format: 'raw',
    stream: 'stdout',
    points: false,
    documents: false,
    patternsFile: null,
    runId: 'cli',
    stats: false
  };
  if (args.includes('-h') || args.includes('--help')) {
    return 'help';
  }
  const [command, ...rest] = args;
  if (command !== 'parse') {
    throw new UsageError(
      command === undefined
        ? 'missing command (try: tflog parse --help, tflog prune --help, tflog doctor --help)'
        : `unknown command '${command}' (commands: parse, prune, doctor)`
    );
  }
  for (let i = 0; i < rest.length; i++) {
    const [flag, inlineValue] = splitFlag(rest[i]);
    const value = (): string => {
      if (inlineValue !== undefined) {
        return inlineValue;
      }
      i += 1;
      if (i >= rest.length) {
        throw new UsageError(`${flag} needs a value`);
      }
      return rest[i];
    };
    switch (flag) {
      case '--format':
        options.format = oneOf(flag, value(), ['raw', 'spool'] as const);
        break;
      case '--stream':
        options.stream = oneOf(flag, value(), ['stdout', 'stderr'] as const);
        break;
      case '--patterns':
        options.patternsFile = value();
        break;
      case '--run-id':
        options.runId = value();
        if (options.runId === '') {
          throw new UsageError('--run-id must not be empty');
        }
        break;
      case '--points':
        options.points = true;
        break;
      case '--documents':
        options.documents = true;
        break;
      case '--stats':
        options.stats = true;
        break;
      default:
        throw new UsageError(`unknown option '${rest[i]}'`);
    }
  }
  return options;
}

function splitFlag(arg: string): [string, string | undefined] {
  const equals = arg.indexOf('=');
  return arg.startsWith('--') && equals > 0
    ? [arg.slice(0, equals), arg.slice(equals + 1)]
    : [arg, undefined];
}

function oneOf<T extends string>(
  flag: string,
  value: string,
  allowed: readonly T[]
): T {
  const found = allowed.find(candidate => candidate === value);
  if (found === undefined) {
    throw new UsageError(
      `${flag} must be one of ${allowed.join(', ')} (got '${value}')`
    );
  }
  return found;
}

function loadPatterns(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read --patterns file: ${(error as Error).message}`
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `--patterns file ${file} is not valid JSON: ${(error as Error).message}`
    );
  }
}

/**
 * Writes NDJSON lines, one write per input chunk, pausing the input while
 * stdout is full. Each line is encoded straight into a byte buffer
 * (LineBytes): joining a chunk's lines into one string and encoding that
 * cost about five times as much (docs/benchmarks.md, parse speed).
 */
class Output {
  /** Lines not yet encoded, without their '\n'. */
  private lines: string[] = [];
  /** Parsed records of the chunk, written at the flush (documents, points). */
  private parsed: IParsedRecord[] = [];
  private readonly bytes = new LineBytes();

  constructor(
    private readonly showDocuments: boolean,
    private readonly showPoints: boolean
  ) {}

  add(parser: IParser, record: SpoolRecord, state: IRunState): void {
    if (!this.showDocuments && !this.showPoints) {
      // The parsed fields alone are written without building documents.
      parser.parseRecordLines(record, state, this.lines);
      return;
    }
    this.parsed.push(parser.parseRecord(record, state));
  }

  /**
   * The chunk's documents as the service stores a batch: a progress state
   * that a later line of the chunk overwrites is left out, its points kept.
   */
  private writeParsed(): void {
    const overwritten = new OverwrittenStates();
    for (const parsed of this.parsed) {
      overwritten.see(parsed.documents, parsed.inPlace);
    }
    for (const parsed of this.parsed) {
      for (const document of parsed.documents) {
        if (overwritten.has(document)) {
          continue;
        }
        this.lines.push(
          this.showDocuments ? JSON.stringify(document) : parsedLine(document)
        );
      }
      if (this.showPoints) {
        for (const point of parsed.points) {
          this.lines.push(JSON.stringify(point));
        }
      }
    }
    this.parsed = [];
  }

  /** Flush (at once: a live run's lines must show); resolves when stdout can take more. */
  flush(): Promise<void> {
    this.writeParsed();
    for (const line of this.lines) {
      this.bytes.push(line);
    }
    this.lines = [];
    let ready = true;
    for (const chunk of this.bytes.take()) {
      ready = process.stdout.write(chunk);
    }
    if (ready) {
      return Promise.resolve();
    }
    return new Promise(resolve =>
      process.stdout.once('drain', () => resolve())
    );
  }
}

/** Raw kernel output → stream records, cut like the kernel-side writer cuts them. */
class RawInput {
  private readonly decoder = new TextDecoder('utf-8');
  /** Text after the last terminator, kept in pieces so a huge line is not copied per chunk. */
  private pending: string[] = [];
  private seq = 1;

  constructor(private readonly stream: 'stdout' | 'stderr') {}

  push(chunk: Buffer): SpoolRecord[] {
    const text = this.decoder.decode(chunk, { stream: true });
    const last = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
    if (last < 0) {
      this.pending.push(text);
      return [];
    }
    const complete = this.pending.join('') + text.slice(0, last + 1);
    this.pending = [text.slice(last + 1)];
    return this.records(complete, false);
  }

  end(): SpoolRecord[] {
    const rest = this.pending.join('') + this.decoder.decode();
    this.pending = [];
    return rest.length > 0 ? this.records(rest, true) : [];
  }

  /** One record per segment (terminal.ts: segmentsOf, without a generator). */
  private records(text: string, partial: boolean): SpoolRecord[] {
    const ts = Date.now() / 1000;
    const records: SpoolRecord[] = [];
    let start = 0;
    let newline = -2;
    let carriage = -2;
    while (start < text.length) {
      if (newline !== -1 && newline < start) {
        newline = text.indexOf('\n', start);
      }
      if (carriage !== -1 && carriage < start) {
        carriage = text.indexOf('\r', start);
      }
      const end =
        newline < 0
          ? carriage
          : carriage < 0
            ? newline
            : Math.min(newline, carriage);
      const stop = end < 0 ? text.length : end + 1;
      const terminator: Terminator =
        end < 0 ? null : text.charCodeAt(end) === 0x0a ? '\n' : '\r';
      const record: SpoolRecord = {
        t: 'stream',
        seq: this.seq++,
        ts,
        stream: this.stream,
        text: text.slice(start, stop)
      };
      if (partial && terminator === null) {
        record.partial = true;
      }
      records.push(record);
      start = stop;
    }
    return records;
  }
}

/** Spool NDJSON → records; bad lines are reported on stderr and counted. */
class SpoolInput {
  private readonly decoder = new TextDecoder('utf-8');
  private pending: string[] = [];
  private line = 0;
  bad = 0;

  push(chunk: Buffer): SpoolRecord[] {
    const text = this.decoder.decode(chunk, { stream: true });
    const last = text.lastIndexOf('\n');
    if (last < 0) {
      this.pending.push(text);
      return [];
    }
    const complete = this.pending.join('') + text.slice(0, last);
    this.pending = [text.slice(last + 1)];
    return this.records(complete.split('\n'));
  }

  end(): SpoolRecord[] {
    const rest = this.pending.join('') + this.decoder.decode();
    this.pending = [];
    return rest.trim().length > 0 ? this.records([rest]) : [];
  }

  private records(lines: string[]): SpoolRecord[] {
    const records: SpoolRecord[] = [];
    for (const text of lines) {
      this.line += 1;
      if (text.trim() === '') {
        continue;
      }
      try {
        const value: unknown = JSON.parse(text);
        if (
          typeof value !== 'object' ||
          value === null ||
          typeof (value as { t?: unknown }).t !== 'string'
        ) {
          throw new Error('not a record object with a "t" field');
        }
        records.push(value as SpoolRecord);
      } catch (error) {
        this.bad += 1;
        process.stderr.write(
          `tflog: line ${this.line}: skipped, ${(error as Error).message}\n`
        );
      }
    }
    return records;
  }
}

async function parseCommand(options: ICliOptions): Promise<number> {
  const started = process.hrtime.bigint();
  // The parser checks every entry of the file and reports the bad ones.
  const patterns =
    options.patternsFile === null
      ? undefined
      : (loadPatterns(options.patternsFile) as IPatternSet);
  const parser = createParser({
    patterns,
    points: options.points,
    onPatternProblem: problem => {
      process.stderr.write(`tflog: ${problem.message}\n`);
    }
  });
  for (const error of parser.patternErrors) {
    process.stderr.write(`tflog: ${error.message} (pattern skipped)\n`);
  }
  for (const { name, grok } of parser.patterns) {
    if (grok.guardReason !== null) {
      process.stderr.write(
        `tflog: grok pattern '${name}': ${grok.guardReason}\n`
      );
    }
  }
  const state: IRunState = createRunState(options.runId, {
    ctx: {
      user: process.env.USER ?? process.env.USERNAME ?? 'unknown',
      host: os.hostname(),
      pid: 0
    }
  });
  const input =
    options.format === 'raw' ? new RawInput(options.stream) : new SpoolInput();
  const output = new Output(options.documents, options.points);
  const handle = async (records: SpoolRecord[]): Promise<void> => {
    for (const record of records) {
      output.add(parser, record, state);
    }
    await output.flush();
  };
  for await (const chunk of process.stdin) {
    await handle(input.push(chunk as Buffer));
  }
  await handle(input.end());
  if (options.stats) {
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    process.stderr.write(
      `tflog: ${JSON.stringify({ ...parser.stats, elapsed_ms: Math.round(elapsedMs) })}\n`
    );
  }
  return input instanceof SpoolInput && input.bad > 0 ? 1 : 0;
}

/** `tflog prune`: arguments after the command. */
async function pruneCommand(args: string[]): Promise<number> {
  let dryRun = false;
  for (const arg of args) {
    if (arg === '-h' || arg === '--help') {
      process.stdout.write(PRUNE_HELP);
      return 0;
    }
    if (arg !== '--dry-run') {
      throw new UsageError(`unknown option '${arg}' for prune`, 'prune');
    }
    dryRun = true;
  }
  const { config, errors } = loadConfig(process.env);
  const problems = errors.filter(problem =>
    PRUNE_VARIABLES.test(problem.variable)
  );
  for (const problem of problems) {
    process.stderr.write(`tflog: ${problem.message}\n`);
  }
  if (problems.length > 0) {
    return 2;
  }
  if (!config.elasticsearch) {
    process.stderr.write(
      'tflog: TFLOG_ES_URLS is not set: prune deletes from Elasticsearch (the embedded store deletes expired data itself)\n'
    );
    return 2;
  }
  const { prune } = await import('./prune');
  try {
    await prune({
      config: config.elasticsearch,
      dryRun,
      write: line => process.stdout.write(`${line}\n`)
    });
    return 0;
  } catch (error) {
    process.stderr.write(`tflog prune: ${describeError(error)}\n`);
    return 1;
  }
}

/** `tflog doctor`: arguments after the command. */
async function doctorCommand(args: string[]): Promise<number> {
  const { runDoctor, DoctorUsageError } = await import('./doctor');
  // The doctor opens the embedded store with node:sqlite, whose
  // "experimental" warning would only clutter the report (as in main.ts).
  process.removeAllListeners('warning');
  process.on('warning', warning => {
    if (!(
      warning.name === 'ExperimentalWarning' && /SQLite/i.test(warning.message)
    )) {
      process.stderr.write(`tflog: ${warning.name}: ${warning.message}\n`);
    }
  });
  try {
    return await runDoctor(args, {
      env: process.env,
      write: text => process.stdout.write(text),
      isTty: process.stdout.isTTY === true
    });
  } catch (error) {
    if (error instanceof DoctorUsageError) {
      throw new UsageError(error.message, 'doctor');
    }
    throw error;
  }
}

async function main(args: string[]): Promise<number> {
  let options: ICliOptions | 'help';
  try {
    if (args[0] === 'prune') {
      return await pruneCommand(args.slice(1));
    }
    if (args[0] === 'doctor') {
      return await doctorCommand(args.slice(1));
    }
    options = parseArguments(args);
    if (options === 'help') {
      process.stdout.write(HELP);
      return 0;
    }
    return await parseCommand(options);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(
        `tflog: ${error.message}\nRun 'tflog ${error.command} --help' for usage.\n`
      );
      return 2;
    }
    throw error;
  }
}

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  // A closed pipe (`tflog parse | head`) is a normal way to stop reading.
  if (error.code === 'EPIPE') {
    process.exit(0);
  }
  process.stderr.write(`tflog: cannot write output: ${error.message}\n`);
  process.exit(1);
});

main(process.argv.slice(2)).then(
  code => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`tflog: ${error.stack ?? error.message}\n`);
    process.exitCode = 1;
  }
);
