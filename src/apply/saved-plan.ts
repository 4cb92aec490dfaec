/**
 * A saved plan (`plan --format json --out FILE`, or a drift report `drift --format json --out FILE`) is an approval,
 * never instructions: apply computes its own plan and runs only that, and only when the saved one equals it. Here:
 * read the file with a schema of the plan contract (a malformed file is refused at the place that is wrong), then
 * compare it with the fresh plan, change by change and detail by detail, saying what differs and where. Pure.
 *
 * Compared: the binding (account, tool, the live and desired fingerprints, catalog, perspective), the summary, the
 * unmanaged and protected lists, and every field of every change but its explanations: `reason` and `source` (they
 * name manifest files and lines, which depend on where plan ran) and `origin` and `files` (they depend on the pull
 * request `plan --base` knew of). Not compared: the analyses (`access`, `trust`, `findings`), `diagnostics`,
 * `pullRequest` and `live.source`: they say what the changes mean and are recomputed; apply's own gates (lockout,
 * `--fail-on`) judge the fresh ones.
 */
import { z } from 'zod';
import { error, type Diagnostic, type SourceLocation } from '../core/diagnostics.js';
import { describeShapeProblem, jsonNestingOffset } from '../core/input-limits.js';
import { jsonPathOffset, jsonSyntaxError, locationOf } from '../core/json-location.js';
import { isPlainObject, stableStringify } from '../core/policy.js';
import type { Change, ChangeDetail, Plan, PlanSummary } from '../plan/plan.js';
import type { ProviderChange, ProviderDetail } from '../plan/provider-diff.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { PASSWORD_POLICY_SETTINGS } from '../core/state.js';

const HOW_TO_SAVE = 'Save a plan with: iam-gitops plan --aws --format json --out FILE (or a drift report with: iam-gitops drift --aws --format json --out FILE).';

// ---------------------------------------------------------------------------------------------------------------
// The schema of the plan contract (formatVersion 1), strict wherever apply compares: an unknown field there is
// refused, as no version of this tool writes one.

const Json = z.json();
const Document = z.record(z.string(), Json);
const Location = z.strictObject({ file: z.string(), line: z.number().int(), col: z.number().int() });
const Kind = z.enum(['user', 'group', 'role', 'policy', 'account']);
const PasswordSetting = z.enum(PASSWORD_POLICY_SETTINGS);

const Detail = z.discriminatedUnion('field', [
  z.strictObject({ field: z.literal('path'), before: z.string(), after: z.string(), replacement: z.boolean() }),
  z.strictObject({ field: z.literal('name'), before: z.string(), after: z.string() }),
  z.strictObject({ field: z.literal('description'), before: z.string().nullable(), after: z.string().nullable() }),
  z.strictObject({ field: z.literal('maxSessionDuration'), before: z.number().nullable(), after: z.number() }),
  z.strictObject({ field: z.literal('permissionsBoundary'), before: z.string().nullable(), after: z.string().nullable() }),
  z.strictObject({ field: z.literal('tag'), key: z.string(), before: z.string().nullable(), after: z.string().nullable() }),
  z.strictObject({ field: z.literal('inlinePolicy'), name: z.string(), before: Document.nullable(), after: Document.nullable() }),
  z.strictObject({ field: z.literal('managedPolicy'), arn: z.string(), op: z.enum(['attach', 'detach']) }),
  z.strictObject({ field: z.literal('group'), group: z.string(), op: z.enum(['add', 'remove']) }),
  z.strictObject({ field: z.literal('member'), user: z.string(), op: z.literal('remove') }),
  z.strictObject({ field: z.literal('attachment'), principal: z.string(), as: z.enum(['policy', 'permissionsBoundary']), op: z.literal('detach') }),
  z.strictObject({ field: z.literal('instanceProfile'), name: z.string(), op: z.enum(['add', 'remove']), create: z.boolean().optional(), delete: z.boolean().optional() }),
  z.strictObject({ field: z.literal('trustPolicy'), before: Document.nullable(), after: Document }),
  z.strictObject({ field: z.literal('document'), before: Document.nullable(), after: Document }),
  z.strictObject({ field: z.literal('loginProfile'), op: z.literal('delete') }),
  z.strictObject({ field: z.literal('accessKey'), id: z.string(), active: z.boolean(), created: z.string().nullable(), op: z.literal('delete') }),
  z.strictObject({ field: z.literal('passwordPolicy'), setting: PasswordSetting, before: z.union([z.number(), z.boolean()]).nullable(), after: z.union([z.number(), z.boolean()]).nullable() }),
  z.strictObject({ field: z.literal('accountAlias'), before: z.string().nullable(), after: z.string().nullable() }),
]);

