/**
 * The lockout guard and conditions. Law: a Deny that can apply to the operator's own requests is assumed to apply.
 * A condition on a key whose value varies per request (aws:SourceIp, aws:ViaAWSService, aws:SecureTransport,
 * aws:RequestedRegion, aws:CurrentTime, aws:EpochTime, aws:UserAgent, ...) may hold for apply's requests, so a new
 * Deny under one is a lockout whatever the operator and values; a condition both states share changes nothing; keys
 * whose value the state tells (aws:PrincipalArn, aws:username, aws:PrincipalTag/...) are judged exactly. Random
 * operators and values in process; one plan refused through the CLI against the emulator.
 */
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APPLY_PERMISSIONS, lockoutRisks } from '../src/apply/lockout.js';
import type { IamState } from '../src/core/state.js';
import { emulatorsClosedAfterEachTest, exampleSnapshotJson } from './helpers/emulator.js';
import { PROJECT_ROOT } from './helpers/fixtures.js';
import { snapshotReader } from './helpers/example.js';
import { chance, pick, seededRandom, type Random } from './helpers/random-account.js';
import { runCli } from './helpers/run-cli.js';

type Json = Record<string, unknown>;
const SEED = Number(process.env['LAW_SEED'] ?? 20261218);
const OPS = 'arn:aws:iam::123456789012:user/ops';
const OPTIONS = { isWildcardOnlyAction: () => false };
const emulator = emulatorsClosedAfterEachTest();

/** An account whose user `ops` (tagged team=ops) has the given inline policy statements. */
async function stateWith(statements: readonly Json[]): Promise<IamState> {
  const snapshot = {
    UserDetailList: [{ UserName: 'ops', Path: '/', Arn: OPS, Tags: [{ Key: 'team', Value: 'ops' }], UserPolicyList: [{ PolicyName: 'own', PolicyDocument: { Version: '2012-10-17', Statement: statements } }] }],
    GroupDetailList: [],
    RoleDetailList: [],
    Policies: [],
  };
  return (await snapshotReader(snapshot).read()).state;
}

const guard = (before: IamState, after: IamState) => lockoutRisks({ before, after, steps: [], trust: [], caller: OPS, protected: [], managedPaths: ['/'], options: OPTIONS });
const ALLOW_ALL = { Effect: 'Allow', Action: '*', Resource: '*' };

/** Keys a request carries with a value the guard cannot know before the request is made. */
const REQUEST_KEYS: Record<string, 'ip' | 'bool' | 'date' | 'number' | 'string' | 'arn'> = {
  'aws:SourceIp': 'ip',
  'aws:ViaAWSService': 'bool',
  'aws:SecureTransport': 'bool',
  'aws:RequestedRegion': 'string',
  'aws:CurrentTime': 'date',
  'aws:EpochTime': 'number',
  'aws:UserAgent': 'string',
  'aws:MultiFactorAuthPresent': 'bool',
  'aws:MultiFactorAuthAge': 'number',
  'aws:TokenIssueTime': 'date',
  'aws:SourceVpc': 'string',
  'aws:userid': 'string',
  'aws:PrincipalOrgID': 'string',
  'aws:CalledVia': 'string',
  'aws:RequestTag/owner': 'string',
  'iam:PolicyARN': 'arn',
  'iam:PermissionsBoundary': 'arn',
};

const OPERATORS: Record<string, readonly string[]> = {
  ip: ['IpAddress', 'NotIpAddress'],
  bool: ['Bool'],
  date: ['DateEquals', 'DateNotEquals', 'DateLessThan', 'DateLessThanEquals', 'DateGreaterThan', 'DateGreaterThanEquals'],
  number: ['NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals'],
  string: ['StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike'],
  arn: ['ArnEquals', 'ArnNotEquals', 'ArnLike', 'ArnNotLike', 'StringEquals', 'StringNotLike'],
};

