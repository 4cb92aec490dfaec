/**
 * The manifest language as authored (one zod schema per `kind`). These are the shapes a person writes; the
 * normaliser turns them into the `IamState` model. Unknown fields are errors (with a suggestion), since a
 * misspelt `managedPolicy:` silently ignored would be a security bug.
 */
import { z } from 'zod';

/** A policy document written inline (a YAML or JSON object); validated by the policy grammar, not here. */
const PolicyDocument = z.record(z.string(), z.unknown()).describe('An IAM policy document (Version, Statement, ...).');

/** An inline document, or `{documentFile: path}` naming a JSON file relative to the manifest. */
const PolicyDocumentOrFile = PolicyDocument.describe(
  'An IAM policy document, or {documentFile: relative/path.json} to read it from a JSON file.',
);

const Name = z.string().describe('The IAM name; unique per kind in the account, case-insensitively.');
const IamPath = z.string().describe('The IAM path, e.g. "/" (default) or "/people/".');
const Tags = z.record(z.string(), z.string()).describe('Tags: key -> value.');
const Deleted = z.boolean().describe('true: the tool deletes this entity.');
const PolicyRefs = z
  .array(z.string())
  .describe('Managed policies: the name of a Policy or Boundary manifest, or any policy ARN.');
const InlinePolicies = z
  .record(z.string(), PolicyDocumentOrFile)
  .describe('Inline policies: policy name -> document.');
const BoundaryRef = z.string().describe('Permissions boundary: a Boundary or Policy manifest name, or a policy ARN.');

const Credentials = z
  .strictObject({
    console: z.boolean().optional().describe('false: no console password (apply deletes a login profile). true: one is allowed (the tool never creates one).'),
    accessKeys: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional().describe('The most access keys the user may have, active or not (IAM allows 2); apply deletes the extra ones, inactive and oldest first.'),
    mfa: z.enum(['required', 'optional']).optional().describe('required: a user with a console password must have an MFA device (a finding and drift; apply cannot add one).'),
  })
  .describe('What credentials users may have, as policy (never secrets). Absent fields are not managed.');

export const AccountManifest = z.strictObject({
  kind: z.literal('Account'),
  id: z.string().describe('The 12-digit AWS account id, quoted so that leading zeros survive.'),
  prune: z.boolean().optional().describe('true: delete live entities under managedPaths that no manifest declares.'),
  managedPaths: z.array(z.string()).optional().describe('IAM paths this repo owns (default ["/"], meaning all).'),
  protected: z.array(z.string()).optional().describe('ARNs of entities the tool must never modify or delete, matched by kind and name (case-insensitively, whatever the path).'),
  acceptUnknown: z
    .strictObject({
      actions: z.array(z.string()).optional().describe('Actions (or patterns, e.g. "deeplens:*") that IAM accepts but the AWS catalog does not list: retired services, undocumented actions.'),
      awsManagedPolicies: z.array(z.string()).optional().describe('ARNs of AWS managed policies that AWS no longer offers (deprecated) but that stay attached in this account.'),
    })
    .optional()
    .describe('Names the catalog does not know that this repo uses knowingly; anything else unknown is an error (a typo).'),
  acceptedRisks: z
    .array(
      z.strictObject({
        principal: z.string().describe('ARN of the user or role that holds the risk (for trust findings, the role).'),
        code: z.string().describe('The finding code, e.g. FULL_ADMIN.'),
        reason: z.string().describe('Why it is accepted; shown beside the finding.'),
      }),
    )
    .optional()
    .describe('Risk findings accepted on purpose (a break-glass role\'s FULL_ADMIN): shown as accepted, never failing plan or audit.'),
  hygiene: z
    .strictObject({
      accessKeyMaxAgeDays: z.number().int().min(1).max(3650).optional().describe('An active access key older than this (days since it was created or rotated) is due for rotation (default 90).'),
      unusedForDays: z.number().int().min(1).max(400).optional().describe('Access keys and roles with no use recorded for this many days are unused (default 90; IAM records role use for 400 days).'),
    })
    .optional()
    .describe('What audit and drift call old or unused, judging IAM\'s usage records (credential report, roles\' last use).'),
  passwordPolicy: z
    .strictObject({
      minimumPasswordLength: z.number().int().min(6).max(128).optional().describe('Characters, 6 to 128 (IAM\'s default 6; the CIS AWS Foundations Benchmark asks for 14 or more).'),
      requireSymbols: z.boolean().optional().describe('At least one of ! @ # $ % ^ & * ( ) _ + - = [ ] { } | \' (default false).'),
      requireNumbers: z.boolean().optional().describe('At least one digit (default false).'),
      requireUppercaseCharacters: z.boolean().optional().describe('At least one uppercase letter A-Z (default false).'),
      requireLowercaseCharacters: z.boolean().optional().describe('At least one lowercase letter a-z (default false).'),
      allowUsersToChangePassword: z.boolean().optional().describe('Users may change their own password in the console (default false).'),
      maxPasswordAge: z.number().int().min(1).max(1095).optional().describe('Days a password stays valid, 1 to 1095 (absent: passwords never expire).'),
      passwordReusePrevention: z.number().int().min(1).max(24).optional().describe('How many previous passwords a user may not reuse, 1 to 24 (absent: reuse allowed; CIS asks for 24).'),
      hardExpiry: z.boolean().optional().describe('An expired password can only be reset by an administrator (default false).'),
      deleted: z.boolean().optional().describe('true: the account has no custom password policy (the tool deletes it); then no other field.'),
    })
    .optional()
    .describe('The account password policy (UpdateAccountPasswordPolicy). Absent: not managed. A field left out is IAM\'s default, as IAM has no partial update.'),
  credentials: Credentials.optional().describe("Every user's default credentials policy (a User's own credentials block overrides it field by field). Absent: not managed."),
  alias: z.string().nullable().optional().describe('The account alias (3 to 63 lowercase letters, digits and single hyphens, not at either end); null: no alias. Absent: not managed.'),
  name: z.string().optional().describe('A short name for the account ({{account.name}} in shared baseline manifests); default: the folder\'s name.'),
  baseline: z
    .strictObject({
      folder: z.string().describe('The folder of manifests every account folder shares (a break-glass role, an audit role), relative to this file: e.g. ../baseline.'),
      exclude: z.array(z.string()).optional().describe('Shared entities this account does not take, as KIND/NAME: e.g. Role/break-glass.'),
    })
    .optional()
    .describe('Manifests shared by several account folders, taken as this folder\'s own with {{account.id}} and {{account.name}} filled in; an entity this folder declares itself overrides the shared one.'),
});

