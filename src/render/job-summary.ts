/**
 * Markdown of the Action's reports beside the plan comment: a failed run's report (its errors, located), warnings
 * appended to a report, and rendering within GitHub's byte limits.
 */
import type { Diagnostic } from '../core/diagnostics.js';
import { SUMMARY_LIMIT } from './comment.js';
import { code, text } from './markdown-safe.js';

/** GitHub's job summary limit is in bytes (1 MiB per step); a few kilobytes stay free for warnings after the report. */
export const SUMMARY_BUDGET = SUMMARY_LIMIT - 8192;

/** A run that failed on its inputs: each error (the first 100), where it is, and what to do next. */
export function renderFailureReport(marker: string, folder: string, diagnostics: readonly Diagnostic[], what = 'the plan failed', next = 'Fix the manifests and push: this comment is updated on every push.'): string {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const lines = [marker, `### ⛔ iam-gitops: ${what} · ${text(folder)}`, '', `**${errors.length === 1 ? '1 error' : `${errors.length} errors`}** (annotated on the files in this run):`, ''];
  for (const d of errors.slice(0, 100)) lines.push(`- ${d.at ? `${code(`${d.at.file}:${d.at.line}:${d.at.col}`)} ` : ''}${text(d.summary)}${d.detail ? `<br><sub>${text(d.detail)}</sub>` : ''}`);
  if (errors.length > 100) lines.push(`- …and ${errors.length - 100} more`);
  lines.push('', '---', `<sub>${next}</sub>`);
  return `${lines.filter((l, i) => i > 0 || l !== '').join('\n')}\n`;
}

/** Warnings appended to a report (a GitHub alert block), or nothing. */
export function renderNotes(notes: readonly string[]): string {
  return notes.length ? `\n> [!WARNING]\n${notes.map((n) => `> ${text(n)}`).join('\n>\n')}\n` : '';
}

/** Renders within `bytes` UTF-8 bytes: renderers count characters, and names may be multi-byte. */
export function renderWithinBytes(render: (limit: number) => string, bytes: number): string {
  let limit = bytes;
  let out = render(limit);
  for (let i = 0; i < 5 && Buffer.byteLength(out) > bytes; i++) {
    limit = Math.floor((limit * bytes) / Buffer.byteLength(out) * 0.95);
    out = render(limit);
  }
  return out;
}
