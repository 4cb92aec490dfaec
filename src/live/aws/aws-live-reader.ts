/**
 * Adapter: live IAM read from AWS in as few calls as the API allows. `GetAccountAuthorizationDetails` returns users,
 * groups, roles and managed policies with every relationship, 1,000 items a page (IAM may return shorter pages; every
 * `Marker` is followed); one stream per entity filter, read concurrently. `ListRoles` adds what the details lack
 * (role descriptions and maximum session durations), `sts:GetCallerIdentity` says whose account it is. Policy tags
 * have no bulk API: they are read one policy at a time, and only for the policies whose manifests set tags.
 *
 * The pages become the JSON that `aws iam get-account-authorization-details` prints (documents decoded), so that
 * `iam-gitops snapshot --aws` writes a file that `--state` reads back to the same state.
 */
import {
  GenerateCredentialReportCommand,
  GetAccountPasswordPolicyCommand,
  GetAccountSummaryCommand,
  GetCredentialReportCommand,
  paginateGetAccountAuthorizationDetails,
  paginateListAccountAliases,
  paginateListPolicyTags,
  paginateListRoles,
  type EntityType,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import pLimit from 'p-limit';
import { ACCOUNT_ID, parseArn, parseEntityArn, parseIamResource } from '../../core/arn.js';
import { error, InputError, warning, type Diagnostic } from '../../core/diagnostics.js';
import { readProviders } from './read-providers.js';
import { SYSTEM_CLOCK, type Clock } from '../../core/clock.js';
import { pollWithBackoff } from '../../core/poll.js';
import type { AccountSummaryFacts, CredentialReport, ServiceLastAccess } from '../../core/usage.js';
import { readServiceLastAccessed } from './last-accessed.js';
import { parseCredentialReport } from '../credential-report.js';
import type { Tags, UserCredentials } from '../../core/state.js';
import { userCredentialsFrom } from '../snapshot-credentials.js';
import { readUserCredentials, type ReadCredentials } from './read-credentials.js';
import { parseSnapshotValue } from '../parse-snapshot.js';
import type { CallerIdentity, CredentialUsage, LiveReader, LiveState } from '../live-state.js';
import type { AwsClients } from './connection.js';
import { awsErrorCode, describeAwsError, isAccessDenied } from './errors.js';

type Json = Record<string, unknown>;

const FILTERS: readonly EntityType[] = ['User', 'Group', 'Role', 'LocalManagedPolicy', 'AWSManagedPolicy'];
const PAGE_SIZE = 1000;
/** How long to wait for IAM to build the credential report. */
const CREDENTIAL_REPORT_TIMEOUT_MS = 120_000;

export interface AwsSnapshot {
  /** get-account-authorization-details JSON, with roles' Description and MaxSessionDuration. */
  readonly snapshot: Json;
  readonly caller: CallerIdentity;
  /** Account settings the caller may not read (AccessDenied): left out of the snapshot, so unknown to a plan. */
  readonly unreadable?: readonly string[];
  /** What could not be read, and why (warnings). */
  readonly notes?: readonly Diagnostic[];
}

export class AwsLiveReader implements LiveReader {
  constructor(private readonly clients: AwsClients) {}

  /** The account as a snapshot value, and who read it. */
  async readSnapshot(): Promise<AwsSnapshot> {
    const what = 'reading IAM';
    try {
      const [identity, pages, roles, settings, providers] = await Promise.all([
        this.clients.sts.send(new GetCallerIdentityCommand({})),
        Promise.all(FILTERS.map((filter) => collect(this.clients.iam, filter))),
        listRoles(this.clients.iam),
        readAccountSettings(this.clients.iam),
        readProviders(this.clients.iam),
      ]);
      const merged: { UserDetailList: Json[]; GroupDetailList: Json[]; RoleDetailList: Json[]; Policies: Json[] } = { UserDetailList: [], GroupDetailList: [], RoleDetailList: [], Policies: [] };
      for (const page of pages.flat()) {
        merged.UserDetailList.push(...((page['UserDetailList'] as Json[] | undefined) ?? []));
        merged.GroupDetailList.push(...((page['GroupDetailList'] as Json[] | undefined) ?? []));
        merged.RoleDetailList.push(...((page['RoleDetailList'] as Json[] | undefined) ?? []));
        merged.Policies.push(...((page['Policies'] as Json[] | undefined) ?? []));
      }
      for (const role of merged.RoleDetailList) {
        const listed = roles.get(String(role['RoleName']));
        // A role ListRoles did not list (created between the two reads) is as a CLI export has it: unknown.
        if (!listed) continue;
        // Known from ListRoles: an empty description is "none", not "unknown" (as a CLI export would have it).
        role['Description'] = listed.description ?? '';
        if (listed.maxSessionDuration !== undefined) role['MaxSessionDuration'] = listed.maxSessionDuration;
      }
      const account = identity.Account ?? '';
      const callerArn = identity.Arn ?? '';
      // Settings and providers are added keys beside the GAAD ones (snapshot-providers.ts), so the snapshot stays
      // readable as a GAAD export.
      const snapshot = { ...(cliShape(merged) as Json), ...settings.keys, ...('lists' in providers ? providers.lists : {}) };
      return {
        snapshot,
        caller: { account, arn: callerArn, ...principalOf(callerArn, merged) },
        ...(settings.unreadable.length ? { unreadable: settings.unreadable } : {}),
        ...('denied' in providers ? { notes: [warning(providers.denied, 'Plans do not compare identity providers until the caller may read them; grant these read actions to the role that plans.')] } : {}),
      };
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw new InputError([describeAwsError(e, what, this.clients.target)]);
    }
  }

  async read(): Promise<LiveState> {
    const { snapshot, caller, unreadable, notes: readNotes } = await this.readSnapshot();
    const notes: Diagnostic[] = [...(unreadable ?? []).map((what) => warning(`${what} could not be read: the caller is denied it`, 'A plan neither compares nor changes it. Grant the reading role the call (the AWS managed policies ReadOnlyAccess and SecurityAudit include it) to manage it.')), ...(readNotes ?? [])];
    const live = parseSnapshotValue(`aws:${caller.account}`, snapshot);
    // The state is the caller's account even when it holds nothing that names it (a new account).
    const state = live.state.account === '' ? { ...live.state, account: caller.account } : live.state;
    return {
      state,
      source: `aws:${caller.account}`,
      get fingerprint() {
        return live.fingerprint;
      },
      notes: [...live.notes, ...notes],
      caller,
      ...(live.roleUses ? { roleUses: live.roleUses } : {}),
    };
  }

  /**
   * The credential report (GenerateCredentialReport, then GetCredentialReport until it is ready, on the clock's
   * backoff: IAM builds it in seconds and keeps it four hours, so a recent one is reused) and GetAccountSummary. Three
   * calls and a few polls, whatever the account's size.
   */
  async readCredentialUsage(clock: Clock = SYSTEM_CLOCK): Promise<CredentialUsage> {
    const unavailable: string[] = [];
    let credentials: CredentialReport | undefined;
    let summary: AccountSummaryFacts | undefined;
    try {
      credentials = await this.credentialReport(clock);
    } catch (e) {
      if (!isAccessDenied(e)) throw e instanceof InputError ? e : new InputError([describeAwsError(e, 'reading the credential report', this.clients.target)]);
      unavailable.push('the credential report (iam:GenerateCredentialReport and iam:GetCredentialReport are denied to the caller): keys, passwords and MFA are not judged');
    }
    try {
      const map = (await this.clients.iam.send(new GetAccountSummaryCommand({}))).SummaryMap ?? {};
      summary = { rootMfaEnabled: map['AccountMFAEnabled'] === 1, rootAccessKeysPresent: (map['AccountAccessKeysPresent'] ?? 0) > 0 };
    } catch (e) {
      if (!isAccessDenied(e)) throw new InputError([describeAwsError(e, 'reading the account summary', this.clients.target)]);
      unavailable.push('the account summary (iam:GetAccountSummary is denied to the caller): the root user is judged from the credential report alone');
    }
    return { ...(credentials ? { credentials } : {}), ...(summary ? { summary } : {}), unavailable };
  }

  async readServiceLastAccessed(arns: readonly string[], clock: Clock = SYSTEM_CLOCK): Promise<ReadonlyMap<string, readonly ServiceLastAccess[]>> {
    return readServiceLastAccessed(this.clients, arns, clock);
  }

  private async credentialReport(clock: Clock): Promise<CredentialReport> {
    await this.clients.iam.send(new GenerateCredentialReportCommand({}));
    const outcome = await pollWithBackoff(clock, { timeoutMs: CREDENTIAL_REPORT_TIMEOUT_MS, firstPauseMs: 1_000, growth: 1.5, maxPauseMs: 10_000 }, async () => {
      try {
        const report = await this.clients.iam.send(new GetCredentialReportCommand({}));
        return { done: true as const, value: report };
      } catch (e) {
        // Not ready yet (ReportInProgress), or generation not yet visible (ReportNotPresent): ask again.
        const code = awsErrorCode(e);
        if (code === 'ReportInProgress' || code === 'CredentialReportNotReady' || code === 'ReportNotPresent' || code === 'CredentialReportNotPresent') return { done: false as const, pending: code };
        throw e;
      }
    });
    if (!outcome.done) {
      throw new InputError([error(`the credential report was still not ready after ${Math.round(outcome.waitedMs / 1000)} s (${outcome.pending})`, 'IAM usually builds it within seconds; run again later. Hygiene findings need it.')]);
    }
    const csv = Buffer.from(outcome.value.Content ?? new Uint8Array()).toString('utf8');
    return parseCredentialReport(csv, outcome.value.GeneratedTime ?? new Date(clock.now()), `${this.clients.target} credential report`);
  }

  async readUserCredentials(users: readonly string[]): Promise<{ credentials: ReadonlyMap<string, UserCredentials>; denied?: string }> {
    const read = await this.readUserCredentialList(users);
    return { credentials: userCredentialsFrom(read.entries), ...(read.denied ? { denied: read.denied } : {}) };
  }

  /** The same, as the snapshot key `UserCredentialList` holds it (`snapshot --aws` writes it). */
  async readUserCredentialList(users: readonly string[]): Promise<ReadCredentials> {
    try {
      return await readUserCredentials(this.clients.iam, users);
    } catch (e) {
      throw new InputError([describeAwsError(e, "reading users' credentials", this.clients.target)]);
    }
  }

  async readPolicyTags(arns: readonly string[]): Promise<ReadonlyMap<string, Tags>> {
    const limit = pLimit(8);
    const out = new Map<string, Tags>();
    try {
      await Promise.all(
        arns.map((arn) =>
          limit(async () => {
            const tags: Record<string, string> = {};
            for await (const page of paginateListPolicyTags({ client: this.clients.iam, pageSize: PAGE_SIZE }, { PolicyArn: arn })) {
              for (const t of page.Tags ?? []) tags[t.Key!] = t.Value ?? '';
            }
            out.set(arn, Object.fromEntries(Object.keys(tags).sort().map((k) => [k, tags[k]!])));
          }),
        ),
      );
    } catch (e) {
      throw new InputError([describeAwsError(e, 'reading policy tags', this.clients.target)]);
    }
    return out;
  }
}

async function collect(client: IAMClient, filter: EntityType): Promise<Json[]> {
  const pages: Json[] = [];
  for await (const page of paginateGetAccountAuthorizationDetails({ client, pageSize: PAGE_SIZE }, { Filter: [filter] })) pages.push(page as unknown as Json);
  return pages;
}

/**
 * The password policy (GetAccountPasswordPolicy: NoSuchEntity when none is set) and the alias (ListAccountAliases),
 * as the snapshot keys `PasswordPolicy` and `AccountAliases`: two calls whatever the account's size. A key the caller
 * may not read is left out (unknown, never guessed).
 */
async function readAccountSettings(client: IAMClient): Promise<{ keys: Json; unreadable: string[] }> {
  const keys: Json = {};
  const unreadable: string[] = [];
  const denied = (e: unknown): boolean => awsErrorCode(e) === 'AccessDenied';
  await Promise.all([
    client.send(new GetAccountPasswordPolicyCommand({})).then(
      (answer) => {
        keys['PasswordPolicy'] = cliShape(answer.PasswordPolicy ?? {});
      },
      (e: unknown) => {
        if (awsErrorCode(e) === 'NoSuchEntity') keys['PasswordPolicy'] = null;
        else if (denied(e)) unreadable.push('the password policy (iam:GetAccountPasswordPolicy)');
        else throw e;
      },
    ),
    (async () => {
      try {
        const aliases: string[] = [];
        for await (const page of paginateListAccountAliases({ client }, {})) aliases.push(...(page.AccountAliases ?? []));
        keys['AccountAliases'] = aliases;
      } catch (e) {
        if (denied(e)) unreadable.push('the account alias (iam:ListAccountAliases)');
        else throw e;
      }
    })(),
  ]);
  return { keys, unreadable };
}

async function listRoles(client: IAMClient): Promise<Map<string, { description?: string; maxSessionDuration?: number }>> {
  const out = new Map<string, { description?: string; maxSessionDuration?: number }>();
  for await (const page of paginateListRoles({ client, pageSize: PAGE_SIZE }, {})) {
    for (const role of page.Roles ?? []) {
      out.set(role.RoleName!, { ...(role.Description ? { description: role.Description } : {}), ...(role.MaxSessionDuration !== undefined ? { maxSessionDuration: role.MaxSessionDuration } : {}) });
    }
  }
  return out;
}

/** The IAM principal behind the caller: the user itself, or the role of an assumed-role session (path included). */
function principalOf(arn: string, merged: { UserDetailList: Json[]; RoleDetailList: Json[] }): { principalArn?: string } {
  // `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`: the role's name, then the session's (a path of one segment).
  const parsed = parseArn(arn);
  const session = parsed?.service === 'sts' && parsed.region === '' && ACCOUNT_ID.test(parsed.account) ? parseIamResource(parsed.resource) : undefined;
  if (session?.type === 'assumed-role' && session.path !== '/') {
    const roleName = session.path.split('/')[1];
    const role = merged.RoleDetailList.find((r) => r['RoleName'] === roleName);
    return role ? { principalArn: String(role['Arn']) } : {};
  }
  const entity = parseEntityArn(arn);
  if (entity?.kind === 'user' && ACCOUNT_ID.test(entity.account)) return { principalArn: arn };
  return {};
}

/**
 * The SDK's pages as the CLI prints them: dates as ISO strings, documents decoded from the URL encoding IAM uses
 * into JSON objects, pagination fields dropped.
 */
function cliShape(value: unknown, key = ''): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => cliShape(v));
  if (value !== null && typeof value === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined || k === '$metadata' || k === 'IsTruncated' || k === 'Marker') continue;
      out[k] = cliShape(v, k);
    }
    return out;
  }
  if (typeof value === 'string' && (key === 'Document' || key === 'PolicyDocument' || key === 'AssumeRolePolicyDocument')) return decodeDocumentText(value);
  return value;
}

function decodeDocumentText(text: string): unknown {
  for (const candidate of [text, safeDecode(text)]) {
    if (candidate === undefined) continue;
    try {
      return JSON.parse(candidate);
    } catch {
      // next decoding
    }
  }
  return text;
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
