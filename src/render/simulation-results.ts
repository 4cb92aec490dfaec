/** Simulation results as JSON lines (one per request, in order) or as text. Pure. */
import type { EvaluationRequest, EvaluationResult } from '../evaluate/types.js';
import { NO_COLOR, type Palette } from './palette.js';

export interface SimulatedRequest {
  readonly line: number;
  readonly request: EvaluationRequest;
  readonly result: EvaluationResult;
}

export function renderSimulationJsonLines(results: readonly SimulatedRequest[]): string {
  return results.map((r) => `${JSON.stringify({ decision: r.result.decision, matched: r.result.matched })}\n`).join('');
}

export function renderSimulationText(results: readonly SimulatedRequest[], against: string, colors: Palette = NO_COLOR): string {
  const out = [colors.dim(`Evaluated against the ${against}.`), ''];
  for (const { line, request, result } of results) {
    const paint = result.decision === 'Allowed' ? colors.create : result.decision === 'ExplicitlyDenied' ? colors.delete : colors.update;
    const word = { Allowed: 'ALLOWED', ExplicitlyDenied: 'DENIED (explicit)', ImplicitlyDenied: 'DENIED (implicit)' }[result.decision];
    out.push(`${paint(word)}  ${request.action} on ${request.resource}`);
    out.push(colors.dim(`    by ${request.principal}${results.length > 1 ? ` (request ${line})` : ''}`));
    if (result.decision === 'ImplicitlyDenied') out.push(colors.dim('    no statement allows it (or the permissions boundary does not)'));
    for (const m of result.matched) {
      out.push(`    ${m.effect === 'Allow' ? 'allowed' : 'denied'} by ${m.policy}, statement ${m.statement}${m.sid ? ` (${m.sid})` : ''}`);
    }
  }
  return `${out.join('\n')}\n`;
}
