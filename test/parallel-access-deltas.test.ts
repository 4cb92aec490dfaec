/**
 * Access deltas computed on worker threads equal those computed on one thread. Workers run the built JavaScript,
 * so this test imports build/ (npm test builds it first).
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { syntheticSnapshot } from '../bench/synthetic-account.js';

const DIST = new URL('../build/src/', import.meta.url);

describe('access deltas on worker threads', () => {
  it('give the same grouped deltas as one thread, whoever computes which chunk', async () => {
    expect(existsSync(new URL('analyze/access-delta-worker.js', DIST)), 'build/ is missing: run npm run build (npm test does)').toBe(true);
    const { AccessDeltaWorkers } = (await import(new URL('analyze/parallel-access-deltas.js', DIST).href)) as typeof import('../src/analyze/parallel-access-deltas.js');
    const { accessDeltas } = (await import(new URL('analyze/access-delta.js', DIST).href)) as typeof import('../src/analyze/access-delta.js');
    const { parseSnapshot } = (await import(new URL('live/parse-snapshot.js', DIST).href)) as typeof import('../src/live/parse-snapshot.js');
    const { loadActionCatalog } = (await import(new URL('catalog/iam-data-catalog.js', DIST).href)) as typeof import('../src/catalog/iam-data-catalog.js');

    const before = syntheticSnapshot({ users: 160, roles: 120, groups: 30, policies: 200 }, 7) as Record<string, Record<string, unknown>[]>;
    const after = structuredClone(before);
    // The benchmark's change, smaller: flip a statement of g-0 (its members) and add PassRole to p-1 (its roles).
    const group = after['GroupDetailList']!.find((g) => g['GroupName'] === 'g-0')!;
    const inline = (group['GroupPolicyList'] as { PolicyDocument: string }[])[0]!;
    inline.PolicyDocument = inline.PolicyDocument.replace(/%22Effect%22%3A%22(Allow|Deny)%22/, (_m, e: string) => `%22Effect%22%3A%22${e === 'Allow' ? 'Deny' : 'Allow'}%22`);
    const policy = after['Policies']!.find((p) => p['PolicyName'] === 'p-1')!;
    const version = (policy['PolicyVersionList'] as { Document: string }[])[0]!;
    const document = JSON.parse(decodeURIComponent(version.Document)) as { Statement: { Action: string[] }[] };
    document.Statement[0]!.Action.push('iam:PassRole');
    version.Document = encodeURIComponent(JSON.stringify(document));

    const was = parseSnapshot('before', JSON.stringify(before)).state;
    const is = parseSnapshot('after', JSON.stringify(after)).state;
    const principals = [...is.users.values(), ...is.roles.values()].map((p) => p.arn);
    const catalog = await loadActionCatalog();
    const options = { catalog, isWildcardOnlyAction: (a: string) => catalog.isWildcardOnly(a) };

    const sequential = accessDeltas(was, is, principals, options);
    // 280 principals: above the 256 from which workers share the work, in 9 chunks of 32.
    expect(sequential.flatMap((d) => d.principals).length).toBeGreaterThan(100);
    const inWorkers = async (): Promise<{ deltas: unknown; workers: number; fromWorkers: number }> => {
      const workers = AccessDeltaWorkers.start({ workers: 2 });
      const job = workers.run(was, is, principals, options);
      const deltas = await job.result().finally(() => workers.close());
      return { deltas, workers: job.workers, fromWorkers: job.chunksFromWorkers };
    };
    const parallel = await inWorkers();
    expect(parallel.workers).toBe(2);
    expect(parallel.fromWorkers).toBeGreaterThan(0);
    expect(parallel.deltas).toEqual(sequential);

    // Started as `node --max-semi-space-size=32 ...`: Node refuses that option in workers, so they start without it.
    process.execArgv.push('--max-semi-space-size=32');
    try {
      const withProcessOption = await inWorkers();
      expect(withProcessOption.workers).toBe(2);
      expect(withProcessOption.deltas).toEqual(sequential);
    } finally {
      process.execArgv.pop();
    }
  });
});

describe('worker options', () => {
  it("drop the parent's eval and input-type options (a worker given them fails to load its file), keep the rest", async () => {
    const { workerExecArgv } = await import('../src/analyze/parallel-access-deltas.js');
    expect(workerExecArgv(['--input-type=module', '-e', 'code', '--max-old-space-size=4096', '--eval=x', '--input-type', 'module', '-p', '1', '--enable-source-maps'])).toEqual(['--max-old-space-size=4096', '--enable-source-maps']);
  });
});
