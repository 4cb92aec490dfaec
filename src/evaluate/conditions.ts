/**
 * Condition blocks compiled once. Semantics (IAM User Guide, "Condition operators" and "Single-valued vs.
 * multivalued context keys"):
 * - every operator of a block and every key of an operator must hold; a key holds when any policy value
 *   matches, except for negated operators (StringNotEquals, NotIpAddress, ...), where no policy value may match;
 * - a missing key fails a positive operator and satisfies a negated one; `...IfExists` is satisfied by a missing
 *   key; `Null: true` holds when the key is missing, `Null: false` when present;
 * - without a set operator, a multi-valued context key never matches;
 * - `ForAllValues:` holds when every context value matches (so also for a missing or empty key);
 *   `ForAnyValue:` when at least one does (so never for a missing or empty key).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { arnFields } from '../core/arn.js';
import type { PreparedContext } from './context.js';
import { compileIamString, type IamPattern } from './iam-string.js';

/** Compiled condition block; true when the request satisfies it. */
export type ConditionTest = (context: PreparedContext) => boolean;

const ALWAYS: ConditionTest = () => true;
const NEVER: ConditionTest = () => false;

type ValueTest = (value: string, context: PreparedContext) => boolean;

interface BaseOperator {
  readonly negated: boolean;
  /** Compiles the policy values into a test of one context value. */
  compile(values: readonly string[], variables: boolean): ValueTest;
}

export function compileConditions(block: unknown, variables: boolean): ConditionTest {
  if (block === undefined) return ALWAYS;
  if (!isRecord(block)) return NEVER;
  const tests: ConditionTest[] = [];
  for (const [operatorName, keys] of Object.entries(block)) {
    if (!isRecord(keys)) return NEVER;
    for (const [key, rawValues] of Object.entries(keys)) {
      tests.push(compileCondition(operatorName, key.toLowerCase(), toStrings(rawValues), variables));
    }
  }
  if (tests.length === 0) return ALWAYS;
  if (tests.length === 1) return tests[0]!;
  return (context) => tests.every((t) => t(context));
}

function compileCondition(operatorName: string, key: string, values: readonly string[], variables: boolean): ConditionTest {
  let name = operatorName;
  let set: 'any' | 'all' | undefined;
  const colon = name.indexOf(':');
  if (colon >= 0) {
    const prefix = name.slice(0, colon).toLowerCase();
    if (prefix !== 'foranyvalue' && prefix !== 'forallvalues') return NEVER;
    set = prefix === 'foranyvalue' ? 'any' : 'all';
    name = name.slice(colon + 1);
  }
  const lower = name.toLowerCase();
  if (lower === 'null' && set === undefined) {
    const lowered = values.map((v) => v.toLowerCase());
    const whenMissing = lowered.includes('true');
    const whenPresent = lowered.includes('false');
    return (context) => (context.has(key) ? whenPresent : whenMissing);
  }
  const ifExists = lower.endsWith('ifexists');
  const base = OPERATORS.get(ifExists ? lower.slice(0, -'ifexists'.length) : lower);
  if (!base) return NEVER;
  const test = base.compile(values, variables);

  if (set === 'all') {
    return (context) => {
      const value = context.get(key);
      if (value === undefined) return true;
      return typeof value === 'string' ? test(value, context) : value.every((v) => test(v, context));
    };
  }
  if (set === 'any') {
    return (context) => {
      const value = context.get(key);
      if (value === undefined) return false;
      return typeof value === 'string' ? test(value, context) : value.some((v) => test(v, context));
    };
  }
  const missingMatches = ifExists || base.negated;
  return (context) => {
    const value = context.get(key);
    if (value === undefined) return missingMatches;
    if (typeof value !== 'string') return false;
    return test(value, context);
  };
}

