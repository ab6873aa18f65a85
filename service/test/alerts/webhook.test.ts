import * as http from 'http';
import type { AddressInfo } from 'net';
import { createLogger } from '../../src/common/logger';
import type { IAlert } from '../../src/alerts/detect';
import { AlertWebhook, webhookBody } from '../../src/alerts/webhook';

function alert(n: number): IAlert {
  return {
    alert_id: `run-1:alert:nonfinite:${n}`,
    rule: 'nonfinite',
    run_id: 'run-1',
    run_name: 'demo',
    notebook: 'train.ipynb',
    kernel_id: 'k-1',
    user: 'alice',
    metric: 'loss',
    value: 'NaN',
    step: 3420,
    epoch: 2,
    '@timestamp': '2026-12-01T10:00:00.000Z',
    message: `loss of run 'demo' in train.ipynb became NaN at step 3420 (${n})`
  };
}

/** A receiver on localhost answering with the statuses given, then 200. */
async function receiver(statuses: number[] = []) {
  const bodies: unknown[] = [];
  const authorizations: (string | undefined)[] = [];
  const paths: (string | undefined)[] = [];
  let calls = 0;
  const server = http.createServer((request, response) => {
    authorizations.push(request.headers.authorization);
    paths.push(request.url);
    let text = '';
    request.on('data', chunk => (text += chunk));
    request.on('end', () => {
      calls += 1;
      const status = statuses.shift() ?? 200;
      if (status === 200) {
        bodies.push(JSON.parse(text));
      }
      response.writeHead(status).end();
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    bodies,
    authorizations,
    paths,
    calls: () => calls,
    close: () => new Promise(resolve => server.close(resolve))
  };
}

function webhook(url: string, overrides: Partial<{ perMinute: number }> = {}) {
  const lines: string[] = [];
  const hook = new AlertWebhook({
    url,
    format: 'json',
    perMinute: overrides.perMinute ?? 60,
    maxQueue: 3,
    maxAttempts: 4,
    timeoutMs: 2000,
    backoff: { initialMs: 10, maxMs: 40 },
    logger: createLogger('debug', line => lines.push(line))
  });
  return { hook, lines };
}

describe('AlertWebhook against a real HTTP receiver', () => {
  it('posts the alert as JSON', async () => {
    const target = await receiver();
    const { hook } = webhook(target.url);
    hook.send(alert(1));
    await hook.idle();
    await target.close();
    expect(target.bodies).toEqual([{ source: 'tflog', alert: alert(1) }]);
    expect(hook.counters).toMatchObject({ sent: 1, failed: 0, dropped: 0 });
  });

  it('retries 503s and 429s with backoff, then delivers', async () => {
    const target = await receiver([503, 429, 502]);
    const { hook } = webhook(target.url);
    hook.send(alert(1));
    await hook.idle();
    await target.close();
    expect(target.calls()).toBe(4);
    expect(target.bodies).toHaveLength(1);
    expect(hook.counters.sent).toBe(1);
  });

  it('gives up on a refusal at once and logs it', async () => {
    const target = await receiver([404]);
    const { hook, lines } = webhook(target.url);
    hook.send(alert(1));
    hook.send(alert(2));
    await hook.idle();
    await target.close();
    expect(target.calls()).toBe(2);
    expect(hook.counters).toMatchObject({ sent: 1, failed: 1 });
    expect(lines.join('\n')).toMatch(/answered 404/);
  });

  it('sends the credentials of its URL as a Basic header', async () => {
    const target = await receiver();
    const { hook } = webhook(
      `http://tflog:s3/cr@t@127.0.0.1:${target.port}/hook`
    );
    hook.send(alert(1));
    await hook.idle();
    await target.close();
    expect(hook.counters).toMatchObject({ sent: 1, failed: 0 });
    expect(target.paths).toEqual(['/hook']);
    expect(target.authorizations).toEqual([
      `Basic ${Buffer.from('tflog:s3/cr@t').toString('base64')}`
    ]);
  });

  it('never logs the secret path or the credentials of its URL', async () => {
    const target = await receiver([404]);
    const secretUrl = `http://tflog:pa55@127.0.0.1:${target.port}/services/T0KEN`;
    const refused = webhook(secretUrl);
    refused.hook.send(alert(1));
    await refused.hook.idle();
    await target.close();
    const down = webhook(secretUrl);
    down.hook.send(alert(2));
    await down.hook.idle();
    const logged = [...refused.lines, ...down.lines].join('\n');
    expect(logged).toContain(`http://127.0.0.1:${target.port}/… answered 404`);
    expect(logged).toMatch(/not sent after trying: .*ECONNREFUSED/);
    expect(logged).not.toMatch(/T0KEN|pa55/);
  });

  it('keeps going when the receiver is down, and counts what it gave up', async () => {
    const target = await receiver();
    await target.close();
    const { hook, lines } = webhook(target.url);
    const started = Date.now();
    hook.send(alert(1));
    // send() returns at once: shipping never waits for the webhook.
    expect(Date.now() - started).toBeLessThan(50);
    await hook.idle();
    expect(hook.counters).toMatchObject({ sent: 0, failed: 1 });
    expect(lines.join('\n')).toMatch(/not sent after trying: .*ECONNREFUSED/);
  });

  it('drops beyond its queue and says so', async () => {
    const target = await receiver();
    const { hook, lines } = webhook(target.url);
    for (let n = 0; n < 6; n += 1) {
      hook.send(alert(n));
    }
    await hook.idle();
    await target.close();
    // The first is taken at once; three wait; two are dropped.
    expect(hook.counters.sent + hook.counters.dropped).toBe(6);
    expect(hook.counters.dropped).toBeGreaterThanOrEqual(2);
    expect(lines.join('\n')).toMatch(/already waiting; not sent/);
  });

  it('keeps to its rate', async () => {
    const target = await receiver();
    const { hook } = webhook(target.url, { perMinute: 1 });
    hook.send(alert(1));
    hook.send(alert(2));
    await new Promise(resolve => setTimeout(resolve, 300));
    expect(target.bodies).toHaveLength(1);
    await hook.close();
    await target.close();
    expect(hook.counters.sent).toBe(1);
  });
});

describe('webhookBody', () => {
  it('has a Slack-compatible text form', () => {
    expect(
      webhookBody(alert(1), 'slack', 'https://hub/user/alice/lab')
    ).toEqual({
      text:
        ":warning: tflog: loss of run 'demo' in train.ipynb became NaN at " +
        'step 3420 (1) <https://hub/user/alice/lab|Open JupyterLab>'
    });
  });
});
