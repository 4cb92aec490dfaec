/**
 * Hygiene from AWS (issue 19 item 1): the emulator answers the credential report and the account summary as IAM does
 * (states, errors, expiry), and `audit --aws` / `drift --aws` judge the account's credentials from them, in a few
 * calls, on the run's clock.
 */
import { CreateAccessKeyCommand, CreateLoginProfileCommand, CreateUserCommand, GenerateCredentialReportCommand, GetAccessKeyLastUsedCommand, GetAccountSummaryCommand, GetCredentialReportCommand, GetUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import { virtualClock } from './helpers/clock.js';
import { emulatorsClosedAfterEachTest, exampleSnapshotJson, iamClientFor } from './helpers/emulator.js';
import { runCli } from './helpers/run-cli.js';

const emulator = emulatorsClosedAfterEachTest();

const client = iamClientFor;

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'succeeded';
  } catch (e) {
    const x = e as { name: string; $metadata: { httpStatusCode: number } };
    return `${x.name} ${x.$metadata.httpStatusCode}`;
  }
}

describe('the emulator answers the credential report and the account summary as IAM does', () => {
  it('not present, then in progress until ready, then the CSV; expired after four hours; the summary counts the account and the root user', async () => {
    const clock = virtualClock();
    const e = await emulator(undefined, { clock, consistencyDelayMs: 5_000 });
    const iam = client(e.url);
    await iam.send(new CreateUserCommand({ UserName: 'dev' }));
    expect(await failure(iam.send(new GetCredentialReportCommand({})))).toBe('CredentialReportNotPresentException 410');
    expect((await iam.send(new GenerateCredentialReportCommand({}))).State).toBe('STARTED');
    expect((await iam.send(new GenerateCredentialReportCommand({}))).State).toBe('INPROGRESS');
    expect(await failure(iam.send(new GetCredentialReportCommand({})))).toBe('CredentialReportNotReadyException 404');
    await clock.sleep(5_000);
    const report = await iam.send(new GetCredentialReportCommand({}));
    const rows = Buffer.from(report.Content!).toString('utf8').split('\n');
    expect(rows[0]!.split(',').slice(0, 8)).toEqual(['user', 'arn', 'user_creation_time', 'password_enabled', 'password_last_used', 'password_last_changed', 'password_next_rotation', 'mfa_active']);
    expect(rows.slice(1).map((r) => r.split(',')[0])).toEqual(['<root_account>', 'dev', 'emulator-admin']);
    expect(report.ReportFormat).toBe('text/csv');
    expect((await iam.send(new GenerateCredentialReportCommand({}))).State).toBe('COMPLETE');
    await clock.sleep(4 * 3600_000);
    expect(await failure(iam.send(new GetCredentialReportCommand({})))).toBe('CredentialReportExpiredException 410');
    const summary = (await iam.send(new GetAccountSummaryCommand({}))).SummaryMap!;
    expect([summary['Users'], summary['AccountMFAEnabled'], summary['AccountAccessKeysPresent'], summary['AccessKeysPerUserQuota']]).toEqual([2, 1, 0, 2]);
    await fetch(`${e.url}/_emulator/root`, { method: 'POST', body: JSON.stringify({ mfa: false, accessKeys: 1 }) });
    const after = (await iam.send(new GetAccountSummaryCommand({}))).SummaryMap!;
    expect([after['AccountMFAEnabled'], after['AccountAccessKeysPresent']]).toEqual([0, 1]);
    expect((await fetch(`${e.url}/_emulator/root`, { method: 'POST', body: '{"accessKeys": 3}' })).status).toBe(400);
  });
});

describe('a key records its use', () => {
  it('a request signed with a key is its last use (GetAccessKeyLastUsed, the credential report); a used key is not unused, only old', async () => {
    const clock = virtualClock(Date.parse('2026-06-01T00:00:00Z'));
    const e = await emulator(exampleSnapshotJson(), { clock });
    const iam = client(e.url);
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'bob' }))).AccessKey!;
    expect((await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.AccessKeyId! }))).AccessKeyLastUsed).toEqual({ ServiceName: 'N/A', Region: 'N/A' });
    await clock.sleep(100 * 24 * 3600_000);
    const asBob = new IAMClient({ endpoint: e.url, region: 'us-east-1', credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }, maxAttempts: 1 });
    await asBob.send(new GetUserCommand({ UserName: 'bob' }));
    const used = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.AccessKeyId! }));
    expect([used.UserName, used.AccessKeyLastUsed?.LastUsedDate?.toISOString(), used.AccessKeyLastUsed?.ServiceName]).toEqual(['bob', new Date(clock.now()).toISOString(), 'iam']);
    expect(await failure(iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: 'AKIANOTINTHISACCOUNT' })))).toBe('AccessDenied 403');
    const audit = await runCli(['audit', ...e.awsArgs, '--format', 'json', '--fail-on', 'never', '--now', new Date(clock.now()).toISOString()], e.env, { clock });
    const bob = (JSON.parse(audit.stdout) as { findings: { code: string; principal: string }[] }).findings.filter((f) => f.principal.endsWith('user/people/bob') && f.code.startsWith('ACCESS_KEY'));
    expect(bob.map((f) => f.code)).toEqual(['ACCESS_KEY_NOT_ROTATED']);
  });
});

