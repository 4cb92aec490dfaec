/**
 * Limits on the shape of every YAML or JSON value the tool reads (manifests, policy documents, snapshots, simulate
 * requests, the Action's event payload), so that no input can take the tool down:
 * - nesting: at most MAX_NESTING levels of mappings and lists. Parsers and everything after them (validation,
 *   canonical JSON, fingerprints) walk values recursively; ten thousand levels would exhaust the stack.
 * - aliases: YAML aliases (`*a`) share one node, so a small file can stand for an exponentially large value (a
 *   "billion laughs"). Whatever the syntax that wrote them (quoted keys, flow collections, merge keys, several
 *   documents), aliases show in the parsed value as one object reachable along several paths; the value is
 *   measured as the tree that later stages will walk, and refused when aliases add more than MAX_ALIAS_EXPANSION
 *   nodes to it (or make it a cycle).
 *
 * The checks run on the parsers' own output (the value graph, yaml's syntax tree), never on a scan of the text
 * for `&` and `*`, and they never recurse: an explicit stack, so the check itself cannot overflow.
 */
import { Parser, type CST } from 'yaml';

export const MAX_NESTING = 100;
/** Nodes that aliases may add to one document's value, beyond those written out. */
export const MAX_ALIAS_EXPANSION = 10_000;

export type ValuePath = readonly (string | number)[];

/** What is wrong with a value's shape, and the path of the first place where it shows. */
export type ShapeProblem =
  | { readonly kind: 'nesting'; readonly path: ValuePath }
  | { readonly kind: 'aliases'; readonly path: ValuePath }
  | { readonly kind: 'cycle'; readonly path: ValuePath };

/** The summary and advice for a shape problem, the same wherever the value came from. */
export function describeShapeProblem(problem: Pick<ShapeProblem, 'kind'>): { summary: string; detail: string } {
  switch (problem.kind) {
    case 'nesting':
      return { summary: `nested deeper than ${MAX_NESTING} levels`, detail: `Mappings and lists may nest at most ${MAX_NESTING} levels deep; no IAM document needs more. Flatten the value.` };
    case 'aliases':
      return { summary: `aliases expand to more than ${MAX_ALIAS_EXPANSION} extra values`, detail: `YAML aliases (*name) may add at most ${MAX_ALIAS_EXPANSION} values to a document when expanded (nested aliases multiply); write the values out, or share less.` };
    case 'cycle':
      return { summary: 'an alias refers to a value that contains it', detail: 'The value would be infinite. Remove the alias, or point it at a value outside the one it is in.' };
  }
}

interface Frame {
  readonly node: object;
  readonly keys: readonly (string | number)[];
  index: number;
  /** Nodes of the tree view under this node so far, itself included. */
  size: number;
  /** Levels of collections from this node down, itself included. */
  height: number;
}

/**
 * The first problem with a parsed value's shape, or undefined. Collections reached again through another path (an
 * alias) count with their whole size each time, as a consumer walking the value would meet them.
 */
export function checkValueShape(value: unknown): ShapeProblem | undefined {
  if (!isCollection(value)) return undefined;
  const measured = new Map<object, { size: number; height: number }>();
  const open = new Set<object>();
  const stack: Frame[] = [];
  const path: (string | number)[] = [];
  let extra = 0;
  const push = (node: object): void => {
    open.add(node);
    stack.push({ node, keys: Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node), index: 0, size: 1, height: 1 });
  };
  push(value);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.index === frame.keys.length) {
      stack.pop();
      open.delete(frame.node);
      measured.set(frame.node, { size: frame.size, height: frame.height });
      path.pop();
      const parent = stack[stack.length - 1];
      if (parent) {
        parent.size += frame.size;
        parent.height = Math.max(parent.height, frame.height + 1);
      }
      continue;
    }
    const key = frame.keys[frame.index++]!;
    const child = (frame.node as Record<string | number, unknown>)[key];
    if (!isCollection(child)) {
      frame.size++;
      continue;
    }
    const childPath = [...path, key];
    if (open.has(child)) return { kind: 'cycle', path: childPath };
    const known = measured.get(child);
    if (known) {
      // Met again: an alias. Everything under it is walked again by whoever reads the value.
      extra += known.size;
      if (extra > MAX_ALIAS_EXPANSION) return { kind: 'aliases', path: childPath };
      if (stack.length + known.height > MAX_NESTING) return { kind: 'nesting', path: childPath };
      frame.size += known.size;
      frame.height = Math.max(frame.height, known.height + 1);
      continue;
    }
    if (stack.length + 1 > MAX_NESTING) return { kind: 'nesting', path: childPath };
    path.push(key);
    push(child);
  }
  return undefined;
}

function isCollection(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !(value instanceof Date);
}

/**
 * The offset of the first mapping or list of a JSON text that nests deeper than MAX_NESTING, or undefined. For
 * texts `JSON.parse` accepted (V8 parses without recursion): a scan of brackets outside strings is exact there.
 */
export function jsonNestingOffset(text: string): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c /* \ */) i++;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > MAX_NESTING) return i;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return undefined;
}

/**
 * The offset of the first collection of a YAML text that nests deeper than MAX_NESTING, or undefined. Read from
 * `yaml`'s own syntax tree (its parser keeps an explicit stack), before anything composes the text recursively:
 * block and flow collections, keys that are collections, every document.
 */
export function yamlNestingOffset(text: string): number | undefined {
  return nestingOffsetOfTokens(new Parser().parse(text));
}

/** `yamlNestingOffset` of a text already parsed into `yaml`'s syntax tree (its tokens are then reused). */
export function nestingOffsetOfTokens(tokens: Iterable<CST.Token>): number | undefined {
  const stack: { token: CST.Token; depth: number }[] = [];
  for (const token of tokens) {
    stack.push({ token, depth: 0 });
    while (stack.length > 0) {
      const { token: t, depth } = stack.pop()!;
      const children: (CST.Token | null | undefined)[] = [];
      let level = depth;
      switch (t.type) {
        case 'document':
          children.push(t.value);
          break;
        case 'block-map':
        case 'block-seq':
        case 'flow-collection':
          level = depth + 1;
          if (level > MAX_NESTING) return t.type === 'flow-collection' ? t.start.offset : t.offset;
          for (const item of t.items) children.push(item.key, item.value);
          break;
        default:
          break;
      }
      for (const child of children) if (child) stack.push({ token: child, depth: level });
    }
  }
  return undefined;
}

/**
 * `JSON.parse`, held to the nesting limit: a text nested too deep throws an Error saying so and where (line and
 * column), as a syntax error would.
 */
export function parseJsonWithinLimits(text: string): unknown {
  const value: unknown = JSON.parse(text);
  const offset = jsonNestingOffset(text);
  if (offset !== undefined) {
    const before = text.slice(0, offset).split('\n');
    throw new Error(`${describeShapeProblem({ kind: 'nesting' }).summary} at line ${before.length}, column ${before[before.length - 1]!.length + 1}`);
  }
  return value;
}
