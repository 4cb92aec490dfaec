/**
 * Right-sizing from usage: the manifest edits that remove, from the policies the manifests write, the services that
 * nobody holding the policy has used within the window, as IAM's last-accessed reports tell it.
 *
 * What it edits and what it leaves (each left case is said, never skipped silently):
 * - inline policies of users, roles and groups, and customer managed policies (`Policy` manifests): an Allow
 *   statement's `Action` entries of an unused service are removed; a statement left with none is removed; an inline
 *   policy left with none is removed; a managed policy keeps its last statement (delete it by hand if it is unused);
 * - a policy held by several principals (a group's members, a managed policy's holders, through groups too) loses a
 *   service only when none of them used it: access used through a shared group or policy is kept;
 * - never: AWS managed policies (not in the manifests), boundaries, Deny statements, `NotAction`, actions whose service
 *   is a wildcard (`*`, `s3*:...`), documents in a `documentFile`, protected entities, and policies held by a principal
 *   without usage data (new, or outside IAM's 400-day tracking).
 * Usage is per service, and per action where IAM tracks actions (EC2, IAM, Lambda, S3 and more): an unused service goes
 * whole; in a used, tracked service an action written out (no wildcard) that nobody used goes too; wildcards of a used
 * service stay (narrowing them to the actions used is left to the reviewer).
 */
import { Document, isMap, isSeq, parseAllDocuments, type YAMLMap, type YAMLSeq } from 'yaml';
import type { ServiceLastAccess } from '../core/usage.js';

export interface RightsizeManifest {
  readonly path: string;
  readonly text: string;
}

/** Who holds what the manifests declare, by manifest kind and name (lower case), as ARNs of users and roles. */
export interface Holders {
  readonly user: (name: string) => string | undefined;
  readonly role: (name: string) => string | undefined;
  /** Members of the group. */
  readonly group: (name: string) => readonly string[];
  /** Users and roles that attach the customer managed policy, directly or through a group. */
  readonly policy: (name: string) => readonly string[];
  readonly isProtected: (kind: 'User' | 'Role' | 'Group' | 'Policy', name: string) => boolean;
  /** Whether a customer managed policy (or boundary) of this name is declared. */
  readonly policyExists: (name: string) => boolean;
}

export interface RightsizeOptions {
  readonly usage: ReadonlyMap<string, readonly ServiceLastAccess[]>;
  readonly unusedForDays: number;
  readonly now: Date;
  /** Only policies these principals hold (all, when absent). */
  readonly principals?: ReadonlySet<string>;
  /** AWS managed policies' documents, by ARN: those attached are replaced by a customer policy of what is used. */
  readonly awsManaged?: (arn: string) => { readonly name: string; readonly document: Record<string, unknown> } | undefined;
  /** Where a proposed customer policy's manifest goes (the manifests folder's `policies`). */
  readonly policiesFolder?: string;
}

export interface RemovedActions {
  /** `users/alice.yaml: inline policy work, statement 2`. */
  readonly where: string;
  readonly services: readonly string[];
  readonly actions: readonly string[];
  /** Whether the whole statement (or, for an inline policy, the whole policy) went. */
  readonly whole?: 'statement' | 'policy';
}

export interface RightsizeEdit {
  readonly path: string;
  readonly text: string;
  readonly removed: readonly RemovedActions[];
}

export interface RightsizeResult {
  readonly edits: readonly RightsizeEdit[];
  /** What was left as it is, and why. */
  readonly left: readonly { readonly where: string; readonly why: string }[];
}

const DAY_MS = 24 * 3600 * 1000;

/** What IAM's usage data cannot tell, said wherever rightsize's result is shown. */
export const USAGE_LIMITS =
  "Limits of IAM's usage data: it covers the last 400 days and the regions where IAM tracks use; single actions only for the services IAM tracks actions of (others are judged per service); use through a shared group or policy counts for whoever used it.";

