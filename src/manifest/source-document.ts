/**
 * YAML (and JSON) documents that remember where every value came from, so that any problem found later, by
 * path, is reported at `file:line:col`.
 *
 * Two parsers, for speed: js-yaml reads values about ten times faster than `yaml`, which matters for repos with
 * thousands of manifests, but keeps no positions. So values come from js-yaml, and a file is parsed again with
 * `yaml` (which keeps every node's range) only when a problem in it must be located, or its syntax is broken and
 * needs `yaml`'s clearer messages. Both read YAML 1.2 with the core schema, so they agree on every value.
 * Files that use anchors or aliases go through `yaml` alone, which bounds alias expansion.
 */
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import type { Diagnostic, SourceLocation } from '../core/diagnostics.js';
import { error } from '../core/diagnostics.js';

export type ValuePath = readonly (string | number)[];

/** One YAML document of a file, with its plain value and a way to find any path's position in the file. */
export interface SourceDocument {
  readonly file: string;
  /** The document's value as plain JavaScript data. */
  readonly value: unknown;
  /**
   * Where the value at `path` starts; with `key: true`, where its key starts (for "unknown field" messages).
   * Falls back to the deepest enclosing node that exists, so a missing field points at its parent.
   */
  locate(path: ValuePath, options?: { key?: boolean }): SourceLocation;
}

export interface ParsedSource {
  readonly documents: readonly SourceDocument[];
  readonly diagnostics: readonly Diagnostic[];
}

/** An anchor `&a` or alias `*a` starts after white space or a flow indicator; `arn:aws:sns:*:*:*` has neither. */
const USES_ANCHORS = /(^|[\s[{,])[&*][^\s,[\]{}]/m;

const MAX_ALIAS_COUNT = 100;

/** Parses every document of a YAML file (JSON files parse too: JSON is YAML). Syntax errors become diagnostics. */
export function parseSource(file: string, text: string): ParsedSource {
  if (USES_ANCHORS.test(text)) return parseWithPositions(file, text);
  let values: unknown[];
  try {
    values = loadAll(text, null, { schema: CORE_SCHEMA, filename: file });
  } catch (e) {
    return parseWithPositions(file, text, e as Error & { mark?: { line: number; column: number } });
  }
  let positioned: PositionedFile | undefined;
  const documentsWithPositions = (): PositionedFile => (positioned ??= positionedFile(file, text));
  const documents: SourceDocument[] = [];
  for (const value of values) {
    if (value === null || value === undefined) continue;
    const ordinal = documents.length;
    documents.push({
      file,
      value,
      locate: (path, options) => {
        const doc = documentsWithPositions().documents[ordinal];
        return doc ? locateIn(doc, documentsWithPositions().at, path, options) : { file, line: 1, col: 1 };
      },
    });
  }
  return { documents, diagnostics: [] };
}

interface PositionedFile {
  /** Non-empty documents, in order: the k-th matches the k-th non-empty js-yaml value. */
  readonly documents: readonly Document[];
  readonly errors: readonly Diagnostic[];
  readonly at: (offset: number) => SourceLocation;
}

function positionedFile(file: string, text: string): PositionedFile {
  const lineCounter = new LineCounter();
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const all = Array.isArray(parsed) ? parsed : [];
  const errors = all.flatMap((doc) =>
    doc.errors.map((e) => error(yamlErrorSummary(e.message), 'Fix the YAML syntax at this place; a YAML linter or editor extension shows it as you type.', at(e.pos[0]))),
  );
  const documents = all.filter((doc) => !(doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)));
  return { documents, errors, at };
}

/** The slow path: values and positions from `yaml`, for files with anchors or broken syntax. */
function parseWithPositions(file: string, text: string, fastParserError?: Error & { mark?: { line: number; column: number } }): ParsedSource {
  const positioned = positionedFile(file, text);
  if (positioned.errors.length > 0) return { documents: [], diagnostics: positioned.errors };
  if (fastParserError) {
    // `yaml` accepted what js-yaml refused (an unknown tag, say): report js-yaml's reason at its place.
    const mark = fastParserError.mark;
    const reason = fastParserError.message.split('\n')[0]!.replace(/ \(\d+:\d+\)$/, '');
    return {
      documents: [],
      diagnostics: [error(`invalid YAML: ${reason}`, 'Manifests use plain YAML 1.2: mappings, lists, strings, numbers and booleans.', { file, line: (mark?.line ?? 0) + 1, col: (mark?.column ?? 0) + 1 })],
    };
  }
  const documents: SourceDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const doc of positioned.documents) {
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      // A "billion laughs" file: aliases that expand exponentially. `yaml` stops counting at the limit.
      diagnostics.push(error(`invalid YAML: ${(e as Error).message.split('\n')[0]}`, `Aliases (*name) may expand to at most ${MAX_ALIAS_COUNT} nodes per document; write the values out instead of nesting aliases.`, rangeStart(doc.contents, positioned.at) ?? { file, line: 1, col: 1 }));
      continue;
    }
    documents.push({ file, value, locate: (path: ValuePath, options?: { key?: boolean }) => locateIn(doc, positioned.at, path, options) });
  }
  return { documents: diagnostics.length ? [] : documents, diagnostics };
}

function yamlErrorSummary(message: string): string {
  const firstLine = message.split('\n')[0] ?? message;
  return `invalid YAML: ${firstLine.replace(/ at line \d+, column \d+:?$/, '')}`;
}

function locateIn(doc: Document, at: (offset: number) => SourceLocation, path: ValuePath, options?: { key?: boolean }): SourceLocation {
  let node: unknown = doc.contents;
  let best: SourceLocation = rangeStart(node, at) ?? at(0);
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    const isLast = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      if (isLast && options?.key) return rangeStart(pair.key, at) ?? best;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
    } else {
      break;
    }
    best = rangeStart(node, at) ?? best;
  }
  return best;
}

function rangeStart(node: unknown, at: (offset: number) => SourceLocation): SourceLocation | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? at(range[0]) : undefined;
}
