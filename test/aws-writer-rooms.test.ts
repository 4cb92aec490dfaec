/**
 * The AWS writer's rooms, in process (a fake IAM client records every command and answers listings in random pages):
 * - dispatch and the per-kind command tables: every op of the step union, for every kind it takes, sends the IAM
 *   action `stepPermissions` (the permission guard's independent table) says the step needs, naming the step's
 *   entity, and nothing else that changes IAM (a deletion: that action last);
 * - teardown: whatever IAM lists for an entity being deleted (any number of credentials, policies, memberships,
 *   profiles, attachments, versions, on any pages) is each removed by the command for its kind, naming it, before
 *   the entity itself; an untouchable member or attachment refuses the step before any change;
 * - the one polling helper (writer's waits and apply's verification): pauses grow to their ceiling, the bound is
 *   judged after a try, only pauses count as waited, and an error ends the polling; on a virtual clock.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { APPLY_PERMISSIONS } from '../src/apply/lockout.js';
import { stepPermissions } from '../src/apply/permissions.js';
import { actedOnArn, type PrincipalKind, type Step, type StepOp } from '../src/apply/steps.js';
import { pollWithBackoff } from '../src/core/poll.js';
import { AwsIamWriter, UntouchableError } from '../src/live/aws/aws-iam-writer.js';
import type { AwsClients } from '../src/live/aws/connection.js';
import { virtualClock } from './helpers/clock.js';

const ACCOUNT = '123456789012';
const DOC = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] };
const POLICY = `arn:aws:iam::${ACCOUNT}:policy/app/reader`;
const TAGS = [{ key: 'team', value: 'data' }];
const OIDC = `arn:aws:iam::${ACCOUNT}:oidc-provider/idp.example.com`;
const SAML = `arn:aws:iam::${ACCOUNT}:saml-provider/okta`;

interface Sent {
  readonly name: string;
  readonly input: Record<string, unknown>;
}

/** What the fake lists: per listing command (and ListEntitiesForPolicy's filter), the items, paged `pageSize` at a time. */
type Listings = Record<string, readonly unknown[]>;

function fakeClients(listings: Listings = {}, pageSize = 1000): { clients: AwsClients; sent: Sent[] } {
  const sent: Sent[] = [];
  const iam = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name.replace(/Command$/, '');
      sent.push({ name, input: command.input });
      if (!/^(List|Get)/.test(name)) return { $metadata: {} };
      const key = name === 'ListEntitiesForPolicy' ? `${name}:${String(command.input['PolicyUsageFilter'])}` : name;
      const all = listings[key] ?? [];
      const from = Number(command.input['Marker'] ?? 0);
      const size = Math.min(pageSize, Number(command.input['MaxItems']));
      const page = all.slice(from, from + size);
      const more = from + size < all.length;
      return { $metadata: {}, ...pageBody(name, page), IsTruncated: more, ...(more ? { Marker: String(from + size) } : {}) };
    },
  };
  return { clients: { iam, sts: {}, target: 'the fake', throttling: { throttledMs: 0, throttledRetries: 0 } } as unknown as AwsClients, sent };
}

/** The member a listing's items go in, as IAM answers. */
function pageBody(name: string, page: readonly unknown[]): Record<string, unknown> {
  const member: Record<string, string> = {
    ListAccessKeys: 'AccessKeyMetadata',
    ListMFADevices: 'MFADevices',
    ListSSHPublicKeys: 'SSHPublicKeys',
    ListSigningCertificates: 'Certificates',
    ListServiceSpecificCredentials: 'ServiceSpecificCredentials',
    ListUserPolicies: 'PolicyNames',
    ListGroupPolicies: 'PolicyNames',
    ListRolePolicies: 'PolicyNames',
    ListAttachedUserPolicies: 'AttachedPolicies',
    ListAttachedGroupPolicies: 'AttachedPolicies',
    ListAttachedRolePolicies: 'AttachedPolicies',
    ListGroupsForUser: 'Groups',
    GetGroup: 'Users',
    ListInstanceProfilesForRole: 'InstanceProfiles',
    ListPolicyVersions: 'Versions',
  };
  if (name === 'ListEntitiesForPolicy') {
    const of = (kind: string): unknown[] => page.filter((e) => (e as { kind: string }).kind === kind).map((e) => ({ [`${cap(kind)}Name`]: (e as { name: string }).name }));
    return { PolicyUsers: of('user'), PolicyGroups: of('group'), PolicyRoles: of('role') };
  }
  return { [member[name]!]: [...page] };
}

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const KINDS: readonly PrincipalKind[] = ['user', 'group', 'role'];