export const UserManifest = z.strictObject({
  kind: z.literal('User'),
  name: Name,
  path: IamPath.optional(),
  groups: z.array(z.string()).optional().describe('Names of Group manifests the user belongs to.'),
  managedPolicies: PolicyRefs.optional(),
  inlinePolicies: InlinePolicies.optional(),
  permissionsBoundary: BoundaryRef.optional(),
  tags: Tags.optional(),
  deleted: Deleted.optional(),
  previousName: z.string().optional().describe('The name it has in IAM today, to rename it in place (UpdateUser / UpdateGroup): it keeps its access keys, password, MFA devices and group memberships. Remove it once applied everywhere.'),
  credentials: Credentials.optional(),
});

export const GroupManifest = z.strictObject({
  kind: z.literal('Group'),
  name: Name,
  path: IamPath.optional(),
  managedPolicies: PolicyRefs.optional(),
  inlinePolicies: InlinePolicies.optional(),
  deleted: Deleted.optional(),
  previousName: z.string().optional().describe('The name it has in IAM today, to rename it in place (UpdateUser / UpdateGroup): it keeps its access keys, password, MFA devices and group memberships. Remove it once applied everywhere.'),
});

/**
 * Role fields a manifest may leave unmanaged: those a `get-account-authorization-details` export does not hold, so
 * that a role imported from one can say so instead of resetting them.
 */
export const ROLE_UNMANAGED_FIELDS = ['description', 'maxSessionDuration'] as const;

export const RoleManifest = z.strictObject({
  kind: z.literal('Role'),
  name: Name,
  previousName: z.string().optional().describe('Not possible: IAM cannot rename roles or managed policies (validate says how to move to a new name).'),
  path: IamPath.optional(),
  description: z.string().optional(),
  maxSessionDuration: z.number().int().optional().describe('Seconds, 3600 (default) to 43200.'),
  unmanagedFields: z
    .array(z.enum(ROLE_UNMANAGED_FIELDS))
    .optional()
    .describe('Fields the tool leaves as they are in IAM (never compared, changed or reported as drift); import writes them when its source does not hold them.'),
  trustPolicy: PolicyDocumentOrFile.optional().describe('Who may assume the role (required unless deleted).'),
  managedPolicies: PolicyRefs.optional(),
  inlinePolicies: InlinePolicies.optional(),
  permissionsBoundary: BoundaryRef.optional(),
  tags: Tags.optional(),
  instanceProfile: z
    .union([z.boolean(), z.strictObject({ name: z.string().describe('The instance profile\'s name (1-128 of letters, digits and _+=,.@-).') })])
    .optional()
    .describe('The instance profile EC2 uses to pass the role to instances: true (named like the role) or {name}; created and filled with the role, and left by it when the role goes. false: the role is in no instance profile. Absent: not managed (live profiles stay as they are).'),
  deleted: Deleted.optional(),
});

