/**
 * `tflog doctor` against a real Elasticsearch: a clean report on a store
 * the service set up, and a failing one, with what to fix, after one of its
 * templates is deleted. Needs TFLOG_TEST_ES_URL (scripts/test.sh sets it).
 * A refused credential is checked here where the cluster has security, and
 * always against a server answering 401 (test/doctor/doctor.test.ts).
 */
import { Client } from '@elastic/elasticsearch';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { createLogger } from '../../src/common/logger';
import { doctorChecks } from '../../src/doctor';
import type { ICheck, IReportJson } from '../../src/doctor/report';
import { ElasticsearchStore } from '../../src/store/elasticsearch';
import { TEMPLATE_VERSION } from '../../src/store/es-mappings';
import {
  removePrefixed,
  testEsUrl,
  testIndexPrefix,
  testStoreConfig
} from './es-fixture';

const esUrl = testEsUrl();
const PREFIX = testIndexPrefix('doctor');
const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(REPO_ROOT, 'service/lib/cli.js');
jest.setTimeout(120000);

function named(checks: ICheck[], name: string): ICheck {
  const found = checks.find(check => check.name === name);
  if (found === undefined) {
    throw new Error(
      `no check named ${name} in ${checks.map(check => check.name).join(', ')}`
    );
  }
  return found;
}

describe('tflog doctor against Elasticsearch', () => {
  const admin = new Client({ node: esUrl });
  const config = testStoreConfig(esUrl, PREFIX);
  let tmp: string;
  let env: Record<string, string>;

  function doctor(extra: Record<string, string> = {}): {
    status: number | null;
    report: IReportJson;
    stdout: string;
  } {
    const result = spawnSync(process.execPath, [CLI, 'doctor', '--json'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', ...env, ...extra }
    });
    if (result.stderr.trim() !== '') {
      throw new Error(`tflog doctor wrote to stderr: ${result.stderr}`);
    }
    return {
      status: result.status,
      report: JSON.parse(result.stdout) as IReportJson,
      stdout: result.stdout
    };
  }

  beforeAll(async () => {
    execFileSync(
      process.execPath,
      [
        path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'),
        '-b',
        'service'
      ],
      { cwd: REPO_ROOT, stdio: 'pipe' }
    );
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tflog-doctor-int-'));
    env = {
      TFLOG_ES_URLS: esUrl,
      TFLOG_INDEX_PREFIX: PREFIX,
      TFLOG_SPOOL_DIR: path.join(tmp, 'spool'),
      TFLOG_STATE_DIR: path.join(tmp, 'state')
    };
    const store = new ElasticsearchStore({
      config,
      logger: createLogger('error')
    });
    await store.init();
    await store.close();
  });

  afterAll(async () => {
    await removePrefixed(admin, PREFIX);
    await admin.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('prints a clean report for a store the service set up', () => {
    const { status, report } = doctor();
    expect(report.checks.filter(check => check.status === 'fail')).toEqual([]);
    expect(status).toBe(0);
    expect(report.exitCode).toBe(0);
    for (const kind of ['logs', 'metrics', 'runs']) {
      expect(
        named(report.checks, `index template ${PREFIX}${kind}`)
      ).toMatchObject({
        status: 'ok',
        message: `version ${TEMPLATE_VERSION}`
      });
    }
    expect(named(report.checks, 'connection').status).toBe('ok');
    expect(named(report.checks, `index ${PREFIX}runs`).status).toBe('ok');
  });

  it('says what to fix when a template is missing, and passes once the service put it back', async () => {
    await admin.indices.deleteIndexTemplate({ name: `${PREFIX}metrics` });
    const broken = doctor();
    expect(broken.status).toBe(1);
    expect(
      named(broken.report.checks, `index template ${PREFIX}metrics`)
    ).toEqual({
      section: 'elasticsearch',
      name: `index template ${PREFIX}metrics`,
      status: 'fail',
      message: 'missing',
      fix: 'start the service (or the hub service) once: it installs them (its credential needs the manage_index_templates cluster privilege)'
    });
    expect(
      named(broken.report.checks, `index template ${PREFIX}logs`).status
    ).toBe('ok');

    const store = new ElasticsearchStore({
      config,
      logger: createLogger('error')
    });
    await store.init();
    await store.close();
    expect(doctor().status).toBe(0);
  });

  it('exits 2 on a bad option', () => {
    const result = spawnSync(process.execPath, [CLI, 'doctor', '--colour'], {
      encoding: 'utf8'
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("unknown option '--colour' for doctor");
  });

  it('checks the credential where the cluster has security, and says so where it has none', async () => {
    const checks = await doctorChecks({
      ...env,
      TFLOG_ES_API_KEY: Buffer.from('no-such-id:no-such-key').toString('base64')
    });
    const credentials = named(checks, 'credentials');
    const security = await admin.transport
      .request(
        { method: 'GET', path: '/_security/_authenticate' },
        { meta: true }
      )
      .then(
        () => true,
        (error: { meta?: { statusCode?: number } }) =>
          error.meta?.statusCode === 401
      );
    if (security) {
      expect(credentials.status).toBe('fail');
      expect(credentials.message).toContain('wrong API key or password');
    } else {
      expect(credentials).toMatchObject({
        status: 'ok',
        message:
          'security is off on this cluster: the configured credential is not checked by it'
      });
      expect(named(checks, 'privileges').message).toContain('security is off');
    }
  });
});
