/**
 * Simulation results as JSON lines (one per request, in order) or as text. Pure. Requests and policies come from
 * files: the text is made inert and the JSON written with `inertJson` (terminal-safe).
 */
import { inert, inertDeep, inertJson } from '../core/terminal-safe.js';
import type { SimulatedRequest } from '../evaluate/request-lines.js';
import { NO_COLOR, type Palette } from './palette.js';

export function renderSimulationJsonLines(results: readonly SimulatedRequest[]): string {
  return results
    .map((r) => {
      const { decision, matched, reason } = r.result;
      const derived = Object.keys(r.derived).length ? { derived: r.derived } : {};
      return `${inertJson({ decision, matched, ...(reason ? { reason } : {}), ...derived, ...(r.onSomeResource ? { onSomeResource: true } : {}) })}\n`;
    })
    .join('');
}

const IMPLICIT_REASONS = {
  'no-allow': 'no identity statement allows it',
  boundary: 'the permissions boundary does not allow it (the identity statements below would)',
  'service-rule': 'AWS refuses it whatever the policies say',
} as const;

export function renderSimulationText(untrusted: readonly SimulatedRequest[], against: string, colors: Palette = NO_COLOR): string {
  const results = inertDeep(untrusted);
  const out = [colors.dim(`Evaluated against the ${inert(against)}.`), ''];
  for (const { line, request, result, derived, onSomeResource } of results) {
    const paint = result.decision === 'Allowed' ? colors.create : result.decision === 'ExplicitlyDenied' ? colors.delete : colors.update;
    const word = { Allowed: 'ALLOWED', ExplicitlyDenied: 'DENIED (explicit)', ImplicitlyDenied: 'DENIED (implicit)' }[result.decision];
    const where = onSomeResource ? 'on some resource' : request.resource === '*' ? '(takes no resource)' : `on ${request.resource}`;
    out.push(`${paint(word)}  ${request.action} ${where}`);
    out.push(colors.dim(`    by ${request.principal}${results.length > 1 ? ` (request ${line})` : ''}`));
    for (const [key, value] of Object.entries(derived)) out.push(colors.dim(`    ${key} = ${value} (from the resource ARN; give --context ${key}=... to choose)`));
    if (result.reason) out.push(colors.dim(`    ${IMPLICIT_REASONS[result.reason]}`));
    for (const m of result.matched) {
      const verb = m.effect === 'Deny' ? 'denied' : result.decision === 'Allowed' ? 'allowed' : 'would allow';
      out.push(`    ${verb} by ${m.policy}, statement ${m.statement}${m.sid ? ` (${m.sid})` : ''}`);
    }
  }
  return `${out.join('\n')}\n`;
}
