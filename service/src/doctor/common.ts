/**
 * What the checks of `tflog doctor` share: where a variable is set, the
 * directory check, and reading answers and sizes.
 */
import type { IDirectoryFacts } from './facts';
import type { ICheck } from './report';

/** The Jupyter server setting (`c.TflogService.<name>`) of each variable. */
const SETTINGS: Record<string, string> = {
  TFLOG_ES_URLS: 'elasticsearch_urls',
  TFLOG_ES_API_KEY: 'elasticsearch_api_key',
  TFLOG_ES_USERNAME: 'elasticsearch_username',
  TFLOG_ES_PASSWORD: 'elasticsearch_password',
  TFLOG_ES_CA_CERTS: 'elasticsearch_ca_certs',
  TFLOG_ES_VERIFY_CERTS: 'elasticsearch_verify_certs',
  TFLOG_INDEX_PREFIX: 'index_prefix',
  TFLOG_RETENTION_DAYS: 'retention_days',
  TFLOG_PATTERNS_FILE: 'patterns_file',
  TFLOG_SPOOL_DIR: 'spool_dir',
  TFLOG_STATE_DIR: 'state_dir',
  TFLOG_STORE_DIR: 'store_dir',
  TFLOG_SOCKET: 'socket_path',
  TFLOG_LOG_LEVEL: 'log_level',
  TFLOG_NODE: 'node_executable'
};

/** Where a variable is set: the environment, or the Jupyter server's setting. */
export function whereToSet(variable: string): string {
  const setting = SETTINGS[variable];
  return setting === undefined
    ? `${variable} in the service's environment`
    : `${variable} in the service's environment (on a Jupyter server: c.TflogService.${setting})`;
}

export function directoryCheck(
  section: string,
  name: string,
  facts: IDirectoryFacts,
  variable: string
): ICheck {
  const fixElsewhere = `make it writable by the user the service runs as, or set ${whereToSet(variable)} to a directory that is`;
  if (facts.error !== undefined) {
    return {
      section,
      name,
      status: 'fail',
      message: `${facts.path}: ${facts.error}`,
      fix: fixElsewhere
    };
  }
  if (!facts.exists) {
    return facts.creatable
      ? {
          section,
          name,
          status: 'ok',
          message: `${facts.path} does not exist yet; the service creates it`
        }
      : {
          section,
          name,
          status: 'fail',
          message: `${facts.path} does not exist and cannot be created here`,
          fix: `create it (mkdir -p, mode 700) for the user the service runs as, or set ${whereToSet(variable)}`
        };
  }
  if (!facts.isDirectory) {
    return {
      section,
      name,
      status: 'fail',
      message: `${facts.path} is not a directory`,
      fix: `set ${whereToSet(variable)} to a directory`
    };
  }
  return facts.writable
    ? { section, name, status: 'ok', message: `${facts.path} (writable)` }
    : {
        section,
        name,
        status: 'fail',
        message: `${facts.path} is not writable`,
        fix: fixElsewhere
      };
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) {
    return `${bytes} B`;
  }
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = -1;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function objectAt(
  value: unknown,
  keys: string[]
): Record<string, unknown> | undefined {
  let current: unknown = value;
  for (const key of keys) {
    if (typeof current !== 'object' || current === null) {
      return undefined;
    }
    current = (current as Record<string, unknown>)[key];
  }
  return typeof current === 'object' && current !== null
    ? (current as Record<string, unknown>)
    : undefined;
}

export function stringAt(value: unknown, keys: string[]): string | undefined {
  const parent = objectAt(value, keys.slice(0, -1));
  const found = parent?.[keys[keys.length - 1]];
  return typeof found === 'string' ? found : undefined;
}

export function booleanMap(
  value: Record<string, unknown> | undefined
): Record<string, boolean> {
  const result: Record<string, boolean> = {};
  for (const [key, item] of Object.entries(value ?? {})) {
    result[key] = item === true;
  }
  return result;
}

/** Elasticsearch's reason in an error body, or a short form of the body. */
export function reasonOf(body: unknown): string {
  const error = objectAt(body, ['error']);
  if (error !== undefined) {
    const type = typeof error.type === 'string' ? error.type : '';
    const reason = typeof error.reason === 'string' ? error.reason : '';
    const message = typeof error.message === 'string' ? error.message : '';
    const text = [type, reason || message].filter(part => part).join(': ');
    if (text !== '') {
      return text;
    }
  }
  if (typeof body === 'object' && body !== null) {
    const direct = (body as { error?: unknown }).error;
    if (typeof direct === 'string') {
      return direct;
    }
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? '');
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
