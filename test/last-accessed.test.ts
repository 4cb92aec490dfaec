/**
 * Services a principal may use but has not (issue 19 items 1 and 4): the emulator records usage and answers IAM's
 * last-accessed jobs as IAM does; `audit --aws --last-accessed` names exactly the allowed services unused in the window.
 */
import { GenerateServiceLastAccessedDetailsCommand, GetServiceLastAccessedDetailsCommand } from '@aws-sdk/client-iam';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { virtualClock } from './helpers/clock.js';
import { emulatorsClosedAfterEachTest, iamClientFor } from './helpers/emulator.js';
import { runCli } from './helpers/run-cli.js';
import { serviceCatalog } from '../tools/iam-emulator/usage.js';

const emulator = emulatorsClosedAfterEachTest();
const ACCOUNT = '123456789012';
const USER = `arn:aws:iam::${ACCOUNT}:user/app`;
const DAY = 24 * 3600_000;

function accountWith(actions: string[]): Record<string, unknown> {
  const document = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }, { Effect: 'Deny', Action: 'ec2:*', Resource: '*' }] };
  return {
    UserDetailList: [{ UserName: 'app', Path: '/', Arn: USER, UserPolicyList: [{ PolicyName: 'work', PolicyDocument: document }], GroupList: [], AttachedManagedPolicies: [] }],
    GroupDetailList: [],
    RoleDetailList: [],
    Policies: [],
  };
}

const client = iamClientFor;

async function postUsage(url: string, lines: object[]): Promise<Response> {
  return fetch(`${url}/_emulator/usage`, { method: 'POST', body: lines.map((l) => JSON.stringify(l)).join('\n') });
}

describe('the emulator answers last-accessed jobs as IAM does', () => {
  it('a job is IN_PROGRESS, then COMPLETED with every service the policies allow (Allow only), its last use, and tracked actions at ACTION_LEVEL; pages follow Marker', async () => {
    const clock = virtualClock(Date.parse('2026-12-01T00:00:00Z'));
    const e = await emulator(accountWith(['s3:GetObject', 's3:PutObject', 'dynamodb:GetItem', 'sqs:*']), { clock, consistencyDelayMs: 3_000 });
    expect((await postUsage(e.url, [{ principal: USER, action: 's3:GetObject', at: '2026-11-30T10:00:00Z' }, { principal: USER, action: 's3:PutObject', at: '2026-11-20T10:00:00Z' }, { principal: USER, action: 'dynamodb:GetItem', at: '2025-01-01T00:00:00Z' }])).status).toBe(200);
    expect((await postUsage(e.url, [{ principal: USER, action: 's3:GetObject', at: 'yesterday' }])).status).toBe(400);
    const iam = client(e.url);
    // A job completes once its delay has passed and its report is computed (naming services needs the catalog).
    await serviceCatalog();
    const { JobId } = await iam.send(new GenerateServiceLastAccessedDetailsCommand({ Arn: USER, Granularity: 'ACTION_LEVEL' }));
    expect((await iam.send(new GetServiceLastAccessedDetailsCommand({ JobId }))).JobStatus).toBe('IN_PROGRESS');
    await clock.sleep(3_000);
    const done = await iam.send(new GetServiceLastAccessedDetailsCommand({ JobId }));
    expect(done.JobStatus).toBe('COMPLETED');
    const services = done.ServicesLastAccessed!.map((s) => [s.ServiceNamespace, s.LastAuthenticated?.toISOString(), s.TrackedActionsLastAccessed?.map((a) => a.ActionName)]);
    // dynamodb was used more than 400 days before the job: outside IAM's tracking period.
    expect(services).toEqual([
      ['dynamodb', undefined, undefined],
      ['s3', '2026-11-30T10:00:00.000Z', ['GetObject', 'PutObject']],
      ['sqs', undefined, undefined],
    ]);
    const first = await iam.send(new GetServiceLastAccessedDetailsCommand({ JobId, MaxItems: 2 }));
    const rest = await iam.send(new GetServiceLastAccessedDetailsCommand({ JobId, MaxItems: 2, Marker: first.Marker }));
    expect([first.IsTruncated, first.ServicesLastAccessed!.length, rest.IsTruncated, rest.ServicesLastAccessed!.map((s) => s.ServiceNamespace)]).toEqual([true, 2, false, ['sqs']]);
    const refuse = async (p: Promise<unknown>): Promise<string> => p.then(() => 'ok', (x: { name: string }) => x.name);
    expect(await refuse(iam.send(new GenerateServiceLastAccessedDetailsCommand({ Arn: `arn:aws:iam::${ACCOUNT}:user/nobody` })))).toBe('NoSuchEntityException');
    expect(await refuse(iam.send(new GetServiceLastAccessedDetailsCommand({ JobId: 'no-such-job' })))).toBe('NoSuchEntityException');
    expect(await refuse(iam.send(new GenerateServiceLastAccessedDetailsCommand({ Arn: USER, Granularity: 'ROLE_LEVEL' as 'ACTION_LEVEL' })))).toBe('ValidationError');
  });
});

describe('audit --aws --last-accessed', () => {
  it('law: SERVICES_UNUSED names exactly the allowed services with no use in the window, on random usage', async () => {
    const now = Date.parse('2026-12-01T00:00:00Z');
    const allowed = ['s3', 'dynamodb', 'lambda', 'sqs', 'sns'];
    const actions: Record<string, string> = { s3: 's3:GetObject', dynamodb: 'dynamodb:GetItem', lambda: 'lambda:InvokeFunction', sqs: 'sqs:SendMessage', sns: 'sns:Publish' };
    const cases = fc.sample(fc.array(fc.record({ service: fc.constantFrom(...allowed), daysAgo: fc.integer({ min: 0, max: 300 }) }), { maxLength: 6 }), { numRuns: 4, seed: 20261205 });
    for (const usage of cases) {
      const clock = virtualClock(now);
      const e = await emulator(accountWith(Object.values(actions)), { clock });
      await postUsage(e.url, usage.map((u) => ({ principal: USER, action: actions[u.service], at: new Date(now - u.daysAgo * DAY).toISOString() })));
      const audit = await runCli(['audit', ...e.awsArgs, '--last-accessed', '--format', 'json', '--fail-on', 'never', '--now', new Date(now).toISOString()], e.env, { clock });
      expect(audit.code, audit.stderr).toBe(0);
      const found = (JSON.parse(audit.stdout) as { findings: { code: string; principal: string; targets?: string[] }[] }).findings.find((f) => f.code === 'SERVICES_UNUSED' && f.principal === USER);
      // The default window (90 days): a service is unused when no use is newer than that.
      const used = new Set(usage.filter((u) => u.daysAgo <= 90).map((u) => u.service));
      const expected = allowed.filter((s) => !used.has(s)).sort();
      expect(found?.targets ?? [], JSON.stringify(usage)).toEqual(expected);
      await e.close();
    }
  });

  it('needs --aws: with a snapshot it is refused before anything is read', async () => {
    const run = await runCli(['audit', '--state', 'example/live-snapshot.json', '--last-accessed']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error: --last-accessed needs --aws/);
  });
});
