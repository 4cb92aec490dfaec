/**
 * Issue 16, item 6, through the CLI as CI runs it: hostile strings in manifests (values, YAML keys, ARNs), in live
 * IAM (a snapshot: names, descriptions, tags, conditions), in file and folder names and in flags reach every text
 * output (validate, plan as text, JSON and markdown, drift, audit, simulate, accounts, apply's plan, prompt, log and
 * report). The law: no line of stdout or stderr is a workflow command to the GitHub Actions runner (the CLI writes
 * none on purpose), and no raw control character reaches the terminal (test/helpers/workflow-commands.ts is the
 * runner's parser and the list of characters).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { emulatorsClosedAfterEachTest } from './helpers/emulator.js';
import { fileName, writeHostileConfig, type HostileConfig } from './helpers/hostile-config.js';
import { runCli, type CliRun } from './helpers/run-cli.js';
import { HOSTILE_STRINGS, rawControls, workflowCommands } from './helpers/workflow-commands.js';

const NOW = '2026-11-29T12:00:00Z';
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
const startEmulator = emulatorsClosedAfterEachTest();

function hostileConfig(strings: readonly string[]): HostileConfig {
  const dir = mkdtempSync(join(tmpdir(), 'iam-gitops-inert-'));
  made.push(dir);
  return writeHostileConfig(dir, strings);
}

/** The law on one run: nothing the runner acts on, nothing the terminal acts on. */
function expectInert(run: CliRun, what: string): void {
  const output = `${run.stdout}${run.stderr}`;
  expect(workflowCommands(output), `${what}: workflow commands in\n${output}`).toEqual([]);
  expect(rawControls(output), `${what}: raw control characters`).toEqual([]);
}

/** Every text output of the CLI over one configuration holding the strings; `all` adds the other formats. */
async function everyOutput(strings: readonly string[], all: boolean): Promise<Record<string, CliRun>> {
  const c = hostileConfig(strings);
  const live = ['--state', c.snapshot, '--now', NOW];
  const runs: Record<string, CliRun> = {
    'validate (valid)': await runCli(['validate', '--manifests', c.valid]),
    'validate (invalid)': await runCli(['validate', '--manifests', c.invalid]),
    'plan (invalid)': await runCli(['plan', '--manifests', c.invalid, ...live]),
    'plan text': await runCli(['plan', '--manifests', c.valid, ...live]),
    'drift text': await runCli(['drift', '--manifests', c.valid, ...live]),
    'audit text': await runCli(['audit', ...live]),
    'accounts text': await runCli(['accounts', '--root', c.accounts]),
    'accounts (invalid)': await runCli(['accounts', '--root', c.invalidAccounts]),
    'plan against a snapshot with hostile names': await runCli(['plan', '--manifests', c.valid, '--state', c.badNames, '--now', NOW]),
  };
  if (!all) return runs;
  // The flags and paths a workflow passes, one string at a time.
  const perString: Record<string, CliRun> = {};
  for (const [i, s] of strings.entries()) {
    perString[`simulate flags ${i}`] = await runCli(['simulate', '--state', c.snapshot, '--principal', `arn:aws:iam::123456789012:role/${s}`, '--action', 'iam:GetUser', '--context', `aws:PrincipalTag/x=${s}`]);
    perString[`simulate bad flags ${i}`] = await runCli(['simulate', '--state', c.snapshot, '--principal', s, '--action', s]);
    perString[`unknown option ${i}`] = await runCli(['plan', `--${s}`]);
    perString[`missing snapshot ${i}`] = await runCli(['plan', '--manifests', c.valid, '--state', join(c.snapshot, '..', `${fileName(s)}.json`)]);
  }
  return {
    ...runs,
    ...perString,
    'plan json': await runCli(['plan', '--manifests', c.valid, ...live, '--format', 'json']),
    'plan markdown': await runCli(['plan', '--manifests', c.valid, ...live, '--format', 'markdown']),
    'drift json': await runCli(['drift', '--manifests', c.valid, ...live, '--format', 'json']),
    'drift markdown': await runCli(['drift', '--manifests', c.valid, ...live, '--format', 'markdown']),
    'audit json': await runCli(['audit', ...live, '--format', 'json']),
    'audit markdown': await runCli(['audit', ...live, '--format', 'markdown']),
    'audit of the manifests': await runCli(['audit', ...live, '--manifests', c.valid]),
    'simulate requests': await runCli(['simulate', '--state', c.snapshot, '--requests', c.requests]),
    'simulate json': await runCli(['simulate', '--state', c.snapshot, '--requests', c.requests, '--format', 'json']),
    'accounts json': await runCli(['accounts', '--root', c.accounts, '--format', 'json']),
    'accounts matrix': await runCli(['accounts', '--root', c.accounts, '--format', 'matrix']),
  };
}

