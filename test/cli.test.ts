/** The command line as users and CI meet it: exit codes, formats, colour, and errors without stack traces. */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { main } from '../cmd/cli.js';
import { manifestJsonSchema } from '../src/manifest/schema.js';
import { PROJECT_ROOT } from './helpers/fixtures.js';
import { runCli } from './helpers/run-cli.js';

const EXAMPLE = ['--manifests', 'manifests', '--state', 'example/live-snapshot.json'];
const tmp = mkdtempSync(join(tmpdir(), 'iam-gitops-cli-'));

describe('plan exit codes', () => {
  it('exits 0 with changes by default, 2 with --detailed-exitcode, 0 when nothing changes', async () => {
    expect((await runCli(['plan', ...EXAMPLE])).code).toBe(0);
    expect((await runCli(['plan', ...EXAMPLE, '--detailed-exitcode'])).code).toBe(2);
    const none = await runCli(['plan', '--manifests', 'test/golden/plan/canonical-no-change/manifests', '--state', 'test/golden/plan/canonical-no-change/snapshot.json', '--detailed-exitcode']);
    expect(none.code).toBe(0);
  });

  it('exits 1 with a message and no stack trace for a missing snapshot, a bad flag or a bad format', async () => {
    const missing = await runCli(['plan', '--manifests', 'manifests', '--state', 'nope.json']);
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toMatch(/^error: snapshot "nope.json" \(--state\) does not exist\n/);
    const flag = await runCli(['plan', ...EXAMPLE, '--formt', 'json']);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toContain("unknown option '--formt'");
    const format = await runCli(['plan', ...EXAMPLE, '--format', 'yaml']);
    expect(format.code).toBe(1);
    expect(format.stderr).toContain('Allowed choices are text, json, markdown');
    for (const run of [missing, flag, format]) expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 1 for a snapshot that is not JSON, naming the place', async () => {
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, '{"UserDetailList": [}');
    const run = await runCli(['plan', '--manifests', 'manifests', '--state', bad]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/bad\.json:1:\d+: error: snapshot is not valid JSON/);
  });
});

describe('import of an empty account', () => {
  it('refuses a snapshot that names no account, and writes nothing', async () => {
    const empty = join(tmp, 'empty.json');
    writeFileSync(empty, JSON.stringify({ UserDetailList: [], GroupDetailList: [], RoleDetailList: [], Policies: [] }));
    const run = await runCli(['import', '--state', empty, '--out', join(tmp, 'nothing')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('cannot tell the account of');
    expect(existsSync(join(tmp, 'nothing'))).toBe(false);
  });
});

describe('internal errors', () => {
  it('print one line and a hint, and the stack trace only with --debug', async () => {
    const failing = (args: string[]) => {
      let stderr = '';
      return main(args, { stdout: () => { throw new Error('stdout closed'); }, stderr: (t) => { stderr += t; }, stdoutIsTty: false, env: {} }).then((code) => ({ code, stderr }));
    };
    const plain = await failing(['validate']);
    expect(plain).toEqual({ code: 1, stderr: 'iam-gitops: internal error: stdout closed\nRun again with --debug for the stack trace, and please report it.\n' });
    const debug = await failing(['--debug', 'validate']);
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/internal error: stdout closed\nError: stdout closed\n\s+at /);
  });
});

describe('plan output', () => {
  it('prints the JSON contract, with the plan bound to the live fingerprint', async () => {
    const run = await runCli(['plan', ...EXAMPLE, '--format', 'json']);
    const plan = JSON.parse(run.stdout);
    expect(Object.keys(plan).slice(0, 7)).toEqual(['formatVersion', 'account', 'changes', 'unmanaged', 'access', 'trust', 'findings']);
    expect(plan.live.fingerprint).toMatch(/^sha256:/);
    expect(plan.changes.map((c: { action: string; kind: string; name: string }) => `${c.action} ${c.kind} ${c.name}`)).toEqual([
      'update policy deploy-lambda',
      'update group developers',
      'update role github-deploy',
      'update user bob',
      'create user carol',
      'delete role legacy-batch',
    ]);
  });

  it('writes to --out and says so', async () => {
    const out = join(tmp, 'plans/plan.md');
    const run = await runCli(['plan', ...EXAMPLE, '--format', 'markdown', '--out', out]);
    expect(run.stdout).toBe(`Plan written to ${out}: 1 to create, 4 to update, 1 to delete.\n`);
    const markdown = readFileSync(out, 'utf8');
    expect(markdown).toMatch(/^<!-- iam-gitops:plan:manifests -->\n### 🔀 iam-gitops: mixed · account <code>123456789012<\/code>/);
    expect(markdown).toContain('| 🟢 create | user | <code>carol</code> |');
  });

  it('colours only for a terminal, never with NO_COLOR or --no-color; FORCE_COLOR forces it', async () => {
    expect((await runCli(['plan', ...EXAMPLE])).stdout).not.toContain('\u001b[');
    expect((await runCli(['plan', ...EXAMPLE], { FORCE_COLOR: '1' })).stdout).toContain('\u001b[');
    expect((await runCli(['--no-color', 'plan', ...EXAMPLE], { FORCE_COLOR: '1' })).stdout).not.toContain('\u001b[');
  });
});

describe('schema', () => {
  it('the published JSON Schema is up to date (regenerate with npm run schema)', () => {
    const published = JSON.parse(readFileSync(join(PROJECT_ROOT, 'schema/manifest.schema.json'), 'utf8'));
    expect(published).toEqual(manifestJsonSchema());
  });

  it('describes every kind', () => {
    const schema = manifestJsonSchema() as { oneOf?: { properties: { kind: { const: string } } }[]; anyOf?: unknown[] };
    const kinds = (schema.oneOf ?? []).map((s) => s.properties.kind.const);
    expect(kinds.sort()).toEqual(['Account', 'Boundary', 'Group', 'OpenIDConnectProvider', 'Policy', 'Role', 'SAMLProvider', 'User']);
  });
});

describe('the installed command', () => {
  it('runs from bin/ as npm links it (built by the prepare script)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(PROJECT_ROOT, 'bin/iam-gitops.js'), 'validate'], { cwd: PROJECT_ROOT });
    expect(stdout).toBe('manifests is valid: account 123456789012, 3 users, 2 groups, 2 roles, 3 policies, 1 marked deleted.\n');
  });
});
