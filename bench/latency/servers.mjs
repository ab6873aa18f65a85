// The servers the latency benchmark drives: a test Elasticsearch node
// (scripts/es-start.sh) and a Jupyter server with the tflog service, set up
// like the UI tests' (ui-tests/jupyter_server_test_config.py).
import { execFile, spawn } from 'child_process';
import { randomBytes } from 'crypto';
import { mkdirSync, openSync } from 'fs';
import { join } from 'path';
import { setTimeout as delay } from 'timers/promises';
import { promisify } from 'util';

const run = promisify(execFile);

export async function startElasticsearch(root, port, dataDir) {
  const { stdout } = await run(
    'bash',
    [join(root, 'scripts', 'es-start.sh'), String(port), dataDir],
    { cwd: root, maxBuffer: 1 << 20 }
  );
  return stdout.trim();
}

export async function stopElasticsearch(root, dataDir) {
  await run('bash', [join(root, 'scripts', 'es-stop.sh'), dataDir], {
    cwd: root
  });
}

/** Deletes the indices and templates written under `prefix`. */
export async function deleteIndices(esUrl, prefix) {
  const listing = await globalThis.fetch(
    `${esUrl}/_cat/indices/${prefix}*?h=index&expand_wildcards=all`
  );
  if (!listing.ok) {
    throw new Error(`listing ${prefix}* indices: ${listing.status}`);
  }
  const indices = (await listing.text())
    .split('\n')
    .filter(name => name.trim());
  if (indices.length > 0) {
    const deleted = await globalThis.fetch(`${esUrl}/${indices.join(',')}`, {
      method: 'DELETE'
    });
    if (!deleted.ok) {
      throw new Error(`deleting ${indices.join(',')}: ${deleted.status}`);
    }
  }
  const templates = await globalThis.fetch(
    `${esUrl}/_index_template/${prefix}*`,
    { method: 'DELETE' }
  );
  if (!templates.ok && templates.status !== 404) {
    throw new Error(`deleting the ${prefix}* templates: ${templates.status}`);
  }
}

/**
 * Starts `jupyter lab` on `port` serving `<workDir>/root`, with every Jupyter
 * and tflog directory under `workDir`; `esUrl` empty: the embedded store.
 * Resolves once the server answers; `stop()` shuts it down (SIGTERM, so it
 * stops its kernels and the service). `environment`: more variables for the
 * server, over those.
 */
export async function startJupyter({
  root,
  jupyter,
  port,
  workDir,
  esUrl,
  indexPrefix,
  environment = {}
}) {
  const serverRoot = join(workDir, 'root');
  mkdirSync(serverRoot, { recursive: true });
  const logFile = join(workDir, 'jupyter.log');
  const env = {
    ...process.env,
    JUPYTER_DATA_DIR: join(workDir, 'data'),
    JUPYTER_RUNTIME_DIR: join(workDir, 'runtime'),
    JUPYTER_CONFIG_DIR: join(workDir, 'config'),
    IPYTHONDIR: join(workDir, 'ipython'),
    JUPYTERLAB_GALATA_ROOT_DIR: serverRoot,
    TFLOG_UI_PORT: String(port),
    TFLOG_SPOOL_DIR: join(workDir, 'tflog', 'spool'),
    TFLOG_STATE_DIR: join(workDir, 'tflog', 'state'),
    TFLOG_STORE_DIR: join(workDir, 'tflog', 'store'),
    TFLOG_SOCKET: join(workDir, 'runtime', 'tflog.sock'),
    TFLOG_INDEX_PREFIX: indexPrefix,
    TFLOG_ES_URLS: esUrl,
    TF_CPP_MIN_LOG_LEVEL: '2',
    ...environment
  };
  const log = openSync(logFile, 'a');
  const server = spawn(
    jupyter,
    [
      'lab',
      '--config',
      join(root, 'ui-tests', 'jupyter_server_test_config.py')
    ],
    { cwd: serverRoot, env, stdio: ['ignore', log, log] }
  );
  const exited = new Promise(resolve => server.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (server.exitCode !== null || server.signalCode !== null) {
      return;
    }
    server.kill('SIGTERM');
    const stopped = await Promise.race([
      exited.then(() => true),
      delay(20_000, false)
    ]);
    if (!stopped) {
      server.kill('SIGKILL');
      await exited;
    }
  };
  const deadline = Date.now() + 120_000;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    if (server.exitCode !== null) {
      throw new Error(
        `jupyter lab exited with ${server.exitCode}; see ${logFile}`
      );
    }
    try {
      const response = await globalThis.fetch(`${url}/api/status`);
      if (response.ok) {
        return { url, serverRoot, logFile, stop };
      }
      lastProblem = `GET /api/status answered ${response.status}`;
    } catch (error) {
      // Connection refused while the server starts: try again.
      lastProblem = String(error);
    }
    await delay(250);
  }
  await stop();
  throw new Error(
    `jupyter lab did not start within 120 s (${lastProblem}); see ${logFile}`
  );
}

/**
 * A Jupyter server with the service on `store`: 'elasticsearch' (the node of
 * TFLOG_TEST_ES_URL, else one started under `<workDir>/es`; indices under a
 * fresh prefix starting with `prefixName`) or 'embedded'. `close()` stops the
 * server, then deletes the indices it wrote or stops the node it started.
 */
export async function startStoreServer({
  root,
  jupyter,
  port,
  esPort,
  store,
  workDir,
  prefixName
}) {
  const indexPrefix = `${prefixName}${randomBytes(4).toString('hex')}-`;
  let esUrl = '';
  let startedEs = false;
  if (store === 'elasticsearch') {
    esUrl = process.env.TFLOG_TEST_ES_URL?.replace(/\/+$/, '') ?? '';
    if (!esUrl) {
      esUrl = await startElasticsearch(root, esPort, join(workDir, 'es'));
      startedEs = true;
    }
  }
  const server = await startJupyter({
    root,
    jupyter,
    port,
    workDir,
    esUrl,
    indexPrefix
  });
  const close = async () => {
    await server.stop();
    if (esUrl && !startedEs) {
      await deleteIndices(esUrl, indexPrefix);
    }
    if (startedEs) {
      await stopElasticsearch(root, join(workDir, 'es'));
    }
  };
  return { server, esUrl, indexPrefix, close };
}
