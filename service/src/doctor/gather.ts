/**
 * The gathering layer of `tflog doctor`: asks Elasticsearch, the hub, the
 * file system and SQLite, and writes down what they said (facts.ts). It
 * judges nothing and changes nothing: no index, template, file or lock is
 * created or touched.
 */
import { errors, type Client } from '@elastic/elasticsearch';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { describeError } from '../common/logger';
import { redactUrl } from '../common/urlCredentials';
import type { IElasticsearchConfig } from '../config';
import { readProcessStat } from '../spool/lock';
import { createElasticsearchClient } from '../store/elasticsearch';
import { mapElasticsearchError } from '../store/es-errors';
import { installedVersion } from '../store/es-mappings';
import {
  policyNames,
  privilegesRequest,
  runOwnersIndexName,
  runsIndexName,
  templateNames
} from './checks';
import type {
  HttpAnswer,
  IDirectoryFacts,
  IElasticsearchFacts,
  IEmbeddedFacts,
  IRegistryEntryFacts,
  ISpoolFacts,
  ISpoolFileFacts,
  IVersioned,
  LockFacts,
  RegistryFacts
} from './facts';

/** No single question waits longer than this. */
const MAX_WAIT_MS = 10000;
const TLS_PROBLEM =
  /certificate|self[- ]signed|\bSSL\b|\bTLS\b|EPROTO|altnames|wrong version number/i;

// ---------------------------------------------------------------- Elasticsearch

export async function gatherElasticsearch(
  config: IElasticsearchConfig,
  mode: 'single' | 'hub',
  client?: Client
): Promise<IElasticsearchFacts> {
  const location = config.urls.map(redactUrl).join(', ');
  const es =
    client ??
    createElasticsearchClient(config, {
      maxRetries: 0,
      requestTimeout: Math.min(config.requestTimeoutMs, MAX_WAIT_MS)
    });
  const facts: IElasticsearchFacts = {
    location,
    prefix: config.indexPrefix,
    credential:
      config.apiKey !== undefined
        ? 'api_key'
        : config.username !== undefined
          ? 'basic'
          : 'none',
    retentionDays: config.retentionDays,
    mode,
    info: { ok: false, kind: 'other', message: 'not asked' }
  };
  try {
    facts.info = await esRequest(es, 'GET', '/', location);
    if (
      !facts.info.ok ||
      facts.info.status === 401 ||
      facts.info.status >= 500
    ) {
      return facts;
    }
    facts.authenticate = await esRequest(
      es,
      'GET',
      '/_security/_authenticate',
      location
    );
    if (facts.authenticate.ok && facts.authenticate.status === 200) {
      facts.privileges = await esRequest(
        es,
        'POST',
        '/_security/user/_has_privileges',
        location,
        privilegesRequest(config.indexPrefix)
      );
    }
    if (facts.authenticate.ok && facts.authenticate.status === 401) {
      return facts;
    }
    facts.templates = await versionedObjects(
      es,
      location,
      templateNames(config.indexPrefix),
      name => `/_index_template/${encodeURIComponent(name)}`,
      (body, name) => {
        const list = (body as { index_templates?: unknown }).index_templates;
        const entry = Array.isArray(list)
          ? (list as { name?: string; index_template?: object }[]).find(
              item => item.name === name
            )
          : undefined;
        return entry?.index_template;
      }
    );
    facts.ilmStatus = await esRequest(es, 'GET', '/_ilm/status', location);
    if (facts.ilmStatus.ok && facts.ilmStatus.status === 200) {
      facts.policies = await versionedObjects(
        es,
        location,
        policyNames(config.indexPrefix),
        name => `/_ilm/policy/${encodeURIComponent(name)}`,
        (body, name) =>
          (body as Record<string, { policy?: object } | undefined>)[name]
            ?.policy
      );
    }
    const indices = [runsIndexName(config.indexPrefix)];
    if (mode === 'hub') {
      indices.push(runOwnersIndexName(config.indexPrefix));
    }
    facts.indices = await indicesExist(es, location, indices);
    return facts;
  } finally {
    if (client === undefined) {
      await es.close();
    }
  }
}

