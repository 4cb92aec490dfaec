/** The snapshot reader's fast structural check must accept exactly what its schema accepts. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { snapshotChecks } from '../src/live/parse-snapshot.js';
import { PROJECT_ROOT, realWorldAvailable, realWorldSnapshot } from './helpers/fixtures.js';

const example = JSON.parse(readFileSync(join(PROJECT_ROOT, 'example/live-snapshot.json'), 'utf8')) as unknown;
const bases: [string, unknown][] = [['example', example]];
if (realWorldAvailable) bases.push(['small real-world account', JSON.parse(readFileSync(realWorldSnapshot('cloudsplaining-small-account.json'), 'utf8'))]);

/** Every path to a value inside the snapshot. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return [prefix, ...value.flatMap((v, i) => paths(v, [...prefix, i]))];
  if (value && typeof value === 'object') return [prefix, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, k]))];
  return [prefix];
}

function mutate(root: unknown, path: (string | number)[], replacement: unknown): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  if (path.length === 0) return replacement === '__delete__' ? undefined : replacement;
  let node: Record<string | number, unknown> = copy;
  for (const segment of path.slice(0, -1)) node = node[segment] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  // JSON has no holes in arrays: removing an element shortens the list.
  if (replacement === '__delete__' && Array.isArray(node)) node.splice(last as number, 1);
  else if (replacement === '__delete__') delete node[last];
  else node[last] = replacement;
  return copy;
}

describe('snapshot fast check', () => {
  it.each(bases)('agrees with the schema on the %s snapshot and thousands of mutations of it', (_name, base) => {
    const allPaths = paths(base);
    expect(snapshotChecks.fast(base)).toBe(true);
    fc.assert(
      fc.property(fc.nat(allPaths.length - 1), fc.constantFrom('__delete__', null, 7, 1.5, 'text', true, [], {}, ['x'], [{}]), (i, replacement) => {
        const mutated = mutate(base, allPaths[i]!, replacement);
        expect(snapshotChecks.fast(mutated)).toBe(snapshotChecks.schema(mutated));
      }),
      { numRuns: 2000 },
    );
  });
});
