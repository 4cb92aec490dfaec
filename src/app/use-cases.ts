/** Use cases: wire the adapters (files, catalog, live readers) to the pure stages. No printing, no exit codes. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { prepareOutputFolder, writeFilesInside } from '../io/files.js';
import { loadActionCatalog } from '../catalog/iam-data-catalog.js';
import { error, hasErrors, InputError, warning, type Diagnostic } from '../core/diagnostics.js';
import { importLiveState } from '../importer/live-to-manifests.js';
import { withLiveState, type LiveReader, type LiveState } from '../live/live-state.js';
import { loadAwsManagedPolicies } from '../catalog/aws-managed-policies.js';
import { completeAwsManagedPolicies, completeLiveState } from '../live/complete-managed-policies.js';
import { sourceKey, type DesiredState } from '../manifest/desired-state.js';
import { loadManifests, type ManifestSource } from '../manifest/load-manifests.js';
import { diffStates } from '../plan/diff-states.js';
import { plannedState } from '../plan/planned-state.js';
import { EffectiveAccess } from '../analyze/effective-access.js';
import { findRisks, withAcceptedRisks, type Finding } from '../analyze/findings.js';
import type { AcceptedRisk } from '../core/finding-codes.js';
import { affectedPrincipals, attributeCauses, findingIdentity, planFindings, type SeverityWithout } from '../analyze/plan-findings.js';
import { orderFindings } from '../analyze/finding-order.js';
import { AccessDeltaWorkers } from '../analyze/parallel-access-deltas.js';
import { trustDeltas } from '../analyze/trust-delta.js';
import { resourceTagDeltas, withPrincipalDeltas } from '../analyze/resource-tag-deltas.js';
import { withoutMissingProviders } from '../core/providers.js';
import { hasChanges, movedArns, type Change, type ChangeSet, type Plan } from '../plan/plan.js';
import type { EvaluateOptions } from '../evaluate/engine.js';
import type { IamState, UserCredentials } from '../core/state.js';
import { SYSTEM_CLOCK, type Clock } from '../core/clock.js';
import { DEFAULT_HYGIENE, type HygieneSettings, type ServiceLastAccess, type UsageFacts } from '../core/usage.js';
import { isAwsOwnedPath, nameKey } from '../core/arn.js';
import { withUserCredentials } from '../live/snapshot-credentials.js';
import { mfaViolations, screenWithReport, usersWithCredentialsToRead } from '../plan/credential-plan.js';
import { hygieneFindings } from '../analyze/hygiene.js';
import { passwordPolicyFindings } from '../analyze/password-policy.js';
import { fingerprintState } from '../core/fingerprint.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';

export interface ValidateResult {
  readonly desired?: DesiredState;
  readonly diagnostics: readonly Diagnostic[];
}

/** `lintLimit`: plans show a few lint warnings and a count (they are about the repo, not the change). */
export async function validateManifests(source: ManifestSource, options: { lintLimit?: number } = {}): Promise<ValidateResult> {
  const catalog = await loadActionCatalog();
  return loadManifests(source, catalog, { awsManagedPolicies: loadAwsManagedPolicies(), ...options });
}

/** How many lint warnings a plan shows before it counts the rest. */
const PLAN_LINT_LIMIT = 20;

/** Live IAM with the documents of AWS managed policies it refers to but lacks (from the shipped extract). */
export async function readLive(live: LiveReader): Promise<LiveState> {
  return completeLiveState(await live.read(), loadAwsManagedPolicies());
}

export interface PlanResult {
  /** Absent when there are errors. */
  readonly plan?: Plan;
  /** Errors and warnings from the manifests, the live source and the diff. The plan carries the warnings too. */
  readonly diagnostics: readonly Diagnostic[];
  /**
   * With a plan: what it was computed from, the state it leads to (for apply's lockout guard), and live IAM's
   * effective access as the plan judged it (its resolved principals and reach cached, for drift's further findings).
   */
  readonly context?: { readonly desired: DesiredState; readonly live: LiveState; readonly after: IamState; readonly liveAccess: EffectiveAccess };
}

/**
 * Plans the manifests against live IAM, then judges what the change does to effective permissions: the risk
 * findings it introduces or removes. `now` decides time conditions (passed in: pure stages never read the clock).
 */
