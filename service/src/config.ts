/**
 * The service's configuration, read from environment variables (the Jupyter
 * server extension sets them). Every value is validated with a message that
 * names the variable; an invalid value is reported, never silently replaced,
 * and main keeps the API up so the panel can show what is wrong.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import {
  AlertConfigError,
  DEFAULT_THRESHOLDS,
  type IAlertThresholds,
  thresholdsFromEnv
} from './alerts/rules';
import { LOG_LEVELS, type LogLevel } from './common/logger';
import {
  loginOf,
  redactUrl,
  splitUserinfo,
  type ILogin
} from './common/urlCredentials';

/** The service's version; kept equal to package.json's (a unit test checks). */
export const SERVICE_VERSION = '0.1.0';

export const DEFAULT_INDEX_PREFIX = 'tflog-';
export const DEFAULT_RETENTION_DAYS = 90;
/** ILM phase ages in days (0 turns the phase off); see lifecycleDays. */
export const DEFAULT_ILM_WARM_DAYS = 7;
export const DEFAULT_ILM_COLD_DAYS = 30;
export const DEFAULT_SPOOL_KEEP_DAYS = 7;
export const DEFAULT_BATCH_MAX_DOCS = 1000;
export const DEFAULT_BATCH_MAX_BYTES = 5 * 1024 * 1024;
export const DEFAULT_BATCH_MAX_WAIT_MS = 150;
export const DEFAULT_POLL_INTERVAL_MS = 200;
export const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024;
export const DEFAULT_ES_REQUEST_TIMEOUT_MS = 30000;
/** Event streams (panels) open at once; one user rarely has more than a few. */
export const DEFAULT_MAX_EVENT_CLIENTS = 32;
/** Alert webhook posts a minute at most. */
export const DEFAULT_ALERT_WEBHOOK_PER_MINUTE = 30;

/** Where the HTTP API listens: a unix socket (multi-user hosts) or a loopback port. */
export type ListenAddress =
  | { kind: 'socket'; path: string }
  | { kind: 'port'; host: string; port: number };

export interface IElasticsearchConfig {
  /** Without credentials: those of TFLOG_ES_URLS go to username/password. */
  urls: string[];
  apiKey?: string;
  username?: string;
  password?: string;
  /** PEM text of the CA certificate(s) read from TFLOG_ES_CA_CERTS. */
  caCerts?: string;
  caCertsFile?: string;
  verifyCerts: boolean;
  indexPrefix: string;
  requestTimeoutMs: number;
  retentionDays: number;
  /** Days before daily indices enter the ILM warm phase; 0: no warm phase. */
  warmDays: number;
  /** Days before daily indices enter the ILM cold phase; 0: no cold phase. */
  coldDays: number;
}

export interface IServiceConfig {
  spoolDir: string;
  stateDir: string;
  storeDir: string;
  /** Null when neither TFLOG_SOCKET nor TFLOG_PORT is usable. */
  listen: ListenAddress | null;
  /** Absent: the embedded store is used. */
  elasticsearch?: IElasticsearchConfig;
  indexPrefix: string;
  retentionDays: number;
  /** Largest size of the embedded store's database in MiB; 0: no limit. */
  storeMaxMb: number;
  /** Days a fully shipped, ended spool file is kept before it is deleted. */
  spoolKeepDays: number;
  patternsFile?: string;
  /** Parsed JSON of TFLOG_PATTERNS_FILE, handed to the parser as is. */
  patterns?: unknown;
  batchMaxDocs: number;
  batchMaxBytes: number;
  batchMaxWaitMs: number;
  pollIntervalMs: number;
  maxLineBytes: number;
  /** Event streams (`GET /api/v1/events`) open at once at most. */
  maxEventClients: number;
  logLevel: LogLevel;
  /**
   * Whose runs the service serves: TFLOG_USER, else JUPYTERHUB_USER (on a
   * hub every container may run as the same OS account), else the OS
   * account. Derived from the environment, never from a request.
   */
  user: string;
  /**
   * The Jupyter server's root directory (TFLOG_SERVER_ROOT, which the
   * server extension sets): notebook paths inside it are stored relative to
   * it, and a run list filtered by notebook matches both forms.
   */
  serverRoot?: string;
  /**
   * `hub`: this process is the tflog hub service (TFLOG_MODE=hub), run by
   * JupyterHub for every user; `single`: a user's own service.
   */
  mode: 'single' | 'hub';
  /** The hub service's settings (mode `hub`). */
  hubService?: IHubServiceConfig;
  /** Where a user's service sends its batches on a hub (TFLOG_HUB_URL). */
  hubClient?: IHubClientConfig;
  /** Alert rules and thresholds: TFLOG_ALERTS (JSON) over the defaults. */
  alerts: IAlertThresholds;
  /** Where alerts are posted (TFLOG_ALERT_WEBHOOK_URL); absent: nowhere. */
  alertWebhook?: IAlertWebhookConfig;
}