const ProviderDetail = z.discriminatedUnion('field', [
  z.strictObject({ field: z.literal('clientId'), value: z.string(), op: z.enum(['add', 'remove']) }),
  z.strictObject({ field: z.literal('thumbprints'), before: z.array(z.string()).nullable(), after: z.array(z.string()) }),
  z.strictObject({ field: z.literal('metadataDocument'), before: z.string().nullable(), after: z.string() }),
  z.strictObject({ field: z.literal('tag'), key: z.string(), before: z.string().nullable(), after: z.string().nullable() }),
  z.strictObject({ field: z.literal('trustedBy'), role: z.string() }),
]);

/** Where a change comes from, with a pull request (`origin` on changes and provider changes). */
const Origin = z.enum(['pull-request', 'drift', 'pull-request+drift']);

const ProviderChangeSchema = z.strictObject({
  action: z.enum(['create', 'update', 'delete']),
  kind: z.enum(['oidcProvider', 'samlProvider']),
  name: z.string(),
  arn: z.string(),
  reason: z.string(),
  source: Location.optional(),
  details: z.array(ProviderDetail),
  origin: Origin.optional(),
  files: z.array(z.string()).optional(),
});

const ChangeSchema = z.strictObject({
  action: z.enum(['create', 'update', 'delete']),
  kind: Kind,
  name: z.string(),
  arn: z.string(),
  path: z.string(),
  reason: z.string(),
  source: Location.optional(),
  details: z.array(Detail),
  previousArn: z.string().optional(),
  replacedBy: z.string().optional(),
  replaces: z.string().optional(),
  differences: z.array(Detail).optional(),
  origin: Origin.optional(),
  files: z.array(z.string()).optional(),
  credentials: z.strictObject({ consolePassword: z.boolean(), activeAccessKeys: z.number().int().min(0), inactiveAccessKeys: z.number().int().min(0), mfaDevices: z.number().int().min(0) }).optional(),
});

const Summary = z.strictObject({ create: z.number().int(), update: z.number().int(), delete: z.number().int(), unmanaged: z.number().int(), replace: z.number().int() });

const DiagnosticSchema = z.strictObject({ severity: z.enum(['error', 'warning']), summary: z.string(), detail: z.string().optional(), at: Location.optional() });

/** Analyses are recomputed, not compared: any JSON objects. */
const Analysis = z.array(z.record(z.string(), Json));

const PlanSchema = z.strictObject({
  formatVersion: z.literal(1),
  account: z.string(),
  changes: z.array(ChangeSchema),
  unmanaged: z.array(z.string()),
  access: Analysis,
  trust: Analysis,
  findings: Analysis,
  catalog: z.string().optional(),
  summary: Summary,
  live: z.strictObject({ source: z.string(), fingerprint: z.string() }),
  desired: z.strictObject({ fingerprint: z.string() }),
  diagnostics: z.array(DiagnosticSchema),
  protected: z.array(z.string()).optional(),
  tool: z.strictObject({ name: z.string(), version: z.string() }).optional(),
  pullRequest: z.record(z.string(), Json).optional(),
  perspective: z.literal('drift').optional(),
  awsManagedPolicyUpdates: z.array(Json).optional(),
  providerChanges: z.array(ProviderChangeSchema).optional(),
});

