/**
 * Account settings (issue 18 item 3): the Account manifest's password policy and alias. Laws: validate refuses exactly
 * what IAM (the emulator, held to the IAM API reference) refuses; apply through the SDK then plan has no changes; a
 * GAAD export holds neither setting, and a plan against one says so and changes nothing; `snapshot --aws` writes them
 * beside the GAAD keys; drift reports a changed policy; audit and plan report a policy weaker than CIS.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateAccountAliasCommand, DeleteAccountAliasCommand, DeleteAccountPasswordPolicyCommand, GetAccountPasswordPolicyCommand, ListAccountAliasesCommand, UpdateAccountPasswordPolicyCommand } from '@aws-sdk/client-iam';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { accountAliasProblem } from '../src/manifest/account-manifest.js';
import { manifestsFromFiles } from '../src/manifest/files-source.js';
import { validateManifests } from '../src/app/use-cases.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
import { importLiveState } from '../src/importer/live-to-manifests.js';
import { IamModel } from '../tools/iam-emulator/model.js';
import { createAccountAlias, updatePasswordPolicy } from '../tools/iam-emulator/account-settings.js';
import { IamError } from '../tools/iam-emulator/errors.js';
import { emulatorsClosedAfterEachTest, exampleSnapshotJson, iamClientFor, refusalOf } from './helpers/emulator.js';
import { editedExample, exampleSnapshot, importOptions, NOW, planFiles } from './helpers/example.js';
import { PROJECT_ROOT } from './helpers/fixtures.js';
import { runCli } from './helpers/run-cli.js';
import { stringify } from 'yaml';
import { planChanges } from '../src/app/use-cases.js';
import { executeSteps } from '../src/apply/execute.js';
import { scheduleSteps } from '../src/apply/steps.js';
import { DEFAULT_PASSWORD_POLICY } from '../src/core/state.js';
import { AwsIamWriter } from '../src/live/aws/aws-iam-writer.js';
import { AwsLiveReader } from '../src/live/aws/aws-live-reader.js';
import { createAwsClients } from '../src/live/aws/connection.js';
import { CREDENTIALS_ENV } from './helpers/emulator.js';

const emulator = emulatorsClosedAfterEachTest();
const tmp = mkdtempSync(join(tmpdir(), 'iam-gitops-account-settings-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CIS = 'passwordPolicy:\n  minimumPasswordLength: 14\n  passwordReusePrevention: 24\n  requireSymbols: true\n  allowUsersToChangePassword: true\n';
const withAccount = (extra: string): Map<string, string> => editedExample('account.yaml', (t) => `${t.replace(/^passwordPolicy:[\s\S]*$/m, '')}${extra}`);

async function validateText(accountYaml: string): Promise<{ summary: string; line?: number }[]> {
  const files = editedExample('account.yaml', () => accountYaml);
  const result = await validateManifests(manifestsFromFiles('manifests', 'manifests', files));
  return result.diagnostics.filter((d) => d.severity === 'error').map((d) => ({ summary: d.summary, ...(d.at ? { line: d.at.line } : {}) }));
}

/** The example manifests in a folder of their own, with the Account's settings replaced by `extra`. */
function folderWith(name: string, extra: string): string {
  const dir = join(tmp, name);
  cpSync(join(PROJECT_ROOT, 'manifests'), dir, { recursive: true });
  const text = readFileSync(join(dir, 'account.yaml'), 'utf8');
  writeFileSync(join(dir, 'account.yaml'), `${text.replace(/^passwordPolicy:[\s\S]*$/m, '')}${extra}`);
  return dir;
}

