// One start of the embedded store in a fresh process, for bench/store/scale.mjs:
// loads service/lib/store/embedded.js, opens the database in DIR as the
// shipping service does (read-write, retention off) and prints one JSON line
// once EmbeddedStore.init() resolved, then closes it.
//
//   node bench/store/startup.mjs DIR
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: node bench/store/startup.mjs DIR\n');
  process.exit(2);
}
const logger = {
  debug() {},
  info() {},
  warn(message) {
    process.stderr.write(`${message}\n`);
  },
  error(message) {
    process.stderr.write(`${message}\n`);
  },
  child() {
    return logger;
  }
};
const loading = performance.now();
const { EmbeddedStore } = require(
  path.resolve(here, '..', '..', 'service', 'lib', 'store', 'embedded.js')
);
const store = new EmbeddedStore({ dir, retentionDays: 0, logger });
const opening = performance.now();
await store.init();
const ready = performance.now();
// performance.now() counts from the process's start.
process.stdout.write(
  JSON.stringify({
    since_process_start_ms: ready,
    load_ms: opening - loading,
    init_ms: ready - opening
  }) + '\n'
);
await store.close();
