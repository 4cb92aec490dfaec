/**
 * Identity providers (issue 18 item 1). Laws, on random accounts of providers and roles trusting them:
 * - a role the plan leaves in place that trusts a provider neither declared nor live (or declared deleted) is an
 *   error, and nothing else about providers is;
 * - otherwise the plan creates exactly the declared providers live IAM lacks, deletes exactly the declared-deleted
 *   ones it has, and every surviving role that trusts a created provider gains that provider in the trust section
 *   (a provider that does not exist admits nobody);
 * - a snapshot without provider lists (a get-account-authorization-details export) compares no provider: no change,
 *   one warning.
 * And the manifest rules IAM enforces (URL, thumbprints, SAML metadata) are validation errors at their place.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planChanges, validateManifests } from '../src/app/use-cases.js';
import { manifestsFromFiles } from '../src/manifest/files-source.js';
import { renderPlanText } from '../src/render/text-plan.js';
import { scheduleSteps } from '../src/apply/steps.js';
import { NOW, snapshotReader } from './helpers/example.js';

const ACCOUNT = '123456789012';
const OIDC = ['idp0.example.com', 'idp1.example.com', 'idp2.example.com'];
const SAML = 'corp';
const PROVIDERS = [...OIDC.map((h) => `arn:aws:iam::${ACCOUNT}:oidc-provider/${h}`), `arn:aws:iam::${ACCOUNT}:saml-provider/${SAML}`];

/** SAML metadata IAM accepts: an EntityDescriptor with an IDPSSODescriptor, at least 1,000 characters. */
function metadata(entity: string): string {
  const cert = 'MIIC'.padEnd(1200, 'A');
  return `<?xml version="1.0"?>\n<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${entity}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://sso.example.com/saml"/></md:IDPSSODescriptor></md:EntityDescriptor>\n`;
}

function trustOf(providers: readonly number[]): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: providers.map((i) =>
      i === 3
        ? { Effect: 'Allow', Principal: { Federated: PROVIDERS[i] }, Action: 'sts:AssumeRoleWithSAML', Condition: { StringEquals: { 'SAML:aud': 'https://signin.aws.amazon.com/saml' } } }
        : { Effect: 'Allow', Principal: { Federated: PROVIDERS[i] }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: { StringEquals: { [`${OIDC[i]}:aud`]: 'sts.amazonaws.com' } } },
    ),
  };
}

type Presence = 'absent' | 'declared' | 'deleted';
interface Case {
  /** Per provider: live or not, and what the manifests say. */
  readonly providers: readonly { readonly live: boolean; readonly manifest: Presence }[];
  /** Roles: which providers each trusts, live or not, and what the manifests say. */
  readonly roles: readonly { readonly trusts: readonly number[]; readonly live: boolean; readonly manifest: Presence }[];
}

function filesOf(c: Case): Map<string, string> {
  const files = new Map<string, string>([['m/account.yaml', `kind: Account\nid: "${ACCOUNT}"\n`]]);
  c.providers.forEach((p, i) => {
    if (p.manifest === 'absent') return;
    const deleted = p.manifest === 'deleted' ? 'deleted: true\n' : '';
    if (i < 3) files.set(`m/p${i}.yaml`, `kind: OpenIDConnectProvider\nurl: https://${OIDC[i]}\nclientIds: [sts.amazonaws.com]\n${deleted}`);
    else {
      files.set('m/saml.yaml', `kind: SAMLProvider\nname: ${SAML}\nmetadataDocumentFile: corp.xml\n${deleted}`);
      files.set('m/corp.xml', metadata('https://sso.example.com'));
    }
  });
  c.roles.forEach((r, i) => {
    if (r.manifest === 'absent') return;
    files.set(`m/r${i}.yaml`, r.manifest === 'deleted' ? `kind: Role\nname: r${i}\ndeleted: true\n` : `kind: Role\nname: r${i}\ntrustPolicy: ${JSON.stringify(trustOf(r.trusts))}\n`);
  });
  return files;
}