describe('validate refuses what IAM refuses', () => {
  it('an alias is valid exactly when the emulator (CreateAccountAlias rules) accepts it', () => {
    const alias = fc.oneof(fc.stringMatching(/^[a-z0-9-]{0,66}$/), fc.stringMatching(/^[a-zA-Z0-9_.-]{1,8}$/), fc.constantFrom('ab', 'abc', 'a-b', 'a--b', '-ab', 'ab-', 'a'.repeat(63), 'a'.repeat(64), 'Prod', 'x_y'));
    fc.assert(
      fc.property(alias, (a) => {
        const model = new IamModel({ account: '123456789012' });
        let accepted = true;
        try {
          createAccountAlias(model, a);
        } catch (e) {
          if (!(e instanceof IamError) || e.code !== 'ValidationError') throw e;
          accepted = false;
        }
        expect(accountAliasProblem(a) === undefined, a).toBe(accepted);
      }),
      { numRuns: 400 },
    );
  });

  it('every numeric setting: in range exactly when the emulator (UpdateAccountPasswordPolicy) accepts it', async () => {
    const ranges: [string, number, number][] = [['minimumPasswordLength', 6, 128], ['maxPasswordAge', 1, 1095], ['passwordReusePrevention', 1, 24]];
    for (const [setting, min, max] of ranges) {
      for (const value of [min - 1, min, max, max + 1, 0]) {
        let accepted = true;
        try {
          updatePasswordPolicy(new IamModel({ account: '123456789012' }), { [setting]: value });
        } catch {
          accepted = false;
        }
        const errors = await validateText(`kind: Account\nid: "123456789012"\npasswordPolicy:\n  ${setting}: ${value}\n`);
        expect(errors.length === 0, `${setting}: ${value}`).toBe(accepted);
        if (!accepted) expect(errors[0]!.line, `${setting}: ${value}`).toBe(4);
      }
    }
  });

  it('names the place and the rule; a deleted policy with settings and a misspelt setting are errors', async () => {
    expect(await validateText('kind: Account\nid: "123456789012"\nalias: Example--Prod\n')).toEqual([{ summary: 'invalid account alias "Example--Prod": an alias holds only lowercase letters, digits and hyphens', line: 3 }]);
    expect(await validateText('kind: Account\nid: "123456789012"\npasswordPolicy:\n  deleted: true\n  minimumPasswordLength: 14\n')).toEqual([{ summary: 'a deleted password policy also sets minimumPasswordLength', line: 4 }]);
    const misspelt = await validateText('kind: Account\nid: "123456789012"\npasswordPolicy:\n  minimumLength: 14\n');
    expect(misspelt).toHaveLength(1);
    expect(misspelt[0]!.line).toBe(4);
    expect(await validateText(`kind: Account\nid: "123456789012"\nalias: null\n${CIS}`)).toEqual([]);
  });
});

describe('plan', () => {
  it('against a GAAD export (no settings): says they could not be compared, changes nothing', async () => {
    const plan = await planFiles(withAccount(`${CIS}alias: example-prod\n`));
    expect(plan.changes.filter((c) => c.kind === 'account')).toEqual([]);
    const warned = plan.diagnostics.find((d) => d.summary.includes('could not be compared'));
    expect(warned?.summary).toBe('the password policy and the account alias could not be compared: snapshot.json does not hold them');
    expect(warned?.at?.file).toBe('manifests/account.yaml');
  });

  it('against a snapshot holding them: one account update, every setting listed when the policy changes; absent is not managed', async () => {
    const snapshot = { ...exampleSnapshot(), PasswordPolicy: { MinimumPasswordLength: 8, RequireSymbols: true, ExpirePasswords: false }, AccountAliases: ['old-name'] };
    const plan = await planFiles(withAccount(`${CIS}alias: example-prod\n`), snapshot);
    const account = plan.changes.filter((c) => c.kind === 'account');
    expect(account.map((c) => [c.action, c.name, c.arn])).toEqual([['update', '123456789012', 'arn:aws:iam::123456789012:root']]);
    const changed = account[0]!.details.filter((d) => d.field !== 'passwordPolicy' || d.before !== d.after);
    expect(changed).toEqual([
      { field: 'passwordPolicy', setting: 'minimumPasswordLength', before: 8, after: 14 },
      { field: 'passwordPolicy', setting: 'allowUsersToChangePassword', before: false, after: true },
      { field: 'passwordPolicy', setting: 'passwordReusePrevention', before: 0, after: 24 },
      { field: 'accountAlias', before: 'old-name', after: 'example-prod' },
    ]);
    expect(account[0]!.details.filter((d) => d.field === 'passwordPolicy')).toHaveLength(9);
    // The same live settings, not managed: no change, no warning.
    const unmanaged = await planFiles(withAccount(''), snapshot);
    expect(unmanaged.changes.filter((c) => c.kind === 'account')).toEqual([]);
    // A weakened policy is a finding the plan introduces; a fixed one, removed.
    const weakened = await planFiles(withAccount('passwordPolicy:\n  minimumPasswordLength: 10\n'), { ...snapshot, PasswordPolicy: { MinimumPasswordLength: 14, PasswordReusePrevention: 24 } });
    expect(weakened.findings.filter((f) => f.code === 'PASSWORD_POLICY_WEAK').map((f) => [f.change, f.summary])).toEqual([['introduced', 'the account password policy is weaker than the CIS AWS Foundations Benchmark: minimum length 10 (CIS: 14 or more), password reuse allowed (CIS: the last 24 passwords)']]);
    expect(plan.findings.filter((f) => f.code === 'PASSWORD_POLICY_WEAK').map((f) => f.change)).toEqual(['removed']);
  });

  it('import from a snapshot holding them writes them; the plan of the import has no changes', async () => {
    const snapshot = { ...exampleSnapshot(), PasswordPolicy: { MinimumPasswordLength: 14, PasswordReusePrevention: 24, MaxPasswordAge: 90, ExpirePasswords: true, HardExpiry: false }, AccountAliases: ['example-prod'] };
    const live = parseSnapshot('snapshot.json', JSON.stringify(snapshot));
    const imported = importLiveState(live, await importOptions());
    const account = [...imported.files].find(([path]) => path === 'account.yaml')![1];
    expect(account).toContain('passwordPolicy:\n  minimumPasswordLength: 14\n  maxPasswordAge: 90\n  passwordReusePrevention: 24\nalias: example-prod\n');
    const plan = await planFiles(new Map([...imported.files].map(([p, t]) => [`manifests/${p}`, t])), snapshot);
    expect(plan.changes).toEqual([]);
    const none = importLiveState(parseSnapshot('s.json', JSON.stringify({ ...exampleSnapshot(), PasswordPolicy: null, AccountAliases: [] })), await importOptions());
    expect([...none.files].find(([path]) => path === 'account.yaml')![1]).toContain('passwordPolicy:\n  deleted: true\nalias: null\n');
  });
});

