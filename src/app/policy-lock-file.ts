/**
 * Adapter: the lock file of AWS managed policy versions (src/analyze/policy-lock.ts), beside the manifests. Read by
 * drift (CLI and Action); written by apply (the versions it applied with) and by `drift --update-lock` (the versions
 * live IAM has now, accepted). Written whole through a temporary file, so a failed write leaves the old one.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatPolicyLock, parsePolicyLock, POLICY_LOCK_FILE, type PolicyLock } from '../analyze/policy-lock.js';
import type { Diagnostic } from '../core/diagnostics.js';

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
