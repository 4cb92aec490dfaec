/**
 * Golden tests of validation messages: each folder under test/golden/validate holds a manifests/ folder with a
 * mistake and expected.txt, what `iam-gitops validate` prints and its exit code.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'vitest';
import { PROJECT_ROOT } from './helpers/fixtures.js';
import { expectGolden } from './helpers/golden.js';
import { runCli } from './helpers/run-cli.js';

const GOLDEN = join(PROJECT_ROOT, 'test/golden/validate');

describe('validate: golden messages', () => {
  for (const name of readdirSync(GOLDEN).sort()) {
    it(name, async () => {
      const manifests = relative(process.cwd(), join(GOLDEN, name, 'manifests'));
      const run = await runCli(['validate', '--manifests', manifests]);
      expectGolden(join(GOLDEN, name, 'expected.txt'), `exit ${run.code}\n--- stdout\n${run.stdout}--- stderr\n${run.stderr}`);
    });
  }
});
