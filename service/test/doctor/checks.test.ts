/**
 * The report logic of `tflog doctor`: pure checks over hand-made facts, and
 * the layout of the report.
 */
import { loadConfig } from '../../src/config';
import {
  backlogOf,
  configChecks,
  elasticsearchChecks,
  embeddedChecks,
  hubClientChecks,
  hubServiceChecks,
  modeOf,
  spoolChecks
} from '../../src/doctor/checks';
import type {
  IElasticsearchFacts,
  IEmbeddedFacts,
  ISpoolFacts
} from '../../src/doctor/facts';
import {
  chooseStyle,
  exitCodeOf,
  formatText,
  reportJson,
  type ICheck
} from '../../src/doctor/report';
import { POLICY_VERSION, TEMPLATE_VERSION } from '../../src/store/es-mappings';

const PREFIX = 'tflog-';

function esFacts(
  overrides: Partial<IElasticsearchFacts> = {}
): IElasticsearchFacts {
  return {
    location: 'https://es.example:9200/',
    prefix: PREFIX,
    credential: 'api_key',
    retentionDays: 90,
    mode: 'single',
    info: {
      ok: true,
      status: 200,
      body: { version: { number: '9.5.3' } }
    },
    authenticate: {
      ok: true,
      status: 200,
      body: {
        username: 'tflog',
        authentication_type: 'api_key',
        api_key: { name: 'tflog-service' }
      }
    },
    privileges: {
      ok: true,
      status: 200,
      body: {
        cluster: {
          monitor: true,
          manage_index_templates: true,
          manage_ilm: true
        },
        index: {
          'tflog-*': {
            create_index: true,
            create_doc: true,
            index: true,
            read: true,
            view_index_metadata: true,
            manage: true,
            delete_index: true,
            delete: true
          }
        }
      }
    },
    templates: {
      'tflog-logs': { found: true, version: TEMPLATE_VERSION },
      'tflog-metrics': { found: true, version: TEMPLATE_VERSION },
      'tflog-runs': { found: true, version: TEMPLATE_VERSION }
    },
    ilmStatus: { ok: true, status: 200, body: { operation_mode: 'RUNNING' } },
    policies: {
      'tflog-policy': { found: true, version: POLICY_VERSION },
      'tflog-runs-policy': { found: true, version: POLICY_VERSION }
    },
    indices: { 'tflog-runs': true },
    ...overrides
  };
}

function named(checks: ICheck[], name: string): ICheck {
  const found = checks.find(check => check.name === name);
  if (found === undefined) {
    throw new Error(
      `no check named ${name} in ${checks.map(check => check.name).join(', ')}`
    );
  }
  return found;
}

describe('the report', () => {
  const checks: ICheck[] = [
    { section: 'a', name: 'one', status: 'ok', message: 'fine' },
    {
      section: 'a',
      name: 'two',
      status: 'fail',
      message: 'broken',
      fix: 'set X'
    },
    { section: 'b', name: 'three', status: 'warn', message: 'odd', fix: 'Y' }
  ];

  it('exits 1 when a check failed, 0 with warnings only', () => {
    expect(exitCodeOf(checks)).toBe(1);
    expect(exitCodeOf(checks.filter(check => check.status !== 'fail'))).toBe(0);
  });

  it('prints one line per check and a fix under each problem', () => {
    const unicode = formatText(checks, 'unicode', 'head');
    expect(unicode).toContain('  ✓ one: fine\n');
    expect(unicode).toContain('  ✗ two: broken\n      → fix: set X\n');
    expect(unicode).toContain('  ! three: odd\n      → fix: Y\n');
    expect(unicode).toContain('1 problem, 1 warning');
    const plain = formatText(checks, 'plain', 'head');
    expect(plain).toContain('  ok   one: fine\n');
    expect(plain).toContain('  FAIL two: broken\n      fix: set X\n');
    expect(plain).toContain('  warn three: odd\n');
    expect(plain).toMatch(/^[\x20-\x7e\n]*$/);
  });

  it('says so when everything passed', () => {
    expect(formatText([checks[0]], 'plain', 'head')).toContain(
      'all 1 check passed'
    );
  });

  it('uses symbols only on a UTF-8 terminal', () => {
    expect(chooseStyle(true, { LANG: 'en_US.UTF-8' })).toBe('unicode');
    expect(chooseStyle(true, { LC_ALL: 'C', LANG: 'en_US.UTF-8' })).toBe(
      'plain'
    );
    expect(chooseStyle(false, { LANG: 'en_US.UTF-8' })).toBe('plain');
    expect(chooseStyle(true, {})).toBe('plain');
  });

  it('gives a machine-readable report', () => {
    const json = reportJson(checks, { tflog: '0.1.0', node: 'v22' });
    expect(json).toMatchObject({
      ok: false,
      exitCode: 1,
      summary: { ok: 1, warn: 1, fail: 1, skip: 0 }
    });
    expect(json.checks[1]).toEqual(checks[1]);
  });
});

