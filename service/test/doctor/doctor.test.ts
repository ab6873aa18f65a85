/**
 * `tflog doctor` end to end without a cluster: the gathering layer on real
 * directories and a real SQLite file, fake servers answering as a secured
 * Elasticsearch (401) and as the hub service. The built command line is run
 * by test/integration/doctor.int.test.ts.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { DatabaseSync } from 'node:sqlite';

import {
  DoctorUsageError,
  doctorChecks,
  parseDoctorArguments,
  runDoctor
} from '../../src/doctor';
import { gatherEmbedded, gatherSpool } from '../../src/doctor/gather';
import type { ICheck } from '../../src/doctor/report';
import { exitCodeOf } from '../../src/doctor/report';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tflog-doctor-'));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function named(checks: ICheck[], name: string): ICheck {
  const found = checks.find(check => check.name === name);
  if (found === undefined) {
    throw new Error(
      `no check named ${name} in ${checks.map(check => check.name).join(', ')}`
    );
  }
  return found;
}

/** A server answering every request with `answer`; closed after the test. */
async function fakeServer(
  answer: (request: http.IncomingMessage) => {
    status: number;
    body: unknown;
    headers?: Record<string, string>;
  }
): Promise<{
  url: string;
  requests: http.IncomingMessage[];
  close: () => Promise<void>;
}> {
  const requests: http.IncomingMessage[] = [];
  const server = http.createServer((request, response) => {
    requests.push(request);
    const { status, body, headers } = answer(request);
    response.writeHead(status, {
      'content-type': 'application/json',
      ...headers
    });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise(resolve => server.close(() => resolve()))
  };
}

describe('gathering', () => {
  it('reads the registry, the spool sizes and a live or stale lock', async () => {
    const spool = path.join(tmp, 'spool');
    const state = path.join(tmp, 'state');
    fs.mkdirSync(spool);
    fs.mkdirSync(state);
    fs.writeFileSync(path.join(spool, 'r1.ndjson'), 'x'.repeat(120));
    fs.writeFileSync(path.join(spool, 'r2.ndjson'), 'y'.repeat(40));
    fs.writeFileSync(path.join(spool, 'notes.txt'), 'not a spool file');
    const ino = fs.statSync(path.join(spool, 'r1.ndjson')).ino;
    fs.writeFileSync(
      path.join(state, 'registry.json'),
      JSON.stringify({
        version: 1,
        files: {
          'r1.ndjson': { offset: 100, line: 3, ino, state: null },
          'bad.ndjson': { offset: 'x' }
        }
      })
    );
    const lockFile = path.join(state, 'shipper.lock');
    fs.writeFileSync(
      lockFile,
      JSON.stringify({ pid: process.pid, host: os.hostname(), started: 'now' })
    );
    const facts = await gatherSpool(spool, state);
    expect(facts.spoolFiles?.map(file => file.name)).toEqual([
      'r1.ndjson',
      'r2.ndjson'
    ]);
    expect(facts.registry).toEqual({
      present: true,
      entries: { 'r1.ndjson': { offset: 100, ino } },
      damagedEntries: 1
    });
    expect(facts.lock).toMatchObject({ present: true, alive: true });

    // A pid that no longer runs: a child that has exited.
    const child = spawnSync(process.execPath, ['-e', '0']);
    fs.writeFileSync(
      lockFile,
      JSON.stringify({ pid: child.pid, host: os.hostname(), started: 'then' })
    );
    expect((await gatherSpool(spool, state)).lock).toMatchObject({
      alive: false,
      otherHost: false
    });
  });

  it('opens the embedded database read-only and finds set-aside files', async () => {
    const file = path.join(tmp, 'tflog.sqlite');
    const db = new DatabaseSync(file);
    db.exec(
      "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES ('store_id', 'id-1'); PRAGMA user_version = 1"
    );
    db.close();
    fs.writeFileSync(`${file}.damaged`, 'disk I/O error\n');
    fs.writeFileSync(`${file}.newer-2026-01-01T00-00-00-000Z`, '');
    fs.writeFileSync(`${file}.newer-2026-01-01T00-00-00-000Z-wal`, '');
    const facts = await gatherEmbedded({
      storeDir: tmp,
      maxMb: 0,
      databaseFile: 'tflog.sqlite',
      damagedMark: '.damaged',
      expectedSchema: 1
    });
    expect(facts.sqlite).toEqual({ available: true });
    expect(facts.opened).toEqual({
      ok: true,
      schemaVersion: 1,
      storeId: 'id-1'
    });
    expect(facts.damagedMark).toBe('disk I/O error');
    expect(facts.setAside).toEqual([
      'tflog.sqlite.newer-2026-01-01T00-00-00-000Z'
    ]);
    expect(facts.sizeBytes).toBeGreaterThan(0);

    fs.writeFileSync(
      file,
      'this is not a database, but long enough to be read as one '.repeat(20)
    );
    const damaged = await gatherEmbedded({
      storeDir: tmp,
      maxMb: 0,
      databaseFile: 'tflog.sqlite',
      damagedMark: '.damaged',
      expectedSchema: 1
    });
    expect(damaged.opened).toMatchObject({ ok: false });
  });
});

describe('against servers', () => {
  it('says the API key is wrong when Elasticsearch answers 401', async () => {
    const es = await fakeServer(() => ({
      status: 401,
      headers: { 'www-authenticate': 'ApiKey' },
      body: {
        error: {
          type: 'security_exception',
          reason:
            'unable to authenticate with provided credentials for REST request [/]'
        },
        status: 401
      }
    }));
    try {
      const checks = await doctorChecks({
        TFLOG_ES_URLS: es.url,
        TFLOG_ES_API_KEY: 'bm90OmFrZXk=',
        TFLOG_SPOOL_DIR: path.join(tmp, 'spool'),
        TFLOG_STATE_DIR: path.join(tmp, 'state')
      });
      const credentials = named(checks, 'credentials');
      expect(credentials.status).toBe('fail');
      expect(credentials.message).toContain(
        'wrong API key or password: Elasticsearch refused TFLOG_ES_API_KEY (401 security_exception'
      );
      expect(credentials.fix).toContain('TFLOG_ES_API_KEY');
      expect(named(checks, 'templates').status).toBe('skip');
      expect(exitCodeOf(checks)).toBe(1);
      expect(es.requests[0].headers.authorization).toBe('ApiKey bm90OmFrZXk=');
    } finally {
      await es.close();
    }
  });

  it('checks the hub service with the JupyterHub token, as the server extension passes it', async () => {
    const hub = await fakeServer(request =>
      request.headers.authorization === 'token good'
        ? {
            status: 200,
            body: {
              version: '0.1.0',
              user: 'alice',
              store: { healthy: true, version: '9.5.3', degraded: [] }
            }
          }
        : { status: 403, body: { error: { message: 'not a user token' } } }
    );
    try {
      const base = {
        TFLOG_HUB_URL: `${hub.url}/services/tflog`,
        TFLOG_SPOOL_DIR: path.join(tmp, 'spool'),
        TFLOG_STATE_DIR: path.join(tmp, 'state')
      };
      const good = await doctorChecks({
        ...base,
        JUPYTERHUB_API_TOKEN: 'good'
      });
      expect(good.filter(check => check.status !== 'ok')).toEqual([]);
      expect(named(good, 'hub store').message).toContain('9.5.3');
      expect(hub.requests[0].url).toBe('/services/tflog/api/v1/status');
      const bad = await doctorChecks({ ...base, TFLOG_HUB_TOKEN: 'stale' });
      expect(named(bad, 'token').status).toBe('fail');
      expect(exitCodeOf(bad)).toBe(1);
    } finally {
      await hub.close();
    }
  });

  it('passes an empty embedded setup and prints JSON', async () => {
    let out = '';
    const code = await runDoctor(['--json'], {
      env: {
        TFLOG_STORE_DIR: path.join(tmp, 'store'),
        TFLOG_SPOOL_DIR: path.join(tmp, 'spool'),
        TFLOG_STATE_DIR: path.join(tmp, 'state')
      },
      write: text => {
        out += text;
      },
      isTty: false
    });
    const report = JSON.parse(out) as { exitCode: number; checks: ICheck[] };
    expect(code).toBe(0);
    expect(report.exitCode).toBe(0);
    expect(named(report.checks, 'database').message).toContain(
      'does not exist yet'
    );
  });
});

describe('the command', () => {
  it('refuses an unknown option (the command line exits 2 on it)', () => {
    expect(() => parseDoctorArguments(['--colour'])).toThrow(
      new DoctorUsageError("unknown option '--colour' for doctor")
    );
    expect(parseDoctorArguments(['--plain', '--json'])).toEqual({
      plain: true,
      json: true
    });
    expect(parseDoctorArguments(['--json', '-h'])).toBe('help');
  });

  it('prints plain words when stdout is not a terminal, and returns 1 on a problem', async () => {
    let out = '';
    const code = await runDoctor([], {
      env: {
        LANG: 'en_US.UTF-8',
        TFLOG_SPOOL_DIR: path.join(tmp, 'spool'),
        TFLOG_STATE_DIR: path.join(tmp, 'state'),
        TFLOG_STORE_DIR: path.join(tmp, 'store'),
        TFLOG_RETENTION_DAYS: 'ninety'
      },
      write: text => {
        out += text;
      },
      isTty: false
    });
    expect(code).toBe(1);
    expect(out).toContain(
      '  FAIL TFLOG_RETENTION_DAYS: "ninety" is not a whole number\n      fix: set TFLOG_RETENTION_DAYS'
    );
    expect(out).not.toMatch(/[✓✗]/);
  });
});