describe('the emulator answers as IAM does (through the SDK)', () => {
  it('password policy: NoSuchEntity when none, ranges refused, omitted parameters take their defaults, delete', async () => {
    const e = await emulator(undefined);
    const iam = iamClientFor(e.url);
    expect(await refusalOf(iam, new GetAccountPasswordPolicyCommand({}))).toBe('NoSuchEntity 404: The Password Policy with domain name 123456789012 cannot be found.');
    expect(await refusalOf(iam, new DeleteAccountPasswordPolicyCommand({}))).toMatch(/^NoSuchEntity 404/);
    expect(await refusalOf(iam, new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 5 }))).toBe("ValidationError 400: 1 validation error detected: Value '5' at 'minimumPasswordLength' failed to satisfy constraint: Member must have value greater than or equal to 6");
    expect(await refusalOf(iam, new UpdateAccountPasswordPolicyCommand({ PasswordReusePrevention: 0 }))).toMatch(/^ValidationError 400: .*passwordReusePrevention/);
    expect(await refusalOf(iam, new UpdateAccountPasswordPolicyCommand({ MaxPasswordAge: 1096 }))).toMatch(/^ValidationError 400: .*maxPasswordAge/);
    await iam.send(new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 14, RequireNumbers: true, PasswordReusePrevention: 24 }));
    expect((await iam.send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy).toEqual({ MinimumPasswordLength: 14, RequireSymbols: false, RequireNumbers: true, RequireUppercaseCharacters: false, RequireLowercaseCharacters: false, AllowUsersToChangePassword: false, ExpirePasswords: false, PasswordReusePrevention: 24, HardExpiry: false });
    // No partial update: a second call without PasswordReusePrevention resets it.
    await iam.send(new UpdateAccountPasswordPolicyCommand({ MaxPasswordAge: 90 }));
    expect((await iam.send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy).toMatchObject({ MinimumPasswordLength: 6, RequireNumbers: false, ExpirePasswords: true, MaxPasswordAge: 90 });
    expect((await iam.send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy?.PasswordReusePrevention).toBeUndefined();
    await iam.send(new DeleteAccountPasswordPolicyCommand({}));
    expect(await refusalOf(iam, new GetAccountPasswordPolicyCommand({}))).toMatch(/^NoSuchEntity 404/);
  });

  it('alias: the pattern and length, one per account, delete of an alias it does not have', async () => {
    const e = await emulator(undefined);
    const iam = iamClientFor(e.url);
    expect(await refusalOf(iam, new CreateAccountAliasCommand({ AccountAlias: 'ab' }))).toMatch(/^ValidationError 400: .*greater than or equal to 3/);
    expect(await refusalOf(iam, new CreateAccountAliasCommand({ AccountAlias: 'a--b' }))).toMatch(/^ValidationError 400: .*regular expression pattern/);
    expect(await refusalOf(iam, new CreateAccountAliasCommand({ AccountAlias: 'example-prod' }))).toBe('no error');
    expect(await refusalOf(iam, new CreateAccountAliasCommand({ AccountAlias: 'example-prod' }))).toMatch(/^EntityAlreadyExists 409/);
    expect(await refusalOf(iam, new CreateAccountAliasCommand({ AccountAlias: 'example-other' }))).toMatch(/^LimitExceeded 409/);
    expect((await iam.send(new ListAccountAliasesCommand({}))).AccountAliases).toEqual(['example-prod']);
    expect(await refusalOf(iam, new DeleteAccountAliasCommand({ AccountAlias: 'example-other' }))).toMatch(/^NoSuchEntity 404/);
    await iam.send(new DeleteAccountAliasCommand({ AccountAlias: 'example-prod' }));
    expect((await iam.send(new ListAccountAliasesCommand({}))).AccountAliases).toEqual([]);
  });
});

