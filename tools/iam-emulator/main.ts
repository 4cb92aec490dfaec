/**
 * `npm run emulator -- [--port N] [--state FILE] [--account ID] [--caller ARN] [--throttle-rate R] [--error-rate R]
 * [--rate-limit N] [--latency-ms N] [--consistency-delay-ms N] [--max-page-items N] [--seed N] [--now ISO] [--enforce] [--verbose]`
 *
 * Prints exactly one line to standard output, `http://127.0.0.1:PORT`, once it listens (loopback only); everything
 * else goes to standard error. Runs until interrupted.
 */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { seedModel } from './seed.js';
import { startEmulator } from './server.js';
import { seededRandom } from './random.js';

const rate = (value: string): number => {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('a share between 0 and 1');
  return n;
};
const count = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a whole number');
  return n;
};

const program = new Command('iam-emulator')
  .description('a loopback IAM (Query API) and STS endpoint for testing iam-gitops; never for production use')
  .option('--port <n>', 'port to listen on (0: any free port)', count, 4566)
  .option('--state <file>', 'seed the account from a get-account-authorization-details snapshot')
  .option('--account <id>', 'the account id (default: the snapshot\'s, or 123456789012)')
  .option('--caller <arn>', 'the principal that credentials act as (default: user emulator-admin, created with AdministratorAccess)')
  .option('--throttle-rate <r>', 'answer this share of requests with Throttling', rate, 0)
  .option('--throttle-writes-only', 'with --throttle-rate: throttle only requests that change IAM')
  .option('--error-rate <r>', 'answer this share of requests with HTTP 500 ServiceFailure', rate, 0)
  .option('--rate-limit <n>', 'admit at most this many requests per second (token bucket); the excess gets Throttling', count)
  .option('--latency-ms <n>', 'delay every answer', count, 0)
  .option('--consistency-delay-ms <n>', 'hide new entities from reads, and refuse them as trust principals, for this long', count, 0)
  .option('--max-page-items <n>', 'return at most this many items per page, whatever MaxItems says', count)
  .option('--seed <n>', 'seed the random faults, for reproducible runs', count)
  .option('--enforce', 'authorize every request with the evaluation engine against the emulated account')
  .option('--now <time>', "the emulator's time at start (ISO 8601), running on from there: usage and reports are judged against it")
  .option('--verbose', 'log every request to standard error')
  .parse();

const o = program.opts<{ port: number; state?: string; account?: string; caller?: string; throttleRate: number; throttleWritesOnly?: boolean; errorRate: number; rateLimit?: number; latencyMs: number; consistencyDelayMs: number; maxPageItems?: number; seed?: number; enforce?: boolean; verbose?: boolean; now?: string }>();
try {
  const snapshot = o.state ? (JSON.parse(readFileSync(o.state, 'utf8')) as Record<string, unknown>) : undefined;
  const start = o.now === undefined ? undefined : Date.parse(o.now);
  if (start !== undefined && Number.isNaN(start)) throw new Error(`--now ${o.now} is not an ISO 8601 time (e.g. 2026-12-01T00:00:00Z)`);
  const offset = start === undefined ? 0 : start - Date.now();
  const { model, caller } = seedModel(snapshot, { ...(o.account ? { account: o.account } : {}), ...(o.caller ? { caller: o.caller } : {}), consistencyDelayMs: o.consistencyDelayMs, ...(offset ? { now: () => Date.now() + offset } : {}) });
  const emulator = await startEmulator(
    {
      model,
      caller,
      throttleRate: o.throttleRate,
      ...(o.throttleWritesOnly ? { throttleWritesOnly: true } : {}),
      errorRate: o.errorRate,
      ...(o.rateLimit ? { rateLimit: o.rateLimit } : {}),
      latencyMs: o.latencyMs,
      enforce: o.enforce === true,
      ...(o.maxPageItems ? { maxPageItems: o.maxPageItems } : {}),
      ...(o.seed !== undefined ? { random: seededRandom(o.seed) } : {}),
      ...(o.verbose ? { log: (line: string) => process.stderr.write(`${line}\n`) } : {}),
    },
    o.port,
  );
  process.stdout.write(`${emulator.url}\n`);
  process.stderr.write(`iam-emulator: account ${model.account}, caller ${caller}${o.enforce ? ', enforcing permissions' : ''}. Ctrl-C to stop.\n`);
  const stop = (): void => {
    void emulator.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (e) {
  process.stderr.write(`iam-emulator: ${(e as Error).message}\n`);
  process.exit(1);
}
