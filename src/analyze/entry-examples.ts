/**
 * What an entry means, and an example of it: the membership test of an entry (a request is in it iff its action,
 * resource and context are, and in none of its carve-outs), and for each entry a concrete request built from it
 * (resources from its patterns and its actions' ARN formats, a context satisfying its condition) that the engine
 * confirms is not allowed before and allowed after. An entry no example could be verified for is marked approximate.
 */
import type { ActionCatalog } from '../catalog/action-catalog.js';
import { compileConditions, parseDate } from '../evaluate/conditions.js';
import { prepareContext, type PreparedContext } from '../evaluate/context.js';
import { evaluate, type EvaluateOptions, type PrincipalPolicies } from '../evaluate/engine.js';
import { intersectResourcePatterns } from '../evaluate/resource-patterns.js';
import { formatPattern, resourceTypeIndex, type ResourceTypeIndex } from '../evaluate/resource-types.js';
import { compileResource, prepareResource, type PreparedResource } from '../evaluate/resources.js';
import type { RequestContext } from '../evaluate/types.js';
import type { AccessEntry, Carveout } from './access-delta.js';
import type { DeltaContext } from './delta-context.js';
import { concreteActions, entryActions } from './entry-actions.js';

type ResourceTests = Map<string, ReturnType<typeof compileResource>>;

/**
 * What an entry means: a request is in it iff its action is one of the entry's (wildcards meaning catalog actions),
 * its resource and context match the entry's resources and condition, and none of the carve-outs.
 */
export function entryContains(entry: AccessEntry, request: { action: string; resource: string; context: RequestContext }, catalog: ActionCatalog): boolean {
  return containsFunction(entry, catalog, new Map())(request);
}

type Contains = (request: { action: string; resource: string; context: RequestContext }) => boolean;

/**
 * An entry's membership test, compiled once (examples test several requests against the same entry), its resource
 * patterns compiled once in `tests`: thousands of principals' entries name the same ARNs.
 */
function containsFunction(entry: AccessEntry, catalog: ActionCatalog, tests: ResourceTests): Contains {
  const actions = new Set(entryActions(entry, catalog).map((a) => a.toLowerCase()));
  const main = shapeTest(entry, tests);
  const carveouts = (entry.except ?? []).map((c) => shapeTest(c, tests));
  return (request) => {
    if (!actions.has(request.action.toLowerCase())) return false;
    const resource = prepareResource(request.resource);
    const context = prepareContext(request.context);
    // An action that takes no resource is requested on "*", which only "*" matches.
    const wildcardOnly = resource.isAll && catalog.isWildcardOnly(request.action);
    return main(resource, context, wildcardOnly) && !carveouts.some((c) => c(resource, context, wildcardOnly));
  };
}

function resourceTest(pattern: string, notResource: boolean, compiled: ResourceTests): ReturnType<typeof compileResource> {
  const key = `${notResource ? 'N' : 'R'}${pattern}`;
  let test = compiled.get(key);
  if (!test) compiled.set(key, (test = compileResource(pattern, 'Allow', notResource, true)));
  return test;
}

function shapeTest(shape: Carveout, compiled: ResourceTests): (resource: PreparedResource, context: PreparedContext, wildcardOnly: boolean) => boolean {
  const tests = (shape.resources ?? shape.notResources ?? ['*']).map((p) => resourceTest(p, shape.notResources !== undefined, compiled));
  const condition = compileConditions(shape.condition, true);
  return (resource, context, wildcardOnly) => {
    const resourceMatches = shape.notResources ? tests.every((t) => t(resource, context, wildcardOnly) === 'mismatch') : tests.some((t) => t(resource, context, wildcardOnly) === 'match');
    return resourceMatches && condition(context);
  };
}