function snapshotOf(c: Case, withProviders = true): Record<string, unknown> {
  const roles = c.roles.flatMap((r, i) => (r.live ? [{ Path: '/', RoleName: `r${i}`, RoleId: `AROA${i}`, Arn: `arn:aws:iam::${ACCOUNT}:role/r${i}`, AssumeRolePolicyDocument: trustOf(r.trusts), RolePolicyList: [], AttachedManagedPolicies: [], Tags: [], InstanceProfileList: [] }] : []));
  const lists = {
    OpenIDConnectProviderList: c.providers.flatMap((p, i) => (p.live && i < 3 ? [{ Arn: PROVIDERS[i], Url: OIDC[i], ClientIDList: ['sts.amazonaws.com'], ThumbprintList: [], Tags: [] }] : [])),
    SAMLProviderList: c.providers[3]!.live ? [{ Arn: PROVIDERS[3], SAMLMetadataDocument: metadata('https://sso.example.com'), Tags: [] }] : [],
  };
  return { UserDetailList: [], GroupDetailList: [], RoleDetailList: roles, Policies: [], ...(withProviders ? lists : {}) };
}

const presence = fc.constantFrom<Presence>('absent', 'declared', 'deleted');
const arbCase: fc.Arbitrary<Case> = fc.record({
  providers: fc.array(fc.record({ live: fc.boolean(), manifest: presence }), { minLength: 4, maxLength: 4 }),
  roles: fc.array(fc.record({ trusts: fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 2 }), live: fc.boolean(), manifest: presence }), { minLength: 1, maxLength: 3 }),
});

async function planOf(c: Case, withProviders = true) {
  return planChanges(manifestsFromFiles('m', 'm', filesOf(c)), snapshotReader(snapshotOf(c, withProviders)), NOW);
}

