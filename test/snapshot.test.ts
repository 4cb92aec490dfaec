/** The snapshot reader: real exports load, raw-API encodings decode, malformed input gets a precise message. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError, type Diagnostic } from '../src/core/diagnostics.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
import { REAL_WORLD_SNAPSHOTS, realWorldAvailable, realWorldSnapshot } from './helpers/fixtures.js';

const empty = { UserDetailList: [], GroupDetailList: [], RoleDetailList: [], Policies: [] };

function diagnosticsOf(text: string): Diagnostic[] {
  try {
    parseSnapshot('snap.json', text);
  } catch (e) {
    if (e instanceof InputError) return [...e.diagnostics];
    throw e;
  }
  throw new Error('expected the snapshot to be rejected');
}

describe('real-world snapshots', () => {
  it.skipIf(!realWorldAvailable).each(REAL_WORLD_SNAPSHOTS)('%s loads completely', (name) => {
    const text = readFileSync(realWorldSnapshot(name), 'utf8');
    const raw = JSON.parse(text) as typeof empty & { Policies: { Arn: string }[] };
    const live = parseSnapshot(name, text);
    expect(live.state.users.size).toBe(raw.UserDetailList.length);
    expect(live.state.groups.size).toBe(raw.GroupDetailList.length);
    expect(live.state.roles.size).toBe(raw.RoleDetailList.length);
    expect(live.state.policies.size + live.state.externalPolicies.size).toBe(raw.Policies.length);
    expect(live.state.account).toMatch(/^\d{12}$/);
    expect(live.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it.skipIf(!realWorldAvailable)('uses only the default version of a policy with several', () => {
    const live = parseSnapshot('x', readFileSync(realWorldSnapshot('cloudsplaining-example-account.json'), 'utf8'));
    const raw = JSON.parse(readFileSync(realWorldSnapshot('cloudsplaining-example-account.json'), 'utf8')) as {
      Policies: { Arn: string; PolicyVersionList: { IsDefaultVersion: boolean; Document: unknown }[] }[];
    };
    const multi = raw.Policies.find((p) => p.PolicyVersionList.length > 1)!;
    const defaultDoc = multi.PolicyVersionList.find((v) => v.IsDefaultVersion)!.Document;
    expect(live.state.externalPolicies.get(multi.Arn)?.document).toEqual(defaultDoc);
  });
});

describe('documents as the raw API returns them', () => {
  const doc = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/${aws:username}/*' }] };
  const withRole = (assume: unknown, versions: unknown[] = []) =>
    JSON.stringify({
      ...empty,
      RoleDetailList: [{ RoleName: 'r', Path: '/', Arn: 'arn:aws:iam::111122223333:role/r', AssumeRolePolicyDocument: assume, RolePolicyList: [{ PolicyName: 'p', PolicyDocument: encodeURIComponent(JSON.stringify(doc)) }] }],
      Policies: versions.length
        ? [{ PolicyName: 'm', Arn: 'arn:aws:iam::111122223333:policy/m', Path: '/', DefaultVersionId: 'v2', PolicyVersionList: versions }]
        : [],
    });

  it('decodes URL-encoded documents and plain JSON strings alike', () => {
    const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
    for (const encoded of [encodeURIComponent(JSON.stringify(trust)), JSON.stringify(trust), trust]) {
      const role = parseSnapshot('s', withRole(encoded)).state.roles.get('r')!;
      expect(role.trustPolicy.document).toEqual(trust);
      expect(role.inlinePolicies['p']!.document).toEqual(doc);
    }
  });

  it('picks the version marked default, wherever it is in the list', () => {
    const old = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
    const live = parseSnapshot('s', withRole({}, [
      { VersionId: 'v1', IsDefaultVersion: false, Document: encodeURIComponent(JSON.stringify(old)) },
      { VersionId: 'v2', IsDefaultVersion: true, Document: encodeURIComponent(JSON.stringify(doc)) },
    ]));
    expect(live.state.policies.get('m')!.document.document).toEqual(doc);
  });

  it('marks what get-account-authorization-details cannot tell as unknown, and reads it when present', () => {
    expect(parseSnapshot('s', withRole({})).state.roles.get('r')!.unknown).toEqual(['description', 'maxSessionDuration']);
    const enriched = JSON.parse(withRole({})) as { RoleDetailList: Record<string, unknown>[] };
    Object.assign(enriched.RoleDetailList[0]!, { Description: 'd', MaxSessionDuration: 7200 });
    const role = parseSnapshot('s', JSON.stringify(enriched)).state.roles.get('r')!;
    expect(role).toMatchObject({ description: 'd', maxSessionDuration: 7200 });
    expect(role.unknown).toBeUndefined();
  });
});

describe('malformed snapshots', () => {
  it('names the line and column of a JSON syntax error', () => {
    const [d] = diagnosticsOf('{\n  "UserDetailList": [\n    {"UserName": "a",}\n  ]\n}');
    expect(d).toMatchObject({ severity: 'error', summary: 'snapshot is not valid JSON: trailing comma before "}"', at: { file: 'snap.json', line: 3, col: 22 } });
    expect(d!.detail).toContain('get-account-authorization-details');
  });

  it('says which lists are missing', () => {
    const [d] = diagnosticsOf(JSON.stringify({ UserDetailList: [] }));
    expect(d!.summary).toBe('snapshot lacks GroupDetailList, RoleDetailList, Policies');
  });

  it('rejects a JSON value that is not an object', () => {
    expect(diagnosticsOf('[1, 2]')[0]!.summary).toBe('snapshot must be a JSON object');
  });

  it('points at a missing or mistyped field by JSON path and position', () => {
    const text = JSON.stringify({ ...empty, UserDetailList: [{ UserName: 'a', Path: '/' }, { UserName: 7, Path: '/', Arn: 'arn:aws:iam::1:user/x' }] }, null, 2);
    const ds = diagnosticsOf(text);
    expect(ds.map((d) => d.summary)).toEqual(['snapshot UserDetailList[0] lacks "Arn"', 'snapshot UserDetailList[1].UserName: expected string, received number']);
    expect(ds[1]!.at!.line).toBe(text.split('\n').findIndex((l) => l.includes('"UserName": 7')) + 1);
  });

  it('rejects an undecodable document and a policy without a default version', () => {
    const text = JSON.stringify({
      ...empty,
      RoleDetailList: [{ RoleName: 'r', Path: '/', Arn: 'arn:aws:iam::111122223333:role/r', AssumeRolePolicyDocument: '%7Bnot json' }],
      Policies: [{ PolicyName: 'm', Arn: 'arn:aws:iam::111122223333:policy/m', Path: '/', PolicyVersionList: [{ VersionId: 'v1', IsDefaultVersion: false }] }],
    });
    const summaries = diagnosticsOf(text).map((d) => d.summary);
    expect(summaries).toContain('snapshot RoleDetailList[0].AssumeRolePolicyDocument: policy document is neither JSON nor URL-encoded JSON');
    expect(summaries).toContain('snapshot Policies[0]: policy "m" has no default version document');
  });

  it('rejects duplicate names, which IAM cannot have', () => {
    const user = (name: string) => ({ UserName: name, Path: '/', Arn: `arn:aws:iam::111122223333:user/${name}` });
    expect(diagnosticsOf(JSON.stringify({ ...empty, UserDetailList: [user('Bob'), user('bob')] }))[0]!.summary).toBe('snapshot UserDetailList[1]: "bob" appears twice');
  });
});
