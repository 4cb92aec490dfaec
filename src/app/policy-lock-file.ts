/**
 * Adapter: the lock file of AWS managed policy versions (src/analyze/policy-lock.ts), beside the manifests. Read by
 * drift (CLI and Action); written by apply (the versions it applied with) and by `drift --update-lock` (the versions
 * live IAM has now, accepted). Written whole through a temporary file, so a failed write leaves the old one.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatPolicyLock, parsePolicyLock, POLICY_LOCK_FILE, type LockedVersions, type PolicyLock } from '../analyze/policy-lock.js';
import { hasErrors, type Diagnostic } from '../core/diagnostics.js';

export interface PolicyLockRead {
  readonly path: string;
  /** Absent when there is no file, or it cannot be read (then `diagnostics` says why). */
  readonly lock?: PolicyLock;
  readonly diagnostics: readonly Diagnostic[];
}

export function readPolicyLockFile(manifestsDir: string): PolicyLockRead {
  const path = join(manifestsDir, POLICY_LOCK_FILE);
  if (!existsSync(path)) return { path, diagnostics: [] };
  const parsed = parsePolicyLock(path, readFileSync(path, 'utf8'));
  return { path, ...(parsed.lock ? { lock: parsed.lock } : {}), diagnostics: parsed.diagnostics };
}

/** Writes the lock; false when the file already says exactly this (nothing to commit). */
export function writePolicyLockFile(path: string, lock: PolicyLock): boolean {
  const text = formatPolicyLock(lock);
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return false;
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
  return true;
}

export interface RecordedVersions {
  readonly path: string;
  /** True when the file now says something new (to commit); false when it already said exactly this. */
  readonly written: boolean;
  /** Why the file was left as it is: it cannot be read (a hand edit gone wrong, say). */
  readonly unreadable?: Diagnostic;
}

/**
 * Apply's record of the AWS managed policy versions live IAM shows after it (CLI and Action alike): merged into the
 * lock beside the manifests, where a policy live IAM did not show keeps its entry.
 */
export function recordAppliedPolicyVersions(manifestsDir: string, versions: LockedVersions): RecordedVersions {
  const previous = readPolicyLockFile(manifestsDir);
  if (hasErrors(previous.diagnostics)) return { path: previous.path, written: false, unreadable: previous.diagnostics[0]! };
  const kept = Object.fromEntries(Object.entries(previous.lock?.policies ?? {}).filter(([arn]) => versions.unknown.includes(arn)));
  const lock = { formatVersion: 1 as const, policies: { ...kept, ...versions.lock.policies } };
  if (Object.keys(lock.policies).length === 0 && !previous.lock) return { path: previous.path, written: false };
  return { path: previous.path, written: writePolicyLockFile(previous.path, lock) };
}
