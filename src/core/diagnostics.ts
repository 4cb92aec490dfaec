/**
 * Diagnostics: user mistakes are values, not exceptions. Every stage that reads user input returns a list of
 * these; the CLI prints them as `FILE:LINE:COL: error: summary` with the detail on the next line.
 */
import { inert } from './terminal-safe.js';

export type Severity = 'error' | 'warning';

/** A place in a user's file. Line and column are 1-based, as editors show them. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** One finding about user input. `detail` says how to fix it. `at` is omitted only when no file is involved. */
export interface Diagnostic {
  readonly severity: Severity;
  readonly summary: string;
  readonly detail?: string;
  readonly at?: SourceLocation;
}

export function error(summary: string, detail?: string, at?: SourceLocation): Diagnostic {
  return withOptional({ severity: 'error', summary }, detail, at);
}

export function warning(summary: string, detail?: string, at?: SourceLocation): Diagnostic {
  return withOptional({ severity: 'warning', summary }, detail, at);
}

function withOptional(base: { severity: Severity; summary: string }, detail?: string, at?: SourceLocation): Diagnostic {
  return { ...base, ...(detail === undefined ? {} : { detail }), ...(at === undefined ? {} : { at }) };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Stable order for output and golden files: by file, line, column, then severity and text. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      (a.at?.file ?? '').localeCompare(b.at?.file ?? '') ||
      (a.at?.line ?? 0) - (b.at?.line ?? 0) ||
      (a.at?.col ?? 0) - (b.at?.col ?? 0) ||
      a.severity.localeCompare(b.severity) ||
      a.summary.localeCompare(b.summary),
  );
}

export function formatLocation(at: SourceLocation | undefined): string {
  return at ? `${inert(at.file)}:${at.line}:${at.col}: ` : '';
}

/**
 * `FILE:LINE:COL: error: summary` and, indented below, the detail. Summaries and details quote file names, YAML
 * keys, ARNs and values as written: they are made inert here, the one place every diagnostic becomes text (a detail
 * keeps its own line breaks; each of its lines is inert).
 */
export function formatDiagnostic(d: Diagnostic): string {
  const head = `${formatLocation(d.at)}${d.severity}: ${inert(d.summary)}`;
  return d.detail ? `${head}\n    ${d.detail.split('\n').map(inert).join('\n    ')}` : head;
}

/**
 * Thrown where a stage cannot produce a value from user input at all (an unreadable snapshot, say). The CLI
 * prints the diagnostics and exits 1; anything else that is thrown is a bug and gets a stack trace with --debug.
 */
export class InputError extends Error {
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
    this.name = 'InputError';
    this.diagnostics = diagnostics;
  }
}

export function assertNever(value: never, what = 'value'): never {
  throw new Error(`Unexpected ${what}: ${JSON.stringify(value)}`);
}
