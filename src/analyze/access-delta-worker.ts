/**
 * Worker thread for `AccessDeltaWorkers`: loads its own action catalog (functions cannot cross threads; the package
 * is the same, so the catalog is too), waits for one job, claims chunks of principals from the shared table front to
 * back, and posts each chunk's deltas.
 */
import { parentPort } from 'node:worker_threads';
import { loadActionCatalog } from '../catalog/iam-data-catalog.js';
import { principalDelta } from './access-delta.js';
import { DeltaContext } from './delta-context.js';
import { CLAIMED, UNCLAIMED, type AccessDeltaMessage, type AccessDeltaWork } from './parallel-access-deltas.js';

const port = parentPort!;
// Listen first: the job may arrive while the catalog loads.
const job = new Promise<AccessDeltaWork>((resolve) => port.once('message', resolve));
const catalog = await loadActionCatalog();
const work = await job;
// The job's caches: the worker takes one job and ends with it.
const context = new DeltaContext({ catalog, isWildcardOnlyAction: (a: string) => catalog.isWildcardOnly(a) });
const claims = new Int32Array(work.claims);

for (let chunk = 0; chunk < claims.length; chunk++) {
  if (Atomics.compareExchange(claims, chunk, UNCLAIMED, CLAIMED) !== UNCLAIMED) continue;
  const principals = work.principals.slice(chunk * work.chunkSize, (chunk + 1) * work.chunkSize);
  const deltas = principals.flatMap((p) => principalDelta(p.arn, p.before, p.after, context) ?? []);
  port.postMessage({ chunk, deltas } satisfies AccessDeltaMessage);
}
port.postMessage({ done: true } satisfies AccessDeltaMessage);