export interface IAlertWebhookConfig {
  url: string;
  /** `json` (the alert) or `slack` (a `text` body). */
  format: 'json' | 'slack';
  perMinute: number;
}

export interface IHubServiceConfig {
  /** JupyterHub's API, asked who a token belongs to (JUPYTERHUB_API_URL). */
  apiUrl: string;
  /** The path the hub's proxy serves the service under (JUPYTERHUB_SERVICE_PREFIX). */
  basePath: string;
  /** Per-user quotas: documents per second, MiB per UTC day (0: none). */
  quotaDocsPerSecond: number;
  quotaMbPerDay: number;
  /** Full batches written at once, all users together (0: the cluster's write threads). */
  maxBulks: number;
}

export interface IHubClientConfig {
  /** The hub service's URL. */
  url: string;
  /** This Jupyter server's JupyterHub token (TFLOG_HUB_TOKEN). */
  token: string;
}

export interface IConfigProblem {
  variable: string;
  message: string;
}

export interface IConfigResult {
  config: IServiceConfig;
  /** Values that are invalid: the pipeline must not start with them. */
  errors: IConfigProblem[];
  /** Values that are odd but usable. */
  warnings: IConfigProblem[];
}

type Environment = Record<string, string | undefined>;

/** Characters Elasticsearch refuses in index names. */
const FORBIDDEN_INDEX_CHARACTERS = /[*?"<>|/\\ ,#:]/;
/** Longest suffix we append to the prefix: `metrics-YYYY.MM.DD`. */
const LONGEST_INDEX_SUFFIX = 'metrics-0000.00.00'.length;
const MAX_INDEX_NAME_BYTES = 255;

/** Jupyter's data directory, as jupyter_core computes it on Linux and macOS. */
export function jupyterDataDir(env: Environment = process.env): string {
  if (env.JUPYTER_DATA_DIR) {
    return env.JUPYTER_DATA_DIR;
  }
  if (process.platform === 'darwin') {
    return path.join(os.homedir(), 'Library', 'Jupyter');
  }
  const xdgData =
    env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(xdgData, 'jupyter');
}

/** Why an index prefix is unusable, or null when it is fine. */
export function indexPrefixProblem(prefix: string): string | null {
  if (prefix.length === 0) {
    return 'must not be empty';
  }
  if (prefix !== prefix.toLowerCase()) {
    return 'must be lowercase';
  }
  const forbidden = FORBIDDEN_INDEX_CHARACTERS.exec(prefix);
  if (forbidden) {
    return `must not contain ${JSON.stringify(forbidden[0])} (Elasticsearch index names exclude *?"<>|/\\ ,#: and spaces)`;
  }
  if (/^[-_+.]/.test(prefix)) {
    return 'must not start with "-", "_", "+" or "."';
  }
  if (Buffer.byteLength(prefix) + LONGEST_INDEX_SUFFIX > MAX_INDEX_NAME_BYTES) {
    return `is too long (index names are limited to ${MAX_INDEX_NAME_BYTES} bytes)`;
  }
  return null;
}

/** Reads the configuration; never throws for bad values (see IConfigResult.errors). */
export function loadConfig(env: Environment = process.env): IConfigResult {
  const reader = new EnvironmentReader(env);
  const dataDir = path.join(jupyterDataDir(env), 'tflog');

  const indexPrefix = reader.string('TFLOG_INDEX_PREFIX', DEFAULT_INDEX_PREFIX);
  const prefixProblem = indexPrefixProblem(indexPrefix);
  if (prefixProblem) {
    reader.error(
      'TFLOG_INDEX_PREFIX',
      `${JSON.stringify(indexPrefix)} ${prefixProblem}`
    );
  }
  const retentionDays = reader.integer(
    'TFLOG_RETENTION_DAYS',
    DEFAULT_RETENTION_DAYS,
    0
  );

  const config: IServiceConfig = {
    spoolDir: reader.directory('TFLOG_SPOOL_DIR', path.join(dataDir, 'spool')),
    stateDir: reader.directory('TFLOG_STATE_DIR', path.join(dataDir, 'state')),
    storeDir: reader.directory('TFLOG_STORE_DIR', path.join(dataDir, 'store')),
    listen: readListenAddress(reader),
    indexPrefix,
    retentionDays,
    storeMaxMb: reader.integer('TFLOG_STORE_MAX_MB', 0, 0),
    spoolKeepDays: reader.integer(
      'TFLOG_SPOOL_KEEP_DAYS',
      DEFAULT_SPOOL_KEEP_DAYS,
      0
    ),
    batchMaxDocs: reader.integer(
      'TFLOG_BATCH_MAX_DOCS',
      DEFAULT_BATCH_MAX_DOCS,
      1
    ),
    batchMaxBytes: reader.integer(
      'TFLOG_BATCH_MAX_BYTES',
      DEFAULT_BATCH_MAX_BYTES,
      1024
    ),
    batchMaxWaitMs: reader.integer(
      'TFLOG_BATCH_MAX_WAIT_MS',
      DEFAULT_BATCH_MAX_WAIT_MS,
      0
    ),
    pollIntervalMs: reader.integer(
      'TFLOG_POLL_INTERVAL_MS',
      DEFAULT_POLL_INTERVAL_MS,
      10
    ),
    maxLineBytes: reader.integer(
      'TFLOG_MAX_LINE_BYTES',
      DEFAULT_MAX_LINE_BYTES,
      1024
    ),
    maxEventClients: reader.integer(
      'TFLOG_MAX_EVENT_CLIENTS',
      DEFAULT_MAX_EVENT_CLIENTS,
      1
    ),
    logLevel: reader.choice('TFLOG_LOG_LEVEL', LOG_LEVELS, 'info'),
    user:
      reader.optionalString('TFLOG_USER') ??
      reader.optionalString('JUPYTERHUB_USER') ??
      osUsername(reader),
    mode: reader.choice('TFLOG_MODE', ['single', 'hub'] as const, 'single'),
    alerts: readAlerts(reader)
  };
  readHubConfig(reader, config);
  const serverRoot = reader.optionalString('TFLOG_SERVER_ROOT');
  if (serverRoot !== undefined && path.isAbsolute(serverRoot)) {
    config.serverRoot = serverRoot;
  } else if (serverRoot !== undefined) {
    reader.warn(
      'TFLOG_SERVER_ROOT',
      `${JSON.stringify(serverRoot)} is not an absolute path: notebook paths are stored as the kernels report them`
    );
  }
  const alertWebhook = readAlertWebhook(reader);
  if (alertWebhook) {
    config.alertWebhook = alertWebhook;
  }

  const patternsFile = reader.optionalString('TFLOG_PATTERNS_FILE');
  if (patternsFile !== undefined) {
    config.patternsFile = patternsFile;
    config.patterns = reader.jsonFile('TFLOG_PATTERNS_FILE', patternsFile);
  }

  const elasticsearch = readElasticsearchConfig(
    reader,
    indexPrefix,
    retentionDays
  );
  if (elasticsearch) {
    config.elasticsearch = elasticsearch;
  }
  return { config, errors: reader.errors, warnings: reader.warnings };
}

function readAlerts(reader: EnvironmentReader): IAlertThresholds {
  try {
    return thresholdsFromEnv(reader.optionalString('TFLOG_ALERTS'));
  } catch (error) {
    if (!(error instanceof AlertConfigError)) {
      throw error;
    }
    reader.error('TFLOG_ALERTS', error.message);
    return DEFAULT_THRESHOLDS;
  }
}

function readAlertWebhook(
  reader: EnvironmentReader
): IAlertWebhookConfig | undefined {
  const url = reader.optionalString('TFLOG_ALERT_WEBHOOK_URL');
  if (url === undefined) {
    return undefined;
  }
  // Checked without its credentials, which may hold '/' or '@'.
  const bare = splitUserinfo(url).url;
  if (!/^https?:\/\//i.test(bare) || !URL.canParse(bare)) {
    // Not repeated: a webhook URL may hold a secret (in its path, too).
    reader.error(
      'TFLOG_ALERT_WEBHOOK_URL',
      'not an http(s) URL (expected e.g. https://hooks.example.org/tflog)'
    );
    return undefined;
  }
  return {
    url,
    format: reader.choice(
      'TFLOG_ALERT_WEBHOOK_FORMAT',
      ['json', 'slack'] as const,
      'json'
    ),
    perMinute: reader.integer(
      'TFLOG_ALERT_WEBHOOK_PER_MINUTE',
      DEFAULT_ALERT_WEBHOOK_PER_MINUTE,
      1
    )
  };
}

/**
 * Hub settings. The hub service (TFLOG_MODE=hub) is run by JupyterHub,
 * which tells it where its API is and where the proxy serves it; it needs
 * Elasticsearch. A user's service on a hub (TFLOG_HUB_URL) sends its
 * batches there with its server's token and needs no Elasticsearch setting.
 */
function readHubConfig(
  reader: EnvironmentReader,
  config: IServiceConfig
): void {
  const hubUrl = reader.optionalString('TFLOG_HUB_URL');
  if (config.mode === 'hub') {
    const apiUrl = reader.optionalString('JUPYTERHUB_API_URL');
    if (apiUrl === undefined) {
      reader.error(
        'JUPYTERHUB_API_URL',
        'the hub service asks JupyterHub who each token belongs to: run it as a JupyterHub service (c.JupyterHub.services), which sets this'
      );
    }
    if (!reader.optionalString('TFLOG_ES_URLS')) {
      reader.error(
        'TFLOG_ES_URLS',
        "the hub service stores every user's data in Elasticsearch: set the cluster's URL (and its credential) in the service's environment"
      );
    }
    if (hubUrl !== undefined) {
      reader.warn('TFLOG_HUB_URL', 'ignored by the hub service itself');
    }
    config.hubService = {
      apiUrl: apiUrl ?? '',
      basePath: reader.string('JUPYTERHUB_SERVICE_PREFIX', ''),
      quotaDocsPerSecond: reader.integer('TFLOG_HUB_QUOTA_DOCS_PER_S', 2000, 0),
      quotaMbPerDay: reader.integer('TFLOG_HUB_QUOTA_MB_PER_DAY', 2048, 0),
      maxBulks: reader.integer('TFLOG_HUB_MAX_BULKS', 0, 0, 1000)
    };
    if (
      config.listen === null ||
      reader.optionalString('TFLOG_PORT') === undefined
    ) {
      const fromHub = listenFromServiceUrl(reader);
      if (fromHub) {
        config.listen = fromHub;
      }
    }
    return;
  }
  if (hubUrl === undefined) {
    return;
  }
  if (!/^https?:\/\//.test(hubUrl)) {
    reader.error(
      'TFLOG_HUB_URL',
      `${JSON.stringify(hubUrl)} is not an http(s) URL`
    );
    return;
  }
  const token = reader.optionalString('TFLOG_HUB_TOKEN');
  if (token === undefined) {
    reader.error(
      'TFLOG_HUB_TOKEN',
      "TFLOG_HUB_URL is set, but not the Jupyter server's JupyterHub token to send with batches (the tflog server extension sets it on a hub)"
    );
    return;
  }
  if (reader.optionalString('TFLOG_ES_URLS') !== undefined) {
    reader.warn(
      'TFLOG_ES_URLS',
      "ignored: on a hub the hub service holds the Elasticsearch connection (TFLOG_HUB_URL); remove the credential from users' servers"
    );
  }
  config.hubClient = { url: hubUrl, token };
}

/** The hub service listens where JupyterHub's service URL points. */
function listenFromServiceUrl(reader: EnvironmentReader): ListenAddress | null {
  const serviceUrl = reader.optionalString('JUPYTERHUB_SERVICE_URL');
  if (serviceUrl === undefined) {
    return null;
  }
  const match = /^https?:\/\/(\[[^\]]+\]|[^/:]+):(\d+)/.exec(serviceUrl);
  if (!match) {
    reader.error(
      'JUPYTERHUB_SERVICE_URL',
      `${JSON.stringify(serviceUrl)} has no host:port to listen on; set TFLOG_PORT`
    );
    return null;
  }
  const host = match[1].replace(/^\[|\]$/g, '');
  // A name (a Kubernetes service) resolves elsewhere: listen on every address.
  const literal = /^[\d.]+$/.test(host) || host.includes(':');
  return {
    kind: 'port',
    host: reader.string('TFLOG_HOST', literal ? host : '0.0.0.0'),
    port: Number(match[2])
  };
}

