/**
 * The port between the Action's logic and the runner: the few calls of `@actions/core` the Action makes. The real
 * adapter (core-port.ts) passes them to `@actions/core`; tests pass a fake that records outputs, annotations, the
 * job summary and the failure, so the Action's logic runs in the test's process.
 */

/** Where an annotation points: a file and line of the repository, and its title. */
export interface AnnotationPlace {
  readonly title?: string;
  readonly file?: string;
  readonly startLine?: number;
  readonly startColumn?: number;
}

export interface ActionsPort {
  /** An input (`with:`), as the runner passes it (`INPUT_NAME`); '' when not given. */
  getInput(name: string): string;
  setOutput(name: string, value: string): void;
  info(message: string): void;
  /** A warning annotation (at a place, when given). */
  warning(message: string, place?: AnnotationPlace): void;
  /** An error annotation (at a place, when given). */
  error(message: string, place?: AnnotationPlace): void;
  /** Fails the step with this message (an error annotation; exit code 1). */
  setFailed(message: string): void;
  /** Runs `run` inside a folded group of the log. */
  group<T>(name: string, run: () => Promise<T>): Promise<T>;
  /** Appends Markdown to the job summary (`GITHUB_STEP_SUMMARY`); rejects when it cannot be written. */
  appendSummary(markdown: string): Promise<void>;
  /** GitHub's OIDC token for an audience; rejects when the job may not have one. Has no timeout of its own. */
  getIDToken(audience: string): Promise<string>;
}
