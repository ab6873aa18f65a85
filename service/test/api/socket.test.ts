import { spawn } from 'child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync
} from 'fs';
import { createServer } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';

import { createApiServer, IApiServer } from '../../src/api';
import { FakeStore, json, request, serviceStatus, USER } from './helpers';

function newServer(): IApiServer {
  return createApiServer({
    store: new FakeStore(),
    getStatus: () => serviceStatus(),
    version: '0.1.0-test',
    user: USER
  });
}

/** Leave a socket file behind the way a killed service does. */
async function staleSocket(path: string): Promise<void> {
  const child = spawn(process.execPath, [
    '-e',
    `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`
  ]);
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => resolve());
    child.on('error', reject);
    child.on('exit', code => reject(new Error(`helper exited with ${code}`)));
  });
  const exited = new Promise(done => child.on('exit', done));
  child.kill('SIGKILL');
  await exited;
}

describe('unix socket', () => {
  let dir: string;
  let socket: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tflog-api-'));
    socket = join(dir, 'api.sock');
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('listens with mode 0600 and answers over the socket', async () => {
    const server = newServer();
    expect(await server.listen({ socket })).toEqual({ socket });
    try {
      expect(statSync(socket).isSocket()).toBe(true);
      expect(statSync(socket).mode & 0o777).toBe(0o600);
      const response = await request({ socket }, '/api/v1/runs/run-1');
      expect(response.status).toBe(200);
      expect(json(response).run_id).toBe('run-1');
    } finally {
      await server.close();
    }
    expect(existsSync(socket)).toBe(false);
  });

  it('replaces a stale socket file left by a dead service', async () => {
    await staleSocket(socket);
    expect(statSync(socket).isSocket()).toBe(true);
    const server = newServer();
    await server.listen({ socket });
    try {
      const response = await request({ socket }, '/api/v1/status');
      expect(response.status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('refuses to take over a socket another process listens on', async () => {
    const other = createServer();
    await new Promise<void>(done => other.listen(socket, done));
    try {
      await expect(newServer().listen({ socket })).rejects.toThrow(
        'another process is listening'
      );
      expect(statSync(socket).isSocket()).toBe(true);
    } finally {
      await new Promise(done => other.close(done));
    }
  });

  it('never removes a path that is not a socket', async () => {
    writeFileSync(socket, 'precious');
    await expect(newServer().listen({ socket })).rejects.toThrow(
      'is not a socket'
    );
    expect(readFileSync(socket, 'utf8')).toBe('precious');
  });
});
