import { errorOf, ITestServer, json, request, startServer } from './helpers';

describe('parameter validation', () => {
  let server: ITestServer;

  beforeAll(async () => {
    server = await startServer();
  });

  afterAll(() => server.api.close());

  const refused: [string, string, string][] = [
    ['/api/v1/runs?size=0', 'size', 'between 1 and 1000'],
    ['/api/v1/runs?size=1001', 'size', 'between 1 and 1000'],
    ['/api/v1/runs?size=ten', 'size', 'not an integer'],
    ['/api/v1/runs?size=1&size=2', 'size', 'more than once'],
    ['/api/v1/runs?status=running,lost', 'status', "'lost' is not one of"],
    ['/api/v1/runs?tag=nocolon', 'tag', 'is not key:value'],
    ['/api/v1/runs?tag=:value', 'tag', 'is not key:value'],
    ['/api/v1/runs?tag=a:1&tag=a:2', 'tag', 'two different values'],
    ['/api/v1/runs?from=yesterday', 'from', 'ISO 8601'],
    ['/api/v1/runs?from=2026-02-30', 'from', 'ISO 8601'],
    ['/api/v1/runs?to=2026-01-31T10:00:00', 'to', 'ISO 8601'],
    ['/api/v1/runs?from=2026-02-01&to=2026-01-01', 'to', 'earlier than from'],
    ['/api/v1/runs?after=%20', 'after', 'cursor'],
    ['/api/v1/runs?sise=10', 'sise', 'unknown parameter'],
    ['/api/v1/runs/bad$id', 'runId', 'not a run id'],
    [`/api/v1/runs/${'x'.repeat(129)}`, 'runId', 'not a run id'],
    ['/api/v1/runs/run-1/series?axis=wall', 'axis', 'one of step, epoch, time'],
    ['/api/v1/runs/run-1/series?max_points=1', 'max_points', 'between 2'],
    ['/api/v1/runs/run-1/series?max_points=10001', 'max_points', 'and 10000'],
    ['/api/v1/runs/run-1/series?scope=day', 'scope', 'one of epoch'],
    ['/api/v1/runs/run-1/series?after=soon', 'after', 'not a number'],
    ['/api/v1/runs/run-1/series?axis=time&after=12', 'after', 'ISO 8601'],
    ['/api/v1/runs/run-1/logs?order=up', 'order', 'one of asc, desc'],
    ['/api/v1/runs/run-1/logs?kind=chatter', 'kind', 'not one of'],
    ['/api/v1/runs/run-1/logs?level=warn1ng', 'level', 'not a log level'],
    ['/api/v1/runs/run-1/logs?size=5000', 'size', 'between 1 and 1000'],
    ['/api/v1/status?verbose=1', 'verbose', 'unknown parameter']
  ];

  it.each(refused)('%s is refused naming %s', async (path, name, words) => {
    const response = await request(server.at, path);
    expect(response.status).toBe(400);
    const error = errorOf(response);
    expect(error).toMatchObject({
      status: 400,
      reason: 'invalid_parameter',
      parameter: name
    });
    expect(error.message.startsWith(`${name}: `)).toBe(true);
    expect(error.message).toContain(words);
  });

  it('hands valid run filters to the store, normalised', async () => {
    const path =
      '/api/v1/runs?notebook=work%2Ftrain.ipynb&status=running,failed&status=running' +
      '&tag=team:vision&tag=url:http://x&from=2026-01-31T12:00:00%2B02:00' +
      '&to=2026-02-01&q=mnist&size=20&after=c1';
    const response = await request(server.at, path);
    expect(response.status).toBe(200);
    expect(server.store.runQueries.at(-1)).toEqual({
      user: 'alice',
      notebooks: ['work/train.ipynb'],
      status: ['running', 'failed'],
      tags: { team: 'vision', url: 'http://x' },
      from: '2026-01-31T10:00:00.000Z',
      to: '2026-02-01T00:00:00.000Z',
      text: 'mnist',
      size: 20,
      after: 'c1'
    });
  });

  it('ignores Jupyter’s token in the URL: the server checked it', async () => {
    const response = await request(
      server.at,
      '/api/v1/runs?size=5&token=0123abcd'
    );
    expect(response.status).toBe(200);
    expect(server.store.runQueries.at(-1)).toEqual({ user: 'alice', size: 5 });
    const status = await request(server.at, '/api/v1/status?token=0123abcd');
    expect(status.status).toBe(200);
  });

  it('takes notebook repeated, commas being part of a path', async () => {
    await request(
      server.at,
      '/api/v1/runs?notebook=work%2Fa,b.ipynb&notebook=c.ipynb&notebook='
    );
    expect(server.store.runQueries.at(-1)?.notebooks).toEqual([
      'work/a,b.ipynb',
      'c.ipynb'
    ]);
    const many = Array.from({ length: 17 }, (_, i) => `notebook=n${i}`);
    const response = await request(server.at, `/api/v1/runs?${many.join('&')}`);
    expect(response.status).toBe(400);
    expect(errorOf(response)).toMatchObject({ parameter: 'notebook' });
    expect(errorOf(response).message).toContain('at most 16');
  });

  it("matches a notebook's runs under its path relative to the server root and its absolute path", async () => {
    const rooted = await startServer({ serverRoot: '/home/alice' });
    try {
      for (const given of [
        'work%2Ftrain.ipynb',
        '%2Fhome%2Falice%2Fwork%2Ftrain.ipynb'
      ]) {
        await request(rooted.at, `/api/v1/runs?notebook=${given}`);
        expect(rooted.store.runQueries.at(-1)?.notebooks).toEqual([
          'work/train.ipynb',
          '/home/alice/work/train.ipynb'
        ]);
      }
      await request(rooted.at, '/api/v1/runs?notebook=%2Fsrv%2Ft.ipynb');
      expect(rooted.store.runQueries.at(-1)?.notebooks).toEqual([
        '/srv/t.ipynb'
      ]);
    } finally {
      await rooted.api.close();
    }
  });

  it('reads an unencoded + in a time offset as +', async () => {
    await request(server.at, '/api/v1/runs?from=2026-01-31T12:00:00+02:00');
    expect(server.store.runQueries.at(-1)?.from).toBe(
      '2026-01-31T10:00:00.000Z'
    );
  });

  it('applies defaults', async () => {
    await request(server.at, '/api/v1/runs');
    expect(server.store.runQueries.at(-1)).toEqual({ user: 'alice', size: 50 });
    await request(server.at, '/api/v1/runs/run-1/series');
    expect(server.store.seriesQueries.at(-1)).toEqual({
      runId: 'run-1',
      axis: 'step',
      maxPoints: 1000
    });
    await request(server.at, '/api/v1/runs/run-1/logs');
    expect(server.store.logQueries.at(-1)).toEqual({
      runId: 'run-1',
      size: 100,
      order: 'asc'
    });
  });

  it('hands valid series and log parameters to the store', async () => {
    const series = await request(
      server.at,
      '/api/v1/runs/run-1/series?names=loss,val_loss&names=loss&axis=epoch&scope=epoch&max_points=500&after=2'
    );
    expect(series.status).toBe(200);
    expect(server.store.seriesQueries.at(-1)).toEqual({
      runId: 'run-1',
      names: ['loss', 'val_loss'],
      axis: 'epoch',
      scope: 'epoch',
      maxPoints: 500,
      after: 2
    });
    const body = json(series) as { run: { run_id: string }; series: unknown[] };
    expect(body.run.run_id).toBe('run-1');
    expect(body.series).toHaveLength(1);

    await request(
      server.at,
      '/api/v1/runs/run-1/series?axis=time&after=2026-01-31T10:00:00Z'
    );
    expect(server.store.seriesQueries.at(-1)?.after).toBe(
      '2026-01-31T10:00:00.000Z'
    );

    const logs = await request(
      server.at,
      '/api/v1/runs/run-1/logs?level=warning,error&kind=error,nan&q=oom&size=10&order=desc&after=abc'
    );
    expect(logs.status).toBe(200);
    expect(server.store.logQueries.at(-1)).toEqual({
      runId: 'run-1',
      levels: ['warning', 'error'],
      kinds: ['error', 'nan'],
      text: 'oom',
      size: 10,
      after: 'abc',
      order: 'desc'
    });
  });
});
