/**
 * YAML (and JSON) documents that remember where every value came from, so that any problem found later, by
 * path, is reported at `file:line:col`.
 *
 * Two parsers, for speed: js-yaml reads values about ten times faster than `yaml`, which matters for repos with
 * thousands of manifests, but keeps no positions. So values come from js-yaml, and a file is parsed again with
 * `yaml` (which keeps every node's range) only when a problem in it must be located, or its syntax is broken and
 * needs `yaml`'s clearer messages. Both read YAML 1.2 with the core schema, so they agree on every value.
 *
 * Every value is then held to the input limits (core/input-limits.ts): at most MAX_NESTING levels, and aliases
 * that add at most MAX_ALIAS_EXPANSION values. Both are measured on the parsed value itself, whatever syntax wrote
 * the aliases; `yaml` is asked for positions only after its own syntax tree showed the nesting is within bounds
 * (it composes recursively), and never to resolve aliases (its resolution is quadratic in their number).
 */
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import type { Diagnostic, SourceLocation } from '../core/diagnostics.js';
import { error } from '../core/diagnostics.js';
import { locationOf } from '../core/json-location.js';
import { checkValueShape, describeShapeProblem, MAX_NESTING, yamlNestingOffset } from '../core/input-limits.js';

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
  let values: unknown[];
  try {
    // js-yaml's own depth limit is a backstop above ours: ours decides, with one message for every syntax.
    const options = { schema: CORE_SCHEMA, filename: file, maxDepth: MAX_NESTING + 10 };
    values = loadAll(text, null, options);
  } catch (e) {
    return parseWithPositions(file, text, e as Error & { mark?: { line: number; column: number } });
  }
  let positioned: PositionedFile | undefined;
  const documentsWithPositions = (): PositionedFile => (positioned ??= positionedFile(file, text));
  const documents: SourceDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const value of values) {
    if (value === null || value === undefined) continue;
    const ordinal = documents.length;
    const document: SourceDocument = {
      file,
      value,
      locate: (path, options) => {
        const doc = documentsWithPositions().documents[ordinal];
        return doc ? locateIn(doc, documentsWithPositions().at, path, options) : { file, line: 1, col: 1 };
      },
    };
    const problem = checkValueShape(value);
    if (problem) {
      const { summary, detail } = describeShapeProblem(problem);
      // Too deep as written: located from the syntax tree (`yaml` will not compose it); too deep through aliases,
      // or too large: at the path, whose text `yaml` can compose.
      const deepInText = problem.kind === 'nesting' ? yamlNestingOffset(text) : undefined;
      diagnostics.push(error(`invalid YAML: ${summary}`, detail, deepInText !== undefined ? locationOf(file, text, deepInText) : document.locate(problem.path)));
    }
    documents.push(document);
  }
  return { documents: diagnostics.length ? [] : documents, diagnostics };
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
  const tooDeep = yamlNestingOffset(text);
  if (tooDeep !== undefined) {
    // `yaml` composes documents recursively: too deep a text is refused from its syntax tree alone.
    const { summary, detail } = describeShapeProblem({ kind: 'nesting' });
    return { documents: [], errors: [error(`invalid YAML: ${summary}`, detail, locationOf(file, text, tooDeep))], at };
  }
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const all = Array.isArray(parsed) ? parsed : [];
  const errors = all.flatMap((doc) =>
    doc.errors.map((e) => error(yamlErrorSummary(e.message), 'Fix the YAML syntax at this place; a YAML linter or editor extension shows it as you type.', at(e.pos[0]))),
  );
  const documents = all.filter((doc) => !(doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)));
  return { documents, errors, at };
}

/**
 * The slow path, for files js-yaml refused: `yaml`'s messages (or the nesting limit) at their place, else js-yaml's
 * reason at its place (`yaml` accepted what js-yaml did not, an unknown tag, say).
 */
function parseWithPositions(file: string, text: string, fastParserError: Error & { mark?: { line: number; column: number } }): ParsedSource {
  const positioned = positionedFile(file, text);
  if (positioned.errors.length > 0) return { documents: [], diagnostics: positioned.errors };
  const mark = fastParserError.mark;
  const reason = fastParserError.message.split('\n')[0]!.replace(/ \(\d+:\d+\)$/, '');
  return {
    documents: [],
    diagnostics: [error(`invalid YAML: ${reason}`, 'Manifests use plain YAML 1.2: mappings, lists, strings, numbers and booleans.', { file, line: (mark?.line ?? 0) + 1, col: (mark?.column ?? 0) + 1 })],
  };
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