export async function planChanges(manifests: ManifestSource, live: LiveReader, now: Date): Promise<PlanResult> {
  const liveRead = await readLive(live);
  // For a large account, workers load while this thread reads the manifests; they get the access deltas to compute.
  const large = liveRead.state.users.size + liveRead.state.roles.size >= LARGE_ACCOUNT_PRINCIPALS;
  const workers = AccessDeltaWorkers.start(large ? {} : { workers: 0 });
  try {
    const validated = await validateManifests(manifests, { lintLimit: PLAN_LINT_LIMIT });
    if (!validated.desired || hasErrors(validated.diagnostics)) return { diagnostics: validated.diagnostics };
    const liveState = await withCredentialsRead(await withPolicyTags(liveRead, validated.desired, live), validated.desired, live);
    return await analyzeChanges(validated.desired, liveState, now, { workers, diagnostics: validated.diagnostics });
  } finally {
    await workers.close();
  }
}

/**
 * The plan of validated manifests against a live state, with what it does: access and trust deltas and the findings
 * it introduces or removes. `workers` (started by the caller) compute access deltas for large accounts.
 */
export async function analyzeChanges(desired: DesiredState, liveState: LiveState, now: Date, extras: { workers?: AccessDeltaWorkers; diagnostics?: readonly Diagnostic[] } = {}): Promise<PlanResult> {
  const catalog = await loadActionCatalog();
  const diagnostics = extras.diagnostics ?? [];
  const workers = extras.workers ?? AccessDeltaWorkers.start({ workers: 0 });
  const diffed = diffStates(desired, liveState, { awsManagedPolicies: new Set(loadAwsManagedPolicies().byArn.keys()) });
  const changeSet = diffed.changeSet;
  if (!changeSet) return { diagnostics: [...diagnostics, ...diffed.diagnostics] };
  const after = completeAwsManagedPolicies(plannedState(liveState, desired, changeSet), loadAwsManagedPolicies());
  const options = { isWildcardOnlyAction: (a: string) => catalog.isWildcardOnly(a) };
  // A trust naming a provider that does not exist admits nobody: creating the provider is then a trust gain, and
  // deleting it a loss (withoutMissingProviders leaves states whose providers are unknown as they are).
  const [beforeAccess, afterAccess] = [new EffectiveAccess(withoutMissingProviders(liveState.state), now, options), new EffectiveAccess(withoutMissingProviders(after), now, options)];
  const affected = changeSet.changes.length ? affectedPrincipals(changeSet, [beforeAccess, afterAccess]) : new Set<string>();
  // The workers compute access deltas while this thread judges findings and trust (without workers, it computes
  // them itself when asked for the result).
  const moves = movedArns(changeSet);
  const accessJob = workers.run(liveState.state, after, affected, { ...options, catalog }, moves);
  const judged = planFindings(changeSet, beforeAccess, afterAccess, affected, moves);
  const findings = orderFindings(withAcceptedRisks(attributeCauses(judged, changeSet, severityWithout(changeSet, liveState, desired, now, options)), desired.account.acceptedRisks));
  const trust = hasChanges(changeSet) ? trustDeltas(beforeAccess, afterAccess, affected, moves) : [];
  // While the workers finish: the fingerprints the plan records (hashes of whole states).
  const fingerprints = { live: liveState.fingerprint, desired: fingerprintState(desired.state) };
  // Access that follows the tags of the IAM users and roles it acts on, where the change retags them.
  const access = withPrincipalDeltas(await accessJob.result(), resourceTagDeltas(beforeAccess, afterAccess, catalog, moves));
  // Built whole, in the order of the JSON contract's fields.
  const plan: Plan = {
    formatVersion: 1,
    account: changeSet.account,
    changes: changeSet.changes,
    unmanaged: changeSet.unmanaged,
    access,
    trust,
    findings,
    summary: changeSet.summary,
    live: { source: liveState.source, fingerprint: fingerprints.live },
    desired: { fingerprint: fingerprints.desired },
    diagnostics: [...diagnostics, ...changeSet.diagnostics, ...mfaWarnings(desired, liveState)],
    protected: changeSet.protected,
    catalog: catalog.version,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    ...(changeSet.providerChanges ? { providerChanges: changeSet.providerChanges } : {}),
  };
  return { plan, diagnostics: plan.diagnostics, context: { desired, live: liveState, after, liveAccess: beforeAccess } };
}

/**
 * A finding's severity in the state the plan leads to without one change (and its other half, for a replacement):
 * that state judged once per change asked about, the finding's principal looked up under the ARN it has there.
 */