/** One request; an HTTP error status is an answer, not a failure. */
async function esRequest(
  client: Client,
  method: 'GET' | 'POST' | 'HEAD',
  requestPath: string,
  location: string,
  body?: object
): Promise<HttpAnswer> {
  try {
    const response = await client.transport.request(
      { method, path: requestPath, ...(body === undefined ? {} : { body }) },
      { meta: true }
    );
    return { ok: true, status: response.statusCode ?? 0, body: response.body };
  } catch (error) {
    if (error instanceof errors.ResponseError) {
      return { ok: true, status: error.statusCode ?? 0, body: error.body };
    }
    return esFailure(error, `${method} ${requestPath}`, location);
  }
}

function esFailure(error: unknown, what: string, location: string): HttpAnswer {
  const message = mapElasticsearchError(error, what, location).message;
  if (error instanceof errors.ProductNotSupportedError) {
    return { ok: false, kind: 'not_elasticsearch', message };
  }
  if (error instanceof errors.TimeoutError) {
    return { ok: false, kind: 'timeout', message };
  }
  if (
    error instanceof errors.ConnectionError ||
    error instanceof errors.NoLivingConnectionsError
  ) {
    return {
      ok: false,
      kind: TLS_PROBLEM.test(message) ? 'tls' : 'unreachable',
      message
    };
  }
  return { ok: false, kind: 'other', message };
}

async function versionedObjects(
  client: Client,
  location: string,
  names: string[],
  requestPath: (name: string) => string,
  pick: (body: object, name: string) => object | undefined
): Promise<Record<string, IVersioned> | { error: string }> {
  const found: Record<string, IVersioned> = {};
  for (const name of names) {
    const answer = await esRequest(client, 'GET', requestPath(name), location);
    if (!answer.ok) {
      return { error: answer.message };
    }
    if (answer.status === 404) {
      found[name] = { found: false };
      continue;
    }
    if (answer.status !== 200 || typeof answer.body !== 'object') {
      return {
        error: `GET ${requestPath(name)} answered ${answer.status} ${JSON.stringify(answer.body)}`
      };
    }
    const item = pick(answer.body as object, name);
    found[name] =
      item === undefined
        ? { found: false }
        : { found: true, version: installedVersion(item) };
  }
  return found;
}

async function indicesExist(
  client: Client,
  location: string,
  names: string[]
): Promise<Record<string, boolean> | { error: string }> {
  const result: Record<string, boolean> = {};
  for (const name of names) {
    const answer = await esRequest(
      client,
      'HEAD',
      `/${encodeURIComponent(name)}`,
      location
    );
    if (!answer.ok) {
      return { error: answer.message };
    }
    if (answer.status !== 200 && answer.status !== 404) {
      return { error: `HEAD /${name} answered ${answer.status}` };
    }
    result[name] = answer.status === 200;
  }
  return result;
}

// ---------------------------------------------------------------- HTTP (hub)

/** GET a URL with fetch; an HTTP error status is an answer, not a failure. */
export async function httpGet(
  url: string,
  headers: Record<string, string>,
  fetchImpl: typeof fetch = fetch
): Promise<HttpAnswer> {
  let response: Response;
  try {
    response = await fetchImpl(url, {
      headers: { Accept: 'application/json', ...headers },
      signal: AbortSignal.timeout(MAX_WAIT_MS)
    });
  } catch (error) {
    const message = causeChain(error);
    const kind =
      error instanceof Error &&
      (error.name === 'TimeoutError' || error.name === 'AbortError')
        ? 'timeout'
        : TLS_PROBLEM.test(message)
          ? 'tls'
          : 'unreachable';
    return { ok: false, kind, message };
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (a proxy's page): kept as text for the report.
    body = text.slice(0, 300);
  }
  return { ok: true, status: response.status, body };
}

function causeChain(error: unknown): string {
  const parts = [describeError(error)];
  let cause: unknown = (error as { cause?: unknown } | null)?.cause;
  while (cause instanceof Error && parts.length < 4) {
    parts.push(cause.message);
    cause = (cause as { cause?: unknown }).cause;
  }
  return parts.filter(part => part !== '').join(': ');
}

// ---------------------------------------------------------------- files

export function directoryFacts(dir: string): IDirectoryFacts {
  const facts: IDirectoryFacts = {
    path: dir,
    exists: false,
    isDirectory: false,
    writable: false,
    creatable: false
  };
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      facts.error = describeError(error);
      return facts;
    }
    facts.creatable = nearestParentWritable(dir);
    return facts;
  }
  facts.exists = true;
  facts.isDirectory = stat.isDirectory();
  facts.writable = facts.isDirectory && isWritable(dir);
  return facts;
}