/** The entry with an example request, or marked approximate when none could be verified. */
export function withExample(entry: AccessEntry, before: PrincipalPolicies | undefined, after: PrincipalPolicies, analysis: DeltaContext): AccessEntry {
  const { options } = analysis;
  const actions = entry.actions ? concreteActions(entry.actions.slice(0, 3), options.catalog).slice(0, 5) : entryActions(entry, options.catalog).slice(0, 5);
  const contains = containsFunction(entry, options.catalog, analysis.resourceTests);
  const contexts = exampleContexts(entry);
  for (const action of actions) {
    for (const resource of exampleResources(entry, action, options, resourceTypeIndex(options.catalog))) {
      for (const context of contexts) {
        // A request reaches the region its endpoint is in: the example's resource is in the requested region.
        const request = { principal: '', action, resource: inRequestedRegion(resource, context), context };
        // The example must show this entry, not a grant that another entry describes.
        if (!contains(request)) continue;
        const was = before ? evaluate(before, request, options).decision : 'ImplicitlyDenied';
        const is = evaluate(after, request, options).decision;
        if (was !== 'Allowed' && is === 'Allowed') return { ...entry, example: { action, resource: request.resource, context } };
      }
    }
  }
  // No request could be shown: the entry may be empty (carved out in a way not proven above) or hard to instantiate.
  return entry.approximate ? entry : { ...entry, approximate: true };
}

/** The resource's region set to the context's aws:RequestedRegion, where both have one. */
function inRequestedRegion(resource: string, context: RequestContext): string {
  const region = context['aws:RequestedRegion'];
  const parts = resource.split(':');
  if (typeof region !== 'string' || parts.length < 6 || parts[3] === '' || parts[3] === region) return resource;
  return [...parts.slice(0, 3), region, ...parts.slice(4)].join(':');
}

/** A concrete string matching a pattern: escapes become their characters, variables "example", wildcards `fill`. */
function instantiate(pattern: string, fill: string): string {
  // Escapes are set aside as placeholders first, so the wildcard replacements below cannot touch them.
  const escapes = { '*': '\u0001', '?': '\u0002', $: '\u0003' } as const;
  return pattern
    .replace(/\$\{([*?$])\}/g, (_m, c: keyof typeof escapes) => escapes[c])
    .replace(/\$\{[^}]*\}/g, 'example')
    .replace(/\*/g, fill)
    .replace(/\?/g, 'x')
    .replace(/[\u0001-\u0003]/g, (c) => '*?$'[c.charCodeAt(0) - 1]!);
}

/** `instantiate` for an ARN pattern, with a plausible partition, region and account where those are just "*". */
function instantiateArn(pattern: string, fill: string): string {
  const parts = pattern.split(':');
  const plausible: Record<number, string> = { 1: 'aws', 3: 'us-east-1', 4: '123456789012' };
  return instantiate(parts.map((part, i) => (part === '*' && plausible[i] && parts.length >= 6 ? plausible[i]! : part)).join(':'), fill);
}

/** An example resource is a real ARN: a short pattern such as "arn:aws:s3" gets its missing parts. */
function wellFormed(arn: string): string {
  const parts = arn.split(':');
  while (parts.length < 6) parts.push('x');
  return parts.join(':');
}

/**
 * Resources to try as an entry's example for `action`: only requests AWS can receive (`*` for an action that takes
 * no resource; otherwise an ARN of one of its types), built from the entry's patterns, from the action's ARN formats
 * where the entry reaches any resource, and from around its carve-outs.
 */
