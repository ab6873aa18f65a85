// Bundles the service (service/src/main.ts and every npm dependency it uses,
// @elastic/elasticsearch included) into one CommonJS file inside the Python
// package, so a wheel needs nothing from npm at install time: only a Node.js
// >= 18 to run it. The licenses of the bundled packages go next to it.
import { build } from 'esbuild';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  writeFileSync
} from 'fs';
import { dirname, join, relative } from 'path';
import { fileURLToPath } from 'url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const outputDir = join(root, 'tflog', 'service');
// The service, and the command line (`tflog parse|prune|doctor`, run by the
// Python `tflog` command).
const BUNDLES = [
  {
    entry: join(root, 'service', 'src', 'main.ts'),
    bundle: join(outputDir, 'tflog-service.js')
  },
  {
    entry: join(root, 'service', 'src', 'cli.ts'),
    bundle: join(outputDir, 'tflog-cli.js')
  }
];
const licenses = join(outputDir, 'THIRD-PARTY-LICENSES.txt');

const LICENSE_FILE = /^(licen[cs]e|copying|notice)(\.(md|txt))?$/i;

/** The package directory (`node_modules/<name>` or `node_modules/@scope/<name>`) of a bundled input. */
function packageDirectory(input) {
  const parts = input.split('/');
  const last = parts.lastIndexOf('node_modules');
  if (last < 0) {
    return null;
  }
  const length = parts[last + 1].startsWith('@') ? 3 : 2;
  return parts.slice(0, last + length).join('/');
}

/** One section per bundled package: name, version, declared license and its license text. */
function licenseSection(directory) {
  const manifest = JSON.parse(
    readFileSync(join(root, directory, 'package.json'), 'utf8')
  );
  const texts = readdirSync(join(root, directory))
    .filter(name => LICENSE_FILE.test(name))
    .sort()
    .map(name => readFileSync(join(root, directory, name), 'utf8').trim());
  if (texts.length === 0) {
    throw new Error(
      `${manifest.name}@${manifest.version} is bundled but ships no license file; add its license text by hand`
    );
  }
  const heading = `${manifest.name}@${manifest.version} (${manifest.license ?? 'license not declared'})`;
  return `${heading}\n${'='.repeat(heading.length)}\n\n${texts.join('\n\n')}\n`;
}

mkdirSync(outputDir, { recursive: true });
const packages = new Set();
for (const { entry, bundle } of BUNDLES) {
  if (!existsSync(entry)) {
    throw new Error(
      `${relative(root, entry)} does not exist: nothing to bundle`
    );
  }
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    // The collected license file below replaces scattered legal comments.
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning'
  });
  const bundled = new Set();
  for (const input of Object.keys(result.metafile.inputs)) {
    const directory = packageDirectory(input);
    if (directory !== null) {
      bundled.add(directory);
      packages.add(directory);
    }
  }
  const bytes = result.metafile.outputs[relative(root, bundle)]?.bytes;
  console.log(
    `bundled ${relative(root, bundle)} (${bytes ?? '?'} bytes, ${bundled.size} npm packages)`
  );
}
const sections = [...packages].sort().map(licenseSection);
writeFileSync(
  licenses,
  `Packages bundled into tflog-service.js and tflog-cli.js and their licenses.\n\n${sections.join('\n')}`
);
