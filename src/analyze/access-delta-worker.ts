/**
 * Worker thread for `startAccessDeltas`: claims chunks of principals from the shared table, front to back, and posts
 * each chunk's deltas. It loads its own action catalog (functions cannot cross threads); the package is the same, so
 * the catalog is too.
 */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { loadActionCatalog } from '../catalog/iam-data-catalog.js';
import { principalDelta } from './access-delta.js';
import { UNCLAIMED, type AccessDeltaMessage, type AccessDeltaWork } from './parallel-access-deltas.js';

const work = workerData as AccessDeltaWork;
const port = parentPort!;
const catalog = await loadActionCatalog();
const options = { catalog, isWildcardOnlyAction: (a: string) => catalog.isWildcardOnly(a) };
const claims = new Int32Array(work.claims);
// Thread ids start at 1 for the first worker; the main thread claims as 1 too, so offset to keep them apart.
const me = threadId + 1;

for (let chunk = 0; chunk < claims.length; chunk++) {
  if (Atomics.compareExchange(claims, chunk, UNCLAIMED, me) !== UNCLAIMED) continue;
  const principals = work.principals.slice(chunk * work.chunkSize, (chunk + 1) * work.chunkSize);
  const deltas = principals.flatMap((p) => principalDelta(p.arn, p.before, p.after, options) ?? []);
  port.postMessage({ chunk, deltas } satisfies AccessDeltaMessage);
}
port.postMessage({ done: true } satisfies AccessDeltaMessage);
