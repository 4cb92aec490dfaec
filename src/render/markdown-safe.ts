/**
 * Text from manifests and live IAM (names, paths, descriptions, tags, conditions, policy text) rendered into GitHub
 * markdown so that it cannot change the comment's structure, ping anyone, link anywhere, or fake a marker. Two
 * contexts, because GitHub parses them differently:
 * - `text(s)`, in markdown (paragraphs, list items, table cells): HTML-escaped (no tags, no `<!-- -->`, no
 *   `<details>` breaker) and markdown punctuation backslash-escaped (no emphasis, links, tables, headings);
 * - `html(s)`, inside HTML blocks such as `<summary>`, where markdown is not parsed (a backslash would show): only
 *   HTML-escaped.
 * Both flatten line breaks, show bidirectional overrides as U+FFFD, and put a word joiner after `@` and URL schemes (GitHub turns `@name` into a mention and
 * `https://...` into a link in any text node). `fence(lines)` makes a code block no line inside can close.
 */

/** U+2060 WORD JOINER: invisible, and breaks the patterns GitHub turns into mentions and links. */
const JOIN = '\u2060';

function neutralize(value: string): string {
  return value
    .replace(/[\r\n\u2028\u2029]+/g, ' ')
    // Bidirectional overrides would make text read differently from what it is ("Trojan Source"): shown as �.
    .replace(/[\u202A-\u202E\u2066-\u2069]/g, '\uFFFD')
    .replace(/@/g, `@${JOIN}`)
    .replace(/\b(https?|ftp|mailto|www)([.:])/gi, `$1${JOIN}$2`);
}

function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** For markdown context. */
export function text(value: string): string {
  return escapeHtml(neutralize(value)).replace(/[\\`*_{}[\]()#+\-.!|~:=]/g, (c) => `\\${c}`);
}

/** For the inside of HTML blocks (`<summary>`, `<td>`), where markdown is not parsed. */
export function html(value: string): string {
  return escapeHtml(neutralize(value));
}

/** Monospace, in markdown context. */
export function code(value: string): string {
  return `<code>${text(value)}</code>`;
}

/** Monospace, inside an HTML block. */
export function htmlCode(value: string): string {
  return `<code>${html(value)}</code>`;
}

/** A fenced block: the fence is one backtick longer than the longest run inside, so nothing inside can close it. */
export function fence(lines: readonly string[], info = ''): string[] {
  const longest = Math.max(0, ...lines.map((l) => Math.max(0, ...(l.match(/`+/g) ?? []).map((run) => run.length))));
  const ticks = '`'.repeat(Math.max(3, longest + 1));
  return [`${ticks}${info}`, ...lines.map((l) => l.replace(/[\r\n\u2028\u2029]/g, ' ').replace(/[\u202A-\u202E\u2066-\u2069]/g, '\uFFFD')), ticks];
}

/** A Mermaid label: quotes and markup replaced by Mermaid's entity codes, so a name cannot break the diagram. */
export function mermaidLabel(value: string): string {
  return neutralize(value).replace(/[#"&<>`[\](){}|;]/g, (c) => `#${c.charCodeAt(0)};`);
}
