/**
 * YAML (and JSON) documents that remember where every value came from, so that any problem found later, by
 * path, is reported at `file:line:col`.
 *
 * Two parsers, for speed: js-yaml reads values about ten times faster than `yaml`, which matters for repos with
 * thousands of manifests, but keeps no positions. So values come from js-yaml, and a file's syntax tree is read
 * with `yaml` (whose tokens keep their offsets; never composed into documents, which costs as much again) only when
 * a problem in it must be located, or its syntax is broken and needs `yaml`'s clearer messages. Both read YAML 1.2 with the core schema, so they agree on every value.
 *
 * Every value is then held to the input limits (core/input-limits.ts): at most MAX_NESTING levels, and aliases
 * that add at most MAX_ALIAS_EXPANSION values. Both are measured on the parsed value itself, whatever syntax wrote
 * the aliases; `yaml` is asked for positions only after its own syntax tree showed the nesting is within bounds
 * (it composes recursively), and never to resolve aliases (its resolution is quadratic in their number).
 */
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { Composer, CST, LineCounter, Parser } from 'yaml';
import type { Diagnostic, SourceLocation } from '../core/diagnostics.js';
import { error } from '../core/diagnostics.js';
import { locationOf } from '../core/json-location.js';
import { blockLocator, type BlockLocator } from './block-locator.js';
import { checkValueShape, describeShapeProblem, MAX_NESTING, nestingOffsetOfTokens, yamlNestingOffset } from '../core/input-limits.js';

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
  let positioned: SyntaxTree | undefined;
  const documentsWithPositions = (): SyntaxTree => (positioned ??= syntaxTree(file, text));
  // Block-style files (nearly all) are located from their indentation, without building `yaml`'s tree.
  let fast: { locate: BlockLocator; at: (offset: number) => SourceLocation } | null | undefined;
  const fastLocator = (): typeof fast => {
    if (fast === undefined) {
      const locate = values.filter((v) => v !== null && v !== undefined).length === 1 ? blockLocator(text) : undefined;
      fast = locate ? { locate, at: offsetToLocation(file, text) } : null;
    }
    return fast;
  };
  const documents: SourceDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const value of values) {
    if (value === null || value === undefined) continue;
    const ordinal = documents.length;
    const document: SourceDocument = {
      file,
      value,
      locate: (path, options) => {
        const quick = fastLocator();
        const offset = quick?.locate(path, options);
        if (quick && offset !== undefined) return quick.at(offset);
        const tree = documentsWithPositions();
        const doc = tree.documents[ordinal];
        return doc ? locateInTree(doc, tree.at, path, options) : { file, line: 1, col: 1 };
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

/**
 * A file's syntax tree alone (`yaml`'s CST, parsed once, never composed): enough to locate a path, at about half the
 * cost of composing documents, which files with many lints to locate pay once each.
 */
interface SyntaxTree {
  /** Non-empty documents' top tokens, in order: the k-th matches the k-th non-empty js-yaml value. */
  readonly documents: readonly CST.Token[];
  readonly at: (offset: number) => SourceLocation;
}

function syntaxTree(file: string, text: string): SyntaxTree {
  const lineCounter = new LineCounter();
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
  // js-yaml read the values, within the nesting limit: this tree is as deep as they are.
  const documents = [...new Parser(lineCounter.addNewLine).parse(text)].flatMap((t) => (t.type === 'document' && t.value && !isEmptyScalar(t.value) ? [t.value] : []));
  return { documents, at };
}

/** Offset to line and column (1-based), from the file's line starts, computed once. */
function offsetToLocation(file: string, text: string): (offset: number) => SourceLocation {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid]! <= offset) low = mid;
      else high = mid - 1;
    }
    return { file, line: low + 1, col: offset - starts[low]! + 1 };
  };
}

/** A document that holds nothing (`---` alone, `~`, `null`): js-yaml reads no value for it either. */
function isEmptyScalar(token: CST.Token): boolean {
  return token.type === 'scalar' && /^(|~|null|Null|NULL)$/.test(token.source);
}

/** Where a path's value (or key) starts, walking the syntax tree; the deepest node found, for a path that ends early. */
function locateInTree(root: CST.Token, at: (offset: number) => SourceLocation, path: ValuePath, options?: { key?: boolean }): SourceLocation {
  let node: CST.Token | undefined = root;
  let best = at(tokenStart(root));
  for (let i = 0; i < path.length && node; i++) {
    const segment = path[i]!;
    const items = collectionItems(node);
    if (!items) break;
    if (items.kind === 'map') {
      const item = items.items.find((it) => it.key !== undefined && it.key !== null && scalarText(it.key) === String(segment));
      if (!item) break;
      if (i === path.length - 1 && options?.key) return at(tokenStart(item.key!));
      node = item.value ?? undefined;
    } else {
      if (typeof segment !== 'number') break;
      node = items.items[segment]?.value ?? undefined;
    }
    if (node) best = at(tokenStart(node));
  }
  return best;
}

function collectionItems(token: CST.Token): { kind: 'map' | 'seq'; items: readonly CST.CollectionItem[] } | undefined {
  switch (token.type) {
    case 'block-map':
      return { kind: 'map', items: token.items };
    case 'block-seq':
      return { kind: 'seq', items: token.items };
    case 'flow-collection':
      return { kind: token.start.source === '{' ? 'map' : 'seq', items: token.items };
    default:
      return undefined;
  }
}

function tokenStart(token: CST.Token): number {
  return token.type === 'flow-collection' ? token.start.offset : 'offset' in token ? token.offset : 0;
}

/** A key's text as YAML reads it (quotes and escapes resolved); undefined for a key that is not a scalar. */
function scalarText(token: CST.Token): string | undefined {
  if (token.type === 'scalar') return token.source;
  if (token.type === 'single-quoted-scalar' || token.type === 'double-quoted-scalar' || token.type === 'block-scalar') return CST.resolveAsScalar(token)?.value;
  return undefined;
}

/** `yaml`'s own syntax errors in a file, at their place (or the nesting limit, from its syntax tree alone). */
function syntaxErrors(file: string, text: string): Diagnostic[] {
  const lineCounter = new LineCounter();
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
  // One syntax tree, parsed once: checked for depth, then composed (what parseAllDocuments does, in two steps).
  const tokens = [...new Parser(lineCounter.addNewLine).parse(text)];
  const tooDeep = nestingOffsetOfTokens(tokens);
  if (tooDeep !== undefined) {
    // `yaml` composes documents recursively: too deep a text is refused from its syntax tree alone.
    const { summary, detail } = describeShapeProblem({ kind: 'nesting' });
    return [error(`invalid YAML: ${summary}`, detail, locationOf(file, text, tooDeep))];
  }
  const documents = [...new Composer({ prettyErrors: false, uniqueKeys: true }).compose(tokens, true, text.length)];
  return documents.flatMap((doc) => doc.errors.map((e) => error(yamlErrorSummary(e.message), 'Fix the YAML syntax at this place; a YAML linter or editor extension shows it as you type.', at(e.pos[0]))));
}

/**
 * The slow path, for files js-yaml refused: `yaml`'s messages (or the nesting limit) at their place, else js-yaml's
 * reason at its place (`yaml` accepted what js-yaml did not, an unknown tag, say).
 */
function parseWithPositions(file: string, text: string, fastParserError: Error & { mark?: { line: number; column: number } }): ParsedSource {
  const errors = syntaxErrors(file, text);
  if (errors.length > 0) return { documents: [], diagnostics: errors };
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