/**
 * TFLOG_ILM_WARM_DAYS and TFLOG_ILM_COLD_DAYS: the phases that are on (not
 * 0) must come in order, warm < cold < delete (TFLOG_RETENTION_DAYS). A
 * phase left at its default is turned off when it would not come before
 * the next one (TFLOG_RETENTION_DAYS=30 alone: no cold phase).
 */
function lifecycleDays(
  reader: EnvironmentReader,
  retentionDays: number
): { warmDays: number; coldDays: number } {
  const phase = (variable: string, fallback: number, next: number): number => {
    const days = reader.integer(variable, fallback, 0);
    const unset = reader.optionalString(variable) === undefined;
    return unset && next > 0 && days >= next ? 0 : days;
  };
  const coldDays = phase(
    'TFLOG_ILM_COLD_DAYS',
    DEFAULT_ILM_COLD_DAYS,
    retentionDays
  );
  const warmDays = phase(
    'TFLOG_ILM_WARM_DAYS',
    DEFAULT_ILM_WARM_DAYS,
    coldDays > 0 ? coldDays : retentionDays
  );
  if (warmDays > 0 && coldDays > 0 && warmDays >= coldDays) {
    reader.error(
      'TFLOG_ILM_WARM_DAYS',
      `${warmDays} must be less than TFLOG_ILM_COLD_DAYS (${coldDays}), or 0 for no warm phase`
    );
  }
  for (const [variable, days] of [
    ['TFLOG_ILM_WARM_DAYS', warmDays],
    ['TFLOG_ILM_COLD_DAYS', coldDays]
  ] as const) {
    if (days > 0 && retentionDays > 0 && days >= retentionDays) {
      reader.error(
        variable,
        `${days} must be less than TFLOG_RETENTION_DAYS (${retentionDays}, when indices are deleted), or 0 to turn the phase off`
      );
    }
  }
  return { warmDays, coldDays };
}

