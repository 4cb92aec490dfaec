/**
 * Law: the plan says what will really happen, and nothing else. Moves are replacements everywhere (or in-place
 * moves for users and groups), and a moved principal is one principal; findings report severity changes; only
 * pattern operators make wildcard findings; unchanged trust statements stay out; every principal is named; deletes
 * say everything they take.
 */
import { parse, stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadActionCatalog } from '../src/catalog/iam-data-catalog.js';
import { importLiveState } from '../src/importer/live-to-manifests.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
import type { Plan } from '../src/plan/plan.js';
import { principalsLine } from '../src/render/access.js';
import { renderComment } from '../src/render/comment.js';
import { renderPlanText } from '../src/render/text-plan.js';
import { validateManifests } from '../src/app/use-cases.js';
import { manifestsFromFiles } from '../src/manifest/files-source.js';
import { editedExample, exampleManifestFiles, exampleSnapshot, importOptions, planFiles } from './helpers/example.js';
import { ACCOUNT, buildUniverse, pick, randomAccount, seededRandom, uniqueSids, type UniverseAction } from './helpers/random-account.js';

type Json = Record<string, unknown>;
const access = (plan: Plan) => plan.access;
const trust = (plan: Plan) => plan.trust;
const findings = (plan: Plan) => plan.findings;

/** Every ARN the analyses name as a principal or role. */
function analysedArns(plan: Plan): string[] {
  return [
    ...access(plan).flatMap((d) => d.principals),
    ...trust(plan).flatMap((t) => [t.role, ...t.gained.map((g) => g.principal), ...t.lost.map((g) => g.principal)]),
    ...findings(plan).map((f) => f.principal),
  ];
}

