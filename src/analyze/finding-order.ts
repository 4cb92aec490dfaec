/**
 * The one order findings are listed in, everywhere (plan and drift JSON, the comment, the text plan, audit): what a
 * change introduces (or raises) before what it removes (or lowers), and within each, the most severe first; then by
 * principal and code, so that equal inputs list equally. A reviewer reads the risks a change brings first; a removed
 * critical finding is good news, and never sits above a new high one. Pure.
 */
import { SEVERITY_ORDER, type Finding } from './findings.js';

/** A finding as plans and audits carry it: `change` only in plans and drift reports. */
type Ordered = Finding & { readonly change?: 'introduced' | 'removed' };

export function compareFindings(a: Ordered, b: Ordered): number {
  return (
    Number(a.change === 'removed') - Number(b.change === 'removed') ||
    SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) ||
    a.principal.localeCompare(b.principal) ||
    a.code.localeCompare(b.code) ||
    (a.targets ?? []).join(',').localeCompare((b.targets ?? []).join(','))
  );
}

/** A sorted copy (stable: findings equal in every key keep their order). */
export function orderFindings<F extends Ordered>(findings: readonly F[]): F[] {
  return [...findings].sort(compareFindings);
}