export function rightsize(manifests: readonly RightsizeManifest[], holders: Holders, options: RightsizeOptions): RightsizeResult {
  const edits: RightsizeEdit[] = [];
  const left: { where: string; why: string }[] = [];
  const recent = (d: Date | undefined): boolean => d !== undefined && options.now.getTime() - d.getTime() <= options.unusedForDays * DAY_MS;
  /** Services every holder's report lists as unused; undefined (with the reason) when one holder has no report. */
  const unusedByAll = (arns: readonly string[]): { services: Set<string>; actions: Set<string>; differing: Map<string, string[]> } | { why: string } => {
    if (arns.length === 0) return { why: 'nobody holds it: no usage to judge (delete it if it is not needed)' };
    let common: Set<string> | undefined;
    let commonActions: Set<string> | undefined;
    const usedBy = new Map<string, string[]>();
    const unusedBySome = new Set<string>();
    for (const arn of arns) {
      const report = options.usage.get(arn);
      if (!report) return { why: `no usage data for ${arn} (new, or outside IAM's tracking period): left as it is` };
      const unused = new Set(report.filter((s) => !recent(s.lastUsedAt)).map((s) => s.namespace.toLowerCase()));
      for (const s of report) {
        const namespace = s.namespace.toLowerCase();
        if (unused.has(namespace)) unusedBySome.add(namespace);
        else usedBy.set(namespace, [...(usedBy.get(namespace) ?? []), arn]);
      }
      common = common ? new Set([...common].filter((s) => unused.has(s))) : unused;
      // Tracked actions (`service:action`, lower case) this holder's report lists without a use in the window.
      const unusedActions = new Set(report.flatMap((s) => (s.actions ?? []).filter((a) => !recent(a.lastUsedAt)).map((a) => `${s.namespace.toLowerCase()}:${a.name.toLowerCase()}`)));
      commonActions = commonActions ? new Set([...commonActions].filter((a) => unusedActions.has(a))) : unusedActions;
    }
    // Services some holders used and others did not: kept for those who did, and said.
    const differing = new Map([...usedBy].filter(([service]) => unusedBySome.has(service)));
    return { services: common ?? new Set(), actions: commonActions ?? new Set(), differing };
  };

  const parsed = manifests.map((file) => ({ file, documents: parseAllDocuments(file.text), removed: [] as RemovedActions[] })).filter((p) => !p.documents.some((d) => d.errors.length > 0));
  /** AWS managed policies the manifests attach: by ARN, each attachment (its list item) and who it reaches. */
  const awsAttachments = new Map<string, { entry: (typeof parsed)[number]; doc: Document; held: readonly string[] }[]>();
  for (const entry of parsed) {
    const { file, documents, removed } = entry;
    for (const doc of documents) {
      const kind = doc.get('kind');
      const name = doc.get('name');
      if (typeof kind !== 'string' || typeof name !== 'string') continue;
      if (kind !== 'User' && kind !== 'Role' && kind !== 'Group' && kind !== 'Policy') continue;
      const label = `${file.path}`;
      if (holders.isProtected(kind, name)) {
        left.push({ where: label, why: `${kind.toLowerCase()} ${name} is protected` });
        continue;
      }
      const held = kind === 'User' ? [holders.user(name)].filter((a): a is string => !!a) : kind === 'Role' ? [holders.role(name)].filter((a): a is string => !!a) : kind === 'Group' ? holders.group(name) : holders.policy(name);
      if (options.principals && !held.some((arn) => options.principals!.has(arn))) continue;
      if (kind !== 'Policy') {
        for (const arn of ((doc.toJS() as { managedPolicies?: unknown[] }).managedPolicies ?? []).map(String).filter((a) => a.startsWith(AWS_MANAGED_PREFIX))) {
          awsAttachments.set(arn, [...(awsAttachments.get(arn) ?? []), { entry, doc, held }]);
        }
      }
      const judged = unusedByAll(held);
      const documentsToEdit: { path: (string | number)[]; where: string; inline?: string }[] =
        kind === 'Policy'
          ? [{ path: ['document'], where: `${label}: policy ${name}` }]
          : Object.keys((doc.toJS() as { inlinePolicies?: Record<string, unknown> }).inlinePolicies ?? {}).map((policy) => ({ path: ['inlinePolicies', policy], where: `${label}: inline policy ${policy}`, inline: policy }));
      for (const target of documentsToEdit) {
        const node = doc.getIn(target.path, true);
        if (!isMap(node)) continue;
        if (node.has('documentFile')) {
          left.push({ where: target.where, why: 'its document is in a documentFile: not edited' });
          continue;
        }
        if ('why' in judged) {
          left.push({ where: target.where, why: judged.why });
          continue;
        }
        const kept = [...judged.differing].filter(([service]) => documentServices(doc, target.path).has(service));
        if (kept.length) left.push({ where: target.where, why: `shared by principals whose usage differs: kept ${kept.map(([service, users]) => `${service} (used by ${users.join(', ')})`).join('; ')}, unused by the others` });
        const result = trimDocument(doc, [...target.path], judged.services, judged.actions, kind === 'Policy', target.where, left);
        removed.push(...result);
        if (target.inline && result.some((r) => r.whole === 'policy')) doc.deleteIn(target.path);
      }
    }
  }

  // AWS managed policies are never edited: a customer policy with what their holders used is proposed in their place
  // (or, when nothing of it was used, the attachment goes).
  const created: RightsizeEdit[] = [];
  for (const [arn, attachments] of awsAttachments) {
    const awsPolicy = options.awsManaged?.(arn);
    const where = `AWS managed policy ${arn}`;
    if (!awsPolicy) continue;
    const judged = unusedByAll([...new Set(attachments.flatMap((a) => a.held))]);
    if ('why' in judged) {
      left.push({ where, why: judged.why });
      continue;
    }
    const narrowed = narrowDocument(awsPolicy.document, judged.services, judged.actions);
    if ('why' in narrowed) {
      left.push({ where, why: narrowed.why });
      continue;
    }
    if (narrowed.removed.length === 0) continue;
    const customName = `${awsPolicy.name}-used`.slice(0, 128);
    if (narrowed.document) {
      if (holders.policyExists(customName)) {
        left.push({ where, why: `a policy named ${customName} exists already: rename it to let rightsize propose one` });
        continue;
      }
      if (JSON.stringify(narrowed.document).length > CUSTOMER_POLICY_SIZE_LIMIT) {
        left.push({ where, why: `what its holders used is too big for a customer managed policy (${CUSTOMER_POLICY_SIZE_LIMIT} characters)` });
        continue;
      }
      const path = `${options.policiesFolder ?? 'policies'}/${customName}.yaml`;
      const text = new Document({ kind: 'Policy', name: customName, description: `What ${awsPolicy.name} grants that its holders used (proposed by iam-gitops rightsize)`, document: narrowed.document }).toString();
      created.push({ path, text, removed: [{ where: `${path}: replaces ${arn}`, services: narrowed.services, actions: narrowed.removed }] });
    }
    for (const { entry, doc } of attachments) {
      const list = doc.get('managedPolicies', true);
      if (!isSeq(list)) continue;
      const seq = list as YAMLSeq;
      const index = seq.items.findIndex((item) => String((item as { value?: unknown }).value ?? item) === arn);
      if (index < 0) continue;
      if (narrowed.document) seq.set(index, customName);
      else seq.items.splice(index, 1);
      entry.removed.push({ where: `${entry.file.path}: ${where}`, services: narrowed.services, actions: narrowed.removed, ...(narrowed.document ? {} : { whole: 'policy' as const }) });
    }
  }
  for (const { file, documents, removed } of parsed) if (removed.length) edits.push({ path: file.path, text: documents.map((d) => String(d)).join(''), removed });
  return { edits: [...edits, ...created], left };
}

