/**
 * Identity providers and service-linked roles: OIDC providers (CreateOpenIDConnectProvider and its kin), SAML
 * providers (CreateSAMLProvider and its kin) and the roles AWS services own (CreateServiceLinkedRole, and their
 * deletion as a task IAM runs after it answers). Each function is one IAM operation; the rules are those of the IAM
 * API reference page of the action.
 */
import { randomUUID } from 'node:crypto';
import { alreadyExists, IamError, invalidInput, noSuchEntity, validationError } from './errors.js';
import type { IamModel } from './model.js';
import type { OidcProviderRecord, RoleRecord, SamlProviderRecord, Tag } from './records.js';
import { checkArn, checkDescription, checkQuota, checkTags } from './rules.js';

// --- OIDC providers --------------------------------------------------------------------------------------------

export function createOpenIdConnectProvider(model: IamModel, url: string, clientIds: readonly string[] = [], thumbprints: readonly string[] = [], tags: readonly Tag[] = []): OidcProviderRecord {
  if (url.length < 1 || url.length > 255) throw validationError(url, 'url', 'Member must have length less than or equal to 255');
  if (!/^https:\/\/[^\s]+$/.test(url)) throw validationError(url, 'url', 'Member must satisfy regular expression pattern: https://.*');
  checkClientIds(clientIds);
  checkThumbprints(thumbprints);
  checkTags(tags);
  const bare = url.replace(/^https:\/\//, '').replace(/\/$/, '');
  const arn = `arn:aws:iam::${model.account}:oidc-provider/${bare}`;
  if (model.oidcProviders.has(arn)) throw alreadyExists(`Provider with url ${url} already exists.`);
  checkQuota('OpenIdConnectProvidersInAccount', model.oidcProviders.size + 1);
  const provider: OidcProviderRecord = { arn, url: bare, clientIds: [...new Set(clientIds)], thumbprints: [...thumbprints], created: model.now(), tags: [...tags] };
  model.oidcProviders.set(arn, provider);
  model.changed();
  return provider;
}

export function oidcProvider(model: IamModel, arn: string): OidcProviderRecord {
  checkArn(arn);
  const found = model.oidcProviders.get(arn);
  if (!found) throw noSuchEntity(`OpenIDConnect Provider not found for arn ${arn}`);
  return found;
}

export function deleteOpenIdConnectProvider(model: IamModel, arn: string): void {
  oidcProvider(model, arn);
  model.oidcProviders.delete(arn);
  model.changed();
}

/** Adding a client id the provider has already is no error (IAM: the operation is idempotent). */
export function addClientId(model: IamModel, arn: string, clientId: string): void {
  const provider = oidcProvider(model, arn);
  checkClientIds([clientId]);
  if (provider.clientIds.includes(clientId)) return;
  checkQuota('ClientIDsPerOpenIdConnectProvider', provider.clientIds.length + 1);
  provider.clientIds.push(clientId);
  model.changed();
}

/** Removing a client id the provider does not have is no error either. */
export function removeClientId(model: IamModel, arn: string, clientId: string): void {
  const provider = oidcProvider(model, arn);
  checkClientIds([clientId]);
  const index = provider.clientIds.indexOf(clientId);
  if (index < 0) return;
  provider.clientIds.splice(index, 1);
  model.changed();
}

export function updateThumbprints(model: IamModel, arn: string, thumbprints: readonly string[]): void {
  const provider = oidcProvider(model, arn);
  checkThumbprints(thumbprints);
  provider.thumbprints = [...thumbprints];
  model.changed();
}

function checkClientIds(clientIds: readonly string[]): void {
  checkQuota('ClientIDsPerOpenIdConnectProvider', clientIds.length);
  for (const id of clientIds) if (id.length < 1 || id.length > 255) throw validationError(id, 'clientIDList.member', 'Member must have length less than or equal to 255');
}

/** A thumbprint is the hex SHA-1 of a certificate: exactly 40 characters; at most five. */
function checkThumbprints(thumbprints: readonly string[]): void {
  checkQuota('ThumbprintsPerOpenIdConnectProvider', thumbprints.length);
  for (const t of thumbprints) if (t.length !== 40) throw validationError(t, 'thumbprintList.member', t.length < 40 ? 'Member must have length greater than or equal to 40' : 'Member must have length less than or equal to 40');
}

// --- SAML providers --------------------------------------------------------------------------------------------

const SAML_NAME = /^[\w._-]+$/;

export function createSamlProvider(model: IamModel, name: string, metadata: string, tags: readonly Tag[] = []): SamlProviderRecord {
  if (name.length < 1 || name.length > 128) throw validationError(name, 'name', 'Member must have length less than or equal to 128');
  if (!SAML_NAME.test(name)) throw validationError(name, 'name', 'Member must satisfy regular expression pattern: [\\w._-]+');
  checkTags(tags);
  const validUntil = checkMetadata(metadata);
  const arn = `arn:aws:iam::${model.account}:saml-provider/${name}`;
  if (model.samlProviders.has(arn)) throw alreadyExists(`SAMLProvider ${name} already exists.`);
  checkQuota('SAMLProvidersInAccount', model.samlProviders.size + 1);
  const created = model.now();
  const provider: SamlProviderRecord = { arn, name, uuid: `p-${randomUUID()}`, metadata, created, validUntil: validUntil ?? defaultValidUntil(created), tags: [...tags] };
  model.samlProviders.set(arn, provider);
  model.changed();
  return provider;
}

export function samlProvider(model: IamModel, arn: string): SamlProviderRecord {
  checkArn(arn);
  const found = model.samlProviders.get(arn);
  if (!found) throw noSuchEntity(`Manifest not found for arn ${arn}`);
  return found;
}

export function updateSamlProvider(model: IamModel, arn: string, metadata: string | undefined): SamlProviderRecord {
  const provider = samlProvider(model, arn);
  if (metadata !== undefined) {
    const validUntil = checkMetadata(metadata);
    provider.metadata = metadata;
    provider.validUntil = validUntil ?? defaultValidUntil(model.now());
  }
  model.changed();
  return provider;
}

export function deleteSamlProvider(model: IamModel, arn: string): void {
  samlProvider(model, arn);
  model.samlProviders.delete(arn);
  model.changed();
}

/**
 * SAMLMetadataDocument: 1,000 to 10,000,000 characters (ValidationError), and an EntityDescriptor with an IdP SSO
 * descriptor (InvalidInput otherwise). Returns the metadata's validUntil, when it states one.
 */
function checkMetadata(metadata: string): Date | undefined {
  if (metadata.length < 1000) throw validationError(metadata.slice(0, 40), 'sAMLMetadataDocument', 'Member must have length greater than or equal to 1000');
  if (metadata.length > 10_000_000) throw validationError(metadata.slice(0, 40), 'sAMLMetadataDocument', 'Member must have length less than or equal to 10000000');
  if (!/<(\w+:)?EntityDescriptor[\s>]/.test(metadata) || !/<(\w+:)?IDPSSODescriptor[\s>]/.test(metadata)) throw invalidInput('Could not parse metadata');
  const stated = /\bvalidUntil="([^"]+)"/.exec(metadata)?.[1];
  if (stated === undefined) return undefined;
  const date = new Date(stated);
  if (Number.isNaN(date.getTime())) throw invalidInput('Could not parse metadata');
  return date;
}

