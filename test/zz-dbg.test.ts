import { it } from 'vitest';
import { EffectiveAccess } from '../src/analyze/effective-access.js';
import { findRisks } from '../src/analyze/findings.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
const A = '111122223333';
const doc = (...s: object[]) => ({ Version: '2012-10-17', Statement: s });
it('x', () => {
  const P = `arn:aws:iam::${A}:policy/shared`;
  for (const old of [{ Effect: 'Allow', Action: '*', Resource: '*' }, { Effect: 'Allow', Action: 's3:*', Resource: '*' }, { Effect: 'Allow', Action: 'iam:PutUserPolicy', Resource: '*' }]) {
  const snap = {
    UserDetailList: [{ UserName: 'alice', Path: '/', Arn: `arn:aws:iam::${A}:user/alice`, UserPolicyList: [{ PolicyName: 'own', PolicyDocument: doc({ Effect: 'Allow', Action: 'iam:SetDefaultPolicyVersion', Resource: P }) }], AttachedManagedPolicies: [{ PolicyName: 'shared', PolicyArn: P }] }],
    GroupDetailList: [], RoleDetailList: [],
    Policies: [{ PolicyName: 'shared', Arn: P, Path: '/', DefaultVersionId: 'v2', PolicyVersionList: [
      { VersionId: 'v2', IsDefaultVersion: true, Document: doc({ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' }) },
      { VersionId: 'v1', IsDefaultVersion: false, Document: doc(old) },
    ] }],
  };
  const access = new EffectiveAccess(parseSnapshot('s', JSON.stringify(snap)).state, new Date('2026-11-24T12:00:00Z'), { isWildcardOnlyAction: () => false });
  for (const f of findRisks(access)) console.log(f.severity, f.code, f.summary, '|', f.detail, JSON.stringify(f.paths));
  }
});