describe('identity providers: plan laws', () => {
  it('errors exactly for surviving roles trusting a provider that will not exist; else creates, deletes and trust gains are exact', async () => {
    await fc.assert(
      fc.asyncProperty(arbCase, async (c) => {
        const result = await planOf(c);
        const exists = (p: number): boolean => c.providers[p]!.manifest === 'declared' || (c.providers[p]!.live && c.providers[p]!.manifest === 'absent');
        // A role survives when declared, or live and not marked deleted; its trust is the one it will have.
        const surviving = c.roles.map((r, i) => ({ r, i })).filter(({ r }) => r.manifest === 'declared' || (r.live && r.manifest === 'absent'));
        const broken = surviving.some(({ r }) => r.trusts.some((p) => !exists(p)));
        const providerErrors = result.diagnostics.filter((d) => d.severity === 'error' && /identity provider/.test(d.summary));
        expect(providerErrors.length > 0, JSON.stringify({ c, d: result.diagnostics.map((d) => d.summary) })).toBe(broken);
        if (broken) return;
        expect(result.plan, JSON.stringify(result.diagnostics)).toBeDefined();
        const plan = result.plan!;
        const changes = plan.providerChanges ?? [];
        const creates = c.providers.flatMap((p, i) => (p.manifest === 'declared' && !p.live ? [PROVIDERS[i]] : []));
        const deletes = c.providers.flatMap((p, i) => (p.manifest === 'deleted' && p.live ? [PROVIDERS[i]] : []));
        expect(changes.filter((x) => x.action === 'create').map((x) => x.arn).sort()).toEqual(creates.sort());
        expect(changes.filter((x) => x.action === 'delete').map((x) => x.arn).sort()).toEqual(deletes.sort());
        expect(changes.filter((x) => x.action === 'update')).toEqual([]);
        // Trust: a live role whose trust does not change gains each created provider it trusts, and nothing else.
        for (const { r, i } of surviving) {
          if (!r.live) continue;
          const gainedFrom = plan.trust.find((t) => t.role.endsWith(`:role/r${i}`))?.gained.filter((g) => g.type === 'Federated').map((g) => g.principal) ?? [];
          const expected = r.trusts.map((p) => PROVIDERS[p]!).filter((arn) => creates.includes(arn));
          expect(gainedFrom.sort(), `role r${i}`).toEqual(expected.sort());
        }
        // Apply order: provider creates before any role is created, deletes after every role deletion.
        const steps = scheduleSteps(plan);
        const at = (pred: (op: string) => boolean): number[] => steps.flatMap((s, k) => (pred(s.op.op) ? [k] : []));
        for (const k of at((op) => op === 'createOidcProvider' || op === 'createSamlProvider')) for (const j of at((op) => op === 'createRole' || op === 'updateTrust')) expect(k).toBeLessThan(j);
        for (const k of at((op) => op === 'deleteProvider')) for (const j of at((op) => op === 'deleteRole')) expect(k).toBeGreaterThan(j);
      }),
      { numRuns: 60 },
    );
  });

  it('against a snapshot without provider lists, no provider is created or deleted, and the plan says they were not compared', async () => {
    await fc.assert(
      fc.asyncProperty(arbCase, async (c) => {
        const result = await planOf(c, false);
        if (!result.plan) return;
        expect(result.plan.providerChanges ?? []).toEqual([]);
        const declared = c.providers.some((p) => p.manifest !== 'absent');
        expect(result.plan.diagnostics.some((d) => d.summary.startsWith('identity providers not compared'))).toBe(declared);
      }),
      { numRuns: 25 },
    );
  });

  it('deleting a provider a role trusts is an error naming the role, unless the role goes too', async () => {
    const base: Case = { providers: [{ live: true, manifest: 'deleted' }, { live: false, manifest: 'absent' }, { live: false, manifest: 'absent' }, { live: false, manifest: 'absent' }], roles: [{ trusts: [0], live: true, manifest: 'declared' }] };
    const refused = await planOf(base);
    expect(refused.plan).toBeUndefined();
    expect(refused.diagnostics.find((d) => d.severity === 'error')?.summary).toBe(`role r0 trusts identity provider ${PROVIDERS[0]}, which is marked deleted`);
    const both = await planOf({ ...base, roles: [{ trusts: [0], live: true, manifest: 'deleted' }] });
    expect(both.plan?.providerChanges).toEqual([expect.objectContaining({ action: 'delete', arn: PROVIDERS[0], details: [{ field: 'trustedBy', role: 'r0' }] })]);
    const text = renderPlanText(both.plan!);
    expect(text).toContain('- OIDC provider idp0.example.com');
    expect(text).toContain('- trusted by role r0 (deleted by this plan too)');
  });

  it('client ids, thumbprints, tags and SAML metadata are compared and planned as updates', async () => {
    const c: Case = { providers: [{ live: true, manifest: 'declared' }, { live: false, manifest: 'absent' }, { live: false, manifest: 'absent' }, { live: true, manifest: 'declared' }], roles: [] as never[] };
    const files = filesOf(c);
    files.set('m/p0.yaml', `kind: OpenIDConnectProvider\nurl: https://${OIDC[0]}/\nclientIds: [sts.amazonaws.com, other]\nthumbprints: ["${'AB'.repeat(20)}"]\ntags: {team: sec}\n`);
    files.set('m/corp.xml', metadata('https://new.example.com'));
    const result = await planChanges(manifestsFromFiles('m', 'm', files), snapshotReader(snapshotOf({ ...c, roles: [] })), NOW);
    const changes = result.plan!.providerChanges!;
    expect(changes.map((x) => [x.action, x.arn])).toEqual([['update', PROVIDERS[0]], ['update', PROVIDERS[3]]]);
    expect(changes[0]!.details).toEqual([
      { field: 'clientId', value: 'other', op: 'add' },
      { field: 'thumbprints', before: [], after: ['ab'.repeat(20)] },
      { field: 'tag', key: 'team', before: null, after: 'sec' },
    ]);
    expect(scheduleSteps(result.plan!).map((s) => s.op.op).sort()).toEqual(['addProviderClientId', 'setProviderThumbprints', 'tagProvider', 'updateSamlMetadata']);
    expect(renderPlanText(result.plan!)).toContain('entityID https://new.example.com');
    expect(result.plan!.summary.update).toBe(2);
  });
});

