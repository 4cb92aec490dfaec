/**
 * Access deltas on more than one core. Each principal's delta is a pure function of its documents
 * (`principalDelta`), so the principals are cut into chunks that worker threads claim from a shared table while
 * this thread does its other work (findings, trust). A chunk's results come back as plain JSON values; grouping
 * happens here, in principal order, so the result is the same as `accessDeltas` computed on one thread, whoever
 * computed which chunk. Chunks a failed worker leaves are computed here.
 *
 * Workers are started early (`AccessDeltaWorkers.start`), so that loading their modules and action catalog overlaps
 * reading the manifests; they then wait for work. Measured at quota (bench/plan-at-quota, 2 cores): 5.3 s on one
 * thread, 4.7 s this way.
 *
 * Workers run the built JavaScript (build/, or the Action's bundle in dist/). From TypeScript sources (tests through vitest) there is no worker script,
 * and everything runs on this thread.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { IamState } from '../core/state.js';
import { PrincipalResolver } from '../evaluate/principal-policies.js';
import { withSharedSources } from './shared-source.js';
import { groupDeltas, principalDelta, principalPairs, principalSide, withMoves, type AccessDelta, type AccessDeltaOptions, type PrincipalDelta, type PrincipalSide } from './access-delta.js';
import { DeltaContext } from './delta-context.js';

/** The work a worker is sent: every principal's documents on both sides, and the claim table. */
export interface AccessDeltaWork {
  readonly principals: readonly { readonly arn: string; readonly before: PrincipalSide; readonly after: PrincipalSide }[];
  readonly chunkSize: number;
  /** One Int32 per chunk: UNCLAIMED, or claimed. */
  readonly claims: SharedArrayBuffer;
}

/** A worker's messages. */
export type AccessDeltaMessage = { readonly chunk: number; readonly deltas: readonly PrincipalDelta[] } | { readonly done: true };

export const UNCLAIMED = 0;
export const CLAIMED = 1;
/** Below this many principals, the work is too small to share. */
const MIN_PRINCIPALS_FOR_WORKERS = 256;
const CHUNK_SIZE = 32;

/**
 * One worker by default. Each costs about 0.5 s of CPU to start (modules, catalog, compiling hot code afresh), and
 * on the 2-core benchmark machine two workers took 5.4 s where one took 4.8 s; with more cores, pass `workers`.
 */
const DEFAULT_WORKERS = 1;

export interface ParallelOptions {
  /** Worker threads to start besides this one; default: one, when there is a core beyond this one. */
  readonly workers?: number;
}

export interface AccessDeltaJob {
  /** Workers sharing this job (0 when the work is small, there is one core, or no built worker script). */
  readonly workers: number;
  /** Chunks whose results came from workers, once `result()` has returned. */
  readonly chunksFromWorkers: number;
  /** Waits for the workers (or computes everything, without them) and returns the grouped deltas. */
  result(): Promise<AccessDelta[]>;
}

/** Worker threads ready for one access-delta job. Always `close()` them (a finally block), job or not. */
export class AccessDeltaWorkers {
  /** Workers that failed (to start, or later): they get no job, and their claimed chunks are computed here. */
  private readonly failed = new Set<Worker>();
  /** A worker takes one job; a second `run` computes on this thread. */
  private used = false;

  private constructor(private readonly workers: readonly Worker[]) {
    for (const worker of workers) worker.on('error', () => this.failed.add(worker));
  }

  static start(parallel: ParallelOptions = {}): AccessDeltaWorkers {
    const script = new URL('./access-delta-worker.js', import.meta.url);
    const count = parallel.workers ?? Math.min(availableParallelism() - 1, DEFAULT_WORKERS);
    if (count <= 0 || !existsSync(fileURLToPath(script))) return new AccessDeltaWorkers([]);
    const workers: Worker[] = [];
    for (let i = 0; i < count; i++) {
      const worker = startWorker(script);
      if (worker) workers.push(worker);
    }
    return new AccessDeltaWorkers(workers);
  }

