/**
 * The Action run in the test's process, as a runner would run it but without the bundle: `runAction` with a fake
 * port that writes its log exactly as `@actions/core` writes it to stdout (workflow commands, escaped the same way:
 * what the runner would parse), and records outputs, the job summary and whether the step failed.
 */
import { runAction } from '../../src/action/run-action.js';
import type { ActionsPort, AnnotationPlace } from '../../src/action/port.js';
import type { Clock } from '../../src/core/clock.js';

export interface InProcessRun {
  /** 1 when the step failed (`setFailed`), else 0, as the runner sees the process exit. */
  readonly code: number;
  /** The log as the runner reads it (workflow commands included). */
  readonly stdout: string;
  readonly outputs: Record<string, string>;
  /** The job summary as written (empty when GITHUB_STEP_SUMMARY is unset). */
  readonly summary: string;
}

// @actions/core's escaping of a command's message and of its properties.
const escapeData = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string): string => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

function command(name: string, message: string, place?: AnnotationPlace): string {
  const properties = place ? Object.entries({ title: place.title, file: place.file, line: place.startLine, col: place.startColumn }).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${escapeProperty(String(v))}`) : [];
  return `::${name}${properties.length ? ` ${properties.join(',')}` : ''}::${escapeData(message)}\n`;
}

export interface InProcessOptions {
  /** The clock apply waits on (shared with the emulator's consistency window). */
  readonly clock?: Clock;
}

/**
 * Runs the Action with `env` as the runner's environment (INPUT_* included), in its GITHUB_WORKSPACE. The AWS SDK
 * reads endpoint URLs from the process's environment itself: those of `env` are set there for the run, then removed.
 */
export async function runActionInProcess(env: Readonly<Record<string, string | undefined>>, options: InProcessOptions = {}): Promise<InProcessRun> {
  let stdout = '';
  let summary = '';
  let failed = false;
  const outputs: Record<string, string> = {};
  const port: ActionsPort = {
    getInput: (name) => (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim(),
    setOutput: (name, value) => {
      outputs[name] = value;
    },
    info: (message) => {
      stdout += `${message}\n`;
    },
    warning: (message, place) => {
      stdout += command('warning', message, place);
    },
    error: (message, place) => {
      stdout += command('error', message, place);
    },
    setFailed: (message) => {
      failed = true;
      stdout += command('error', message);
    },
    group: async (name, run) => {
      stdout += `::group::${name}\n`;
      try {
        return await run();
      } finally {
        stdout += '::endgroup::\n';
      }
    },
    appendSummary: async (markdown) => {
      summary += `${markdown}\n`;
    },
    // As @actions/core asks the runner's token endpoint (its request has no timeout of its own either).
    getIDToken: async (audience) => {
      const url = env['ACTIONS_ID_TOKEN_REQUEST_URL'];
      const token = env['ACTIONS_ID_TOKEN_REQUEST_TOKEN'];
      if (!url || !token) throw new Error('Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable');
      const response = await fetch(`${url}&audience=${encodeURIComponent(audience)}`, { headers: { authorization: `Bearer ${token}` } });
      if (!response.ok) throw new Error(`Failed to get ID Token. Error Code : ${response.status}`);
      const value = ((await response.json()) as { value?: string }).value;
      if (!value) throw new Error('Response json body do not have ID Token field');
      return value;
    },
  };
  const cwd = process.cwd();
  const endpoints = Object.entries(env).filter(([k]) => k.startsWith('AWS_ENDPOINT_URL'));
  const saved = endpoints.map(([k]) => [k, process.env[k]] as const);
  for (const [k, v] of endpoints) process.env[k] = v;
  try {
    await runAction(port, { env, ...(options.clock ? { clock: options.clock } : {}) });
  } finally {
    process.chdir(cwd);
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  return { code: failed ? 1 : 0, stdout, outputs, summary };
}
