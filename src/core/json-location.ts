/**
 * Where strict JSON goes wrong. Node 20's `JSON.parse` messages often carry no position, and the YAML parser
 * (which reads JSON) accepts what JSON does not (trailing commas, comments, unquoted strings), so a small scanner
 * finds the first offending character instead. It runs only after `JSON.parse` has failed.
 */
import { error, type Diagnostic, type SourceLocation } from './diagnostics.js';
import { describeShapeProblem, MAX_NESTING } from './input-limits.js';

/** A located "invalid JSON" diagnostic for `text`, or undefined when it is valid JSON. */
export function jsonSyntaxError(file: string, text: string, hint = 'Fix the JSON at this place (no trailing commas or comments; strings in double quotes).'): Diagnostic | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch {
    const found = findJsonError(text);
    return error(`invalid JSON: ${found.message}`, hint, locationOf(file, text, found.offset));
  }
}

export function locationOf(file: string, text: string, offset: number): SourceLocation {
  const before = text.slice(0, offset).split('\n');
  return { file, line: before.length, col: (before[before.length - 1]?.length ?? 0) + 1 };
}

/** The first syntax error of a text that is not JSON: its offset and what was expected there. */
export function findJsonError(text: string): { offset: number; message: string } {
  let i = 0;
  const fail = (message: string): never => {
    throw Object.assign(new Error(message), { offset: i });
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const describe = (): string => (i >= text.length ? 'the end of the text' : JSON.stringify(text[i]));
  // The scanner recurses once per level: past the nesting limit it stops, so a deep text cannot exhaust the stack.
  let depth = 0;
  const nested = (read: () => void): void => {
    if (++depth > MAX_NESTING) fail(describeShapeProblem({ kind: 'nesting' }).summary);
    read();
    depth--;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') return nested(object);
    if (c === '[') return nested(array);
    if (c === '"') return string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    fail(`expected a value, found ${describe()}`);
  };
  const object = (): void => {
    i++;
    ws();
    if (text[i] === '}') {
      i++;
      return;
    }
    for (;;) {
      ws();
      if (text[i] !== '"') fail(text[i] === '}' ? 'trailing comma before "}"' : `expected a double-quoted property name, found ${describe()}`);
      string();
      ws();
      if (text[i] !== ':') fail(`expected ":" after a property name, found ${describe()}`);
      i++;
      value();
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return;
      }
      fail(`expected "," or "}", found ${describe()}`);
    }
  };
  const array = (): void => {
    i++;
    ws();
    if (text[i] === ']') {
      i++;
      return;
    }
    for (;;) {
      ws();
      if (text[i] === ']') fail('trailing comma before "]"');
      value();
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        return;
      }
      fail(`expected "," or "]", found ${describe()}`);
    }
  };
  const string = (): void => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if (text.charCodeAt(i) < 0x20) fail('a control character (a raw line break?) inside a string');
      i++;
    }
    if (i >= text.length) fail('a string that is never closed');
    i++;
  };
  const number = (): void => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!match) fail(`expected a number, found ${describe()}`);
    i += match![0].length;
  };
  try {
    value();
    ws();
    if (i < text.length) fail(`unexpected ${describe()} after the JSON value`);
    return { offset: text.length, message: 'not valid JSON' };
  } catch (e) {
    return { offset: (e as { offset: number }).offset, message: (e as Error).message };
  }
}

/**
 * Where the value at `path` starts in a valid JSON `text` (with `key`, where its key starts), or the deepest part of
 * the path that exists: a scan that skips what is off the path, for messages about a place in a large file.
 */
export function jsonPathOffset(text: string, path: readonly (string | number)[], key = false): number {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const skipString = (): void => {
    for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    i++;
  };
  const skipValue = (): void => {
    ws();
    const c = text[i];
    if (c === '"') return skipString();
    if (c === '{' || c === '[') {
      let depth = 0;
      for (; i < text.length; i++) {
        const d = text[i];
        if (d === '"') {
          skipString();
          i--;
        } else if (d === '{' || d === '[') depth++;
        else if ((d === '}' || d === ']') && --depth === 0) {
          i++;
          return;
        }
      }
      return;
    }
    while (i < text.length && !',}] \t\n\r'.includes(text[i]!)) i++;
  };
  ws();
  for (let depth = 0; depth < path.length; depth++) {
    const container = i;
    const want = path[depth];
    const last = depth === path.length - 1;
    if (text[i] === '{' && typeof want === 'string') {
      i++;
      let found = false;
      for (ws(); i < text.length && text[i] !== '}'; ws()) {
        const keyStart = i;
        skipString();
        const name = JSON.parse(text.slice(keyStart, i)) as string;
        ws();
        i++; // the colon
        ws();
        if (name === want) {
          if (last && key) return keyStart;
          found = true;
          break;
        }
        skipValue();
        ws();
        if (text[i] === ',') i++;
      }
      if (!found) return container;
    } else if (text[i] === '[' && typeof want === 'number') {
      i++;
      ws();
      for (let n = 0; n < want; n++) {
        if (text[i] === ']') return container;
        skipValue();
        ws();
        if (text[i] === ',') i++;
        ws();
      }
      if (text[i] === ']') return container;
    } else {
      return container;
    }
  }
  return i;
}