describe('configuration checks', () => {
  it('reports each error and warning with its variable and where to set it', () => {
    const env = {
      TFLOG_SOCKET: '/tmp/s.sock',
      TFLOG_ES_URLS: 'localhost:9200',
      TFLOG_ES_VERIFY_CERTS: 'maybe'
    };
    const checks = configChecks(loadConfig(env), env);
    const urls = named(checks, 'TFLOG_ES_URLS');
    expect(urls.status).toBe('fail');
    expect(urls.message).toContain('is not an http(s) URL');
    expect(urls.fix).toContain('c.TflogService.elasticsearch_urls');
    expect(named(checks, 'TFLOG_ES_VERIFY_CERTS').status).toBe('fail');
  });

  it('does not ask for TFLOG_SOCKET outside a Jupyter server', () => {
    const checks = configChecks(loadConfig({}), {});
    expect(checks).toEqual([
      expect.objectContaining({ name: 'settings', status: 'ok' })
    ]);
  });

  it('names JupyterHub variables the hub service needs', () => {
    const env = { TFLOG_MODE: 'hub' };
    const checks = configChecks(loadConfig(env), env);
    // JupyterHub gives the service its URL: a shell need not.
    expect(checks.map(check => check.name)).not.toContain('TFLOG_SOCKET');
    expect(named(checks, 'JUPYTERHUB_API_URL').fix).toContain(
      "hub service's environment"
    );
    expect(named(checks, 'TFLOG_ES_URLS').status).toBe('fail');
  });

  it('tells the modes apart', () => {
    expect(modeOf(loadConfig({}).config)).toBe('embedded');
    expect(modeOf(loadConfig({ TFLOG_ES_URLS: 'http://es:9200' }).config)).toBe(
      'elasticsearch'
    );
    expect(
      modeOf(
        loadConfig({ TFLOG_HUB_URL: 'http://hub/', TFLOG_HUB_TOKEN: 't' })
          .config
      )
    ).toBe('hub-client');
    expect(modeOf(loadConfig({ TFLOG_MODE: 'hub' }).config)).toBe('hub');
  });
});