function toStrings(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean').map(String);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------------------
// Operators

/** Positive operators: some policy value matches. Negated: every policy value "does not match" holds. */
function anyOf(tests: readonly ValueTest[]): ValueTest {
  return tests.length === 1 ? tests[0]! : (v, c) => tests.some((t) => t(v, c));
}
function allOf(tests: readonly ValueTest[]): ValueTest {
  return tests.length === 1 ? tests[0]! : (v, c) => tests.every((t) => t(v, c));
}

function stringOperator(negated: boolean, wildcards: boolean, ignoreCase: boolean): BaseOperator {
  return {
    negated,
    compile(values, variables) {
      const patterns = values.map((v) => compileIamString(v, { wildcards, ignoreCase, variables }));
      // A value whose variable cannot be resolved matches nothing, and so fails a negated operator too.
      const tests = patterns.map((p): ValueTest => (negated ? (v, c) => p.test(v, c) === false : (v, c) => p.test(v, c) === true));
      return negated ? allOf(tests) : anyOf(tests);
    },
  };
}

/** Numeric and Date operators: both parse both sides and compare; a value that does not parse matches nothing. */
function comparisonOperator(parse: (value: string) => number | undefined, negated: boolean, compare: (policy: number, request: number) => boolean): BaseOperator {
  return {
    negated,
    compile(values) {
      const tests = values.map((v): ValueTest => {
        const policy = parse(v);
        return (value) => {
          const request = parse(value);
          return policy !== undefined && request !== undefined && compare(policy, request);
        };
      });
      return negated ? allOf(tests) : anyOf(tests);
    },
  };
}

const numericOperator = (negated: boolean, compare: (p: number, r: number) => boolean): BaseOperator => comparisonOperator(parseNumber, negated, compare);
const dateOperator = (negated: boolean, compare: (p: number, r: number) => boolean): BaseOperator => comparisonOperator(parseDate, negated, compare);

function arnOperator(negated: boolean): BaseOperator {
  return {
    negated,
    compile(values, variables) {
      const tests = values.map((v) => compileArnCondition(v, variables, !negated));
      return negated ? allOf(tests) : anyOf(tests);
    },
  };
}

function ipOperator(negated: boolean): BaseOperator {
  return {
    negated,
    compile(values) {
      const tests = values.map((v) => compileIpCondition(v, !negated));
      return negated ? allOf(tests) : anyOf(tests);
    },
  };
}

const bool: BaseOperator = {
  negated: false,
  compile(values, variables) {
    const patterns = values.map((v) => compileIamString(v, { wildcards: false, ignoreCase: true, variables }));
    return anyOf(
      patterns.map((p): ValueTest => (value, context) => {
        const policy = p.resolve(context)?.toLowerCase();
        const request = value.toLowerCase();
        return (policy === 'true' || policy === 'false') && (request === 'true' || request === 'false') && policy === request;
      }),
    );
  },
};

const binaryEquals: BaseOperator = {
  negated: false,
  compile(values) {
    return anyOf(values.map((v): ValueTest => (value) => value === v));
  },
};

const OPERATORS: ReadonlyMap<string, BaseOperator> = new Map([
  ['stringequals', stringOperator(false, false, false)],
  ['stringnotequals', stringOperator(true, false, false)],
  ['stringequalsignorecase', stringOperator(false, false, true)],
  ['stringnotequalsignorecase', stringOperator(true, false, true)],
  ['stringlike', stringOperator(false, true, false)],
  ['stringnotlike', stringOperator(true, true, false)],
  ['numericequals', numericOperator(false, (p, r) => p === r)],
  ['numericnotequals', numericOperator(true, (p, r) => p !== r)],
  ['numericlessthan', numericOperator(false, (p, r) => r < p)],
  ['numericlessthanequals', numericOperator(false, (p, r) => r <= p)],
  ['numericgreaterthan', numericOperator(false, (p, r) => r > p)],
  ['numericgreaterthanequals', numericOperator(false, (p, r) => r >= p)],
  ['dateequals', dateOperator(false, (p, r) => p === r)],
  ['datenotequals', dateOperator(true, (p, r) => p !== r)],
  ['datelessthan', dateOperator(false, (p, r) => r < p)],
  ['datelessthanequals', dateOperator(false, (p, r) => r <= p)],
  ['dategreaterthan', dateOperator(false, (p, r) => r > p)],
  ['dategreaterthanequals', dateOperator(false, (p, r) => r >= p)],
  ['bool', bool],
  ['binaryequals', binaryEquals],
  ['ipaddress', ipOperator(false)],
  ['notipaddress', ipOperator(true)],
  ['arnequals', arnOperator(false)],
  ['arnlike', arnOperator(false)],
  ['arnnotequals', arnOperator(true)],
  ['arnnotlike', arnOperator(true)],
]);

// ---------------------------------------------------------------------------------------------------------------
// Values

/** A decimal number; integers parse as integers and anything with a "." as a float (leading digits count). */
export function parseNumber(value: string): number | undefined {
  const n = value.includes('.') ? Number.parseFloat(value) : Number.parseInt(value, 10);
  return Number.isNaN(n) ? undefined : n;
}

/**
 * Milliseconds since the epoch from an ISO 8601 date or time, or from epoch seconds (`aws:EpochTime`).
 * AWS compares the two forms with each other ("Date condition operators"), so both become milliseconds.
 */
export function parseDate(value: string): number | undefined {
  if (/^-?\d+$/.test(value)) return Number.parseInt(value, 10) * 1000;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * ArnEquals/ArnLike (identical in IAM: both take wildcards): the six colon-separated parts are matched one by one,
 * wildcards never crossing a colon except in the last part. For the negated forms a failed part decides "not
 * like"; an unresolvable variable, or a request value that is not an ARN, satisfies neither form.
 */
function compileArnCondition(policyArn: string, variables: boolean, expectMatch: boolean): ValueTest {
  const parts = splitArn(policyArn);
  if (!parts) return () => false;
  const patterns = parts.map((p) => compileIamString(p, { wildcards: true, ignoreCase: false, variables }));
  return (value, context) => {
    const request = splitArn(value);
    if (!request) return false;
    for (let i = 0; i < patterns.length; i++) {
      const matched = patterns[i]!.test(request[i]!, context);
      if (matched === undefined) return false;
      if (!matched) return !expectMatch;
    }
    return expectMatch;
  };
}

/** `[partition, service, region, account, resource]` of `arn:...`, or undefined for fewer than five colons. */
export function splitArn(arn: string): [string, string, string, string, string] | undefined {
  const parts = arnFields(arn);
  if (parts.length < 5) return undefined;
  return [parts[1]!, parts[2]!, parts[3]!, parts[4]!, parts[5] ?? ''];
}

/**
 * IpAddress/NotIpAddress against one policy value: an IPv4 or IPv6 CIDR, or a single address. A request address
 * of the other family is outside the range; a value that is no address matches neither form.
 */
function compileIpCondition(policyValue: string, expectInRange: boolean): ValueTest {
  const range = parseCidr(policyValue);
  if (!range) return () => false;
  return (value) => {
    const family = isIPv4(value) ? 4 : isIPv6(value) ? 6 : 0;
    if (family === 0) return false;
    if (family !== range.family) return !expectInRange;
    return inRange(value, range) === expectInRange;
  };
}

export interface IpRange {
  readonly family: 4 | 6;
  readonly network: bigint;
  readonly prefix: number;
}

/** An IPv4 or IPv6 CIDR, or a single address (a full-length prefix); undefined for anything else. */
export function parseCidr(text: string): IpRange | undefined {
  const [address, prefixText, extra] = text.split('/');
  if (address === undefined || extra !== undefined) return undefined;
  const family = isIPv4(address) ? 4 : isIPv6(address) ? 6 : 0;
  if (family === 0) return undefined;
  const bits = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= bits)) return undefined;
  return { family, network: addressBits(address, family), prefix };
}

function inRange(address: string, range: IpRange): boolean {
  const bits = range.family === 4 ? 32n : 128n;
  const shift = bits - BigInt(range.prefix);
  return addressBits(address, range.family) >> shift === range.network >> shift;
}

/** An address as a number (IPv4: 32 bits; IPv6, with `::` and an IPv4 tail expanded: 128). */
export function addressBits(address: string, family: 4 | 6): bigint {
  if (family === 4) return address.split('.').reduce((acc, octet) => (acc << 8n) + BigInt(Number(octet)), 0n);
  // Expand "::" and an embedded IPv4 tail into eight 16-bit groups.
  let text = address.toLowerCase().split('%')[0]!;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = addressBits(v4[1]!, 4);
    text = `${text.slice(0, -v4[1]!.length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return groups.reduce((acc, g) => (acc << 16n) + BigInt(Number.parseInt(g || '0', 16)), 0n);
}