function readListenAddress(reader: EnvironmentReader): ListenAddress | null {
  const socketPath = reader.optionalString('TFLOG_SOCKET');
  const portText = reader.optionalString('TFLOG_PORT');
  if (socketPath !== undefined) {
    if (portText !== undefined) {
      reader.warn('TFLOG_PORT', 'ignored because TFLOG_SOCKET is set');
    }
    if (!path.isAbsolute(socketPath)) {
      reader.error(
        'TFLOG_SOCKET',
        `${JSON.stringify(socketPath)} must be an absolute path`
      );
      return null;
    }
    return { kind: 'socket', path: socketPath };
  }
  if (portText !== undefined) {
    const port = reader.integer('TFLOG_PORT', 0, 1, 65535);
    return port > 0 ? { kind: 'port', host: '127.0.0.1', port } : null;
  }
  if (
    reader.optionalString('TFLOG_MODE') === 'hub' &&
    reader.optionalString('JUPYTERHUB_SERVICE_URL') !== undefined
  ) {
    // The hub service listens where JupyterHub's service URL says.
    return null;
  }
  reader.error(
    'TFLOG_SOCKET',
    'neither TFLOG_SOCKET (unix socket path) nor TFLOG_PORT (loopback TCP port) is set'
  );
  return null;
}

