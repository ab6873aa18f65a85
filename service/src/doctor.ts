/**
 * `tflog doctor`: checks a setup with the service's own configuration (the
 * environment of this process) and says what to fix. The checks are pure
 * functions over gathered facts (doctor/checks.ts, doctor/gather.ts); this
 * file only chooses which apply and prints the report.
 */
import { redactUrl } from './common/urlCredentials';
import { loadConfig, SERVICE_VERSION } from './config';
import {
  configChecks,
  elasticsearchChecks,
  embeddedChecks,
  hubClientChecks,
  hubServiceChecks,
  modeCheck,
  modeOf,
  spoolChecks
} from './doctor/checks';
import {
  gatherElasticsearch,
  gatherEmbedded,
  gatherSpool,
  httpGet
} from './doctor/gather';
import {
  chooseStyle,
  exitCodeOf,
  formatText,
  reportJson,
  type ICheck,
  type ReportStyle
} from './doctor/report';
import { DAMAGED_MARK, DATABASE_FILE } from './store/embedded-db';
import { SCHEMA_VERSION } from './store/embedded-schema';

export const DOCTOR_HELP = `Usage: tflog doctor [--plain] [--json]

Checks the tflog setup with the service's own settings, read from this
process's environment (TFLOG_*; see docs/configuration.md), and prints one
line per check with how to fix each problem. Run it with the environment the
service runs with: in a terminal of the user's Jupyter server (it sees what
c.Spawner.environment or the shell exports; settings made only in
jupyter_server_config.py must be exported as their TFLOG_* variables), or
with the hub service's environment on a hub. As the server extension does,
TFLOG_HUB_TOKEN falls back to JUPYTERHUB_API_TOKEN.

It checks the configuration; the store: Elasticsearch (connection, version,
credentials, privileges, index templates, lifecycle policies), the embedded
store (node:sqlite, the database), or the hub service (reachable, the token
accepted, its store healthy); and the spool (directories, registry, backlog,
shipper lock). It changes nothing.

Options:
  --plain      ok/FAIL/warn instead of ✓/✗/! (the default when stdout is not
               a UTF-8 terminal)
  --json       a machine-readable report on stdout
  -h, --help   show this help

Exit status: 0 every check passed (warnings allowed), 1 something failed,
2 bad arguments.
`;

export interface IDoctorIo {
  env: Record<string, string | undefined>;
  write: (text: string) => void;
  /** Whether stdout is a terminal (symbols only there). */
  isTty: boolean;
}

interface IDoctorOptions {
  json: boolean;
  plain: boolean;
}

export class DoctorUsageError extends Error {}

export function parseDoctorArguments(args: string[]): IDoctorOptions | 'help' {
  const options: IDoctorOptions = { json: false, plain: false };
  for (const arg of args) {
    switch (arg) {
      case '-h':
      case '--help':
        return 'help';
      case '--json':
        options.json = true;
        break;
      case '--plain':
        options.plain = true;
        break;
      default:
        throw new DoctorUsageError(`unknown option '${arg}' for doctor`);
    }
  }
  return options;
}

/**
 * The environment the service would get: the server extension hands a
 * user's service on a hub its server's JupyterHub token as TFLOG_HUB_TOKEN.
 */
export function serviceEnvironment(
  env: Record<string, string | undefined>
): Record<string, string | undefined> {
  if (
    env.TFLOG_HUB_URL?.trim() &&
    !env.TFLOG_HUB_TOKEN?.trim() &&
    env.JUPYTERHUB_API_TOKEN?.trim()
  ) {
    return { ...env, TFLOG_HUB_TOKEN: env.JUPYTERHUB_API_TOKEN };
  }
  return env;
}

/** Gathers and checks everything that applies to the configured mode. */
export async function doctorChecks(
  env: Record<string, string | undefined>
): Promise<ICheck[]> {
  const effective = serviceEnvironment(env);
  const result = loadConfig(effective);
  const { config } = result;
  const checks = configChecks(result, effective);
  const mode = modeOf(config);
  const location =
    mode === 'hub-client'
      ? (config.hubClient?.url ?? '')
      : mode === 'embedded'
        ? config.storeDir
        : (config.elasticsearch?.urls.map(redactUrl).join(', ') ??
          '(no usable TFLOG_ES_URLS)');
  checks.push(modeCheck(config, location));

  if (mode === 'elasticsearch' || mode === 'hub') {
    if (config.elasticsearch) {
      checks.push(
        ...elasticsearchChecks(
          await gatherElasticsearch(
            config.elasticsearch,
            mode === 'hub' ? 'hub' : 'single'
          )
        )
      );
    } else {
      checks.push({
        section: 'elasticsearch',
        name: 'connection',
        status: 'skip',
        message: 'not checked: no usable Elasticsearch setting (see above)'
      });
    }
  }
  if (mode === 'hub') {
    const apiUrl = config.hubService?.apiUrl ?? '';
    if (apiUrl !== '') {
      checks.push(
        ...hubServiceChecks({
          apiUrl,
          api: await httpGet(`${apiUrl.replace(/\/+$/, '')}/`, {})
        })
      );
    }
    // The hub service keeps no spool: users' services ship their own.
    return checks;
  }
  if (mode === 'hub-client' && config.hubClient) {
    const url = config.hubClient.url.replace(/\/*$/, '/');
    checks.push(
      ...hubClientChecks(
        {
          url,
          status: await httpGet(`${url}api/v1/status`, {
            Authorization: `token ${config.hubClient.token}`
          })
        },
        SERVICE_VERSION
      )
    );
  }
  if (mode === 'embedded') {
    checks.push(
      ...embeddedChecks(
        await gatherEmbedded({
          storeDir: config.storeDir,
          maxMb: config.storeMaxMb,
          databaseFile: DATABASE_FILE,
          damagedMark: DAMAGED_MARK,
          expectedSchema: SCHEMA_VERSION
        })
      )
    );
  }
  checks.push(
    ...spoolChecks(await gatherSpool(config.spoolDir, config.stateDir))
  );
  return checks;
}

/** `tflog doctor ARGS`; returns the exit status. */
export async function runDoctor(
  args: string[],
  io: IDoctorIo
): Promise<number> {
  const options = parseDoctorArguments(args);
  if (options === 'help') {
    io.write(DOCTOR_HELP);
    return 0;
  }
  const checks = await doctorChecks(io.env);
  if (options.json) {
    io.write(
      JSON.stringify(
        reportJson(checks, { tflog: SERVICE_VERSION, node: process.version }),
        null,
        2
      ) + '\n'
    );
  } else {
    const style: ReportStyle = options.plain
      ? 'plain'
      : chooseStyle(io.isTty, io.env);
    io.write(
      formatText(
        checks,
        style,
        `tflog doctor: tflog ${SERVICE_VERSION}, Node.js ${process.version}; settings from this process's environment`
      )
    );
  }
  return exitCodeOf(checks);
}