function exampleResources(entry: AccessEntry, action: string, options: EvaluateOptions, index: ResourceTypeIndex): string[] {
  if (options.isWildcardOnlyAction(action)) return ['*'];
  const out: string[] = [];
  for (const pattern of entry.resources ?? []) {
    if (pattern === '*') out.push('*', ...typedExamples(action, index));
    else {
      for (const fill of ['x', 'iam-gitops-example', '']) out.push(instantiateArn(pattern, fill));
      // The pattern met with each of the action's ARN formats: `arn:aws:s3:::*` for GetObject is `arn:aws:s3:::*/*`.
      for (const type of index.typesOf(action).slice(0, 4)) {
        for (const piece of intersectResourcePatterns(pattern, formatPattern(type.arn)) ?? []) out.push(instantiateArn(piece.replace(/\?\*/g, '*'), 'x'), instantiateArn(piece.replace(/\?\*/g, '*'), 'iam-gitops-example'));
      }
    }
  }
  if (entry.notResources) out.push('*', ...typedExamples(action, index), ...OUTSIDE_EXAMPLES);
  // Inside a carve-out's NotResource list is outside that carve-out.
  for (const carve of entry.except ?? []) for (const pattern of carve.notResources ?? []) if (pattern !== '*') out.push(instantiateArn(pattern, 'x'));
  // Resources of the carve-outs' types, but outside them: the ARN up to its resource type, then an unused name.
  // (With the account changed too, for carve-outs naming one account, such as AWS's own policies.)
  for (const carve of entry.except ?? []) {
    for (const pattern of carve.resources ?? []) {
      if (pattern === '*') continue;
      const concrete = wellFormed(instantiateArn(pattern, 'x')).split(':');
      const resource = concrete.slice(5).join(':');
      const cut = resource.search(/[/:]/);
      const other = `${cut < 0 ? '' : resource.slice(0, cut + 1)}iam-gitops-other`;
      out.push([...concrete.slice(0, 5), other].join(':'));
      if (concrete[4] !== '') out.push([...concrete.slice(0, 4), '123456789012', other].join(':'));
    }
  }
  if ((entry.resources ?? []).includes('*')) out.push(...OUTSIDE_EXAMPLES);
  // A resource with a literal "*" or "?" (from a "${*}" escape) is no request anyone makes, and evaluators differ on
  // it: not an example.
  return [...new Set(out.map((r) => (r === '*' ? r : wellFormed(r))))].filter((r) => (r === '*' || !/[*?]/.test(r)) && index.receivable(action, r)).slice(0, 20);
}

/** ARNs of an action's resource types, from their formats: `${BucketName}` becomes a name, `${Region}` a region. */
function typedExamples(action: string, index: ResourceTypeIndex): string[] {
  const fills: Record<string, string> = { Partition: 'aws', Region: 'us-east-1', Account: '123456789012' };
  return index.typesOf(action).slice(0, 4).map((t) => t.arn.replace(/\$\{(\w+)\}/g, (_m, name: string) => fills[name] ?? 'iam-gitops-example'));
}

/** Resources of several services and kinds, for entries on "everything except ...". */
const OUTSIDE_EXAMPLES = ['arn:aws:s3:::iam-gitops-example-outside', 'arn:aws:sqs:us-east-1:123456789012:iam-gitops-example', 'arn:aws:iam::123456789012:role/iam-gitops-example', 'arn:aws:dynamodb:eu-west-1:123456789012:table/iam-gitops-example'];

/**
 * A context that satisfies the entry's condition block, per operator family, with every policy variable the entry
 * uses set to "example" (the value example resources substitute for it).
 */