function randomValue(random: Random, type: string): string {
  switch (type) {
    case 'ip':
      return pick(random, ['10.0.0.0/8', '203.0.113.7/32', '0.0.0.0/0', '2001:db8::/32', '192.168.1.1']);
    case 'bool':
      return pick(random, ['true', 'false']);
    case 'date':
      return pick(random, ['2020-01-01T00:00:00Z', '2030-06-30T12:00:00Z', '2026-11-29T12:00:00Z']);
    case 'number':
      return String(Math.floor(random() * 10 ** pick(random, [1, 4, 10])));
    case 'arn':
      return pick(random, ['arn:aws:iam::123456789012:policy/boundary', 'arn:aws:iam::*:policy/*', 'arn:aws:iam::aws:policy/AdministratorAccess']);
    default:
      return pick(random, ['us-east-1', 'eu-*', 'aws-cli/*', 'o-abc123', '*', '', 'ops']);
  }
}

/** A condition block of 1 to 3 entries over per-request keys, with random operators (IfExists and set forms too). */
function randomCondition(random: Random): { block: Json; keys: string[] } {
  const block: Record<string, Json> = {};
  const keys: string[] = [];
  for (let i = 0; i < 1 + Math.floor(random() * 3); i++) {
    const key = pick(random, Object.keys(REQUEST_KEYS));
    const type = REQUEST_KEYS[key]!;
    let operator = chance(random, 0.15) ? 'Null' : pick(random, OPERATORS[type]!);
    if (operator !== 'Null' && chance(random, 0.3)) operator += 'IfExists';
    if (operator !== 'Null' && type === 'string' && chance(random, 0.2)) operator = `${pick(random, ['ForAnyValue', 'ForAllValues'])}:${operator}`;
    const values = operator === 'Null' ? pick(random, ['true', 'false']) : Array.from({ length: 1 + Math.floor(random() * 2) }, () => randomValue(random, type));
    block[operator] = { ...block[operator], [key]: values };
    keys.push(key);
  }
  return { block, keys };
}

const applyActions = Object.values(APPLY_PERMISSIONS).flat();