function severityWithout(plan: ChangeSet, live: LiveState, desired: DesiredState, now: Date, options: EvaluateOptions): SeverityWithout {
  const states = new Map<Change, EffectiveAccess>();
  return (change, finding) => {
    let access = states.get(change);
    if (!access) {
      const rest = plan.changes.filter((c) => c !== change && !(change.replaces !== undefined && c.replacedBy === change.arn));
      states.set(change, (access = new EffectiveAccess(completeAwsManagedPolicies(plannedState(live, desired, { changes: rest }), loadAwsManagedPolicies()), now, options)));
    }
    // Without its own move, the principal is where it was.
    const was = change.arn === finding.principal ? (change.previousArn ?? change.replaces) : undefined;
    const renamed = (arn: string): string => (arn === was ? finding.principal : arn);
    const wanted = findingIdentity(finding);
    const found = findRisks(access, new Set([finding.principal, ...(was ? [was] : [])]))
      .map((f) => ({ ...f, principal: renamed(f.principal), ...(f.targets ? { targets: f.targets.map(renamed) } : {}) }))
      .find((f) => findingIdentity(f) === wanted);
    return found?.severity;
  };
}

/**
 * Live IAM with the tags of the customer managed policies whose manifests set tags, where the reader can read them
 * (AWS: one call per policy, as no bulk API returns them; a snapshot cannot). Others stay unknown and uncompared.
 */
async function withPolicyTags(liveState: LiveState, desired: DesiredState, reader: LiveReader): Promise<LiveState> {
  const wanted = [...desired.state.policies.values()].filter((p) => Object.keys(p.tags).length > 0).flatMap((p) => {
    const have = liveState.state.policies.get(p.name.toLowerCase());
    return have && have.unknown?.includes('tags') ? [have.arn] : [];
  });
  return withTagsOf(liveState, wanted, reader, 'No bulk IAM API returns managed policy tags, so they are read only for the policies whose manifests set tags; other policies\' tags are not compared.');
}

/**
 * Users who sign in to the console without the MFA their credentials policy requires, told with their manifest: apply
 * cannot enroll a device (drift reports them as findings).
 */
function mfaWarnings(desired: DesiredState, live: LiveState): Diagnostic[] {
  return mfaViolations(desired, live.state).map((v) =>
    warning(`user "${v.user}" signs in to the console without an MFA device, which its credentials policy requires (mfa: required)`, `Apply cannot enroll a device: only the user can (IAM console, Security credentials). Ask ${v.user} to assign one, or set credentials.console: false to delete the password.`, desired.sources.get(sourceKey('user', v.user))?.()),
  );
}

/**
 * Beyond this many users, the credential report screens them first (three calls a user would be too many: see
 * screenWithReport); up to it, each is read exactly (fresh to the second).
 */
const EXACT_CREDENTIAL_READS = 50;

/**
 * Live IAM with the credentials of the users a plan needs (usersWithCredentialsToRead), where the reader can read
 * them one user at a time and the source did not hold them already (a snapshot written by `snapshot --aws`).
 */
export async function withCredentialsRead(liveState: LiveState, desired: DesiredState, reader: LiveReader): Promise<LiveState> {
  const wanted = usersWithCredentialsToRead(desired, liveState.state).filter((name) => !liveState.state.users.get(nameKey(name))?.credentials);
  if (!reader.readUserCredentials || wanted.length === 0) return liveState;
  let exact = wanted;
  let screened: ReadonlyMap<string, UserCredentials> = new Map();
  if (wanted.length > EXACT_CREDENTIAL_READS && reader.readCredentialUsage) {
    const usage = await reader.readCredentialUsage();
    if (usage.credentials) ({ exact, screened } = screenWithReport(desired, liveState.state, wanted, usage.credentials));
  }
  const read = exact.length ? await reader.readUserCredentials(exact) : { credentials: new Map<string, UserCredentials>() };
  const withRead = withUserCredentials(liveState, new Map([...screened, ...read.credentials]));
  if (!read.denied) return withRead;
  const note = warning(`users' credentials could not be read: the caller is denied ${read.denied}`, 'A plan neither compares nor deletes credentials, nor names those of users it deletes, until the caller may read them. Grant the reading role these actions (the AWS managed policies ReadOnlyAccess and SecurityAudit include them).');
  return withLiveState(withRead, withRead.state, [note]);
}

/**
 * Live IAM with the tags of every customer managed policy, where the reader can read them: what import needs, so
 * that the manifests it writes hold them (one call per policy, once).
 */
async function withAllPolicyTags(liveState: LiveState, reader: LiveReader): Promise<LiveState> {
  const wanted = [...liveState.state.policies.values()].filter((p) => p.unknown?.includes('tags')).map((p) => p.arn);
  return withTagsOf(liveState, wanted, reader, 'No bulk IAM API returns managed policy tags: import reads them one policy at a time, so that the manifests hold them.');
}

