/**
 * Policies compiled for evaluation: every pattern turned into a matcher once, statements indexed by service so
 * that a request looks only at statements that can apply to its action.
 */
import { addTo } from '../core/multimap.js';
import type { PolicyJson } from '../core/policy.js';
import { compileWildcard, type Matcher } from '../core/wildcard.js';
import { compileConditions, type ConditionTest } from './conditions.js';
import type { PreparedContext } from './context.js';
import { compileResource, type PreparedResource, type ResourceTest } from './resources.js';
import { conditionEntries, type ConditionEntry } from './request-space.js';

export interface CompiledStatement {
  readonly policy: string;
  readonly index: number;
  readonly sid?: string;
  readonly effect: 'Allow' | 'Deny';
  /** Whether the action part of `service:action` (lower case) is covered. */
  readonly actionMatches: (service: string, action: string) => boolean;
  readonly resourceMatches: (resource: PreparedResource, context: PreparedContext, wildcardOnlyAction: boolean) => boolean;
  readonly conditionHolds: ConditionTest;
  /** The statement's conditions, one entry per operator and key (none when it has no Condition). */
  readonly conditions: readonly ConditionEntry[];
}

export interface CompiledPolicy {
  readonly name: string;
  /** Statements naming a service in Action, by lower-case service prefix. */
  readonly byService: ReadonlyMap<string, readonly CompiledStatement[]>;
  /** Statements that may apply to any service: `Action: "*"` and every NotAction. */
  readonly anyService: readonly CompiledStatement[];
}

export function compilePolicy(name: string, document: PolicyJson): CompiledPolicy {
  // Policy variables exist only in version 2012-10-17; in 2008-10-17 (and without a Version) "${...}" is text.
  const variables = document['Version'] === '2012-10-17';
  const raw = document['Statement'];
  const statements = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) as unknown[];
  const byService = new Map<string, CompiledStatement[]>();
  const anyService: CompiledStatement[] = [];
  statements.forEach((statement, index) => {
    if (!isRecord(statement)) return;
    const effect = statement['Effect'];
    if (effect !== 'Allow' && effect !== 'Deny') return;
    const compiled: CompiledStatement = {
      policy: name,
      index,
      ...(typeof statement['Sid'] === 'string' && statement['Sid'] !== '' ? { sid: statement['Sid'] } : {}),
      effect,
      actionMatches: compileActions(statement),
      // Most statements are ruled out by their actions; compile the rest only when a request gets that far.
      resourceMatches: lazyResources(() => compileResources(statement, effect, variables)),
      conditionHolds: lazyConditions(() => compileConditions(statement['Condition'], variables)),
      conditions: statement['Condition'] === undefined ? NO_CONDITIONS : conditionEntries(statement['Condition'], variables),
    };
    const services = servicesOf(statement);
    if (services === 'any') anyService.push(compiled);
    else for (const service of services) addTo(byService, service, compiled);
  });
  return { name, byService, anyService };
}

const NO_CONDITIONS: readonly ConditionEntry[] = [];

/** Compiled on the first call (fixed arity: these run on every request, so no rest parameters). */
function lazyResources(compile: () => CompiledStatement['resourceMatches']): CompiledStatement['resourceMatches'] {
  let compiled: CompiledStatement['resourceMatches'] | undefined;
  return (resource, context, wildcardOnly) => (compiled ??= compile())(resource, context, wildcardOnly);
}

function lazyConditions(compile: () => ConditionTest): ConditionTest {
  let compiled: ConditionTest | undefined;
  return (context) => (compiled ??= compile())(context);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function strings(value: unknown): string[] {
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter((v): v is string => typeof v === 'string');
}

/** The services a statement can apply to, or 'any'. */
function servicesOf(statement: Record<string, unknown>): Set<string> | 'any' {
  if (statement['Action'] === undefined) return 'any';
  const services = new Set<string>();
  for (const action of strings(statement['Action'])) {
    if (action === '*') return 'any';
    const colon = action.indexOf(':');
    if (colon > 0) services.add(action.slice(0, colon).toLowerCase());
  }
  return services;
}

/**
 * Action patterns: `*`, or `service:pattern` where the service prefix is literal and the action name takes
 * `*` and `?`; all case-insensitive. NotAction covers what none of its patterns cover.
 */
export function compileActions(statement: Record<string, unknown>): (service: string, action: string) => boolean {
  const not = statement['Action'] === undefined;
  const matchers: { service: string | undefined; name: Matcher }[] = [];
  for (const pattern of strings(not ? statement['NotAction'] : statement['Action'])) {
    if (pattern === '*') {
      matchers.push({ service: undefined, name: () => true });
      continue;
    }
    const colon = pattern.indexOf(':');
    const name = pattern.slice(colon + 1);
    if (colon <= 0 || name === '' || /\s/.test(name)) continue;
    matchers.push({ service: pattern.slice(0, colon).toLowerCase(), name: compileWildcard(name.toLowerCase(), false) });
  }
  const any = (service: string, action: string): boolean =>
    matchers.some((m) => (m.service === undefined || m.service === service) && m.name(action));
  return not ? (service, action) => !any(service, action) : any;
}

export function compileResources(statement: Record<string, unknown>, effect: 'Allow' | 'Deny', variables: boolean): CompiledStatement['resourceMatches'] {
  const not = statement['Resource'] === undefined && statement['NotResource'] !== undefined;
  const raw = not ? statement['NotResource'] : statement['Resource'];
  // A trust policy has no Resource: it is about the role itself.
  if (raw === undefined) return () => true;
  const tests: ResourceTest[] = strings(raw).map((p) => compileResource(p, effect, not, variables));
  if (!not) return (r, c, w) => tests.some((t) => t(r, c, w) === 'match');
  // NotResource applies when every pattern fails in a way that inverts ("mismatch"); "invalid" never applies.
  return (r, c, w) => tests.every((t) => t(r, c, w) === 'mismatch');
}
