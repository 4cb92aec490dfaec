/**
 * A config repo's worth of untrusted text, for the laws of issue 16 item 6: hostile strings placed everywhere a
 * manifest, a snapshot of live IAM, a file or folder name or a request can carry them (one entity per string).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface HostileConfig {
  /** Manifests that validate, carrying each string in a role's description, trust and policy conditions. */
  readonly valid: string;
  /** Manifests that do not: each string as an unknown key, an unknown policy, in ARNs, and as a broken file's name. */
  readonly invalid: string;
  /**
   * Live IAM carrying each string in a user's tags, a role's description, tags and conditions (names hold only what
   * IAM allows in them: the snapshot reader refuses others, in diagnostics that are inert too).
   */
  readonly snapshot: string;
  /** Live IAM naming entities with each string, which the snapshot reader refuses (in inert diagnostics). */
  readonly badNames: string;
  /** simulate's requests, with each string as a context value, a principal's name and an action. */
  readonly requests: string;
  /** A root with an account folder named after each string (and one whose managed path holds it). */
  readonly accounts: string;
  /** Account folders whose Account manifests are invalid (hostile managed paths). */
  readonly invalidAccounts: string;
}

/** A string as a YAML double-quoted scalar: JSON's escapes are YAML's. */
export const yamlString = (s: string): string => JSON.stringify(s);

/** A string as a file or folder name: any byte but `/` and NUL, at most 200 bytes. */
export function fileName(s: string): string {
  return Buffer.from(s.replace(/[/\0]/g, '_') || '_').subarray(0, 200).toString('utf8').replace(/\uFFFD$/, '') || '_';
}

export function writeHostileConfig(dir: string, strings: readonly string[]): HostileConfig {
  const write = (path: string, text: string): void => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  const y = yamlString;
  const account = (id = '123456789012', paths = '["/"]'): string => `kind: Account\nid: "${id}"\nprune: false\nmanagedPaths: ${paths}\n`;
  write('valid/account.yaml', account());
  write('invalid/account.yaml', account());
  const users: unknown[] = [];
  const roles: unknown[] = [];
  const requests: string[] = [];
  strings.forEach((s, i) => {
    write(
      `valid/roles/deployer${i}.yaml`,
      `kind: Role\nname: deployer${i}\ndescription: ${y(s)}\ntrustPolicy:\n  Version: "2012-10-17"\n  Statement:\n    - Effect: Allow\n      Principal: { AWS: "arn:aws:iam::123456789012:root" }\n      Action: sts:AssumeRole\n      Condition: { StringEquals: { "aws:PrincipalTag/team": ${y(s)} } }\ninlinePolicies:\n  read:\n    Version: "2012-10-17"\n    Statement:\n      - Effect: Allow\n        Action: s3:GetObject\n        Resource: "*"\n        Condition: { StringLike: { "s3:prefix": ${y(s)} } }\ntags:\n  team: payments\n`,
    );
    write(`invalid/users/key${i}.yaml`, `kind: User\nname: key${i}\n${y(s)}: 1\n`);
    write(`invalid/users/policy${i}.yaml`, `kind: User\nname: policy${i}\nmanagedPolicies: [${y(s)}]\n`);
    write(`invalid/users/arn${i}.yaml`, `kind: User\nname: arn${i}\nmanagedPolicies: [${y(`arn:aws:iam::aws:policy/${s}`)}]\npermissionsBoundary: ${y(`arn:${s}`)}\n`);
    write(`invalid/users/${fileName(s)}-${i}.yaml`, `kind: User\nname: broken${i}\ngroups: [\n`);
    const id = String(i).padStart(4, '0');
    users.push({ Path: '/', UserName: `mallory${i}`, UserId: `AIDAEXAMPLEEXAMP${id}`, Arn: `arn:aws:iam::123456789012:user/mallory${i}`, CreateDate: '2026-01-01T00:00:00Z', UserPolicyList: [], GroupList: [], AttachedManagedPolicies: [{ PolicyName: 'AdministratorAccess', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }], Tags: [{ Key: `k${s}`, Value: s }] });
    roles.push({
      Path: '/', RoleName: `deployer${i}`, RoleId: `AROAEXAMPLEEXAMP${id}`, Arn: `arn:aws:iam::123456789012:role/deployer${i}`, CreateDate: '2026-01-01T00:00:00Z', Description: s,
      AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:PrincipalTag/x': s } } }] },
      RolePolicyList: [{ PolicyName: `p${i}`, PolicyDocument: { Version: '2012-10-17', Statement: [{ Sid: 'S', Effect: 'Allow', Action: 'iam:*', Resource: '*', Condition: { StringLike: { 'aws:PrincipalTag/x': s } } }] } }],
      AttachedManagedPolicies: [], InstanceProfileList: [], Tags: [{ Key: 'team', Value: s }],
    });
    requests.push(JSON.stringify({ principal: `arn:aws:iam::123456789012:role/deployer${i}`, action: 'iam:GetUser', resource: '*', context: { 'aws:PrincipalTag/x': s } }), JSON.stringify({ principal: `arn:aws:iam::123456789012:role/${s}`, action: `iam:${s}` }));
    write(`accounts/${fileName(s)}-${i}/account.yaml`, account(String(100000000000 + i)));
    // A managed path must be an IAM path: these are refused, at their place, in inert words.
    write(`accounts-invalid/paths-${i}/account.yaml`, account(String(200000000000 + i), `[${y(`/${s}/`)}]`));
  });
  write('snapshot.json', JSON.stringify({ UserDetailList: users, GroupDetailList: [], RoleDetailList: roles, Policies: [] }));
  const named = strings.map((s, i) => ({ Path: '/', UserName: `mallory${i}${s}`, Arn: `arn:aws:iam::123456789012:user/mallory${i}${s}`, UserPolicyList: [{ PolicyName: `p${s}`, PolicyDocument: { Version: '2012-10-17', Statement: [] } }], GroupList: [], AttachedManagedPolicies: [] }));
  write('bad-names.json', JSON.stringify({ UserDetailList: named, GroupDetailList: [], RoleDetailList: [], Policies: [] }));
  write('requests.jsonl', `${requests.join('\n')}\n`);
  return { valid: join(dir, 'valid'), invalid: join(dir, 'invalid'), snapshot: join(dir, 'snapshot.json'), badNames: join(dir, 'bad-names.json'), requests: join(dir, 'requests.jsonl'), accounts: join(dir, 'accounts'), invalidAccounts: join(dir, 'accounts-invalid') };
}