/** Metadata without validUntil: the provider does not expire in practice (the emulator says 100 years). */
function defaultValidUntil(from: Date): Date {
  const until = new Date(from);
  until.setUTCFullYear(until.getUTCFullYear() + 100);
  return until;
}

// --- service-linked roles --------------------------------------------------------------------------------------

/** A service's linked role as the service defines it: the role name it gives, the AWS managed policy it attaches. */
interface LinkedRoleKind {
  readonly roleName: string;
  readonly policy: string;
  /** Whether the service takes a CustomSuffix (several roles for one service). */
  readonly customSuffix: boolean;
}

/**
 * The services this emulator knows the linked role of (from each service's "Using service-linked roles" page).
 * IAM knows every service; an unknown one here is refused, so that a test does not pass on a made-up service.
 */
export const SERVICE_LINKED_ROLES: Readonly<Record<string, LinkedRoleKind>> = {
  'autoscaling.amazonaws.com': { roleName: 'AWSServiceRoleForAutoScaling', policy: 'AutoScalingServiceRolePolicy', customSuffix: true },
  'elasticloadbalancing.amazonaws.com': { roleName: 'AWSServiceRoleForElasticLoadBalancing', policy: 'AWSElasticLoadBalancingServiceRolePolicy', customSuffix: false },
  'ecs.amazonaws.com': { roleName: 'AWSServiceRoleForECS', policy: 'AmazonECSServiceRolePolicy', customSuffix: false },
  'rds.amazonaws.com': { roleName: 'AWSServiceRoleForRDS', policy: 'AmazonRDSServiceRolePolicy', customSuffix: false },
  'eks.amazonaws.com': { roleName: 'AWSServiceRoleForAmazonEKS', policy: 'AmazonEKSServiceRolePolicy', customSuffix: false },
  'support.amazonaws.com': { roleName: 'AWSServiceRoleForSupport', policy: 'AWSSupportServiceRolePolicy', customSuffix: false },
};

