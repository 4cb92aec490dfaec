/**
 * Waiting on AWS is said, and said rightly (issue 16, item 12):
 * - each retry is announced before its wait, with its kind ("throttled by IAM (Throttling), retrying in 8.0 s");
 * - time spent throttled is kept apart and never reported as eventual consistency;
 * - IAM_GITOPS_RETRY_BASE_DELAY_MS shortens every retry, throttling included, in the CLI and the Action alike;
 * - every flag a printed hint names exists on the command that printed it (plan has no --concurrency): each AWS
 *   command is run into each kind of AWS failure, and the flags in what it prints are checked against its own
 *   commander options.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAccounts } from '../cmd/commands/accounts.js';
import { registerApply } from '../cmd/commands/apply.js';
import { registerAudit } from '../cmd/commands/audit.js';
import { registerDrift } from '../cmd/commands/drift.js';
import { registerImport } from '../cmd/commands/import.js';
import { registerPlan } from '../cmd/commands/plan.js';
import { registerSchema } from '../cmd/commands/schema.js';
import { registerSimulate } from '../cmd/commands/simulate.js';
import { registerSnapshot } from '../cmd/commands/snapshot.js';
import { registerValidate } from '../cmd/commands/validate.js';
import { createContext } from '../cmd/context.js';
import type { Step } from '../src/apply/steps.js';
import { awsTuningFromEnv, type AwsClients } from '../src/live/aws/connection.js';
import { AwsIamWriter } from '../src/live/aws/aws-iam-writer.js';
import { describeRetry, reportingRetryStrategy, type RetryEvent, type ThrottleLedger } from '../src/live/aws/retry.js';
import { virtualClock } from './helpers/clock.js';
import { CREDENTIALS_ENV, exampleSnapshotJson, startTestEmulator, type TestEmulator } from './helpers/emulator.js';
import { runCli } from './helpers/run-cli.js';

/** The strategy as the SDK's retry middleware calls it, tokens passed back as they came. */
interface Refreshing {
  acquireInitialRetryToken(scope: string): Promise<unknown>;
  refreshRetryTokenForRetry(token: never, info: never): Promise<unknown>;
}

/** The SDK's client-side pacing, off: these tests count, they do not wait. */
const NO_PACING = { getSendToken: async () => undefined, updateClientSendingRate: () => undefined };

describe('the retry strategy', () => {
  const errorInfo = (errorType: 'THROTTLING' | 'TRANSIENT' | 'SERVER_ERROR', name: string) => ({ errorType, error: Object.assign(new Error(name), { name, $metadata: {} }) }) as never;

  it('announces each retry before its wait, and books only throttling as throttling', async () => {
    const events: RetryEvent[] = [];
    const ledger: ThrottleLedger = { throttledMs: 0, throttledRetries: 0 };
    let clock = 0;
    const strategy = reportingRetryStrategy({ maxAttempts: 3, baseDelayMs: 0, onRetry: (e) => events.push(e), ledger, now: () => (clock += 100), rateLimiter: NO_PACING }) as unknown as Refreshing;
    const first = await strategy.acquireInitialRetryToken('iam');
    const second = await strategy.refreshRetryTokenForRetry(first as never, errorInfo('THROTTLING', 'Throttling'));
    expect(events).toEqual([{ kind: 'throttling', code: 'Throttling', delayMs: 0, attempt: 2, maxAttempts: 3 }]);
    const throttledAfterOne = ledger.throttledMs;
    expect(ledger.throttledRetries).toBe(1);
    expect(throttledAfterOne).toBeGreaterThan(0);
    await strategy.refreshRetryTokenForRetry(second as never, errorInfo('SERVER_ERROR', 'ServiceFailure')).catch(() => undefined);
    await strategy.refreshRetryTokenForRetry(second as never, errorInfo('TRANSIENT', 'TimeoutError'));
    expect(events.slice(1)).toEqual([{ kind: 'failure', code: 'TimeoutError', delayMs: 0, attempt: 3, maxAttempts: 3 }]);
    // A failure's retry is not throttling: the ledger did not move.
    expect(ledger).toEqual({ throttledMs: throttledAfterOne, throttledRetries: 1 });
  });

  it('gives up after the attempts it was given', async () => {
    const strategy = reportingRetryStrategy({ maxAttempts: 2, baseDelayMs: 0, ledger: { throttledMs: 0, throttledRetries: 0 }, rateLimiter: NO_PACING }) as unknown as Refreshing;
    const token = await strategy.refreshRetryTokenForRetry((await strategy.acquireInitialRetryToken('iam')) as never, errorInfo('THROTTLING', 'Throttling'));
    await expect(strategy.refreshRetryTokenForRetry(token as never, errorInfo('THROTTLING', 'Throttling'))).rejects.toThrow();
  });

  it('says the wait in words', () => {
    expect(describeRetry({ kind: 'throttling', code: 'Throttling', delayMs: 8000, attempt: 3, maxAttempts: 10 })).toBe('throttled by IAM (Throttling), retrying in 8.0 s (attempt 3 of 10)');
    expect(describeRetry({ kind: 'failure', code: 'ServiceFailure', delayMs: 12_400, attempt: 2, maxAttempts: 10 })).toBe('IAM request failed (ServiceFailure), retrying in 12 s (attempt 2 of 10)');
  });

  it('one reader of the tuning knobs for the CLI and the Action: a zero base delay counts, junk does not', () => {
    expect(awsTuningFromEnv({ IAM_GITOPS_RETRY_BASE_DELAY_MS: '0', IAM_GITOPS_MAX_ATTEMPTS: '4', IAM_GITOPS_REQUEST_TIMEOUT_MS: '250', IAM_GITOPS_CONNECT_TIMEOUT_MS: '100' })).toEqual({ retryBaseDelayMs: 0, maxAttempts: 4, requestTimeoutMs: 250, connectTimeoutMs: 100 });
    expect(awsTuningFromEnv({ IAM_GITOPS_RETRY_BASE_DELAY_MS: 'fast', IAM_GITOPS_MAX_ATTEMPTS: '0', IAM_GITOPS_REQUEST_TIMEOUT_MS: '' })).toEqual({});
  });
});

