import * as fsp from 'fs/promises';
import * as os from 'os';
import * as path from 'path';

import { Alerting } from '../../src/alerts';
import { DEFAULT_THRESHOLDS, mergeThresholds } from '../../src/alerts/rules';
import type { ListeningAt } from '../../src/api';
import { memoryLogger } from '../ship/fakes';
import { errorOf, json, request, startServer } from './helpers';

/** A PUT with a body, authenticated by token (XSRF-exempt). */
function put(at: ListeningAt, body: string) {
  return request(at, '/api/v1/alerts/thresholds', {
    method: 'PUT',
    headers: { Authorization: 'token t', 'Content-Type': 'application/json' },
    body
  });
}

describe('/api/v1/alerts/thresholds', () => {
  const admin = mergeThresholds(DEFAULT_THRESHOLDS, { stall: { minutes: 5 } });
  let alerting: Alerting;

  beforeEach(() => {
    alerting = new Alerting({
      thresholds: admin,
      logger: memoryLogger().logger,
      announce: () => undefined,
      store: () => null
    });
  });

  afterEach(() => alerting.close());

  async function server() {
    return startServer({
      alertThresholds: {
        get: () => alerting.thresholds(),
        set: override => alerting.setUserThresholds(override)
      }
    });
  }

  it("answers the admin's thresholds, and the user's over them", async () => {
    const { api, at } = await server();
    try {
      const before = json(await request(at, '/api/v1/alerts/thresholds'));
      expect(before).toEqual({ admin, user: null, effective: admin });

      const answer = await put(at, '{"plateau": {"epochs": 3}}');
      expect(answer.status).toBe(200);
      const after = JSON.parse(answer.text);
      expect(after.user).toEqual({ plateau: { epochs: 3 } });
      expect(after.effective.plateau.epochs).toBe(3);
      // The admin's own setting stays under the user's.
      expect(after.effective.stall.minutes).toBe(5);
      expect(alerting.thresholds().effective.plateau.epochs).toBe(3);

      // An empty object: back to the admin's.
      const reset = JSON.parse((await put(at, '{}')).text);
      expect(reset.effective).toEqual(admin);
    } finally {
      await api.close();
    }
  });

  it('refuses bad thresholds naming the setting, and keeps the last good ones', async () => {
    const { api, at } = await server();
    try {
      await put(at, '{"plateau": {"epochs": 3}}');
      const refused = await put(at, '{"plateau": {"epochs": -1}}');
      expect(refused.status).toBe(400);
      expect(errorOf(refused)).toMatchObject({
        reason: 'invalid_body',
        message: 'alert thresholds: plateau.epochs must be a number above 0'
      });
      expect(alerting.thresholds().effective.plateau.epochs).toBe(3);

      const notJson = await put(at, '{plateau');
      expect(notJson.status).toBe(400);
      expect(errorOf(notJson).message).toMatch(/^the body is not JSON/);
    } finally {
      await api.close();
    }
  });

  it('is not found where no rules run (the hub service)', async () => {
    const { api, at } = await startServer();
    try {
      const response = await request(at, '/api/v1/alerts/thresholds');
      expect(response.status).toBe(404);
      expect(errorOf(response).message).toMatch(/own tflog service/);
    } finally {
      await api.close();
    }
  });
});

describe("the user's thresholds across a restart", () => {
  it('are kept in the state directory and used again', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tflog-thresholds-'));
    const file = path.join(dir, 'alert-thresholds.json');
    const make = () =>
      new Alerting({
        thresholds: DEFAULT_THRESHOLDS,
        logger: memoryLogger().logger,
        announce: () => undefined,
        store: () => null,
        userThresholdsFile: file
      });
    try {
      const first = make();
      first.setUserThresholds({ stall: { minutes: 2 } });
      await first.close();
      const again = make();
      expect(again.thresholds().user).toEqual({ stall: { minutes: 2 } });
      expect(again.thresholds().effective.stall.minutes).toBe(2);
      await again.close();
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('are ignored with a warning when the file is damaged', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tflog-thresholds-'));
    const file = path.join(dir, 'alert-thresholds.json');
    await fsp.writeFile(file, '{"stall": {"minutes": -3}}');
    const logged = memoryLogger();
    const alerting = new Alerting({
      thresholds: DEFAULT_THRESHOLDS,
      logger: logged.logger,
      announce: () => undefined,
      store: () => null,
      userThresholdsFile: file
    });
    try {
      expect(alerting.thresholds().effective).toEqual(DEFAULT_THRESHOLDS);
      expect(logged.lines.join('\n')).toMatch(
        /alert-thresholds.json are ignored \(stall.minutes must be a number above 0\)/
      );
    } finally {
      await alerting.close();
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