const AWS_MANAGED_PREFIX = 'arn:aws:iam::aws:policy/';
/** IAM's limit on a customer managed policy document (characters, white space aside). */
const CUSTOMER_POLICY_SIZE_LIMIT = 6144;

/**
 * An AWS managed policy's document with the unused services (and tracked actions) taken out of its Allow statements;
 * Deny statements as they are. `document` is undefined when no Allow is left (nothing of it was used).
 */
function narrowDocument(document: Record<string, unknown>, unused: ReadonlySet<string>, unusedActions: ReadonlySet<string>): { document?: Record<string, unknown>; removed: string[]; services: string[] } | { why: string } {
  const raw = document['Statement'];
  const statements = (Array.isArray(raw) ? raw : raw ? [raw] : []) as Record<string, unknown>[];
  const removed: string[] = [];
  const kept: Record<string, unknown>[] = [];
  for (const statement of statements) {
    if (statement['Effect'] !== 'Allow') {
      kept.push(statement);
      continue;
    }
    if (statement['NotAction'] !== undefined) return { why: 'it allows with NotAction, which cannot be narrowed by service: kept' };
    const actions = ([] as unknown[]).concat(statement['Action'] ?? []).map(String);
    const stay = actions.filter((a) => {
      const colon = a.indexOf(':');
      const service = colon > 0 ? a.slice(0, colon).toLowerCase() : '';
      const goes = service !== '' && !/[*?]/.test(service) && (unused.has(service) || (!/[*?]/.test(a) && unusedActions.has(a.toLowerCase())));
      if (goes) removed.push(a);
      return !goes;
    });
    if (stay.length) kept.push({ ...statement, Action: stay });
  }
  const services = [...new Set(removed.map(serviceOf))].sort();
  const allows = kept.filter((s) => s['Effect'] === 'Allow');
  return { ...(allows.length ? { document: { Version: document['Version'] ?? '2012-10-17', Statement: kept } } : {}), removed, services };
}

