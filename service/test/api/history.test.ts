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
    ['/api/v1/runs?order=up', 'order', 'one of asc, desc']
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
});
