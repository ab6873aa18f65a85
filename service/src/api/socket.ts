/**
 * Unix socket housekeeping: a socket file left by a service that died is
 * removed before listening, but a live one (another service instance) or a
 * path that is not a socket at all is never touched.
 */
import { connect } from 'net';
import { lstat, unlink } from 'fs/promises';

/** How long a connection attempt may take before the socket counts as live. */
const PROBE_TIMEOUT_MS = 1000;

export async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch (error) {
    if (errorCode(error) === 'ENOENT') {
      return;
    }
    throw new Error(`cannot inspect socket path ${path}: ${String(error)}`);
  }
  if (!isSocket) {
    throw new Error(`${path} exists and is not a socket; not replacing it`);
  }
  if (await socketAnswers(path)) {
    throw new Error(`another process is listening on ${path}`);
  }
  await unlink(path);
}

/** True when something accepts connections on the socket. */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = connect({ path });
    probe.setTimeout(PROBE_TIMEOUT_MS, () => {
      // Slow to accept is still alive: do not take its place.
      probe.destroy();
      resolve(true);
    });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', error => {
      const code = errorCode(error);
      if (code === 'ECONNREFUSED' || code === 'ENOENT') {
        resolve(false);
      } else {
        reject(new Error(`cannot probe socket ${path}: ${String(error)}`));
      }
    });
  });
}

function errorCode(error: unknown): string | undefined {
  // Duck-typed: errors from Node's core may come from another realm.
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code: unknown = error.code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}
