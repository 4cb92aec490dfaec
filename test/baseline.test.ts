/**
 * Shared baselines (issue 18 item 6): manifests every account folder takes from one shared folder, with the account's
 * id and name filled in; each account's plan shows them as its own; an account overrides a shared entity by declaring
 * it, or leaves it out with `exclude`. In memory (as files at a git commit are read) and on disk through the CLI.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ActionCatalog } from '../src/catalog/action-catalog.js';
import { loadAwsManagedPolicies } from '../src/catalog/aws-managed-policies.js';
import { loadActionCatalog } from '../src/catalog/iam-data-catalog.js';
import { manifestsFromFiles } from '../src/manifest/files-source.js';
import { loadManifests } from '../src/manifest/load-manifests.js';
import type { Plan } from '../src/plan/plan.js';
import { runCli } from './helpers/run-cli.js';

let catalog: ActionCatalog;
beforeAll(async () => {
  catalog = await loadActionCatalog();
});

const BREAK_GLASS = `kind: Role
name: break-glass
trustPolicy:
  Version: "2012-10-17"
  Statement:
    - Effect: Allow
      Principal: {AWS: "arn:aws:iam::{{account.id}}:root"}
      Action: sts:AssumeRole
      Condition: {Bool: {aws:MultiFactorAuthPresent: "true"}}
managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]
tags:
  account: "{{account.name}}"
`;
const AUDIT = (hours: number) => `kind: Role
name: audit
maxSessionDuration: ${hours * 3600}
trustPolicy:
  Version: "2012-10-17"
  Statement:
    - Effect: Allow
      Principal: {AWS: "arn:aws:iam::999999999999:root"}
      Action: sts:AssumeRole
      Condition: {StringEquals: {sts:ExternalId: "audit-{{account.name}}"}}
managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]
`;
const DENY_LEAVE = 'kind: Policy\nname: deny-leave\ndocumentFile: deny-leave.json\n';
const DENY_JSON = '{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}, {"Effect": "Deny", "Action": "iam:DeleteRole", "Resource": "arn:aws:iam::{{account.id}}:role/break-glass"}]}';

function repo(extra: Record<string, string> = {}): Map<string, string> {
  return new Map(Object.entries({
    'baseline/roles/break-glass.yaml': BREAK_GLASS,
    'baseline/roles/audit.yaml': AUDIT(1),
    'baseline/policies/deny-leave.yaml': DENY_LEAVE,
    'baseline/policies/deny-leave.json': DENY_JSON,
    'accounts/prod/account.yaml': 'kind: Account\nid: "111111111111"\nbaseline: {folder: ../../baseline}\n',
    'accounts/prod/users/ops.yaml': 'kind: User\nname: ops\nmanagedPolicies: [deny-leave]\n',
    'accounts/dev/account.yaml': 'kind: Account\nid: "222222222222"\nname: development\nbaseline: {folder: ../../baseline, exclude: [Role/break-glass]}\n',
    // Its own audit role: longer sessions (and no placeholder: they are filled in shared manifests only).
    'accounts/dev/roles/audit.yaml': AUDIT(4).replace('{{account.name}}', 'dev'),
    ...extra,
  }));
}

const load = (files: Map<string, string>, folder: string) => loadManifests(manifestsFromFiles(`abc1234:${folder}`, folder, files), catalog, { awsManagedPolicies: loadAwsManagedPolicies() });
const errors = (result: ReturnType<typeof load>) => result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.at?.file}:${d.at?.line}: ${d.summary}`);

describe('a shared baseline', () => {
  it("is each account's own, with the account's id and name filled in, documentFiles included", () => {
    const prod = load(repo(), 'accounts/prod');
    expect(errors(prod)).toEqual([]);
    const roles = prod.desired!.state.roles;
    expect([...roles.keys()].sort()).toEqual(['audit', 'break-glass']);
    expect(roles.get('break-glass')!.arn).toBe('arn:aws:iam::111111111111:role/break-glass');
    expect(JSON.stringify(roles.get('break-glass')!.trustPolicy.document)).toContain('arn:aws:iam::111111111111:root');
    expect(roles.get('break-glass')!.tags).toEqual({ account: 'prod' }); // the folder's name, without a name field
    const policy = prod.desired!.state.policies.get('deny-leave')!;
    expect(JSON.stringify(policy.document.document)).toContain('arn:aws:iam::111111111111:role/break-glass');
    expect(prod.desired!.state.users.get('ops')!.managedPolicies).toEqual([policy.arn]);
  });

  it('an account overrides a shared entity by declaring it, and leaves one out with exclude', () => {
    const dev = load(repo(), 'accounts/dev');
    expect(errors(dev)).toEqual([]);
    const roles = dev.desired!.state.roles;
    expect([...roles.keys()].sort()).toEqual(['audit']);
    expect(roles.get('audit')!.maxSessionDuration).toBe(4 * 3600);
    expect(JSON.stringify(roles.get('audit')!.trustPolicy.document)).toContain('audit-dev');
    // The shared one, where it is not overridden, has the account's name from its Account manifest.
    const dropped = load(new Map([...repo()].filter(([p]) => p !== 'accounts/dev/roles/audit.yaml')), 'accounts/dev');
    expect(JSON.stringify(dropped.desired!.state.roles.get('audit')!.trustPolicy.document)).toContain('audit-development');
    // Not the shared one's (overridden): the account's own file is where it comes from.
    expect(dev.desired!.sources.get('role:audit')?.().file ?? '').toContain('accounts/dev/roles/audit.yaml');
  });

  it('refuses what cannot be shared, at its place', () => {
    const withAccount = load(repo({ 'baseline/account.yaml': 'kind: Account\nid: "333333333333"\n' }), 'accounts/prod');
    expect(errors(withAccount)).toEqual(['baseline/account.yaml:1: an Account manifest in a shared baseline']);
    const unknown = load(repo({ 'baseline/roles/x.yaml': `${AUDIT(1).replace('name: audit', 'name: x')}description: "for {{account.team}}"\n` }), 'accounts/prod');
    expect(errors(unknown)).toEqual(['baseline/roles/x.yaml:12: unknown placeholder {{account.team}} in a shared baseline manifest']);
    const missing = load(new Map([...repo()].map(([p, t]) => [p, p === 'accounts/prod/account.yaml' ? t.replace('../../baseline', '../../shared') : t])), 'accounts/prod');
    // (and what the account takes from it is unknown: its user's policy reference too)
    expect(errors(missing)).toEqual([expect.stringMatching(/^accounts\/prod\/account\.yaml:3: the baseline folder "\.\.\/\.\.\/shared" cannot be read: no such folder/), 'accounts/prod/users/ops.yaml:3: unknown managed policy "deny-leave"']);
    const outside = load(new Map([...repo()].map(([p, t]) => [p, p === 'accounts/prod/account.yaml' ? t.replace('../../baseline', '../../../etc') : t])), 'accounts/prod');
    expect(errors(outside)[0]).toMatch(/cannot be read: outside the config repository/);
    const stale = load(new Map([...repo()].map(([p, t]) => [p, p === 'accounts/dev/account.yaml' ? t.replace('Role/break-glass', 'Role/brake-glass') : t])), 'accounts/dev');
    expect(stale.diagnostics.filter((d) => d.severity === 'warning').map((d) => d.summary)).toContain('baseline exclude "Role/brake-glass" names nothing the baseline declares');
    const malformed = load(new Map([...repo()].map(([p, t]) => [p, p === 'accounts/dev/account.yaml' ? t.replace('Role/break-glass', 'break-glass') : t])), 'accounts/dev');
    expect(errors(malformed)).toContain('accounts/dev/account.yaml:4: baseline exclude "break-glass" is not KIND/NAME');
  });

  it("on disk through the CLI: each account's plan shows the shared entities as its own", async () => {
    const root = mkdtempSync(join(tmpdir(), 'iam-gitops-baseline-'));
    mkdirSync(join(root, '.git')); // the config repository's top
    for (const [path, text] of repo()) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    const snapshot = join(root, 'live.json');
    writeFileSync(snapshot, JSON.stringify({ UserDetailList: [{ UserName: 'ops', UserId: 'AIDAOPSXXXXXXXXXXXXX', Path: '/', Arn: 'arn:aws:iam::111111111111:user/ops', GroupList: [], UserPolicyList: [], AttachedManagedPolicies: [] }], GroupDetailList: [], RoleDetailList: [], Policies: [] }));
    const run = await runCli(['plan', '--manifests', join(root, 'accounts/prod'), '--state', snapshot, '--format', 'json']);
    expect(run.code, run.stderr).toBe(0);
    const plan = JSON.parse(run.stdout) as Plan;
    expect(plan.changes.filter((c) => c.action === 'create').map((c) => `${c.kind} ${c.name}`).sort()).toEqual(['policy deny-leave', 'role audit', 'role break-glass']);
    const text = await runCli(['plan', '--manifests', join(root, 'accounts/prod'), '--state', snapshot]);
    expect(text.stdout).toContain('+ role break-glass');
    const outside = await runCli(['validate', '--manifests', join(root, 'accounts/prod')]);
    expect(outside.code).toBe(0);
  });
});