/** Every op of the union with every kind it takes: a new op that is not listed here does not compile. */
const OPS: { readonly [K in StepOp['op']]: readonly Extract<StepOp, { op: K }>[] } = {
  createPolicy: [{ op: 'createPolicy', name: 'reader', path: '/app/', document: DOC, tags: [] }, { op: 'createPolicy', name: 'reader', path: '/app/', document: DOC, description: 'd', tags: TAGS }],
  updatePolicyDocument: [{ op: 'updatePolicyDocument', arn: POLICY, document: DOC }],
  tagPolicy: [{ op: 'tagPolicy', arn: POLICY, tags: TAGS }],
  untagPolicy: [{ op: 'untagPolicy', arn: POLICY, keys: ['team'] }],
  createGroup: [{ op: 'createGroup', name: 'devs', path: '/' }],
  createUser: [{ op: 'createUser', name: 'alice', path: '/', tags: [] }, { op: 'createUser', name: 'alice', path: '/', boundary: POLICY, tags: TAGS }],
  createRole: [{ op: 'createRole', name: 'deployer', path: '/', trust: DOC, tags: [] }, { op: 'createRole', name: 'deployer', path: '/', trust: DOC, description: 'd', maxSessionDuration: 7200, boundary: POLICY, tags: TAGS }],
  movePath: [{ op: 'movePath', kind: 'user', name: 'alice', path: '/x/' }, { op: 'movePath', kind: 'group', name: 'devs', path: '/x/' }],
  rename: [{ op: 'rename', kind: 'user', name: 'alice', newName: 'alicia', path: '/' }, { op: 'rename', kind: 'group', name: 'devs', newName: 'developers', path: '/' }],
  updateRole: [{ op: 'updateRole', name: 'deployer', description: 'd', maxSessionDuration: 3600 }],
  updateTrust: [{ op: 'updateTrust', name: 'deployer', document: DOC }],
  putInline: KINDS.map((kind) => ({ op: 'putInline', kind, owner: 'owner1', policyName: 'inline', document: DOC })),
  deleteInline: KINDS.map((kind) => ({ op: 'deleteInline', kind, owner: 'owner1', policyName: 'inline' })),
  attach: KINDS.map((kind) => ({ op: 'attach', kind, owner: 'owner1', arn: POLICY })),
  detach: KINDS.map((kind) => ({ op: 'detach', kind, owner: 'owner1', arn: POLICY })),
  setBoundary: (['user', 'role'] as const).map((kind) => ({ op: 'setBoundary', kind, owner: 'owner1', arn: POLICY })),
  deleteBoundary: (['user', 'role'] as const).map((kind) => ({ op: 'deleteBoundary', kind, owner: 'owner1' })),
  addToGroup: [{ op: 'addToGroup', user: 'alice', group: 'devs' }],
  removeFromGroup: [{ op: 'removeFromGroup', user: 'alice', group: 'devs' }],
  tag: (['user', 'role'] as const).map((kind) => ({ op: 'tag', kind, owner: 'owner1', tags: TAGS })),
  untag: (['user', 'role'] as const).map((kind) => ({ op: 'untag', kind, owner: 'owner1', keys: ['team'] })),
  createInstanceProfile: [{ op: 'createInstanceProfile', name: 'web', path: '/' }],
  deleteInstanceProfile: [{ op: 'deleteInstanceProfile', name: 'web' }],
  removeFromInstanceProfile: [{ op: 'removeFromInstanceProfile', profile: 'web', role: 'deployer' }],
  addToInstanceProfile: [{ op: 'addToInstanceProfile', profile: 'deployer', role: 'deployer' }],
  deleteLoginProfile: [{ op: 'deleteLoginProfile', user: 'alice' }],
  deleteAccessKey: [{ op: 'deleteAccessKey', user: 'alice', id: 'AKIAEXAMPLEKEY000001' }],
  deleteUser: [{ op: 'deleteUser', name: 'alice' }],
  deleteGroup: [{ op: 'deleteGroup', name: 'devs' }],
  deleteRole: [{ op: 'deleteRole', name: 'deployer', keepProfiles: false }, { op: 'deleteRole', name: 'deployer', keepProfiles: true }],
  deletePolicy: [{ op: 'deletePolicy', arn: POLICY }],
  updatePasswordPolicy: [{ op: 'updatePasswordPolicy', policy: { minimumPasswordLength: 14, requireSymbols: true, requireNumbers: true, requireUppercaseCharacters: false, requireLowercaseCharacters: true, allowUsersToChangePassword: true, maxPasswordAge: 90, passwordReusePrevention: 24, hardExpiry: false } }],
  deletePasswordPolicy: [{ op: 'deletePasswordPolicy' }],
  setAccountAlias: [{ op: 'setAccountAlias', alias: 'example-prod', previous: null }, { op: 'setAccountAlias', alias: null, previous: 'example-old' }],
  createOidcProvider: [{ op: 'createOidcProvider', url: 'https://token.actions.githubusercontent.com', clientIds: ['sts.amazonaws.com'], thumbprints: [], tags: [] }, { op: 'createOidcProvider', url: 'https://idp.example.com', clientIds: ['a', 'b'], thumbprints: ['0'.repeat(40)], tags: TAGS }],
  createSamlProvider: [{ op: 'createSamlProvider', name: 'okta', metadata: '<EntityDescriptor/>', tags: [] }, { op: 'createSamlProvider', name: 'okta', metadata: '<EntityDescriptor/>', tags: TAGS }],
  addProviderClientId: [{ op: 'addProviderClientId', arn: OIDC, clientId: 'a' }],
  removeProviderClientId: [{ op: 'removeProviderClientId', arn: OIDC, clientId: 'a' }],
  setProviderThumbprints: [{ op: 'setProviderThumbprints', arn: OIDC, thumbprints: ['0'.repeat(40)] }],
  updateSamlMetadata: [{ op: 'updateSamlMetadata', arn: SAML, metadata: '<EntityDescriptor/>' }],
  tagProvider: [{ op: 'tagProvider', providerKind: 'oidcProvider', arn: OIDC, tags: TAGS }, { op: 'tagProvider', providerKind: 'samlProvider', arn: SAML, tags: TAGS }],
  untagProvider: [{ op: 'untagProvider', providerKind: 'oidcProvider', arn: OIDC, keys: ['team'] }, { op: 'untagProvider', providerKind: 'samlProvider', arn: SAML, keys: ['team'] }],
  deleteProvider: [{ op: 'deleteProvider', providerKind: 'oidcProvider', arn: OIDC }, { op: 'deleteProvider', providerKind: 'samlProvider', arn: SAML }],
};

