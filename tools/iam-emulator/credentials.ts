/**
 * A user's credentials (what deleting a user must clean up first): console password, access keys, MFA devices,
 * SSH public keys, signing certificates and service-specific credentials. Each function is one IAM operation on the
 * model's users.
 */
import { randomBytes } from 'node:crypto';
import { alreadyExists, deleteConflict, IamError, noSuchEntity, validationError } from './errors.js';
import type { IamModel } from './model.js';
import { newId, type AccessKeyRecord, type ServiceCredentialRecord, type UploadedKeyRecord } from './records.js';
import { checkName, checkPath, checkQuota } from './rules.js';

/** The services that issue service-specific credentials (CreateServiceSpecificCredential's ServiceName). */
const CREDENTIAL_SERVICES: readonly string[] = ['codecommit.amazonaws.com', 'cassandra.amazonaws.com', 'bedrock.amazonaws.com'];

export function createLoginProfile(model: IamModel, userName: string): void {
  const user = model.user(userName);
  if (user.loginProfile) throw alreadyExists(`Login Profile for user ${userName} already exists.`);
  user.loginProfile = { created: model.now() };
  model.changed();
}

export function deleteLoginProfile(model: IamModel, userName: string): void {
  const user = model.user(userName);
  if (!user.loginProfile) throw noSuchEntity(`Login Profile for User ${userName} cannot be found.`);
  delete user.loginProfile;
  model.changed();
}

export function createAccessKey(model: IamModel, userName: string): AccessKeyRecord {
  const user = model.user(userName);
  checkQuota('AccessKeysPerUser', user.accessKeys.length + 1);
  const key: AccessKeyRecord = { id: newId('AKIA'), secret: randomBytes(30).toString('base64').slice(0, 40), status: 'Active', created: model.now() };
  user.accessKeys.push(key);
  model.changed();
  return key;
}

export function deleteAccessKey(model: IamModel, userName: string, id: string): void {
  removeFrom(model, model.user(userName).accessKeys, id, `The Access Key with id ${id} cannot be found.`);
}

/** UpdateAccessKey: Status is Active or Inactive (statusType); a key the user does not have is NoSuchEntity. */
export function updateAccessKey(model: IamModel, userName: string, id: string, status: string): void {
  if (status !== 'Active' && status !== 'Inactive') throw validationError(status, 'status', 'Member must satisfy enum value set: [Active, Inactive]');
  const keys = model.user(userName).accessKeys;
  const index = keys.findIndex((k) => k.id === id);
  if (index < 0) throw noSuchEntity(`The Access Key with id ${id} cannot be found.`);
  keys[index] = { ...keys[index]!, status };
  model.changed();
}

export function createVirtualMfaDevice(model: IamModel, name: string, path = '/'): { serial: string; created: Date } {
  checkName(name, 'virtualMFADeviceName');
  checkPath(path);
  const serial = `arn:aws:iam::${model.account}:mfa${path}${name}`;
  if (model.virtualMfaDevices.has(serial)) throw alreadyExists(`MFADevice entity at the same path and name already exists.`);
  const device = { serial, created: model.now() };
  model.virtualMfaDevices.set(serial, device);
  model.changed();
  return device;
}

export function enableMfaDevice(model: IamModel, userName: string, serial: string): void {
  const user = model.user(userName);
  const device = model.virtualMfaDevices.get(serial);
  if (!device) throw noSuchEntity(`VirtualMFADevice with serial number ${serial} doesn't exist.`);
  if (device.user) throw alreadyExists(`MFA device ${serial} is already in use.`);
  device.user = user.name;
  user.mfaDevices.push(serial);
  model.changed();
}

export function deactivateMfaDevice(model: IamModel, userName: string, serial: string): void {
  const user = model.user(userName);
  const index = user.mfaDevices.indexOf(serial);
  if (index < 0) throw noSuchEntity(`MFA Device with serial number ${serial} does not exist.`);
  user.mfaDevices.splice(index, 1);
  const device = model.virtualMfaDevices.get(serial);
  if (device) delete device.user;
  model.changed();
}

export function deleteVirtualMfaDevice(model: IamModel, serial: string): void {
  const device = model.virtualMfaDevices.get(serial);
  if (!device) throw noSuchEntity(`VirtualMFADevice with serial number ${serial} doesn't exist.`);
  if (device.user) throw deleteConflict('MFA Device is still in use.');
  model.virtualMfaDevices.delete(serial);
  model.changed();
}

export function uploadSshPublicKey(model: IamModel, userName: string, body: string): UploadedKeyRecord {
  const user = model.user(userName);
  if (!body.startsWith('ssh-rsa ') && !body.startsWith('ssh-ed25519 ') && !body.startsWith('-----BEGIN')) throw new IamError('InvalidInput', 'Invalid public key.');
  checkQuota('PublicKeysPerUser', user.sshKeys.length + 1);
  const key: UploadedKeyRecord = { id: newId('APKA'), body, status: 'Active', uploaded: model.now() };
  user.sshKeys.push(key);
  model.changed();
  return key;
}

export function deleteSshPublicKey(model: IamModel, userName: string, id: string): void {
  removeFrom(model, model.user(userName).sshKeys, id, `Public key with id ${id} cannot be found.`);
}

export function uploadSigningCertificate(model: IamModel, userName: string, body: string): UploadedKeyRecord {
  const user = model.user(userName);
  if (!body.includes('BEGIN CERTIFICATE')) throw new IamError('InvalidInput', 'The certificate is malformed.');
  checkQuota('SigningCertificatesPerUser', user.signingCertificates.length + 1);
  const cert: UploadedKeyRecord = { id: newId('CERT'), body, status: 'Active', uploaded: model.now() };
  user.signingCertificates.push(cert);
  model.changed();
  return cert;
}

export function deleteSigningCertificate(model: IamModel, userName: string, id: string): void {
  removeFrom(model, model.user(userName).signingCertificates, id, `The Certificate with id ${id} cannot be found.`);
}

export function createServiceSpecificCredential(model: IamModel, userName: string, service: string): ServiceCredentialRecord {
  const user = model.user(userName);
  if (service.length < 1) throw validationError(service, 'serviceName', 'Member must have length greater than or equal to 1');
  if (!CREDENTIAL_SERVICES.includes(service)) throw new IamError('InvalidInput', `No such service ${service} is supported for Service Specific Credentials`);
  checkQuota('ServiceSpecificCredentialsPerUserPerService', user.serviceCredentials.filter((c) => c.service === service).length + 1);
  const credential: ServiceCredentialRecord = { id: newId('ACCA'), service, userName: `${user.name}-at-${model.account}`, password: randomBytes(24).toString('base64'), status: 'Active', created: model.now() };
  user.serviceCredentials.push(credential);
  model.changed();
  return credential;
}

export function deleteServiceSpecificCredential(model: IamModel, userName: string, id: string): void {
  removeFrom(model, model.user(userName).serviceCredentials, id, `No such credential ${id} exists`);
}

function removeFrom(model: IamModel, list: { readonly id: string }[], id: string, missing: string): void {
  const index = list.findIndex((item) => item.id === id);
  if (index < 0) throw noSuchEntity(missing);
  list.splice(index, 1);
  model.changed();
}
