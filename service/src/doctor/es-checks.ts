/**
 * The Elasticsearch checks of `tflog doctor`: connection, version,
 * credentials, privileges, templates, lifecycle policies and indices,
 * judged from the answers gathered (IElasticsearchFacts).
 */
import { POLICY_VERSION, TEMPLATE_VERSION } from '../store/es-mappings';
import { booleanMap, objectAt, reasonOf, stringAt, whereToSet } from './common';
import type { HttpAnswer, IElasticsearchFacts, IVersioned } from './facts';
import type { ICheck } from './report';

const OLDEST_SUPPORTED_MAJOR = 8;
const NEWEST_TESTED_MAJOR = 9;

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

/**
 * The cluster has no security: no such endpoint (a cluster with security
 * always answers GET _security/_authenticate, 200 or 401; one without it
 * says "no handler found", or, on 8.x, 405 "Incorrect HTTP method"), or
 * security disabled.
 */
function securityIsOff(answer: Extract<HttpAnswer, { ok: true }>): boolean {
  const text = JSON.stringify(answer.body ?? '');
  return (
    ([400, 404, 405, 410].includes(answer.status) &&
      /no handler found|incorrect http method/i.test(text)) ||
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