describe('eventual consistency is only what was waited for it', () => {
  it('the writer counts its own pauses, not the time its calls took (a throttled call is slow, not inconsistent)', async () => {
    const pauses: number[] = [];
    let calls = 0;
    const clients = {
      target: 'AWS',
      throttling: { throttledMs: 0, throttledRetries: 0 },
      iam: {
        send: async (command: object): Promise<unknown> => {
          if (command.constructor.name !== 'CreateRoleCommand') return { $metadata: { attempts: 1 } };
          calls++;
          if (calls <= 2) throw Object.assign(new Error('Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:user/new"'), { name: 'MalformedPolicyDocument', $metadata: { attempts: 5 } });
          return { $metadata: { attempts: 3 } };
        },
      },
    } as unknown as AwsClients;
    const writer = new AwsIamWriter(clients, { account: '123456789012', untouchable: () => undefined, clock: { now: () => 0, sleep: async (ms) => void pauses.push(ms) } });
    // The run created a principal first, so "Invalid principal" is worth waiting out.
    await writer.perform({ id: 1, title: 'create user new', target: 'arn:aws:iam::123456789012:user/new', alsoTouches: [], op: { op: 'createUser', name: 'new', path: '/', tags: [] } } as unknown as Step);
    const outcome = await writer.perform({ id: 2, title: 'create role r', target: 'arn:aws:iam::123456789012:role/r', alsoTouches: [], op: { op: 'createRole', name: 'r', path: '/', trust: {}, tags: [] } } as unknown as Step);
    expect(pauses).toEqual([250, 400]);
    expect(outcome.notes).toEqual(['waited 0.7 s for IAM to show the principals its trust policy names']);
    // The SDK's own retries inside those calls count as retries, not as waiting for consistency.
    expect(outcome.retries).toBe(4 + 4 + 2 + 2);
    expect(calls).toBe(3);
  });
});

// --- Hints name only flags their command has --------------------------------------------------------------------

/** Each command's long flags, from the same commander program the CLI builds. */
function commandFlags(): Map<string, Set<string>> {
  const program = new Command('iam-gitops').option('--debug').option('--no-color');
  const ctx = createContext({ stdout: () => undefined, stderr: () => undefined, stdoutIsTty: false, env: {} }, program, () => undefined);
  for (const register of [registerValidate, registerPlan, registerDrift, registerApply, registerImport, registerSnapshot, registerSimulate, registerAudit, registerAccounts, registerSchema]) register(program, ctx);
  const global = ['--debug', '--no-color', '--help', '--version'];
  return new Map(program.commands.map((c) => [c.name(), new Set([...global, ...c.options.map((o) => o.long!).filter(Boolean)])]));
}

/**
 * The flags a text names, each with the command it belongs to: the one named just before it (`iam-gitops plan
 * --aws`, "re-run plan --aws"), or the command that printed it. Flags of the AWS CLI (`aws iam ... --output`) are
 * not ours.
 */
function namedFlags(text: string, printedBy: string, commands: ReadonlySet<string>): { flag: string; command: string; line: string }[] {
  const out: { flag: string; command: string; line: string }[] = [];
  for (const line of text.split('\n')) {
    for (const match of line.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)) {
      const before = line.slice(0, match.index);
      if (/\baws (iam|sts|sso|configure)\b[^.;]*$/.test(before)) continue;
      const named = [...`${before}--`.matchAll(/\b([a-z]+) (?=--|[A-Z]+ --)/g)].map((m) => m[1]!).filter((w) => commands.has(w)).pop();
      const sameClause = named !== undefined && !/[.;:]\s/.test(before.slice(before.lastIndexOf(named)));
      out.push({ flag: match[0], command: sameClause ? named : printedBy, line });
    }
  }
  return out;
}

