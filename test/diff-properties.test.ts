/**
 * Laws of the planner on random accounts: diff(x, x) is empty (through import, so manifests and snapshot are two
 * independent spellings of one state), and a single edit to a manifest yields exactly that change.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadActionCatalog } from '../src/catalog/iam-data-catalog.js';
import { importLiveState, type ImportOptions } from '../src/importer/live-to-manifests.js';
import { importOptions } from './helpers/example.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
import type { LiveState } from '../src/live/live-state.js';
import { loadManifests, type ManifestFile } from '../src/manifest/load-manifests.js';
import { diffStates } from '../src/plan/diff-states.js';

const ACCOUNT = '111122223333';
const ACTIONS = ['s3:GetObject', 's3:PutObject', 'ec2:DescribeInstances', 'iam:PassRole', 'sqs:SendMessage', 'kms:Decrypt'];

const statement = fc.record({
  Effect: fc.constantFrom('Allow', 'Deny'),
  Action: fc.uniqueArray(fc.constantFrom(...ACTIONS), { minLength: 1, maxLength: 3 }),
  Resource: fc.constantFrom('*', 'arn:aws:s3:::data/*', ['arn:aws:s3:::a', 'arn:aws:s3:::b']),
});
const document = fc.record({ Version: fc.constant('2012-10-17'), Statement: fc.array(statement, { minLength: 1, maxLength: 3 }) });

/** A random account in get-account-authorization-details form, with references that resolve. */
const snapshot = fc
  .record({
    policies: fc.uniqueArray(fc.record({ name: fc.stringMatching(/^pol-[a-z]{1,6}$/), doc: document, path: fc.constantFrom('/', '/shared/') }), { selector: (p) => p.name, maxLength: 4 }),
    groups: fc.uniqueArray(fc.record({ name: fc.stringMatching(/^grp-[a-z]{1,6}$/), inline: fc.option(document, { nil: undefined }) }), { selector: (g) => g.name, maxLength: 3 }),
    users: fc.uniqueArray(fc.record({ name: fc.stringMatching(/^usr-[a-z]{1,6}$/), path: fc.constantFrom('/', '/people/'), tags: fc.dictionary(fc.constantFrom('team', 'owner'), fc.stringMatching(/^[a-z]{1,5}$/)), picks: fc.array(fc.nat(), { maxLength: 3 }) }), { selector: (u) => u.name, maxLength: 4 }),
    roles: fc.uniqueArray(fc.record({ name: fc.stringMatching(/^rol-[a-z]{1,6}$/), service: fc.constantFrom('lambda.amazonaws.com', 'ec2.amazonaws.com'), inline: fc.option(document, { nil: undefined }), picks: fc.array(fc.nat(), { maxLength: 2 }) }), { selector: (r) => r.name, maxLength: 4 }),
  })
  // An account with no entities at all names no account id, and import refuses it (tested in cli.test.ts).
  .filter((a) => a.users.length + a.groups.length + a.roles.length + a.policies.length > 0)
  .map((a) => {
    const policyArn = (p: { name: string; path: string }) => `arn:aws:iam::${ACCOUNT}:policy${p.path}${p.name}`;
    const pick = <T>(items: readonly T[], picks: readonly number[]) => [...new Set(picks.filter(() => items.length > 0).map((i) => items[i % items.length]!))];
    return {
      UserDetailList: a.users.map((u) => ({
        UserName: u.name, Path: u.path, Arn: `arn:aws:iam::${ACCOUNT}:user${u.path}${u.name}`,
        GroupList: pick(a.groups, u.picks).map((g) => g.name),
        AttachedManagedPolicies: pick(a.policies, u.picks).map((p) => ({ PolicyArn: policyArn(p) })),
        Tags: Object.entries(u.tags).map(([Key, Value]) => ({ Key, Value })),
      })),
      GroupDetailList: a.groups.map((g) => ({
        GroupName: g.name, Path: '/', Arn: `arn:aws:iam::${ACCOUNT}:group/${g.name}`,
        GroupPolicyList: g.inline ? [{ PolicyName: 'inline', PolicyDocument: encodeURIComponent(JSON.stringify(g.inline)) }] : [],
        AttachedManagedPolicies: [],
      })),
      RoleDetailList: a.roles.map((r) => ({
        RoleName: r.name, Path: '/', Arn: `arn:aws:iam::${ACCOUNT}:role/${r.name}`,
        AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: r.service }, Action: 'sts:AssumeRole' }] },
        RolePolicyList: r.inline ? [{ PolicyName: 'own', PolicyDocument: r.inline }] : [],
        AttachedManagedPolicies: pick(a.policies, r.picks).map((p) => ({ PolicyArn: policyArn(p) })),
        Tags: [],
      })),
      Policies: a.policies.map((p) => ({
        PolicyName: p.name, Arn: policyArn(p), Path: p.path, DefaultVersionId: 'v2',
        PolicyVersionList: [
          { VersionId: 'v1', IsDefaultVersion: false, Document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } },
          { VersionId: 'v2', IsDefaultVersion: true, Document: encodeURIComponent(JSON.stringify(p.doc)) },
        ],
      })),
    };
  });

function manifestFiles(live: LiveState): ManifestFile[] {
  return [...importLiveState(live, options).files].filter(([path]) => path.endsWith('.yaml')).map(([path, text]) => ({ path, text }));
}

let options: ImportOptions;
beforeAll(async () => {
  options = await importOptions();
});

async function plan(files: ManifestFile[], live: LiveState) {
  const loaded = loadManifests({ location: 'random', files, readDocumentFile: () => ({ missing: true }) }, await loadActionCatalog());
  expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const result = diffStates(loaded.desired!, live);
  expect(result.changeSet).toBeDefined();
  return result.changeSet!;
}

describe('planner laws on random accounts', () => {
  it('diff(x, x) is empty: the imported manifests plan to nothing against their own snapshot', async () => {
    await fc.assert(
      fc.asyncProperty(snapshot, async (snap) => {
        const live = parseSnapshot('random.json', JSON.stringify(snap));
        const p = await plan(manifestFiles(live), live);
        expect(p.changes).toEqual([]);
        expect(p.unmanaged).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it('one edit to one manifest yields exactly one change, to that entity', async () => {
    await fc.assert(
      fc.asyncProperty(snapshot.filter((s) => s.UserDetailList.length > 0), fc.nat(), async (snap, which) => {
        const live = parseSnapshot('random.json', JSON.stringify(snap));
        const files = manifestFiles(live);
        const users = files.filter((f) => f.path.startsWith('users/'));
        const target = users[which % users.length]!;
        const manifest = parse(target.text) as { name: string; tags?: Record<string, string> };
        const edited = files.map((f) => (f === target ? { ...f, text: stringify({ ...manifest, tags: { ...manifest.tags, 'added-by-test': 'yes' } }) } : f));
        const p = await plan(edited, live);
        const name = manifest.name;
        expect(p.changes.map((c) => `${c.action} ${c.kind} ${c.name}`)).toEqual([`update user ${name}`]);
        expect(p.changes[0]!.details).toContainEqual({ field: 'tag', key: 'added-by-test', before: null, after: 'yes' });
      }),
      { numRuns: 40 },
    );
  });
});