export function isServiceLinked(role: RoleRecord): boolean {
  return role.path.startsWith('/aws-service-role/');
}

export function createServiceLinkedRole(model: IamModel, service: string, description?: string, customSuffix?: string): RoleRecord {
  if (service.length < 1 || service.length > 128 || !/^[\w+=,.@-]+$/.test(service)) throw validationError(service, 'aWSServiceName', 'Member must satisfy regular expression pattern: [\\w+=,.@-]+');
  if (description !== undefined) checkDescription(description);
  if (customSuffix !== undefined && (customSuffix.length < 1 || customSuffix.length > 64 || !/^[\w+=,.@-]+$/.test(customSuffix))) {
    throw validationError(customSuffix, 'customSuffix', 'Member must satisfy regular expression pattern: [\\w+=,.@-]+');
  }
  const kind = SERVICE_LINKED_ROLES[service];
  if (!kind) throw invalidInput(`Invalid ServiceName: ${service} does not support service-linked roles.`);
  if (customSuffix !== undefined && !kind.customSuffix) throw invalidInput(`Custom suffix is not allowed for ${service}`);
  const name = customSuffix !== undefined ? `${kind.roleName}_${customSuffix}` : kind.roleName;
  if (model.roles.has(name.toLowerCase())) throw invalidInput(`Service role name ${name} has been taken in this account, please try a different suffix.`);
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] });
  const role = model.createRole(name, `/aws-service-role/${service}/`, trust, description);
  role.attached.push(`arn:aws:iam::aws:policy/aws-service-role/${kind.policy}`);
  return role;
}

/** Starts the deletion; the role goes once the task is done (after the model's consistency delay). */
export function deleteServiceLinkedRole(model: IamModel, roleName: string): string {
  const role = model.role(roleName);
  if (!isServiceLinked(role)) throw invalidInput(`Role ${role.name} is not a service-linked role.`);
  const service = role.path.split('/')[2] ?? '';
  const id = `task/aws-service-role/${service}/${role.name}/${randomUUID()}`;
  model.deletionTasks.set(id, { id, roleKey: role.name.toLowerCase(), doneAt: model.now().getTime() + model.consistencyDelayMs });
  return id;
}

export function deletionStatus(model: IamModel, taskId: string): 'IN_PROGRESS' | 'SUCCEEDED' {
  if (taskId.length < 1 || taskId.length > 1000) throw validationError(taskId, 'deletionTaskId', 'Member must have length less than or equal to 1000');
  const task = model.deletionTasks.get(taskId);
  if (!task) throw new IamError('NoSuchEntity', `Deletion task ${taskId} cannot be found.`);
  model.settleDeletions();
  return model.now().getTime() >= task.doneAt ? 'SUCCEEDED' : 'IN_PROGRESS';
}