describe('untrusted text stays inert in every CLI output', () => {
  it('the hostile corpus, through every output', async () => {
    const n = HOSTILE_STRINGS.length;
    const runs = await everyOutput(HOSTILE_STRINGS, true);
    for (const [what, run] of Object.entries(runs)) expectInert(run, what);
    // The outputs are the real ones, not errors: the valid configuration plans every role, and says what it read.
    expect(runs['plan text']!.code, runs['plan text']!.stderr).toBe(0);
    for (let i = 0; i < n; i++) expect(runs['plan text']!.stdout).toMatch(new RegExp(`^~ role deployer${i} will be updated in place`, "m"));
    expect(runs['validate (invalid)']!.code).toBe(1);
    expect(runs['validate (invalid)']!.stderr.split('\n').filter((l) => /: error: /.test(l)).length).toBeGreaterThanOrEqual(4 * n);
    expect(runs['accounts text']!.stdout, runs['accounts text']!.stderr).toContain(`${n} account folders:`);
    expect(runs['accounts (invalid)']!.code).toBe(1);
    expect(runs['accounts (invalid)']!.stderr.split('\n').filter((l) => /: error: invalid IAM path /.test(l)).length).toBe(HOSTILE_STRINGS.filter((s) => !/^\/[\x21-\x7e]+\/$/.test(`/${s}/`)).length);
    expect(JSON.parse(runs['plan json']!.stdout)).toMatchObject({ formatVersion: 1 });
    expect(JSON.parse(runs['accounts matrix']!.stdout).include).toHaveLength(n);
  }, 120_000);

  it('random strings, through the main outputs', async () => {
    const pieces = ['::', ':', '##[', ']', 'error', 'add-mask', ' ', '\t', '\u00a0', '\n', '\r', '\u2028', '\u0085', '\u001b', '[2J', '\u009b', '\u0007', '\u202e', 'a'];
    const strings = fc.oneof(fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 10 }).map((p) => p.join('')), fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }));
    await fc.assert(
      fc.asyncProperty(strings, async (s) => {
        for (const [what, run] of Object.entries(await everyOutput([s], false))) expectInert(run, `${what} of ${JSON.stringify(s)}`);
      }),
      { numRuns: 6, seed: 20261116 },
    );
  }, 120_000);

  it('apply: the plan it shows, the question it asks, its step log and its report', async () => {
    const emulator = await startEmulator(undefined);
    // (No CR in these: a description is the one raw text IAM stores, and its XML answer turns CR into LF.)
    for (const s of ['::error::forged \u001b[2J', '\u001b[1A\u001b[2KApply 0 steps? ##[add-mask]x\n::warning::y \u202e']) {
      const c = hostileConfig([s]);
      const questions: string[] = [];
      const declined = await runCli(['apply', '--manifests', c.valid, ...emulator.awsArgs], emulator.env, { ask: async (q) => (questions.push(q), 'no') });
      expectInert(declined, `apply declined, ${JSON.stringify(s)}`);
      expect(declined.stderr).toContain('Apply cancelled');
      expect(questions).toHaveLength(1);
      expect(rawControls(questions[0]!)).toEqual([]);
      const applied = await runCli(['apply', '--manifests', c.valid, ...emulator.awsArgs, '--auto-approve'], emulator.env);
      expectInert(applied, `apply, ${JSON.stringify(s)}`);
      expect(applied.stdout).toContain('role deployer');
    }
  }, 120_000);
});