// A field added to the plan contract must be added here too (or a saved plan carrying it would be refused as
// unknown): these fail to compile until it is.
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
const planKeys: SameKeys<z.infer<typeof PlanSchema>, Plan> = true;
const changeKeys: SameKeys<z.infer<typeof ChangeSchema>, Change> = true;
const summaryKeys: SameKeys<z.infer<typeof Summary>, PlanSummary> = true;
const detailFields: [z.infer<typeof Detail>['field']] extends [ChangeDetail['field']] ? ([ChangeDetail['field']] extends [z.infer<typeof Detail>['field']] ? true : false) : false = true;
const providerDetailFields: [z.infer<typeof ProviderDetail>['field']] extends [ProviderDetail['field']] ? ([ProviderDetail['field']] extends [z.infer<typeof ProviderDetail>['field']] ? true : false) : false = true;
const providerChangeKeys: SameKeys<z.infer<typeof ProviderChangeSchema>, ProviderChange> = true;
void [planKeys, changeKeys, summaryKeys, detailFields, providerDetailFields, providerChangeKeys];

// ---------------------------------------------------------------------------------------------------------------
// Reading

/** A plan as the file holds it: the contract's fields, checked; its analyses as plain JSON (they are not compared). */
export type SavedPlanContent = z.infer<typeof PlanSchema>;

export interface SavedPlan {
  readonly path: string;
  readonly text: string;
  readonly plan: SavedPlanContent;
}

/** The saved plan, or why it is not one this version can take (located in the file). */
export function readSavedPlan(path: string, text: string): { saved?: SavedPlan; diagnostics: Diagnostic[] } {
  const locate = locator(path, text);
  const syntax = jsonSyntaxError(path, text, HOW_TO_SAVE);
  if (syntax) return { diagnostics: [{ ...syntax, summary: `${path} is not a plan: ${syntax.summary}` }] };
  // A plan is a few levels deep; a file nested past the input limit is no plan (and would take the reader down).
  const tooDeep = jsonNestingOffset(text);
  if (tooDeep !== undefined) return { diagnostics: [error(`${path} is not a plan: ${describeShapeProblem({ kind: 'nesting' }).summary}`, HOW_TO_SAVE, locationOf(path, text, tooDeep))] };
  const value: unknown = JSON.parse(text);
  if (!isPlainObject(value)) return { diagnostics: [error(`${path} is not a plan: it holds ${Array.isArray(value) ? 'a list' : 'a single value'}, not a JSON object`, HOW_TO_SAVE, { file: path, line: 1, col: 1 })] };
  // Another version's plan may have another shape: say which version made it before judging its shape.
  const tool = value['tool'];
  if (isPlainObject(tool) && (tool['name'] !== TOOL_NAME || tool['version'] !== TOOL_VERSION)) {
    return { diagnostics: [error(`${path} was made by ${String(tool['name'])} ${String(tool['version'])}; this is ${TOOL_NAME} ${TOOL_VERSION}`, 'Plan again with this version: a plan is applied by the version that made it.', locate(['tool']))] };
  }
  if (value['formatVersion'] !== 1) return { diagnostics: [error(`${path} is not an iam-gitops plan (formatVersion 1)`, HOW_TO_SAVE, locate('formatVersion' in value ? ['formatVersion'] : []))] };
  const parsed = PlanSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 10);
    return {
      diagnostics: issues.map((issue) => {
        const where = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
        const unknown = issue.code === 'unrecognized_keys' ? issue.keys : [];
        const place = unknown.length ? [...where, unknown[0]!] : where;
        const field = formatPath(place) || 'the top level';
        const what = unknown.length ? `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}` : issue.message;
        return error(`${path} is not a plan this version can apply: ${field}: ${what}`, `Plans are read exactly as plan writes them. ${HOW_TO_SAVE} Nothing was changed.`, locate(place, unknown.length > 0));
      }),
    };
  }
  if (value['tool'] === undefined) return { diagnostics: [error(`${path} does not say which version made it (no "tool")`, 'Plan again with this version: a plan is applied by the version that made it.', { file: path, line: 1, col: 1 })] };
  return { saved: { path, text, plan: parsed.data }, diagnostics: [] };
}