describe('moves', () => {
  it('a role moved to another path is one replacement, shown as -/+ and counted as a create and a delete', async () => {
    const plan = await planFiles(editedExample('roles/github-deploy.yaml', (t) => t.replace('path: /ci/', 'path: /deploy/')));
    const halves = plan.changes.filter((c) => c.name === 'github-deploy');
    expect(halves.map((c) => [c.action, c.arn])).toEqual([
      ['delete', 'arn:aws:iam::123456789012:role/ci/github-deploy'],
      ['create', 'arn:aws:iam::123456789012:role/deploy/github-deploy'],
    ]);
    expect(halves[0]!.replacedBy).toBe(halves[1]!.arn);
    expect(halves[1]!.replaces).toBe(halves[0]!.arn);
    expect(halves[1]!.differences?.[0]).toEqual({ field: 'path', before: '/ci/', after: '/deploy/', replacement: true });
    expect(plan.summary).toMatchObject({ create: 2, update: 3, delete: 2, replace: 1 });
    const text = renderPlanText(plan, undefined, 'proposal', await loadActionCatalog());
    expect(text).toContain('-/+ role github-deploy will be replaced');
    expect(text).toContain('arn:aws:iam::123456789012:role/ci/github-deploy -> arn:aws:iam::123456789012:role/deploy/github-deploy');
    expect(text).not.toMatch(/~ role github-deploy/);
    expect(text).toContain('Plan: 2 to create, 3 to update, 2 to delete (1 replacement: deleted and created again).');
    expect(renderComment(plan, await loadActionCatalog(), { folder: 'manifests' })).toContain('| 🔁 replace | role | <code>github\\-deploy</code> |');
    // The moved role is one principal under its new ARN: never its old ARN, never twice.
    const arns = analysedArns(plan);
    expect(arns).not.toContain('arn:aws:iam::123456789012:role/ci/github-deploy');
    expect(access(plan).flatMap((d) => d.principals).filter((p) => p.endsWith('/github-deploy'))).toHaveLength(1);
    for (const t of trust(plan)) expect(t.gained.filter((g) => t.lost.some((l) => l.principal === g.principal && l.type === g.type && JSON.stringify(l.condition) === JSON.stringify(g.condition)))).toEqual([]);
    // The real delta: what the edit to deploy-lambda adds, nothing for the move itself.
    const deploy = access(plan).find((d) => d.principals.includes('arn:aws:iam::123456789012:role/deploy/github-deploy'))!;
    expect(deploy.movedFrom).toEqual({ 'arn:aws:iam::123456789012:role/deploy/github-deploy': 'arn:aws:iam::123456789012:role/ci/github-deploy' });
    expect(deploy.revoked).toEqual([]);
    expect(deploy.granted.flatMap((e) => e.actions ?? [])).toEqual(['lambda:PublishVersion']);
  });

  it('a user moved to another path is updated in place, with its previous ARN', async () => {
    const plan = await planFiles(editedExample('users/alice.yaml', (t) => t.replace('path: /people/', 'path: /staff/')));
    const alice = plan.changes.find((c) => c.name === 'alice')!;
    expect(alice).toMatchObject({ action: 'update', arn: 'arn:aws:iam::123456789012:user/staff/alice', previousArn: 'arn:aws:iam::123456789012:user/people/alice' });
    expect(analysedArns(plan)).not.toContain('arn:aws:iam::123456789012:user/people/alice');
  });

  it('what named the old ARN is lost: a trust policy naming the moved user no longer admits it', async () => {
    const snapshot = exampleSnapshot() as { RoleDetailList: Json[] };
    const files = exampleManifestFiles();
    const trusting = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:user/people/alice' }, Action: 'sts:AssumeRole' }] };
    snapshot.RoleDetailList.push({ RoleName: 'alice-helper', Path: '/', Arn: 'arn:aws:iam::123456789012:role/alice-helper', AssumeRolePolicyDocument: trusting });
    files.set('manifests/roles/alice-helper.yaml', stringify({ kind: 'Role', name: 'alice-helper', trustPolicy: trusting }));
    files.set('manifests/users/alice.yaml', files.get('manifests/users/alice.yaml')!.replace('path: /people/', 'path: /staff/'));
    const plan = await planFiles(files, snapshot);
    const helper = trust(plan).find((t) => t.role.endsWith('role/alice-helper'))!;
    expect(helper.gained).toEqual([]);
    expect(helper.lost).toEqual([{ type: 'user', principal: 'arn:aws:iam::123456789012:user/staff/alice', movedFrom: 'arn:aws:iam::123456789012:user/people/alice' }]);
  });

  describe('law on random accounts: a move alone is only a move', () => {
    let universe: UniverseAction[];
    beforeAll(async () => {
      universe = await buildUniverse(seededRandom(77));
    });

    it('moving one entity of a random account names it once, under its new ARN, and changes no access', async () => {
      const random = seededRandom(20261130);
      for (let run = 0; run < 30; run++) {
        const snapshot = uniqueSids(randomAccount(random, universe).snapshot);
        const live = parseSnapshot('random.json', JSON.stringify(snapshot));
        const files = new Map([...importLiveState(live, await importOptions()).files].map(([p, t]) => [`m/${p}`, t]));
        const path = pick(random, [...files.keys()].filter((p) => /^m\/(users|groups|roles|policies)\//.test(p)));
        const manifest = parse(files.get(path)!) as Json;
        const kind = String(manifest['kind']).toLowerCase().replace('boundary', 'policy');
        const oldArn = `arn:aws:iam::${ACCOUNT}:${kind}${(manifest['path'] as string | undefined) ?? '/'}${String(manifest['name'])}`;
        manifest['path'] = '/moved/';
        files.set(path, stringify(manifest));
        const plan = await planFiles(files, snapshot, 'm');
        const what = `run ${run}: ${path}`;
        const moved = plan.changes.filter((c) => c.name === manifest['name'] && c.kind === kind);
        if (kind === 'user' || kind === 'group') {
          expect(moved.map((c) => [c.action, c.previousArn]), what).toEqual([['update', oldArn]]);
        } else {
          expect(moved.map((c) => c.action), what).toEqual(['delete', 'create']);
          expect(moved[0]!.replacedBy, what).toBe(moved[1]!.arn);
        }
        expect(analysedArns(plan), what).not.toContain(oldArn);
        expect(access(plan), what).toEqual([]);
        for (const t of trust(plan)) expect(t.gained.map((g) => g.principal).filter((p) => t.lost.some((l) => l.principal === p)), what).toEqual([]);
      }
    });
  });
});

describe('findings', () => {
  /** github-deploy's manifest with its OIDC subject condition under `operator`. */
  const subjectOf = (operator: string, subject: string) => (text: string) => {
    const manifest = parse(text) as { trustPolicy: { Statement: { Condition: Record<string, Record<string, string>> }[] } };
    const sub = 'token.actions.githubusercontent.com:sub';
    const statement = manifest.trustPolicy.Statement[0]!;
    delete statement.Condition['StringEquals']![sub];
    statement.Condition[operator] = { ...statement.Condition[operator], [sub]: subject };
    return stringify(manifest);
  };

  it('a finding whose severity rises is reported, old -> new (live: one repository, MEDIUM; after: repo:acme/*, HIGH)', async () => {
    const plan = await planFiles(editedExample('roles/github-deploy.yaml', subjectOf('StringLike', 'repo:acme/*')));
    const wildcard = findings(plan).filter((f) => f.code === 'TRUST_OIDC_WILDCARD_SUBJECT');
    expect(wildcard).toEqual([expect.objectContaining({ severity: 'high', change: 'introduced', severityChange: { from: 'medium', to: 'high' }, principal: 'arn:aws:iam::123456789012:role/ci/github-deploy' })]);
    expect(renderPlanText(plan)).toContain('HIGH now, was MEDIUM: role github-deploy trusts');
  });

  it('and one whose severity falls is reported as removed at its old severity', async () => {
    const snapshot = exampleSnapshot() as { RoleDetailList: Json[] };
    const role = snapshot.RoleDetailList.find((r) => r['RoleName'] === 'github-deploy')!;
    role['AssumeRolePolicyDocument'] = decodeURIComponent(String(role['AssumeRolePolicyDocument'])).replace('repo:acme/payments:*', 'repo:acme/*');
    const plan = await planFiles(editedExample('roles/github-deploy.yaml', subjectOf('StringLike', 'repo:acme/payments:*')), snapshot);
    expect(findings(plan).filter((f) => f.code === 'TRUST_OIDC_WILDCARD_SUBJECT')).toEqual([expect.objectContaining({ severity: 'high', change: 'removed', severityChange: { from: 'high', to: 'medium' } })]);
  });

  it('StringEquals matches * literally: no wildcard finding, and validate warns', async () => {
    const files = editedExample('roles/github-deploy.yaml', subjectOf('StringEquals', 'repo:acme/*'));
    const plan = await planFiles(files);
    expect(findings(plan).filter((f) => f.code === 'TRUST_OIDC_WILDCARD_SUBJECT' && f.change === 'introduced')).toEqual([]);
    const validated = await validateManifests(manifestsFromFiles('manifests', 'manifests', files));
    expect(validated.diagnostics).toContainEqual(expect.objectContaining({ severity: 'warning', summary: '"repo:acme/*" under StringEquals matches the text literally, * and ? included', at: expect.objectContaining({ file: 'manifests/roles/github-deploy.yaml' }) }));
  });
});

describe('trust deltas', () => {
  it('list only the statement added, not the unchanged one written in another order', async () => {
    const plan = await planFiles(
      editedExample('roles/ci-readonly.yaml', (t) =>
        t.replace('managedPolicies:', '    - Effect: Allow\n      Principal: {Service: codebuild.amazonaws.com}\n      Action: sts:AssumeRole\nmanagedPolicies:'),
      ),
    );
    const ci = trust(plan).find((t) => t.role.endsWith('/ci-readonly'))!;
    expect(ci.lost).toEqual([]);
    expect(ci.gained).toEqual([{ type: 'Service', principal: 'codebuild.amazonaws.com' }]);
  });
});

describe('principals are named', () => {
  it('all of them up to ten, then the first ten and a count', () => {
    const arns = Array.from({ length: 12 }, (_, i) => `arn:aws:iam::123456789012:role/r${i}`);
    expect(principalsLine(arns.slice(0, 1))).toBe('role r0');
    expect(principalsLine(arns.slice(0, 3))).toBe('3 principals with the same change: role r0, role r1, role r2');
    expect(principalsLine(arns)).toBe(`12 principals with the same change: ${arns.slice(0, 10).map((a) => `role ${a.split('/').pop()}`).join(', ')} and 2 more`);
  });
});

describe('deletes say everything they take', () => {
  it('a role in an instance profile names the profile; deleted: true on an absent entity warns "already absent"', async () => {
    const snapshot = exampleSnapshot() as { RoleDetailList: Json[] };
    snapshot.RoleDetailList.find((r) => r['RoleName'] === 'legacy-batch')!['InstanceProfileList'] = [{ InstanceProfileName: 'legacy-batch', Roles: [] }];
    const files = exampleManifestFiles();
    files.set('manifests/users/ghost.yaml', 'kind: User\nname: ghost\ndeleted: true\n');
    const plan = await planFiles(files, snapshot);
    const legacy = plan.changes.find((c) => c.name === 'legacy-batch')!;
    // Named like the role: apply's teardown deletes it with the role.
    expect(legacy.details).toContainEqual({ field: 'instanceProfile', name: 'legacy-batch', op: 'remove', delete: true });
    expect(renderPlanText(plan)).toContain("- leave instance profile legacy-batch, which is deleted (EC2 instances using it lose this role's credentials)");
    expect(plan.diagnostics).toContainEqual(expect.objectContaining({ severity: 'warning', summary: 'user "ghost" is marked deleted and is already absent from live IAM', at: expect.objectContaining({ file: 'manifests/users/ghost.yaml' }) }));
  });
});
