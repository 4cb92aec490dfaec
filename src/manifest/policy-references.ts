/**
 * References from principals to managed policies: a Policy or Boundary manifest's name, or an ARN (AWS managed, or
 * this account's own), resolved to an ARN; unknown, deleted, misspelt and foreign ones reported where they are.
 */
import { accountOfArn, entityArn, isArn, isAwsManagedPolicyArn, nameKey } from '../core/arn.js';
import { error, warning, type Diagnostic } from '../core/diagnostics.js';
import { sortedUnique, type ManagedPolicyState } from '../core/state.js';
import { closestMatches, didYouMean } from '../core/suggest.js';
import type { AcceptUnknown } from './accept-unknown.js';
import type { AccountConfig } from './desired-state.js';
import type { EntityIndex } from './entity-index.js';
import * as limits from './limits.js';
import type { ManifestOptions } from './load-manifests.js';
import type { SourceDocument, ValuePath } from './source-document.js';

export class PolicyReferences {
  constructor(
    private readonly account: AccountConfig | undefined,
    private readonly index: EntityIndex,
    /** The managed policies built so far (policies are built before the principals that refer to them). */
    private readonly policies: ReadonlyMap<string, ManagedPolicyState>,
    private readonly accepted: AcceptUnknown,
    private readonly diagnostics: Diagnostic[],
    private readonly options: ManifestOptions,
  ) {}

  /** Resolves a Policy/Boundary manifest name or an ARN to an ARN; reports and returns undefined otherwise. */
  resolvePolicy(ref: string, doc: SourceDocument, at: ValuePath, role: 'managed policy' | 'permissions boundary'): string | undefined {
    if (isArn(ref)) {
      if (!/^arn:aws[\w-]*:iam::(\d{12}|aws):policy\/(.+\/)?[\w+=,.@-]+$/.test(ref)) {
        this.diagnostics.push(error(`invalid policy ARN "${ref}"`, 'A managed policy ARN looks like arn:aws:iam::aws:policy/ReadOnlyAccess or arn:aws:iam::123456789012:policy/path/name.', doc.locate(at)));
        return undefined;
      }
      const owner = accountOfArn(ref);
      if (owner !== 'aws' && this.account && owner !== this.account.id) {
        this.diagnostics.push(error(`policy ${ref} belongs to account ${owner}`, `IAM attaches only AWS managed policies and this account's (${this.account.id}) own. Declare the policy here with kind: Policy, or fix the account id in the ARN.`, doc.locate(at)));
        return undefined;
      }
      const known = this.options.awsManagedPolicies?.byArn;
      if (known && isAwsManagedPolicyArn(ref) && !known.has(ref)) {
        if (this.accepted.acceptsUnknownPolicy(ref)) return ref;
        // An error, as in the plan: a misspelt ARN would fail to attach. A deprecated policy that stays attached
        // where it was is listed, knowingly, under acceptUnknown (import writes those).
        const arnByName = new Map([...known.entries()].map(([arn, p]) => [p.name, arn]));
        const suggestions = closestMatches(ref.split('/').pop()!, arnByName.keys()).map((name) => `"${arnByName.get(name)}"`);
        this.diagnostics.push(error(`"${ref}" is not a current AWS managed policy`, `It is misspelt${suggestions.length ? ` (did you mean ${suggestions.join(' or ')}?)` : ''}, or deprecated: AWS keeps deprecated policies only where they are already attached, and then the Account manifest lists them under acceptUnknown.awsManagedPolicies.`, doc.locate(at)));
        return undefined;
      }
      return ref;
    }
    const declared = this.index.policies.get(nameKey(ref));
    if (!declared) {
      const names = [...this.index.policies.values()].map((p) => p.manifest.name);
      this.diagnostics.push(error(`unknown ${role} "${ref}"`, `No Policy or Boundary manifest is named "${ref}".${didYouMean(ref, names)} Declare it, or write the policy's ARN (AWS managed: arn:aws:iam::aws:policy/NAME).`, doc.locate(at)));
      return undefined;
    }
    if (declared.manifest.deleted) {
      this.diagnostics.push(error(`${role} "${ref}" is marked deleted`, 'A deleted policy cannot stay attached; remove this reference.', doc.locate(at)));
      return undefined;
    }
    if (role === 'managed policy' && declared.manifest.kind === 'Boundary') {
      this.diagnostics.push(warning(`"${ref}" is a Boundary attached as a permissions policy`, 'Boundaries limit what a principal may do; attached as a policy it grants what it allows. Declare it as kind: Policy if that is intended.', doc.locate(at)));
    }
    return this.policies.get(nameKey(ref))?.arn ?? entityArn(this.account!.id, 'policy', declared.manifest.path ?? '/', declared.manifest.name);
  }

  /** A principal's managedPolicies as ARNs (sorted, each once), the unresolved ones reported. */
  policyRefs(refs: readonly string[] | undefined, doc: SourceDocument, owner: string): string[] {
    const arns: string[] = [];
    (refs ?? []).forEach((ref, i) => {
      const arn = this.resolvePolicy(ref, doc, ['managedPolicies', i], 'managed policy');
      if (!arn) return;
      if (arns.includes(arn)) this.diagnostics.push(warning(`managed policy "${ref}" is listed twice`, 'Remove the repeated entry.', doc.locate(['managedPolicies', i])));
      arns.push(arn);
    });
    const unique = sortedUnique(arns);
    if (unique.length > limits.MAX_MANAGED_POLICIES_PER_PRINCIPAL) {
      this.diagnostics.push(error(`"${owner}" has ${unique.length} managed policies, over IAM's default quota of ${limits.MAX_MANAGED_POLICIES_PER_PRINCIPAL}`, 'Combine policies; the quota can be raised to 20 through Service Quotas.', doc.locate(['managedPolicies'])));
    }
    return unique;
  }

  /** A principal's permissionsBoundary as an ARN, when it resolves. */
  boundary(ref: string | undefined, doc: SourceDocument): { permissionsBoundary?: string } {
    if (ref === undefined) return {};
    const arn = this.resolvePolicy(ref, doc, ['permissionsBoundary'], 'permissions boundary');
    return arn ? { permissionsBoundary: arn } : {};
  }
}
