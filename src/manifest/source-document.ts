/**
 * YAML (and JSON) documents that remember where every value came from, so that any problem found later, by
 * path, is reported at `file:line:col`.
 */
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

/** Parses every document of a YAML file (JSON files parse too: JSON is YAML). Syntax errors become diagnostics. */
export function parseSource(file: string, text: string): ParsedSource {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
  if (!Array.isArray(docs)) {
    // An empty stream, or one holding only comments.
    return { documents: [], diagnostics: [] };
  }
  const diagnostics: Diagnostic[] = [];
  const documents: SourceDocument[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        diagnostics.push(error(yamlErrorSummary(e.message), 'Fix the YAML syntax at this place; a YAML linter or editor extension shows it as you type.', at(e.pos[0])));
      }
      continue;
    }
    // A trailing `---` or a document of only comments holds nothing to read.
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue;
    documents.push(sourceDocument(file, doc, at));
  }
  return { documents, diagnostics };
}

function yamlErrorSummary(message: string): string {
  const firstLine = message.split('\n')[0] ?? message;
  return `invalid YAML: ${firstLine.replace(/ at line \d+, column \d+:?$/, '')}`;
}

function sourceDocument(file: string, doc: Document, at: (offset: number) => SourceLocation): SourceDocument {
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  return {
    file,
    value,
    locate(path, options) {
      let node: unknown = doc.contents;
      let best: SourceLocation = rangeStart(node, at) ?? { file, line: 1, col: 1 };
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
    },
  };
}

function rangeStart(node: unknown, at: (offset: number) => SourceLocation): SourceLocation | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? at(range[0]) : undefined;
}
