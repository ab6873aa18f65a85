import {
  errorOf,
  FakeStore,
  ITestServer,
  json,
  request,
  runSummary,
  startServer
} from './helpers';

describe('identity', () => {
  let server: ITestServer;

  beforeAll(async () => {
    const store = new FakeStore();
    store.runs.set('bobs-run', runSummary('bobs-run', { user: 'bob' }));
    server = await startServer({}, store);
  });

  afterAll(() => server.api.close());

  it('lists only the current user’s runs when no user is asked for', async () => {
    const response = await request(server.at, '/api/v1/runs');
    const page = json(response) as { runs: { run_id: string }[] };
    expect(page.runs.map(run => run.run_id)).toEqual(['run-1']);
    expect(server.store.runQueries.at(-1)?.user).toBe('alice');
  });

  it('accepts user= naming the current user', async () => {
    const response = await request(server.at, '/api/v1/runs?user=alice');
    expect(response.status).toBe(200);
    expect(server.store.runQueries.at(-1)?.user).toBe('alice');
  });

  it('refuses to list another user’s runs', async () => {
    const before = server.store.runQueries.length;
    const response = await request(server.at, '/api/v1/runs?user=bob');
    expect(response.status).toBe(403);
    expect(errorOf(response)).toMatchObject({
      reason: 'forbidden',
      parameter: 'user'
    });
    expect(server.store.runQueries).toHaveLength(before);
  });

  it.each(['', '/series', '/logs'])(
    'reports another user’s run%s as missing without querying its data',
    async suffix => {
      const seriesBefore = server.store.seriesQueries.length;
      const logsBefore = server.store.logQueries.length;
      const response = await request(
        server.at,
        `/api/v1/runs/bobs-run${suffix}`
      );
      expect(response.status).toBe(404);
      expect(server.store.seriesQueries).toHaveLength(seriesBefore);
      expect(server.store.logQueries).toHaveLength(logsBefore);
    }
  );

  it('takes no identity from request headers', async () => {
    const response = await request(server.at, '/api/v1/runs', {
      headers: { 'X-Forwarded-User': 'bob', 'X-Remote-User': 'bob' }
    });
    expect(response.status).toBe(200);
    expect(server.store.runQueries.at(-1)?.user).toBe('alice');
  });
});