function readElasticsearchConfig(
  reader: EnvironmentReader,
  indexPrefix: string,
  retentionDays: number
): IElasticsearchConfig | undefined {
  const urlsText = reader.optionalString('TFLOG_ES_URLS');
  if (urlsText === undefined) {
    for (const variable of [
      'TFLOG_ES_API_KEY',
      'TFLOG_ES_USERNAME',
      'TFLOG_ES_PASSWORD',
      'TFLOG_ES_CA_CERTS'
    ]) {
      if (reader.optionalString(variable) !== undefined) {
        reader.warn(
          variable,
          'ignored because TFLOG_ES_URLS is not set (the embedded store is used)'
        );
      }
    }
    return undefined;
  }
  const urls: string[] = [];
  const urlLogins: ILogin[] = [];
  for (const candidate of urlsText.split(',').map(part => part.trim())) {
    if (candidate === '') {
      continue;
    }
    // Credentials come off first: a URL parser mis-reads unencoded ones.
    const { url, userinfo } = splitUserinfo(candidate);
    const problem = urlProblem(url);
    if (problem) {
      reader.error(
        'TFLOG_ES_URLS',
        `${JSON.stringify(redactUrl(candidate))} ${problem}`
      );
      continue;
    }
    urls.push(url);
    if (userinfo !== null) {
      const login = loginOf(userinfo);
      if (login.username === '' || login.password === '') {
        reader.error(
          'TFLOG_ES_URLS',
          `credentials in ${JSON.stringify(redactUrl(candidate))} need a user name and a password (https://USER:PASSWORD@host)`
        );
      } else {
        urlLogins.push(login);
      }
    }
  }
  if (urls.length === 0) {
    reader.error('TFLOG_ES_URLS', 'contains no URL');
  }
  const urlLogin = urlLogins[0];
  if (
    urlLogin !== undefined &&
    urlLogins.some(
      login =>
        login.username !== urlLogin.username ||
        login.password !== urlLogin.password
    )
  ) {
    reader.error(
      'TFLOG_ES_URLS',
      'the URLs carry different credentials; one login is used for every node, so give it once'
    );
  }

  const es: IElasticsearchConfig = {
    urls,
    verifyCerts: reader.boolean('TFLOG_ES_VERIFY_CERTS', true),
    indexPrefix,
    requestTimeoutMs: reader.integer(
      'TFLOG_ES_REQUEST_TIMEOUT_MS',
      DEFAULT_ES_REQUEST_TIMEOUT_MS,
      100
    ),
    retentionDays,
    ...lifecycleDays(reader, retentionDays)
  };
  const apiKey = reader.optionalString('TFLOG_ES_API_KEY');
  let username = reader.optionalString('TFLOG_ES_USERNAME');
  let password = reader.optionalSecret('TFLOG_ES_PASSWORD');
  if (urlLogin !== undefined) {
    if (apiKey !== undefined) {
      reader.error(
        'TFLOG_ES_URLS',
        'carries credentials while TFLOG_ES_API_KEY is set: use one or the other'
      );
    } else {
      if (
        (username !== undefined || password !== undefined) &&
        (username !== urlLogin.username || password !== urlLogin.password)
      ) {
        reader.error(
          'TFLOG_ES_URLS',
          'carries credentials that differ from those also set by TFLOG_ES_USERNAME/TFLOG_ES_PASSWORD: give them in one place'
        );
      }
      username ??= urlLogin.username;
      password ??= urlLogin.password;
    }
  }
  if (apiKey !== undefined) {
    es.apiKey = apiKey;
    if (username !== undefined || password !== undefined) {
      reader.error(
        'TFLOG_ES_API_KEY',
        'set either TFLOG_ES_API_KEY or TFLOG_ES_USERNAME/TFLOG_ES_PASSWORD, not both'
      );
    }
  } else if (username !== undefined || password !== undefined) {
    if (username === undefined) {
      reader.error(
        'TFLOG_ES_USERNAME',
        'is required when TFLOG_ES_PASSWORD is set'
      );
    }
    if (password === undefined) {
      reader.error(
        'TFLOG_ES_PASSWORD',
        'is required when TFLOG_ES_USERNAME is set'
      );
    }
    es.username = username;
    es.password = password;
  }
  const caFile = reader.optionalString('TFLOG_ES_CA_CERTS');
  if (caFile !== undefined) {
    es.caCertsFile = caFile;
    es.caCerts = reader.textFile('TFLOG_ES_CA_CERTS', caFile);
    if (es.caCerts !== undefined && !es.caCerts.includes('-----BEGIN')) {
      reader.error(
        'TFLOG_ES_CA_CERTS',
        `${caFile} does not look like a PEM certificate file`
      );
    }
  }
  return es;
}

