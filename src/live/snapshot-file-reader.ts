/** Adapter: live IAM from a snapshot file on disk. */
import { existsSync, readFileSync } from 'node:fs';
import { error, InputError } from '../core/diagnostics.js';
import { displayPath } from '../manifest/read-manifest-folder.js';
import type { LiveReader, LiveState } from './live-state.js';
import { parseSnapshot } from './parse-snapshot.js';

export class SnapshotFileReader implements LiveReader {
  constructor(private readonly path: string) {}

  async read(): Promise<LiveState> {
    if (!existsSync(this.path)) {
      throw new InputError([error(`snapshot "${this.path}" does not exist`, 'Pass --state FILE with the JSON printed by: aws iam get-account-authorization-details --output json')]);
    }
    return parseSnapshot(displayPath(this.path), readFileSync(this.path, 'utf8'));
  }
}