describe('Elasticsearch checks', () => {
  it('passes a set-up cluster', () => {
    const checks = elasticsearchChecks(esFacts());
    expect(checks.filter(check => check.status !== 'ok')).toEqual([]);
    expect(named(checks, 'credentials').message).toContain(
      'API key "tflog-service" of user tflog'
    );
  });

  it('says the cluster cannot be reached and checks nothing more', () => {
    const checks = elasticsearchChecks(
      esFacts({
        info: {
          ok: false,
          kind: 'unreachable',
          message: 'cannot connect to Elasticsearch at https://es.example:9200/'
        }
      })
    );
    expect(named(checks, 'connection')).toMatchObject({ status: 'fail' });
    expect(named(checks, 'connection').fix).toContain('TFLOG_ES_URLS');
    expect(named(checks, 'templates').status).toBe('skip');
  });

  it('points a TLS failure at TFLOG_ES_CA_CERTS', () => {
    const checks = elasticsearchChecks(
      esFacts({
        info: { ok: false, kind: 'tls', message: 'self-signed certificate' }
      })
    );
    expect(named(checks, 'connection').fix).toContain('TFLOG_ES_CA_CERTS');
  });

  it('names the wrong API key or password on 401', () => {
    const refused = {
      ok: true as const,
      status: 401,
      body: {
        error: {
          type: 'security_exception',
          reason: 'unable to authenticate with provided credentials'
        }
      }
    };
    const apiKey = named(
      elasticsearchChecks(esFacts({ info: refused })),
      'credentials'
    );
    expect(apiKey.status).toBe('fail');
    expect(apiKey.message).toMatch(
      /^wrong API key or password: Elasticsearch refused TFLOG_ES_API_KEY/
    );
    expect(apiKey.fix).toContain('TFLOG_ES_API_KEY');
    const basic = named(
      elasticsearchChecks(esFacts({ info: refused, credential: 'basic' })),
      'credentials'
    );
    expect(basic.message).toContain('TFLOG_ES_USERNAME/TFLOG_ES_PASSWORD');
    const none = named(
      elasticsearchChecks(esFacts({ info: refused, credential: 'none' })),
      'credentials'
    );
    expect(none.message).toContain('none is configured');
  });

  it('says when security is off instead of checking privileges', () => {
    const checks = elasticsearchChecks(
      esFacts({
        authenticate: {
          ok: true,
          status: 400,
          body: {
            error:
              'no handler found for uri [/_security/_authenticate] and method [GET]'
          }
        },
        privileges: undefined
      })
    );
    expect(named(checks, 'privileges')).toMatchObject({
      status: 'ok',
      message: expect.stringContaining('security is off')
    });
    expect(named(checks, 'credentials').message).toContain('security is off');
  });

  it('reads an 8.x cluster without security (405 on the endpoint) as security off', () => {
    const checks = elasticsearchChecks(
      esFacts({
        authenticate: {
          ok: true,
          status: 405,
          body: {
            error:
              'Incorrect HTTP method for uri [/_security/_authenticate] and method [GET], allowed: [POST]',
            status: 405
          }
        },
        privileges: undefined
      })
    );
    expect(named(checks, 'credentials')).toMatchObject({
      status: 'ok',
      message: expect.stringContaining('security is off')
    });
  });

  it('names missing privileges and whom to grant them', () => {
    const checks = elasticsearchChecks(
      esFacts({
        privileges: {
          ok: true,
          status: 200,
          body: {
            cluster: {
              monitor: true,
              manage_index_templates: false,
              manage_ilm: false
            },
            index: {
              'tflog-*': {
                create_index: true,
                create_doc: true,
                index: false,
                read: true,
                view_index_metadata: true,
                manage: false,
                delete_index: false,
                delete: false
              }
            }
          }
        }
      })
    );
    const cluster = named(checks, 'cluster privileges');
    expect(cluster.status).toBe('fail');
    expect(cluster.fix).toContain('manage_index_templates');
    const index = named(checks, 'index privileges on tflog-*');
    expect(index.status).toBe('fail');
    expect(index.fix).toBe(
      'grant index on tflog-* to the role of tflog (docs/storage.md, Privileges)'
    );
    expect(named(checks, 'tflog prune privileges').status).toBe('warn');
  });

  it('judges templates and policies by their version', () => {
    const checks = elasticsearchChecks(
      esFacts({
        templates: {
          'tflog-logs': { found: false },
          'tflog-metrics': { found: true, version: TEMPLATE_VERSION - 1 },
          'tflog-runs': { found: true, version: TEMPLATE_VERSION + 1 }
        },
        policies: {
          'tflog-policy': { found: false },
          'tflog-runs-policy': { found: true, version: POLICY_VERSION }
        }
      })
    );
    expect(named(checks, 'index template tflog-logs')).toMatchObject({
      status: 'fail',
      message: 'missing',
      fix: expect.stringContaining(
        'start the service (or the hub service) once: it installs them'
      )
    });
    expect(named(checks, 'index template tflog-metrics')).toMatchObject({
      status: 'warn',
      fix: expect.stringContaining('restart the service')
    });
    expect(named(checks, 'index template tflog-runs').message).toContain(
      'installed by a newer tflog'
    );
    expect(named(checks, 'ILM policy tflog-policy').status).toBe('fail');
    expect(named(checks, 'ILM policy tflog-runs-policy').status).toBe('ok');
    expect(exitCodeOf(checks)).toBe(1);
  });

  it('asks for tflog prune where the cluster has no ILM', () => {
    const noIlm = {
      ilmStatus: {
        ok: true as const,
        status: 400,
        body: { error: 'no handler found for uri [/_ilm/status]' }
      },
      policies: undefined
    };
    const lifecycle = named(elasticsearchChecks(esFacts(noIlm)), 'lifecycle');
    expect(lifecycle.status).toBe('warn');
    expect(lifecycle.fix).toContain('schedule tflog prune');
    expect(
      named(
        elasticsearchChecks(esFacts({ ...noIlm, retentionDays: 0 })),
        'lifecycle'
      ).status
    ).toBe('ok');
  });

  it('checks the run-owners index of a hub service', () => {
    const checks = elasticsearchChecks(
      esFacts({
        mode: 'hub',
        indices: { 'tflog-runs': true, 'tflog-run-owners': false }
      })
    );
    expect(named(checks, 'index tflog-run-owners').message).toContain(
      'not created yet'
    );
  });
});

