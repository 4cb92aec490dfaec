/**
 * A principal's statements as the access-delta analysis reads them: each Allow or Deny statement of each document
 * that applies to it (identity policies and boundary) as a piece, with its content as a signature (equal pieces
 * are the same statement wherever it comes from) and its action test compiled; and the documents compiled for the
 * engine, which checks examples.
 */
import { cachedPer } from '../core/multimap.js';
import { stableStringify, statementsOf, type PolicyJson } from '../core/policy.js';
import { compileActions, compilePolicy, type CompiledPolicy } from '../evaluate/compile-policy.js';
import type { PrincipalPolicies } from '../evaluate/engine.js';
import type { NamedDocument } from '../evaluate/principal-policies.js';
import type { PrincipalSide } from './access-delta.js';
import type { DeltaContext } from './delta-context.js';

/** One statement as a delta entry's building block. */
export interface Piece {
  readonly effect: 'Allow' | 'Deny';
  /** Canonical content: equal pieces mean the same statement wherever it comes from. */
  readonly sig: string;
  /** `sig` interned as a small number, for cheap keys. */
  readonly id: number;
  /** `sig` and `because` interned: the same statement of the same policy. */
  readonly uid: number;
  readonly because: string;
  readonly resources?: readonly string[];
  readonly notResources?: readonly string[];
  readonly condition?: Record<string, Record<string, unknown>>;
  readonly actionMatches: (service: string, action: string) => boolean;
  /** The statement's Action patterns (none for NotAction), to write entries' actions compactly. */
  readonly actionPatterns: readonly string[];
  /** The statement's NotAction patterns, when it has NotAction. */
  readonly notActionPatterns?: readonly string[];
  /** Version 2012-10-17: policy variables are live. */
  readonly variables: boolean;
}

/** A principal's pieces on one side of the change. */
export interface Side {
  readonly identity: readonly Piece[];
  /** Undefined when the principal has no permissions boundary. */
  readonly boundary?: readonly Piece[];
  /** False when the principal does not exist on this side. */
  readonly exists: boolean;
}

/** A side's documents compiled, each once per analysis: a managed policy attached to 1,000 roles is compiled once. */
export function compiledOf(side: PrincipalSide, context: DeltaContext): PrincipalPolicies | undefined {
  if (!side) return undefined;
  const compiled = (d: NamedDocument): CompiledPolicy => cachedPer(context.compiled, d.document, d.name, () => compilePolicy(d.name, d.document));
  return { identity: side.identity.map(compiled), ...(side.boundary ? { boundary: compiled(side.boundary) } : {}) };
}

/** A side's pieces, each document read once per analysis: shared managed and group policies are read once. */
export function sideOf(documents: PrincipalSide, context: DeltaContext): Side {
  if (!documents) return { identity: [], exists: false };
  const pieces = (d: NamedDocument): Piece[] => cachedPer(context.pieces, d.document, d.name, () => readPieces(d.name, d.document, context));
  return { identity: documents.identity.flatMap(pieces), ...(documents.boundary ? { boundary: pieces(documents.boundary) } : {}), exists: true };
}

function readPieces(name: string, document: PolicyJson, context: DeltaContext): Piece[] {
  const variables = document['Version'] === '2012-10-17';
  return statementsOf(document).flatMap((s, index): Piece[] => {
    const effect = s['Effect'];
    if (effect !== 'Allow' && effect !== 'Deny') return [];
    const list = (v: unknown): string[] | undefined => (v === undefined ? undefined : (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string'));
    const resources = list(s['Resource']);
    const notResources = list(s['NotResource']);
    // A NotResource list with "*" excludes everything; one with a short ARN ("arn:aws:s3") never matches either, as
    // the engine reads it (a request it fails is invalid for it, not outside it): such statements never apply.
    if (notResources?.some((p) => p === '*' || p.split(':').length < 6)) return [];
    const condition = typeof s['Condition'] === 'object' && s['Condition'] !== null ? (s['Condition'] as Record<string, Record<string, unknown>>) : undefined;
    const content = { Effect: effect, Action: s['Action'], NotAction: s['NotAction'], Resource: resources, NotResource: notResources, Condition: condition, variables };
    const sid = typeof s['Sid'] === 'string' && s['Sid'] !== '' ? ` (${s['Sid']})` : '';
    const sig = stableStringify(content);
    return [{
      effect,
      sig,
      id: context.internSig(sig),
      uid: context.internSig(`${sig}\u0001${name}, statement ${index}${sid}`),
      because: `${name}, statement ${index}${sid}`,
      ...(resources ? { resources } : {}),
      ...(notResources ? { notResources } : {}),
      ...(condition ? { condition } : {}),
      actionMatches: compileActions(s),
      actionPatterns: list(s['Action']) ?? [],
      ...(s['Action'] === undefined ? { notActionPatterns: list(s['NotAction']) ?? [] } : {}),
      variables,
    }];
  });
}

const sigs = (pieces: readonly Piece[] | undefined): string => (pieces ? pieces.map((p) => p.id).sort((a, b) => a - b).join(',') : '<no boundary>');

/** Whether two sides have the same statements (so the principal's access cannot differ). */
export function sameSides(a: Side, b: Side): boolean {
  return a.exists === b.exists && sigs(a.identity) === sigs(b.identity) && sigs(a.boundary) === sigs(b.boundary);
}
