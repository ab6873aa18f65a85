import { PanelModel } from '../model/panelModel';
import { errorFromResponse, TflogRequestError } from '../request';
import { DEFAULT_SETTINGS } from '../settings';
import { RECONNECT_GRACE_MS, StatusLine } from '../views/statusLine';
import { FakeClient, FakeEventSource, serviceStatus } from './fakes';
import { markingBundle } from './translation';

function proxyDown(status: number): TflogRequestError {
  return new TflogRequestError({
    message: `The tflog service cannot be reached (HTTP ${status})`,
    status,
    reason: 'unreachable',
    url: 'http://localhost/tflog/api/v1/status'
  });
}

function setUp() {
  const client = new FakeClient();
  client.statusAnswer = serviceStatus();
  const model = new PanelModel({
    client,
    settings: { ...DEFAULT_SETTINGS },
    createEventSource: url => new FakeEventSource(url)
  });
  const line = new StatusLine(model);
  const error = line.node.querySelector<HTMLElement>('.jp-tflog-error')!;
  const reconnecting = line.node.querySelector<HTMLElement>(
    '.jp-tflog-reconnecting'
  )!;
  return { client, model, line, error, reconnecting };
}

describe('StatusLine', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('shows a restart of the service as reconnecting, and as an error only when it lasts', async () => {
    const { client, model, line, error, reconnecting } = setUp();
    await model.refreshStatus();
    expect(line.node.dataset.connection).toBe('ok');
    expect(error.hidden).toBe(true);

    client.statusAnswer = proxyDown(502);
    await model.refreshStatus();
    expect(line.node.dataset.connection).toBe('reconnecting');
    expect(reconnecting.hidden).toBe(false);
    expect(reconnecting.textContent).toBe('Reconnecting to the tflog service…');
    expect(error.hidden).toBe(true);

    jest.advanceTimersByTime(RECONNECT_GRACE_MS - 1000);
    await model.refreshStatus();
    expect(line.reconnecting).toBe(true);
    expect(error.hidden).toBe(true);

    jest.advanceTimersByTime(2000);
    await model.refreshStatus();
    expect(line.reconnecting).toBe(false);
    expect(error.hidden).toBe(false);
    expect(error.textContent).toContain('HTTP 502');

    client.statusAnswer = serviceStatus();
    await model.refreshStatus();
    expect(error.hidden).toBe(true);
    expect(line.node.dataset.connection).toBe('ok');
    line.dispose();
    model.dispose();
  });

  it('reports a service that never answered as an error at once', async () => {
    const { client, model, error, reconnecting } = setUp();
    client.statusAnswer = proxyDown(404);
    await model.refreshStatus();
    expect(reconnecting.hidden).toBe(true);
    expect(error.hidden).toBe(false);
    model.dispose();
  });

  it('reports a refusal by the service itself as an error at once', async () => {
    const { client, model, error, reconnecting } = setUp();
    await model.refreshStatus();
    client.statusAnswer = new TflogRequestError({
      message: 'Jupyter refused the request (HTTP 403)',
      status: 403,
      reason: 'jupyter_refused',
      url: 'http://localhost/tflog/api/v1/status'
    });
    await model.refreshStatus();
    expect(reconnecting.hidden).toBe(true);
    expect(error.hidden).toBe(false);
    model.dispose();
  });

  it('words a failed request through the translator', async () => {
    const client = new FakeClient();
    client.statusAnswer = errorFromResponse(
      404,
      undefined,
      '<html>404: Not Found</html>',
      'http://localhost/tflog/api/v1/status'
    );
    const model = new PanelModel({
      client,
      settings: { ...DEFAULT_SETTINGS },
      createEventSource: url => new FakeEventSource(url)
    });
    const line = new StatusLine(model, markingBundle());
    await model.refreshStatus();
    const error = line.node.querySelector<HTMLElement>('.jp-tflog-error')!;
    expect(error.textContent).toMatch(
      /^«The tflog service is unreachable \(HTTP 404\): .*jupyter-server-proxy installed\?»$/
    );
    line.dispose();
    model.dispose();
  });

  it('hides an empty backlog and keeps the store in its tooltip', async () => {
    const { client, model, line } = setUp();
    await model.refreshStatus();
    const backlog = line.node.querySelector<HTMLElement>('.jp-tflog-backlog')!;
    expect(backlog.hidden).toBe(true);
    expect(line.node.title).toContain('Embedded store');
    expect(line.node.title).toContain('Backlog: 0 files');
    client.statusAnswer = serviceStatus({
      backlog: { files: 2, bytes: 2048 }
    });
    await model.refreshStatus();
    expect(backlog.hidden).toBe(false);
    expect(backlog.textContent).toBe('Backlog: 2 files, 2.0 KiB');
    model.dispose();
  });

  it('folds notes about the store into one line that opens to the full text', async () => {
    const { client, model, line } = setUp();
    const degraded =
      'ILM is not available on this cluster: daily indices are not deleted after 90 days';
    client.statusAnswer = serviceStatus({
      store: {
        kind: 'elasticsearch',
        location: 'http://es:9200',
        healthy: true,
        degraded: [degraded]
      },
      configWarnings: ['TFLOG_ALERTS: plateau.epochs is ignored']
    });
    await model.refreshStatus();
    const notes = line.node.querySelector<HTMLDetailsElement>(
      'details.jp-tflog-warning'
    )!;
    expect(notes.hidden).toBe(false);
    expect(notes.open).toBe(false);
    const summary = notes.querySelector('summary')!;
    expect(summary.textContent).toBe('2 notes on the store and settings');
    expect(summary.textContent).not.toContain('ILM');
    const text = notes.querySelector('.jp-tflog-warning-text')!;
    expect(text.textContent).toContain(degraded);
    expect(text.textContent).toContain('plateau.epochs');

    client.statusAnswer = serviceStatus();
    await model.refreshStatus();
    expect(notes.hidden).toBe(true);
    model.dispose();
  });
});