function spoolFacts(overrides: Partial<ISpoolFacts> = {}): ISpoolFacts {
  const dir = (p: string): ISpoolFacts['spoolDir'] => ({
    path: p,
    exists: true,
    isDirectory: true,
    writable: true,
    creatable: false
  });
  return {
    spoolDir: dir('/s/spool'),
    stateDir: dir('/s/state'),
    spoolFiles: [
      { name: 'a.ndjson', size: 100, ino: 1 },
      { name: 'b.ndjson', size: 50, ino: 2 },
      { name: 'c.ndjson', size: 70, ino: 3 },
      { name: 'd.ndjson', size: 10, ino: 4 }
    ],
    registry: {
      present: true,
      entries: {
        'a.ndjson': { offset: 100, ino: 1 },
        // replaced file: read again from the start
        'b.ndjson': { offset: 50, ino: 99 },
        // partly stored
        'c.ndjson': { offset: 30, ino: 3 }
      },
      damagedEntries: 0
    },
    registryPath: '/s/state/registry.json',
    lock: { present: false },
    lockPath: '/s/state/shipper.lock',
    ...overrides
  };
}

describe('spool checks', () => {
  it('counts the bytes not acknowledged, as the service does', () => {
    expect(backlogOf(spoolFacts())).toEqual({ bytes: 50 + 40 + 10, files: 3 });
  });

  it('warns of a backlog nobody ships', () => {
    const backlog = named(spoolChecks(spoolFacts()), 'backlog');
    expect(backlog.status).toBe('warn');
    expect(backlog.message).toBe(
      '100 B in 3 files not stored yet, and no service is shipping them'
    );
    const shipping = named(
      spoolChecks(
        spoolFacts({
          lock: {
            present: true,
            owner: { pid: 42, host: 'h', started: 't' },
            otherHost: false,
            alive: true
          }
        })
      ),
      'backlog'
    );
    expect(shipping).toMatchObject({ status: 'ok' });
    expect(shipping.message).toContain('pid 42 is shipping them');
  });

  it('describes the shipper lock', () => {
    const lock = (facts: ISpoolFacts['lock']): ICheck =>
      named(spoolChecks(spoolFacts({ lock: facts })), 'shipper lock');
    const owner = { pid: 42, host: 'h', started: 't' };
    expect(
      lock({ present: true, owner, otherHost: false, alive: false }).message
    ).toContain('no longer runs');
    expect(
      lock({ present: true, owner, otherHost: true, alive: false })
    ).toMatchObject({
      status: 'warn',
      fix: 'if that service is gone, delete /s/state/shipper.lock'
    });
    expect(lock({ present: true, owner: null, modifiedMs: 0 }).status).toBe(
      'warn'
    );
    expect(
      lock({ present: true, owner: null, modifiedMs: 0, error: 'EACCES' })
    ).toMatchObject({
      message: '/s/state/shipper.lock cannot be read: EACCES',
      fix: expect.stringContaining('readable and writable')
    });
  });

  it('fails a directory the service cannot write', () => {
    const checks = spoolChecks(
      spoolFacts({
        spoolDir: {
          path: '/s/spool',
          exists: true,
          isDirectory: true,
          writable: false,
          creatable: false
        }
      })
    );
    expect(named(checks, 'spool directory')).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('TFLOG_SPOOL_DIR')
    });
  });

  it('warns of a damaged registry', () => {
    const checks = spoolChecks(
      spoolFacts({ registry: { present: true, error: 'not valid JSON' } })
    );
    expect(named(checks, 'registry').status).toBe('warn');
    // Without offsets every byte counts.
    expect(named(checks, 'backlog').message).toContain('230 B in 4 files');
  });
});