describe('audit --aws and drift --aws judge the account\'s credentials', () => {
  it('a console user without MFA who also has a key, an old key, root keys and no root MFA; three calls and polls on the run\'s clock', async () => {
    const clock = virtualClock(Date.parse('2026-06-01T00:00:00Z'));
    const e = await emulator(exampleSnapshotJson(), { clock, consistencyDelayMs: 2_000 });
    const iam = client(e.url);
    await iam.send(new CreateLoginProfileCommand({ UserName: 'alice', Password: 'Correct-Horse-9' }));
    await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }));
    await fetch(`${e.url}/_emulator/root`, { method: 'POST', body: JSON.stringify({ mfa: false, accessKeys: 1 }) });
    // Time passes: the key is now 120 days old and was never used.
    await clock.sleep(120 * 24 * 3600_000);
    await e.resetCalls();
    const audit = await runCli(['audit', ...e.awsArgs, '--format', 'json', '--fail-on', 'never', '--now', new Date(clock.now()).toISOString()], e.env, { clock });
    expect(audit.code, audit.stderr).toBe(0);
    const findings = (JSON.parse(audit.stdout) as { findings: { code: string; principal: string }[] }).findings;
    const hygiene = findings.filter((f) => ['ROOT_ACCESS_KEYS', 'ROOT_WITHOUT_MFA', 'CONSOLE_WITHOUT_MFA', 'CONSOLE_AND_ACCESS_KEYS', 'ACCESS_KEY_UNUSED', 'ACCESS_KEY_NOT_ROTATED'].includes(f.code));
    expect(hygiene.map((f) => `${f.code} ${f.principal.replace(/^arn:aws:iam::\d+:/, '')}`).sort()).toEqual([
      'ACCESS_KEY_UNUSED user/people/alice',
      'CONSOLE_AND_ACCESS_KEYS user/people/alice',
      'CONSOLE_WITHOUT_MFA user/people/alice',
      'ROOT_ACCESS_KEYS root',
      'ROOT_WITHOUT_MFA root',
    ]);
    const calls = (await (await fetch(`${e.url}/_emulator/calls`)).json()) as { byAction: Record<string, number> };
    expect([calls.byAction['GenerateCredentialReport'], calls.byAction['GetAccountSummary']]).toEqual([1, 1]);
    expect(calls.byAction['GetCredentialReport']).toBeGreaterThanOrEqual(2);
    // drift reports them too (apply cannot remove them), with the Account manifest's windows.
    const drift = await runCli(['drift', '--manifests', 'manifests', ...e.awsArgs, '--format', 'json', '--now', new Date(clock.now()).toISOString()], e.env, { clock });
    const driftFindings = (JSON.parse(drift.stdout) as { findings: { code: string; causes: string[] }[] }).findings;
    expect(driftFindings.filter((f) => f.code === 'ROOT_ACCESS_KEYS').map((f) => f.causes)).toEqual([["IAM's usage records (credential report, roles' last use)"]]);
  });

  it('a caller denied the report (read-only: iam:Get*, iam:List*) gets the other findings and a warning naming what was not judged; a snapshot says what it lacks', async () => {
    const snapshot = exampleSnapshotJson() as { UserDetailList: Record<string, unknown>[] };
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['iam:Get*', 'iam:List*'], Resource: '*' }, { Effect: 'Deny', Action: ['iam:GenerateCredentialReport'], Resource: '*' }] };
    snapshot.UserDetailList.push({ UserName: 'reader', Path: '/', Arn: 'arn:aws:iam::123456789012:user/reader', UserPolicyList: [{ PolicyName: 'read', PolicyDocument: policy }] });
    const e = await emulator(snapshot, { caller: 'arn:aws:iam::123456789012:user/reader', enforce: true });
    const audit = await runCli(['audit', ...e.awsArgs, '--format', 'json', '--fail-on', 'never'], e.env);
    expect(audit.code, audit.stderr).toBe(0);
    expect(audit.stderr).toMatch(/not read: the credential report \(iam:GenerateCredentialReport and iam:GetCredentialReport are denied to the caller\)/);
    const codes = (JSON.parse(audit.stdout) as { findings: { code: string }[] }).findings.map((f) => f.code);
    expect(codes).toContain('FULL_ADMIN');
    // GetAccountSummary is a Get: allowed, so the root user is still judged (the example's root has MFA, no keys).
    expect(codes.filter((c) => c.startsWith('ROOT_'))).toEqual([]);
    const fromFile = await runCli(['audit', '--state', 'example/live-snapshot.json', '--format', 'json', '--fail-on', 'never'], e.env);
    expect(fromFile.stderr).toMatch(/not read: .*the credential report and account summary \(a snapshot holds neither/);
  });
});
