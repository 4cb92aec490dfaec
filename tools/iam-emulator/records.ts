/**
 * What the emulated account holds: one record type per IAM entity, as the model stores it (names as given, keys of
 * the maps lower-cased, documents as stored text). No rules here: `rules.ts` holds what IAM refuses, `model.ts`
 * the operations.
 */
import { randomBytes } from 'node:crypto';

export interface Tag {
  readonly Key: string;
  readonly Value: string;
}

export interface Entity {
  name: string;
  path: string;
  readonly id: string;
  arn: string;
  readonly created: Date;
  /** Epoch ms from which reads show it (eventual consistency). */
  readonly visibleAt: number;
}

export interface Principal extends Entity {
  /** Inline policies by name, documents as stored. */
  readonly inline: Map<string, string>;
  /** Attached managed policy ARNs, in attachment order. */
  readonly attached: string[];
  tags: Tag[];
}

export type CredentialStatus = 'Active' | 'Inactive';

export interface AccessKeyRecord {
  readonly id: string;
  readonly secret: string;
  readonly status: CredentialStatus;
  readonly created: Date;
  /** Set when a request signed with the key reaches the emulator (GetAccessKeyLastUsed, the credential report). */
  lastUsed?: { date: Date; service: string; region: string };
}

export interface UploadedKeyRecord {
  readonly id: string;
  readonly body: string;
  readonly status: CredentialStatus;
  readonly uploaded: Date;
}

export interface ServiceCredentialRecord {
  readonly id: string;
  readonly service: string;
  readonly userName: string;
  readonly password: string;
  readonly status: CredentialStatus;
  readonly created: Date;
}

export interface UserRecord extends Principal {
  boundary?: string;
  /** Group keys (lower-case names). */
  readonly groups: string[];
  loginProfile?: { created: Date };
  readonly accessKeys: AccessKeyRecord[];
  readonly mfaDevices: string[];
  readonly sshKeys: UploadedKeyRecord[];
  readonly signingCertificates: UploadedKeyRecord[];
  readonly serviceCredentials: ServiceCredentialRecord[];
}

export type GroupRecord = Principal;

export interface RoleRecord extends Principal {
  boundary?: string;
  trust: string;
  description?: string;
  maxSessionDuration: number;
  /** Set when STS issues a session for the role (RoleLastUsed in GetRole and get-account-authorization-details). */
  lastUsed?: { date: Date; region: string };
}

export interface PolicyVersion {
  readonly id: string;
  readonly document: string;
  isDefault: boolean;
  readonly created: Date;
}

export interface PolicyRecord extends Entity {
  readonly description?: string;
  readonly versions: PolicyVersion[];
  nextVersion: number;
  tags: Tag[];
  updated: Date;
  /** AWS managed: attachable, never changed or deleted. */
  readonly awsManaged: boolean;
}

export interface InstanceProfileRecord extends Entity {
  /** Role keys; IAM allows one role per instance profile. */
  readonly roles: string[];
  tags: Tag[];
}

export interface VirtualMfaDeviceRecord {
  readonly serial: string;
  user?: string;
  readonly created: Date;
}

export interface OidcProviderRecord {
  readonly arn: string;
  /** The URL without `https://`, as IAM returns it. */
  readonly url: string;
  readonly clientIds: string[];
  thumbprints: string[];
  readonly created: Date;
  tags: Tag[];
}

export interface SamlProviderRecord {
  readonly arn: string;
  readonly name: string;
  readonly uuid: string;
  metadata: string;
  readonly created: Date;
  validUntil: Date;
  tags: Tag[];
}

/** The account's password policy as IAM stores it: the two optional limits are absent when not set. */
export interface PasswordPolicyRecord {
  readonly minimumPasswordLength: number;
  readonly requireSymbols: boolean;
  readonly requireNumbers: boolean;
  readonly requireUppercaseCharacters: boolean;
  readonly requireLowercaseCharacters: boolean;
  readonly allowUsersToChangePassword: boolean;
  readonly maxPasswordAge?: number;
  readonly passwordReusePrevention?: number;
  readonly hardExpiry: boolean;
}

export type DeletionTaskStatus = 'NOT_STARTED' | 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED';

/** A service-linked role's deletion: IAM answers with a task id at once and deletes the role later. */
export interface DeletionTaskRecord {
  readonly id: string;
  readonly roleKey: string;
  /** Epoch ms at which the deletion is done. */
  readonly doneAt: number;
}

/** IAM's unique ids: a four-letter kind prefix and 17 base32 characters. */
export function newId(prefix: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = randomBytes(17);
  return prefix + [...bytes].map((b) => alphabet[b % 32]).join('');
}