describe('law: apply through the SDK, then plan, has no account changes (random settings on both sides)', () => {
  const policy = fc.record(
    {
      minimumPasswordLength: fc.integer({ min: 6, max: 128 }),
      requireSymbols: fc.boolean(),
      requireNumbers: fc.boolean(),
      requireUppercaseCharacters: fc.boolean(),
      requireLowercaseCharacters: fc.boolean(),
      allowUsersToChangePassword: fc.boolean(),
      maxPasswordAge: fc.integer({ min: 1, max: 1095 }),
      passwordReusePrevention: fc.integer({ min: 1, max: 24 }),
      hardExpiry: fc.boolean(),
    },
    { requiredKeys: [] },
  );
  const side = fc.record({ policy: fc.option(policy, { nil: null }), alias: fc.option(fc.constantFrom('acme-prod', 'acme-prod-2', 'a1b', 'x'.repeat(63)), { nil: null }) });

  it('whatever the account had and the manifest asks for', async () => {
    const e = await emulator(undefined);
    const iam = iamClientFor(e.url);
    const reader = new AwsLiveReader(createAwsClients({ endpoint: e.url, env: CREDENTIALS_ENV }));
    const writer = new AwsIamWriter(createAwsClients({ endpoint: e.url, env: CREDENTIALS_ENV }), { account: '123456789012', untouchable: () => undefined });
    const planAccount = async (manifest: string) => {
      const result = await planChanges(manifestsFromFiles('manifests', 'manifests', new Map([['manifests/account.yaml', manifest]])), reader, NOW);
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      return result.plan!;
    };
    await fc.assert(
      fc.asyncProperty(side, side, async (had, wanted) => {
        // The account as it was: set through the SDK, as someone at the console would.
        await iam.send(new DeleteAccountPasswordPolicyCommand({})).catch(() => undefined);
        for (const alias of (await iam.send(new ListAccountAliasesCommand({}))).AccountAliases ?? []) await iam.send(new DeleteAccountAliasCommand({ AccountAlias: alias }));
        if (had.policy) await iam.send(new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: had.policy.minimumPasswordLength, RequireSymbols: had.policy.requireSymbols, MaxPasswordAge: had.policy.maxPasswordAge, PasswordReusePrevention: had.policy.passwordReusePrevention, HardExpiry: had.policy.hardExpiry }));
        if (had.alias) await iam.send(new CreateAccountAliasCommand({ AccountAlias: had.alias }));
        const manifest = stringify({ kind: 'Account', id: '123456789012', passwordPolicy: wanted.policy ?? { deleted: true }, alias: wanted.alias });
        const plan = await planAccount(manifest);
        const outcome = await executeSteps(scheduleSteps(plan), writer, { concurrency: 1 });
        expect(outcome.failed).toEqual([]);
        const again = await planAccount(manifest);
        expect(again.changes).toEqual([]);
        // What IAM holds is what the manifest says, every setting (absent: IAM's default).
        const live = (await reader.read()).state.settings;
        expect(live).toEqual({ passwordPolicy: wanted.policy ? { ...DEFAULT_PASSWORD_POLICY, ...wanted.policy } : null, alias: wanted.alias });
      }),
      { numRuns: 25 },
    );
  });
});

