/**
 * Positions in a block-style YAML file read from its indentation alone.
 *
 * Locating a lint needs the position of a path (`inlinePolicies.own.Statement[2].Action[0]`). `yaml`'s syntax tree
 * gives it for any YAML, but building that tree costs as much as reading the values, and an account whose policies
 * draw lints pays it for nearly every file. Manifests are almost always written in plain block style (that is what
 * `import` and editors write), where a line's indentation says where it belongs. This reader understands that style
 * only: block mappings with plain or simply quoted keys, block sequences (also `key:` followed by `- item` at the same
 * indentation, and `- key: value` items), scalars on one line or continued on more-indented lines, block scalars,
 * comments, and one-line lists of plain scalars (`[a, b]`). Anything else (other flow collections, anchors, aliases, tags, complex keys, several documents, tabs) makes it
 * give up, and the caller builds `yaml`'s syntax tree as before. Where it answers, it answers as that tree does
 * (test/block-locator.test.ts holds it to that on random manifests).
 */
import type { ValuePath } from './source-document.js';

type BlockNode =
  | { readonly kind: 'map'; readonly start: number; readonly entries: ReadonlyMap<string, { readonly keyStart: number; readonly value: BlockNode | undefined }> }
  | { readonly kind: 'seq'; readonly start: number; readonly items: readonly (BlockNode | undefined)[] }
  | { readonly kind: 'scalar'; readonly start: number };

/** Where a path's value (or its key) starts, as an offset; undefined when the reader must leave this file to `yaml`. */
export type BlockLocator = (path: ValuePath, options?: { key?: boolean }) => number | undefined;

interface Line {
  /** Column of the first character of `text` (for a sequence item's inline content: where that content starts). */
  indent: number;
  text: string;
  /** Offset of `text` in the file. */
  offset: number;
}

/** Thrown when the file uses YAML this reader leaves to `yaml`. */
class NotBlockStyle extends Error {}

/** A locator for a single-document block-style file, or undefined (build `yaml`'s syntax tree instead). */
export function blockLocator(text: string): BlockLocator | undefined {
  let root: BlockNode | undefined;
  try {
    root = new BlockReader(contentLines(text)).document();
  } catch (e) {
    if (e instanceof NotBlockStyle) return undefined;
    throw e;
  }
  if (!root) return undefined;
  const top = root;
  return (path, options) => {
    let node: BlockNode = top;
    let best = top.start;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i]!;
      if (node.kind === 'map') {
        const entry: { readonly keyStart: number; readonly value: BlockNode | undefined } | undefined = node.entries.get(String(segment));
        if (!entry) break;
        if (i === path.length - 1 && options?.key) return entry.keyStart;
        // A key with nothing after it: `yaml`'s tree says where its empty value is; leave that to it.
        if (!entry.value) return undefined;
        node = entry.value;
      } else if (node.kind === 'seq') {
        if (typeof segment !== 'number') break;
        if (segment >= node.items.length) break;
        const item: BlockNode | undefined = node.items[segment];
        if (!item) return undefined;
        node = item;
      } else break;
      best = node.start;
    }
    return best;
  };
}

