/**
 * The one wildcard matcher (src/core/wildcard.ts) and every place that matches IAM wildcards through it. Laws:
 * - it agrees with a plain reference matcher (a table over pattern x text) on random patterns and texts, in both
 *   case modes, and with the regular expressions it replaced where those are safe to run (short inputs);
 * - its work is bounded by (pattern length + 1) x (text length + 1) character comparisons whatever the pattern, so a
 *   pattern built to make a backtracking matcher explode (`a*a*a*a*a*b`) grows linearly with the text: counted in
 *   steps, never timed;
 * - the engine (resources, conditions, actions), the catalog's expansion and the resource-pattern algebra all finish
 *   on such patterns and long inputs (each took minutes, or overflowed the stack, before).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadActionCatalog } from '../src/catalog/iam-data-catalog.js';
import { captureGlob, compileGlob, compileWildcard, foldCase, matchGlob, parseWildcard, type MatchMeter } from '../src/core/wildcard.js';
import { compilePolicy } from '../src/evaluate/compile-policy.js';
import { evaluate } from '../src/evaluate/engine.js';
import { intersectResourcePatterns, resourcePatternCovers } from '../src/evaluate/resource-patterns.js';
import type { RequestContext } from '../src/evaluate/types.js';

/** The obvious matcher: can pattern[i..] match text[j..]? A full table, no cleverness. */
function referenceMatch(pattern: string, text: string, ignoreCase: boolean): boolean {
  const same = (a: number, b: number): boolean => (ignoreCase ? foldCase(a) === foldCase(b) : a === b);
  const m = pattern.length;
  const n = text.length;
  const table: boolean[][] = Array.from({ length: m + 1 }, () => new Array<boolean>(n + 1).fill(false));
  table[m]![n] = true;
  for (let i = m - 1; i >= 0; i--) {
    for (let j = n; j >= 0; j--) {
      const p = pattern[i]!;
      if (p === '*') table[i]![j] = table[i + 1]![j]! || (j < n && table[i]![j + 1]!);
      else if (j === n) table[i]![j] = false;
      else if (p === '?') table[i]![j] = table[i + 1]![j + 1]!;
      else table[i]![j] = same(pattern.charCodeAt(i), text.charCodeAt(j)) && table[i + 1]![j + 1]!;
    }
  }
  return table[0]![0]!;
}

/** Few letters, so that random patterns and texts often match and often nearly match. */
const letter = fc.constantFrom('a', 'b', 'A', 'B', ':', '/', 'ſ', 'S', 's');
const patternArb = fc.array(fc.oneof(letter, fc.constantFrom('*', '?')), { maxLength: 12 }).map((cs) => cs.join(''));
const textArb = fc.array(letter, { maxLength: 24 }).map((cs) => cs.join(''));

