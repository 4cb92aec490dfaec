/**
 * The GitHub Actions runner's reading of a step's output, as a test oracle: which lines it takes for workflow
 * commands. Modelled on actions/runner (`ActionCommand.TryParseV2` and `TryParse`, `ActionCommandManager`):
 * - a step's stdout and stderr are read line by line, a line ending at LF, CR or CRLF;
 * - `::name props::data`: the line, with leading .NET white space trimmed, starts with `::`; the command info runs to
 *   the next `::` (found by a culture-sensitive search, which skips ignorable characters such as controls and format
 *   characters); the name is the info up to its first space;
 * - `##[name props]data`: `##[` anywhere in the line, the info running to the next `]`;
 * - the name must be registered, compared ignoring case (.NET `OrdinalIgnoreCase`: `ſ` is `S`, `ı` is `I`);
 *   `::stop-commands::TOKEN` registers TOKEN until `::TOKEN::` ends the pause.
 */

export const RUNNER_COMMANDS = ['add-mask', 'add-matcher', 'add-path', 'debug', 'echo', 'endgroup', 'error', 'group', 'internal-set-repo-path', 'notice', 'remove-matcher', 'save-state', 'set-env', 'set-output', 'stop-commands', 'warning'] as const;

export interface WorkflowCommand {
  readonly name: string;
  readonly properties: string;
  readonly data: string;
  readonly line: string;
}

const DOTNET_SPACE = /^[\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/** .NET's ordinal ignore-case: each UTF-16 unit upper-cased on its own (simple case mapping). */
function upper(s: string): string {
  return [...s].map((c) => (c.toUpperCase().length === 1 ? c.toUpperCase() : c)).join('');
}

/** The lines of an output as the runner splits it. */
export function runnerLines(output: string): string[] {
  return output.split(/\r\n|\r|\n/);
}

/** The command a line is to the runner, or undefined. `extra` holds names registered by stop-commands. */
export function parseWorkflowCommand(line: string, extra: readonly string[] = []): WorkflowCommand | undefined {
  const registered = new Set([...RUNNER_COMMANDS, ...extra].map(upper));
  const trimmed = line.replace(DOTNET_SPACE, '');
  if (trimmed.startsWith('::')) {
    // The closing `::`, allowing ignorable characters between the two colons.
    const close = /:[\p{Cc}\p{Cf}\u00ad]*:/gu;
    close.lastIndex = 2;
    const end = close.exec(trimmed);
    if (end) {
      const info = trimmed.slice(2, end.index);
      const space = info.indexOf(' ');
      const name = space < 0 ? info : info.slice(0, space);
      if (registered.has(upper(name))) return { name: name.toLowerCase(), properties: space < 0 ? '' : info.slice(space + 1), data: trimmed.slice(end.index + end[0].length), line };
    }
  }
  const prefix = line.indexOf('##[');
  if (prefix >= 0) {
    const close = line.indexOf(']', prefix);
    if (close >= 0) {
      const info = line.slice(prefix + 3, close);
      const space = info.indexOf(' ');
      const name = space < 0 ? info : info.slice(0, space);
      if (registered.has(upper(name))) return { name: name.toLowerCase(), properties: space < 0 ? '' : info.slice(space + 1), data: line.slice(close + 1), line };
    }
  }
  return undefined;
}

/** Every command the runner would act on in an output, stop-commands pauses included. */
export function workflowCommands(output: string): WorkflowCommand[] {
  const found: WorkflowCommand[] = [];
  let stopToken: string | undefined;
  for (const line of runnerLines(output)) {
    const command = parseWorkflowCommand(line, stopToken ? [stopToken] : []);
    if (!command) continue;
    if (stopToken) {
      if (upper(command.name) === upper(stopToken)) stopToken = undefined;
      continue;
    }
    if (command.name === 'stop-commands') stopToken = command.data;
    found.push(command);
  }
  return found;
}

/**
 * Characters a terminal acts on or that make text read differently from what it is: C0 controls other than LF,
 * DEL, C1 controls, line and paragraph separators, bidirectional controls. `allowAnsiColours` lets the SGR colour
 * sequences the CLI itself writes (`ESC [ n m`) through.
 */
export function rawControls(output: string, options: { allowAnsiColours?: boolean } = {}): string[] {
  const text = options.allowAnsiColours ? output.replace(/\u001b\[\d+(?:;\d+)*m/g, '') : output;
  return [...text.matchAll(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g)].map((m) => `U+${m[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${m.index}: ${JSON.stringify(text.slice(Math.max(0, m.index - 30), m.index + 30))}`);
}

/**
 * Hostile strings: every way we know to start a workflow command or drive a terminal, as a manifest, a snapshot or
 * a file name could carry it.
 */
export const HOSTILE_STRINGS: readonly string[] = [
  '::error::forged annotation',
  '::error file=manifests/account.yaml,line=1,title=Approved::forged',
  '  ::add-mask::123456789012',
  '\t::stop-commands::pause',
  '\u00a0::set-output name=verdict::no access change',
  '\u3000::warning::ideographic space',
  '::ERROR::upper case',
  '::ſtop-commands::long s',
  '::error:\u00ad:soft hyphen closes it',
  'x\n::error::after a line feed',
  'x\r::error::after a carriage return',
  'x\r\n::notice::after CRLF',
  'x\u2028::error::after a line separator',
  'x\u0085::error::after NEL',
  'text ##[error]old form anywhere',
  '##[add-mask]secret',
  '##[set-env name=NODE_OPTIONS]--require=/tmp/x',
  '\u001b[2J\u001b[Hcleared the screen',
  '\u001b]8;;https://evil.example\u0007link\u001b]8;;\u0007',
  '\u009b31mC1 CSI',
  'bell\u0007 backspace\b delete\u007f nul\u0000',
  'right-to-left \u202eoverride\u202c and isolate \u2066x\u2069',
  '\u001b[1A\u001b[2KApply 0 steps? Only "yes" is accepted:',
];
