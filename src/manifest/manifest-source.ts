/**
 * The manifest stage's input: the manifest files (path and text) and a way to read the `documentFile`s they name.
 * Adapters provide it: a folder on disk (read-manifest-folder.ts), files in memory or at a git commit
 * (files-source.ts); the stage itself reads no file system.
 */

export interface ManifestFile {
  /** The path shown in messages, e.g. `manifests/users/alice.yaml`. */
  readonly path: string;
  readonly text: string;
}

export interface ManifestSource {
  /** Where the manifests come from, for messages: a folder, or `REF:folder` in git. */
  readonly location: string;
  readonly files: readonly ManifestFile[];
  /** Reads a `documentFile` named in `fromFile`, relative to that file's folder. */
  readDocumentFile(fromFile: string, relativePath: string): DocumentFileResult;
  /**
   * The manifests of another folder, named relative to `fromFile`'s folder (an Account's shared baseline): a source
   * of its own, whose documentFiles stay inside it. Absent where the adapter cannot read other folders.
   */
  readFolder?(fromFile: string, relativePath: string): ManifestSource | { readonly refused: string };
}

/** A documentFile's text; or that there is no such file; or why it may not or cannot be read. */
export type DocumentFileResult = { readonly file: ManifestFile } | { readonly missing: true } | { readonly refused: string };