function isWritable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
    return true;
  } catch {
    // EACCES, EROFS: not writable, which is the answer.
    return false;
  }
}

function nearestParentWritable(dir: string): boolean {
  let current = path.dirname(dir);
  for (;;) {
    if (fs.existsSync(current)) {
      return fs.statSync(current).isDirectory() && isWritable(current);
    }
    const parent = path.dirname(current);
    if (parent === current) {
      return false;
    }
    current = parent;
  }
}

export async function gatherSpool(
  spoolDir: string,
  stateDir: string,
  host: string = os.hostname()
): Promise<ISpoolFacts> {
  const registryPath = path.join(stateDir, 'registry.json');
  const lockPath = path.join(stateDir, 'shipper.lock');
  return {
    spoolDir: directoryFacts(spoolDir),
    stateDir: directoryFacts(stateDir),
    spoolFiles: listSpool(spoolDir),
    registry: readRegistry(registryPath),
    registryPath,
    lock: await readLock(lockPath, host),
    lockPath
  };
}

function listSpool(dir: string): ISpoolFileFacts[] | null {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (error) {
    // No spool directory yet: nothing spooled. Unreadable: not known.
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? [] : null;
  }
  const files: ISpoolFileFacts[] = [];
  for (const name of names.filter(item => item.endsWith('.ndjson')).sort()) {
    try {
      const stat = fs.statSync(path.join(dir, name));
      if (stat.isFile()) {
        files.push({ name, size: stat.size, ino: stat.ino });
      }
    } catch (error) {
      // Deleted between readdir and stat (spool clean-up): not there.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw error;
      }
    }
  }
  return files;
}

function readRegistry(file: string): RegistryFacts {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { present: false };
    }
    return { present: true, error: describeError(error) };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { present: true, error: `not valid JSON (${describeError(error)})` };
  }
  const registry = parsed as { version?: unknown; files?: unknown } | null;
  if (
    typeof registry !== 'object' ||
    registry === null ||
    registry.version !== 1 ||
    typeof registry.files !== 'object' ||
    registry.files === null
  ) {
    return {
      present: true,
      error: `not a registry this tflog reads (version ${JSON.stringify(registry?.version)})`
    };
  }
  const entries: Record<string, IRegistryEntryFacts> = {};
  let damagedEntries = 0;
  for (const [name, value] of Object.entries(
    registry.files as Record<string, unknown>
  )) {
    const entry = value as { offset?: unknown; line?: unknown; ino?: unknown };
    if (
      typeof entry === 'object' &&
      entry !== null &&
      typeof entry.offset === 'number' &&
      entry.offset >= 0 &&
      typeof entry.line === 'number' &&
      entry.line >= 0
    ) {
      entries[name] = {
        offset: entry.offset,
        ...(typeof entry.ino === 'number' ? { ino: entry.ino } : {})
      };
    } else {
      damagedEntries += 1;
    }
  }
  return { present: true, entries, damagedEntries };
}

async function readLock(file: string, host: string): Promise<LockFacts> {
  let text: string;
  let modifiedMs: number;
  try {
    text = fs.readFileSync(file, 'utf8');
    modifiedMs = fs.statSync(file).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { present: false };
    }
    return {
      present: true,
      owner: null,
      modifiedMs: 0,
      error: describeError(error)
    };
  }
  let owner: {
    pid?: unknown;
    host?: unknown;
    started?: unknown;
    bootId?: unknown;
    processStart?: unknown;
  };
  try {
    owner = JSON.parse(text) as typeof owner;
  } catch {
    // Half-written or damaged: reported as unreadable.
    return { present: true, owner: null, modifiedMs };
  }
  if (
    typeof owner !== 'object' ||
    owner === null ||
    typeof owner.pid !== 'number' ||
    !Number.isInteger(owner.pid) ||
    owner.pid <= 0 ||
    typeof owner.host !== 'string' ||
    typeof owner.started !== 'string'
  ) {
    return { present: true, owner: null, modifiedMs };
  }
  const facts = { pid: owner.pid, host: owner.host, started: owner.started };
  if (owner.host !== host) {
    return { present: true, owner: facts, otherHost: true, alive: false };
  }
  return {
    present: true,
    owner: facts,
    otherHost: false,
    alive: await processAlive(
      owner.pid,
      typeof owner.bootId === 'string' ? owner.bootId : undefined,
      typeof owner.processStart === 'string' ? owner.processStart : undefined
    )
  };
}