describe('apply through the SDK, read back, re-plan, drift, audit, snapshot', () => {
  it('sets the policy and alias, reads them back, plans no changes; drift reports a policy changed outside git; deleting them works', async () => {
    const e = await emulator(exampleSnapshotJson());
    const iam = iamClientFor(e.url);
    const managed = folderWith('managed', `${CIS}alias: example-prod\n`);
    const first = await runCli(['apply', ...e.awsArgs, '--manifests', managed, '--auto-approve'], e.env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/set the account password policy \(minimumPasswordLength 14, requireSymbols true, allowUsersToChangePassword true, passwordReusePrevention 24\) ok/);
    expect(first.stdout).toMatch(/create the account alias example-prod ok/);
    expect((await iam.send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy).toMatchObject({ MinimumPasswordLength: 14, RequireSymbols: true, AllowUsersToChangePassword: true, PasswordReusePrevention: 24, ExpirePasswords: false });
    expect((await iam.send(new ListAccountAliasesCommand({}))).AccountAliases).toEqual(['example-prod']);
    const again = await runCli(['plan', ...e.awsArgs, '--manifests', managed, '--detailed-exitcode'], e.env);
    expect(again.code, again.stdout).toBe(0);

    // Someone weakens the policy in the console.
    await iam.send(new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 8 }));
    const drift = await runCli(['drift', ...e.awsArgs, '--manifests', managed, '--format', 'json'], e.env);
    expect(drift.code).toBe(2);
    const report = JSON.parse(drift.stdout) as { changes: { kind: string; details: { setting?: string; before: unknown; after: unknown }[] }[]; findings: { code: string; change: string }[] };
    const account = report.changes.find((c) => c.kind === 'account')!;
    expect(account.details.filter((d) => d.before !== d.after).map((d) => [d.setting, d.before, d.after])).toEqual([
      ['minimumPasswordLength', 8, 14],
      ['requireSymbols', false, true],
      ['allowUsersToChangePassword', false, true],
      ['passwordReusePrevention', 0, 24],
    ]);
    expect(report.findings.filter((f) => f.code === 'PASSWORD_POLICY_WEAK').map((f) => f.change)).toEqual(['introduced']);
    const audit = await runCli(['audit', ...e.awsArgs, '--format', 'json', '--fail-on', 'never'], e.env);
    expect(audit.code, audit.stderr).toBe(0);
    expect(audit.stdout).toContain('PASSWORD_POLICY_WEAK');

    // snapshot --aws: the settings as added keys beside the GAAD ones; --state reads them back to the same plan.
    const file = join(tmp, 'snapshot.json');
    const snap = await runCli(['snapshot', ...e.awsArgs, '--out', file], e.env);
    expect(snap.code, snap.stderr).toBe(0);
    const written = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(written)).toEqual(['UserDetailList', 'GroupDetailList', 'RoleDetailList', 'Policies', 'PasswordPolicy', 'AccountAliases', 'OpenIDConnectProviderList', 'SAMLProviderList']);
    expect(written['AccountAliases']).toEqual(['example-prod']);
    const fromFile = await runCli(['plan', '--state', file, '--manifests', managed, '--format', 'json'], e.env);
    expect((JSON.parse(fromFile.stdout) as { changes: { kind: string }[] }).changes.filter((c) => c.kind === 'account')).toHaveLength(1);

    const removed = folderWith('removed', 'passwordPolicy:\n  deleted: true\nalias: null\n');
    const deleted = await runCli(['apply', ...e.awsArgs, '--manifests', removed, '--auto-approve'], e.env);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(await refusalOf(iam, new GetAccountPasswordPolicyCommand({}))).toMatch(/^NoSuchEntity 404/);
    expect((await iam.send(new ListAccountAliasesCommand({}))).AccountAliases).toEqual([]);
    expect((await runCli(['plan', ...e.awsArgs, '--manifests', removed, '--detailed-exitcode'], e.env)).code).toBe(0);
  });
});

describe('a source without the password policy says it was not judged', () => {
  it('audit against a GAAD export warns that PASSWORD_POLICY_WEAK was not judged; with the key it judges, and says nothing', async () => {
    const { auditAccount } = await import('../src/app/use-cases.js');
    const { snapshotReader } = await import('./helpers/example.js');
    const blind = await auditAccount(snapshotReader(exampleSnapshot()), undefined, new Date(NOW));
    expect(blind.diagnostics.map((d) => d.summary)).toContain('the password policy was not judged: snapshot.json does not hold it');
    expect((blind.findings ?? []).map((f) => f.code)).not.toContain('PASSWORD_POLICY_WEAK');
    const weak = await auditAccount(snapshotReader({ ...exampleSnapshot(), PasswordPolicy: { MinimumPasswordLength: 8 } }), undefined, new Date(NOW));
    expect(weak.diagnostics.map((d) => d.summary).filter((s) => s.includes('password policy'))).toEqual([]);
    expect((weak.findings ?? []).map((f) => f.code)).toContain('PASSWORD_POLICY_WEAK');
  });
});