  /**
   * Starts computing access deltas for `principals` (ARNs) and returns at once, so that this thread can do other
   * work meanwhile.
   */
  run(before: IamState, after: IamState, principals: Iterable<string>, options: AccessDeltaOptions, moves: ReadonlyMap<string, string> = new Map()): AccessDeltaJob {
    const resolvers = { before: new PrincipalResolver(before), after: new PrincipalResolver(after) };
    const work = principalPairs(principals, moves).map(({ arn, beforeArn }) => ({ arn, before: principalSide(resolvers.before, before, beforeArn), after: principalSide(resolvers.after, after, arn) }));
    const chunks = Math.ceil(work.length / CHUNK_SIZE);
    const claims = new Int32Array(new SharedArrayBuffer(Math.max(chunks, 1) * Int32Array.BYTES_PER_ELEMENT));
    const results: (readonly PrincipalDelta[] | undefined)[] = new Array(chunks).fill(undefined);
    // This job's own caches, for the chunks computed on this thread (a worker keeps its own for its chunks).
    const context = new DeltaContext(options);
    const compute = (chunk: number): readonly PrincipalDelta[] =>
      work.slice(chunk * CHUNK_SIZE, (chunk + 1) * CHUNK_SIZE).flatMap((p) => principalDelta(p.arn, p.before, p.after, context) ?? []);

    const sharing = work.length >= MIN_PRINCIPALS_FOR_WORKERS && !this.used ? this.workers.filter((w) => !this.failed.has(w)) : [];
    if (sharing.length > 0) this.used = true;
    let fromWorkers = 0;
    const message: AccessDeltaWork = { principals: work, chunkSize: CHUNK_SIZE, claims: claims.buffer as SharedArrayBuffer };
    const finished = sharing.map(
      (worker) =>
        new Promise<void>((resolve) => {
          worker.on('message', (m: AccessDeltaMessage) => {
            if ('done' in m) return resolve();
            results[m.chunk] = m.deltas;
            fromWorkers++;
          });
          // A worker that fails leaves its claimed chunks without results; this thread computes them below, and
          // so meets (and reports) the same error if it comes from the input.
          worker.on('error', () => resolve());
          worker.on('exit', () => resolve());
          try {
            worker.postMessage(message);
          } catch {
            resolve(); // a document that cannot be copied to a worker: this thread computes everything
          }
        }),
    );

    return {
      workers: sharing.length,
      get chunksFromWorkers() {
        return fromWorkers;
      },
      async result() {
        // With workers, this thread only waits: measured at quota on 2 cores, a second thread computing chunks at the
        // same time slows both down more than it adds (4.9 s against 4.7 s), as both allocate and collect heavily.
        if (sharing.length === 0) {
          for (let chunk = 0; chunk < chunks; chunk++) if (Atomics.compareExchange(claims, chunk, UNCLAIMED, CLAIMED) === UNCLAIMED) results[chunk] = compute(chunk);
        }
        await Promise.all(finished);
        for (let chunk = 0; chunk < chunks; chunk++) results[chunk] ??= compute(chunk);
        return withSharedSources(withMoves(groupDeltas(results.flatMap((r) => r ?? [])), moves), before, after, moves);
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * A worker with the parent's Node options where it accepts them: Node refuses per-process options in workers (node
 * --max-semi-space-size=32, say), so then none. Undefined when no worker starts: this thread does the work.
 */
function startWorker(script: URL): Worker | undefined {
  for (const execArgv of [workerExecArgv(process.execArgv), []]) {
    try {
      return new Worker(script, { execArgv });
    } catch {
      // ERR_WORKER_INVALID_EXEC_ARGV and the like: try the next options, or do without
    }
  }
  return undefined;
}

/**
 * The parent's Node options without those that only make sense for the main script (`node --input-type=module -e
 * CODE` would make the worker fail to load its file); memory limits and the like carry over.
 */
export function workerExecArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (['-e', '--eval', '-p', '--print', '--input-type'].includes(arg)) {
      i++; // and its value
      continue;
    }
    if (/^--(eval|print|input-type)=/.test(arg)) continue;
    out.push(arg);
  }
  return out;
}