// ---------------------------------------------------------------------------------------------------------------
// Comparing

/** One way the saved plan differs from the fresh one, at a place in the saved plan. */
interface Difference {
  readonly path: readonly (string | number)[];
  readonly summary: string;
}

/**
 * Why the saved plan may not be applied now: empty when it equals the fresh plan in everything apply compares. The
 * first diagnostics say why in the terms that matter most (another account, live IAM or the manifests changed);
 * otherwise each difference is named, up to ten.
 */
export function compareSavedPlan(saved: SavedPlan, fresh: Plan): Diagnostic[] {
  const { path, text, plan } = saved;
  const locate = locator(path, text);
  const now = JSON.parse(JSON.stringify(fresh)) as Plan;
  if (plan.account !== now.account) return [error(`${path} is a plan for account ${plan.account}, not ${now.account}`, 'Use the credentials of the account the plan was made for, or plan again. Nothing was changed.', locate(['account']))];
  if ((plan.perspective ?? 'plan') !== (now.perspective ?? 'plan')) return [error(`${path} is ${plan.perspective === 'drift' ? 'a drift report' : 'a plan'}, and apply computed ${now.perspective === 'drift' ? 'a drift report' : 'a plan'}`, 'This is a bug; please report it. Nothing was changed.')];
  if (plan.live.fingerprint !== now.live.fingerprint) return [error('live IAM changed since this plan was made: re-run plan', `${path} was computed against live IAM as it was (${plan.live.fingerprint}); it is now ${now.live.fingerprint}. Nothing was changed.`, locate(['live', 'fingerprint']))];
  if (plan.desired.fingerprint !== now.desired.fingerprint) return [error('the manifests changed since this plan was made: re-run plan', `${path} was computed from other manifests than --manifests holds now. Nothing was changed.`, locate(['desired', 'fingerprint']))];

  const differences: Difference[] = [
    ...compareValues(plan.catalog ?? null, now.catalog ?? null, ['catalog']),
    ...compareChanges(plan.changes, now.changes),
    ...compareValues(plan.unmanaged, now.unmanaged, ['unmanaged']),
    ...compareValues(plan.protected ?? null, now.protected ?? null, ['protected']),
    ...compareValues(plan.summary, now.summary, ['summary']),
    // Identity provider changes are what apply runs too: equal, whole, or the saved plan is refused.
    ...compareValues(plan.providerChanges ?? null, now.providerChanges ?? null, ['providerChanges']),
  ];
  if (differences.length === 0) return [];
  const shown = differences.slice(0, 10);
  return shown.map((d, i) =>
    error(
      `${path} differs from the plan of live IAM and the manifests now: ${d.summary}${i === shown.length - 1 && differences.length > shown.length ? ` (and ${differences.length - shown.length} more differences)` : ''}`,
      i === 0 ? 'A saved plan is an approval: apply runs only the plan it computes itself, and only when the saved plan equals it. Nothing was changed. Plan again, review it, and apply that plan.' : undefined,
      locate(d.path),
    ),
  );
}