function embeddedFacts(
  overrides: Partial<IEmbeddedFacts> = {}
): IEmbeddedFacts {
  return {
    nodeVersion: 'v22.20.0',
    nodePath: '/usr/bin/node',
    sqlite: { available: true },
    storeDir: {
      path: '/s/store',
      exists: true,
      isDirectory: true,
      writable: true,
      creatable: false
    },
    databasePath: '/s/store/tflog.sqlite',
    databaseExists: true,
    sizeBytes: 5 * 1024 * 1024,
    maxMb: 0,
    opened: { ok: true, schemaVersion: 1, storeId: 'abc' },
    expectedSchema: 1,
    damagedMark: null,
    setAside: [],
    ...overrides
  };
}

describe('embedded store checks', () => {
  it('passes a healthy store', () => {
    const checks = embeddedChecks(embeddedFacts());
    expect(checks.filter(check => check.status !== 'ok')).toEqual([]);
    expect(named(checks, 'size').message).toContain('5.0 MiB');
  });

  it('fails a Node.js without node:sqlite and says which to use', () => {
    const check = named(
      embeddedChecks(
        embeddedFacts({
          sqlite: { available: false, error: 'No such built-in module' },
          opened: undefined
        })
      ),
      'node:sqlite'
    );
    expect(check.status).toBe('fail');
    expect(check.fix).toContain('TFLOG_NODE');
  });

  it('reports a newer schema, a full store, a damage mark and set-aside files', () => {
    const checks = embeddedChecks(
      embeddedFacts({
        opened: { ok: true, schemaVersion: 2, storeId: 'abc' },
        maxMb: 5,
        damagedMark: 'disk I/O error',
        setAside: ['tflog.sqlite.damaged-2026-11-01T00-00-00-000Z']
      })
    );
    expect(named(checks, 'database').message).toContain('newer tflog');
    expect(named(checks, 'size')).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('TFLOG_STORE_MAX_MB')
    });
    expect(named(checks, 'damage').status).toBe('warn');
    expect(named(checks, 'set-aside files').message).toContain(
      'tflog.sqlite.damaged-2026'
    );
  });

  it('fails a database that does not open', () => {
    const check = named(
      embeddedChecks(
        embeddedFacts({
          opened: { ok: false, error: 'file is not a database' }
        })
      ),
      'database'
    );
    expect(check.status).toBe('fail');
    expect(check.fix).toContain('sets a damaged file aside');
  });
});

describe('hub checks', () => {
  const url = 'http://hub.example/services/tflog/';

  it('fails a refused token', () => {
    const checks = hubClientChecks(
      {
        url,
        status: {
          ok: true,
          status: 403,
          body: { error: { message: 'token not accepted' } }
        }
      },
      '0.1.0'
    );
    expect(named(checks, 'token')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('TFLOG_HUB_TOKEN')
    });
    expect(named(checks, 'hub store').status).toBe('skip');
  });

  it("reports the hub service's store", () => {
    const status = (store: object): ICheck[] =>
      hubClientChecks(
        {
          url,
          status: {
            ok: true,
            status: 200,
            body: { version: '0.1.0', user: 'alice', store }
          }
        },
        '0.1.0'
      );
    const healthy = status({ healthy: true, version: '9.5.3', degraded: [] });
    expect(healthy.every(check => check.status === 'ok')).toBe(true);
    expect(named(healthy, 'token').message).toBe('accepted (user alice)');
    const sick = status({
      healthy: false,
      degraded: [],
      error: 'cannot connect to Elasticsearch'
    });
    expect(named(sick, 'hub store').status).toBe('fail');
  });

  it('fails an unreachable hub service with where to look', () => {
    const checks = hubClientChecks(
      {
        url,
        status: { ok: false, kind: 'unreachable', message: 'ECONNREFUSED' }
      },
      '0.1.0'
    );
    expect(named(checks, 'hub service').fix).toContain('TFLOG_HUB_URL');
  });

  it("checks JupyterHub's API for the hub service", () => {
    const apiUrl = 'http://127.0.0.1:8081/hub/api';
    expect(
      hubServiceChecks({
        apiUrl,
        api: { ok: true, status: 200, body: { version: '5.3.0' } }
      })[0]
    ).toMatchObject({
      status: 'ok',
      message: expect.stringContaining('5.3.0')
    });
    expect(
      hubServiceChecks({
        apiUrl,
        api: { ok: false, kind: 'unreachable', message: 'ECONNREFUSED' }
      })[0].status
    ).toBe('fail');
  });
});