/** As the shipper lock decides it: same boot, pid runs, not a zombie, same start. */
async function processAlive(
  pid: number,
  bootId: string | undefined,
  processStart: string | undefined
): Promise<boolean> {
  if (bootId !== undefined) {
    let current: string | null = null;
    try {
      current = fs
        .readFileSync('/proc/sys/kernel/random/boot_id', 'utf8')
        .trim();
    } catch {
      // No /proc (not Linux): the boot id cannot tell.
      current = null;
    }
    if (current !== null && current !== '' && current !== bootId) {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') {
      return false;
    }
    // EPERM: another user's process has that pid; the start time decides.
  }
  const stat = await readProcessStat(pid);
  if (stat === null) {
    return true;
  }
  if (stat.state === 'Z' || stat.state === 'X') {
    return false;
  }
  return processStart === undefined || stat.start === processStart;
}

// ---------------------------------------------------------------- embedded store

export interface IEmbeddedGatherOptions {
  storeDir: string;
  maxMb: number;
  databaseFile: string;
  damagedMark: string;
  expectedSchema: number;
}

export async function gatherEmbedded(
  options: IEmbeddedGatherOptions
): Promise<IEmbeddedFacts> {
  const databasePath = path.join(options.storeDir, options.databaseFile);
  const facts: IEmbeddedFacts = {
    nodeVersion: process.version,
    nodePath: process.execPath,
    sqlite: { available: true },
    storeDir: directoryFacts(options.storeDir),
    databasePath,
    databaseExists: fs.existsSync(databasePath),
    sizeBytes: sizeOf(databasePath) + sizeOf(`${databasePath}-wal`),
    maxMb: options.maxMb,
    expectedSchema: options.expectedSchema,
    damagedMark: readMark(databasePath + options.damagedMark),
    setAside: setAsideFiles(options.storeDir, options.databaseFile)
  };
  let sqlite: typeof import('node:sqlite');
  try {
    sqlite = await import('node:sqlite');
  } catch (error) {
    facts.sqlite = { available: false, error: describeError(error) };
    return facts;
  }
  if (!facts.databaseExists) {
    return facts;
  }
  let db: InstanceType<typeof sqlite.DatabaseSync> | null = null;
  try {
    db = new sqlite.DatabaseSync(databasePath, { readOnly: true });
    db.exec('PRAGMA busy_timeout = 2000');
    const row = db.prepare('PRAGMA user_version').get() as
      { user_version?: number } | undefined;
    const schemaVersion = row?.user_version ?? 0;
    let storeId: string | null = null;
    if (schemaVersion > 0) {
      const idRow = db
        .prepare("SELECT value FROM meta WHERE key = 'store_id'")
        .get() as { value?: string } | undefined;
      storeId = idRow?.value ?? null;
    }
    facts.opened = { ok: true, schemaVersion, storeId };
  } catch (error) {
    facts.opened = { ok: false, error: describeError(error) };
  } finally {
    db?.close();
  }
  return facts;
}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    // Absent (no write-ahead log right now): no bytes.
    return 0;
  }
}

function readMark(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim() || 'no reason written';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return null;
    }
    return `the mark cannot be read: ${describeError(error)}`;
  }
}

function setAsideFiles(dir: string, databaseFile: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    // No store directory yet: nothing set aside.
    return [];
  }
  return names
    .filter(
      name =>
        (name.startsWith(`${databaseFile}.damaged-`) ||
          name.startsWith(`${databaseFile}.newer-`)) &&
        !name.endsWith('-wal') &&
        !name.endsWith('-shm')
    )
    .sort();
}
