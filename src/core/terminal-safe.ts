/**
 * Text from manifests, live IAM, snapshot files and file or folder names, shown on a terminal or in a GitHub Actions
 * log, where two kinds of reader act on it:
 * - the terminal: control characters (ESC starts ANSI/CSI/OSC sequences that recolour, move the cursor, rewrite the
 *   line or set a hyperlink; the one-byte CSI U+009B does the same on some terminals; CR returns to the start of the
 *   line, BS steps back) could redraw what a reader sees, for instance the confirmation prompt of `apply`; and
 *   bidirectional controls make text read differently from what it is ("Trojan Source");
 * - the GitHub Actions runner, which reads every line of a step's stdout and stderr as a possible workflow command:
 *   a line that, after leading whitespace, starts `::name ...::` (`::error file=...::`, `::add-mask::`,
 *   `::stop-commands::`, `::set-output ...::`), or a line that holds `##[name ...]` anywhere (the older form, still
 *   parsed), forges an annotation, masks text, stops the processing of our own commands or sets an output. The runner
 *   splits lines at LF, CR and CRLF, trims .NET whitespace (NBSP and the Unicode spaces too) and matches command
 *   names case-insensitively.
 *
 * The markdown renderers have `markdown-safe`; this module is the same for text. Untrusted strings become inert:
 * - `inert(value)`: one value inside a line. Control characters, line and paragraph separators and bidirectional
 *   controls are shown as JSON-style escapes (ESC as `\u001b`, a line break as `\u000a`), a leading `::name` as
 *   `\u003a:name`, and `##[` as `##\u005b`. Ordinary text (printable, no command form) is returned unchanged.
 * - `inertDeep(data)`: every string (and key) of plain data, for renderers that take a whole plan.
 * - `inertLines(text)`: a text of ours that carries values and may span lines (a log message, a report): the same
 *   per line, line breaks kept (LF only; a CR is escaped, since the runner would start a line there).
 * - `defuseWorkflowCommands(text)`: the last guard where the CLI writes: a line the runner would read as a workflow
 *   command is defused, nothing else touched (ANSI colours the CLI chose stay).
 * - `inertJson(value)`: JSON whose parsed value is exactly `value`, with the characters above written as `\u` escapes,
 *   so that neither a terminal nor the runner acts on a plan printed as JSON.
 */

/** What the runner's `String.TrimStart()` removes before `::`: .NET white space (C0 spaces, NEL, NBSP, Zs, LS, PS). */
const DOTNET_SPACE = '\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

/**
 * Never raw: C0 controls, DEL and C1 controls; line and paragraph separators; bidirectional marks, embeddings,
 * overrides and isolates; the byte-order mark (invisible, and some terminals show garbage for it).
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
/** The same, except LF, which separates the lines of a multi-line text. */
const UNSAFE_BUT_LF = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * A value or line that starts, after .NET white space, with `::` and a letter: the runner's `::name ...::` form. Its
 * command names start with a letter and are compared ignoring case the .NET way (`::ſtop-commands::` is
 * `stop-commands`: U+017F upper-cases to S), so any letter counts. Defused whatever follows: the runner finds the
 * closing `::` with a culture-sensitive search that skips "ignorable" characters (a soft hyphen between two colons
 * still closes it), so only the literal opening is a reliable sign. `::1` (IPv6) is left alone.
 */
const LEADING_COMMAND = new RegExp(`^([${DOTNET_SPACE}]*):(?=:\\p{L})`, 'u');

function escape(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** One untrusted value, to be placed anywhere in a line of terminal or log text. */
export function inert(value: string): string {
  return defuseLine(value.replace(UNSAFE, escape));
}

/**
 * Every string of plain data (arrays and plain objects, keys included) made inert; other values as they are. For
 * renderers of text that take a plan, findings or results: every string in them came from outside, every string
 * the renderer adds is its own.
 */
export function inertDeep<T>(data: T): T {
  return walk(data) as T;
}

function walk(value: unknown): unknown {
  if (typeof value === 'string') return inert(value);
  if (Array.isArray(value)) return value.map(walk);
  if (value !== null && typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[inert(k)] = walk(v);
    return out;
  }
  return value;
}

/**
 * A line (or a value that may start one) defused: a leading `::letter` and every `##[` (the runner's older form,
 * `##[name]`, is found anywhere in a line) shown as escapes; anything else unchanged.
 */
function defuseLine(line: string): string {
  return line.replace(LEADING_COMMAND, '$1\\u003a').replace(/##\[/g, '##\\u005b');
}

/** A multi-line text of ours that carries untrusted values: every line inert, LF line breaks kept. */
export function inertLines(text: string): string {
  return text
    .replace(UNSAFE_BUT_LF, escape)
    .split('\n')
    .map(defuseLine)
    .join('\n');
}

/**
 * Output as the CLI writes it (colours included): each line the runner would read as a workflow command defused.
 * Lines end at LF, CR or CRLF, as the runner splits them.
 */
export function defuseWorkflowCommands(text: string): string {
  return text
    .split(/(\r\n|\r|\n)/)
    .map((part, i) => (i % 2 === 1 ? part : defuseLine(part)))
    .join('');
}

/** Escapes JSON.stringify leaves raw (it escapes only C0 controls): DEL, C1, separators, bidirectional controls. */
const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * JSON for a terminal or a log: `JSON.parse(inertJson(v))` equals `JSON.parse(JSON.stringify(v))`. The escaped
 * characters and `##[` can occur only inside JSON strings, where a `\u` escape means the same character.
 */
export function inertJson(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(JSON_UNSAFE, escape).replace(/##\[/g, '##\\u005b');
}
