/** Live IAM as the plan sees it, and the port through which it is read (a snapshot file, or AWS itself). */
import type { Diagnostic } from '../core/diagnostics.js';
import type { IamState } from '../core/state.js';

export interface LiveState {
  /** The account's entities. `state.account` is empty where the source names no account (an empty snapshot). */
  readonly state: IamState;
  /** Where it was read from, for messages and the plan: a file path, or `aws:ACCOUNT`. */
  readonly source: string;
  /** `fingerprintState(state)`; a saved plan records it. */
  readonly fingerprint: string;
  /** Things the reader noticed that the user should know (warnings only; errors are thrown as InputError). */
  readonly notes: readonly Diagnostic[];
}

/** Reads live IAM. Implementations: `SnapshotFileReader` (an exported JSON file) and, later, the AWS API. */
export interface LiveReader {
  read(): Promise<LiveState>;
}
