/**
 * Resource patterns as sets of ARNs: the intersection holds exactly the ARNs both patterns match, and "covers" is
 * never said wrongly, judged by the engine's own matcher on random patterns and random ARNs from a small alphabet
 * (so that overlaps are common).
 */
import { describe, expect, it } from 'vitest';
import { hasPolicyVariable, intersectResourcePatterns, resourcePatternCovers } from '../src/evaluate/resource-patterns.js';
import { prepareContext } from '../src/evaluate/context.js';
import { compileResource, prepareResource } from '../src/evaluate/resources.js';
import { seededRandom } from './helpers/random-account.js';

const matches = (pattern: string, arn: string): boolean => compileResource(pattern, 'Allow', false, true)(prepareResource(arn), prepareContext({}), false) === 'match';

describe('resource pattern intersection', () => {
  it('writes overlaps exactly, including ones neither side covers', () => {
    expect(intersectResourcePatterns('arn:aws:s3:::a/*', 'arn:aws:s3:::*/b')).toEqual(['arn:aws:s3:::a/b', 'arn:aws:s3:::a/*/b']);
    expect(intersectResourcePatterns('arn:aws:s3:::bucket-0/*', 'arn:aws:s3:::bucket-6/*')).toEqual([]);
    expect(intersectResourcePatterns('arn:aws:iam::123456789012:role/*', 'arn:aws:iam::*:role/admin*')).toEqual(['arn:aws:iam::123456789012:role/admin*']);
    // The resource type is literal in IAM: "*/" there is two characters, not a wildcard.
    expect(intersectResourcePatterns('arn:aws:iam::1:*/a', 'arn:aws:iam::1:role/a')).toEqual([]);
    // Policy variables have no fixed set of ARNs.
    expect(intersectResourcePatterns('arn:aws:s3:::${aws:username}/*', 'arn:aws:s3:::x*')).toBeUndefined();
    expect(hasPolicyVariable('arn:aws:s3:::${aws:username}/*')).toBe(true);
    expect(hasPolicyVariable('arn:aws:s3:::${*}')).toBe(false); // an escape
    // A variable is a variable wherever it stands: its own colons and slashes separate nothing.
    expect(hasPolicyVariable('arn:aws:sqs:us-east-1:1:${aws:PrincipalTag/team}')).toBe(true);
    expect(hasPolicyVariable('arn:aws:iam::1:role/${aws:PrincipalTag/team}-*')).toBe(true);
    expect(resourcePatternCovers('arn:aws:s3:::a*', 'arn:aws:s3:::ab*c')).toBe(true);
    expect(resourcePatternCovers('arn:aws:s3:::a?c', 'arn:aws:s3:::a*c')).toBe(false);
  });

  it('agrees with the engine on random patterns and ARNs', () => {
    const random = seededRandom(99);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const glob = (alphabet: string, n: number): string => Array.from({ length: 1 + Math.floor(random() * n) }, () => pick([...alphabet])).join('');
    const pattern = (): string => `arn:aws:${pick(['s3', 'iam', '*', 's?'])}:${pick(['', '*', 'eu-west-1'])}:${pick(['', '1', '*'])}:${pick(['', 'role/', 'role:'])}${glob('ab/*?', 5)}`;
    const arn = (): string => `arn:aws:${pick(['s3', 'iam', 'sqs'])}:${pick(['', 'eu-west-1'])}:${pick(['', '1', '2'])}:${pick(['', 'role/', 'role:'])}${glob('ab/', 5)}`;
    let overlapping = 0;
    let checked = 0;
    for (let i = 0; i < 600; i++) {
      const [a, b] = [pattern(), pattern()];
      const common = intersectResourcePatterns(a, b);
      const aCoversB = resourcePatternCovers(a, b);
      if (common && common.length > 0) overlapping++;
      for (let k = 0; k < 60; k++) {
        const r = arn();
        const inBoth = matches(a, r) && matches(b, r);
        if (common) expect(common.some((c) => matches(c, r)), `${r} in ${a} and ${b}: ${JSON.stringify(common)}`).toBe(inBoth);
        if (aCoversB && matches(b, r)) expect(matches(a, r), `${a} said to cover ${b}, but not ${r}`).toBe(true);
        checked++;
      }
    }
    expect(overlapping).toBeGreaterThan(30);
    expect(checked).toBe(36_000);
  });
});
