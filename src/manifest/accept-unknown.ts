/**
 * The Account's acceptUnknown: actions missing from the catalog and deprecated AWS managed policies that the
 * manifests use knowingly. Records which entries something used, so that the stale ones can be pointed out.
 */
import type { ActionCatalog } from '../catalog/action-catalog.js';
import { warning, type Diagnostic, type SourceLocation } from '../core/diagnostics.js';
import { compileWildcard } from '../core/wildcard.js';
import type { AccountConfig } from './desired-state.js';
import type { ManifestOptions } from './load-manifests.js';
import { unknownAction } from './policy-grammar.js';

/** One load's use of the Account's acceptUnknown lists. */
export class AcceptUnknown {
  /** acceptUnknown entries that something used, to point out the stale ones. */
  private readonly acceptedUsed = new Set<string>();
  private acceptedActionMatchers?: { entry: string; matches: (action: string) => boolean }[];

  constructor(
    private readonly account: AccountConfig | undefined,
    private readonly catalog: ActionCatalog,
    private readonly diagnostics: Diagnostic[],
    private readonly options: ManifestOptions,
  ) {}

  /** Whether an unknown action is listed (exactly, or by a pattern) in the Account's acceptUnknown.actions. */
  readonly acceptsUnknownAction = (action: string): boolean => {
    this.acceptedActionMatchers ??= (this.account?.acceptUnknown.actions ?? []).map((entry) => ({ entry, matches: compileWildcard(entry, true) }));
    const found = this.acceptedActionMatchers.find((m) => m.entry.toLowerCase() === action.toLowerCase() || m.matches(action));
    if (found) this.acceptedUsed.add(`action:${found.entry}`);
    return found !== undefined;
  };

  /** Whether an AWS managed policy ARN the catalog does not know is listed in acceptUnknown.awsManagedPolicies. */
  acceptsUnknownPolicy(arn: string): boolean {
    if (!this.account?.acceptUnknown.awsManagedPolicies.includes(arn)) return false;
    this.acceptedUsed.add(`policy:${arn}`);
    return true;
  }

  /** Entries of acceptUnknown that nothing uses, or that the catalog now knows, are worth removing. */
  checkUnused(account: AccountConfig): void {
    const at = (list: string, i: number): SourceLocation => account.locate(['acceptUnknown', list, i]);
    account.acceptUnknown.actions.forEach((entry, i) => {
      if (this.catalog.expand(entry).length > 0 && !unknownAction(entry, this.catalog)) {
        this.diagnostics.push(warning(`acceptUnknown lists "${entry}", which the AWS catalog knows`, `Remove it: ${this.catalog.version} lists it, so it needs no exception.`, at('actions', i)));
      } else if (!this.acceptedUsed.has(`action:${entry}`)) {
        this.diagnostics.push(warning(`acceptUnknown lists "${entry}", which no policy uses`, 'Remove it, so that a future typo of this name is caught.', at('actions', i)));
      }
    });
    const offered = this.options.awsManagedPolicies?.byArn;
    account.acceptUnknown.awsManagedPolicies.forEach((arn, i) => {
      if (offered?.has(arn)) {
        this.diagnostics.push(warning(`acceptUnknown lists ${arn}, which AWS offers`, 'Remove it: it is a current AWS managed policy and needs no exception.', at('awsManagedPolicies', i)));
      } else if (!this.acceptedUsed.has(`policy:${arn}`)) {
        this.diagnostics.push(warning(`acceptUnknown lists ${arn}, which no manifest attaches`, 'Remove it, so that a future typo of this ARN is caught.', at('awsManagedPolicies', i)));
      }
    });
  }
}
