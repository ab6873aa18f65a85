/**
 * The hub checks of `tflog doctor`: a user's service asking the hub
 * service, and the hub service asking JupyterHub.
 */
import { objectAt, reasonOf, stringAt } from './common';
import type { IHubClientFacts, IHubServiceFacts } from './facts';
import type { ICheck } from './report';

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
