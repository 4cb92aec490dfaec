/** Adapter: live IAM from a snapshot file on disk. */
import { displayPath, readInputFile } from '../io/files.js';
import type { LiveReader, LiveState } from './live-state.js';
import { parseSnapshot } from './parse-snapshot.js';

export class SnapshotFileReader implements LiveReader {
  constructor(private readonly path: string) {}

  async read(): Promise<LiveState> {
    const text = readInputFile(this.path, { what: 'snapshot', flag: '--state', hint: 'Pass --state FILE with the JSON printed by: aws iam get-account-authorization-details --output json' });
    return parseSnapshot(displayPath(this.path), text);
  }
}
