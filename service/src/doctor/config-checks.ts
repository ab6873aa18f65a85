/**
 * The configuration and the mode, as `tflog doctor` reports them.
 */
import type { IConfigResult, IServiceConfig } from '../config';
import { whereToSet } from './common';
import { plural, type ICheck } from './report';

/**
 * loadConfig's errors and warnings, one line each. Where the service
 * listens is left out when nothing here says it: a Jupyter server picks a
 * user's service's socket when it starts it, and JupyterHub gives the hub
 * service JUPYTERHUB_SERVICE_URL from its `url`; a shell has neither.
 */
export function configChecks(
  result: IConfigResult,
  env: Record<string, string | undefined>
): ICheck[] {
  const unsetListen =
    !env.TFLOG_SOCKET?.trim() &&
    !env.TFLOG_PORT?.trim() &&
    (result.config.mode === 'single' || !env.JUPYTERHUB_SERVICE_URL?.trim());
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