function exampleContexts(entry: AccessEntry): Record<string, string | string[]>[] {
  const condition = entry.condition;
  const context: Record<string, string | string[]> = {};
  const variables = JSON.stringify([entry.resources ?? [], entry.notResources ?? [], condition ?? {}]).match(/\$\{[^}]*\}/g) ?? [];
  for (const v of variables) {
    const name = v.slice(2, -1).split(',')[0]!.trim();
    if (!['*', '?', '$'].includes(name)) context[name] = 'example';
  }
  if (!condition && !(entry.except ?? []).some((c) => c.condition)) return [context];
  for (const [operator, block] of Object.entries(condition ?? {})) {
    const op = operator.toLowerCase();
    for (const [key, raw] of Object.entries(block ?? {})) {
      const values = (Array.isArray(raw) ? raw : [raw]).map(String);
      const first = values[0] ?? '';
      const base = op.replace(/^for(any|all)value:/, '').replace(/ifexists$/, '');
      if (base === 'null') {
        if (first.toLowerCase() === 'false') context[key] = 'present';
        continue;
      }
      if (base.includes('not')) {
        // A missing key satisfies a negated operator, except under ForAnyValue (no value, no match): give another.
        if (op.startsWith('foranyvalue:')) context[key] = ['iam-gitops-other'];
        continue;
      }
      let value: string;
      if (base.startsWith('numeric')) value = String(Number(first) + (base.includes('less') ? -1 : base.includes('greater') ? 1 : 0));
      else if (base.startsWith('date')) value = shiftedDate(first, base.includes('less') ? -1 : base.includes('greater') ? 1 : 0, key) ?? instantiate(first, 'x');
      else if (base === 'ipaddress') value = first.split('/')[0]!;
      else value = instantiate(first, 'x');
      context[key] = op.startsWith('for') ? [value] : value;
    }
  }
  // Then step out of each carve-out where a key the entry leaves free can do it.
  const fixed = new Set(Object.keys(condition ?? {}).flatMap((op) => Object.keys(condition?.[op] ?? {}).map((k) => k.toLowerCase())));
  for (const carve of entry.except ?? []) {
    for (const [operator, block] of Object.entries(carve.condition ?? {})) {
      const base = operator.toLowerCase().replace(/^for(any|all)value:/, '').replace(/ifexists$/, '');
      for (const [key, raw] of Object.entries(block ?? {})) {
        if (fixed.has(key.toLowerCase())) continue;
        const first = String((Array.isArray(raw) ? raw : [raw])[0] ?? '');
        if (base === 'null') {
          if (first.toLowerCase() === 'true') context[key] = 'present';
          else delete context[key];
        } else if (base.includes('not')) {
          context[key] = first; // a negated operator is false when the key equals a listed value
        } else if (base === 'bool') {
          context[key] = first.toLowerCase() === 'true' ? 'false' : 'true';
        } else {
          context[key] = 'iam-gitops-other';
        }
        fixed.add(key.toLowerCase());
      }
    }
  }
  // Where that context is not an example (two constraints on one key, say), the same with one key changed, to each
  // value near one a condition names, or removed.
  const variants: Record<string, string | string[]>[] = [context];
  for (const [key, values] of candidateValues(entry)) {
    for (const value of values) {
      const variant = { ...context };
      if (value === undefined) delete variant[key];
      else variant[key] = value;
      variants.push(variant);
    }
  }
  return variants.slice(0, 24);
}

/**
 * A date `days` away from the one a Date condition names, in the form the engine reads for the key (epoch seconds
 * for aws:EpochTime, else ISO 8601); undefined when the value is no date (a policy variable) or the shift leaves the
 * range of dates.
 */
function shiftedDate(value: string, days: number, key: string): string | undefined {
  const ms = parseDate(value);
  if (ms === undefined) return undefined;
  const shifted = new Date(ms + days * 86_400_000);
  if (Number.isNaN(shifted.getTime())) return undefined;
  return key.toLowerCase() === 'aws:epochtime' ? String(Math.floor(shifted.getTime() / 1000)) : shifted.toISOString();
}

/** Per condition key of the entry and its carve-outs: values on either side of each one named, and "missing". */
function candidateValues(entry: AccessEntry): Map<string, (string | string[] | undefined)[]> {
  const out = new Map<string, (string | string[] | undefined)[]>();
  for (const condition of [entry.condition, ...(entry.except ?? []).map((c) => c.condition)]) {
    for (const [operator, block] of Object.entries(condition ?? {})) {
      const op = operator.toLowerCase();
      const base = op.replace(/^for(any|all)value:/, '').replace(/ifexists$/, '');
      for (const [key, raw] of Object.entries(block ?? {})) {
        const found = out.get(key) ?? [undefined];
        for (const v of (Array.isArray(raw) ? raw : [raw]).map(String).slice(0, 2)) {
          let values: string[];
          if (base.startsWith('numeric')) values = [-1, 0, 1].map((d) => String(Number(v) + d));
          else if (base.startsWith('date')) values = [-1, 0, 1].map((d) => shiftedDate(v, d, key)).filter((x): x is string => x !== undefined);
          else if (base === 'bool' || base === 'null') values = ['true', 'false'];
          else if (base.startsWith('ipaddress') || base.startsWith('notipaddress')) values = [v.split('/')[0]!, '198.51.100.1'];
          else values = [instantiate(v, 'x'), 'iam-gitops-other'];
          found.push(...(op.startsWith('for') ? values.map((x) => [x]) : values));
        }
        out.set(key, found);
      }
    }
  }
  return out;
}


