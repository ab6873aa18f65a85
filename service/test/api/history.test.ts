/** Parameters of the history queries: validated, normalised, handed on. */
import { errorOf, ITestServer, request, startServer } from './helpers';

describe('history parameters', () => {
  let server: ITestServer;

  beforeAll(async () => {
    server = await startServer();
  });

  afterAll(() => server.api.close());

  const refused: [string, string, string][] = [
    ['/api/v1/runs?hparam=lr', 'hparam', 'is not key:value'],
    ['/api/v1/runs?hparam=:1', 'hparam', 'is not key:value'],
    [
      '/api/v1/runs?hparam=lr:1&hparam=lr:2',
      'hparam',
      "hyperparameter 'lr' is given two different values"
    ],
    ['/api/v1/runs?sort=speed', 'sort', "'speed' is not one of started"],
    ['/api/v1/runs?sort=last:', 'sort', 'last:<metric>'],
    ['/api/v1/runs?sort=mean:loss', 'sort', 'is not one of'],
    ['/api/v1/runs?sort=name&sort=health', 'sort', 'more than once'],
    ['/api/v1/runs?order=up', 'order', 'one of asc, desc'],
    ['/api/v1/runs/run-1/series?from=soon', 'from', 'not a number'],
    ['/api/v1/runs/run-1/series?to=1e', 'to', 'not a number'],
    ['/api/v1/runs/run-1/series?axis=time&from=12', 'from', 'ISO 8601'],
    ['/api/v1/runs/run-1/series?from=5&to=2', 'to', 'less than from'],
    [
      '/api/v1/runs/run-1/series?axis=time&from=2026-01-31T10:00:01Z&to=2026-01-31T10:00:00Z',
      'to',
      'less than from'
    ],
    ['/api/v1/runs/run-1/logs?at=noon', 'at', 'ISO 8601'],
    [
      '/api/v1/runs/run-1/logs?at=2026-01-31T10:00:00Z&after=abc',
      'at',
      'cannot be given with after'
    ]
  ];

  it.each(refused)('%s is refused naming %s', async (path, name, words) => {
    const response = await request(server.at, path);
    expect(response.status).toBe(400);
    const error = errorOf(response);
    expect(error).toMatchObject({
      reason: 'invalid_parameter',
      parameter: name
    });
    expect(error.message).toContain(words);
  });

  it('hands hyperparameter filters and the sort to the store', async () => {
    const response = await request(
      server.at,
      '/api/v1/runs?hparam=lr:1e-3&hparam=optimizer:adam&hparam=url:http://x&sort=min:val_loss&order=asc'
    );
    expect(response.status).toBe(200);
    expect(server.store.runQueries.at(-1)).toEqual({
      user: 'alice',
      hparams: { lr: '1e-3', optimizer: 'adam', url: 'http://x' },
      sort: { key: { by: 'min', metric: 'val_loss' }, order: 'asc' },
      size: 50
    });
    await request(server.at, '/api/v1/runs?sort=last:top-5%20accuracy');
    expect(server.store.runQueries.at(-1)?.sort).toEqual({
      key: { by: 'last', metric: 'top-5 accuracy' },
      order: 'desc'
    });
    await request(server.at, '/api/v1/runs?sort=duration');
    expect(server.store.runQueries.at(-1)?.sort).toEqual({
      key: { by: 'duration' },
      order: 'desc'
    });
    await request(server.at, '/api/v1/runs?order=asc');
    expect(server.store.runQueries.at(-1)?.sort).toEqual({
      key: { by: 'started' },
      order: 'asc'
    });
    // The default sort is no sort: its cursors are those of plain lists.
    await request(server.at, '/api/v1/runs?sort=started&order=desc');
    expect(server.store.runQueries.at(-1)).toEqual({ user: 'alice', size: 50 });
  });

  it('hands a zoomed series range to the store', async () => {
    const response = await request(
      server.at,
      '/api/v1/runs/run-1/series?from=10&to=10.5'
    );
    expect(response.status).toBe(200);
    expect(server.store.seriesQueries.at(-1)).toEqual({
      runId: 'run-1',
      axis: 'step',
      maxPoints: 1000,
      from: 10,
      to: 10.5
    });
    await request(
      server.at,
      '/api/v1/runs/run-1/series?axis=time&from=2026-01-31T12:00:00%2B02:00'
    );
    expect(server.store.seriesQueries.at(-1)).toEqual({
      runId: 'run-1',
      axis: 'time',
      maxPoints: 1000,
      from: '2026-01-31T10:00:00.000Z'
    });
  });

  it('hands the time to read the lines around to the store', async () => {
    const response = await request(
      server.at,
      '/api/v1/runs/run-1/logs?at=2026-01-31T12:00:00%2B02:00&size=20&level=error'
    );
    expect(response.status).toBe(200);
    expect(server.store.logQueries.at(-1)).toEqual({
      runId: 'run-1',
      levels: ['error'],
      size: 20,
      order: 'asc',
      at: '2026-01-31T10:00:00.000Z'
    });
  });
});