function urlProblem(candidate: string): string | null {
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return 'is not a URL (expected e.g. https://es.example.org:9200)';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return 'is not an http(s) URL (expected e.g. https://es.example.org:9200)';
  }
  return null;
}

function osUsername(reader: EnvironmentReader): string {
  try {
    return os.userInfo().username;
  } catch (error) {
    // No passwd entry (some containers): the uid still names the account.
    const uid = process.getuid?.() ?? -1;
    reader.warn(
      'TFLOG_USER',
      `not set and the OS account has no name (${String(error)}); using uid-${uid}`
    );
    return `uid-${uid}`;
  }
}

/** Reads typed values, collecting problems instead of throwing. */
class EnvironmentReader {
  readonly errors: IConfigProblem[] = [];
  readonly warnings: IConfigProblem[] = [];

  constructor(private readonly env: Environment) {}

  error(variable: string, message: string): void {
    this.errors.push({ variable, message: `${variable}: ${message}` });
  }

  warn(variable: string, message: string): void {
    this.warnings.push({ variable, message: `${variable}: ${message}` });
  }

  /** The trimmed value, undefined when unset or blank. */
  optionalString(variable: string): string | undefined {
    const value = this.env[variable];
    if (value === undefined || value.trim() === '') {
      return undefined;
    }
    return value.trim();
  }

