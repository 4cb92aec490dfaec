/**
 * Where live IAM comes from, for every entry point (the CLI's `--state`/`--aws` flags, the Action's `state` and
 * `role-to-assume` inputs): a snapshot file, or AWS through a connection. The run's environment tunes the connection
 * in one place (`readTuning`), so a variable that tunes the CLI tunes the Action the same way.
 */
import type { Clock } from '../core/clock.js';
import { AwsLiveReader } from '../live/aws/aws-live-reader.js';
import { awsTuningFromEnv, createAwsClients, type AwsClients, type AwsOptions } from '../live/aws/connection.js';
import { describeRetry, type RetryEvent } from '../live/aws/retry.js';
import type { LiveReader } from '../live/live-state.js';
import { SnapshotFileReader } from '../live/snapshot-file-reader.js';

/** How to reach AWS: which endpoint and region, and whose credentials (the environment's unless a role or profile says otherwise). */
export type AwsConnection = Pick<AwsOptions, 'region' | 'endpoint' | 'profile' | 'assumeRole' | 'webIdentity'>;

/** Live IAM: a snapshot (`get-account-authorization-details` JSON) or AWS. */
export type LiveSource = { readonly from: 'snapshot'; readonly file: string } | { readonly from: 'aws'; readonly aws: AwsConnection };

/** What a run brings besides its inputs: its environment (tuning, credentials), its clock, and where retries are said. */
export interface RunEnvironment {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where waits are measured and spent (default the system's; tests: a virtual clock shared with the emulator). */
  readonly clock?: Clock;
  /** Told before each AWS retry, with the line that says it (`throttled by IAM ..., retrying in 8.0 s`): each entry decides which it prints. */
  readonly onRetry?: (said: string, event: RetryEvent) => void;
}

/**
 * Everything the environment tunes, read once: the AWS SDK's attempts, retry delay and timeouts, how long apply waits
 * for IAM to show what it wrote, and the GitHub client's retry unit and request deadline. Values that are not
 * numbers in range are ignored (the defaults stand), as they always were.
 */
export interface RunTuning {
  readonly aws: ReturnType<typeof awsTuningFromEnv>;
  /** `IAM_GITOPS_CONSISTENCY_TIMEOUT_MS`: apply's bound on waiting out IAM's eventual consistency. */
  readonly consistencyTimeoutMs?: number;
  /** `IAM_GITOPS_GITHUB_RETRY_UNIT_MS` and `IAM_GITOPS_REQUEST_TIMEOUT_MS`, for the GitHub client. */
  readonly gitHub: { readonly retryUnitMs?: number; readonly timeoutMs?: number };
}

export function readTuning(env: RunEnvironment['env']): RunTuning {
  const positive = (name: string): number | undefined => {
    const n = Number(env[name]);
    return n > 0 ? n : undefined;
  };
  const consistency = positive('IAM_GITOPS_CONSISTENCY_TIMEOUT_MS');
  const retryUnit = positive('IAM_GITOPS_GITHUB_RETRY_UNIT_MS');
  const timeout = positive('IAM_GITOPS_REQUEST_TIMEOUT_MS');
  return {
    aws: awsTuningFromEnv(env),
    ...(consistency !== undefined ? { consistencyTimeoutMs: consistency } : {}),
    gitHub: { ...(retryUnit !== undefined ? { retryUnitMs: retryUnit } : {}), ...(timeout !== undefined ? { timeoutMs: timeout } : {}) },
  };
}

/** IAM and STS clients for a connection, tuned by the run's environment. */
export function connectAws(aws: AwsConnection, run: RunEnvironment): AwsClients {
  return createAwsClients({
    ...aws,
    env: run.env,
    ...readTuning(run.env).aws,
    ...(run.clock ? { clock: run.clock } : {}),
    ...(run.onRetry ? { onRetry: (event: RetryEvent) => run.onRetry!(describeRetry(event), event) } : {}),
  });
}

/** What the run's environment sets for apply: how long it waits for IAM to show its writes, and on which clock. */
export function applyTuning(run: RunEnvironment): { consistencyTimeoutMs?: number; clock?: Clock } {
  const { consistencyTimeoutMs } = readTuning(run.env);
  return { ...(consistencyTimeoutMs !== undefined ? { consistencyTimeoutMs } : {}), ...(run.clock ? { clock: run.clock } : {}) };
}

export function openLiveReader(source: LiveSource, run: RunEnvironment): LiveReader {
  switch (source.from) {
    case 'snapshot':
      return new SnapshotFileReader(source.file);
    case 'aws':
      return new AwsLiveReader(connectAws(source.aws, run));
  }
}
