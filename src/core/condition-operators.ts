/** Families of condition operators, by how they read their values. */

/** StringEquals and its family (IgnoreCase, Not, IfExists, set forms): they compare text exactly, no wildcards. */
export function isLiteralStringOperator(operator: string): boolean {
  return /^(For(Any|All)Value:)?String(Not)?Equals(IgnoreCase)?(IfExists)?$/.test(operator);
}

/** StringLike and StringNotLike (with IfExists and set forms): * and ? are wildcards. */
export function isPatternStringOperator(operator: string): boolean {
  return /^(For(Any|All)Value:)?String(Not)?Like(IfExists)?$/.test(operator);
}