interface Silent {
  readonly url: string;
  close(): Promise<void>;
}

async function silentServer(): Promise<Silent> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('hints name only flags that exist', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'iam-gitops-hints-'));
  let throttling: TestEmulator;
  let throttlingWrites: TestEmulator;
  let failing: TestEmulator;
  let silent: Silent;
  beforeAll(async () => {
    throttling = await startTestEmulator(exampleSnapshotJson(), { throttleRate: 1 });
    throttlingWrites = await startTestEmulator(exampleSnapshotJson(), { throttleRate: 1, throttleWritesOnly: true });
    failing = await startTestEmulator(exampleSnapshotJson(), { errorRate: 1 });
    silent = await silentServer();
  });
  afterAll(async () => {
    await Promise.all([throttling.close(), throttlingWrites.close(), failing.close(), silent.close()]);
  });

  // Each command that reads AWS, with what it needs besides.
  const COMMANDS: Record<string, string[]> = {
    plan: ['--manifests', 'manifests'],
    drift: ['--manifests', 'manifests'],
    apply: ['--manifests', 'manifests', '--auto-approve'],
    import: ['--out', join(tmpdir(), 'iam-gitops-hints-never-written')],
    snapshot: ['--out', join(tmpdir(), 'iam-gitops-hints-never-written.json')],
    audit: [],
    simulate: ['--principal', 'arn:aws:iam::123456789012:user/people/alice', '--action', 's3:GetObject', '--resource', '*'],
  };

  it('for every AWS command and every way AWS can fail', async () => {
    const flags = commandFlags();
    const names = new Set(flags.keys());
    const quick = { ...CREDENTIALS_ENV, IAM_GITOPS_MAX_ATTEMPTS: '2', IAM_GITOPS_RETRY_BASE_DELAY_MS: '1' };
    const scenarios: { name: string; args: string[]; env: Record<string, string> }[] = [
      { name: 'throttled', args: throttling.awsArgs, env: quick },
      { name: 'throttled writes', args: throttlingWrites.awsArgs, env: quick },
      { name: 'failing', args: failing.awsArgs, env: quick },
      // Only here a short request timeout: against the emulator on a busy machine it would turn throttling into timeouts.
      { name: 'silent', args: ['--aws', '--endpoint', silent.url], env: { ...quick, IAM_GITOPS_REQUEST_TIMEOUT_MS: '150' } },
      { name: 'unreachable', args: ['--aws', '--endpoint', 'http://127.0.0.1:9'], env: quick },
      { name: 'no credentials', args: ['--aws', '--endpoint', 'http://127.0.0.1:9'], env: { IAM_GITOPS_MAX_ATTEMPTS: '1' } },
    ];
    const checked: string[] = [];
    for (const [command, extra] of Object.entries(COMMANDS)) {
      for (const scenario of scenarios) {
        // Only apply writes.
        if (scenario.name === 'throttled writes' && command !== 'apply') continue;
        // On virtual time: after a throttle the SDK would pace new requests in real time.
        const run = await runCli([command, ...extra, ...scenario.args], scenario.env, { clock: virtualClock() });
        expect(run.code, `${command} / ${scenario.name}: ${run.stderr}`).toBe(1);
        for (const { flag, command: owner, line } of namedFlags(`${run.stdout}\n${run.stderr}`, command, names)) {
          expect(flags.get(owner)?.has(flag), `${command} / ${scenario.name} printed "${line.trim()}": ${owner} has no ${flag}`).toBe(true);
          checked.push(`${owner} ${flag}`);
        }
        if (scenario.name === 'throttled writes') expect(run.stdout + run.stderr).toMatch(/IAM kept throttling requests while .*\n\s+IAM allows each account a limited rate of requests, shared with any other automation in it: try again later, or lower --concurrency \(this run: 8\)\./);
        if (scenario.name === "throttled") expect(run.stderr, `${command} said nothing while throttled: ${run.stderr}`).toMatch(/throttled by IAM \(Throttling\), retrying in \d/);
      }
    }
    // The check saw flags (--endpoint in "check --endpoint URL", --profile...), so it checked something.
    expect(new Set(checked).size).toBeGreaterThan(3);
  }, 60_000);

  it('the parser of hints reads commands named before their flags', () => {
    const names = new Set(['plan', 'apply']);
    expect(namedFlags('Save a plan with: iam-gitops plan --aws --format json --out FILE.', 'apply', names).map((f) => `${f.command} ${f.flag}`)).toEqual(['plan --aws', 'plan --format', 'plan --out']);
    expect(namedFlags('Try again later, or lower --concurrency.', 'plan', names).map((f) => `${f.command} ${f.flag}`)).toEqual(['plan --concurrency']);
    expect(namedFlags('Export: aws iam get-account-authorization-details --output json > snapshot.json', 'plan', names)).toEqual([]);
    expect(commandFlags().get('plan')?.has('--concurrency')).toBe(false);
    expect(commandFlags().get('apply')?.has('--concurrency')).toBe(true);
    void tmpdir;
  });
});