describe('identity providers: validation', () => {
  const validate = async (files: Record<string, string>) => (await validateManifests(manifestsFromFiles('m', 'm', new Map([['m/account.yaml', `kind: Account\nid: "${ACCOUNT}"\n`], ...Object.entries(files)])))).diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.at?.file}:${d.at?.line} ${d.summary}`);

  it('reports IAM\'s rules at their place, every one in one run', async () => {
    expect(
      (await validate({
        'm/a.yaml': `kind: OpenIDConnectProvider\nurl: http://idp.example.com\nclientIds: [sts.amazonaws.com]\nthumbprints: [abc]\n`,
        'm/b.yaml': `kind: SAMLProvider\nname: bad name\n`,
        'm/c.yaml': `kind: SAMLProvider\nname: short\nmetadataDocumentFile: short.xml\n`,
        'm/short.xml': '<EntityDescriptor><IDPSSODescriptor/></EntityDescriptor>',
        'm/d.yaml': `kind: OpenIDConnectProvider\nurl: https://idp2.example.com\nclientIds: []\n`,
        'm/e.yaml': `kind: OpenIDConnectProvider\nurl: https://idp2.example.com/\nclientIds: []\n`,
        'm/f.yaml': `kind: OpenIDConnectProvider\nurl: https://idp3.example.com\n`,
      })).sort(),
    ).toEqual([
      'm/a.yaml:2 invalid OIDC provider url "http://idp.example.com"',
      'm/a.yaml:4 invalid thumbprint "abc"',
      'm/b.yaml:2 invalid SAML provider name "bad name"',
      'm/b.yaml:1 SAMLProvider "bad name" has no metadataDocumentFile',
      'm/c.yaml:3 metadataDocumentFile "short.xml" is not SAML metadata IAM accepts',
      `m/e.yaml:2 duplicate OpenIDConnectProvider arn:aws:iam::${ACCOUNT}:oidc-provider/idp2.example.com`,
      'm/f.yaml:1 missing required field "clientIds" in OpenIDConnectProvider',
    ].sort());
  });
});

describe('protected identity providers', () => {
  it('a provider listed under protected (by its ARN) is never updated or deleted: a warning says so; validate accepts the entry', async () => {
    const live = {
      UserDetailList: [], GroupDetailList: [], RoleDetailList: [], Policies: [],
      OpenIDConnectProviderList: [{ Arn: PROVIDERS[0], Url: OIDC[0], ClientIDList: ['sts.amazonaws.com'], ThumbprintList: [] }, { Arn: PROVIDERS[1], Url: OIDC[1], ClientIDList: ['sts.amazonaws.com'], ThumbprintList: [] }],
      SAMLProviderList: [],
    };
    const files = new Map([
      ['m/account.yaml', `kind: Account\nid: "${ACCOUNT}"\nprotected: [${PROVIDERS[0]}, ${PROVIDERS[1]}]\n`],
      ['m/p0.yaml', `kind: OpenIDConnectProvider\nurl: https://${OIDC[0]}\nclientIds: [sts.amazonaws.com, other]\n`],
      ['m/p1.yaml', `kind: OpenIDConnectProvider\nurl: https://${OIDC[1]}\nclientIds: [sts.amazonaws.com]\ndeleted: true\n`],
    ]);
    const validated = await validateManifests(manifestsFromFiles('m', 'm', files));
    expect(validated.diagnostics.map((d) => d.summary)).toEqual([]);
    const result = await planChanges(manifestsFromFiles('m', 'm', files), snapshotReader(live), NOW);
    expect(result.plan!.providerChanges ?? []).toEqual([]);
    expect(result.diagnostics.map((d) => d.summary)).toEqual(expect.arrayContaining([`${PROVIDERS[0]} is protected: its update left out of the plan`, `${PROVIDERS[1]} is protected: its deletion left out of the plan`]));
    // Without the entries, both change.
    files.set('m/account.yaml', `kind: Account\nid: "${ACCOUNT}"\n`);
    const open = await planChanges(manifestsFromFiles('m', 'm', files), snapshotReader(live), NOW);
    expect(open.plan!.providerChanges!.map((c) => c.action)).toEqual(['update', 'delete']);
  });
});