async function withTagsOf(liveState: LiveState, wanted: readonly string[], reader: LiveReader, why: string): Promise<LiveState> {
  if (!reader.readPolicyTags || wanted.length === 0) return liveState;
  const tags = await reader.readPolicyTags(wanted);
  const policies = new Map(liveState.state.policies);
  for (const [key, policy] of policies) {
    const found = tags.get(policy.arn);
    if (!found) continue;
    const unknown = (policy.unknown ?? []).filter((f) => f !== 'tags');
    const { unknown: _old, ...rest } = policy;
    policies.set(key, { ...rest, tags: found, ...(unknown.length ? { unknown } : {}) });
  }
  // roleUses were dropped here before: kept now.
  return withLiveState(liveState, { ...liveState.state, policies }, [warning(`read the tags of ${wanted.length === 1 ? '1 policy' : `${wanted.length} policies`} one by one`, why)]);
}

/** From this many users and roles, access deltas are worth worker threads (starting them costs about 0.1 s). */
const LARGE_ACCOUNT_PRINCIPALS = 500;

export interface JudgedState {
  /** Absent when the manifests have errors. */
  readonly state?: IamState;
  /** The Account manifest's accepted risks (none when judging live IAM alone). */
  readonly acceptedRisks: readonly AcceptedRisk[];
  /** The Account manifest's hygiene settings (the defaults when judging live IAM alone). */
  readonly hygiene: HygieneSettings;
  /** "live state (FILE)" or "live state (FILE) with DIR applied", for what the output says it judged. */
  readonly against: string;
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * The state a command judges: live IAM, or live IAM with the manifests applied (what `plan` would make), with the
 * documents of the AWS managed policies it refers to.
 */
export async function stateToJudge(liveState: LiveState, manifests: ManifestSource | undefined): Promise<JudgedState> {
  if (manifests === undefined) return { state: liveState.state, against: `live state (${liveState.source})`, diagnostics: [], acceptedRisks: [], hygiene: DEFAULT_HYGIENE };
  const against = `live state (${liveState.source}) with ${manifests.location} applied`;
  const validated = await validateManifests(manifests, { lintLimit: PLAN_LINT_LIMIT });
  if (!validated.desired || hasErrors(validated.diagnostics)) return { against, diagnostics: validated.diagnostics, acceptedRisks: [], hygiene: DEFAULT_HYGIENE };
  const acceptedRisks = validated.desired.account.acceptedRisks;
  const hygiene = validated.desired.account.hygiene;
  const diffed = diffStates(validated.desired, liveState);
  if (!diffed.changeSet) return { against, diagnostics: [...validated.diagnostics, ...diffed.diagnostics], acceptedRisks, hygiene };
  const state = completeAwsManagedPolicies(plannedState(liveState, validated.desired, diffed.changeSet), loadAwsManagedPolicies());
  return { state, against, diagnostics: validated.diagnostics, acceptedRisks, hygiene };
}

export interface AuditResult {
  readonly findings?: readonly Finding[];
  readonly diagnostics: readonly Diagnostic[];
  readonly against: string;
}

/** The warning for a source that holds no password policy: PASSWORD_POLICY_WEAK is not judged (never guessed). */
export const PASSWORD_POLICY_NOT_JUDGED = (source: string): Diagnostic =>
  warning(`the password policy was not judged: ${source} does not hold it`, 'get-account-authorization-details exports hold no password policy, so PASSWORD_POLICY_WEAK can neither be found nor ruled out. Run against AWS (--aws), or a snapshot written by `iam-gitops snapshot --aws`, which holds it.');

/** Findings for an account as it is (or as it will be, with `manifestsDir`). */
export async function auditAccount(live: LiveReader, manifests: ManifestSource | undefined, now: Date, clock: Clock = SYSTEM_CLOCK, usageOptions: UsageOptions = {}): Promise<AuditResult> {
  const [liveState, catalog] = await Promise.all([readLive(live), loadActionCatalog()]);
  const judged = await stateToJudge(liveState, manifests);
  const diagnostics: Diagnostic[] = [...liveState.notes, ...judged.diagnostics];
  const { state, against } = judged;
  if (!state) return { diagnostics, against };
  const access = new EffectiveAccess(state, now, { isWildcardOnlyAction: (a) => catalog.isWildcardOnly(a) });
  const unknown = new Set(access.principals().flatMap((p) => access.unknownPolicies(p)));
  if (unknown.size > 0) {
    diagnostics.push(warning(`${unknown.size} attached ${unknown.size === 1 ? 'policy has' : 'policies have'} no document in the state: ${[...unknown].slice(0, 3).join(', ')}${unknown.size > 3 ? ', ...' : ''}`, 'Findings cannot see what they grant. Export the snapshot with AWS managed policies included (get-account-authorization-details without --filter).'));
  }
  const usage = await readUsageFacts(live, liveState, clock, usageOptions);
  if (usage.unavailable.length) diagnostics.push(warning(`hygiene findings judge part of IAM's usage records only: not read: ${usage.unavailable.join('; ')}`, 'Run audit with --aws as a caller that may read them to judge every credential.'));
  // A source without the password policy (a get-account-authorization-details export) cannot show a weak one: said.
  if (state.settings?.passwordPolicy === undefined) diagnostics.push(PASSWORD_POLICY_NOT_JUDGED(liveState.source));
  const findings = [...findRisks(access), ...hygieneFindings(state, usage, judged.hygiene, now), ...passwordPolicyFindings(state)];
  return { findings: withAcceptedRisks(findings, judged.acceptedRisks), diagnostics, against };
}

export interface UsageOptions {
  /** Also read IAM's service last-accessed reports (one job per user and role: the calls grow with the account). */
  readonly lastAccessed?: boolean;
}

/**
 * IAM's usage records the source holds: roles' last use (in every get-account-authorization-details), and from AWS
 * the credential report and the account summary. What it cannot give is named, never guessed.
 */
export async function readUsageFacts(live: LiveReader, liveState: LiveState, clock: Clock = SYSTEM_CLOCK, options: UsageOptions = {}): Promise<UsageFacts> {
  const unavailable: string[] = [];
  let services: ReadonlyMap<string, readonly ServiceLastAccess[]> | undefined;
  if (options.lastAccessed) {
    if (live.readServiceLastAccessed) {
      const principals = [...liveState.state.users.values(), ...liveState.state.roles.values()].filter((p) => !isAwsOwnedPath(p.path)).map((p) => p.arn);
      services = await live.readServiceLastAccessed(principals, clock);
    } else unavailable.push("services' last use (only --aws reads IAM's last-accessed reports)");
  }
  if (!liveState.roleUses) unavailable.push(`roles' last use (${liveState.source} has no RoleLastUsed)`);
  if (!live.readCredentialUsage) {
    unavailable.push('the credential report and account summary (a snapshot holds neither: keys, passwords, MFA and the root user are not judged)');
    return { ...(liveState.roleUses ? { roles: liveState.roleUses } : {}), ...(services ? { services } : {}), unavailable };
  }
  const credentials = await live.readCredentialUsage(clock);
  return { ...(liveState.roleUses ? { roles: liveState.roleUses } : {}), ...(credentials.credentials ? { credentials: credentials.credentials } : {}), ...(credentials.summary ? { summary: credentials.summary } : {}), ...(services ? { services } : {}), unavailable: [...unavailable, ...credentials.unavailable] };
}

export interface ImportResult {
  readonly written: readonly string[];
  readonly skipped: readonly string[];
  /** What the source did not hold, which the manifests leave as it is in IAM (warnings). */
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Writes manifests for everything live. Refuses a non-empty folder unless `overwrite` (then files with the same
 * names are replaced and others left alone), so an existing config repo is never clobbered by accident.
 */
export async function importToFolder(live: LiveReader, outDir: string, overwrite: boolean): Promise<ImportResult> {
  const liveState = await withAllPolicyTags(await live.read(), live);
  if (!liveState.state.account) {
    throw new InputError([error(`cannot tell the account of ${liveState.source}`, 'The snapshot has no users, groups, roles or customer managed policies to take the account id from; there is nothing to import.')]);
  }
  const role = { what: 'output folder', flag: '--out', hint: 'Pass --out DIR with a new or empty folder for the manifests.' };
  if (existsSync(outDir) && statSync(outDir).isDirectory() && readdirSync(outDir).length > 0 && !overwrite) {
    throw new InputError([error(`output folder "${outDir}" is not empty`, 'Choose an empty or new folder, or pass --force to overwrite files of the same names (other files are left alone).')]);
  }
  prepareOutputFolder(outDir, role);
  const { files, skipped, diagnostics } = importLiveState(liveState, { catalog: await loadActionCatalog(), awsManagedPolicies: loadAwsManagedPolicies() });
  const written = writeFilesInside(outDir, files, role);
  return { written, skipped, diagnostics };
}
