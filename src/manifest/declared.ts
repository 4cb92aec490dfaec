/**
 * A manifest that passed its schema, with the document it came from (to locate its fields in messages), and the
 * checks every declaration shares.
 */
import { error, type Diagnostic, type SourceLocation } from '../core/diagnostics.js';
import * as limits from './limits.js';
import type { BoundaryManifest, GroupManifest, PolicyManifest, RoleManifest, UserManifest } from './schema.js';
import type { SourceDocument, ValuePath } from './source-document.js';

/** The manifests of IAM entities (every kind but Account). */
export type EntityManifest = UserManifest | GroupManifest | RoleManifest | PolicyManifest | BoundaryManifest;

/** A document that passed its schema, with the place it came from. */
export interface Declared<M> {
  readonly manifest: M;
  readonly doc: SourceDocument;
}

/** `file:line:col`, for messages that point at another place. */
export function formatAt(at: SourceLocation): string {
  return `${at.file}:${at.line}:${at.col}`;
}

/** Reports an invalid IAM path; returns whether it is valid. */
export function checkPath(path: string, doc: SourceDocument, at: ValuePath, diagnostics: Diagnostic[]): boolean {
  if (path.length > limits.MAX_PATH_LENGTH || !limits.PATH_PATTERN.test(path)) {
    diagnostics.push(error(`invalid IAM path "${path}"`, 'A path starts and ends with "/", e.g. "/" or "/engineering/platform/", and has at most 512 printable ASCII characters.', doc.locate(at)));
    return false;
  }
  return true;
}