const step = (op: StepOp): Step => ({ id: 1, phase: 'grants', title: op.op, target: `arn:aws:iam::${ACCOUNT}:role/x`, alsoTouches: [], op });
const writerOf = (clients: AwsClients, untouchable: (arn: string) => string | undefined = () => undefined): AwsIamWriter => new AwsIamWriter(clients, { account: ACCOUNT, untouchable, clock: virtualClock() });
const changes = (sent: readonly Sent[]): Sent[] => sent.filter((s) => !/^(List|Get)/.test(s.name));

/** The names a step's op gives its entity, as IAM's name fields would carry them. */
function namesOf(op: StepOp): string[] {
  return Object.entries(op).flatMap(([k, v]) => (['name', 'newName', 'owner', 'arn', 'user', 'group', 'role', 'profile'].includes(k) && typeof v === 'string' ? [v] : []));
}

describe('dispatch and the per-kind command tables', () => {
  it('every op, for every kind, sends the action the permission guard expects, naming its entity, and no other change', async () => {
    let checked = 0;
    for (const op of Object.values(OPS).flat() as StepOp[]) {
      const { clients, sent } = fakeClients();
      await writerOf(clients).perform(step(op));
      const made = changes(sent);
      const expected = stepPermissions(step(op), ACCOUNT)[0]!.action;
      expect(`iam:${made.at(-1)?.name}`, op.op).toBe(expected);
      if (!op.op.startsWith('delete') || op.op === 'deleteInline' || op.op === 'deleteBoundary') expect(made.map((m) => m.name), JSON.stringify(op)).toHaveLength(1);
      // The command names the step's entity in its name fields (UserName, GroupName, RoleName, PolicyArn...).
      const fields = Object.entries(made.at(-1)!.input).filter(([k]) => /(Name|Arn)$/.test(k) && k !== 'PolicyName');
      for (const [field, value] of fields) expect(namesOf(op), `${op.op} ${field}`).toContain(value);
      checked++;
    }
    expect(checked).toBe(Object.values(OPS).flat().length);
    expect(checked).toBeGreaterThan(Object.keys(OPS).length);
  });
});