describe('the wildcard matcher', () => {
  it('agrees with the reference matcher on random patterns and texts, in both case modes', () => {
    fc.assert(
      fc.property(patternArb, textArb, fc.boolean(), (pattern, text, ignoreCase) => {
        expect(compileWildcard(pattern, ignoreCase)(text)).toBe(referenceMatch(pattern, text, ignoreCase));
      }),
      { numRuns: 4000 },
    );
  });

  it('agrees with the anchored regular expressions it replaced, on ASCII (where those are safe to run)', () => {
    const ascii = fc.array(fc.constantFrom('a', 'b', 'B', '.', '*', '?', '\n'), { maxLength: 10 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(ascii, fc.array(fc.constantFrom('a', 'b', 'B', '.', '\n', '*'), { maxLength: 14 }).map((cs) => cs.join('')), fc.boolean(), (pattern, text, ignoreCase) => {
        const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
        expect(compileWildcard(pattern, ignoreCase)(text)).toBe(new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('takes each star as a lazy regular expression would (the earlier ones shortest, the last the rest)', () => {
    const pieces = fc.array(fc.array(fc.constantFrom('a', '/', ':'), { maxLength: 3 }).map((cs) => cs.join('')), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(pieces, textArb, (literals, text) => {
        const glob = compileGlob(literals.flatMap((t, i) => [...(i > 0 ? [{ kind: 'star' } as const] : []), ...(t ? [{ kind: 'literal', text: t } as const] : [])]), false);
        const escape = (t: string): string => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        const groups = literals.map(escape).join('(.*?)').replace(/\(\.\*\?\)([^(]*)$/, '(.*)$1');
        expect(captureGlob(glob, text)).toEqual(new RegExp(`^${groups}$`, 's').exec(text)?.slice(1));
      }),
      { numRuns: 2000 },
    );
  });

  it('never compares more than (pattern + 1) x (text + 1) characters, on random patterns and texts', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', '*', '?'), { maxLength: 30 }).map((cs) => cs.join('')), fc.array(fc.constantFrom('a', 'b'), { maxLength: 200 }).map((cs) => cs.join('')), (pattern, text) => {
        const meter: MatchMeter = { steps: 0 };
        matchGlob(compileGlob(parseWildcard(pattern), false), text, meter);
        expect(meter.steps).toBeLessThanOrEqual((pattern.length + 1) * (text.length + 1));
      }),
      { numRuns: 1000 },
    );
  });

  it('grows linearly with the text on the patterns that make backtracking explode', () => {
    const patterns = ['user/a*a*a*a*a*b', 'a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*c', '*a?*a?*a?*a?*b', '?*?*?*?*?*?*?*x', 'a*aa*aaa*aaaa*b'];
    for (const pattern of patterns) {
      const glob = compileGlob(parseWildcard(pattern), false);
      const steps = (n: number): number => {
        const meter: MatchMeter = { steps: 0 };
        expect(matchGlob(glob, `user/${'a'.repeat(n)}`, meter)).toBe(false);
        return meter.steps;
      };
      const [s400, s4000, s40000] = [steps(400), steps(4000), steps(40_000)];
      // Ten times the text, at most ten times the work (plus the constant the pattern itself costs).
      expect(s4000).toBeLessThanOrEqual(10 * s400 + pattern.length);
      expect(s40000).toBeLessThanOrEqual(10 * s4000 + pattern.length);
      expect(s40000).toBeLessThanOrEqual((pattern.length + 1) * 40_006);
    }
  });
});

describe('every wildcard in the tool goes through it', () => {
  const ACCOUNT = '111122223333';
  const longName = `${'a'.repeat(400)}`;
  const decide = (statement: Record<string, unknown>, request: { action: string; resource: string; context?: RequestContext }): string =>
    evaluate(
      { identity: [compilePolicy('p', { Version: '2012-10-17', Statement: [statement] })] },
      { principal: `arn:aws:iam::${ACCOUNT}:user/alice`, action: request.action, resource: request.resource, context: request.context ?? {} },
      { isWildcardOnlyAction: () => false },
    ).decision;

  it('resources: user/a*a*a*a*a*b against a 400-character path', () => {
    const statement = { Effect: 'Allow', Action: 'iam:GetUser', Resource: `arn:aws:iam::${ACCOUNT}:user/a*a*a*a*a*b` };
    expect(decide(statement, { action: 'iam:GetUser', resource: `arn:aws:iam::${ACCOUNT}:user/${longName}` })).toBe('ImplicitlyDenied');
    expect(decide(statement, { action: 'iam:GetUser', resource: `arn:aws:iam::${ACCOUNT}:user/${longName}b` })).toBe('Allowed');
  });

  it('resources with a policy variable, NotResource, and the ARN prefix parts', () => {
    const statement = { Effect: 'Allow', Action: 'iam:GetUser', NotResource: `arn:*a*a*a*a*a*b:iam::*:user/\${aws:username}*a*a*a*a*a*b` };
    const context: RequestContext = { 'aws:username': 'alice' };
    expect(decide(statement, { action: 'iam:GetUser', resource: `arn:aws:iam::${ACCOUNT}:user/alice${longName}`, context })).toBe('Allowed');
    const partition = { Effect: 'Allow', Action: 'iam:GetUser', Resource: 'arn:a*a*a*a*a*a*a*b:iam::*:user/*' };
    expect(decide(partition, { action: 'iam:GetUser', resource: `arn:${longName}:iam::${ACCOUNT}:user/x` })).toBe('ImplicitlyDenied');
  });

  it('conditions: StringLike, StringNotLike and ArnLike', () => {
    const pattern = `${'a*'.repeat(12)}b`;
    const like = { Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { StringLike: { 'aws:PrincipalTag/team': pattern } } };
    const request = { action: 's3:GetObject', resource: 'arn:aws:s3:::bucket/key', context: { 'aws:principaltag/team': longName } as RequestContext };
    expect(decide(like, request)).toBe('ImplicitlyDenied');
    const notLike = { ...like, Condition: { StringNotLike: { 'aws:PrincipalTag/team': pattern } } };
    expect(decide(notLike, request)).toBe('Allowed');
    const arnLike = { ...like, Condition: { ArnLike: { 'aws:SourceArn': `arn:aws:sns:*:*:${pattern}` } } };
    expect(decide(arnLike, { ...request, context: { 'aws:sourcearn': `arn:aws:sns:us-east-1:${ACCOUNT}:${longName}` } })).toBe('ImplicitlyDenied');
  });

  it('actions, and the catalog expanding an action pattern', async () => {
    const pattern = `s3:${'?*'.repeat(25)}q`;
    expect(decide({ Effect: 'Allow', Action: pattern, Resource: '*' }, { action: 's3:GetObject', resource: '*' })).toBe('ImplicitlyDenied');
    const catalog = await loadActionCatalog();
    expect(catalog.expand(pattern)).toEqual([]);
    expect(catalog.expand(`s3:${'?*'.repeat(25)}x`)).toContain('s3:GetAccessGrantsInstanceForPrefix');
    expect(catalog.expand('*:G*e*t*O*b*j*e*c*t')).toContain('s3:GetObject');
  });

  it('resource-pattern algebra on long patterns: no recursion as deep as the pattern is long', () => {
    const long = `arn:aws:s3:::${'a'.repeat(50_000)}`;
    expect(resourcePatternCovers('arn:aws:s3:::a*', long)).toBe(true);
    expect(resourcePatternCovers('arn:aws:s3:::a*b', long)).toBe(false);
    expect(intersectResourcePatterns('arn:aws:s3:::a*', `arn:aws:s3:::${'a'.repeat(20_000)}?`)).toEqual([`arn:aws:s3:::${'a'.repeat(20_000)}?`]);
    const [as, bs] = ['a'.repeat(150), 'b'.repeat(150)];
    expect(intersectResourcePatterns(`arn:aws:s3:::${as}*`, `arn:aws:s3:::*${bs}`)).toEqual([`arn:aws:s3:::${as}*${bs}`]);
  });
});
