/**
 * The plan (or drift report) as a file: the JSON contract other tools read, written the same way by `plan --format
 * json`, `drift --format json` and the Action's `plan-path`. Values are made inert (no terminal control sequences).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inertJson } from '../core/terminal-safe.js';
import type { Plan } from '../plan/plan.js';

export function planJson(plan: Plan): string {
  return `${inertJson(plan, 2)}\n`;
}

/** Writes `iam-gitops-plan-NAME.json` into `dir` (created if needed), NAME made a safe file name; returns its path. */
export function writePlanFile(plan: Plan, dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `iam-gitops-plan-${name.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
  writeFileSync(path, planJson(plan));
  return path;
}