describe('a Deny that can apply to apply\'s own requests is assumed to apply (law on random conditions)', () => {
  it(`a new Deny over per-request keys is a lockout, whatever the operators and values; the same Deny before and after is not (seed ${SEED})`, async () => {
    const random = seededRandom(SEED);
    for (let run = 0; run < 150; run++) {
      const { block, keys } = randomCondition(random);
      const deny = { Effect: 'Deny', Action: pick(random, ['*', 'iam:*', 'iam:Create*', 'iam:Get*', pick(random, applyActions)]), Resource: '*', Condition: block };
      // Before: allowed everything, perhaps only under a per-request condition of its own (from the office, say).
      const allow = chance(random, 0.3) ? { ...ALLOW_ALL, Condition: randomCondition(random).block } : ALLOW_ALL;
      const before = await stateWith([allow]);
      const after = await stateWith([allow, deny]);
      const risks = guard(before, after);
      expect(risks.map((r) => r.principal), `run ${run}: ${JSON.stringify(deny)} with ${JSON.stringify(allow)}`).toEqual([OPS]);
      expect(risks[0]!.statements.join('\n'), `run ${run}`).toContain(`after: denied by user ops: inline policy own, statement 1, under a condition on ${[...new Set(keys)].sort().join(', ')}, which may hold for apply's own requests`);
      // A condition both states share decides alike on both sides: nothing is lost (with something else changed, so
      // that the guard judges the conditions rather than seeing the same policies).
      const unrelated = { Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::bucket-${run}/*` };
      expect(guard(after, await stateWith([allow, deny, unrelated])), `run ${run}`).toEqual([]);
      expect(guard(before, await stateWith([allow, unrelated])), `run ${run}`).toEqual([]);
    }
  });

  it('an Allow made conditional on a per-request key is a loss; an unconditional Deny elsewhere is judged as before', async () => {
    const random = seededRandom(SEED + 1);
    for (let run = 0; run < 50; run++) {
      const { block } = randomCondition(random);
      const risks = guard(await stateWith([ALLOW_ALL]), await stateWith([{ ...ALLOW_ALL, Condition: block }]));
      expect(risks.map((r) => r.principal), `run ${run}: ${JSON.stringify(block)}`).toEqual([OPS]);
    }
  });

  it('keys the state tells are judged exactly: a Deny for everyone but the caller is no lockout, one naming it is', async () => {
    const before = await stateWith([ALLOW_ALL]);
    const cases: [Json, boolean][] = [
      [{ StringNotEquals: { 'aws:PrincipalArn': OPS } }, false],
      [{ ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::123456789012:user/o*' } }, false],
      [{ StringEquals: { 'aws:PrincipalArn': OPS } }, true],
      [{ StringNotEquals: { 'aws:PrincipalTag/team': 'ops' } }, false],
      [{ StringEquals: { 'aws:username': 'ops' } }, true],
      [{ StringEquals: { 'aws:PrincipalAccount': '999999999999' } }, false],
      // Known false and unknown together: the known part decides that it never applies.
      [{ StringNotEquals: { 'aws:PrincipalArn': OPS }, NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, false],
      // Known true and unknown: the unknown part may hold.
      [{ StringEquals: { 'aws:PrincipalArn': OPS }, NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, true],
      // A known key compared with a per-request value: unknown.
      [{ StringNotEquals: { 'aws:PrincipalArn': '${aws:SourceIdentity}' } }, true],
    ];
    for (const [condition, locks] of cases) {
      const after = await stateWith([ALLOW_ALL, { Effect: 'Deny', Action: 'iam:*', Resource: '*', Condition: condition }]);
      expect(guard(before, after).length > 0, JSON.stringify(condition)).toBe(locks);
    }
  });

  it('beyond ten per-request conditions it stays sound: it may say more, never less', async () => {
    const conditions = Array.from({ length: 12 }, (_, i) => ({ Effect: 'Allow', Action: `s3:GetObject`, Resource: `arn:aws:s3:::b${i}/*`, Condition: { IpAddress: { 'aws:SourceIp': `10.${i}.0.0/16` } } }));
    const before = await stateWith([ALLOW_ALL, ...conditions]);
    const after = await stateWith([ALLOW_ALL, ...conditions, { Effect: 'Deny', Action: 'iam:*', Resource: '*', Condition: { Bool: { 'aws:ViaAWSService': 'false' } } }]);
    expect(guard(before, after).map((r) => r.principal)).toEqual([OPS]);
  });
});

describe('through the CLI against the emulator', () => {
  it('refuses, before any write, a plan that adds a Deny on aws:SourceIp to the caller', async () => {
    const snapshot = exampleSnapshotJson() as { UserDetailList: Json[] };
    snapshot.UserDetailList.push({ UserName: 'ops', Path: '/', Arn: OPS, AttachedManagedPolicies: [{ PolicyName: 'AdministratorAccess', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }] });
    const e = await emulator(snapshot, { caller: OPS, enforce: true });
    const dir = join(mkdtempSync(join(tmpdir(), 'iam-gitops-lockout-')), 'manifests');
    cpSync(join(PROJECT_ROOT, 'manifests'), dir, { recursive: true });
    // "Only from the office": the CI runner calling from elsewhere would be refused everything.
    writeFileSync(join(dir, 'users/ops.yaml'), 'kind: User\nname: ops\nmanagedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]\ninlinePolicies:\n  office-only:\n    Version: "2012-10-17"\n    Statement:\n      - {Effect: Deny, Action: "*", Resource: "*", Condition: {NotIpAddress: {aws:SourceIp: 198.51.100.0/24}}}\n');
    const run = await runCli(['apply', ...e.awsArgs, '--manifests', dir, '--auto-approve'], e.env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error: the plan could lock out a guarded principal; nothing was changed');
    expect(run.stderr).toContain("after: denied by user ops: inline policy office-only, statement 0, under a condition on aws:SourceIp, which may hold for apply's own requests");
    expect(Object.keys(e.calls().byAction).filter((a) => /^(Create|Delete|Put|Attach|Detach|Add|Remove|Update|Tag|Untag)/.test(a))).toEqual([]);
  });
});
