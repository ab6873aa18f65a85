import * as fsp from 'fs/promises';
import * as os from 'os';
import * as path from 'path';

import { redactUrl } from '../../src/common/urlCredentials';
import {
  indexPrefixProblem,
  loadConfig,
  SERVICE_VERSION
} from '../../src/config';
import { createElasticsearchClient } from '../../src/store/elasticsearch';
import { fakeConnection } from '../fakeConnection';

const BASE = {
  TFLOG_PORT: '19400',
  HOME: '/home/alice',
  JUPYTER_DATA_DIR: '/data/jupyter'
};

function messages(env: Record<string, string>): string[] {
  return loadConfig({ ...BASE, ...env }).errors.map(problem => problem.message);
}

describe('loadConfig', () => {
  it('has working defaults: embedded store under the Jupyter data dir', () => {
    const { config, errors, warnings } = loadConfig({
      ...BASE,
      TFLOG_USER: 'alice'
    });
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({
      spoolDir: '/data/jupyter/tflog/spool',
      stateDir: '/data/jupyter/tflog/state',
      storeDir: '/data/jupyter/tflog/store',
      listen: { kind: 'port', host: '127.0.0.1', port: 19400 },
      indexPrefix: 'tflog-',
      retentionDays: 90,
      storeMaxMb: 0,
      spoolKeepDays: 7,
      batchMaxDocs: 1000,
      batchMaxWaitMs: 150,
      maxEventClients: 32,
      logLevel: 'info',
      user: 'alice'
    });
    expect(config.elasticsearch).toBeUndefined();
  });

  it('reads an Elasticsearch connection', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tflog-config-'));
    try {
      const ca = path.join(dir, 'ca.pem');
      await fsp.writeFile(
        ca,
        '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
      );
      const { config, errors } = loadConfig({
        ...BASE,
        TFLOG_ES_URLS: 'https://a.example:9200, https://b.example:9200',
        TFLOG_ES_API_KEY: 'key',
        TFLOG_ES_CA_CERTS: ca,
        TFLOG_ES_VERIFY_CERTS: 'false',
        TFLOG_INDEX_PREFIX: 'team-a-',
        TFLOG_RETENTION_DAYS: '30'
      });
      expect(errors).toEqual([]);
      expect(config.elasticsearch).toMatchObject({
        urls: ['https://a.example:9200', 'https://b.example:9200'],
        apiKey: 'key',
        verifyCerts: false,
        indexPrefix: 'team-a-',
        retentionDays: 30
      });
      expect(config.elasticsearch?.caCerts).toMatch(/BEGIN CERTIFICATE/);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [
      { TFLOG_ES_URLS: 'localhost:9200' },
      /TFLOG_ES_URLS: "localhost:9200" is not an http\(s\) URL \(expected e\.g\. https:/
    ],
    [{ TFLOG_ES_URLS: 'http://' }, /TFLOG_ES_URLS: "http:\/\/" is not a URL/],
    [
      { TFLOG_ES_URLS: 'https://a:9200', TFLOG_ES_USERNAME: 'u' },
      /TFLOG_ES_PASSWORD: is required/
    ],
    [
      {
        TFLOG_ES_URLS: 'https://a:9200',
        TFLOG_ES_API_KEY: 'k',
        TFLOG_ES_USERNAME: 'u',
        TFLOG_ES_PASSWORD: 'p'
      },
      /not both/
    ],
    [
      { TFLOG_ES_URLS: 'https://a:9200', TFLOG_ES_CA_CERTS: '/no/such/ca.pem' },
      /TFLOG_ES_CA_CERTS: cannot read \/no\/such\/ca\.pem/
    ],
    [
      { TFLOG_ES_URLS: 'https://a:9200', TFLOG_ES_VERIFY_CERTS: 'maybe' },
      /TFLOG_ES_VERIFY_CERTS: "maybe" is not a boolean/
    ],
    [
      { TFLOG_BATCH_MAX_DOCS: '10k' },
      /TFLOG_BATCH_MAX_DOCS: "10k" is not a whole number/
    ],
    [{ TFLOG_BATCH_MAX_DOCS: '0' }, /TFLOG_BATCH_MAX_DOCS: 0 is out of range/],
    [
      { TFLOG_MAX_EVENT_CLIENTS: '0' },
      /TFLOG_MAX_EVENT_CLIENTS: 0 is out of range/
    ],
    [{ TFLOG_PORT: '70000' }, /TFLOG_PORT: 70000 is out of range/],
    [
      { TFLOG_SPOOL_DIR: 'relative/dir' },
      /TFLOG_SPOOL_DIR: "relative\/dir" must be an absolute path/
    ],
    [
      { TFLOG_INDEX_PREFIX: 'Tflog-' },
      /TFLOG_INDEX_PREFIX: "Tflog-" must be lowercase/
    ],
    [
      { TFLOG_LOG_LEVEL: 'verbose' },
      /TFLOG_LOG_LEVEL: "verbose" is not one of debug, info, warn, error/
    ],
    [
      { TFLOG_PATTERNS_FILE: '/no/such/patterns.json' },
      /TFLOG_PATTERNS_FILE: cannot read/
    ]
  ])('names the variable of a bad value: %j', (env, expected) => {
    expect(messages(env).join('\n')).toMatch(expected);
  });

  it('reads the event stream limit', () => {
    const { config, errors } = loadConfig({
      ...BASE,
      TFLOG_MAX_EVENT_CLIENTS: '4'
    });
    expect(errors).toEqual([]);
    expect(config.maxEventClients).toBe(4);
  });

  it("reads the Jupyter server's root, which must be absolute", () => {
    expect(loadConfig(BASE).config.serverRoot).toBeUndefined();
    const rooted = loadConfig({ ...BASE, TFLOG_SERVER_ROOT: '/home/alice' });
    expect(rooted.config.serverRoot).toBe('/home/alice');
    expect(rooted.warnings).toEqual([]);
    const relative = loadConfig({ ...BASE, TFLOG_SERVER_ROOT: 'notebooks' });
    expect(relative.config.serverRoot).toBeUndefined();
    expect(relative.errors).toEqual([]);
    expect(relative.warnings.map(problem => problem.variable)).toEqual([
      'TFLOG_SERVER_ROOT'
    ]);
  });

  it('cannot listen without a socket or a port', () => {
    const result = loadConfig({ HOME: '/home/alice' });
    expect(result.config.listen).toBeNull();
    expect(result.errors[0].message).toMatch(
      /neither TFLOG_SOCKET .* nor TFLOG_PORT/
    );
  });

  it('prefers the unix socket when both are set', () => {
    const result = loadConfig({ ...BASE, TFLOG_SOCKET: '/run/tflog.sock' });
    expect(result.config.listen).toEqual({
      kind: 'socket',
      path: '/run/tflog.sock'
    });
    expect(result.warnings[0].message).toMatch(/TFLOG_PORT: ignored/);
  });

  it('reads custom patterns as JSON', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tflog-config-'));
    try {
      const file = path.join(dir, 'patterns.json');
      await fsp.writeFile(file, '[{"name":"mine","grok":"^%{INT:epoch}"}]');
      expect(
        loadConfig({ ...BASE, TFLOG_PATTERNS_FILE: file }).config.patterns
      ).toEqual([{ name: 'mine', grok: '^%{INT:epoch}' }]);
      await fsp.writeFile(file, '[{');
      expect(messages({ TFLOG_PATTERNS_FILE: file }).join('\n')).toMatch(
        /is not valid JSON/
      );
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('hub service settings', () => {
  const HUB = {
    ...BASE,
    TFLOG_MODE: 'hub',
    JUPYTERHUB_API_URL: 'http://127.0.0.1:8081/hub/api',
    TFLOG_ES_URLS: 'http://127.0.0.1:9200'
  };

  it('write as many full batches at once as the cluster has write threads, unless told', () => {
    expect(loadConfig(HUB).config.hubService?.maxBulks).toBe(0);
    expect(
      loadConfig({ ...HUB, TFLOG_HUB_MAX_BULKS: '6' }).config.hubService
        ?.maxBulks
    ).toBe(6);
  });

  it.each(['two', '-1', '1001'])(
    'name TFLOG_HUB_MAX_BULKS when it is %s',
    value => {
      const { errors } = loadConfig({ ...HUB, TFLOG_HUB_MAX_BULKS: value });
      expect(errors.map(problem => problem.variable)).toEqual([
        'TFLOG_HUB_MAX_BULKS'
      ]);
    }
  );
});

describe('alert settings', () => {
  it('default to every rule and no webhook', () => {
    const { config, errors } = loadConfig(BASE);
    expect(errors).toEqual([]);
    expect(config.alerts.enabled).toContain('nonfinite');
    expect(config.alerts.stall.minutes).toBe(10);
    expect(config.alertWebhook).toBeUndefined();
  });

  it('read thresholds and the webhook', () => {
    const { config, errors } = loadConfig({
      ...BASE,
      TFLOG_ALERTS:
        '{"stall": {"minutes": 3}, "enabled": ["nonfinite", "stall"]}',
      TFLOG_ALERT_WEBHOOK_URL: 'https://hooks.example.org/tflog',
      TFLOG_ALERT_WEBHOOK_FORMAT: 'slack'
    });
    expect(errors).toEqual([]);
    expect(config.alerts.stall.minutes).toBe(3);
    expect(config.alerts.enabled).toEqual(['nonfinite', 'stall']);
    expect(config.alertWebhook).toEqual({
      url: 'https://hooks.example.org/tflog',
      format: 'slack',
      perMinute: 30
    });
  });

  it('name the variable and the setting when wrong', () => {
    expect(messages({ TFLOG_ALERTS: '{"stall": {"minutes": 0}}' })).toEqual([
      'TFLOG_ALERTS: stall.minutes must be a number above 0'
    ]);
    expect(messages({ TFLOG_ALERTS: 'stall=3' })[0]).toMatch(
      /^TFLOG_ALERTS: not valid JSON: /
    );
    // Never repeated: a webhook's path may be its secret.
    expect(
      messages({ TFLOG_ALERT_WEBHOOK_URL: 'hooks.example.org/services/T0KEN' })
    ).toEqual([
      'TFLOG_ALERT_WEBHOOK_URL: not an http(s) URL (expected e.g. https://hooks.example.org/tflog)'
    ]);
    // A password may hold '/' or '@' unencoded.
    expect(
      messages({
        TFLOG_ALERT_WEBHOOK_URL: 'https://tflog:a/b@c@h.example.org/x'
      })
    ).toEqual([]);
    expect(
      messages({
        TFLOG_ALERT_WEBHOOK_URL: 'https://h.example.org/x',
        TFLOG_ALERT_WEBHOOK_FORMAT: 'teams'
      })
    ).toEqual([
      'TFLOG_ALERT_WEBHOOK_FORMAT: "teams" is not one of json, slack'
    ]);
  });
});

describe('indexPrefixProblem', () => {
  it.each(['tflog-', 'team_a.', 'x'])('accepts %s', prefix => {
    expect(indexPrefixProblem(prefix)).toBeNull();
  });

  it.each([
    ['', /empty/],
    ['a b', /must not contain " "/],
    ['a*', /must not contain "\*"/],
    ['a:b', /must not contain ":"/],
    ['a#', /must not contain "#"/],
    ['_a', /must not start/],
    ['-a', /must not start/],
    ['a'.repeat(240), /too long/]
  ])('refuses %j', (prefix, expected) => {
    expect(indexPrefixProblem(prefix)).toMatch(expected);
  });
});

describe('redactUrl', () => {
  it('removes credentials from URLs', () => {
    expect(redactUrl('https://elastic:secret@es.example:9200/')).toBe(
      'https://es.example:9200/'
    );
    expect(redactUrl('//user:pw@host')).toBe('//host');
  });

  // Userinfo written unencoded: a URL parser takes '/', '?' or '#' for the
  // start of the path, query or fragment, and the first '@' for its end.
  it.each([
    ['https://elastic:pa/ss@es.example:9200', 'https://es.example:9200/'],
    ['https://elastic:9200/x@es.example:9200/', 'https://es.example:9200/'],
    ['https://elastic:p@ss@es.example:9200', 'https://es.example:9200/'],
    ['https://elastic:pa#ss@es.example:9200', 'https://es.example:9200/'],
    ['https://elastic:pa?ss@es.example:9200', 'https://es.example:9200/'],
    ['https://elastic:pa:ss@es.example:9200', 'https://es.example:9200/'],
    [
      'https://el/as@tic:a/b@c#d?e:f@es.example/prefix',
      'https://es.example/prefix'
    ],
    ['https://elastic:pa ss/@es.example:9200', 'https://es.example:9200/'],
    ['ftp://bob:pa/ss@es.example', 'ftp://es.example/'],
    ['bob:pa/ss@es.example:9200', 'es.example:9200']
  ])('leaves no part of the password in %j', (url, expected) => {
    const redacted = redactUrl(url);
    expect(redacted).toBe(expected);
    expect(redacted).not.toMatch(/pa|ss|elastic|tic|bob/);
  });
});

describe('Elasticsearch credentials in TFLOG_ES_URLS', () => {
  const PASSWORD = 'p@s/s:w#o?rd%';

  it('are taken out of the URLs and used as the login, whatever the password holds', () => {
    const { config, errors, warnings } = loadConfig({
      ...BASE,
      TFLOG_ES_URLS: `https://elastic:${PASSWORD}@es1.example:9200, https://elastic:${PASSWORD}@es2.example:9201/prefix`
    });
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    expect(config.elasticsearch).toMatchObject({
      urls: ['https://es1.example:9200', 'https://es2.example:9201/prefix'],
      username: 'elastic',
      password: PASSWORD
    });
  });

  it('are percent-decoded where they are encoded', () => {
    const { config, errors } = loadConfig({
      ...BASE,
      TFLOG_ES_URLS: 'https://el%40stic:p%2Cw%2F%3A%25@es.example:9200'
    });
    expect(errors).toEqual([]);
    expect(config.elasticsearch).toMatchObject({
      urls: ['https://es.example:9200'],
      username: 'el@stic',
      password: 'p,w/:%'
    });
  });

  it('reach Elasticsearch as the basic-auth login of every request', async () => {
    const { config } = loadConfig({
      ...BASE,
      TFLOG_ES_URLS: `http://elastic:${PASSWORD}@es.example:9200`
    });
    const es = config.elasticsearch;
    if (es === undefined) {
      throw new Error('no Elasticsearch settings');
    }
    const seen: { host: string; authorization: string }[] = [];
    const RecordingConnection = fakeConnection((params, connection) => {
      seen.push({
        host: connection.url.host,
        authorization: String(connection.headers.authorization ?? '')
      });
      return { status: 200, body: { version: { number: '9.5.3' } } };
    });
    const client = createElasticsearchClient(es, {
      Connection: RecordingConnection
    });
    await client.info();
    expect(seen).toEqual([
      {
        host: 'es.example:9200',
        authorization: `Basic ${Buffer.from(`elastic:${PASSWORD}`).toString('base64')}`
      }
    ]);
  });

  it.each([
    [
      'different credentials on two URLs',
      {
        TFLOG_ES_URLS: `https://elastic:${PASSWORD}@a.example,https://other:${PASSWORD}x@b.example`
      },
      /TFLOG_ES_URLS: the URLs carry different credentials/
    ],
    [
      'a user name without a password',
      { TFLOG_ES_URLS: 'https://elastic@a.example' },
      /TFLOG_ES_URLS: credentials in "https:\/\/a\.example\/" need a user name and a password/
    ],
    [
      'other credentials in TFLOG_ES_USERNAME/PASSWORD',
      {
        TFLOG_ES_URLS: `https://elastic:${PASSWORD}@a.example`,
        TFLOG_ES_USERNAME: 'elastic',
        TFLOG_ES_PASSWORD: 'another'
      },
      /TFLOG_ES_URLS: .*also set by TFLOG_ES_USERNAME\/TFLOG_ES_PASSWORD/
    ],
    [
      'an API key as well',
      {
        TFLOG_ES_URLS: `https://elastic:${PASSWORD}@a.example`,
        TFLOG_ES_API_KEY: 'key'
      },
      /TFLOG_ES_URLS: .*TFLOG_ES_API_KEY/
    ],
    [
      'a bad URL',
      { TFLOG_ES_URLS: `ftp://elastic:${PASSWORD}@a.example` },
      /TFLOG_ES_URLS: "ftp:\/\/a\.example\/" is not an http\(s\) URL/
    ]
  ])('are refused with %s, never shown', (_what, env, expected) => {
    const { errors, warnings } = loadConfig({ ...BASE, ...env });
    const text = [...errors, ...warnings]
      .map(problem => problem.message)
      .join('\n');
    expect(text).toMatch(expected);
    expect(text).not.toContain('p@s');
    expect(text).not.toContain('w#o');
  });

  it('are the same when TFLOG_ES_USERNAME/PASSWORD say the same', () => {
    const { config, errors } = loadConfig({
      ...BASE,
      TFLOG_ES_URLS: `https://elastic:${PASSWORD}@a.example`,
      TFLOG_ES_USERNAME: 'elastic',
      TFLOG_ES_PASSWORD: PASSWORD
    });
    expect(errors).toEqual([]);
    expect(config.elasticsearch).toMatchObject({
      urls: ['https://a.example'],
      username: 'elastic',
      password: PASSWORD
    });
  });
});

describe('TFLOG_ES_PASSWORD', () => {
  it('keeps the spaces at its ends, which the server extension passes on', () => {
    const { config, errors } = loadConfig({
      ...BASE,
      TFLOG_ES_URLS: 'https://a.example',
      TFLOG_ES_USERNAME: ' elastic ',
      TFLOG_ES_PASSWORD: ' pa ss '
    });
    expect(errors).toEqual([]);
    expect(config.elasticsearch).toMatchObject({
      username: 'elastic',
      password: ' pa ss '
    });
  });
});

describe('SERVICE_VERSION', () => {
  it('is the version in package.json', async () => {
    const manifest = JSON.parse(
      await fsp.readFile(
        path.join(__dirname, '..', '..', '..', 'package.json'),
        'utf8'
      )
    );
    expect(SERVICE_VERSION).toBe(manifest.version);
  });
});