const managedPolicyFields = {
  name: Name,
  previousName: z.string().optional().describe('Not possible: IAM cannot rename roles or managed policies (validate says how to move to a new name).'),
  path: IamPath.optional(),
  description: z.string().optional(),
  document: PolicyDocument.optional().describe('The policy document; exactly one of document and documentFile.'),
  documentFile: z.string().optional().describe('Path of a JSON policy document, relative to this manifest.'),
  tags: Tags.optional(),
  deleted: Deleted.optional(),
};

export const PolicyManifest = z.strictObject({ kind: z.literal('Policy'), ...managedPolicyFields });
export const BoundaryManifest = z.strictObject({ kind: z.literal('Boundary'), ...managedPolicyFields });

export const OpenIDConnectProviderManifest = z.strictObject({
  kind: z.literal('OpenIDConnectProvider'),
  url: z.string().describe('The issuer URL, starting with https:// (e.g. https://token.actions.githubusercontent.com); it names the provider.'),
  clientIds: z.array(z.string()).describe('Client ids (audiences) tokens must be issued for, e.g. ["sts.amazonaws.com"].'),
  thumbprints: z.array(z.string()).optional().describe('SHA-1 thumbprints (40 hex digits) of the issuer\'s certificates; absent: left to IAM (never compared).'),
  tags: Tags.optional(),
  deleted: Deleted.optional(),
});

export const SAMLProviderManifest = z.strictObject({
  kind: z.literal('SAMLProvider'),
  name: Name,
  metadataDocumentFile: z.string().optional().describe('Path of the identity provider\'s SAML metadata XML, relative to this manifest (required unless deleted).'),
  tags: Tags.optional(),
  deleted: Deleted.optional(),
});

export const SCHEMAS = {
  Account: AccountManifest,
  User: UserManifest,
  Group: GroupManifest,
  Role: RoleManifest,
  Policy: PolicyManifest,
  Boundary: BoundaryManifest,
  OpenIDConnectProvider: OpenIDConnectProviderManifest,
  SAMLProvider: SAMLProviderManifest,
} as const;

export type ManifestKind = keyof typeof SCHEMAS;
export const MANIFEST_KINDS = Object.keys(SCHEMAS) as ManifestKind[];

export type AccountManifest = z.infer<typeof AccountManifest>;
export type UserManifest = z.infer<typeof UserManifest>;
export type GroupManifest = z.infer<typeof GroupManifest>;
export type RoleManifest = z.infer<typeof RoleManifest>;
export type PolicyManifest = z.infer<typeof PolicyManifest>;
export type BoundaryManifest = z.infer<typeof BoundaryManifest>;
export type OpenIDConnectProviderManifest = z.infer<typeof OpenIDConnectProviderManifest>;
export type SAMLProviderManifest = z.infer<typeof SAMLProviderManifest>;
export type ProviderManifest = OpenIDConnectProviderManifest | SAMLProviderManifest;
export type Manifest = AccountManifest | UserManifest | GroupManifest | RoleManifest | PolicyManifest | BoundaryManifest | ProviderManifest;

/** Field names of a kind, for "did you mean" on unknown fields. */
export function fieldsOf(kind: ManifestKind): string[] {
  return Object.keys(SCHEMAS[kind].shape);
}

/** The JSON Schema of a manifest document (any kind), for editor completion through yaml-language-server. */
export function manifestJsonSchema(): Record<string, unknown> {
  const anyManifest = z.discriminatedUnion('kind', [
    AccountManifest,
    UserManifest,
    GroupManifest,
    RoleManifest,
    PolicyManifest,
    BoundaryManifest,
    OpenIDConnectProviderManifest,
    SAMLProviderManifest,
  ]);
  return {
    ...z.toJSONSchema(anyManifest, { target: 'draft-7' }),
    title: 'iam-gitops manifest',
    description: 'One YAML document of an iam-gitops manifests folder: an Account, User, Group, Role, Policy, Boundary, OpenIDConnectProvider or SAMLProvider.',
  };
}