  /**
   * A password as written: spaces at its ends may be part of it (the server
   * extension passes them on); only an empty or all-blank value is absent.
   */
  optionalSecret(variable: string): string | undefined {
    const value = this.env[variable];
    return value === undefined || value.trim() === '' ? undefined : value;
  }

  string(variable: string, fallback: string): string {
    return this.optionalString(variable) ?? fallback;
  }

  directory(variable: string, fallback: string): string {
    const value = this.optionalString(variable);
    if (value === undefined) {
      return fallback;
    }
    if (!path.isAbsolute(value)) {
      this.error(variable, `${JSON.stringify(value)} must be an absolute path`);
      return fallback;
    }
    return value;
  }

  integer(
    variable: string,
    fallback: number,
    minimum: number,
    maximum = Number.MAX_SAFE_INTEGER
  ): number {
    const value = this.optionalString(variable);
    if (value === undefined) {
      return fallback;
    }
    if (!/^[0-9]+$/.test(value)) {
      this.error(variable, `${JSON.stringify(value)} is not a whole number`);
      return fallback;
    }
    const parsed = Number(value);
    if (parsed < minimum || parsed > maximum) {
      this.error(
        variable,
        `${value} is out of range (${minimum}..${maximum === Number.MAX_SAFE_INTEGER ? '' : maximum})`
      );
      return fallback;
    }
    return parsed;
  }

  boolean(variable: string, fallback: boolean): boolean {
    const value = this.optionalString(variable);
    if (value === undefined) {
      return fallback;
    }
    const lowered = value.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(lowered)) {
      return true;
    }
    if (['false', '0', 'no', 'off'].includes(lowered)) {
      return false;
    }
    this.error(
      variable,
      `${JSON.stringify(value)} is not a boolean (use true or false)`
    );
    return fallback;
  }

  choice<T extends string>(
    variable: string,
    choices: readonly T[],
    fallback: T
  ): T {
    const value = this.optionalString(variable);
    if (value === undefined) {
      return fallback;
    }
    const match = choices.find(choice => choice === value.toLowerCase());
    if (match === undefined) {
      this.error(
        variable,
        `${JSON.stringify(value)} is not one of ${choices.join(', ')}`
      );
      return fallback;
    }
    return match;
  }

  textFile(variable: string, filePath: string): string | undefined {
    try {
      return fs.readFileSync(filePath, 'utf8');
    } catch (error) {
      this.error(variable, `cannot read ${filePath}: ${String(error)}`);
      return undefined;
    }
  }

  jsonFile(variable: string, filePath: string): unknown {
    const text = this.textFile(variable, filePath);
    if (text === undefined) {
      return undefined;
    }
    try {
      return JSON.parse(text);
    } catch (error) {
      this.error(variable, `${filePath} is not valid JSON: ${String(error)}`);
      return undefined;
    }
  }
}
