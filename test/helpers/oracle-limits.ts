/**
 * Where the iam-simulate oracle reads policies differently from AWS, so that differential tests and benchmarks do
 * not judge such cases by it (the engine's own tests cover them).
 *
 * iam-simulate splits a resource ARN at every colon before substituting variables, so a variable whose name has a
 * colon standing first in the resource part (a queue `arn:aws:sqs:r:a:${aws:PrincipalTag/team}`) never matches; AWS
 * substitutes first (and so does our engine, tested in evaluate-edge-cases).
 */
export function oracleMisreadsVariables(documents: unknown): boolean {
  return /"arn:[^":]*:[^":]*:[^":]*:[^":]*:[^"/:]*\$\{/.test(JSON.stringify(documents));
}