/** The file's lines that hold content (not blank, not only a comment), with their indentation and offsets. */
function contentLines(text: string): Line[] {
  // A byte-order mark shifts nothing for `yaml` but would read as part of the first key here.
  if (text.startsWith('\uFEFF')) throw new NotBlockStyle();
  // Tabs separate tokens in places this reader does not look for them (`key:\tvalue`): such files go to `yaml`.
  if (text.includes('\t')) throw new NotBlockStyle();
  const lines: Line[] = [];
  let offset = 0;
  let first = true;
  while (offset <= text.length) {
    let end = text.indexOf('\n', offset);
    if (end < 0) end = text.length;
    const raw = text.slice(offset, end).replace(/\r$/, '');
    let indent = 0;
    while (indent < raw.length && raw.charCodeAt(indent) === 32) indent++;
    const body = raw.slice(indent);
    if (body.startsWith('\t')) throw new NotBlockStyle();
    if (body !== '' && !body.startsWith('#')) {
      if (indent === 0 && (body.startsWith('%') || body.startsWith('...') || (body.startsWith('---') && (body.length === 3 || body[3] === ' ')))) {
        // One document, optionally opened by a bare `---` on its first content line.
        if (!(first && body.replace(/\s+#.*$/, '').trimEnd() === '---')) throw new NotBlockStyle();
      } else lines.push({ indent, text: body, offset: offset + indent });
      first = false;
    }
    if (end === text.length) break;
    offset = end + 1;
  }
  return lines;
}

class BlockReader {
  private next = 0;
  constructor(private readonly lines: Line[]) {}

  document(): BlockNode | undefined {
    if (this.lines.length === 0) return undefined;
    const node = this.node(this.lines[0]!.indent, -1);
    if (this.next < this.lines.length) throw new NotBlockStyle();
    return node;
  }

  /** The node whose first line is the current one, at exactly `indent`; `parent` is the enclosing collection's indent. */
  private node(indent: number, parent: number): BlockNode {
    const line = this.lines[this.next]!;
    if (isSequenceItem(line.text)) return this.sequence(indent, parent);
    if (mappingKey(line.text)) return this.mapping(indent, parent);
    return this.scalar(line.text, line.offset, parent);
  }

  private mapping(indent: number, parent: number): BlockNode {
    const entries = new Map<string, { keyStart: number; value: BlockNode | undefined }>();
    const start = this.lines[this.next]!.offset;
    while (this.next < this.lines.length) {
      const line = this.lines[this.next]!;
      if (line.indent < indent) break;
      if (line.indent > indent) throw new NotBlockStyle();
      const key = mappingKey(line.text);
      if (!key) throw new NotBlockStyle();
      const rest = stripComment(line.text.slice(key.valueAt));
      let value: BlockNode | undefined;
      if (rest === '') {
        this.next++;
        const following = this.lines[this.next];
        if (following && following.indent > indent) value = this.node(following.indent, indent);
        else if (following && following.indent === indent && isSequenceItem(following.text)) value = this.sequence(indent, indent - 1);
      } else {
        const at = line.text.length - line.text.slice(key.valueAt).trimStart().length;
        value = this.scalar(line.text.slice(at), line.offset + at, indent);
      }
      // The first of two equal keys is the one located (a duplicate is an error reported elsewhere).
      if (!entries.has(key.name)) entries.set(key.name, { keyStart: line.offset, value });
    }
    return { kind: 'map', start, entries };
  }

  private sequence(indent: number, parent: number): BlockNode {
    const items: (BlockNode | undefined)[] = [];
    const start = this.lines[this.next]!.offset;
    while (this.next < this.lines.length) {
      const line = this.lines[this.next]!;
      if (line.indent < indent || (line.indent === indent && !isSequenceItem(line.text))) break;
      if (line.indent > indent) throw new NotBlockStyle();
      const afterDash = line.text.slice(1);
      const content = afterDash.trimStart();
      if (stripComment(content) === '') {
        this.next++;
        const following = this.lines[this.next];
        items.push(following && following.indent > indent ? this.node(following.indent, indent) : undefined);
        continue;
      }
      if (content.startsWith('#')) throw new NotBlockStyle();
      // The item's content read as a line of its own, at the column where it starts (`- a: 1` is a mapping at `a`).
      const column = indent + 1 + (afterDash.length - content.length);
      this.lines[this.next] = { indent: column, text: content, offset: line.offset + (column - indent) };
      items.push(this.node(column, indent));
    }
    return { kind: 'seq', start, items };
  }

  /** A one-line flow sequence of plain or quoted scalars (`groups: [a, b]`, `["/"]`, as people write short lists); anything richer is `yaml`'s. */
  private flowSequence(value: string, offset: number, parent: number): BlockNode {
    const body = stripComment(value);
    if (!body.endsWith(']') || /[[\]{}]/.test(body.slice(1, -1))) throw new NotBlockStyle();
    const items: BlockNode[] = [];
    let at = 1;
    for (const part of body.slice(1, -1).split(',')) {
      const lead = part.length - part.trimStart().length;
      const item = part.trim();
      // A quoted item must close where its comma-separated part ends (a comma inside quotes is left to `yaml`).
      if ((item.startsWith('"') || item.startsWith("'")) && !(closesOnItsLine(item) && item.endsWith(item[0]!) && item.length > 1)) throw new NotBlockStyle();
      if (!item.startsWith('"') && !item.startsWith("'") && (/["'#]/.test(item) || (item !== '' && '&*!|>%@`?'.includes(item[0]!)))) throw new NotBlockStyle();
      if (item === '' || /:( |$)/.test(item) || (item.startsWith('-') && (item.length === 1 || item[1] === ' '))) {
        // `[]` is an empty list; an empty or key-like item is left to `yaml`.
        if (!(item === '' && body === '[]')) throw new NotBlockStyle();
      } else items.push({ kind: 'scalar', start: offset + at + lead });
      at += part.length + 1;
    }
    this.next++;
    if (this.next < this.lines.length && this.lines[this.next]!.indent > parent) throw new NotBlockStyle();
    return { kind: 'seq', start: offset, items };
  }

  /** A scalar starting at `offset` in `line`; its more-indented continuation lines (and a block scalar's) are skipped. */
  private scalar(value: string, offset: number, parent: number): BlockNode {
    const first = value[0]!;
    if (first === '[') return this.flowSequence(value, offset, parent);
    if ('{&*!%@`?'.includes(first)) throw new NotBlockStyle();
    if (first === '|' || first === '>') {
      if (!/^[|>][1-9]?[+-]?[1-9]?\s*(#.*)?$/.test(value)) throw new NotBlockStyle();
    } else if (first === '"' || first === "'") {
      if (!closesOnItsLine(value)) throw new NotBlockStyle();
    } else if (first === '-' && (value.length === 1 || value[1] === ' ')) throw new NotBlockStyle();
    else if (/:( |$)/.test(stripComment(value))) throw new NotBlockStyle();
    this.next++;
    // Lines indented past the enclosing collection continue the scalar: a block scalar's may hold anything; a plain
    // one's hold no `key: ` and no comment (js-yaml accepted the file, but what it read there is left to `yaml`).
    const block = first === '|' || first === '>';
    while (this.next < this.lines.length && this.lines[this.next]!.indent > parent) {
      if (!block && /:( |$)|\s#/.test(this.lines[this.next]!.text)) throw new NotBlockStyle();
      this.next++;
    }
    return { kind: 'scalar', start: offset };
  }
}

function isSequenceItem(text: string): boolean {
  return text === '-' || text.startsWith('- ');
}

/** A line's mapping key (plain, or quoted without escapes) and where its value starts; undefined when it has none. */
function mappingKey(text: string): { name: string; valueAt: number } | undefined {
  const quote = text[0];
  if (quote === '"' || quote === "'") {
    const close = text.indexOf(quote, 1);
    if (close < 0) return undefined;
    const name = text.slice(1, close);
    if (quote === '"' && name.includes('\\')) throw new NotBlockStyle();
    if (quote === "'" && text[close + 1] === "'") throw new NotBlockStyle();
    const colon = /^\s*:( |$)/.exec(text.slice(close + 1));
    return colon ? { name, valueAt: close + 1 + colon[0].length } : undefined;
  }
  if (quote === undefined || '[{&*!|>%@`?#'.includes(quote) || isSequenceItem(text)) return undefined;
  const match = /:( |$)/.exec(text);
  if (!match) return undefined;
  const name = text.slice(0, match.index);
  // A comment before the colon means the line is a scalar, not a key.
  if (/\s#/.test(name)) return undefined;
  return { name: name.trimEnd(), valueAt: match.index + match[0].length };
}

/** The text without a trailing comment (` #...`), trimmed. */
function stripComment(text: string): string {
  const hash = text.search(/(^|\s)#/);
  return (hash < 0 ? text : text.slice(0, hash)).trim();
}

/** Whether a quoted scalar ends on its line (multi-line quoted scalars are left to `yaml`). */
function closesOnItsLine(value: string): boolean {
  const quote = value[0]!;
  for (let i = 1; i < value.length; i++) {
    const c = value[i];
    if (quote === '"' && c === '\\') {
      i++;
      continue;
    }
    if (c === quote) {
      if (quote === "'" && value[i + 1] === "'") {
        i++;
        continue;
      }
      const rest = value.slice(i + 1);
      return rest.trim() === '' || /^\s+#/.test(rest);
    }
  }
  return false;
}
