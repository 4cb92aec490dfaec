/**
 * IAM's service last-accessed reports, at ACTION_LEVEL (service entries, and for the services IAM tracks actions of,
 * each action's last use) (GenerateServiceLastAccessedDetails, then GetServiceLastAccessedDetails until
 * the job completes, following `Marker`): one job per principal, run a few at a time, polled with backoff on the
 * run's clock. Calls: 1 + (polls) + (pages) per principal.
 */
import { GenerateServiceLastAccessedDetailsCommand, GetServiceLastAccessedDetailsCommand, type ServiceLastAccessed } from '@aws-sdk/client-iam';
import pLimit from 'p-limit';
import type { Clock } from '../../core/clock.js';
import { error, InputError } from '../../core/diagnostics.js';
import { pollWithBackoff } from '../../core/poll.js';
import type { ServiceLastAccess } from '../../core/usage.js';
import type { AwsClients } from './connection.js';
import { describeAwsError } from './errors.js';

/** How long one job may stay IN_PROGRESS before the read gives up (IAM's usually complete in seconds). */
export const LAST_ACCESSED_TIMEOUT_MS = 300_000;
const CONCURRENT_JOBS = 8;

export async function readServiceLastAccessed(clients: AwsClients, arns: readonly string[], clock: Clock): Promise<Map<string, ServiceLastAccess[]>> {
  const limit = pLimit(CONCURRENT_JOBS);
  const out = new Map<string, ServiceLastAccess[]>();
  await Promise.all(arns.map((arn) => limit(async () => out.set(arn, await oneReport(clients, arn, clock)))));
  return out;
}

async function oneReport(clients: AwsClients, arn: string, clock: Clock): Promise<ServiceLastAccess[]> {
  let jobId: string | undefined;
  try {
    jobId = (await clients.iam.send(new GenerateServiceLastAccessedDetailsCommand({ Arn: arn, Granularity: 'ACTION_LEVEL' }))).JobId;
  } catch (e) {
    throw new InputError([describeAwsError(e, `starting the last-accessed report of ${arn}`, clients.target)]);
  }
  if (!jobId) throw new InputError([error(`IAM gave no job id for the last-accessed report of ${arn}`, 'Run again; report this if it persists.')]);
  const services: ServiceLastAccessed[] = [];
  let marker: string | undefined;
  const outcome = await pollWithBackoff(clock, { timeoutMs: LAST_ACCESSED_TIMEOUT_MS, firstPauseMs: 1_000, growth: 1.5, maxPauseMs: 15_000 }, async () => {
    const page = await clients.iam.send(new GetServiceLastAccessedDetailsCommand({ JobId: jobId, MaxItems: 1000 }));
    if (page.JobStatus === 'IN_PROGRESS') return { done: false as const, pending: 'IN_PROGRESS' };
    if (page.JobStatus === 'FAILED') throw new InputError([error(`IAM's last-accessed report of ${arn} failed: ${page.Error?.Message ?? 'no reason given'}`, 'Run again later; unused-service findings need it.')]);
    services.push(...(page.ServicesLastAccessed ?? []));
    marker = page.IsTruncated ? page.Marker : undefined;
    return { done: true as const, value: undefined };
  }).catch((e: unknown) => {
    throw e instanceof InputError ? e : new InputError([describeAwsError(e, `reading the last-accessed report of ${arn}`, clients.target)]);
  });
  if (!outcome.done) throw new InputError([error(`IAM's last-accessed report of ${arn} was still in progress after ${Math.round(outcome.waitedMs / 1000)} s`, 'Run again later; IAM usually completes these jobs within seconds.')]);
  try {
    while (marker) {
      const page = await clients.iam.send(new GetServiceLastAccessedDetailsCommand({ JobId: jobId, MaxItems: 1000, Marker: marker }));
      services.push(...(page.ServicesLastAccessed ?? []));
      marker = page.IsTruncated ? page.Marker : undefined;
    }
  } catch (e) {
    throw new InputError([describeAwsError(e, `reading the last-accessed report of ${arn}`, clients.target)]);
  }
  return services.map((s) => ({
    namespace: s.ServiceNamespace ?? '',
    name: s.ServiceName ?? s.ServiceNamespace ?? '',
    ...(s.LastAuthenticated ? { lastUsedAt: s.LastAuthenticated } : {}),
    ...(s.TrackedActionsLastAccessed ? { actions: s.TrackedActionsLastAccessed.map((a) => ({ name: a.ActionName ?? '', ...(a.LastAccessedTime ? { lastUsedAt: a.LastAccessedTime } : {}) })) } : {}),
  }));
}
