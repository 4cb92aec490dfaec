/**
 * Simulation requests: JSON lines (`--requests FILE`) or one request from flags. Pure. Every malformed line is
 * reported with its line number; nothing is evaluated until all lines are valid, so no output is ever partial.
 */
import { error, type Diagnostic } from '../core/diagnostics.js';
import { describeShapeProblem, jsonNestingOffset } from '../core/input-limits.js';
import type { EvaluationRequest, EvaluationResult } from './types.js';

/** A request as given: the resource may be left out (for actions that take none, it is `*`). */
export type GivenRequest = Omit<EvaluationRequest, 'resource'> & { readonly resource?: string };

export interface SimulatedRequest {
  readonly line: number;
  /** The request evaluated: the resource resolved, and the keys AWS sets filled in. */
  readonly request: EvaluationRequest;
  readonly result: EvaluationResult;
  /** Keys the tool derived rather than the caller gave, e.g. aws:RequestedRegion from the resource ARN. */
  readonly derived: Readonly<Record<string, string>>;
  /** The resource is `*` for an action that takes one: the question was "on some resource?". */
  readonly onSomeResource: boolean;
}

export interface NumberedRequest {
  readonly line: number;
  readonly request: GivenRequest;
}

export function parseRequestLines(file: string, text: string): { requests: NumberedRequest[]; diagnostics: Diagnostic[] } {
  const requests: NumberedRequest[] = [];
  const diagnostics: Diagnostic[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      diagnostics.push(error(`line ${line} is not JSON: ${(e as Error).message.split('\n')[0]}`, 'Each line is one JSON object: {"principal": "arn:...", "action": "s3:GetObject", "resource": "arn:...", "context": {...}}.', { file, line, col: 1 }));
      return;
    }
    const tooDeep = jsonNestingOffset(raw);
    if (tooDeep !== undefined) {
      const { summary, detail } = describeShapeProblem({ kind: 'nesting' });
      diagnostics.push(error(`line ${line} is ${summary}`, detail, { file, line, col: tooDeep + 1 }));
      return;
    }
    const checked = checkRequest(value);
    if (typeof checked === 'string') diagnostics.push(error(`line ${line}: ${checked}`, 'Each line is one JSON object: {"principal": "arn:...", "action": "s3:GetObject", "resource": "arn:...", "context": {...}}.', { file, line, col: 1 }));
    else requests.push({ line, request: checked });
  });
  if (requests.length === 0 && diagnostics.length === 0) diagnostics.push(error(`${file} holds no requests`, 'Write one JSON request per line.', { file, line: 1, col: 1 }));
  return { requests, diagnostics };
}

/** A request, or what is wrong with it. */
export function checkRequest(value: unknown): GivenRequest | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'a request must be a JSON object';
  const r = value as Record<string, unknown>;
  const unknown = Object.keys(r).filter((k) => !['principal', 'action', 'resource', 'context'].includes(k));
  if (unknown.length) return `unknown field "${unknown[0]}" (fields: principal, action, resource, context)`;
  if (typeof r['principal'] !== 'string' || !r['principal'].startsWith('arn:')) return '"principal" must be the ARN of a user or role';
  if (typeof r['action'] !== 'string' || !/^[A-Za-z0-9-]+:[A-Za-z0-9_-]+$/.test(r['action'])) return '"action" must be one action such as "s3:GetObject" (no wildcards)';
  const resource = r['resource'];
  if (resource !== undefined) {
    if (typeof resource !== 'string' || (resource !== '*' && !resource.startsWith('arn:'))) return '"resource" must be an ARN, or "*" (for actions that take no resource, or to ask "on some resource?")';
    if (resource !== '*' && /[*?]/.test(resource)) return '"resource" must be one concrete ARN, without wildcards';
  }
  const context = r['context'] ?? {};
  if (typeof context !== 'object' || context === null || Array.isArray(context)) return '"context" must be an object of condition keys';
  const values: Record<string, string | string[]> = {};
  for (const [key, v] of Object.entries(context)) {
    const scalar = (x: unknown): x is string | number | boolean => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean';
    if (scalar(v)) values[key] = String(v);
    else if (Array.isArray(v) && v.every(scalar)) values[key] = v.map(String);
    else return `context key "${key}" must be a string or a list of strings`;
  }
  return { principal: r['principal'], action: r['action'], ...(resource !== undefined ? { resource } : {}), context: values };
}

/** `key=value` flags; a key given twice or more becomes a multi-valued key. */
export function parseContextFlags(flags: readonly string[]): Record<string, string | string[]> | string {
  const out: Record<string, string | string[]> = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) return `--context "${flag}" must be key=value, e.g. --context aws:SourceIp=10.1.2.3`;
    const key = flag.slice(0, eq);
    const value = flag.slice(eq + 1);
    const previous = out[key];
    out[key] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return out;
}
