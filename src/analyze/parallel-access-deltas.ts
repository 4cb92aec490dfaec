/**
 * Access deltas on more than one core. Each principal's delta is a pure function of its documents
 * (`principalDelta`), so the principals are cut into chunks that worker threads and this thread claim from a shared
 * table: workers from the front, this thread from the back once it has done its other work (findings, trust). A
 * chunk's results come back as plain JSON values; grouping happens here, in principal order, so the result is the
 * same as `accessDeltas` computed on one thread, whoever computed which chunk.
 *
 * Workers run the built JavaScript (dist/). From TypeScript sources (tests through vitest) there is no worker script,
 * and everything runs on this thread.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { IamState } from '../core/state.js';
import { PrincipalResolver } from '../evaluate/principal-policies.js';
import { groupDeltas, principalDelta, sortedPrincipals, type AccessDelta, type AccessDeltaOptions, type PrincipalDelta, type PrincipalSide } from './access-delta.js';

/** What a worker is given (as workerData): every principal's documents on both sides, and the claim table. */
export interface AccessDeltaWork {
  readonly principals: readonly { readonly arn: string; readonly before: PrincipalSide; readonly after: PrincipalSide }[];
  readonly chunkSize: number;
  /** One Int32 per chunk: UNCLAIMED, or the id of the thread that claimed it. */
  readonly claims: SharedArrayBuffer;
}

/** A worker's messages. */
export type AccessDeltaMessage = { readonly chunk: number; readonly deltas: readonly PrincipalDelta[] } | { readonly done: true };

export const UNCLAIMED = 0;
const THIS_THREAD = 1;
/** Below this many principals, starting a worker costs more than it saves. */
const MIN_PRINCIPALS_FOR_WORKERS = 256;
const CHUNK_SIZE = 32;

export interface AccessDeltaJob {
  /** Worker threads started (0 when the work is small, there is one core, or no built worker script). */
  readonly workers: number;
  /** Chunks whose results came from workers, once `result()` has returned. */
  readonly chunksFromWorkers: number;
  /** Computes what no worker has claimed, waits for the workers, and returns the grouped deltas. */
  result(): Promise<AccessDelta[]>;
}

export interface ParallelOptions {
  /** Worker threads to start besides this one; default: the cores beyond this one, at most 3. */
  readonly workers?: number;
}

/**
 * Starts computing access deltas for `principals` (ARNs) on worker threads and returns at once, so that this
 * thread can do other work meanwhile; `result()` then helps with what is left.
 */
export function startAccessDeltas(before: IamState, after: IamState, principals: Iterable<string>, options: AccessDeltaOptions, parallel: ParallelOptions = {}): AccessDeltaJob {
  const resolvers = { before: new PrincipalResolver(before), after: new PrincipalResolver(after) };
  const sideOf = (resolver: PrincipalResolver, arn: string): PrincipalSide => {
    const documents = resolver.documents(arn);
    return documents && { identity: documents.identity, ...(documents.boundary ? { boundary: documents.boundary } : {}) };
  };
  const work = sortedPrincipals(principals).map((arn) => ({ arn, before: sideOf(resolvers.before, arn), after: sideOf(resolvers.after, arn) }));
  const chunks = Math.ceil(work.length / CHUNK_SIZE);
  const claims = new Int32Array(new SharedArrayBuffer(Math.max(chunks, 1) * Int32Array.BYTES_PER_ELEMENT));
  const results: (readonly PrincipalDelta[] | undefined)[] = new Array(chunks).fill(undefined);
  const compute = (chunk: number): readonly PrincipalDelta[] =>
    work.slice(chunk * CHUNK_SIZE, (chunk + 1) * CHUNK_SIZE).flatMap((p) => principalDelta(p.arn, p.before, p.after, options) ?? []);

  const script = new URL('./access-delta-worker.js', import.meta.url);
  const workerCount = Math.min(parallel.workers ?? Math.min(availableParallelism() - 1, 3), chunks - 1);
  const useWorkers = workerCount > 0 && work.length >= MIN_PRINCIPALS_FOR_WORKERS && existsSync(fileURLToPath(script));
  const finished: Promise<void>[] = [];
  let fromWorkers = 0;
  const workers: Worker[] = [];
  if (useWorkers) {
    const data: AccessDeltaWork = { principals: work, chunkSize: CHUNK_SIZE, claims: claims.buffer as SharedArrayBuffer };
    for (let i = 0; i < workerCount; i++) {
      const worker = new Worker(script, { workerData: data });
      workers.push(worker);
      finished.push(
        new Promise<void>((resolve) => {
          worker.on('message', (message: AccessDeltaMessage) => {
            if ('done' in message) resolve();
            else {
              results[message.chunk] = message.deltas;
              fromWorkers++;
            }
          });
          // A worker that fails leaves its claimed chunks without results; this thread computes them below, and
          // so meets (and reports) the same error if it comes from the input.
          worker.on('error', () => resolve());
          worker.on('exit', () => resolve());
        }),
      );
    }
  }

  return {
    workers: workers.length,
    get chunksFromWorkers() {
      return fromWorkers;
    },
    async result() {
      try {
        for (let chunk = chunks - 1; chunk >= 0; chunk--) {
          if (Atomics.compareExchange(claims, chunk, UNCLAIMED, THIS_THREAD) === UNCLAIMED) results[chunk] = compute(chunk);
        }
        await Promise.all(finished);
        for (let chunk = 0; chunk < chunks; chunk++) results[chunk] ??= compute(chunk);
        return groupDeltas(results.flatMap((r) => r ?? []));
      } finally {
        await Promise.all(workers.map((w) => w.terminate()));
      }
    },
  };
}