/** Changes are compared in order: a change missing, added, repeated or moved is named as such before any field. */
function compareChanges(saved: readonly Change[], now: readonly Change[]): Difference[] {
  const label = (c: Change): string => `${c.action} ${c.kind} ${c.name}`;
  const out: Difference[] = [];
  const counts = (list: readonly Change[]): Map<string, number> => {
    const m = new Map<string, number>();
    for (const c of list) m.set(identity(c), (m.get(identity(c)) ?? 0) + 1);
    return m;
  };
  const savedCounts = counts(saved);
  const nowCounts = counts(now);
  const seen = new Map<string, number>();
  saved.forEach((c, i) => {
    const id = identity(c);
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    if (!nowCounts.has(id)) out.push({ path: ['changes', i], summary: `changes[${i}] (${label(c)}) is not in the plan now` });
    else if (n > nowCounts.get(id)!) out.push({ path: ['changes', i], summary: `changes[${i}] (${label(c)}) is there ${savedCounts.get(id)} times, and once in the plan now` });
  });
  now.forEach((c, i) => {
    if (!savedCounts.has(identity(c))) out.push({ path: ['changes'], summary: `the plan now has a change the saved plan lacks: ${label(c)} (changes[${i}] now)` });
  });
  if (out.length) return out;
  // The same changes: in the same order, and equal field by field.
  for (let i = 0; i < saved.length; i++) {
    const s = saved[i]!;
    const n = now[i]!;
    if (identity(s) !== identity(n)) {
      out.push({ path: ['changes', i], summary: `changes[${i}] is ${label(s)}, and the plan now has ${label(n)} there: the order differs` });
      continue;
    }
    out.push(...compareValues(comparable(s), comparable(n), ['changes', i], label(s)));
  }
  return out;
}

/** What identifies a change: its action, kind and name as IAM compares them, and which half of a replacement it is. */
function identity(c: Change): string {
  return `${c.action} ${c.kind} ${c.name.toLowerCase()}${c.replacedBy !== undefined ? ' (replaced)' : ''}${c.replaces !== undefined ? ' (replacement)' : ''}`;
}

/** A change without its explanations (see the module comment). */
function comparable(c: Change): Record<string, unknown> {
  const { reason: _reason, source: _source, origin: _origin, files: _files, ...rest } = c;
  return rest;
}

/** Where two JSON values differ (every place, in order): a field's value, a field only one has, a list's length. */
function compareValues(saved: unknown, now: unknown, path: (string | number)[], label?: string): Difference[] {
  const where = (p: readonly (string | number)[]): string => `${formatPath(p)}${label ? ` (${label})` : ''}`;
  if (Array.isArray(saved) && Array.isArray(now)) {
    const out: Difference[] = [];
    for (let i = 0; i < Math.min(saved.length, now.length); i++) out.push(...compareValues(saved[i], now[i], [...path, i], label));
    if (saved.length !== now.length) {
      out.push({ path: saved.length > now.length ? [...path, now.length] : path, summary: `${where(path)} has ${saved.length} ${saved.length === 1 ? 'entry' : 'entries'} in the saved plan and ${now.length} now${saved.length > now.length ? `; the first not in the plan now: ${brief(saved[now.length])}` : `; the first the saved plan lacks: ${brief(now[saved.length])}`}` });
    }
    return out;
  }
  if (isPlainObject(saved) && isPlainObject(now)) {
    const out: Difference[] = [];
    for (const key of [...new Set([...Object.keys(saved), ...Object.keys(now)])]) {
      if (!(key in now)) out.push({ path: [...path, key], summary: `${where([...path, key])} is in the saved plan (${brief(saved[key])}), not in the plan now` });
      else if (!(key in saved)) out.push({ path, summary: `${where([...path, key])} is in the plan now (${brief(now[key])}), not in the saved plan` });
      else out.push(...compareValues(saved[key], now[key], [...path, key], label));
    }
    return out;
  }
  if (stableStringify(saved) === stableStringify(now)) return [];
  return [{ path, summary: `${where(path)} is ${brief(saved)} in the saved plan, ${brief(now)} now` }];
}

function brief(value: unknown): string {
  const s = value === undefined ? 'absent' : JSON.stringify(value);
  return s.length > 160 ? `${s.slice(0, 157)}...` : s;
}

/** `changes[3].details[1].arn`. */
function formatPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${p}`)).join('');
}

/** Where paths are in the JSON text (a key's place with `key`, else its value's): only on the way to an error. */
function locator(file: string, text: string): (path: readonly (string | number)[], key?: boolean) => SourceLocation {
  return (path, key = false) => locationOf(file, text, jsonPathOffset(text, path, key));
}
