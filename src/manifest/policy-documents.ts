/**
 * Policy documents in manifests: written inline, or in a `documentFile` (JSON read strictly, or YAML) next to the
 * manifest, read through the source; each held to the policy grammar for its use (identity or trust), errors
 * reported where they are and lints (statements that grant or deny nothing as written) collected to report last.
 */
import type { ActionCatalog } from '../catalog/action-catalog.js';
import { error, warning, type Diagnostic, type SourceLocation } from '../core/diagnostics.js';
import { jsonSyntaxError } from '../core/json-location.js';
import { isPlainObject, makePolicy, type Policy, type PolicyJson } from '../core/policy.js';
import type { AcceptUnknown } from './accept-unknown.js';
import type { ManifestOptions } from './load-manifests.js';
import type { ManifestSource } from './manifest-source.js';
import { checkPolicyDocument, type PolicyType } from './policy-grammar.js';
import { parseSource, type SourceDocument, type ValuePath } from './source-document.js';

/** A policy document that passed the policy grammar. */
export interface CheckedDocument {
  readonly policy: Policy;
  /** The document as written, for size checks. */
  readonly document: PolicyJson;
  /** Where it is, found only when a problem needs reporting (locating means parsing the file again). */
  readonly locate: () => SourceLocation;
}

/** One load's policy documents, and the lints found in them. */
export class PolicyDocuments {
  constructor(
    private readonly source: ManifestSource,
    private readonly catalog: ActionCatalog,
    private readonly accepted: AcceptUnknown,
    private readonly diagnostics: Diagnostic[],
    private readonly options: ManifestOptions,
  ) {}

  private readonly lints: { summary: string; detail: string; locate: () => SourceLocation }[] = [];

  /** Lint warnings: all of them, or (with `lintLimit`, as plans ask) the first ones and a count of the rest. */
  reportLints(): void {
    const limit = this.options.lintLimit ?? Infinity;
    for (const lint of this.lints.slice(0, limit)) this.diagnostics.push(warning(lint.summary, lint.detail, lint.locate()));
    const more = this.lints.length - Math.min(limit, this.lints.length);
    if (more > 0) {
      this.diagnostics.push(warning(`${more.toLocaleString('en-US')} more statements grant or deny nothing as written`, 'Lints: actions paired only with resources they do not take. Run iam-gitops validate to list them all.'));
    }
  }

  /** An inline document, or `{documentFile: path}`. */
  policyOrFile(value: PolicyJson, doc: SourceDocument, at: ValuePath, type: PolicyType): CheckedDocument | undefined {
    const keys = Object.keys(value);
    if (keys.includes('documentFile')) {
      if (keys.length > 1 || typeof value['documentFile'] !== 'string') {
        this.diagnostics.push(error('documentFile must stand alone', 'Write either a policy document or {documentFile: path/to/policy.json}, not both.', doc.locate([...at, 'documentFile'], { key: true })));
        return undefined;
      }
      return this.documentFromFile(value['documentFile'], doc, [...at, 'documentFile'], type);
    }
    return this.checkedDocument(value, doc, at, type);
  }

  documentFromFile(relativePath: string, doc: SourceDocument, at: ValuePath, type: PolicyType): CheckedDocument | undefined {
    const found = this.source.readDocumentFile(doc.file, relativePath);
    if ('missing' in found) {
      this.diagnostics.push(error(`documentFile "${relativePath}" does not exist`, `The path is relative to ${doc.file}'s folder. Create the file or fix the path.`, doc.locate(at)));
      return undefined;
    }
    if ('refused' in found) {
      this.diagnostics.push(error(`documentFile "${relativePath}" cannot be used: ${found.refused}`, `documentFile names a JSON file inside the manifests folder, relative to ${doc.file}'s folder.`, doc.locate(at)));
      return undefined;
    }
    const file = found.file;
    // A .json file is JSON, read strictly (a trailing comma or YAML in it is an error at its place); a YAML file
    // (.yaml/.yml) is YAML. Either way the document is then located through the YAML parser, which reads JSON.
    const isYaml = /\.ya?ml$/i.test(file.path);
    if (!isYaml) {
      const problem = jsonSyntaxError(file.path, file.text);
      if (problem) {
        this.diagnostics.push(problem);
        return undefined;
      }
    }
    const parsed = parseSource(file.path, file.text);
    this.diagnostics.push(...parsed.diagnostics.map((d) => (isYaml ? d : { ...d, summary: d.summary.replace('invalid YAML', 'invalid JSON') })));
    if (parsed.diagnostics.length > 0) return undefined;
    const [fileDoc, ...extra] = parsed.documents;
    if (!fileDoc || extra.length > 0) {
      this.diagnostics.push(error(`documentFile "${relativePath}" must hold exactly one policy document`, 'Write one JSON object with Version and Statement.', fileDoc?.locate([]) ?? { file: file.path, line: 1, col: 1 }));
      return undefined;
    }
    if (!isPlainObject(fileDoc.value)) {
      this.diagnostics.push(error('a policy document must be an object', 'Write one JSON object with Version and Statement.', fileDoc.locate([])));
      return undefined;
    }
    return this.checkedDocument(fileDoc.value, fileDoc, [], type);
  }

  checkedDocument(document: PolicyJson, doc: SourceDocument, at: ValuePath, type: PolicyType): CheckedDocument | undefined {
    const problems = checkPolicyDocument(document, type, this.catalog, { acceptsUnknownAction: this.accepted.acceptsUnknownAction });
    for (const p of problems) {
      if (p.lint) {
        // Located only when reported: locating parses the file again, and large accounts can have thousands.
        this.lints.push({ summary: p.summary, detail: p.detail, locate: () => doc.locate([...at, ...p.path]) });
        continue;
      }
      const location = doc.locate([...at, ...p.path], p.atKey ? { key: true } : undefined);
      this.diagnostics.push(p.severity === 'error' ? error(p.summary, p.detail, location) : warning(p.summary, p.detail, location));
    }
    if (problems.some((p) => p.severity === 'error')) return undefined;
    return { policy: makePolicy(document), document, locate: () => doc.locate(at) };
  }
}
