/**
 * The IAM emulator started in the test process, on a free loopback port, and the environment the CLI needs to
 * reach it with the real SDK: fake static credentials, fast retries, and no way to wander off to real AWS
 * (instance metadata off, config files that do not exist).
 */
import { IAMClient } from '@aws-sdk/client-iam';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { seedModel, type SeedOptions } from '../../tools/iam-emulator/seed.js';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../tools/iam-emulator/server.js';
import type { IamModel } from '../../tools/iam-emulator/model.js';
import type { Clock } from '../../src/core/clock.js';
import { PROJECT_ROOT } from './fixtures.js';
import { afterEach } from 'vitest';
import { seededRandom } from '../../tools/iam-emulator/random.js';

// The SDK reads these from the process environment whatever credentials it is given.
process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
process.env['AWS_CONFIG_FILE'] = '/nonexistent/aws-config';
process.env['AWS_SHARED_CREDENTIALS_FILE'] = '/nonexistent/aws-credentials';
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
delete process.env['AWS_PROFILE'];

export interface TestEmulator extends RunningEmulator {
  readonly model: IamModel;
  readonly caller: string;
  /** What the CLI needs in its environment to talk to this emulator. */
  readonly env: Record<string, string>;
  /** `--aws --endpoint URL`. */
  readonly awsArgs: string[];
  /** The account as get-account-authorization-details JSON (the emulator's truth). */
  state(): Promise<Record<string, unknown>>;
  resetCalls(): Promise<void>;
}

export const CREDENTIALS_ENV = {
  AWS_ACCESS_KEY_ID: 'AKIATESTEXAMPLE00001',
  AWS_SECRET_ACCESS_KEY: 'test-secret-not-real',
  // Retries at once (no real waits), and often enough to ride out the fault rates the tests inject.
  IAM_GITOPS_RETRY_BASE_DELAY_MS: '0',
  IAM_GITOPS_MAX_ATTEMPTS: '12',
  IAM_GITOPS_CONSISTENCY_TIMEOUT_MS: '20000',
};

export function exampleSnapshotJson(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(PROJECT_ROOT, 'example/live-snapshot.json'), 'utf8')) as Record<string, unknown>;
}

/**
 * `clock`: the emulator's time (its consistency window), to share with the CLI run under test (`runCli`'s clock), so
 * that waiting out eventual consistency takes no real time.
 */
export async function startTestEmulator(snapshot: Record<string, unknown> | undefined, options: Omit<SeedOptions, 'now'> & Omit<EmulatorOptions, 'model' | 'caller'> & { seed?: number; clock?: Clock } = {}): Promise<TestEmulator> {
  const { model, caller } = seedModel(snapshot, { ...options, ...(options.clock ? { now: () => options.clock!.now() } : {}) });
  const running = await startEmulator({ ...options, model, caller, ...(options.seed !== undefined ? { random: seededRandom(options.seed) } : {}) });
  return {
    ...running,
    model,
    caller,
    env: { ...CREDENTIALS_ENV },
    awsArgs: ['--aws', '--endpoint', running.url],
    state: async () => (await (await fetch(`${running.url}/_emulator/state`)).json()) as Record<string, unknown>,
    resetCalls: async () => {
      await fetch(`${running.url}/_emulator/calls`, { method: 'DELETE' });
    },
  };
}

/**
 * For a test file: a function that starts an emulator like `startTestEmulator`, each closed after the test that
 * started it (registers the `afterEach`).
 */
export function emulatorsClosedAfterEachTest(): typeof startTestEmulator {
  const running: TestEmulator[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((e) => e.close()));
  });
  return async (...args) => {
    const e = await startTestEmulator(...args);
    running.push(e);
    return e;
  };
}

/** The real SDK's IAM client, talking to an emulator with the test credentials, without retries (one call, one answer). */
export function iamClientFor(url: string): IAMClient {
  return new IAMClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: CREDENTIALS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: CREDENTIALS_ENV.AWS_SECRET_ACCESS_KEY }, maxAttempts: 1 });
}

/** The error code (without the SDK's "Exception"), HTTP status and message an emulator answers a command with. */
export async function refusalOf(iam: IAMClient, command: object): Promise<string> {
  try {
    await iam.send(command as never);
    return 'no error';
  } catch (err) {
    const x = err as { name: string; message: string; $metadata: { httpStatusCode: number } };
    return `${x.name.replace(/Exception$/, '')} ${x.$metadata.httpStatusCode}: ${x.message}`;
  }
}