/** Removes the unused services' actions from one document's Allow statements; says what went. */
function trimDocument(doc: Document, path: (string | number)[], unused: ReadonlySet<string>, unusedActions: ReadonlySet<string>, keepLastStatement: boolean, where: string, left: { where: string; why: string }[]): RemovedActions[] {
  const out: RemovedActions[] = [];
  const statementNode = doc.getIn([...path, 'Statement'], true);
  const statements: YAMLMap[] = isSeq(statementNode) ? (statementNode.items.filter(isMap) as YAMLMap[]) : isMap(statementNode) ? [statementNode as YAMLMap] : [];
  const emptied: YAMLMap[] = [];
  statements.forEach((statement, index) => {
    if (statement.get('Effect') !== 'Allow' || !statement.has('Action')) return;
    const action = statement.get('Action', true);
    const entries: { value: string; remove: () => void }[] = [];
    if (isSeq(action)) {
      const seq = action as YAMLSeq;
      for (const item of [...seq.items]) {
        const value = String((item as { value?: unknown }).value ?? item);
        entries.push({ value, remove: () => seq.items.splice(seq.items.indexOf(item), 1) });
      }
    } else {
      entries.push({ value: String(statement.get('Action')), remove: () => statement.delete('Action') });
    }
    const gone = entries.filter((e) => {
      const colon = e.value.indexOf(':');
      const service = colon > 0 ? e.value.slice(0, colon).toLowerCase() : '';
      if (service === '' || /[*?]/.test(service)) return false;
      // A whole unused service; or, in a used service whose actions IAM tracks, one action (written out, no
      // wildcard) nobody used.
      return unused.has(service) || (!/[*?]/.test(e.value) && unusedActions.has(e.value.toLowerCase()));
    });
    if (gone.length === 0) return;
    const statementWhere = `${where}, statement ${index + 1}${statement.get('Sid') ? ` (${String(statement.get('Sid'))})` : ''}`;
    const all = gone.length === entries.length;
    if (all && keepLastStatement && statements.length - emptied.length === 1) {
      left.push({ where: statementWhere, why: `every service it allows is unused (${[...new Set(gone.map((g) => serviceOf(g.value)))].join(', ')}); a managed policy keeps its last statement: delete the policy if nobody needs it` });
      return;
    }
    for (const e of gone) e.remove();
    if (all) emptied.push(statement);
    out.push({ where: statementWhere, services: [...new Set(gone.map((g) => serviceOf(g.value)))].sort(), actions: gone.map((g) => g.value), ...(all ? { whole: 'statement' as const } : {}) });
  });
  if (emptied.length) {
    if (isSeq(statementNode)) {
      const seq = statementNode as YAMLSeq;
      seq.items = seq.items.filter((item) => !emptied.includes(item as YAMLMap));
      if (seq.items.length === 0) return out.map((r) => ({ ...r, whole: 'policy' as const }));
    } else return out.map((r) => ({ ...r, whole: 'policy' as const }));
  }
  // A single-item Action list left with one action stays a list: the manifest's style is kept.
  return out;
}

/** The services an Allow statement's Action of the document names literally (no wildcard service). */
function documentServices(doc: Document, path: (string | number)[]): Set<string> {
  const value = doc.getIn(path) as unknown;
  const json = value && typeof value === 'object' && 'toJSON' in value ? (value as { toJSON(): unknown }).toJSON() : value;
  const statements = (json as { Statement?: unknown } | undefined)?.Statement;
  const list = (Array.isArray(statements) ? statements : statements ? [statements] : []) as { Effect?: unknown; Action?: unknown }[];
  const out = new Set<string>();
  for (const st of list) {
    if (st?.Effect !== 'Allow') continue;
    for (const a of ([] as unknown[]).concat(st.Action ?? [])) if (typeof a === 'string' && a.includes(':')) out.add(serviceOf(a));
  }
  return out;
}

function serviceOf(action: string): string {
  return action.slice(0, action.indexOf(':')).toLowerCase();
}
