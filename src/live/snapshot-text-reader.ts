/**
 * Adapter: live IAM from a snapshot's text read elsewhere, such as a pull request's base commit (a pull request
 * cannot say what live IAM is, so its plan reads the base branch's copy of the snapshot, never the working tree's).
 */
import type { LiveReader, LiveState } from './live-state.js';
import { parseSnapshot } from './parse-snapshot.js';

export class SnapshotTextReader implements LiveReader {
  /** `source` names it in messages and the plan, e.g. `abc1234:snapshots/live.json`. */
  constructor(
    private readonly source: string,
    private readonly text: string,
  ) {}

  async read(): Promise<LiveState> {
    return parseSnapshot(this.source, this.text);
  }
}