describe('the lockout guard knows what apply calls', () => {
  it('law: every action any step calls is one the guard checks the caller keeps, on the kind of resource it names', () => {
    const missing = new Set<string>();
    for (const op of Object.values(OPS).flat() as StepOp[]) {
      // The step as scheduleSteps makes it: its target is the entity its IAM call names.
      for (const { action, resource } of stepPermissions({ ...step(op), target: actedOnArn(op, ACCOUNT, '/') }, ACCOUNT)) {
        const kind = resource === '*' ? '*' : /^arn:aws:iam::\d{12}:([a-z-]+)\//.exec(resource)?.[1];
        const known = (APPLY_PERMISSIONS as Record<string, readonly string[]>)[kind ?? ''] ?? [];
        if (!known.includes(action)) missing.add(`${op.op}: ${action} on ${kind ?? resource}`);
      }
    }
    expect([...missing].sort()).toEqual([]);
  });
});

describe('teardown: what deleting an entity requires', () => {
  const id = fc.stringMatching(/^[A-Za-z0-9]{1,8}$/);
  const items = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T[]> => fc.array(arb, { maxLength: 7 });

  it('a user: every credential, policy and membership listed (on any pages) is removed, then the user', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          keys: items(id),
          mfa: items(fc.tuple(id, fc.boolean())),
          ssh: items(id),
          certs: items(id),
          creds: items(id),
          inline: items(id),
          attached: items(id),
          groups: items(id),
        }),
        fc.integer({ min: 1, max: 4 }),
        async (u, pageSize) => {
          const serial = ([s, virtual]: [string, boolean]): string => (virtual ? `arn:aws:iam::${ACCOUNT}:mfa/${s}` : `GAHT${s}`);
          const { clients, sent } = fakeClients(
            {
              ListAccessKeys: u.keys.map((AccessKeyId) => ({ AccessKeyId })),
              ListMFADevices: u.mfa.map((m) => ({ SerialNumber: serial(m) })),
              ListSSHPublicKeys: u.ssh.map((SSHPublicKeyId) => ({ SSHPublicKeyId })),
              ListSigningCertificates: u.certs.map((CertificateId) => ({ CertificateId })),
              ListServiceSpecificCredentials: u.creds.map((ServiceSpecificCredentialId) => ({ ServiceSpecificCredentialId })),
              ListUserPolicies: u.inline,
              ListAttachedUserPolicies: u.attached.map((p) => ({ PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/${p}` })),
              ListGroupsForUser: u.groups.map((GroupName) => ({ GroupName })),
            },
            pageSize,
          );
          await writerOf(clients).perform(step({ op: 'deleteUser', name: 'alice' }));
          const made = changes(sent);
          const of = (name: string, field: string): unknown[] => made.filter((m) => m.name === name).map((m) => m.input[field]);
          expect(of('DeleteAccessKey', 'AccessKeyId')).toEqual(u.keys);
          expect(of('DeactivateMFADevice', 'SerialNumber')).toEqual(u.mfa.map(serial));
          expect(of('DeleteVirtualMFADevice', 'SerialNumber')).toEqual(u.mfa.filter(([, v]) => v).map(serial));
          expect(of('DeleteSSHPublicKey', 'SSHPublicKeyId')).toEqual(u.ssh);
          expect(of('DeleteSigningCertificate', 'CertificateId')).toEqual(u.certs);
          expect(of('DeleteServiceSpecificCredential', 'ServiceSpecificCredentialId')).toEqual(u.creds);
          expect(of('DeleteUserPolicy', 'PolicyName')).toEqual(u.inline);
          expect(of('DetachUserPolicy', 'PolicyArn')).toEqual(u.attached.map((p) => `arn:aws:iam::${ACCOUNT}:policy/${p}`));
          expect(of('RemoveUserFromGroup', 'GroupName')).toEqual(u.groups);
          expect(made.filter((m) => m.name !== 'DeleteVirtualMFADevice' && m.name !== 'DeleteLoginProfile' && m.name !== 'DeleteUser').every((m) => m.input['UserName'] === 'alice')).toBe(true);
          expect(made.at(-1)).toEqual({ name: 'DeleteUser', input: { UserName: 'alice' } });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a group, a role, a policy: members, profiles, policies, attachments, boundary uses, versions, then the entity', async () => {
    await fc.assert(
      fc.asyncProperty(items(id), items(id), items(id), items(fc.tuple(fc.constantFrom(...KINDS), id)), items(fc.tuple(fc.constantFrom('user' as const, 'role' as const), id)), items(fc.tuple(id, fc.boolean())), fc.boolean(), fc.integer({ min: 1, max: 4 }), async (members, inline, attached, users, bounded, versions, keepProfiles, pageSize) => {
        const arns = attached.map((p) => `arn:aws:iam::${ACCOUNT}:policy/${p}`);
        for (const kind of ['group', 'role'] as const) {
          const profiles = kind === 'role' ? [{ InstanceProfileName: 'Deployer', Roles: [{}] }, ...members.map((m) => ({ InstanceProfileName: `p${m}`, Roles: [{}, {}] }))] : [];
          const { clients, sent } = fakeClients(
            {
              GetGroup: members.map((m) => ({ UserName: m, Arn: `arn:aws:iam::${ACCOUNT}:user/${m}` })),
              ListInstanceProfilesForRole: profiles,
              [`List${cap(kind)}Policies`]: inline,
              [`ListAttached${cap(kind)}Policies`]: arns.map((PolicyArn) => ({ PolicyArn })),
            },
            pageSize,
          );
          const name = kind === 'group' ? 'devs' : 'deployer';
          await writerOf(clients).perform(step(kind === 'group' ? { op: 'deleteGroup', name } : { op: 'deleteRole', name, keepProfiles }));
          const made = changes(sent);
          const of = (n: string, field: string): unknown[] => made.filter((m) => m.name === n).map((m) => m.input[field]);
          if (kind === 'group') expect(new Set(of('RemoveUserFromGroup', 'UserName'))).toEqual(new Set(members));
          else {
            expect(of('RemoveRoleFromInstanceProfile', 'InstanceProfileName')).toEqual(profiles.map((p) => p.InstanceProfileName));
            // Only the profile of the role's own name holding only it goes with it, and not when the role is replaced.
            expect(of('DeleteInstanceProfile', 'InstanceProfileName')).toEqual(keepProfiles ? [] : ['Deployer']);
          }
          expect(of(`Delete${cap(kind)}Policy`, 'PolicyName')).toEqual(inline);
          expect(of(`Detach${cap(kind)}Policy`, 'PolicyArn')).toEqual(arns);
          expect(made.at(-1)!.name).toBe(`Delete${cap(kind)}`);
        }

        const { clients, sent } = fakeClients(
          {
            'ListEntitiesForPolicy:PermissionsPolicy': users.map(([kind, name]) => ({ kind, name })),
            'ListEntitiesForPolicy:PermissionsBoundary': bounded.map(([kind, name]) => ({ kind, name })),
            ListPolicyVersions: versions.map(([v, isDefault], i) => ({ VersionId: `v${i}${v}`, IsDefaultVersion: isDefault })),
          },
          pageSize,
        );
        await writerOf(clients).perform(step({ op: 'deletePolicy', arn: POLICY }));
        const made = changes(sent);
        const detached = made.filter((m) => m.name.startsWith('Detach')).map((m) => `${m.name}:${String(m.input['UserName'] ?? m.input['GroupName'] ?? m.input['RoleName'])}`);
        expect(detached.sort()).toEqual(users.map(([k, n]) => `Detach${cap(k)}Policy:${n}`).sort());
        expect(made.filter((m) => m.name.startsWith('Detach')).every((m) => m.input['PolicyArn'] === POLICY)).toBe(true);
        const unbounded = made.filter((m) => m.name.endsWith('PermissionsBoundary')).map((m) => `${m.name}:${String(m.input['UserName'] ?? m.input['RoleName'])}`);
        expect(unbounded.sort()).toEqual(bounded.map(([k, n]) => `Delete${cap(k)}PermissionsBoundary:${n}`).sort());
        expect(made.filter((m) => m.name === 'DeletePolicyVersion').map((m) => m.input['VersionId'])).toEqual(versions.flatMap(([v, isDefault], i) => (isDefault ? [] : [`v${i}${v}`])));
        expect(made.at(-1)).toEqual({ name: 'DeletePolicy', input: { PolicyArn: POLICY } });
      }),
      { numRuns: 40 },
    );
  });

  it('an untouchable member or attached principal refuses the deletion before any change', async () => {
    const guard = (arn: string): string | undefined => (arn.endsWith('/break-glass') ? 'is protected' : undefined);
    const group = fakeClients({ GetGroup: [{ UserName: 'alice', Arn: `arn:aws:iam::${ACCOUNT}:user/alice` }, { UserName: 'break-glass', Arn: `arn:aws:iam::${ACCOUNT}:user/ops/break-glass` }] }, 1);
    await expect(writerOf(group.clients, guard).perform(step({ op: 'deleteGroup', name: 'devs' }))).rejects.toThrow(UntouchableError);
    expect(changes(group.sent)).toEqual([]);
    const policy = fakeClients({ 'ListEntitiesForPolicy:PermissionsPolicy': [{ kind: 'user', name: 'alice' }], 'ListEntitiesForPolicy:PermissionsBoundary': [{ kind: 'role', name: 'break-glass' }] }, 1);
    await expect(writerOf(policy.clients, guard).perform(step({ op: 'deletePolicy', arn: POLICY }))).rejects.toThrow(/role break-glass is protected/);
    expect(changes(policy.sent)).toEqual([]);
  });
});

describe('the one polling helper', () => {
  const schedule = { timeoutMs: 10_000, firstPauseMs: 250, growth: 2, maxPauseMs: 2000 };

  it('pauses grow to their ceiling; only the pauses count as waited; the answer ends it', async () => {
    const clock = virtualClock();
    const pauses: number[] = [];
    let tries = 0;
    const outcome = await pollWithBackoff(
      clock,
      schedule,
      async () => {
        tries++;
        await clock.sleep(100); // a slow try: not waiting for consistency
        return tries === 6 ? { done: true, value: 'shown' } : { done: false, pending: tries };
      },
      (_pending, pause, before) => pauses.push(pause) && expect(before).toBe(pauses.length - 1),
    );
    expect(pauses).toEqual([250, 500, 1000, 2000, 2000]);
    expect(outcome).toEqual({ done: true, value: 'shown', waitedMs: 5750, pauses: 5 });
  });

  it('the bound is judged after a try: a try that began in time runs, then the last pending is returned', async () => {
    const clock = virtualClock();
    let tries = 0;
    const outcome = await pollWithBackoff(clock, { ...schedule, timeoutMs: 1000 }, async () => ({ done: false, pending: ++tries }));
    // Tries at 0, 250, 750 and 1750 ms: the fourth ends past the bound and is the last.
    expect(outcome).toEqual({ done: false, pending: 4, waitedMs: 1750, pauses: 3 });
  });

  it('an error a try throws ends the polling with it', async () => {
    const clock = virtualClock();
    let tries = 0;
    await expect(
      pollWithBackoff(clock, schedule, async () => {
        if (++tries === 3) throw new Error('refused for good');
        return { done: false, pending: tries };
      }),
    ).rejects.toThrow('refused for good');
    expect(clock.waited).toBe(750);
  });
});
